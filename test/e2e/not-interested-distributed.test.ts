import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { NOT_INTERESTED_ENV, notInterestedSuite } from './not-interested.suite.js';

/** The same suite on PostgreSQL and Redis (skipped, like the other distributed suites, where they are not running). */
if ((await postgresAvailable()) && (await redisAvailable())) {
  notInterestedSuite('not interested (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(false, NOT_INTERESTED_ENV));
}
