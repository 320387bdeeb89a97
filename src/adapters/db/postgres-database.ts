import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { Database, QueryOptions, QueryResult, SqlExecutor } from '../../ports/database.js';
import { consoleLogger, type AdapterLogger } from '../logger.js';
import type { ScriptExecutor } from './migrate.js';

export interface PostgresDatabaseOptions {
  /** Most pooled connections. Default 10. */
  maxConnections?: number;
  /** Server-side limit on one statement (SQLSTATE 57014 when hit); 0 = none. Default 30 s. */
  statementTimeoutMs?: number;
  /** Server-side limit on waiting for a lock (SQLSTATE 55P03); 0 = none. Default 0. */
  lockTimeoutMs?: number;
  /** The server ends a session left idle inside a transaction this long; 0 = never. Default 60 s. */
  idleInTransactionTimeoutMs?: number;
  /** How long to wait for a new connection, or for a free one from a full pool. Default 10 s. */
  connectionTimeoutMs?: number;
  /** An idle pooled connection is closed after this long. Default 30 s. */
  idleTimeoutMs?: number;
  /**
   * Session time zone, UTC by default as in PGlite, so date arithmetic in SQL
   * (`now()::date`, `date_trunc`) agrees between profiles. null keeps the
   * server's setting. A connection string's own `options` take precedence.
   */
  timeZone?: string | null;
  applicationName?: string;
  logger?: AdapterLogger;
}

/** pg_type OIDs whose text form is parsed differently from node-postgres' defaults. */
const OID = {
  INT8: 20,
  DATE: 1082,
  INTERVAL: 1186,
  TEXT_ARRAY: 1009,
  INT8_ARRAY: 1016,
  DATE_ARRAY: 1182,
  INTERVAL_ARRAY: 1187,
  NUMERIC_ARRAY: 1231,
} as const;

const int8 = (value: string): number | string => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
};

type Parser = (value: string) => unknown;

const defaultParser = (oid: number): Parser => (pg.types.getTypeParser as (oid: number, format: 'text') => Parser)(oid, 'text');

const parseTextArray = defaultParser(OID.TEXT_ARRAY);

