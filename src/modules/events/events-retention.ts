import type { EventsRepository } from './events.repository.js';
import { viewPeriod } from './view-rule.js';

/** Rows one DELETE removes at most: short statements, short locks, bounded WAL per statement. */
export const PRUNE_BATCH_SIZE = 5000;

export interface PruneReport {
  /** Events received before this were deleted (null: retention is off). */
  before: Date | null;
  events: { deleted: number; batches: number };
  /** Per-day view records (who viewed what); the view counters are not touched. */
  views: { deleted: number; batches: number };
  /** Per-address view budgets of past days. */
  budgets: { deleted: number; batches: number };
}

/**
 * The events table's retention window (EVENTS_RETENTION_HOURS, default 48):
 * the OLTP table keeps what serving reads (a viewer's recent history, today's
 * view records); history is in the lake. Nothing is lost to the lake by
 * deleting here: every event was copied to lake_buffer in the transaction
 * that inserted it, and buffer rows leave only with their delivery; events
 * from before the lake are kept until the backfill has copied them (keepFrom). Deleting
 * never changes a counter: views, likes and the rest live in video_stats.
 */
export class EventsRetention {
  constructor(
    private readonly repo: EventsRepository,
    /** 0: keep forever. */
    private readonly retentionHours: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Events received at or after the time this returns (null: none) are kept whatever the window (see keepFrom). */
  private keep: (() => Promise<Date | null>) | null = null;

  /**
   * A guard on the events deleted: the lake's backfill of pre-lake history
   * (lake-backfill.ts) keeps every row it has not copied yet, so the window
   * never deletes history that has no lake copy.
   */
  keepFrom(fn: () => Promise<Date | null>): void {
    this.keep = fn;
  }

  /**
   * Deletes what is past the window, batch by batch, until a batch comes
   * back short (or `signal` aborts: the next run carries on). Idempotent:
   * running it twice, or in two processes at once, deletes the same rows once.
   */
  async prune(opts: { batchSize?: number; signal?: AbortSignal } = {}): Promise<PruneReport> {
    const none = { deleted: 0, batches: 0 };
    if (this.retentionHours <= 0) return { before: null, events: none, views: none, budgets: none };
    const now = this.now();
    const before = new Date(now.getTime() - this.retentionHours * 3_600_000);
    const batchSize = opts.batchSize ?? PRUNE_BATCH_SIZE;
    const drain = async (deleteBatch: (limit: number) => Promise<number>) => {
      const done = { deleted: 0, batches: 0 };
      while (!opts.signal?.aborted) {
        const n = await deleteBatch(batchSize);
        done.deleted += n;
        done.batches++;
        if (n < batchSize) break;
      }
      return done;
    };
    const held = this.keep ? await this.keep() : null;
    const eventsBefore = held !== null && held < before ? held : before;
    return {
      before,
      events: await drain((limit) => this.repo.deleteEventsBefore(eventsBefore, limit)),
      views: await drain((limit) => this.repo.deleteViewsBefore(before, limit)),
      // Only today's budget is read; yesterday's is kept for batches in flight at midnight.
      budgets: await drain((limit) => this.repo.deleteBudgetsBefore(viewPeriod(now) - 1, limit)),
    };
  }
}
