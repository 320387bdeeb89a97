import { afterAll } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { s3AppEnv, startS3Server, type S3TestServer } from '../support/s3.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { adminAnalyticsSuite } from './admin-analytics.suite.js';

/** The same suite on PostgreSQL, Redis and an S3 store (lake files and media read through the S3 adapter). */
if ((await postgresAvailable()) && (await redisAvailable())) {
  let s3: S3TestServer | undefined;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  adminAnalyticsSuite('admin analytics (distributed: PostgreSQL, Redis, S3)', async () => {
    s3 = await startS3Server();
    // The AWS SDK's default credential chain reads these (as in production).
    process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
    return startDistributedTestApp(false, {
      ...s3AppEnv(s3),
      RECONCILE_INTERVAL_SEC: '0',
      STORAGE_SWEEP_INTERVAL_SEC: '0',
    });
  });
  afterAll(async () => {
    await s3?.close();
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  });
}
