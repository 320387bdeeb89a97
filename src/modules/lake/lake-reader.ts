import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import { ConcurrencyGate } from '../../lib/concurrency-gate.js';
import type { Database } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { sqlString, withDuckdb } from './duckdb.js';
import { parseLakeKey } from './lake-schema.js';

export interface LakeFile {
  key: string;
  dt: string;
  hour: number;
  events: number;
  bytes: number;
}

/** Inclusive range of partition dates (YYYY-MM-DD); open ends read everything. */
export interface DateRange {
  from?: string;
  to?: string;
}

/** One partition day of the manifest: its live files, summarised. */
export interface LakeDay {
  dt: string;
  files: number;
  events: number;
  /** A hash of the day's live keys: changes exactly when the day's file set does. */
  version: string;
}

/** Why a file of the manifest was left out of every query. */
export type SkipReason = 'missing' | 'unreadable' | 'foreign';

export interface LakeReaderStats {
  /** Files copied from the object store into the local cache. */
  fetches: number;
  /** Local-cache hits (a file already there). */
  cacheHits: number;
  /** Files dropped from the local cache to stay under its size bound. */
  evictions: number;
  /** Bytes the local cache holds now. */
  cacheBytes: number;
  /** Manifest files skipped (corrupt, foreign, missing), each counted once. */
  skippedFiles: number;
  skippedByReason: Record<SkipReason, number>;
}

export interface LakeReaderOptions {
  /** Local copies of lake files (S3-hosted lakes are read from here). */
  cacheDir: string;
  /** The cache's bound: least recently used files not in use go first. */
  cacheMaxBytes?: number;
  log?: Logger;
}

/**
 * Files copied from the store at once, at most. A query over a month of
 * un-compacted hours names thousands of files: fetched all at once they ran
 * the process out of file descriptors (EMFILE) and, taken for missing files,
 * were silently left out of a training run.
 */
export const FETCH_CONCURRENCY = 16;

/** Columns every reader relies on: a file without them is not one of ours. */
const REQUIRED_COLUMNS = ['event_id', 'event_time', 'kind', 'type'] as const;

interface CachedFile {
  path: string;
  bytes: number;
  lastUsed: number;
  pins: number;
  /** Pinned by its fetch until the first reader that waited for it takes the pin over (no eviction in between). */
  fetchPin: boolean;
}

/**
 * Reads the lake with DuckDB. Which files exist comes from the manifest
 * (lake_files, state 'live'), never from listing the prefix, so a compaction
 * in flight is never read twice. DuckDB's npm package has no httpfs (and
 * nothing can be downloaded at run time), so files are read from a local
 * cache (`cacheDir`, filled through the ObjectStore port: the same code for
 * the filesystem store and S3). Lake files never change once written, so a
 * cached copy stays valid until the manifest drops the key.
 *
 * The cache is bounded (`cacheMaxBytes`): least recently used files that no
 * query is reading are deleted first. Concurrent readers of one key share one
 * fetch. Every file is checked once before it is read (a Parquet footer with
 * the lake's columns); a corrupt, foreign or missing file is logged, counted
 * (`stats.skippedFiles`, /metrics `curta_lake_files_skipped`) and left out,
 * never failing a query. A fetch that fails for any other reason (the store
 * unreachable, the process out of file descriptors) fails the read instead:
 * leaving the file out would answer with part of the data as if it were all.
 * At most FETCH_CONCURRENCY fetches run at once.
 */