function mapArray(value: unknown, fn: (element: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((element) => mapArray(element, fn));
  return value === null ? null : fn(value as string);
}

/**
 * The same JS types as PgliteDatabase (see its `typeParsers`; the database
 * contract pins them): int8 → number (a string beyond 2^53), date →
 * 'YYYY-MM-DD', numeric → string, timestamptz → Date, json/jsonb parsed.
 * Arrays follow their element type (node-postgres would turn int8[] into
 * strings, date[] into Dates and numeric[] into floats), and interval stays
 * PostgreSQL's text, as PGlite returns it. Per pool, never global: another
 * user of `pg` in the process keeps its own parsers.
 */
const overrides: Record<number, Parser> = {
  [OID.INT8]: int8,
  [OID.DATE]: (value) => value,
  [OID.INTERVAL]: (value) => value,
  [OID.INT8_ARRAY]: (value) => mapArray(parseTextArray(value), int8),
  [OID.DATE_ARRAY]: parseTextArray,
  [OID.INTERVAL_ARRAY]: parseTextArray,
  [OID.NUMERIC_ARRAY]: parseTextArray,
};

export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const override = (format ?? 'text') === 'text' ? overrides[oid] : undefined;
    if (override) return override;
    return (pg.types.getTypeParser as (oid: number, format: 'text' | 'binary') => unknown)(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

interface ActiveTransaction {
  db: PostgresDatabase;
  open: boolean;
}

const transactionScope = new AsyncLocalStorage<ActiveTransaction>();

/**
 * Database over a PostgreSQL server through a `pg` connection pool (the
 * distributed profile). Every transaction runs on one pooled connection
 * (BEGIN … COMMIT, ROLLBACK when the callback throws), so queries from
 * elsewhere never join it.
 *
 * As in PgliteDatabase, calling `db.query`/`db.transaction` from inside a
 * transaction callback instead of using `tx` throws: on PGlite it would wait
 * forever, here it would silently run outside the transaction and can
 * exhaust the pool (every connection held by a transaction that waits for
 * one more). Failing the same way in both profiles keeps such code from
 * passing in one and breaking in the other.
 */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  private closed = false;
  /** Open connections; `close` waits until the pool has really closed them. */
  private readonly connections = new Set<pg.PoolClient>();
  private allRemoved: (() => void) | null = null;

  private constructor(private readonly pool: pg.Pool) {}

  /**
   * Opens a pool for `url` (`postgres://user:pass@host:port/db?sslmode=…`)
   * and checks that the server answers, so a wrong URL fails at start-up
   * with the server's own message rather than on the first request.
   */
  static async open(url: string, opts: PostgresDatabaseOptions = {}): Promise<PostgresDatabase> {
    const logger = opts.logger ?? consoleLogger;
    const timeZone = opts.timeZone === undefined ? 'UTC' : opts.timeZone;
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.maxConnections ?? 10,
      statement_timeout: opts.statementTimeoutMs ?? 30_000,
      lock_timeout: opts.lockTimeoutMs ?? 0,
      idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 60_000,
      connectionTimeoutMillis: opts.connectionTimeoutMs ?? 10_000,
      idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
      application_name: opts.applicationName ?? 'curta',
      ...(timeZone ? { options: `-c TimeZone=${timeZone}` } : {}),
      types: pgTypes,
      keepAlive: true,
    });
    // An idle connection that dies (server restart, network) is reported
    // here; without a listener it would crash the process.
    pool.on('error', (err) => logger.error({ err }, 'idle PostgreSQL connection failed'));
    const db = new PostgresDatabase(pool);
    pool.on('connect', (client) => db.connections.add(client));
    pool.on('remove', (client) => {
      db.connections.delete(client);
      if (db.connections.size === 0) db.allRemoved?.();
    });
    try {
      await db.ping();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return db;
  }

  /** Statement names this process stopped preparing: a migration changed what they return (see query). */
  private readonly unprepared = new Set<string>();

  async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
    this.assertUsable('query');
    const name = opts?.prepare && !this.unprepared.has(opts.prepare) ? opts.prepare : undefined;
    try {
      return toResult(await this.pool.query(queryConfig(sql, params, name)));
    } catch (err) {
      // A migration run by another process (a rolling upgrade) changed a table a cached `*` statement reads:
      // PostgreSQL refuses the cached plan. Run it unprepared, here and from now on in this process.
      if (!name || !isCachedPlanChange(err)) throw err;
      this.unprepared.add(name);
      return toResult(await this.pool.query(queryConfig(sql, params, undefined)));
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.assertUsable('transaction');
    const client = await this.pool.connect();
    const scope: ActiveTransaction = { db: this, open: true };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const tx = wrapClient(client, scope);
      const result = await transactionScope.run(scope, () => fn(tx));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // The connection is unusable (it died mid-transaction): drop it from the pool.
        broken = rollbackErr as Error;
      }
      throw err;
    } finally {
      scope.open = false;
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    this.assertUsable('exec');
    // Without parameters node-postgres uses the simple protocol: several statements are fine.
    await this.pool.query(sql);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // pool.end() resolves once no client is checked out, before their
    // sockets have closed; wait for those too, so that after close() the
    // server has no session of ours left (a DROP DATABASE right after
    // close must not kill a connection still saying goodbye).
    const drained = new Promise<void>((resolve) => {
      if (this.connections.size === 0) resolve();
      else this.allRemoved = resolve;
    });
    await this.pool.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000).unref()))]);
    clearTimeout(timer);
  }

  private assertUsable(what: string): void {
    if (this.closed) throw new Error('PostgresDatabase is closed');
    const scope = transactionScope.getStore();
    if (scope?.open && scope.db === this) {
      throw new Error(
        `db.${what}() called inside a transaction callback: use the transaction's executor (tx) instead; ` +
          'it would run outside the transaction (and wait forever on the embedded database).',
      );
    }
  }
}

function wrapClient(client: pg.PoolClient, scope: ActiveTransaction): ScriptExecutor {
  const assertOpen = (): void => {
    if (!scope.open) throw new Error('This transaction has ended; its executor can no longer be used.');
  };
  return {
    // Never prepared inside a transaction: a refused cached plan there would abort it (see PostgresDatabase.query).
    query: async <T = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => {
      assertOpen();
      return toResult<T>(await client.query(queryConfig(sql, params, undefined)));
    },
    exec: async (sql: string) => {
      assertOpen();
      await client.query(sql);
    },
  };
}

/** A named statement is prepared once per connection by the driver (see QueryOptions.prepare). */
function queryConfig(sql: string, params: readonly unknown[] | undefined, name: string | undefined): pg.QueryConfig {
  return { text: sql, ...(params ? { values: [...params] } : {}), ...(name ? { name } : {}) };
}

/** SQLSTATE 0A000 "cached plan must not change result type". */
function isCachedPlanChange(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === '0A000' &&
    String((err as { message?: unknown }).message).includes('cached plan must not change result type')
  );
}

function toResult<T>(result: pg.QueryResult | pg.QueryResult[]): QueryResult<T> {
  // A multi-statement string without parameters yields one result per
  // statement; the last one is what a caller of query() means.
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  const rows = (last?.rows ?? []) as T[];
  return { rows, rowCount: Math.max(rows.length, last?.rowCount ?? 0) };
}
