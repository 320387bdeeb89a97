import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { startTestApp } from '../support/test-app.js';
import { videoEditSuite } from './video-edit.suite.js';

/** The owner's edit on both profiles: embedded (PGlite, in-process cache) and PostgreSQL with Redis. */
videoEditSuite('video edit (embedded: PGlite, in-process cache)', () => startTestApp());

if ((await postgresAvailable()) && (await redisAvailable())) {
  videoEditSuite('video edit (distributed: PostgreSQL, Redis)', () => startDistributedTestApp(true));
}
