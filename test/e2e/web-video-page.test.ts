/**
 * `/v/{id}`: the web app's page with Open Graph / Twitter tags for link
 * previews — for videos anyone may see, with every value escaped; any other
 * video (private, followers-only, processing, missing, taken down) gets the
 * plain page, which leaks nothing about it. No browser needed.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt } from '../support/browser.js';
import { seedVideo, signup, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOSTILE = `Beach day "quoted" <script>alert('x')</script> & $& $1 #sun`;

function metas(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<meta (?:property|name)="([^"]+)" content="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}
const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

describe('web app pages from the server: /v/{id} preview tags, caching', () => {
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  let alice: TestUser;
  let plainIndex: string;

  beforeAll(async () => {
    await ensureWebBuilt(ROOT);
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    alice = await signup(api, 'alice_og');
    plainIndex = await (await fetch(`${t.baseUrl}/`)).text();
  });

  afterAll(async () => {
    await t?.close();
  });

  const page = async (path: string) => {
    const res = await fetch(`${t.baseUrl}${path}`);
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      cache: res.headers.get('cache-control') ?? '',
      html: await res.text(),
    };
  };

  it('has Open Graph and Twitter tags for a public video, escaped', async () => {
    const id = await seedVideo(t, alice, { caption: HOSTILE, durationMs: 12_000 });
    const r = await page(`/v/${id}`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/html/);
    // Still the app: its script is there.
    expect(r.html).toContain('<div id="app">');
    expect(r.html).toMatch(/<script type="module"[^>]+src="\/assets\//);
    // Nothing from the caption is markup.
    expect(r.html).not.toContain('<script>alert');
    expect(r.html).not.toMatch(/content="[^"]*"quoted"/);

    const m = metas(r.html);
    expect(unescape(m['og:title']!)).toBe(HOSTILE);
    expect(unescape(m['twitter:title']!)).toBe(HOSTILE);
    expect(m['og:type']).toBe('video.other');
    expect(m['og:url']).toBe(`${t.baseUrl}/v/${id}`);
    expect(m['og:image']).toMatch(new RegExp(`^${t.baseUrl}/media/.+poster\\.jpg$`));
    expect(m['og:video']).toMatch(new RegExp(`^${t.baseUrl}/media/.+video\\.mp4$`));
    expect(m['og:video:type']).toBe('video/mp4');
    expect(m['og:video:width']).toBe('360');
    expect(m['og:video:height']).toBe('640');
    expect(m['twitter:card']).toBe('summary_large_image');
    expect(m['twitter:image']).toBe(m['og:image']);
    expect(m['robots']).toBeUndefined();
    expect(r.html).toContain(`<link rel="canonical" href="${t.baseUrl}/v/${id}" />`);
    expect(unescape(/<title>([^<]*)<\/title>/.exec(r.html)![1]!)).toBe(`${HOSTILE} · Curta`);
    // One description (the page's generic one is replaced).
    expect(r.html.match(/<meta name="description"/g)).toHaveLength(1);

    // og:url is this very page.
    expect((await fetch(m['og:url']!)).status).toBe(200);
  });

  it('titles a video without a caption by its author; unlisted ones are not indexed', async () => {
    const id = await seedVideo(t, alice, { caption: '', visibility: 'unlisted' });
    const m = metas((await page(`/v/${id}`)).html);
    expect(m['og:title']).toBe('Video by @alice_og');
    expect(m['robots']).toBe('noindex');
  });

  it('serves the plain page for videos not everyone may see, and for unknown ids', async () => {
    const bob = await signup(api, 'bob_og');
    const hidden = [
      await seedVideo(t, alice, { caption: 'secret private caption', visibility: 'private' }),
      await seedVideo(t, alice, { caption: 'secret followers caption', visibility: 'followers' }),
      await seedVideo(t, alice, { caption: 'secret processing caption', status: 'processing' }),
    ];
    const takenDown = await seedVideo(t, alice, { caption: 'secret taken down caption' });
    await t.app.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [bob.id]);
    const down = await api('POST', `/api/v1/admin/videos/${takenDown}/takedown`, { token: bob.token, body: { reason: 'spam' } });
    expect(down.status, JSON.stringify(down.body)).toBe(200);
    hidden.push(takenDown);

    for (const path of [...hidden.map((id) => `/v/${id}`), '/v/AAAAAAAAAAAAAAAA', '/v/not%20an%20id']) {
      const r = await page(path);
      expect(r.status, path).toBe(200);
      expect(r.html, path).toBe(plainIndex);
      expect(r.html, path).not.toContain('secret');
      expect(r.html, path).not.toContain('og:title');
    }
    // Even the owner's own request gets no tags for a private video: the page is the same for everyone.
    const res = await fetch(`${t.baseUrl}/v/${hidden[0]}`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(await res.text()).toBe(plainIndex);
  });

  it('serves bundles as immutable, pages as revalidated, and a missing bundle as a 404', async () => {
    const script = /<script type="module"[^>]+src="(\/assets\/[^"]+\.js)"/.exec(plainIndex)![1]!;
    const js = await fetch(`${t.baseUrl}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    for (const path of ['/', '/following', `/v/AAAAAAAAAAAAAAAA`]) {
      expect((await fetch(`${t.baseUrl}${path}`)).headers.get('cache-control'), path).toBe('no-cache');
    }
    const missing = await fetch(`${t.baseUrl}/assets/index-gone.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('leaves the API and other app routes alone', async () => {
    expect((await page('/api/v1/nope')).status).toBe(404);
    const profile = await page('/@alice_og');
    expect(profile.status).toBe(200);
    expect(profile.html).toBe(plainIndex);
  });
});
