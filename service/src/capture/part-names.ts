import { randomBytes } from 'node:crypto';
import type { Clock } from './capture.tokens.js';

/**
 * The keys of prediction files: `<partition>/part-<time>-<process id>-<sequence>.jsonl.gz`. The time first, so
 * names sort by age within a day; a random id per process, so that the tasks of a fleet never overwrite each
 * other's files; a sequence, so that one process never does either.
 */
export class PartNames {
  private readonly instance = randomBytes(4).toString('hex');
  private sequence = 0;

  constructor(private readonly clock: Clock) {}

  next(partition: string): string {
    const stamp = new Date(this.clock.now()).toISOString().replace(/[-:.]/g, '');
    return `${partition}/part-${stamp}-${this.instance}-${String(this.sequence++).padStart(6, '0')}.jsonl.gz`;
  }
}
