import { afterAll } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { s3AppEnv, startS3Server, useS3Credentials, type S3TestServer } from '../support/s3.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { ARCHIVE_TEST_ENV, archiveSuite } from './archive.suite.js';

/** The same suite on PostgreSQL, Redis and S3 (the test front modelling GLACIER: RestoreObject, x-amz-restore, a 2 s retrieval). */
if ((await postgresAvailable()) && (await redisAvailable())) {
  let s3: S3TestServer | undefined;
  let restoreCredentials: (() => void) | undefined;
  archiveSuite('cold archive (distributed: PostgreSQL, Redis, S3 GLACIER)', async () => {
    s3 = await startS3Server();
    s3.glacier.restoreDelayMs = 2000;
    restoreCredentials = useS3Credentials(s3);
    return startDistributedTestApp(true, {
      ...ARCHIVE_TEST_ENV,
      ...s3AppEnv(s3),
      RECONCILE_INTERVAL_SEC: '0',
      STORAGE_SWEEP_INTERVAL_SEC: '0',
    });
  });
  afterAll(async () => {
    await s3?.close();
    restoreCredentials?.();
  });
}
