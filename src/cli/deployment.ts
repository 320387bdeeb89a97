import type { LoadedConfig } from '../config/config.js';

/** host:port/path of a connection URL, without its credentials (they never reach a log line). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

/** What this process runs on, one part each: the start-up line and `curta --version --verbose` print it. */
export function describeDeployment(config: Readonly<LoadedConfig>): { database: string; storage: string; cache: string; queue: string } {
  const db = config.database;
  const st = config.storage;
  const cache = config.cache;
  return {
    database: db.kind === 'postgres' ? `PostgreSQL ${redactUrl(db.url)}` : `PGlite (embedded) ${db.dir}`,
    storage:
      st.kind === 's3'
        ? `S3 bucket ${st.bucket}${st.endpoint ? ` at ${redactUrl(st.endpoint)}` : ` (${st.region})`}`
        : `filesystem ${st.dir}`,
    cache: cache.kind === 'redis' ? `Redis ${redactUrl(cache.url)}` : `in-process (${mib(cache.maxBytes)})`,
    // Jobs live in the database (SKIP LOCKED on PostgreSQL): one queue for every profile.
    queue: db.kind === 'postgres' ? 'PostgreSQL jobs table' : 'PGlite jobs table',
  };
}
