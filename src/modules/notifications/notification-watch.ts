import type { InboxSignature } from './notifications.repository.js';

/** At most this many recipients per query. */
const CHUNK = 500;

export interface NotificationWatchLogger {
  warn(obj: object, msg: string): void;
}

/**
 * What wakes the open notification streams of this process. A notification
 * written here (a like through this API process) wakes its recipient's
 * streams at once (`poke`); one written elsewhere — another API process, a
 * worker finishing a video, a database trigger — is found by one shared read
 * a tick: the fingerprint of every watched inbox in one query, so N open
 * streams cost one query a second, not N (as the video status streams do).
 * This works the same on PGlite and PostgreSQL: the database both profiles
 * share is the channel, no Redis needed.
 */
export class NotificationWatch {
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(
    private readonly load: (recipientIds: readonly string[]) => Promise<InboxSignature[]>,
    private readonly intervalMs: number,
    private readonly log?: NotificationWatchLogger,
  ) {}

  /** Number of recipients watched now. */
  get size(): number {
    return this.watchers.size;
  }

  /** Calls `listener` whenever `recipientId`'s inbox may have changed, until the returned function is called. */
  watch(recipientId: string, listener: () => void): () => void {
    let set = this.watchers.get(recipientId);
    if (!set) this.watchers.set(recipientId, (set = new Set()));
    set.add(listener);
    if (!this.timer && this.intervalMs > 0) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      const current = this.watchers.get(recipientId);
      if (!current?.delete(listener)) return;
      if (current.size === 0) {
        this.watchers.delete(recipientId);
        this.seen.delete(recipientId);
      }
      if (this.watchers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** Something changed for these recipients in this process: wake their streams now. */
  poke(...recipientIds: Array<string | null>): void {
    for (const id of recipientIds) {
      if (id === null) continue;
      for (const listener of this.watchers.get(id) ?? []) listener();
    }
  }

  /** One read of every watched inbox's fingerprint; streams whose fingerprint moved are woken. A tick finding the last one running is skipped. */
  async tick(): Promise<void> {
    if (this.reading || this.watchers.size === 0) return;
    this.reading = true;
    try {
      const ids = [...this.watchers.keys()];
      for (let i = 0; i < ids.length; i += CHUNK) {
        for (const { recipient_id: id, signature } of await this.load(ids.slice(i, i + CHUNK))) {
          const before = this.seen.get(id);
          if (!this.watchers.has(id)) continue;
          this.seen.set(id, signature);
          // The first read pokes too: a change between a stream's opening and this read is not lost (streams send only what is new).
          if (before !== signature) this.poke(id);
        }
      }
    } catch (err) {
      this.log?.warn({ err }, 'reading watched inboxes failed; next tick retries');
    } finally {
      this.reading = false;
    }
  }
}
