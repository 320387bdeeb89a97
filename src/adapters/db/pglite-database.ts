import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { Database, QueryResult, SqlExecutor } from '../../ports/database.js';
import type { ScriptExecutor } from './migrate.js';

/**
 * Type conventions shared by both database adapters (the contract suite pins
 * them): int8 → number (a string beyond 2^53, never a bigint, so rows stay
 * JSON-safe), numeric → string, date → 'YYYY-MM-DD' string (no time-zone
 * shift), timestamptz → Date, json/jsonb → parsed value.
 */
export const typeParsers = {
  [types.INT8]: (value: string): number | string => {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  },
  [types.DATE]: (value: string): string => value,
};

interface ActiveTransaction {
  db: PgliteDatabase;
  open: boolean;
}

const transactionScope = new AsyncLocalStorage<ActiveTransaction>();

/**
 * The embedded database directory is held by another live process (or
 * already open in this one): an expected condition, reported without a stack.
 */
export class DatabaseInUseError extends Error {
  constructor(
    message: string,
    readonly dir: string,
    readonly pid: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DatabaseInUseError';
  }
}

/**
 * Database over PGlite (PostgreSQL compiled to WASM), the embedded default.
 *
 * PGlite is a single connection. It already serialises work: a query issued
 * outside a running transaction waits until that transaction ends, so it can
 * never interleave into it. The flip side is that calling `db.query` or
 * `db.transaction` from inside a transaction callback (instead of using `tx`)
 * would wait forever; this adapter detects that and throws instead.
 */
export class PgliteDatabase implements Database {
  readonly dialect = 'pglite' as const;
  private closed = false;

  private constructor(
    private readonly pg: PGlite,
    private readonly lockFile: string | null,
  ) {}

  /**
   * Opens (creating if needed) a database stored in `dir`, or an in-memory one
   * when `dir` is null (tests). A lock file beside the directory stops a
   * second process from opening the same files, which would corrupt them.
   */
  static async open(dir: string | null): Promise<PgliteDatabase> {
    if (dir === null) {
      return new PgliteDatabase(await PGlite.create({ parsers: typeParsers }), null);
    }
    const dataDir = resolve(dir);
    await mkdir(dataDir, { recursive: true });
    const lockFile = `${dataDir}.lock`;
    await acquireLockFile(lockFile);
    try {
      return new PgliteDatabase(await PGlite.create(dataDir, { parsers: typeParsers }), lockFile);
    } catch (err) {
      await rm(lockFile, { force: true });
      throw err;
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    this.assertUsable('query');
    return toResult(await this.pg.query<T>(sql, params ? [...params] : undefined));
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.assertUsable('transaction');
    const scope: ActiveTransaction = { db: this, open: true };
    try {
      return await this.pg.transaction((tx) => transactionScope.run(scope, () => fn(wrapTransaction(tx))));
    } finally {
      scope.open = false;
    }
  }

  async exec(sql: string): Promise<void> {
    this.assertUsable('exec');
    await this.pg.exec(sql);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pg.close();
    } finally {
      if (this.lockFile) await rm(this.lockFile, { force: true });
    }
  }

  private assertUsable(what: string): void {
    if (this.closed) throw new Error('PgliteDatabase is closed');
    const scope = transactionScope.getStore();
    if (scope?.open && scope.db === this) {
      throw new Error(
        `db.${what}() called inside a transaction callback: use the transaction's executor (tx) instead; ` +
          'PGlite has one connection, so this would wait for the transaction forever.',
      );
    }
  }
}

function wrapTransaction(tx: Transaction): ScriptExecutor {
  return {
    query: async <T = Record<string, unknown>>(sql: string, params?: readonly unknown[]) =>
      toResult(await tx.query<T>(sql, params ? [...params] : undefined)),
    exec: async (sql: string) => {
      await tx.exec(sql);
    },
  };
}

function toResult<T>(result: { rows: T[]; affectedRows?: number }): QueryResult<T> {
  // PGlite reports affectedRows for writes and 0 for SELECT; node-postgres'
  // rowCount is the row count in both cases.
  return { rows: result.rows, rowCount: Math.max(result.rows.length, result.affectedRows ?? 0) };
}

async function acquireLockFile(lockFile: string): Promise<void> {
  await mkdir(dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        const dir = lockFile.slice(0, -'.lock'.length);
        throw new DatabaseInUseError(
          `The embedded database at ${dir} is in use by process ${pid}. ` +
            'Stop it first, or set DATABASE_URL to share a PostgreSQL server between processes.',
          dir,
          pid,
          { cause: err },
        );
      }
      if (pid === process.pid) {
        const dir = lockFile.slice(0, -'.lock'.length);
        throw new DatabaseInUseError(`The embedded database ${dir} is already open in this process.`, dir, pid, { cause: err });
      }
      await rm(lockFile, { force: true }); // left behind by a process that died
    }
  }
  throw new Error(`Could not lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
