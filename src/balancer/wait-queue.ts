// A FIFO of waiters, each given up after a time limit: connections waiting for a free slot
// of a frontend (its maxconn) or a server (its maxconn), bounded by `timeout queue`.

interface Entry<T> {
  value: T;
  timer: NodeJS.Timeout | undefined;
}

export class WaitQueue<T> {
  private entries: Entry<T>[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Queues `value`; after `timeoutMs` (none: no limit) it is removed and `expire` called with it. */
  push(value: T, timeoutMs: number | undefined, expire: (value: T) => void): void {
    const entry: Entry<T> = { value, timer: undefined };
    if (timeoutMs !== undefined) {
      entry.timer = setTimeout(() => {
        this.entries.splice(this.entries.indexOf(entry), 1);
        expire(value);
      }, timeoutMs);
    }
    this.entries.push(entry);
  }

  /** Removes and returns the first waiter that `accept` takes, in arrival order. */
  takeFirst(accept: (value: T) => boolean): T | undefined {
    const index = this.entries.findIndex((entry) => accept(entry.value));
    if (index < 0) return undefined;
    const [entry] = this.entries.splice(index, 1);
    clearTimeout(entry!.timer);
    return entry!.value;
  }

  /** Empties the queue, handing every waiter to `drop` (at shutdown). */
  clear(drop: (value: T) => void): void {
    const entries = this.entries;
    this.entries = [];
    for (const entry of entries) {
      clearTimeout(entry.timer);
      drop(entry.value);
    }
  }
}
