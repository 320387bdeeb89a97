import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database, SqlExecutor } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { sqlString, withDuckdb } from './duckdb.js';
import { LAKE_AGGREGATES_PREFIX } from './lake-aggregates.js';
import { BACKFILL_LOCK_KEY } from './lake-backfill.js';
import type { CompactionReport, ErasureRewrite, LakeMaintenance } from './lake-compaction.js';

/** Scans of the lake per erasure and run at most (a file compacted meanwhile is scanned again). */
const MAX_PASSES = 4;

export interface ErasureReport {
  /** Erasures finished by this run. */
  done: number;
  /** Erasures still waiting (a delivery batch that may hold their rows is not delivered yet). */
  waiting: number;
  /** Lake files rewritten, and rows left out of them. */
  files: number;
  events: number;
}

interface ErasureRow {
  id: string;
  user_id: string;
  device_ids: string[];
  since: Date | null;
  after_batch: string | null;
}

/**
 * Records the erasure of `userId`'s lake data, in the transaction that
 * deletes the account (before its events rows go: they name its devices).
 * In that same transaction: the account's and its devices' rows leave
 * lake_buffer (never delivered with the identity), rows about its videos
 * lose creator_id, and the anonymous OLTP events of its devices go too.
 * Taken under the backfill's lock (shared): no backfill step copies the
 * account's rows into the buffer behind this transaction's back.
 */
export async function requestLakeErasure(tx: SqlExecutor, userId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock_shared($1::bigint)', [BACKFILL_LOCK_KEY]);
  const r = await tx.query<{ device_ids: string[] }>(
    `INSERT INTO lake_erasures (user_id, device_ids, since)
     SELECT $1,
            coalesce((SELECT array_agg(DISTINCT device_id ORDER BY device_id) FROM events WHERE user_id = $1 AND device_id IS NOT NULL), '{}'),
            -- A playback event's time is the client's, up to 24 h before it was received: a margin of two days.
            (SELECT created_at - interval '2 days' FROM users WHERE id = $1)
     RETURNING device_ids`,
    [userId],
  );
  const devices = r.rows[0]!.device_ids;
  if (devices.length > 0) await tx.query('DELETE FROM events WHERE user_id IS NULL AND device_id = ANY($1::text[])', [devices]);
  await scrubBuffer(tx, userId, devices);
}

/** The account's rows out of lake_buffer, creator_id nulled where it is the account (idempotent). */
async function scrubBuffer(q: SqlExecutor, userId: string, devices: readonly string[]): Promise<void> {
  await q.query('DELETE FROM lake_buffer WHERE user_id = $1 OR device_id = ANY($2::text[])', [userId, devices]);
  await q.query('UPDATE lake_buffer SET creator_id = NULL WHERE creator_id = $1', [userId]);
  await q.query('UPDATE lake_buffer SET creator_ids = array_replace(creator_ids, $1, NULL) WHERE $1 = ANY(creator_ids)', [userId]);
}

/**
 * The lake's right to erasure (run by the lake maintenance job, asked for at
 * once by account deletion). Per pending erasure, oldest first:
 *
 * 1. lake_buffer is scrubbed again (idempotent), and the erasure waits until
 *    every delivery batch recorded before the job first saw it has been
 *    delivered (such a batch may have read the account's rows before the
 *    deletion committed; later ones cannot).
 * 2. The live files that can hold its rows (from the account's creation on)
 *    are read by DuckDB, three columns only (user_id, device_id, creator_id)
 *    with their file names: first the account's devices, then the files
 *    with a row of the account, of one of its devices, or naming it as
 *    creator.
 * 3. Each such partition's files are rewritten through the compaction's
 *    crash-safe steps (LakeMaintenance.rewriteForErasure): a new file
 *    without those rows (creator_id nulled in the rows others made about
 *    the account's videos), manifest swap in one transaction, old objects
 *    deleted after. A crash between writing and swapping, or between
 *    swapping and deleting, is finished by the next run: other users' rows
 *    exactly once.
 * 4. The day and month aggregates of the touched days are deleted from the
 *    object store (their new versions are built from the rewritten files:
 *    the day's file set changed), and the local cached copies of the
 *    replaced files removed. Then the erasure is 'done'.
 */
