/** One SQL dialect (PostgreSQL); PGlite embedded, `pg` distributed. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * A hot statement (run on every request or batch) named for the server's
   * statement cache: PostgreSQL parses and plans it once per connection, then
   * runs its cached (generic) plan, instead of planning it on every call. One
   * name for one SQL text; only for statements whose result columns are
   * spelled out (a `*` would break on a column added by a migration while
   * the statement is cached). The embedded database ignores it.
   */
  prepare?: string;
}

export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>>;
}

export interface Database extends SqlExecutor {
  readonly dialect: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; rolls back if it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
