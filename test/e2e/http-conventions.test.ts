import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Conventions every answer keeps: request ids, 405 with Allow, and RateLimit headers on limited routes. */
describe('HTTP conventions', () => {
  let t: TestApp;
  let api: Api;
  let alice: TestUser;
  let videoId: string;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_SHARE_PER_USER: '2/1h', RATE_LIMIT_SHARE_PER_IP: '5/1h' }, { workers: false });
    api = apiClient(t.baseUrl);
    alice = await signup(api, 'alice');
    videoId = await seedVideo(t, alice);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('x-request-id', () => {
    it('echoes a sane incoming id on every kind of answer', async () => {
      const cases: Array<[string, string, number]> = [
        ['GET', '/healthz', 200],
        ['GET', `/api/v1/videos/${videoId}`, 200],
        ['GET', '/api/v1/nothing-here', 404],
        ['DELETE', '/api/v1/feed', 405],
        ['PATCH', '/api/v1/me', 401],
        ['GET', '/api/v1/videos/not!an!id', 400],
      ];
      for (const [method, path, status] of cases) {
        const id = `trace-${method}-${status}.abc:123`;
        const r = await api(method, path, { headers: { 'x-request-id': id } });
        expect(r.status, `${method} ${path}`).toBe(status);
        expect(r.headers.get('x-request-id'), `${method} ${path}`).toBe(id);
      }
    });

    it('makes one up when none or an unusable one comes', async () => {
      const none = await api('GET', '/healthz');
      expect(none.headers.get('x-request-id')).toMatch(UUID);
      const other = await api('GET', '/healthz');
      expect(other.headers.get('x-request-id')).not.toBe(none.headers.get('x-request-id'));
      for (const bad of ['has spaces in it', 'x'.repeat(129), 'quote"s', 'semi;colon', 'new\tline']) {
        const r = await api('GET', '/healthz', { headers: { 'x-request-id': bad } });
        expect(r.headers.get('x-request-id'), bad).toMatch(UUID);
      }
    });
  });

  describe('405 Method Not Allowed', () => {
    it('answers a wrong method on a known path with Allow and the usual error body', async () => {
      const feed = await api('DELETE', '/api/v1/feed');
      expect(feed.status).toBe(405);
      expect(feed.headers.get('allow')).toBe('GET, HEAD');
      expect(feed.body).toEqual({ error: { code: 'method_not_allowed', message: expect.stringContaining('GET, HEAD') } });

      const video = await api('PUT', `/api/v1/videos/${videoId}`, { token: alice.token, body: {} });
      expect(video.status).toBe(405);
      expect(video.headers.get('allow')!.split(', ')).toEqual(expect.arrayContaining(['DELETE', 'GET', 'HEAD', 'PATCH']));
      expect(video.body.error.code).toBe('method_not_allowed');

      const uploads = await api('GET', '/api/v1/uploads');
      expect(uploads.status).toBe(405);
      expect(uploads.headers.get('allow')).toBe('POST');
    });

    it('still answers 404 for a path no method has', async () => {
      const r = await api('DELETE', '/api/v1/no-such-thing');
      expect(r.status).toBe(404);
      expect(r.headers.get('allow')).toBeNull();
      expect(r.body.error.code).toBe('not_found');
    });
  });

  describe('RateLimit headers', () => {
    it('tell a limited route its policies and what is left, and a 429 when to come back', async () => {
      const share = () => api('POST', `/api/v1/videos/${videoId}/share`, { token: alice.token });
      const first = await share();
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-policy')).toBe('"share-ip";q=5;w=3600, "share-user";q=2;w=3600');
      const remaining = /^"share-ip";r=(\d+);t=(\d+), "share-user";r=(\d+);t=(\d+)$/.exec(first.headers.get('ratelimit') ?? '');
      expect(remaining, first.headers.get('ratelimit') ?? '').not.toBeNull();
      expect(Number(remaining![1])).toBe(4);
      expect(Number(remaining![3])).toBe(1);
      const reset = Number(remaining![4]);
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(3600);

      expect((await share()).headers.get('ratelimit')).toMatch(/"share-user";r=0;/);
      const refused = await share();
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('ratelimit')).toMatch(/"share-ip";r=2;t=\d+, "share-user";r=0;t=\d+/);
      expect(refused.headers.get('ratelimit-policy')).toContain('"share-user";q=2;w=3600');
    });

    it('are absent on routes without limits', async () => {
      const r = await api('GET', `/api/v1/videos/${videoId}`);
      expect(r.headers.get('ratelimit')).toBeNull();
      expect(r.headers.get('ratelimit-policy')).toBeNull();
    });
  });
});
