import { randomBytes } from 'node:crypto';
import { createTestDatabase, TEST_REDIS_URL } from './services.js';
import { startTestApp, type TestApp } from './test-app.js';

/**
 * The real app on PostgreSQL (a fresh database, dropped on close) and Redis (a
 * logical database picked at random, so no other run's cached pages or
 * rankings are seen). Callers check postgresAvailable/redisAvailable first.
 */
export async function startDistributedTestApp(workers: boolean, env: Record<string, string> = {}): Promise<TestApp> {
  const { url, drop } = await createTestDatabase();
  const redis = new URL(TEST_REDIS_URL);
  redis.pathname = `/${1 + Math.floor(Math.random() * 15)}`;
  try {
    const t = await startTestApp(
      { DATABASE_URL: url, REDIS_URL: redis.toString(), CURTA_SIGNING_SECRET: randomBytes(32).toString('hex'), ...env },
      { workers },
    );
    return {
      ...t,
      async close() {
        await t.close();
        await drop();
      },
    };
  } catch (err) {
    await drop();
    throw err;
  }
}
