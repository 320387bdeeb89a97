import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { viewerPagesSuite } from './viewer-pages.suite.js';

/** The viewer pages' API again on PostgreSQL and Redis (cached trending lists, rate-limit counters and rows live in Redis). */
const available = (await postgresAvailable()) && (await redisAvailable());

if (available) viewerPagesSuite('viewer pages API (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(false));
