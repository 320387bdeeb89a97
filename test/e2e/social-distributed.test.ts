import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { discoverySuite } from './discovery.suite.js';
import { safetySuite } from './safety.suite.js';
import { socialSuite } from './social.suite.js';

/**
 * The social, discovery and safety suites again on PostgreSQL and Redis: real
 * concurrent transactions (PGlite runs one at a time), so this is where the
 * counters' exactness under concurrency is really at stake.
 */
const available = (await postgresAvailable()) && (await redisAvailable());

const startDistributed = (workers: boolean) => startDistributedTestApp(workers);

if (available) {
  socialSuite('social (distributed: PostgreSQL, Redis)', () => startDistributed(true));
  discoverySuite('discovery (distributed: PostgreSQL, Redis)', () => startDistributed(false));
  safetySuite('safety (distributed: PostgreSQL, Redis)', () => startDistributed(false));
}
