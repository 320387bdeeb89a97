import { afterAll } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { s3AppEnv, startS3Server, useS3Credentials, type S3TestServer } from '../support/s3.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { adminAnalyticsSuite } from './admin-analytics.suite.js';

/** The same suite on PostgreSQL, Redis and an S3 store (lake files and media read through the S3 adapter). */
if ((await postgresAvailable()) && (await redisAvailable())) {
  let s3: S3TestServer | undefined;
  let restoreCredentials: (() => void) | undefined;
  adminAnalyticsSuite('admin analytics (distributed: PostgreSQL, Redis, S3)', async () => {
    s3 = await startS3Server();
    restoreCredentials = useS3Credentials(s3);
    return startDistributedTestApp(false, {
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
