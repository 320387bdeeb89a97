import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { startTestApp } from '../support/test-app.js';
import { publishingSuite } from './publishing.suite.js';

/** Drafts, scheduled publishing, the cover chosen up front and creator stats, on both profiles. */
publishingSuite('publishing (embedded: PGlite, in-process cache)', () => startTestApp());

if ((await postgresAvailable()) && (await redisAvailable())) {
  publishingSuite('publishing (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(true));
}
