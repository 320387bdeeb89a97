import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createHttpServer } from '../../src/http/server.js';
import { contentSecurityPolicy, webSecurityOptions } from '../../src/http/web-security.js';
import { ensureWebBuilt } from '../support/browser.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ALLOWED = 'https://app.example.com';
const OTHER = 'https://evil.example';

/** The CSP's directives by name. */
function directives(header: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

function expectSecurityHeaders(h: Headers, where: string): void {
  const csp = directives(h.get('content-security-policy'));
  expect(csp.get('default-src'), where).toEqual(["'self'"]);
  expect(csp.get('script-src'), where).toEqual(["'self'"]);
  expect(csp.get('style-src'), where).toEqual(["'self'"]);
  expect(csp.get('object-src'), where).toEqual(["'none'"]);
  expect(csp.get('base-uri'), where).toEqual(["'none'"]);
  expect(csp.get('frame-ancestors'), where).toEqual(["'none'"]);
  expect(h.get('x-frame-options'), where).toBe('DENY');
  expect(h.get('x-content-type-options'), where).toBe('nosniff');
  expect(h.get('referrer-policy'), where).toBe('strict-origin-when-cross-origin');
  expect(h.get('cross-origin-opener-policy'), where).toBe('same-origin');
  expect(h.get('permissions-policy'), where).toMatch(/camera=\(\)/);
  expect(h.get('x-powered-by'), where).toBeNull();
}

/**
 * Security headers on every kind of answer, the API's CORS allow-list, and a
 * CSP that fits the web app as built (no inline script) and the deployment
 * (media from a CDN, uploads to S3). test/e2e/browser.test.ts plays videos
 * under this policy in Chromium and fails on any violation.
 */
describe('web security headers and CORS', () => {
  let t: TestApp;
  let api: Api;
  let owner: TestUser;
  let videoId: string;

  beforeAll(async () => {
    await ensureWebBuilt(ROOT);
    t = await startTestApp({ CURTA_CORS_ORIGINS: `${ALLOWED}, https://admin.example.com:8443/` }, { workers: false });
    api = apiClient(t.baseUrl);
    owner = await signup(api, 'headers');
    videoId = await seedVideo(t, owner, { caption: 'Header check #csp' });
    await t.app.store.put(`media/${videoId}/seed/poster.jpg`, Buffer.from('jpeg'), { contentType: 'image/jpeg' });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('puts them on every kind of answer: API JSON, pages, assets, media, errors', async () => {
    const assets = await readdir(join(ROOT, 'web', 'dist', 'assets'));
    const script = assets.find((f) => /^index-.*\.js$/.test(f))!;
    const kinds: Array<[string, string, RequestInit?, number?]> = [
      ['API JSON', '/api/v1/feed'],
      ['API JSON, signed in', '/api/v1/me', { headers: { authorization: `Bearer ${owner.token}` } }],
      ['web app page', '/'],
      ['video page (preview tags)', `/v/${videoId}`],
      ['client route', '/@headers'],
      ['static asset', `/assets/${script}`],
      ['media', `/media/${videoId}/seed/poster.jpg`],
      ['health', '/healthz'],
      ['API error', '/api/v1/videos/AAAAAAAAAAAAAAAA', undefined, 404],
      [
        'validation error',
        '/api/v1/me',
        { method: 'PATCH', headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' }, body: '{"bio":5}' },
        400,
      ],
      ['unknown route', '/api/v1/nothing-here', undefined, 404],
      ['missing asset', '/assets/gone-0000.js', undefined, 404],
    ];
    for (const [kind, path, init, status] of kinds) {
      const res = await fetch(`${t.baseUrl}${path}`, init);
      expect(res.status, kind).toBe(status ?? 200);
      expectSecurityHeaders(res.headers, kind);
      await res.arrayBuffer();
    }
    // Media is for players on any origin: CORS and CORP say so (the page's CSP still rides along).
    const media = await fetch(`${t.baseUrl}/media/${videoId}/seed/poster.jpg`, { headers: { origin: OTHER } });
    expect(media.headers.get('access-control-allow-origin')).toBe('*');
    expect(media.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(media.headers.get('vary') ?? '').not.toMatch(/origin/i);
    // Everything else stays same-origin for no-cors readers.
    expect((await fetch(`${t.baseUrl}/api/v1/feed`)).headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  it('lists media and upload origins in the CSP: this service here, a CDN and S3 when configured', async () => {
    const page = await fetch(`${t.baseUrl}/`);
    const csp = directives(page.headers.get('content-security-policy'));
    // hls.js: MSE (blob: media), a blob: worker, playlists and segments fetched.
    expect(csp.get('media-src')).toEqual(expect.arrayContaining(["'self'", 'blob:', t.baseUrl]));
    expect(csp.get('worker-src')).toEqual(["'self'", 'blob:']);
    expect(csp.get('connect-src')).toEqual(expect.arrayContaining(["'self'", t.baseUrl]));
    expect(csp.get('img-src')).toEqual(expect.arrayContaining(["'self'", 'data:', t.baseUrl]));
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
    expect(page.headers.get('strict-transport-security')).toBeNull();

    const cdn = contentSecurityPolicy(
      webSecurityOptions({
        ...loadConfig({
          PUBLIC_BASE_URL: 'https://curta.example',
          MEDIA_BASE_URL: 'https://cdn.example/curta',
          S3_BUCKET: 'videos',
          S3_REGION: 'eu-west-1',
        }),
        signingSecret: 'x'.repeat(32),
      }),
    );
    expect(cdn['media-src']).toEqual(["'self'", 'blob:', 'https://curta.example', 'https://cdn.example']);
    expect(cdn['img-src']).toContain('https://cdn.example');
    expect(cdn['connect-src']).toEqual([
      "'self'",
      'https://curta.example',
      'https://cdn.example',
      'https://videos.s3.eu-west-1.amazonaws.com',
      'https://s3.eu-west-1.amazonaws.com',
    ]);
    expect(cdn['upgrade-insecure-requests']).toEqual([]);
    const minio = webSecurityOptions({
      ...loadConfig({
        S3_BUCKET: 'videos',
        S3_ENDPOINT: 'http://minio:9000',
        S3_PUBLIC_ENDPOINT: 'https://files.example',
        S3_FORCE_PATH_STYLE: 'true',
      }),
      signingSecret: 'x'.repeat(32),
    });
    expect(minio.uploadOrigins).toEqual(['https://files.example']);

    // Over HTTPS, browsers are told to stay on it.
    const https = await createHttpServer({
      logger: pino({ level: 'silent' }),
      jsonBodyLimit: 1024,
      publicBaseUrl: 'https://curta.example',
    });
    try {
      const res = await https.inject({ method: 'GET', url: '/nothing' });
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(directives(String(res.headers['content-security-policy'])).has('upgrade-insecure-requests')).toBe(true);
    } finally {
      await https.close();
    }
  });

  it('serves a page whose only scripts and styles are files from this origin (no inline script, handlers or style)', async () => {
    for (const path of ['/', `/v/${videoId}`]) {
      const html = await (await fetch(`${t.baseUrl}${path}`)).text();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      expect(scripts.length, path).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs, path).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
        expect(body!.trim(), path).toBe('');
      }
      expect(html, path).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
      for (const [sheet] of html.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*>/gi)) expect(sheet, path).toMatch(/href="\/assets\//);
    }
    // The preview tags the server adds are tags, not script.
    expect(await (await fetch(`${t.baseUrl}/v/${videoId}`)).text()).toContain('<meta property="og:title" content="Header check #csp"');
    // And the built page Vite wrote says the same.
    const built = await readFile(join(ROOT, 'web', 'dist', 'index.html'), 'utf8');
    expect(built).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
  });

  it('lets the configured origins call the API from a browser, and nobody else', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.baseUrl}/api/v1/uploads`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const ok = await preflight(ALLOWED);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    expect((await preflight('https://admin.example.com:8443')).headers.get('access-control-allow-origin')).toBe(
      'https://admin.example.com:8443',
    );
    const refused = await preflight(OTHER);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const get = (origin: string) => fetch(`${t.baseUrl}/api/v1/feed`, { headers: { origin } });
    const allowed = await get(ALLOWED);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    // A shared cache keeps one answer per origin (and per credentials).
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
    expect(allowed.headers.get('vary')).toMatch(/Authorization/);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect((await get(OTHER)).headers.get('access-control-allow-origin')).toBeNull();
    // Errors too: an allowed page can read why.
    const missing = await fetch(`${t.baseUrl}/api/v1/videos/AAAAAAAAAAAAAAAA`, { headers: { origin: ALLOWED } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(ALLOWED);

    // Media and the storage PUT keep their own `*` for players and uploaders anywhere.
    const media = await fetch(`${t.baseUrl}/media/${videoId}/seed/poster.jpg`, {
      method: 'OPTIONS',
      headers: { origin: OTHER, 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    });
    expect(media.status).toBe(204);
    expect(media.headers.get('access-control-allow-origin')).toBe('*');
    const storage = await fetch(`${t.baseUrl}/storage/originals/${videoId}`, {
      method: 'OPTIONS',
      headers: { origin: OTHER, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect(storage.status).toBe(204);
    expect(storage.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers no other origin when none is configured (the default: same-origin only)', async () => {
    const plain = await startTestApp({}, { workers: false });
    try {
      for (const origin of [ALLOWED, OTHER, plain.baseUrl]) {
        const res = await fetch(`${plain.baseUrl}/api/v1/feed`, { headers: { origin } });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
        const pre = await fetch(`${plain.baseUrl}/api/v1/uploads`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
        expect(pre.headers.get('access-control-allow-origin'), origin).toBeNull();
      }
    } finally {
      await plain.close();
    }
  });

  it('reads CURTA_CORS_ORIGINS as origins, naming a bad entry', () => {
    expect(loadConfig({}).http.corsOrigins).toEqual([]);
    expect(loadConfig({ CURTA_CORS_ORIGINS: '*' }).http.corsOrigins).toEqual(['*']);
    expect(loadConfig({ CURTA_CORS_ORIGINS: 'https://A.example.com/, http://localhost:5173' }).http.corsOrigins).toEqual([
      'https://a.example.com',
      'http://localhost:5173',
    ]);
    expect(() => loadConfig({ CURTA_CORS_ORIGINS: 'https://a.example.com/app' })).toThrow(
      /CURTA_CORS_ORIGINS: "https:\/\/a.example.com\/app" is not an origin/,
    );
    expect(() => loadConfig({ CURTA_CORS_ORIGINS: 'app.example.com' })).toThrow(/CURTA_CORS_ORIGINS/);
  });
});
