import { NumericReference, Reference } from '../model/manifest.js';

/** Smallest proportion used in the PSI logarithm: an empty bin counts as 0.01% rather than as infinity. */
export const PSI_FLOOR = 1e-4;
export const WATCH_ABOVE = 0.1;
export const DRIFT_ABOVE = 0.25;
export const MIN_WINDOW = 100;

export type DriftStatus = 'ok' | 'watch' | 'drift' | 'insufficient_data';

/** Population stability index: sum over bins of (live - reference) * ln(live / reference). */
export function psi(live: ArrayLike<number>, reference: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const a = Math.max(live[i], PSI_FLOOR);
    const e = Math.max(reference[i], PSI_FLOOR);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

export function driftStatus(value: number, windowSize: number): DriftStatus {
  if (windowSize < MIN_WINDOW) return 'insufficient_data';
  return value > DRIFT_ABOVE ? 'drift' : value > WATCH_ABOVE ? 'watch' : 'ok';
}

/**
 * Maps a value to its reference bin. Numeric: the number of edges <= value (numpy's searchsorted 'right',
 * as training binned it). Categorical: the category's index; an unseen value gets one extra bin whose
 * reference share is 0, so it shows up as drift.
 */
export function binner(reference: Reference): { bins: number; bin(value: unknown): number } {
  if (reference.type === 'numeric') {
    const edges = (reference as NumericReference).edges;
    return {
      bins: edges.length + 1,
      bin: (value) => {
        const x = value as number;
        let lo = 0;
        let hi = edges.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (edges[mid] <= x) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      },
    };
  }
  const index = new Map(reference.categories.map((c, i) => [c, i] as const));
  const other = reference.categories.length;
  return { bins: other + 1, bin: (value) => index.get(value as string) ?? other };
}

/** Counts of the last `capacity` bin indexes (a ring buffer), updated in O(1) per value. */
export class SlidingHistogram {
  private readonly ring: Uint32Array;
  private readonly counts: Float64Array;
  private next = 0;
  size = 0;

  constructor(
    readonly bins: number,
    readonly capacity: number,
  ) {
    this.ring = new Uint32Array(capacity);
    this.counts = new Float64Array(bins);
  }

  push(bin: number): void {
    if (this.size === this.capacity) this.counts[this.ring[this.next]]--;
    else this.size++;
    this.ring[this.next] = bin;
    this.counts[bin]++;
    this.next = (this.next + 1) % this.capacity;
  }

  proportions(): number[] {
    return Array.from(this.counts, (c) => (this.size ? c / this.size : 0));
  }
}
