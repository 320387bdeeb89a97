import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { closeReason, rowsForBytes, type BufferHints, type BufferWindow } from './batching.js';
import { batchFileKey, LAKE_SCHEMA_VERSION } from './lake-schema.js';
import { writeLakeParquetFromNdjson } from './parquet-writer.js';

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
      // Deliverable rows (their transactions all ended), counted up to a batch, by index: cheap however full the buffer.
      const eligible = `FROM lake_buffer WHERE xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint ORDER BY xid, seq`;
      const stats = await tx.query<{ n: number; oldest: Date | null; avg: string | number | null }>(
        `SELECT (SELECT count(*)::int FROM (SELECT 1 ${eligible} LIMIT $1) w) AS n,
                (SELECT received_at ${eligible} LIMIT 1) AS oldest,
                (SELECT avg(pg_column_size(s.*)) FROM (SELECT * ${eligible} LIMIT 1000) s) AS avg`,
        [this.hints.maxEvents],
      );
      const { n, oldest } = stats.rows[0]!;
      const avg = Number(stats.rows[0]!.avg ?? 0);
      const window: BufferWindow = { events: n, bytes: Math.round(n * avg), oldest };
      const reason = closeReason(window, this.hints, this.now(), force);
      if (!reason) return null;
      const take = rowsForBytes(n, avg, this.hints.maxBytes);
      // Later rows can only come after these in key order (their xids are above this xmin): the range is fixed.
      const ends = await tx.query<{ xid: string; seq: string | number }>(
        `(SELECT xid::text, seq ${eligible} LIMIT 1) UNION ALL (SELECT xid::text, seq ${eligible} OFFSET $1 LIMIT 1)`,
        [take - 1],
      );
      // Sorted here: UNION ALL does not promise to keep its branches' order.
      const [first, last] = ends.rows.sort((a, b) => Number(BigInt(a.xid) - BigInt(b.xid)) || Number(a.seq) - Number(b.seq)) as [
        (typeof ends.rows)[0],
        (typeof ends.rows)[0],
      ];
      const ins = await tx.query<BatchRow>(
        `INSERT INTO lake_batches (from_xid, from_seq, to_xid, to_seq, events) VALUES ($1::bigint, $2, $3::bigint, $4, $5)
         RETURNING id, from_xid::text, from_seq, to_xid::text, to_seq, events`,
        [first.xid, first.seq, last.xid, last.seq, take],
      );
      return { batch: toBatch(ins.rows[0]!), reason };
    });
  }

  /** Writes the batch's files and commits it; idempotent. */
  private async deliver(batch: Batch): Promise<{ events: number; files: number; bytes: number }> {
    const started = Date.now();
    const parts = await this.readBatch(batch);
    const written: Array<{ key: string; dt: string; hour: number; events: number; bytes: number; min: Date; max: Date }> = [];
    const dir = await mkdtemp(join(tmpdir(), 'curta-lake-batch-'));
    try {
      for (const part of parts) {
        const key = batchFileKey({ dt: part.dt, hour: part.hour }, batch.id);
        const ndjson = join(dir, `${part.dt}-${part.hour}.ndjson`);
        const path = join(dir, `${part.dt}-${part.hour}.parquet`);
        await writeFile(ndjson, part.lines);
        await writeLakeParquetFromNdjson(ndjson, path);
        const size = (await stat(path)).size;
        await this.store.putFile(key, path, { contentType: PARQUET_CONTENT_TYPE });
        written.push({ key, dt: part.dt, hour: part.hour, events: part.n, bytes: size, min: part.min_time, max: part.max_time });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const events = parts.reduce((s, p) => s + p.n, 0);
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
   * The batch's rows grouped by partition (UTC date and hour of event time),
   * each group as NDJSON lines with the lake's column names: PostgreSQL
   * writes them, so no row becomes a JavaScript object on the way.
   */
  private async readBatch(
    batch: Batch,
  ): Promise<Array<{ dt: string; hour: number; n: number; min_time: Date; max_time: Date; lines: string }>> {
    const r = await this.db.query<{ dt: string; hour: number; n: number; min_time: Date; max_time: Date; lines: string }>(
      `SELECT to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS dt, extract(hour FROM event_time AT TIME ZONE 'UTC')::int AS hour,
              count(*)::int AS n, min(event_time) AS min_time, max(event_time) AS max_time,
              string_agg(row_to_json(b)::text, E'\n') AS lines
       FROM (SELECT event_id, $5::int AS schema_version, event_time, received_at, kind, type, video_id, creator_id, user_id,
                    device_id, watched_ms, duration_ms, source, counted, stage, ok, elapsed_ms, bytes, attrs::text AS attrs
             FROM lake_buffer WHERE (xid, seq) >= ($1::bigint, $2::bigint) AND (xid, seq) <= ($3::bigint, $4::bigint)) b
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [batch.fromXid, batch.fromSeq, batch.toXid, batch.toSeq, LAKE_SCHEMA_VERSION],
    );
    return r.rows;
  }

  /** How much the buffer holds, cheaply (two index lookups and the oldest row). */
  async depth(): Promise<BufferDepth> {
    // The ends of the one index: seq grows with insertion, so their difference bounds the row count (no count(*) scan).
    const r = await this.db.query<{ lo: string | number | null; hi: string | number | null; oldest: Date | null }>(
      `SELECT f.seq AS lo, (SELECT max(seq) FROM (SELECT seq FROM lake_buffer ORDER BY xid DESC, seq DESC LIMIT 1000) t) AS hi,
              f.received_at AS oldest
       FROM (SELECT seq, received_at FROM lake_buffer ORDER BY xid, seq LIMIT 1) f`,
    );
    const row = r.rows[0];
    if (row?.lo == null || row.hi === null) return { events: 0, oldestSec: 0 };
    const oldestSec = row.oldest ? Math.max(0, (this.now().getTime() - row.oldest.getTime()) / 1000) : 0;
    return { events: Math.max(1, Number(row.hi) - Number(row.lo) + 1), oldestSec };
  }
}
