import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * DuckDB, embedded: the lake's writer and query engine (EMR/Athena's role).
 * The npm package bundles the parquet, json and icu extensions; nothing is
 * downloaded at run time (no httpfs: S3-hosted files are read through the
 * ObjectStore port into a local cache, see lake-reader.ts).
 *
 * One in-memory instance per process, created on first use; every caller
 * gets its own connection (DuckDB runs connections in parallel).
 */
let instance: Promise<DuckDBInstance> | null = null;
let serial: Promise<DuckDBInstance> | null = null;

export function duckdb(): Promise<DuckDBInstance> {
  instance ??= DuckDBInstance.create(':memory:', { threads: '2' }).catch((err: unknown) => {
    instance = null;
    throw err;
  });
  return instance;
}

/**
 * A second instance with one thread, for background work where CPU per row
 * matters more than latency (lake delivery): on a busy machine DuckDB's
 * parallel operators cost about a third more CPU for the same rows (measured
 * on two cores, bench/lake), and the events route and PostgreSQL need those cores.
 */
function serialDuckdb(): Promise<DuckDBInstance> {
  serial ??= DuckDBInstance.create(':memory:', { threads: '1' }).catch((err: unknown) => {
    serial = null;
    throw err;
  });
  return serial;
}

/** Runs `fn` on a fresh connection, closed afterwards (`serial`: on the one-thread instance). */
export async function withDuckdb<T>(fn: (c: DuckDBConnection) => Promise<T>, opts: { serial?: boolean } = {}): Promise<T> {
  const c = await (await (opts.serial ? serialDuckdb() : duckdb())).connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
  }
}

/** A string as a SQL literal (paths and keys passed to table functions, which take no parameters). */
export function sqlString(s: string): string {
  if (s.includes('\0')) throw new Error('NUL in a SQL string');
  return `'${s.replaceAll("'", "''")}'`;
}
