import { afterAll } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { s3AppEnv, startS3Server, useS3Credentials, type S3TestServer } from '../support/s3.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { LAKE_TEST_ENV, lakeIngestSuite } from './lake-ingest.suite.js';

/** The same suite on PostgreSQL, Redis and S3 (s3rver), skipped like the other distributed suites where they are not running. */
if ((await postgresAvailable()) && (await redisAvailable())) {
  let s3: S3TestServer | null = null;
  let restoreCredentials: (() => void) | undefined;
  afterAll(async () => {
    await s3?.close();
    restoreCredentials?.();
  });
  lakeIngestSuite('lake ingest (distributed: PostgreSQL, Redis, S3)', async () => {
    s3 = await startS3Server();
    restoreCredentials = useS3Credentials(s3);
    return startDistributedTestApp(true, {
      ...LAKE_TEST_ENV,
      ...s3AppEnv(s3),
    });
  });
}
