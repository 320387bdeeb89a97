import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { sqlString, withDuckdb } from './duckdb.js';
import { PARQUET_CONTENT_TYPE } from './lake-delivery.js';
import { compactedFileKey, LAKE_COLUMNS, LAKE_EVENTS_PREFIX, type LakePartition } from './lake-schema.js';

const COMPACTION_LOCK_KEY = 7_313_014_002;

interface CompactionRow {
  id: string | number;
  dt: string;
  hour: number;
  sources: string[];
  state: 'pending' | 'swapped';
  /** Set: an erasure's rewrite (lake-erasure.ts) — the merged file leaves out that erasure's rows. */
  erasure_id: string | number | null;
}

/** What an erasure's rewrite leaves out (rows of the user or of its devices) and anonymises (creator_id). */
export interface EraseFilter {
  userId: string;
  deviceIds: readonly string[];
}

/** A partition's files to rewrite for an erasure. */
export interface ErasureRewrite {
  dt: string;
  hour: number;
  sources: string[];
}

export interface CompactionReport {
  /** Partitions whose small files became one. */
  compacted: number;
  /** Files merged away. */
  merged: number;
  /** Compactions given up (a source unreadable, or changed meanwhile): the partition stays as it was. */
  failed: number;
  /** Erasure rewrites: rows left out of the rewritten files. */
  erased: number;
}

export interface LakeRetentionReport {
  /** Days (dt partitions) deleted. */
  partitions: number;
  files: number;
}

/** Test-only hooks (crash tests stop here). */
export interface CompactionHooks {
  afterMergedWritten?(id: number): Promise<void>;
  afterSwap?(id: number): Promise<void>;
}

/**
 * The lake's housekeeping: compaction (a partition's small delivery files
 * merged into one, so engines open few files) and retention (whole days
 * deleted past LAKE_RETENTION_DAYS).
 *
 * A compaction is crash-safe in four steps: recorded (its partition and
 * source files), merged file written under a key the compaction id decides,
 * manifest swapped in one transaction (sources 'replaced', merged 'live',
 * compaction 'swapped'), source objects deleted ('done'). A re-run finishes
 * whatever step a crash interrupted; readers follow the manifest, so they see
 * either the sources or the merged file, never both, never neither.
 */
