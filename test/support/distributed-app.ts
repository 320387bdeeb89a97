import { randomBytes } from 'node:crypto';
import { createTestDatabase, sharedRedisUrl } from './services.js';
import { startTestApp, type TestApp } from './test-app.js';

/**
 * The real app on PostgreSQL (a fresh database, dropped on close) and Redis (one
 * of the shared logical databases, picked at random: services.ts sharedRedisUrl). Callers check postgresAvailable/redisAvailable first.
 */
export async function startDistributedTestApp(workers: boolean, env: Record<string, string> = {}): Promise<TestApp> {
  const { url, drop } = await createTestDatabase();
  const redis = sharedRedisUrl();
  try {
    const t = await startTestApp(
      { DATABASE_URL: url, REDIS_URL: redis, CURTA_SIGNING_SECRET: randomBytes(32).toString('hex'), ...env },
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
