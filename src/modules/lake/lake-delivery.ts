import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { closeReason, partitionBatch, rowsWithinBytes, type BufferHints, type BufferWindow } from './batching.js';
import type { LakeEvent, LakeEventKind } from './lake-schema.js';
import { writeLakeParquet } from './parquet-writer.js';

/** The advisory lock under which delivery batches are opened (one key range at a time, across processes). */
const BATCH_LOCK_KEY = 7_313_014_001;

export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

interface BatchRow {
  id: string | number;
  from_xid: string;
  from_seq: string | number;
  to_xid: string;
  to_seq: string | number;
  events: number;
}

export interface Batch {
  id: number;
  fromXid: string;
  fromSeq: number;
  toXid: string;
  toSeq: number;
  events: number;
}

export interface DeliveryReport {
  batches: number;
  events: number;
  files: number;
  bytes: number;
  /** Batches recorded by an earlier, interrupted run and finished by this one. */
  resumed: number;
}

export interface BufferDepth {
  /** Rows in the buffer (upper bound from the key range: cheap). */
  events: number;
  /** Age of the oldest buffered row in seconds (0: empty). */
  oldestSec: number;
}

/** Test-only hooks (crash tests pause here to be killed at a known point). */
export interface DeliveryHooks {
  afterFilesWritten?(batch: Batch): Promise<void>;
}

const toBatch = (r: BatchRow): Batch => ({
  id: Number(r.id),
  fromXid: r.from_xid,
  fromSeq: Number(r.from_seq),
  toXid: r.to_xid,
  toSeq: Number(r.to_seq),
  events: r.events,
});

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Kinesis Firehose's role: takes what the buffer (lake_buffer) holds and
 * delivers it as Parquet files, exactly once.
 *
 * 1. A batch is recorded first: a fixed range of (xid, seq) keys, taken only
 *    from rows whose transactions have all ended (xid below the snapshot's
 *    xmin), so no row can later appear inside the range.
 * 2. One file per (dt, hour) partition is written, under keys that depend on
 *    the batch id only.
 * 3. One transaction lists the files in the manifest, marks the batch
 *    delivered and deletes its rows.
 *
 * A crash before 3 leaves the batch pending: the next run delivers it first,
 * from the same rows into the same keys (overwriting what was written).
 * A crash after 3 leaves nothing to do. Two runs at once (a worker whose lease
 * expired while it still ran) write identical files; only one commits, and
 * the other removes any file of its own that the manifest no longer lists.
 */
