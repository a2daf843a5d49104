import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * A Dockerfile's build context as docker-build sees it, and a tag that changes whenever docker-build would
 * rebuild. docker-build decides to rebuild from its own hash of the context: the Dockerfile's content, then for
 * every file the ignore file lets in (dotfiles included) its content, relative path and file mode
 * (pulumi-docker-build provider/internal/context.go, hashFile). A tag that missed a dotfile or a mode change
 * (a checkout made under another umask) would be pushed again to an IMMUTABLE repository under a tag that
 * already exists there, and the deploy would stop at ImageTagAlreadyExistsException.
 */

/** The allowlist of `<dockerfile>.dockerignore`: it must ignore everything (`*`), then name what the build uses. */
export interface ContextRules {
  /** `!path` lines: folders or files the context holds. */
  include: string[];
  /** Other lines after `*`: `**\/name` (any path segment) or a path below the root, left out again. */
  exclude: string[];
}

export function contextRules(root: string, dockerfile: string): ContextRules {
  const lines = readFileSync(path.join(root, `${dockerfile}.dockerignore`), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines[0] !== '*')
    throw new Error(`${dockerfile}.dockerignore must start with '*' and list what the build may use as '!path'`);
  const rules: ContextRules = { include: [], exclude: [] };
  for (const line of lines.slice(1)) {
    // Only the forms the tag can follow exactly; a glob it could not match would let tag and context drift apart.
    if (/[*?[\]]/.test(line.replace(/^\*\*\//, '')))
      throw new Error(
        `${dockerfile}.dockerignore: '${line}' is not a form the image tag can follow ('!path', 'path' or '**/name')`,
      );
    if (line.startsWith('!')) rules.include.push(line.slice(1).replace(/\/$/, ''));
    else rules.exclude.push(line.replace(/\/$/, ''));
  }
  return rules;
}

/** The `!path` entries of the ignore file: what the Dockerfile copies. */
export const contextPaths = (root: string, dockerfile: string): string[] => contextRules(root, dockerfile).include;

function excluded(relative: string, exclude: string[]): boolean {
  const segments = relative.split('/');
  return exclude.some((pattern) =>
    pattern.startsWith('**/')
      ? segments.includes(pattern.slice(3))
      : relative === pattern || relative.startsWith(`${pattern}/`),
  );
}

/** Every file of the context ('/'-separated, sorted), dotfiles included, as docker-build walks it. */
export function contextFiles(root: string, dockerfile: string): string[] {
  const { include, exclude } = contextRules(root, dockerfile);
  const walk = (relative: string): string[] => {
    if (excluded(relative, exclude)) return [];
    const stat = statSync(path.join(root, relative), { throwIfNoEntry: false });
    if (!stat) return [];
    if (!stat.isDirectory()) return [relative];
    return readdirSync(path.join(root, relative))
      .sort()
      .flatMap((entry) => walk(`${relative}/${entry}`));
  };
  return [...new Set(include.flatMap(walk))].sort();
}

/** sha256 (16 hex digits) over the Dockerfile, its ignore file and each context file's path, mode and content. */
export function contextHash(root: string, dockerfile: string): string {
  const hash = createHash('sha256');
  for (const file of [dockerfile, `${dockerfile}.dockerignore`])
    hash.update(readFileSync(path.join(root, file))).update('\0');
  for (const file of contextFiles(root, dockerfile)) {
    const { mode } = statSync(path.join(root, file));
    hash
      .update(file)
      .update('\0')
      .update(mode.toString(8))
      .update('\0')
      .update(readFileSync(path.join(root, file)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
