import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

const TOKEN = 'scrape-me-please-0123456789';

describe('METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: TOKEN }, { workers: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps /metrics for the scraper holding the token; anyone else gets 401 and learns nothing', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, TOKEN, `bearer ${TOKEN}`]) {
      const res = await fetch(`${t.baseUrl}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(res.status, String(authorization)).toBe(401);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe('unauthorized');
    }
    const ok = await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/curta_http_request_duration_seconds_count\{method="GET",route="\/metrics",status_code="401"\} 5/);
    // Health checks stay open for load balancers.
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
  });

  it('refuses a token too short to be a secret', async () => {
    const { loadConfig } = await import('../../src/config/config.js');
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
