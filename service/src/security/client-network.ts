import { isIPv6 } from 'node:net';

/**
 * The network a client address counts as for limits on wrong credentials: an IPv4 address itself, an IPv6
 * address by its /64 (one subscriber's or one host's prefix: anyone holding one has 2^64 addresses to rotate
 * through), and an IPv4-mapped IPv6 address as the IPv4 address it maps.
 */
export function clientNetwork(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  const [head, tail] = ip.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  // An embedded IPv4 tail (a:b::1.2.3.4) stands for two groups.
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
