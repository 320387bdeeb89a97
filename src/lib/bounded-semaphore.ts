/**
 * A counting semaphore whose queue is bounded twice: at most `maxWaiting`
 * callers wait, each for at most `maxWaitMs`. A caller that would exceed
 * either gets null at once (or when its wait runs out) instead of a slot, so
 * a burst of expensive work queues briefly and then is turned away rather
 * than piling up memory behind a slow resource.
 */
export interface BoundedSemaphoreOptions {
  /** Holders at once (≥ 1). */
  permits: number;
  /** Callers that may wait for a slot (0: refuse at once when all are taken). */
  maxWaiting: number;
  /** Longest a waiting caller waits. */
  maxWaitMs: number;
}

interface Waiter {
  grant: (release: () => void) => void;
  timer: NodeJS.Timeout;
}

export class BoundedSemaphore {
  private held = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly opts: BoundedSemaphoreOptions) {
    if (!Number.isInteger(opts.permits) || opts.permits < 1) throw new Error('permits must be a positive integer');
    if (!Number.isInteger(opts.maxWaiting) || opts.maxWaiting < 0) throw new Error('maxWaiting must be a non-negative integer');
  }

  /** Slots in use. */
  get active(): number {
    return this.held;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** A function that gives the slot back (idempotent), or null when none could be had in time. */
  acquire(): Promise<(() => void) | null> {
    if (this.held < this.opts.permits) {
      this.held++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.opts.maxWaiting) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(null);
        }, this.opts.maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Runs `fn` holding a slot; `onBusy` when none could be had (its result or throw is the answer). */
  async run<T>(fn: () => Promise<T>, onBusy: () => never): Promise<T> {
    const release = await this.acquire();
    if (!release) return onBusy();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) {
        // The slot passes straight to the next waiter: `held` stays the same.
        clearTimeout(next.timer);
        next.grant(this.releaser());
      } else {
        this.held--;
      }
    };
  }
}