export class LakeDelivery {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly hints: BufferHints,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly hooks: DeliveryHooks = {},
  ) {}

  /**
   * Delivers pending batches, then closes and delivers new ones while the
   * buffer holds a full batch or its oldest row is past the age limit
   * (`force`: whatever is deliverable now, e.g. `curta lake flush` and tests).
   */
  async run(opts: { force?: boolean; signal?: AbortSignal } = {}): Promise<DeliveryReport> {
    const report: DeliveryReport = { batches: 0, events: 0, files: 0, bytes: 0, resumed: 0 };
    let flushing = opts.force ?? false;
    while (!opts.signal?.aborted) {
      let batch = await this.pendingBatch(this.db);
      if (batch) report.resumed++;
      else {
        const opened = await this.openBatch(flushing);
        if (!opened) break;
        batch = opened.batch;
        // Once the age limit fires, everything deliverable goes (as Firehose flushes its whole buffer).
        if (opened.reason === 'age') flushing = true;
      }
      const done = await this.deliver(batch);
      report.batches++;
      report.events += done.events;
      report.files += done.files;
      report.bytes += done.bytes;
    }
    return report;
  }

  /** The oldest batch recorded but not delivered (an interrupted run's). */
  private async pendingBatch(q: SqlExecutor): Promise<Batch | null> {
    const r = await q.query<BatchRow>(
      `SELECT id, from_xid::text, from_seq, to_xid::text, to_seq, events FROM lake_batches
       WHERE delivered_at IS NULL ORDER BY id LIMIT 1`,
    );
    return r.rows[0] ? toBatch(r.rows[0]) : null;
  }

  /** Records the next batch when the buffer says one should close now; null otherwise. */
  private async openBatch(force: boolean): Promise<{ batch: Batch; reason: string } | null> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [BATCH_LOCK_KEY]);
      // Under the lock: another process may have opened one meanwhile.
      const pending = await this.pendingBatch(tx);
      if (pending) return { batch: pending, reason: 'pending' };
      const r = await tx.query<{ xid: string; seq: string | number; cum: string | number; oldest: Date }>(
        `WITH w AS (
           SELECT b.xid, b.seq, b.received_at, pg_column_size(b.*) AS size FROM lake_buffer b
           WHERE b.xid < pg_snapshot_xmin(pg_current_snapshot())
           ORDER BY b.xid, b.seq LIMIT $1
         )
         SELECT xid::text, seq, sum(size) OVER (ORDER BY xid, seq) AS cum, min(received_at) OVER () AS oldest
         FROM w ORDER BY xid, seq`,
        [this.hints.maxEvents],
      );
      const rows = r.rows;
      const window: BufferWindow = {
        events: rows.length,
        bytes: rows.length ? Number(rows[rows.length - 1]!.cum) : 0,
        oldest: rows[0]?.oldest ?? null,
      };
      const reason = closeReason(window, this.hints, this.now(), force);
      if (!reason) return null;
      const take = rowsWithinBytes(
        rows.map((row) => Number(row.cum)),
        this.hints.maxBytes,
      );
      const first = rows[0]!;
      const last = rows[take - 1]!;
      const ins = await tx.query<BatchRow>(
        `INSERT INTO lake_batches (from_xid, from_seq, to_xid, to_seq, events) VALUES ($1::xid8, $2, $3::xid8, $4, $5)
         RETURNING id, from_xid::text, from_seq, to_xid::text, to_seq, events`,
        [first.xid, first.seq, last.xid, last.seq, take],
      );
      return { batch: toBatch(ins.rows[0]!), reason };
    });
  }

  /** Writes the batch's files and commits it; idempotent. */
  private async deliver(batch: Batch): Promise<{ events: number; files: number; bytes: number }> {
    const started = Date.now();
    const events = await this.readBatch(batch);
    const files = partitionBatch(batch.id, events);
    const written: Array<{ key: string; dt: string; hour: number; events: number; bytes: number; min: Date; max: Date }> = [];
    const dir = await mkdtemp(join(tmpdir(), 'curta-lake-batch-'));
    try {
      for (const f of files) {
        const path = join(dir, `${f.partition.dt}-${f.partition.hour}.parquet`);
        await writeLakeParquet(f.events, path);
        const size = (await stat(path)).size;
        await this.store.putFile(f.key, path, { contentType: PARQUET_CONTENT_TYPE });
        let min = f.events[0]!.eventTime;
        let max = min;
        for (const e of f.events) {
          if (e.eventTime < min) min = e.eventTime;
          if (e.eventTime > max) max = e.eventTime;
        }
        written.push({ key: f.key, dt: f.partition.dt, hour: f.partition.hour, events: f.events.length, bytes: size, min, max });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await this.hooks.afterFilesWritten?.(batch);
    const committed = await this.db.transaction(async (tx) => {
      const mark = await tx.query(`UPDATE lake_batches SET delivered_at = now() WHERE id = $1 AND delivered_at IS NULL`, [batch.id]);
      if (mark.rowCount === 0) return false;
      if (written.length > 0) {
        await tx.query(
          `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time, batch_id)
           SELECT x.key, x.dt::date, x.hour, x.events, x.bytes, x.min_time, x.max_time, $8::bigint
           FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::bigint[], $6::timestamptz[], $7::timestamptz[])
             AS x(key, dt, hour, events, bytes, min_time, max_time)`,
          [
            written.map((w) => w.key),
            written.map((w) => w.dt),
            written.map((w) => w.hour),
            written.map((w) => w.events),
            written.map((w) => w.bytes),
            written.map((w) => w.min),
            written.map((w) => w.max),
            batch.id,
          ],
        );
      }
      await tx.query(`DELETE FROM lake_buffer WHERE (xid, seq) >= ($1::xid8, $2::bigint) AND (xid, seq) <= ($3::xid8, $4::bigint)`, [
        batch.fromXid,
        batch.fromSeq,
        batch.toXid,
        batch.toSeq,
      ]);
      return true;
    });
    if (!committed) {
      // Another run delivered this batch first. Its files are ours byte for byte, unless a
      // compaction has since replaced them: then what we just wrote is an orphan.
      const live = await this.db.query<{ key: string }>(`SELECT key FROM lake_files WHERE key = ANY($1::text[]) AND state = 'live'`, [
        written.map((w) => w.key),
      ]);
      const keep = new Set(live.rows.map((row) => row.key));
      for (const w of written) if (!keep.has(w.key)) await this.store.delete(w.key);
      this.log.warn({ batch: batch.id }, 'lake: batch was delivered by another run meanwhile');
      return { events: 0, files: 0, bytes: 0 };
    }
    const bytes = written.reduce((s, w) => s + w.bytes, 0);
    this.log.info(
      { batch: batch.id, events: events.length, files: written.length, bytes, ms: Date.now() - started },
      'lake: batch delivered',
    );
    return { events: events.length, files: written.length, bytes };
  }

  private async readBatch(batch: Batch): Promise<LakeEvent[]> {
    const r = await this.db.query<{
      event_id: string;
      event_time: Date;
      received_at: Date;
      kind: LakeEventKind;
      type: string;
      video_id: string | null;
      creator_id: string | null;
      user_id: string | null;
      device_id: string | null;
      watched_ms: number | null;
      duration_ms: number | null;
      source: string | null;
      counted: boolean | null;
      stage: string | null;
      ok: boolean | null;
      elapsed_ms: string | number | null;
      bytes: string | number | null;
      attrs: string | null;
    }>(
      `SELECT event_id::text, event_time, received_at, kind, type, video_id, creator_id, user_id, device_id, watched_ms,
              duration_ms, source, counted, stage, ok, elapsed_ms, bytes, attrs::text AS attrs
       FROM lake_buffer WHERE (xid, seq) >= ($1::xid8, $2::bigint) AND (xid, seq) <= ($3::xid8, $4::bigint)`,
      [batch.fromXid, batch.fromSeq, batch.toXid, batch.toSeq],
    );
    return r.rows.map((row) => ({
      eventId: row.event_id,
      eventTime: row.event_time,
      receivedAt: row.received_at,
      kind: row.kind,
      type: row.type,
      videoId: row.video_id,
      creatorId: row.creator_id,
      userId: row.user_id,
      deviceId: row.device_id,
      watchedMs: row.watched_ms,
      durationMs: row.duration_ms,
      source: row.source,
      counted: row.counted,
      stage: row.stage,
      ok: row.ok,
      elapsedMs: n(row.elapsed_ms),
      bytes: n(row.bytes),
      attrs: row.attrs,
    }));
  }

  /** How much the buffer holds, cheaply (two index lookups and the oldest row). */
  async depth(): Promise<BufferDepth> {
    const r = await this.db.query<{ lo: string | number | null; hi: string | number | null; oldest: Date | null }>(
      `SELECT (SELECT min(seq) FROM lake_buffer) AS lo, (SELECT max(seq) FROM lake_buffer) AS hi,
              (SELECT received_at FROM lake_buffer ORDER BY xid, seq LIMIT 1) AS oldest`,
    );
    const row = r.rows[0]!;
    if (row.lo === null || row.hi === null) return { events: 0, oldestSec: 0 };
    const oldestSec = row.oldest ? Math.max(0, (this.now().getTime() - row.oldest.getTime()) / 1000) : 0;
    return { events: Number(row.hi) - Number(row.lo) + 1, oldestSec };
  }
}