export class LakeReader {
  private readonly cacheDir: string;
  private readonly maxBytes: number;
  private readonly log: Logger | undefined;
  private readonly files = new Map<string, CachedFile>();
  private readonly inflight = new Map<string, Promise<string | null>>();
  private readonly skipped = new Map<string, SkipReason>();
  private readonly checked = new Set<string>();
  private readonly fetchGate = new ConcurrencyGate(FETCH_CONCURRENCY);
  private indexed: Promise<void> | null = null;
  private clock = 0;
  readonly stats: LakeReaderStats = {
    fetches: 0,
    cacheHits: 0,
    evictions: 0,
    cacheBytes: 0,
    skippedFiles: 0,
    skippedByReason: { missing: 0, unreadable: 0, foreign: 0 },
  };

  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    opts: LakeReaderOptions | string,
  ) {
    const o = typeof opts === 'string' ? { cacheDir: opts } : opts;
    this.cacheDir = o.cacheDir;
    this.maxBytes = o.cacheMaxBytes ?? 2 * 1024 ** 3;
    this.log = o.log;
  }

  /** The live files of the partitions in `range`, in key order. */
  async liveFiles(range: DateRange = {}): Promise<LakeFile[]> {
    const r = await this.db.query<{ key: string; dt: string; hour: number; events: number; bytes: string | number }>(
      `SELECT key, to_char(dt, 'YYYY-MM-DD') AS dt, hour, events, bytes FROM lake_files
       WHERE state = 'live' AND ($1::date IS NULL OR dt >= $1::date) AND ($2::date IS NULL OR dt <= $2::date)
       ORDER BY key`,
      [range.from ?? null, range.to ?? null],
    );
    return r.rows.map((row) => ({ ...row, bytes: Number(row.bytes) }));
  }

  /** The days of `range` that have live files, with a version per day (one small query; the manifest is the truth). */
  async days(range: DateRange = {}): Promise<LakeDay[]> {
    const r = await this.db.query<{ dt: string; files: string | number; events: string | number; version: string }>(
      `SELECT to_char(dt, 'YYYY-MM-DD') AS dt, count(*) AS files, sum(events) AS events, md5(string_agg(key, ',' ORDER BY key)) AS version
       FROM lake_files
       WHERE state = 'live' AND ($1::date IS NULL OR dt >= $1::date) AND ($2::date IS NULL OR dt <= $2::date)
       GROUP BY dt ORDER BY dt`,
      [range.from ?? null, range.to ?? null],
    );
    return r.rows.map((row) => ({ dt: row.dt, files: Number(row.files), events: Number(row.events), version: row.version }));
  }

  /** The newest event time in the lake (its freshness), or null when it is empty. */
  async through(): Promise<Date | null> {
    const r = await this.db.query<{ t: Date | string | null }>(`SELECT max(max_time) AS t FROM lake_files WHERE state = 'live'`);
    const t = r.rows[0]?.t ?? null;
    return t === null ? null : new Date(t);
  }

  /** Whether a key was skipped, and why. */
  skipReason(key: string): SkipReason | undefined {
    return this.skipped.get(key);
  }

  /** Marks a manifest file as unusable: logged and counted once, left out of every later read. */
  skip(key: string, reason: SkipReason, err?: unknown): void {
    if (this.skipped.has(key)) return;
    this.skipped.set(key, reason);
    this.stats.skippedFiles += 1;
    this.stats.skippedByReason[reason] += 1;
    this.log?.error({ key, reason, err }, 'lake: file skipped (not readable as a lake file)');
  }

  /**
   * Local paths of `keys` (fetched at most once each, checked once), pinned
   * against eviction until `release` is called. Skipped files are left out.
   */
  async acquire(keys: readonly string[]): Promise<{ paths: string[]; keys: string[]; release: () => void }> {
    await this.index();
    const settled = await Promise.allSettled(keys.map(async (key) => ({ key, path: await this.pin(key) })));
    const got = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    let ok = got.filter((g): g is { key: string; path: string } => g.path !== null);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.unpin(ok.map((g) => g.key));
      throw failed.reason;
    }
    // Files not checked yet: their footers read in one DuckDB query (one query per file costs more than the read itself).
    const unchecked = ok.filter((g) => !this.checked.has(g.key));
    if (unchecked.length > 0) {
      const bad = await this.check(unchecked);
      if (bad.size > 0) {
        for (const g of ok) {
          if (!bad.has(g.key)) continue;
          this.unpin([g.key]);
          this.drop(g.key);
        }
        ok = ok.filter((g) => !bad.has(g.key));
      }
    }
    let released = false;
    return {
      paths: ok.map((g) => g.path),
      keys: ok.map((g) => g.key),
      release: () => {
        if (released) return;
        released = true;
        this.unpin(ok.map((g) => g.key));
        void this.evict();
      },
    };
  }

  private unpin(keys: readonly string[]): void {
    for (const key of keys) {
      const f = this.files.get(key);
      if (f) f.pins = Math.max(0, f.pins - 1);
    }
  }

  /** A local path holding `key`'s bytes (fetched once); throws for a key that is not a lake file. */
  async localPath(key: string): Promise<string> {
    if (!parseLakeKey(key)) throw new Error(`not a lake file: ${key}`);
    const { paths, release } = await this.acquire([key]);
    release();
    if (paths.length === 0) throw new Error(`lake file skipped: ${key} (${this.skipped.get(key) ?? 'unknown'})`);
    return paths[0]!;
  }

  /**
   * Runs `sql` in DuckDB with `events` bound to the live, readable files of
   * `range` (hive partition columns dt and hour included). Returns plain JSON rows.
   */
  async query(sql: string, range: DateRange = {}): Promise<Array<Record<string, unknown>>> {
    const files = await this.liveFiles(range);
    const { paths, release } = await this.acquire(files.map((f) => f.key));
    try {
      return await withDuckdb(async (c) => {
        const source =
          paths.length === 0
            ? `(SELECT NULL::VARCHAR AS event_id WHERE false)`
            : `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = true, union_by_name = true)`;
        await c.run(`CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM ${source}`);
        const reader = await c.runAndReadAll(sql);
        return reader.getRowObjectsJson();
      });
    } finally {
      release();
    }
  }

  /**
   * Reads every column of every row of `path` once (what a query would), to
   * find the file that made a multi-file query fail. True when it reads.
   */
  async readsFully(key: string): Promise<boolean> {
    const f = this.files.get(key);
    if (!f) return false;
    try {
      await withDuckdb((c) => c.run(`SELECT sum(hash(COLUMNS(*))) FROM read_parquet(${sqlString(f.path)})`));
      return true;
    } catch (err) {
      this.skip(key, 'unreadable', err);
      return false;
    }
  }

  private async pin(key: string): Promise<string | null> {
    if (this.skipped.has(key)) return null;
    const cached = this.files.get(key);
    if (cached && this.checked.has(key)) {
      cached.pins += 1;
      cached.lastUsed = ++this.clock;
      this.stats.cacheHits += 1;
      return cached.path;
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetchAndCheck(key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const path = await p;
    const f = path === null ? undefined : this.files.get(key);
    if (!f) return null;
    if (f.fetchPin) f.fetchPin = false;
    else f.pins += 1;
    f.lastUsed = ++this.clock;
    return f.path;
  }

  private async fetchAndCheck(key: string): Promise<string | null> {
    if (!parseLakeKey(key)) {
      this.skip(key, 'foreign', new Error('not a lake key'));
      return null;
    }
    const path = join(this.cacheDir, key);
    let entry = this.files.get(key);
    if (entry) {
      this.stats.cacheHits += 1;
      entry.pins += 1;
      entry.fetchPin = true;
    } else {
      try {
        await this.fetchGate.run(async () => {
          await mkdir(dirname(path), { recursive: true });
          const tmp = `${path}.${process.pid}.${Date.now()}.part`;
          try {
            await this.store.getToFile(key, tmp);
            await rename(tmp, path);
          } catch (err) {
            await rm(tmp, { force: true });
            throw err;
          }
        });
      } catch (err) {
        // Gone from the store: skipped for good. Anything else may pass (a retry later reads it): the read fails.
        if (!(err instanceof AppError && err.code === 'object_not_found')) throw err;
        this.skip(key, 'missing', err);
        return null;
      }
      const bytes = (await stat(path)).size;
      entry = { path, bytes, lastUsed: ++this.clock, pins: 1, fetchPin: true };
      this.files.set(key, entry);
      this.stats.fetches += 1;
      this.stats.cacheBytes += bytes;
    }
    // Room for it: older files that no query reads go.
    await this.evict(key);
    return path;
  }

  /**
   * Checks `files` (a Parquet footer with the lake's columns): all at once,
   * and one at a time only when that fails (to find the file that made it
   * fail). Returns the keys skipped.
   */
  private async check(files: ReadonlyArray<{ key: string; path: string }>): Promise<Set<string>> {
    const bad = new Set<string>();
    let columns: Map<string, Set<string>> | null = null;
    if (files.length > 1) {
      columns = await withDuckdb(async (c) => {
        const r = await c.runAndReadAll(
          `SELECT file_name, list(name) AS names FROM parquet_schema([${files.map((f) => sqlString(f.path)).join(', ')}]) GROUP BY file_name`,
        );
        const out = new Map<string, Set<string>>();
        for (const [file, names] of r.getRows()) out.set(String(file), new Set((names as { items: unknown[] }).items.map(String)));
        return out;
      }).catch(() => null);
    }
    for (const f of files) {
      if (this.checked.has(f.key)) continue;
      const names = columns?.get(f.path);
      const problem = names ? missingColumns(names) : await checkLakeFile(f.path);
      if (problem) {
        this.skip(f.key, problem.reason, problem.err);
        bad.add(f.key);
      } else this.checked.add(f.key);
    }
    return bad;
  }

  private drop(key: string): void {
    const f = this.files.get(key);
    if (!f) return;
    this.files.delete(key);
    this.checked.delete(key);
    this.stats.cacheBytes -= f.bytes;
    void rm(f.path, { force: true });
  }

  /** Deletes least recently used, unpinned files until the cache fits its bound. */
  private async evict(keep?: string): Promise<void> {
    if (this.stats.cacheBytes <= this.maxBytes) return;
    const candidates = [...this.files.entries()]
      .filter(([k, f]) => f.pins === 0 && k !== keep)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key] of candidates) {
      if (this.stats.cacheBytes <= this.maxBytes) break;
      this.drop(key);
      this.stats.evictions += 1;
    }
  }

  /** Files a previous process left in the cache directory count against the bound (and are reused). */
  private index(): Promise<void> {
    this.indexed ??= (async () => {
      const walk = async (dir: string): Promise<void> => {
        const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
        for (const e of entries) {
          const p = join(dir, e.name);
          if (e.isDirectory()) await walk(p);
          else if (e.name.endsWith('.part')) await rm(p, { force: true });
          else {
            const key = relative(this.cacheDir, p).split(sep).join('/');
            if (!parseLakeKey(key) || this.files.has(key)) continue;
            const bytes = (await stat(p)).size;
            this.files.set(key, { path: p, bytes, lastUsed: 0, pins: 0, fetchPin: false });
            this.stats.cacheBytes += bytes;
          }
        }
      };
      await walk(join(this.cacheDir, 'lake'));
      await this.evict();
    })();
    return this.indexed;
  }
}

/** Null when `path` is a Parquet file with the lake's columns; otherwise why not. */
export async function checkLakeFile(path: string): Promise<{ reason: SkipReason; err: unknown } | null> {
  try {
    const names = await withDuckdb(async (c) => {
      const r = await c.runAndReadAll(`SELECT name FROM parquet_schema(${sqlString(path)})`);
      return new Set(r.getRowObjectsJson().map((row) => (typeof row.name === 'string' ? row.name : '')));
    });
    return missingColumns(names);
  } catch (err) {
    return { reason: 'unreadable', err };
  }
}

function missingColumns(names: ReadonlySet<string>): { reason: SkipReason; err: unknown } | null {
  const missing = REQUIRED_COLUMNS.filter((c) => !names.has(c));
  return missing.length > 0 ? { reason: 'foreign', err: new Error(`no column ${missing.join(', ')}`) } : null;
}
