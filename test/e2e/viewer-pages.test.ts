import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';
import { viewerPagesSuite } from './viewer-pages.suite.js';

viewerPagesSuite('viewer pages API (embedded: PGlite, in-process cache)', () => startTestApp());

describe('search rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_SEARCH_PER_IP: '3/1h' }, { workers: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts suggestions and searches together, per address, and answers 429 rate_limited past the limit', async () => {
    const api = apiClient(t.baseUrl);
    expect((await api('GET', '/api/v1/search/suggest?q=a')).status).toBe(200);
    expect((await api('GET', '/api/v1/search?q=a')).status).toBe(200);
    expect((await api('GET', '/api/v1/search/suggest?q=ab')).status).toBe(200);
    const limited = await api('GET', '/api/v1/search/suggest?q=abc');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { action: 'search' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api('GET', '/api/v1/search?q=a')).status).toBe(429);
    // What search shows before typing is one shared, cached answer: not counted.
    expect((await api('GET', '/api/v1/search/trending')).status).toBe(200);
  });
});
