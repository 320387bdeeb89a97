import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { closeReason, rowsForBytes, type BufferHints, type BufferWindow } from './batching.js';
import { batchFileKey } from './lake-schema.js';
import { writeLakeParquetFromBuffer } from './parquet-writer.js';

/** The advisory lock under which delivery batches are opened (one key range at a time, across processes). */
const BATCH_LOCK_KEY = 7_313_014_001;

/** Buffer rows depth() reads at most (beyond: an estimate). */
const DEPTH_SCAN = 10_000;

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
      // Nothing moved (another run committed it, or an empty range): stop rather than spin; the next run goes on.
      if (done.events === 0) break;
    }
    return report;
  }

  /**
   * Delivers everything committed before the call (`curta lake flush`, training's
   * fresh read). A buffer row is deliverable once every transaction older than it
   * has ended, and xids are the cluster's, not the database's: a transaction in
   * flight anywhere on the server (another database's too) holds the newest rows
   * back. So this first waits, up to `settleMs`, for the transactions running at
   * the call to end, then delivers; past the wait it delivers what it can and the
   * next run takes the rest.
   */
  async flush(opts: { settleMs?: number; signal?: AbortSignal } = {}): Promise<DeliveryReport> {
    const horizon = await this.db.query<{ xmax: string }>(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`);
    const target = horizon.rows[0]!.xmax;
    const deadline = Date.now() + (opts.settleMs ?? 5000);
    while (!opts.signal?.aborted) {
      const r = await this.db.query<{ settled: boolean }>(`SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS settled`, [
        target,
      ]);
      if (r.rows[0]?.settled) break;
      if (Date.now() >= deadline) {
        this.log.info(
          { waitedMs: opts.settleMs ?? 5000 },
          'lake: a long transaction holds fresh buffer rows back; flushing what is deliverable',
        );
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    return this.run({ force: true, ...(opts.signal ? { signal: opts.signal } : {}) });
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
      // Deliverable rows (their transactions all ended), their events counted up to a batch, by index: cheap however
      // full the buffer. A row holds one event, or a playback batch's (n_events, migration 0026).
      const eligible = `FROM lake_buffer WHERE xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint ORDER BY xid, seq`;
      const stats = await tx.query<{ n: string | number; oldest: Date | null; avg: string | number | null }>(
        `SELECT (SELECT coalesce(sum(n_events), 0) FROM (SELECT n_events ${eligible} LIMIT $1) w) AS n,
                (SELECT received_at ${eligible} LIMIT 1) AS oldest,
                (SELECT sum(pg_column_size(s.*))::float8 / sum(s.n_events) FROM (SELECT * ${eligible} LIMIT 100) s) AS avg`,
        [this.hints.maxEvents],
      );
      const n = Math.min(Number(stats.rows[0]!.n), this.hints.maxEvents);
      const { oldest } = stats.rows[0]!;
      const avg = Number(stats.rows[0]!.avg ?? 0);
      const window: BufferWindow = { events: n, bytes: Math.round(n * avg), oldest };
      const reason = closeReason(window, this.hints, this.now(), force);
      if (!reason) return null;
      const take = rowsForBytes(n, avg, this.hints.maxBytes);
      // The range: from the first deliverable row to the last one whose running event count stays within `take`
      // (at least the first row, however many events it holds). Later rows can only come after these in key
      // order (their xids are above this xmin): the range, and so its event count, is fixed.
      const ends = await tx.query<{
        from_xid: string;
        from_seq: string | number;
        to_xid: string;
        to_seq: string | number;
        events: string | number;
      }>(
        `WITH w AS (
           SELECT xid, seq, row_number() OVER (ORDER BY xid, seq) AS r, sum(n_events) OVER (ORDER BY xid, seq ROWS UNBOUNDED PRECEDING) AS c
           FROM (SELECT xid, seq, n_events ${eligible} LIMIT $2) w0
         )
         SELECT f.xid::text AS from_xid, f.seq AS from_seq, l.xid::text AS to_xid, l.seq AS to_seq, l.c AS events
         FROM (SELECT xid, seq FROM w WHERE r = 1) f,
              (SELECT xid, seq, c FROM w WHERE c <= $1 OR r = 1 ORDER BY r DESC LIMIT 1) l`,
        [take, this.hints.maxEvents],
      );
      const range = ends.rows[0];
      if (!range) return null;
      const first = { xid: range.from_xid, seq: range.from_seq };
      const last = { xid: range.to_xid, seq: range.to_seq };
      const ins = await tx.query<BatchRow>(
        `INSERT INTO lake_batches (from_xid, from_seq, to_xid, to_seq, events) VALUES ($1::bigint, $2, $3::bigint, $4, $5)
         RETURNING id, from_xid::text, from_seq, to_xid::text, to_seq, events`,
        [first.xid, first.seq, last.xid, last.seq, Number(range.events)],
      );
      return { batch: toBatch(ins.rows[0]!), reason };
    });
  }

  /** Writes the batch's files and commits it; idempotent. */
  private async deliver(batch: Batch): Promise<{ events: number; files: number; bytes: number }> {
    const started = Date.now();
    const written: Array<{ key: string; dt: string; hour: number; events: number; bytes: number; min: string; max: string }> = [];
    const dir = await mkdtemp(join(tmpdir(), 'curta-lake-batch-'));
    try {
      const rows = await this.readBatch(batch);
      if (rows) {
        const ndjson = join(dir, 'buffer.ndjson');
        await writeFile(ndjson, rows);
        for (const part of await writeLakeParquetFromBuffer(ndjson, dir)) {
          const key = batchFileKey({ dt: part.dt, hour: part.hour }, batch.id);
          const size = (await stat(part.path)).size;
          await this.store.putFile(key, part.path, { contentType: PARQUET_CONTENT_TYPE });
          written.push({ key, dt: part.dt, hour: part.hour, events: part.events, bytes: size, min: part.minTime, max: part.maxTime });
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const events = written.reduce((s, p) => s + p.events, 0);
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
      await tx.query(`DELETE FROM lake_buffer WHERE (xid, seq) >= ($1::bigint, $2::bigint) AND (xid, seq) <= ($3::bigint, $4::bigint)`, [
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
    this.log.info({ batch: batch.id, events, files: written.length, bytes, ms: Date.now() - started }, 'lake: batch delivered');
    return { events, files: written.length, bytes };
  }

  /**
   * The batch's buffer rows as NDJSON lines (null: none), as they are: a
   * playback batch row stays one line with its per-event arrays, expanded
   * into events by DuckDB (writeLakeParquetFromBuffer), so PostgreSQL does
   * per-event work neither here nor in the capture.
   */
  private async readBatch(batch: Batch): Promise<string | null> {
    const r = await this.db.query<{ lines: string | null }>(
      `SELECT string_agg(row_to_json(b)::text, E'\n') AS lines
       FROM (SELECT event_id, event_time, received_at, kind, type, video_id, creator_id, user_id, device_id, watched_ms,
                    duration_ms, source, counted, stage, ok, elapsed_ms, bytes, attrs::text AS attrs, n_events, event_times,
                    event_offsets_ms,
                    types, video_ids, creator_ids, watched_ms_list, duration_ms_list, sources
             FROM lake_buffer WHERE (xid, seq) >= ($1::bigint, $2::bigint) AND (xid, seq) <= ($3::bigint, $4::bigint)) b`,
      [batch.fromXid, batch.fromSeq, batch.toXid, batch.toSeq],
    );
    return r.rows[0]?.lines ?? null;
  }

  /** How much the buffer holds, cheaply (bounded index scans). */
  async depth(): Promise<BufferDepth> {
    // Events of the oldest DEPTH_SCAN rows, in index order; a fuller buffer is extrapolated from the ends of the
    // index (seq grows with insertion, so their difference bounds the row count) at those rows' events per row.
    const r = await this.db.query<{
      rows: string | number;
      events: string | number;
      lo: string | number | null;
      hi: string | number | null;
      oldest: Date | null;
    }>(
      `SELECT count(*) AS rows, coalesce(sum(f.n_events), 0) AS events, min(f.seq) AS lo,
              (SELECT max(seq) FROM (SELECT seq FROM lake_buffer ORDER BY xid DESC, seq DESC LIMIT 1000) t) AS hi,
              (SELECT received_at FROM lake_buffer ORDER BY xid, seq LIMIT 1) AS oldest
       FROM (SELECT seq, n_events FROM lake_buffer ORDER BY xid, seq LIMIT ${DEPTH_SCAN}) f`,
    );
    const row = r.rows[0];
    const rows = Number(row?.rows ?? 0);
    if (!row || rows === 0) return { events: 0, oldestSec: 0 };
    let events = Number(row.events);
    if (rows === DEPTH_SCAN && row.lo !== null && row.hi !== null) {
      events = Math.max(events, Math.round(((Number(row.hi) - Number(row.lo) + 1) * events) / rows));
    }
    const oldestSec = row.oldest ? Math.max(0, (this.now().getTime() - row.oldest.getTime()) / 1000) : 0;
    return { events, oldestSec };
  }
}
