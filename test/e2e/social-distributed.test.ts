import { randomBytes } from 'node:crypto';
import { createTestDatabase, postgresAvailable, redisAvailable, TEST_REDIS_URL } from '../support/services.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { discoverySuite } from './discovery.suite.js';
import { safetySuite } from './safety.suite.js';
import { socialSuite } from './social.suite.js';

/**
 * The social, discovery and safety suites again on PostgreSQL and Redis: real
 * concurrent transactions (PGlite runs one at a time), so this is where the
 * counters' exactness under concurrency is really at stake.
 */
const available = (await postgresAvailable()) && (await redisAvailable());

async function startDistributed(workers: boolean): Promise<TestApp> {
  const { url, drop } = await createTestDatabase();
  // A Redis database of its own, so no other run's cached pages or rankings are seen.
  const redis = new URL(TEST_REDIS_URL);
  redis.pathname = `/${1 + Math.floor(Math.random() * 15)}`;
  try {
    const t = await startTestApp(
      { DATABASE_URL: url, REDIS_URL: redis.toString(), CURTA_SIGNING_SECRET: randomBytes(32).toString('hex') },
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

if (available) {
  socialSuite('social (distributed: PostgreSQL, Redis)', () => startDistributed(true));
  discoverySuite('discovery (distributed: PostgreSQL, Redis)', () => startDistributed(false));
  safetySuite('safety (distributed: PostgreSQL, Redis)', () => startDistributed(false));
}
