/**
 * Runs tasks one at a time, in the order they were given, whatever became of the one before: a channel's
 * follower (the model, the credit policy) never reads and swaps in two places at once. `idle` settles when
 * every task given so far has (shutdown waits on it).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  get idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
