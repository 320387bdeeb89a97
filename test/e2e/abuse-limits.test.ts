import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/lib/cursor.js';
import { waitFor } from '../contracts/support.js';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { postgresAvailable, redisAvailable, sharedRedisUrl } from '../support/services.js';
import { parallel, seedVideo, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Abuse of shared budgets (issue 11): cached content flushing rate-limit
 * counters, concurrent password guesses racing the lockout, forged cursors
 * filling the cache, and event streams held open without end. Every client
 * is 127.0.0.1, so the app trusts X-Forwarded-For and scenarios speak from
 * addresses of their own.
 */
const PASSWORD = 'correct horse battery';
const LOCKOUT = { RATE_LIMIT_LOGIN_PER_USERNAME: '10/1d', RATE_LIMIT_LOGIN_PER_IP: '1000/1d' };
let n = 0;
const ip = () => `203.0.113.${++n}`;
const from = (addr: string) => ({ 'x-forwarded-for': addr });

async function signupFrom(api: Api, username: string, addr = ip()): Promise<TestUser> {
  const r = await api('POST', '/api/v1/auth/signup', { body: { username, password: PASSWORD }, headers: from(addr) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.user.id, username, token: r.body.token };
}

const login = (api: Api, username: string, password: string, addr = ip()) =>
  api('POST', '/api/v1/auth/login', { body: { username, password }, headers: from(addr) });

/** 40 wrong passwords at once against a limit of 10 failures: ten are checked, the rest refused unchecked. */
async function concurrentGuesses(api: Api, username: string): Promise<void> {
  const results = await parallel(40, (i) => login(api, username, `wrong password ${i}`));
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 401)).toHaveLength(10);
  expect(statuses.filter((s) => s === 429)).toHaveLength(30);
  for (const r of results.filter((x) => x.status === 429)) expect(r.body.error.code).toBe('rate_limited');
  // Locked now, whatever the password.
  expect((await login(api, username, PASSWORD)).status).toBe(429);
}

