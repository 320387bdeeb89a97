import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to embedded adapters under ./data on port 8080', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(8080);
    expect(c.http.publicBaseUrl).toBe('http://localhost:8080');
    expect(c.database.kind).toBe('pglite');
    expect(c.storage.kind).toBe('fs');
    expect(c.cache.kind).toBe('memory');
    expect(c.media.maxDurationSec).toBe(600);
    expect(Object.isFrozen(c) && Object.isFrozen(c.http)).toBe(true);
  });

  it('switches adapters by configuration alone', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://127.0.0.1/curta',
      REDIS_URL: 'redis://127.0.0.1',
      S3_BUCKET: 'videos',
      S3_ENDPOINT: 'http://127.0.0.1:9000/',
      S3_FORCE_PATH_STYLE: 'true',
      CURTA_SIGNING_SECRET: 's'.repeat(40),
      MEDIA_BASE_URL: 'https://cdn.example/',
    });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://127.0.0.1/curta', poolMax: 10, statementTimeoutMs: 30_000 });
    expect(c.cache.kind).toBe('redis');
    expect(c.storage).toEqual({
      kind: 's3',
      bucket: 'videos',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
    expect(c.mediaBaseUrl).toBe('https://cdn.example');
  });

  it('requires a shared signing secret once several processes share a database', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://127.0.0.1/curta' })).toThrow(/CURTA_SIGNING_SECRET/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://127.0.0.1/curta', CURTA_SIGNING_SECRET: 's'.repeat(40) })).toThrow(/DATABASE_URL/);
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'not a url' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => loadConfig({ VIDEO_MAX_DURATION_SEC: '-5' })).toThrow(/VIDEO_MAX_DURATION_SEC/);
    expect(() => loadConfig({ CURTA_SIGNING_SECRET: 'short' })).toThrow(/CURTA_SIGNING_SECRET/);
  });

  it('reads rate limits, the upload quota and the proxy trust, naming a bad value', () => {
    const d = loadConfig({});
    expect(d.rateLimits.signup).toEqual({ user: null, ip: { limit: 20, windowSec: 3600 } });
    expect(d.rateLimits.login.user).toEqual({ limit: 10, windowSec: 900 });
    expect(d.uploads).toMatchObject({ dailyCount: 50, dailyBytes: 20 * 1024 ** 3 });
    expect(d.http.trustProxy).toBe(false);
    const c = loadConfig({
      RATE_LIMIT_COMMENT_PER_USER: '5/30s',
      RATE_LIMIT_COMMENT_PER_IP: 'off',
      UPLOAD_DAILY_COUNT: '0',
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
    });
    expect(c.rateLimits.comment).toEqual({ user: { limit: 5, windowSec: 30 }, ip: null });
    expect(c.uploads.dailyCount).toBe(0);
    expect(c.http.trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(() => loadConfig({ RATE_LIMIT_LIKE_PER_USER: '100 a minute' })).toThrow(/RATE_LIMIT_LIKE_PER_USER/);
    expect(() => loadConfig({ TRUST_PROXY: 'nginx' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ UPLOAD_DAILY_BYTES: '-1' })).toThrow(/UPLOAD_DAILY_BYTES/);
  });

  it('bounds playback events per device, user and address, and keeps them as long as training reads them', () => {
    const d = loadConfig({});
    expect(d.rateLimits.events).toEqual({
      user: { limit: 120, windowSec: 60 },
      ip: { limit: 300, windowSec: 60 },
      device: { limit: 60, windowSec: 60 },
    });
    expect(d.events).toEqual({
      newDevicesPerIp: { limit: 20, windowSec: 86_400 },
      anonViewsPerIp: 5,
      writeConcurrency: 4,
      retentionHours: 48,
      pruneIntervalSec: 3600,
    });
    // The OLTP window is in hours (history is in the lake); the older name in days still works.
    expect(loadConfig({ EVENTS_RETENTION_HOURS: '72' }).events.retentionHours).toBe(72);
    expect(loadConfig({ EVENTS_RETENTION_DAYS: '0' }).events.retentionHours).toBe(0);
    expect(loadConfig({ EVENTS_RETENTION_DAYS: '45' }).events.retentionHours).toBe(45 * 24);
    expect(loadConfig({ EVENTS_RETENTION_DAYS: '45', EVENTS_RETENTION_HOURS: '30' }).events.retentionHours).toBe(30);
    expect(() => loadConfig({ EVENTS_RETENTION_HOURS: '12' })).toThrow(
      /EVENTS_RETENTION_HOURS: must be 0 \(keep forever\) or at least 24 hours/,
    );
    expect(() => loadConfig({ EVENTS_RETENTION_HOURS: 'x' })).toThrow(/EVENTS_RETENTION_HOURS/);
    expect(d.lake).toEqual({
      batchMaxEvents: 100_000,
      batchMaxBytes: 5 * 1024 ** 2,
      maxAgeSec: 60,
      deliveryIntervalSec: 10,
      compactIntervalSec: 3600,
      retentionDays: 0,
      backfillBatchEvents: 100_000,
    });
    expect(() => loadConfig({ LAKE_BATCH_MAX_EVENTS: '0' })).toThrow(/LAKE_BATCH_MAX_EVENTS/);
    expect(loadConfig({ EVENTS_NEW_DEVICES_PER_IP: 'off' }).events.newDevicesPerIp).toBeNull();
    expect(() => loadConfig({ EVENTS_ANON_VIEWS_PER_IP: '0' })).toThrow(/EVENTS_ANON_VIEWS_PER_IP/);
  });

  it('reads the media cost limits: the pixel budget defaults to 4K60 for the longest allowed duration', () => {
    const c = loadConfig({});
    expect(c.media.maxPixelRate).toBe(1_000_000_000);
    expect(c.media.maxPixelBudget).toBeGreaterThanOrEqual(3840 * 2160 * 60.06 * 600);
    expect(c.media.maxPixelBudget).toBeLessThan(3840 * 2160 * 62 * 600);
    expect(loadConfig({ VIDEO_MAX_DURATION_SEC: '60' }).media.maxPixelBudget).toBe(Math.round(c.media.maxPixelBudget / 10));
    expect(loadConfig({ VIDEO_MAX_PIXEL_BUDGET: '123456789' }).media.maxPixelBudget).toBe(123_456_789);
    expect(c.images).toEqual({ maxPixels: 25_000_000, maxSide: 10_000, decodeConcurrency: 2, decodeQueue: 8 });
    expect(c.rateLimits.avatar).toEqual({ user: { limit: 20, windowSec: 3600 }, ip: { limit: 60, windowSec: 3600 } });
    expect(() => loadConfig({ IMAGE_DECODE_CONCURRENCY: '0' })).toThrow(/IMAGE_DECODE_CONCURRENCY/);
  });

  it('treats empty strings as unset and trims a trailing slash from the public URL', () => {
    const c = loadConfig({ DATABASE_URL: '', PUBLIC_BASE_URL: 'https://curta.example/' });
    expect(c.database.kind).toBe('pglite');
    expect(c.http.publicBaseUrl).toBe('https://curta.example');
  });
});
