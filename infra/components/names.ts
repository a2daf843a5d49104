import { createHash } from 'node:crypto';

/** Pulumi's auto-naming appends '-' and 7 random characters to a resource's logical name. */
const AUTONAME_SUFFIX_LENGTH = 8;

/**
 * A logical name for a resource whose physical name AWS caps (load balancers and target groups: 32
 * characters), so that `${base}${suffix}` plus Pulumi's suffix always fits. A short enough base is kept as it is
 * (existing stacks keep their resources); a longer one is cut and given a hash of the whole, so two long names
 * that share a beginning stay apart.
 */
export function cappedName(base: string, suffix: string, maxPhysical = 32): string {
  const room = maxPhysical - AUTONAME_SUFFIX_LENGTH - suffix.length;
  if (base.length <= room) return `${base}${suffix}`;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 6);
  return `${base.slice(0, room - hash.length - 1).replace(/-+$/, '')}-${hash}${suffix}`;
}
