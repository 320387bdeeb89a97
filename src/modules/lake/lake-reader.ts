import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

/**
 * Reads the lake with DuckDB. Which files exist comes from the manifest
 * (lake_files, state 'live'), never from listing the prefix, so a compaction
 * in flight is never read twice. Files are read from a local cache
 * (`cacheDir`, filled through the ObjectStore port: the same code for the
 * filesystem store and S3; lake files never change once written, so a cached
 * copy stays valid until the manifest drops the key).
 */
export class LakeReader {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly cacheDir: string,
  ) {}

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

  /** A local path holding `key`'s bytes (fetched once). */
  async localPath(key: string): Promise<string> {
    if (!parseLakeKey(key)) throw new Error(`not a lake file: ${key}`);
    const path = join(this.cacheDir, key);
    const present = await stat(path).then(
      () => true,
      () => false,
    );
    if (!present) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.${Date.now()}.part`;
      await this.store.getToFile(key, tmp);
      await rename(tmp, path);
    }
    return path;
  }

  /**
   * Runs `sql` in DuckDB with `events` bound to the live files of `range`
   * (hive partition columns dt and hour included). Returns plain JSON rows.
   */
  async query(sql: string, range: DateRange = {}): Promise<Array<Record<string, unknown>>> {
    const files = await this.liveFiles(range);
    const paths = await Promise.all(files.map((f) => this.localPath(f.key)));
    return withDuckdb(async (c) => {
      const source =
        paths.length === 0
          ? `(SELECT NULL::VARCHAR AS event_id WHERE false)`
          : `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = true, union_by_name = true)`;
      await c.run(`CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM ${source}`);
      const reader = await c.runAndReadAll(sql);
      return reader.getRowObjectsJson();
    });
  }
}
