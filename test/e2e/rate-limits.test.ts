import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../src/adapters/cache/redis-cache.js';
import { RateLimiter } from '../../src/modules/safety/rate-limiter.js';
import { parallel, seedVideo, type Api, type TestUser } from '../support/social.js';
import { redisAvailable, TEST_REDIS_URL, uniqueName } from '../support/services.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The limits with low numbers. Every client here is 127.0.0.1, so the app
 * trusts X-Forwarded-For (TRUST_PROXY=true) and each scenario speaks from
 * its own address. Day-long windows keep a window edge out of the way.
 */
describe('rate limits and the daily upload quota', () => {
  let t: TestApp;
  let api: Api;
  let n = 0;
  /** A fresh client address per call. */
  const ip = () => `198.51.100.${++n}`;
  const from = (addr: string) => ({ 'x-forwarded-for': addr });
  const signupFrom = async (addr: string, username: string): Promise<TestUser> => {
    const r = await api('POST', '/api/v1/auth/signup', { body: { username, password: 'correct horse battery' }, headers: from(addr) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { id: r.body.user.id, username, token: r.body.token };
  };
  const expectLimited = (r: { status: number; body: any; headers: Headers }, code = 'rate_limited') => {
    expect(r.status, JSON.stringify(r.body)).toBe(429);
    expect(r.body.error.code).toBe(code);
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(r.body.error.details.retryAfter).toBe(retryAfter);
    expect(r.headers.get('cache-control')).toBe('no-store');
  };

  beforeAll(async () => {
    t = await startTestApp(
      {
        TRUST_PROXY: 'true',
        RATE_LIMIT_SIGNUP_PER_IP: '3/1d',
        RATE_LIMIT_LOGIN_PER_IP: '6/1d',
        RATE_LIMIT_LOGIN_PER_USERNAME: '3/1d',
        RATE_LIMIT_COMMENT_PER_USER: '2/1d',
        RATE_LIMIT_COMMENT_PER_IP: '3/1d',
        RATE_LIMIT_LIKE_PER_USER: '3/1d',
        RATE_LIMIT_SHARE_PER_IP: '2/1d',
        RATE_LIMIT_REPORT_PER_USER: '1/1d',
        RATE_LIMIT_UPLOAD_PER_USER: '10/1d',
        UPLOAD_DAILY_COUNT: '2',
        UPLOAD_DAILY_BYTES: '3000',
      },
      { workers: false },
    );
    api = apiClient(t.baseUrl);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('limits sign-ups per address', async () => {
    const addr = ip();
    for (let i = 0; i < 3; i++) await signupFrom(addr, `early${i}`);
    const fourth = await api('POST', '/api/v1/auth/signup', {
      body: { username: 'early3', password: 'correct horse battery' },
      headers: from(addr),
    });
    expectLimited(fourth);
    expect(fourth.body.error.message).toMatch(/sign-ups/);
    await signupFrom(ip(), 'early3'); // another address is not affected
  });

  it('locks a username after failed logins (whatever the password next) and limits attempts per address', async () => {
    await signupFrom(ip(), 'lockme');
    await signupFrom(ip(), 'bystander');
    const login = (username: string, password: string, addr = ip()) =>
      api('POST', '/api/v1/auth/login', { body: { username, password }, headers: from(addr) });
    expect((await login('lockme', 'correct horse battery')).status).toBe(200); // successes do not count
    for (let i = 0; i < 3; i++) expect((await login('LockMe', 'wrong password')).status).toBe(401);
    expectLimited(await login('lockme', 'correct horse battery'));
    expect((await login('bystander', 'correct horse battery')).status).toBe(200);

    const addr = ip();
    for (let i = 0; i < 6; i++) expect((await login('bystander', 'correct horse battery', addr)).status).toBe(200);
    expectLimited(await login('bystander', 'correct horse battery', addr));
  });

  describe('engagement', () => {
    let owner: TestUser;
    let videoId: string;
    beforeAll(async () => {
      owner = await signupFrom(ip(), 'owner');
      videoId = await seedVideo(t, owner);
    });
    const comment = (u: TestUser, addr: string) =>
      api('POST', `/api/v1/videos/${videoId}/comments`, { token: u.token, body: { text: 'hi' }, headers: from(addr) });

    it('limits comments per user and per address', async () => {
      const a = await signupFrom(ip(), 'commenter1');
      expect((await comment(a, ip())).status).toBe(201);
      expect((await comment(a, ip())).status).toBe(201);
      expectLimited(await comment(a, ip()));

      const shared = ip();
      const [b, c] = [await signupFrom(ip(), 'commenter2'), await signupFrom(ip(), 'commenter3')];
      expect((await comment(b, shared)).status).toBe(201);
      expect((await comment(b, shared)).status).toBe(201);
      expect((await comment(c, shared)).status).toBe(201);
      expectLimited(await comment(c, shared)); // c's own second comment, but the address's fourth
      // The refused comments were not stored.
      expect((await api('GET', `/api/v1/videos/${videoId}`)).body.stats.comments).toBe(5);
    });

    it('limits likes (liking and unliking) per user', async () => {
      const u = await signupFrom(ip(), 'liker');
      expect((await api('PUT', `/api/v1/videos/${videoId}/like`, { token: u.token })).status).toBe(200);
      expect((await api('DELETE', `/api/v1/videos/${videoId}/like`, { token: u.token })).status).toBe(200);
      expect((await api('PUT', `/api/v1/videos/${videoId}/like`, { token: u.token })).status).toBe(200);
      expectLimited(await api('DELETE', `/api/v1/videos/${videoId}/like`, { token: u.token }));
      expect((await api('GET', `/api/v1/videos/${videoId}`)).body.stats.likes).toBe(1);
    });

    it('limits anonymous shares per address, and reports per user', async () => {
      const addr = ip();
      for (let i = 0; i < 2; i++) expect((await api('POST', `/api/v1/videos/${videoId}/share`, { headers: from(addr) })).status).toBe(200);
      expectLimited(await api('POST', `/api/v1/videos/${videoId}/share`, { headers: from(addr) }));

      const u = await signupFrom(ip(), 'reporter');
      const report = (body: unknown) => api('POST', '/api/v1/reports', { token: u.token, body });
      expect((await report({ targetType: 'video', targetId: videoId, reason: 'spam' })).status).toBe(201);
      expectLimited(await report({ targetType: 'user', targetId: owner.id, reason: 'spam' }));
    });
  });

  describe('uploads', () => {
    const upload = (u: TestUser, size: number) =>
      api('POST', '/api/v1/uploads', {
        token: u.token,
        body: { filename: 'clip.mp4', contentType: 'video/mp4', size },
        headers: from(ip()),
      });

    it('refuses uploads past the daily count with 429 upload_quota_exceeded, then rate-limits the requests', async () => {
      const u = await signupFrom(ip(), 'uploader');
      expect((await upload(u, 1000)).status).toBe(201);
      expect((await upload(u, 1000)).status).toBe(201);
      const third = await upload(u, 10);
      expectLimited(third, 'upload_quota_exceeded');
      expect(third.body.error.message).toMatch(/2 uploads per day/);
      expect(third.body.error.details).toMatchObject({ limit: { uploads: 2, bytes: 3000 }, used: { uploads: 2, bytes: 2000 } });
      for (let i = 0; i < 7; i++) expect((await upload(u, 10)).status).toBe(429);
      expectLimited(await upload(u, 10)); // the 11th request today: over the per-user request limit
    });

    it('counts bytes as well, and concurrent uploads never overshoot the quota', async () => {
      const big = await signupFrom(ip(), 'bigfiles');
      const tooBig = await upload(big, 3001);
      expectLimited(tooBig, 'upload_quota_exceeded');
      expect(tooBig.body.error.message).toMatch(/3000 bytes/);
      expect((await upload(big, 2500)).status).toBe(201);
      expectLimited(await upload(big, 1000), 'upload_quota_exceeded');
      expect((await upload(big, 500)).status).toBe(201);

      const racer = await signupFrom(ip(), 'racer');
      const results = await parallel(6, () => upload(racer, 100));
      expect(results.filter((r) => r.status === 201)).toHaveLength(2);
      for (const r of results.filter((x) => x.status !== 201)) expectLimited(r, 'upload_quota_exceeded');
      const stored = await t.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM videos WHERE owner_id = $1', [racer.id]);
      expect(stored.rows[0]!.n).toBe(2);
    });
  });
});

const withRedis = await redisAvailable();
describe.runIf(withRedis)('rate limits across processes (Redis)', () => {
  const prefix = `${uniqueName('curta_test')}:`;
  let a: RedisCache;
  let b: RedisCache;
  beforeAll(async () => {
    a = await RedisCache.connect(TEST_REDIS_URL, { keyPrefix: prefix });
    b = await RedisCache.connect(TEST_REDIS_URL, { keyPrefix: prefix });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('counts every process into one window, and the window key expires with it', async () => {
    const rule = { limit: 5, windowSec: 3600 };
    const key = `test:${randomBytes(4).toString('hex')}`;
    const [one, two] = [new RateLimiter(a), new RateLimiter(b)];
    const verdicts = await Promise.all([
      ...Array.from({ length: 4 }, () => one.hit(key, rule)),
      ...Array.from({ length: 4 }, () => two.hit(key, rule)),
    ]);
    expect(verdicts.filter((v) => v === null)).toHaveLength(5);
    expect((await one.reserve(key, rule)).retryAfter).toBeGreaterThan(0);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const [stored] = await redis.keys(`${prefix}rl:${key}:*`);
      const ttl = await redis.pttl(stored!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3601_000);
    } finally {
      redis.disconnect();
    }
  });
});