describe('abuse limits (embedded)', () => {
  let t: TestApp;
  let api: Api;

  beforeAll(async () => {
    t = await startTestApp(
      { TRUST_PROXY: 'true', ...LOCKOUT, SSE_MAX_STREAMS_PER_USER: '2', SSE_MAX_STREAMS_PER_IP: '3' },
      { workers: false },
    );
    api = apiClient(t.baseUrl);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('login lockout', () => {
    it('verifies at most the limit of 40 concurrent wrong passwords for one username', async () => {
      await signupFrom(api, 'guessed');
      await concurrentGuesses(api, 'guessed');
    });

    it('gives a correct login its attempt back, so the owner never locks themselves out', async () => {
      await signupFrom(api, 'owner1');
      for (let i = 0; i < 9; i++) expect((await login(api, 'owner1', 'wrong password')).status).toBe(401);
      for (let i = 0; i < 20; i++) expect((await login(api, 'owner1', PASSWORD)).status).toBe(200);
      expect((await login(api, 'owner1', 'wrong password')).status).toBe(401); // the tenth failure
      expect((await login(api, 'owner1', PASSWORD)).status).toBe(429);
    });

    it('keeps a lockout however much content the cache is made to hold', async () => {
      await signupFrom(api, 'flooded');
      for (let i = 0; i < 10; i++) expect((await login(api, 'flooded', 'wrong password')).status).toBe(401);
      expect((await login(api, 'flooded', PASSWORD)).status).toBe(429);
      // More entries than the old shared 10,000-entry LRU held, as feed pages would add them.
      for (let i = 0; i < 12_000; i++) await t.app.cache.set(`feed:flood:${i}`, { items: [], nextCursor: `c${i}` }, 60_000);
      const after = await login(api, 'flooded', PASSWORD);
      expect(after.status, JSON.stringify(after.body)).toBe(429);
    });
  });

  describe('cursors', () => {
    it('refuses a cursor the server never issued, even one naming a real position', async () => {
      const owner = await signupFrom(api, 'poster');
      for (let i = 0; i < 3; i++) await seedVideo(t, owner, { ageMs: 1000 * (i + 1), caption: '#cursors' });
      const first = await api('GET', '/api/v1/feed?limit=1');
      expect(first.status).toBe(200);
      const second = await api('GET', `/api/v1/feed?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
      expect(second.status).toBe(200);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);

      const real = { t: second.body.items[0].createdAt, id: second.body.items[0].id };
      for (const forged of [encodeCursor(real), `${encodeCursor(real)}.AAAAAAAAAAAAAAAAAAAAAA`, `${first.body.nextCursor}x`]) {
        const r = await api('GET', `/api/v1/feed?limit=1&cursor=${encodeURIComponent(forged)}`);
        expect(r.status, forged).toBe(400);
        expect(r.body.error.code).toBe('invalid_cursor');
      }
      // A cursor from another list is not this list's.
      const tagged = await api('GET', '/api/v1/hashtags/cursors/videos?limit=1');
      expect(tagged.body.nextCursor).toEqual(expect.any(String));
      const borrowed = await api('GET', `/api/v1/feed?limit=1&cursor=${encodeURIComponent(tagged.body.nextCursor)}`);
      expect(borrowed.body.error.code).toBe('invalid_cursor');
      const own = await api('GET', `/api/v1/hashtags/cursors/videos?limit=1&cursor=${encodeURIComponent(tagged.body.nextCursor)}`);
      expect(own.status).toBe(200);
    });
  });

  describe('event streams', () => {
    /** Opens the status stream of `videoId`; the caller aborts it to close it. */
    const openStream = async (videoId: string, user: TestUser, addr: string) => {
      const controller = new AbortController();
      const res = await fetch(`${t.baseUrl}/api/v1/videos/${videoId}/events`, {
        headers: { authorization: `Bearer ${user.token}`, ...from(addr) },
        signal: controller.signal,
      });
      const body = res.status === 200 ? null : ((await res.json()) as { error: { code: string } });
      return { status: res.status, body, retryAfter: res.headers.get('retry-after'), close: () => controller.abort() };
    };

    it('caps open streams per user and per address; a closed stream frees its slot', async () => {
      const users = [await signupFrom(api, 'streamer1'), await signupFrom(api, 'streamer2'), await signupFrom(api, 'streamer3')];
      const [a, b, c] = users as [TestUser, TestUser, TestUser];
      const video = new Map<TestUser, string>();
      for (const u of users) video.set(u, await seedVideo(t, u, { status: 'processing' }));
      const open = (u: TestUser, addr: string) => openStream(video.get(u)!, u, addr);
      const streams: Array<{ close(): void }> = [];
      try {
        // Per user (2), each from an address of its own.
        const a1 = await open(a, ip());
        const a2 = await open(a, ip());
        streams.push(a1, a2);
        expect([a1.status, a2.status]).toEqual([200, 200]);
        const a3 = await open(a, ip());
        streams.push(a3);
        expect(a3.status).toBe(429);
        expect(a3.body!.error.code).toBe('too_many_streams');
        expect(Number(a3.retryAfter)).toBeGreaterThanOrEqual(1);

        // Per address (3), each user well under their own cap.
        const shared = ip();
        const held = [await open(b, shared), await open(b, shared), await open(c, shared)];
        streams.push(...held);
        expect(held.map((x) => x.status)).toEqual([200, 200, 200]);
        const c2 = await open(c, shared);
        streams.push(c2);
        expect(c2.status).toBe(429);
        expect(c2.body!.error.code).toBe('too_many_streams');

        // Closing streams frees their slots (once the server has seen them go).
        a1.close();
        held[0]!.close();
        const again = await waitFor(
          async () => {
            const r = await open(a, ip());
            streams.push(r);
            return r.status === 200 ? r : null;
          },
          10_000,
          'a freed per-user slot',
        );
        expect(again.status).toBe(200);
        const c3 = await waitFor(
          async () => {
            const r = await open(c, shared);
            streams.push(r);
            return r.status === 200 ? r : null;
          },
          10_000,
          'a freed per-address slot',
        );
        expect(c3.status).toBe(200);
      } finally {
        for (const x of streams) x.close();
      }
    });
  });
});

const distributed = (await postgresAvailable()) && (await redisAvailable());
/** Counters beside cached content in the cache's Redis, or in a Redis of their own (another logical database here). */
describe.runIf(distributed).each(['the cache’s Redis', 'a Redis of their own'])(
  'abuse limits (PostgreSQL + Redis, counters in %s)',
  (where) => {
    let t: TestApp;
    let api: Api;
    let countersUrl: string;

    beforeAll(async () => {
      const own = new URL(sharedRedisUrl());
      const env: Record<string, string> = { TRUST_PROXY: 'true', ...LOCKOUT };
      if (where === 'a Redis of their own') env.RATE_LIMIT_REDIS_URL = own.toString();
      t = await startDistributedTestApp(false, env);
      countersUrl = where === 'a Redis of their own' ? own.toString() : t.app.config.cache.kind === 'redis' ? t.app.config.cache.url : '';
      api = apiClient(t.baseUrl);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('verifies at most the limit of 40 concurrent wrong passwords for one username', async () => {
      const username = `guessed${randomBytes(4).toString('hex')}`;
      await signupFrom(api, username);
      await concurrentGuesses(api, username);
      const redis = new Redis(countersUrl);
      try {
        const [key] = await redis.keys(`curta:rl:login:name:${username}:*`);
        expect(await redis.get(key!)).toBe('10'); // the refused ones were not kept
        expect(await redis.pttl(key!)).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    });
  },
);
