import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { startTestApp } from '../support/test-app.js';
import { forYouSuite } from './for-you.suite.js';

/** Model versions are looked for every second, so the suite sees a new one promptly. */
const ENV = { RECS_MODEL_POLL_SEC: '1' };

forYouSuite('For You (embedded: PGlite, in-process cache)', () => startTestApp(ENV, { workers: false }));

if ((await postgresAvailable()) && (await redisAvailable())) {
  forYouSuite('For You (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(false, ENV));
}
