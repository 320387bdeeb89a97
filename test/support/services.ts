import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Where the distributed contract suites find their servers. Locally a missing
 * server skips the suite with one line saying what to start; in CI
 * (CI=true) it fails the run instead, so a broken CI machine can't pass by
 * testing nothing.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/**
 * Redis logical databases are split between two kinds of tests: single
 * in-process apps share 1–7 (a random one each, keys left to expire), and
 * multi-process clusters claim one of 8–15 for themselves (cluster.ts
 * claimRedisDatabase), so the shared ones can never use up every database a
 * cluster could claim.
 */
export const SHARED_REDIS_DBS = [1, 7] as const;
export const CLAIMABLE_REDIS_DBS = [8, 15] as const;

/** TEST_REDIS_URL on one of the shared logical databases, picked at random. */
export function sharedRedisUrl(): string {
  const url = new URL(TEST_REDIS_URL);
  const [lo, hi] = SHARED_REDIS_DBS;
  url.pathname = `/${lo + Math.floor(Math.random() * (hi - lo + 1))}`;
  return url.toString();
}

const PROBE_TIMEOUT_MS = 3000;

/** Errors that mean "nothing is listening there", as opposed to a server that answered badly. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT']);

function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; errors?: unknown[] } | null;
  if (e?.code && UNREACHABLE.has(e.code)) return true;
  if (Array.isArray(e?.errors) && e.errors.some(isUnreachable)) return true; // AggregateError (IPv4 + IPv6)
  return /timeout|timed out/i.test(e?.message ?? '');
}

/** Hides the password of a URL for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * Decides whether a suite that needs `service` runs. Returns true when
 * `probe` succeeds; when it fails because nothing answers, prints one line
 * (`hint` says what to start) and returns false, or throws under CI=true.
 * Any other failure (bad credentials, say) is thrown: that is a broken
 * setup, not a missing server.
 */
export async function serviceAvailable(service: string, where: string, hint: string, probe: () => Promise<void>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (err) {
    if (!isUnreachable(err)) throw err;
    const line = `skipping ${service} contract suite: no server at ${where} — ${hint}`;
    if (process.env.CI === 'true') {
      throw new Error(`${line.replace(/^skipping/, 'cannot run')} (CI=true: a missing server fails the run)`, { cause: err });
    }
    console.log(line);
    return false;
  }
}

export function postgresAvailable(url: string = TEST_DATABASE_URL): Promise<boolean> {
  return serviceAvailable('PostgreSQL', redact(url), 'start PostgreSQL or set TEST_DATABASE_URL', async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}

export function redisAvailable(url: string = TEST_REDIS_URL): Promise<boolean> {
  return serviceAvailable('Redis', redact(url), 'start Redis or set TEST_REDIS_URL', async () => {
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: PROBE_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    let socketError: unknown;
    redis.on('error', (err) => (socketError ??= err));
    try {
      await redis.connect().catch((err: unknown) => {
        throw socketError ?? err; // ECONNREFUSED rather than ioredis' "Connection is closed"
      });
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  });
}

/** A name no other run uses: `${prefix}_<pid>_<random>`, valid as an SQL identifier. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/**
 * Creates an empty database on the server of `adminUrl` for one test file
 * and returns its URL; `drop` removes it again (closing any connections the
 * test left open).
 */
export async function createTestDatabase(adminUrl: string = TEST_DATABASE_URL): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniqueName('curta_test');
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
