import { VALID_APPLICATION } from '../../../test/helpers/applications.js';
import { CaptureQueue } from './capture-queue.js';
import type { RecordChunk, RecordGroup } from './record-layout.js';

const GROUP: RecordGroup = { time: Date.UTC(2026, 10, 26), requestId: 'r', modelVersion: 'v1', threshold: 0.3 };

function records(count: number) {
  const applications = Array.from({ length: count }, () => VALID_APPLICATION);
  const answers = applications.map((_, i) => ({
    prediction_id: `p${i}`,
    probability_of_default: 0.1,
    decision: 'approve' as const,
  }));
  return { applications, answers };
}

describe('CaptureQueue', () => {
  it('fills chunks of the batch size, seals each as it fills, and counts every record it holds', () => {
    const queue = new CaptureQueue(4);
    const sealed: RecordChunk[] = [];
    const { applications, answers } = records(10);
    queue.append(applications, answers, 10, GROUP, (chunk) => sealed.push(chunk));
    expect(sealed.map((c) => c.rows)).toEqual([4, 4]);
    expect(queue.rows).toBe(10);
    expect(queue.queuedRows).toBe(8);
    expect(queue.seal()!.rows).toBe(2);
    expect(queue.seal()).toBeNull();
    expect(queue.queuedRows).toBe(10);
  });

  it('takes the oldest chunks for a write up to a number of rows, and puts them back in front when it fails', () => {
    const queue = new CaptureQueue(4);
    const { applications, answers } = records(12);
    queue.append(applications, answers, 12, GROUP, () => undefined);
    const write = queue.takeWrite(8);
    expect(write.map((c) => c.rows)).toEqual([4, 4]);
    expect([queue.rows, queue.queuedRows, queue.isInFlight(write)]).toEqual([12, 4, true]);
    queue.writeFailed(write);
    expect([queue.rows, queue.queuedRows, queue.isInFlight(write)]).toEqual([12, 12, false]);
    // The failed chunks come back first: the next write takes the same ones.
    expect(queue.takeWrite(8)).toEqual(write);
  });

  it('forgets a write once it landed', () => {
    const queue = new CaptureQueue(4);
    const { applications, answers } = records(4);
    queue.append(applications, answers, 4, GROUP, () => undefined);
    const write = queue.takeWrite(4);
    queue.written(write);
    expect([queue.rows, queue.hasWaiting]).toEqual([0, false]);
  });

  it('hands chunks to the spill (oldest one, or all waiting) and takes back what the spill refused, at the end', () => {
    const queue = new CaptureQueue(2);
    const { applications, answers } = records(6);
    queue.append(applications, answers, 6, GROUP, () => undefined);
    const oldest = queue.takeOldest()!;
    expect(queue.rows).toBe(4);
    const rest = queue.takeWaiting();
    expect([rest.length, queue.rows]).toEqual([2, 0]);
    queue.putBack([oldest]);
    expect([queue.rows, queue.queuedRows]).toEqual([2, 2]);
  });

  it('gives up everything at shutdown: the write in flight, then the waiting line with the chunk being filled', () => {
    const queue = new CaptureQueue(4);
    const { applications, answers } = records(9);
    queue.append(applications, answers, 9, GROUP, () => undefined);
    const write = queue.takeWrite(4);
    const { inFlight, waiting } = queue.takeAll();
    expect(inFlight).toEqual(write);
    expect(waiting.map((c) => c.rows)).toEqual([4, 1]);
    expect([queue.rows, queue.isInFlight(write)]).toEqual([0, false]);
  });
});
