import { AppError } from '../../errors.js';
import type { SqlExecutor } from '../../ports/database.js';

export interface DailyQuota {
  /** Uploads a user may start per UTC day; 0 = unlimited. */
  count: number;
  /** Bytes (declared sizes) a user may upload per UTC day; 0 = unlimited. */
  bytes: number;
}

const DAY_MS = 86_400_000;
const PRUNE_BATCH = 5000;

/**
 * Scheduled retention (src/jobs/retention.ts): deletes the quota counters of
 * days before yesterday (UTC), batch by batch — only today's are ever read;
 * yesterday's stay for a request that began before midnight. Returns how many.
 */
export async function pruneUploadUsage(executor: SqlExecutor, signal?: AbortSignal, now: () => number = Date.now): Promise<number> {
  const before = Math.floor(now() / DAY_MS) - 1;
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const r = await executor.query(
      `DELETE FROM upload_usage WHERE (user_id, day) IN (SELECT user_id, day FROM upload_usage WHERE day < $1 LIMIT $2)`,
      [before, PRUNE_BATCH],
    );
    total += r.rowCount;
    if (r.rowCount < PRUNE_BATCH) return total;
  }
}

/**
 * The daily upload quota per user, counted in `upload_usage` (user, UTC day):
 * an upload reserves its slot and its declared bytes in the transaction that
 * creates it, with one guarded upsert, so concurrent uploads cannot overshoot.
 * What was reserved stays spent (deleting a video gives nothing back).
 */
export class UploadQuota {
  constructor(
    private readonly quota: DailyQuota,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.quota.count > 0 || this.quota.bytes > 0;
  }

  /** Throws upload_quota_exceeded without reserving anything (a cheap check before starting a multipart upload). */
  async check(executor: SqlExecutor, userId: string, size: number): Promise<void> {
    if (!this.enabled) return;
    const day = this.day();
    const r = await executor.query<{ uploads: number; bytes: string | number }>(
      'SELECT uploads, bytes FROM upload_usage WHERE user_id = $1 AND day = $2',
      [userId, day],
    );
    const used = { uploads: r.rows[0]?.uploads ?? 0, bytes: Number(r.rows[0]?.bytes ?? 0) };
    if (!this.fits(used, size)) throw this.exceeded(used, size);
  }

  /** Reserves one upload of `size` bytes in the caller's transaction, or throws upload_quota_exceeded. */
  async reserve(tx: SqlExecutor, userId: string, size: number): Promise<void> {
    if (!this.enabled) return;
    const day = this.day();
    if (!this.fits({ uploads: 0, bytes: 0 }, size)) throw this.exceeded({ uploads: 0, bytes: 0 }, size);
    const r = await tx.query(
      `INSERT INTO upload_usage (user_id, day, uploads, bytes) VALUES ($1, $2, 1, $3::bigint)
       ON CONFLICT (user_id, day) DO UPDATE SET uploads = upload_usage.uploads + 1, bytes = upload_usage.bytes + $3::bigint
       WHERE ($4::int = 0 OR upload_usage.uploads + 1 <= $4::int) AND ($5::bigint = 0 OR upload_usage.bytes + $3::bigint <= $5::bigint)
       RETURNING uploads`,
      [userId, day, size, this.quota.count, this.quota.bytes],
    );
    if (r.rows.length === 0) {
      const now = await tx.query<{ uploads: number; bytes: string | number }>(
        'SELECT uploads, bytes FROM upload_usage WHERE user_id = $1 AND day = $2',
        [userId, day],
      );
      throw this.exceeded({ uploads: now.rows[0]?.uploads ?? 0, bytes: Number(now.rows[0]?.bytes ?? 0) }, size);
    }
  }

  private fits(used: { uploads: number; bytes: number }, size: number): boolean {
    const { count, bytes } = this.quota;
    return (count === 0 || used.uploads + 1 <= count) && (bytes === 0 || used.bytes + size <= bytes);
  }

  private exceeded(used: { uploads: number; bytes: number }, size: number): AppError {
    const { count, bytes } = this.quota;
    const byCount = count > 0 && used.uploads + 1 > count;
    const retryAfter = Math.ceil(((this.day() + 1) * DAY_MS - this.now()) / 1000);
    const message = byCount
      ? `Daily upload limit reached: ${count} uploads per day (UTC). Try again after midnight UTC.`
      : `This upload (${size} bytes) would pass your daily limit of ${bytes} bytes (${used.bytes} used today, UTC).`;
    return new AppError('upload_quota_exceeded', message, {
      limit: { uploads: count, bytes },
      used,
      retryAfter,
    });
  }

  private day(): number {
    return Math.floor(this.now() / DAY_MS);
  }
}