export class LakeErasure {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly maintenance: LakeMaintenance,
    private readonly log: Logger,
    /** LAKE_CACHE_DIR: local copies of replaced files are removed from there. */
    private readonly cacheDir: string | null = null,
  ) {}

  /** Erasures recorded and not finished. */
  async pending(): Promise<number> {
    const r = await this.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM lake_erasures WHERE state = 'pending'`);
    return Number(r.rows[0]?.n ?? 0);
  }

  async run(opts: { signal?: AbortSignal } = {}): Promise<ErasureReport> {
    const report: ErasureReport = { done: 0, waiting: 0, files: 0, events: 0 };
    const pending = await this.db.query<ErasureRow>(
      `SELECT id::text, user_id, device_ids, since, after_batch::text FROM lake_erasures WHERE state = 'pending' ORDER BY id`,
    );
    if (pending.rows.length === 0) return report;
    // What a crashed run left half-done first (its partitions are then free again).
    await this.maintenance.finishOpen(opts);
    for (const e of pending.rows) {
      if (opts.signal?.aborted) break;
      try {
        const r = await this.one(e, report, opts.signal);
        if (r === 'waiting') report.waiting++;
        else if (r === 'done') report.done++;
      } catch (err) {
        this.log.error({ err, erasure: e.id }, 'lake: erasure failed (the next run tries again)');
        await this.db.query(`UPDATE lake_erasures SET attempts = attempts + 1, error = $2 WHERE id = $1`, [
          e.id,
          (err instanceof Error ? err.message : String(err)).slice(0, 500),
        ]);
      }
    }
    return report;
  }

  private async one(e: ErasureRow, report: ErasureReport, signal?: AbortSignal): Promise<'done' | 'waiting' | 'aborted'> {
    const id = Number(e.id);
    await scrubBuffer(this.db, e.user_id, e.device_ids);
    // Seen now, after the deletion committed: a batch recorded from here on reads the scrubbed buffer.
    const after =
      e.after_batch ??
      (
        await this.db.query<{ b: string }>(
          `UPDATE lake_erasures SET after_batch = coalesce(after_batch, (SELECT coalesce(max(id), 0) FROM lake_batches))
           WHERE id = $1 RETURNING after_batch::text AS b`,
          [id],
        )
      ).rows[0]!.b;
    const open = await this.db.query(`SELECT 1 FROM lake_batches WHERE delivered_at IS NULL AND id <= $1::bigint LIMIT 1`, [after]);
    if (open.rows.length > 0) return 'waiting';
    let devices = e.device_ids;
    const touched = new Set<string>();
    let files = 0;
    let events = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      if (signal?.aborted) return 'aborted';
      const scan = await this.scan(e.user_id, devices, e.since);
      if (scan.devices.some((d) => !devices.includes(d))) {
        devices = [...new Set([...devices, ...scan.devices])].sort();
        await this.db.query(`UPDATE lake_erasures SET device_ids = $2::text[] WHERE id = $1`, [id, devices]);
        await scrubBuffer(this.db, e.user_id, devices);
      }
      if (scan.parts.length === 0) {
        await this.forgetAggregates([...touched]);
        await this.db.query(
          `UPDATE lake_erasures SET state = 'done', finished_at = now(), files = files + $2, events = events + $3, error = NULL WHERE id = $1`,
          [id, files, events],
        );
        report.files += files;
        report.events += events;
        this.log.info({ erasure: id, files, events }, 'lake: erasure done');
        return 'done';
      }
      const r: CompactionReport = { compacted: 0, merged: 0, failed: 0, erased: 0 };
      await this.maintenance.rewriteForErasure(id, scan.parts, r);
      for (const p of scan.parts) touched.add(p.dt);
      files += r.merged;
      events += r.erased;
      await this.dropCached(scan.parts.flatMap((p) => p.sources));
    }
    await this.db.query(`UPDATE lake_erasures SET files = files + $2, events = events + $3 WHERE id = $1`, [id, files, events]);
    report.files += files;
    report.events += events;
    return 'waiting';
  }

  /** The account's devices seen in the lake, and the partitions with files holding its rows. */
  private async scan(
    userId: string,
    devices: readonly string[],
    since: Date | null,
  ): Promise<{ devices: string[]; parts: ErasureRewrite[] }> {
    const live = await this.db.query<{ key: string; dt: string; hour: number }>(
      `SELECT key, to_char(dt, 'YYYY-MM-DD') AS dt, hour FROM lake_files
       WHERE state = 'live' AND ($1::timestamptz IS NULL OR max_time >= $1::timestamptz) ORDER BY key`,
      [since],
    );
    if (live.rows.length === 0) return { devices: [], parts: [] };
    const dir = await mkdtemp(join(tmpdir(), 'curta-lake-erase-'));
    try {
      const byPath = new Map<string, { key: string; dt: string; hour: number }>();
      for (const [i, f] of live.rows.entries()) {
        const p = join(dir, `f${i}.parquet`);
        await this.store.getToFile(f.key, p);
        byPath.set(p, f);
      }
      const list = `[${[...byPath.keys()].map(sqlString).join(', ')}]`;
      const user = sqlString(userId);
      const devs = devices.length > 0 ? `[${devices.map(sqlString).join(', ')}]::VARCHAR[]` : `[]::VARCHAR[]`;
      const rows = await withDuckdb(async (c) => {
        const src = `read_parquet(${list}, filename = true, union_by_name = true)`;
        const found = await c.runAndReadAll(
          `SELECT DISTINCT device_id FROM (SELECT user_id, device_id FROM ${src}) WHERE user_id = ${user} AND device_id IS NOT NULL`,
        );
        const seen = (found.getRowObjectsJS() as Array<{ device_id: string }>).map((r) => r.device_id);
        const all = [...new Set([...devices, ...seen])];
        const allList = all.length > 0 ? `[${all.map(sqlString).join(', ')}]::VARCHAR[]` : devs;
        const hits = await c.runAndReadAll(
          `SELECT DISTINCT filename FROM (SELECT user_id, device_id, creator_id, filename FROM ${src})
           WHERE user_id = ${user} OR creator_id = ${user} OR list_contains(${allList}, device_id)`,
        );
        return { seen, files: (hits.getRowObjectsJS() as Array<{ filename: string }>).map((r) => r.filename) };
      });
      const parts = new Map<string, ErasureRewrite>();
      for (const path of rows.files) {
        const f = byPath.get(path);
        if (!f) continue;
        const k = `${f.dt}/${f.hour}`;
        let p = parts.get(k);
        if (!p) parts.set(k, (p = { dt: f.dt, hour: f.hour, sources: [] }));
        p.sources.push(f.key);
      }
      return { devices: rows.seen, parts: [...parts.values()] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The shared day and month aggregates of these days: rebuilt from the rewritten files when next wanted. */
  private async forgetAggregates(dts: readonly string[]): Promise<void> {
    const ids = new Set<string>();
    for (const dt of dts) {
      ids.add(`dt=${dt}`);
      ids.add(`month=${dt.slice(0, 7)}`);
    }
    for (const id of ids) await this.store.deletePrefix(`${LAKE_AGGREGATES_PREFIX}${id}/`);
  }

  /** This machine's cached copies of replaced files (another machine's go with its cache's eviction). */
  private async dropCached(keys: readonly string[]): Promise<void> {
    if (!this.cacheDir) return;
    for (const key of keys) await rm(join(this.cacheDir, key), { force: true });
  }
}