export class LakeMaintenance {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly hooks: CompactionHooks = {},
  ) {}

  async compact(opts: { signal?: AbortSignal } = {}): Promise<CompactionReport> {
    const report = await this.finishOpen(opts);
    if (opts.signal?.aborted) return report;
    while (!opts.signal?.aborted) {
      const c = await this.record();
      if (!c) break;
      await this.finish(c, report);
    }
    return report;
  }

  /** Finishes whatever an interrupted run (a compaction's or an erasure's) left open. */
  async finishOpen(opts: { signal?: AbortSignal } = {}): Promise<CompactionReport> {
    const report: CompactionReport = { compacted: 0, merged: 0, failed: 0, erased: 0 };
    const open = await this.db.query<CompactionRow>(
      `SELECT id, to_char(dt, 'YYYY-MM-DD') AS dt, hour, sources, state, erasure_id FROM lake_compactions
       WHERE state IN ('pending', 'swapped') ORDER BY id`,
    );
    for (const c of open.rows) {
      if (opts.signal?.aborted) return report;
      await this.finish(c, report);
    }
    return report;
  }

  /**
   * An erasure's rewrites (lake-erasure.ts): each partition's listed files
   * rewritten without the erasure's rows, through the compaction's steps
   * (recorded, written under a new key, swapped, sources deleted), so a crash
   * anywhere is finished by the next run (finishOpen) and readers see either
   * the old files or the rewritten one. A partition with a compaction open,
   * or whose files changed meanwhile, is skipped: the caller scans again.
   * Returns the partitions rewritten.
   */
  async rewriteForErasure(erasureId: number, parts: readonly ErasureRewrite[], report: CompactionReport): Promise<number> {
    const recorded = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [COMPACTION_LOCK_KEY]);
      const rows: CompactionRow[] = [];
      for (const p of parts) {
        const sources = [...p.sources].sort();
        const ok = await tx.query(
          `SELECT 1 WHERE (SELECT count(*) FROM lake_files WHERE key = ANY($1::text[]) AND state = 'live') = cardinality($1::text[])
             AND NOT EXISTS (SELECT 1 FROM lake_compactions WHERE dt = $2::date AND hour = $3 AND state IN ('pending', 'swapped'))`,
          [sources, p.dt, p.hour],
        );
        if (ok.rows.length === 0) continue;
        const ins = await tx.query<CompactionRow>(
          `INSERT INTO lake_compactions (dt, hour, sources, erasure_id) VALUES ($1::date, $2, $3::text[], $4)
           RETURNING id, to_char(dt, 'YYYY-MM-DD') AS dt, hour, sources, state, erasure_id`,
          [p.dt, p.hour, sources, erasureId],
        );
        rows.push(ins.rows[0]!);
      }
      return rows;
    });
    let done = 0;
    for (const c of recorded) {
      const before = report.compacted;
      await this.finish(c, report);
      if (report.compacted > before) done++;
    }
    return done;
  }

  /**
   * Records the compaction of one partition that needs it: an hour already
   * over, with two or more live files, not tried before with these very files
   * (an unreadable one stays until someone looks: it is logged and counted).
   */
  private async record(): Promise<CompactionRow | null> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [COMPACTION_LOCK_KEY]);
      const r = await tx.query<{ dt: string; hour: number; sources: string[] }>(
        `WITH parts AS (
           SELECT dt, hour, array_agg(key ORDER BY key) AS sources FROM lake_files
           WHERE state = 'live' AND dt + make_interval(hours => hour + 1) <= $1::timestamptz AT TIME ZONE 'UTC'
           GROUP BY dt, hour HAVING count(*) > 1
         )
         SELECT to_char(p.dt, 'YYYY-MM-DD') AS dt, p.hour, p.sources FROM parts p
         WHERE NOT EXISTS (SELECT 1 FROM lake_compactions c
                           WHERE c.dt = p.dt AND c.hour = p.hour AND (c.state IN ('pending', 'swapped') OR c.sources = p.sources))
         ORDER BY p.dt, p.hour LIMIT 1`,
        [this.now()],
      );
      const p = r.rows[0];
      if (!p) return null;
      const ins = await tx.query<CompactionRow>(
        `INSERT INTO lake_compactions (dt, hour, sources) VALUES ($1::date, $2, $3::text[])
         RETURNING id, to_char(dt, 'YYYY-MM-DD') AS dt, hour, sources, state, erasure_id`,
        [p.dt, p.hour, p.sources],
      );
      return ins.rows[0]!;
    });
  }

  private async finish(c: CompactionRow, report: CompactionReport): Promise<void> {
    const id = Number(c.id);
    const partition: LakePartition = { dt: c.dt, hour: c.hour };
    const key = compactedFileKey(partition, id);
    if (c.state === 'pending') {
      const live = await this.db.query<{ events: number }>(`SELECT events FROM lake_files WHERE key = ANY($1::text[]) AND state = 'live'`, [
        c.sources,
      ]);
      if (live.rows.length !== c.sources.length) return this.abandon(id, key, 'sources changed', report);
      const expected = live.rows.reduce((s, row) => s + row.events, 0);
      const filter = c.erasure_id === null ? null : await this.eraseFilter(Number(c.erasure_id));
      let merged: { events: number; sourceEvents: number; bytes: number; min: Date; max: Date };
      try {
        merged = await this.merge(c.sources, key, filter);
      } catch (err) {
        this.log.error({ err, compaction: id, partition }, 'lake: compaction failed (a source file is unreadable?)');
        return this.abandon(id, key, err instanceof Error ? err.message : String(err), report);
      }
      // Every source row read, and (no erasure) every one written.
      if (merged.sourceEvents !== expected || (filter === null && merged.events !== expected)) {
        this.log.error({ compaction: id, expected, found: merged.sourceEvents }, 'lake: merged file does not hold every source event');
        return this.abandon(id, key, `merged ${merged.events} of ${expected} events`, report);
      }
      // An erasure that leaves nothing: no file, the sources just go.
      const empty = merged.events === 0;
      if (empty) await this.store.delete(key);
      await this.hooks.afterMergedWritten?.(id);
      const swapped = await this.db
        .transaction(async (tx) => {
          const rep = await tx.query(`UPDATE lake_files SET state = 'replaced' WHERE key = ANY($1::text[]) AND state = 'live'`, [
            c.sources,
          ]);
          if (rep.rowCount !== c.sources.length) throw new SourcesChanged();
          if (!empty) {
            await tx.query(
              `INSERT INTO lake_files (key, dt, hour, events, bytes, min_time, max_time) VALUES ($1, $2::date, $3, $4, $5, $6, $7)
           ON CONFLICT (key) DO UPDATE SET state = 'live', events = EXCLUDED.events, bytes = EXCLUDED.bytes`,
              [key, c.dt, c.hour, merged.events, merged.bytes, merged.min, merged.max],
            );
          }
          await tx.query(`UPDATE lake_compactions SET state = 'swapped' WHERE id = $1`, [id]);
          return true;
        })
        .catch((err: unknown) => {
          if (err instanceof SourcesChanged) return false;
          throw err;
        });
      if (!swapped) return this.abandon(id, key, 'sources changed', report);
      report.erased += merged.sourceEvents - merged.events;
      await this.hooks.afterSwap?.(id);
    }
    // Swapped: the sources are no longer read; their objects go, then their manifest rows.
    for (const s of c.sources) await this.store.delete(s);
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM lake_files WHERE key = ANY($1::text[]) AND state = 'replaced'`, [c.sources]);
      await tx.query(`UPDATE lake_compactions SET state = 'done', finished_at = now() WHERE id = $1`, [id]);
    });
    report.compacted++;
    report.merged += c.sources.length;
    this.log.info({ compaction: id, partition, files: c.sources.length }, 'lake: partition compacted');
  }

  private async abandon(id: number, key: string, error: string, report: CompactionReport): Promise<void> {
    // The merged file, if written, is listed nowhere: remove it (unless, against all odds, the manifest has it).
    const listed = await this.db.query(`SELECT 1 FROM lake_files WHERE key = $1`, [key]);
    if (listed.rows.length === 0) await this.store.delete(key);
    await this.db.query(`UPDATE lake_compactions SET state = 'abandoned', error = $2, finished_at = now() WHERE id = $1`, [
      id,
      error.slice(0, 500),
    ]);
    report.failed++;
  }

  private async eraseFilter(erasureId: number): Promise<EraseFilter> {
    const r = await this.db.query<{ user_id: string; device_ids: string[] }>(
      `SELECT user_id, device_ids FROM lake_erasures WHERE id = $1`,
      [erasureId],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`lake erasure ${erasureId} not found`);
    return { userId: row.user_id, deviceIds: row.device_ids };
  }

  /**
   * Merges the source files into one at `key`: every row (an erasure's:
   * but its rows, creator_id nulled where it is the erased user), sorted by
   * event time, the lake's columns in order.
   */
  private async merge(
    sources: readonly string[],
    key: string,
    erase: EraseFilter | null = null,
  ): Promise<{ events: number; sourceEvents: number; bytes: number; min: Date; max: Date }> {
    const dir = await mkdtemp(join(tmpdir(), 'curta-lake-compact-'));
    try {
      const paths: string[] = [];
      for (const [i, s] of sources.entries()) {
        const p = join(dir, `src-${i}.parquet`);
        await this.store.getToFile(s, p);
        paths.push(p);
      }
      const out = join(dir, 'merged.parquet');
      const user = erase ? sqlString(erase.userId) : null;
      const columns = LAKE_COLUMNS.map(([name, type]) =>
        name === 'creator_id' && user
          ? `CAST(CASE WHEN creator_id = ${user} THEN NULL ELSE creator_id END AS ${type}) AS creator_id`
          : `CAST(${name} AS ${type}) AS ${name}`,
      ).join(', ');
      const devices = erase && erase.deviceIds.length > 0 ? `[${erase.deviceIds.map(sqlString).join(', ')}]` : null;
      const where = user
        ? `WHERE user_id IS DISTINCT FROM ${user}${devices ? ` AND (device_id IS NULL OR NOT list_contains(${devices}, device_id))` : ''}`
        : '';
      const stats = await withDuckdb(async (db) => {
        const list = `[${paths.map(sqlString).join(', ')}]`;
        const read = await db.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet(${list}, union_by_name = true)`);
        const sourceEvents = Number(read.getRowObjectsJson()[0]!['n']);
        await db.run(
          `COPY (SELECT ${columns} FROM read_parquet(${list}, union_by_name = true) ${where} ORDER BY event_time, event_id)
           TO ${sqlString(out)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)`,
        );
        const r = await db.runAndReadAll(
          `SELECT count(*)::INTEGER AS n, epoch_ms(min(event_time))::DOUBLE AS lo, epoch_ms(max(event_time))::DOUBLE AS hi FROM read_parquet(${sqlString(out)})`,
        );
        const row = r.getRowObjectsJson()[0]!;
        return { events: Number(row['n']), sourceEvents, min: new Date(Number(row['lo'])), max: new Date(Number(row['hi'])) };
      });
      const bytes = (await stat(out)).size;
      await this.store.putFile(key, out, { contentType: PARQUET_CONTENT_TYPE });
      return { ...stats, bytes };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Deletes whole days older than `days` (UTC dates): manifest rows first
   * (readers stop seeing them), then every object under the day's prefix.
   * Days are found in the manifest and by listing the prefix, so a crash
   * between the two steps (objects left, rows gone) is finished next run.
   */
  async prune(days: number, opts: { signal?: AbortSignal } = {}): Promise<LakeRetentionReport> {
    const report: LakeRetentionReport = { partitions: 0, files: 0 };
    if (days <= 0) return report;
    const cutoff = new Date(Date.UTC(this.now().getUTCFullYear(), this.now().getUTCMonth(), this.now().getUTCDate()) - days * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const listed = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await this.store.listPage(LAKE_EVENTS_PREFIX, { delimiter: '/', ...(cursor ? { cursor } : {}) });
      for (const f of page.folders) {
        const m = /^lake\/events\/dt=(\d{4}-\d{2}-\d{2})\/$/.exec(f);
        if (m && m[1]! < cutoff) listed.add(m[1]!);
      }
      cursor = page.next;
    } while (cursor);
    const inManifest = await this.db.query<{ dt: string }>(
      `SELECT DISTINCT to_char(dt, 'YYYY-MM-DD') AS dt FROM lake_files WHERE dt < $1::date ORDER BY 1`,
      [cutoff],
    );
    const dts = [...new Set([...inManifest.rows.map((r) => r.dt), ...listed])].sort();
    for (const dt of dts) {
      if (opts.signal?.aborted) break;
      await this.db.transaction(async (tx) => {
        await tx.query(`DELETE FROM lake_files WHERE dt = $1::date`, [dt]);
        await tx.query(
          `UPDATE lake_compactions SET state = 'abandoned', error = 'partition expired', finished_at = now()
           WHERE dt = $1::date AND state IN ('pending', 'swapped')`,
          [dt],
        );
      });
      report.files += await this.store.deletePrefix(`${LAKE_EVENTS_PREFIX}dt=${dt}/`);
      report.partitions++;
    }
    if (report.partitions > 0) this.log.info({ ...report, before: cutoff }, 'lake: expired partitions deleted');
    return report;
  }
}

class SourcesChanged extends Error {}
