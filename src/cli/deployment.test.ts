import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { describeDeployment, redactUrl } from './deployment.js';

describe('describeDeployment', () => {
  it('names the embedded parts', () => {
    const d = describeDeployment(loadConfig({ CURTA_DATA_DIR: '/srv/curta' }));
    expect(d.database).toBe('PGlite (embedded) /srv/curta/db');
    expect(d.storage).toBe('filesystem /srv/curta/objects');
    expect(d.cache).toMatch(/^in-process \(\d+ MiB\)$/);
    expect(d.queue).toBe('PGlite jobs table');
  });

  it('names the distributed parts without their credentials', () => {
    const d = describeDeployment(
      loadConfig({
        CURTA_DATA_DIR: '/srv/curta',
        DATABASE_URL: 'postgres://curta:hunter2@db.internal:5432/curta',
        CURTA_SIGNING_SECRET: 'x'.repeat(32),
        REDIS_URL: 'redis://:sekret@cache.internal:6379/0',
        S3_BUCKET: 'videos',
        S3_ENDPOINT: 'http://minio:9000',
      }),
    );
    expect(d.database).toBe('PostgreSQL postgres://db.internal:5432/curta');
    expect(d.cache).toBe('Redis redis://cache.internal:6379/0');
    expect(d.storage).toBe('S3 bucket videos at http://minio:9000');
    expect(d.queue).toBe('PostgreSQL jobs table');
    expect(JSON.stringify(d)).not.toMatch(/hunter2|sekret/);
  });

  it('does not echo a URL it cannot parse', () => {
    expect(redactUrl('not a url with password')).toBe('(unparseable URL)');
  });
});
