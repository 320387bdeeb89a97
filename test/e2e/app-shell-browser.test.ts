/**
 * The web app's shell in a real Chromium against the real server (issue 13):
 *
 * - Installable: /manifest.webmanifest, /sw.js and the icons are served as
 *   what they are (not the app's page), with the right caching; Chromium
 *   registers the worker, a second load offline still shows the app, and the
 *   worker's caches hold the shell and public posters but never a playlist,
 *   a segment or an API answer.
 * - Desktop (1440×900): the video column in the middle, previous/next buttons
 *   beside it, comments docked as a side panel (not a modal over the video);
 *   the phone (390×844) keeps its bottom sheet.
 * - Keyboard: a skip link into the current video, a handful of tab stops per
 *   video (only the current one's), j/k/space/m, one h1 per page, labelled videos.
 * - Light theme under prefers-color-scheme: light (the video area stays dark).
 *
 * Screenshots go to test-artifacts/shell/.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations } from '../support/browser.js';
import { ffmpeg } from '../support/media-helpers.js';
import { seedVideo, signup, type TestUser } from '../support/social.js';
import type { apiClient, TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'shell');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };

/** A PNG's width and height (its IHDR). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Relative luminance (0 black … 1 white) of a CSS rgb()/rgba() colour. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
  return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
}

describe.skipIf(!browserTestsEnabled('app-shell-browser.test'))('the app shell in Chromium', () => {
  let browser: Browser | undefined;
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  let ana: TestUser;
  /** Three public videos with real media (HLS, MP4, poster), newest first. */
  const ids: string[] = [];
  const captions = new Map<string, string>();

  beforeAll(async () => {
    await Promise.all([ensureWebBuilt(ROOT), mkdir(ARTIFACTS, { recursive: true })]);
    const { apiClient, startTestApp } = await import('../support/test-app.js');
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    ana = await signup(api, 'ana_shell');
    // One small real rendition (a fMP4 HLS playlist, its segments, an MP4 and a poster), shared by the seeded videos.
    const dir = await mkdtemp(join(tmpdir(), 'curta-shell-'));
    try {
      const src = ['-f', 'lavfi', '-i', 'testsrc2=size=360x640:rate=30:duration=4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '30'];
      await ffmpeg(['-y', ...src, '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
        '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(dir, 'seg_%03d.m4s'), join(dir, 'master.m3u8')]); // prettier-ignore
      await ffmpeg(['-y', ...src, '-movflags', '+faststart', join(dir, 'video.mp4')]);
      await ffmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=size=360x640', '-frames:v', '1', join(dir, 'poster.jpg')]);
      const types: Record<string, string> = {
        m3u8: 'application/vnd.apple.mpegurl',
        m4s: 'video/iso.segment',
        mp4: 'video/mp4',
        jpg: 'image/jpeg',
      };
      const files = await readdir(dir);
      for (const caption of ['Harbour at dawn #sea', 'Second clip #sea', 'Third clip #sea']) {
        const id = await seedVideo(t, ana, { caption, durationMs: 4000 });
        for (const f of files) {
          await t.app.store.put(`media/${id}/seed/${f}`, await readFile(join(dir, f)), { contentType: types[f.split('.').pop()!]! });
        }
        ids.unshift(id);
        captions.set(id, caption);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function open(
    path: string,
    opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark'; user?: TestUser; init?: () => void } = {},
  ): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser!.newContext({
      viewport: opts.viewport ?? PHONE,
      deviceScaleFactor: 1,
      colorScheme: opts.colorScheme ?? 'dark',
    });
    if (opts.user) {
      const { token, id, username } = opts.user;
      await context.addInitScript(
        ([tk, u]) => {
          localStorage.setItem('curta.token', tk);
          localStorage.setItem('curta.user', u);
        },
        [token, JSON.stringify({ id, username })] as const,
      );
    }
    if (opts.init) await context.addInitScript(opts.init);
    const errors: string[] = [];
    await reportCspViolations(context, (m) => errors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${t.baseUrl}${path}`);
    return { context, page, errors };
  }

  const active = (page: Page) => page.locator('[data-testid="feed"] .slide.is-active');
  const activeId = (page: Page) => active(page).getAttribute('data-video-id');
  /** The For You feed's video ids in order (the recommender's, not necessarily the upload order). */
  const feedIds = (page: Page) =>
    page.locator('[data-testid="feed"] [data-testid="feed-item"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-video-id')!));

  it('serves the manifest, the service worker and the icons as what they are, with their caching', async () => {
    const manifestRes = await fetch(`${t.baseUrl}/manifest.webmanifest`);
    expect(manifestRes.status).toBe(200);
    expect(manifestRes.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
    expect(manifestRes.headers.get('cache-control')).toBe('no-cache');
    const manifest = (await manifestRes.json()) as {
      name: string;
      short_name: string;
      start_url: string;
      display: string;
      theme_color: string;
      background_color: string;
      icons: Array<{ src: string; sizes: string; type: string; purpose?: string }>;
    };
    expect(manifest).toMatchObject({ name: 'Curta', short_name: 'Curta', start_url: '/', display: 'standalone' });
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
    const sizes = (purpose: string) => manifest.icons.filter((i) => (i.purpose ?? 'any').split(' ').includes(purpose)).map((i) => i.sizes);
    expect(sizes('any')).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(sizes('maskable')).toContain('512x512');
    for (const icon of manifest.icons) {
      const res = await fetch(new URL(icon.src, t.baseUrl));
      expect(res.status, icon.src).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
      const [w, h] = icon.sizes.split('x').map(Number);
      expect(pngSize(Buffer.from(await res.arrayBuffer()))).toEqual({ width: w, height: h });
    }

    const sw = await fetch(`${t.baseUrl}/sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    expect(sw.headers.get('cache-control')).toBe('no-cache'); // a new build's worker is seen at once
    const csp = sw.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/worker-src 'self'/);
    expect(csp).toMatch(/manifest-src 'self'/);
    const code = await sw.text();
    expect(code).not.toMatch(/__CURTA_SW_/);
    // Every file of the shell it caches exists (an install with a missing one fails).
    const shell = JSON.parse(JSON.parse(/JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(code)![1]!) as string) as string[];
    expect(shell).toEqual(expect.arrayContaining(['/', '/manifest.webmanifest', '/icons/icon-192.png']));
    expect(shell.some((u) => /^\/assets\/index-.*\.js$/.test(u))).toBe(true);
    expect(shell.some((u) => /^\/assets\/index-.*\.css$/.test(u))).toBe(true);
    expect(shell.filter((u) => /^\/(api|media)\//.test(u))).toEqual([]);
    for (const u of shell) expect((await fetch(new URL(u, t.baseUrl))).status, u).toBe(200);

    // The page links them.
    const html = await (await fetch(`${t.baseUrl}/`)).text();
    expect(html).toContain('<link rel="manifest" href="/manifest.webmanifest" />');
    expect(html).toMatch(/<meta name="theme-color" content="#[0-9a-f]{6}"/i);

    // A file the build does not have is a 404, never the app's page; app routes still are the page.
    for (const path of ['/icons/nope.png', '/nope.js', '/old-manifest.webmanifest']) {
      const res = await fetch(`${t.baseUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
    }
    for (const path of ['/@ana_shell', `/v/${ids[0]}`, '/tag/sea', '/search']) {
      const res = await fetch(`${t.baseUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
    }
  });

  it('registers the worker, opens offline from its cache, and never caches media segments, playlists or API answers', async () => {
    // A previous version's shell cache (and a poster kept by it), there before this worker installs.
    const { context, page, errors } = await open('/', {
      init: () => {
        if (sessionStorage.getItem('old-cache')) return;
        sessionStorage.setItem('old-cache', '1');
        void caches.open('curta-shell-0123456789abcdef').then((c) => c.put('/old-shell', new Response('old')));
      },
    });
    try {
      await active(page).waitFor();
      // The app registers it once the page has loaded; it installs (caching the shell) and activates.
      await expect
        .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state ?? 'none'), {
          timeout: 30_000,
        })
        .toBe('activated');
      const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
      expect(scope).toBe(`${t.baseUrl}/`);
      // The second load is the worker's: it plays the feed as before (posters now go through it).
      await page.reload();
      await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      await page.locator('[data-testid="feed"] .slide.is-active.has-frame').waitFor({ timeout: 20_000 });
      // An API answer and media requests from the page itself, through the worker.
      const requested = await page.evaluate(async (id) => {
        const urls = [
          `/api/v1/videos/${id}`,
          `/media/${id}/seed/master.m3u8`,
          `/media/${id}/seed/seg_000.m4s`,
          `/media/${id}/seed/video.mp4`,
        ];
        return Promise.all(urls.map(async (u) => (await fetch(u)).status));
      }, ids[0]!);
      expect(requested).toEqual([200, 200, 200, 200]);

      const cachedNow = () =>
        page.evaluate(async () => {
          const out: Record<string, string[]> = {};
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            out[name] = (await cache.keys()).map((r) => new URL(r.url).pathname);
          }
          return out;
        });
      // Posters go through the worker as the slides get them.
      await expect.poll(async () => (await cachedNow())['curta-posters']?.length ?? 0).toBeGreaterThan(0);
      const cached = await cachedNow();
      const names = Object.keys(cached);
      // One shell cache: this version's (the old one was deleted when it activated).
      expect(names.filter((n) => n.startsWith('curta-shell-'))).toHaveLength(1);
      expect(names).not.toContain('curta-shell-0123456789abcdef');
      const all = Object.values(cached).flat();
      expect(all).toEqual(expect.arrayContaining(['/', '/manifest.webmanifest']));
      // Posters of public videos, and nothing else under /media/; nothing of the API at all.
      for (const p of cached['curta-posters']!) expect(ids.map((id) => `/media/${id}/seed/poster.jpg`)).toContain(p);
      expect(all.filter((p) => p.startsWith('/media/') && !/\/poster(-[\w-]+)?\.jpg$/.test(p))).toEqual([]);
      expect(all.filter((p) => p.startsWith('/api/') || p.startsWith('/storage/'))).toEqual([]);

      // Offline: the app still opens (its shell from the cache) and says it can't load videos.
      await context.setOffline(true);
      await page.reload();
      await page.locator('.topbar .brand').waitFor({ timeout: 15_000 });
      await page.getByTestId('feed-error').waitFor({ timeout: 15_000 });
      expect(await page.locator('h1:visible').count()).toBe(1);
      await page.screenshot({ path: join(ARTIFACTS, 'phone-offline-shell.png'), animations: 'disabled' });
      // A page the app routes to, opened offline, is the same shell.
      await page.goto(`${t.baseUrl}/search`);
      await page.getByTestId('error-state').or(page.getByTestId('search-input')).first().waitFor({ timeout: 15_000 });
      await context.setOffline(false);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('lays a desktop out with the column in the middle, up/down buttons and comments docked beside the video', async () => {
    const { context, page, errors } = await open('/', { viewport: DESKTOP });
    try {
      await active(page).waitFor();
      const app = (await page.locator('.app').boundingBox())!;
      // 9:16 at the full height, centred.
      expect(Math.abs(app.width - (900 * 9) / 16)).toBeLessThan(2);
      expect(Math.abs(app.x + app.width / 2 - 720)).toBeLessThan(2);
      const next = page.getByTestId('feed-next');
      const prev = page.getByTestId('feed-prev');
      expect(await next.isVisible()).toBe(true);
      const nextBox = (await next.boundingBox())!;
      expect(nextBox.x).toBeGreaterThan(app.x + app.width); // beside the column, not over the video
      await page.screenshot({ path: join(ARTIFACTS, 'desktop-feed.png'), animations: 'disabled' });

      const order = await feedIds(page);
      expect(order.length).toBeGreaterThanOrEqual(3);
      expect(await activeId(page)).toBe(order[0]);
      await next.click();
      await expect.poll(() => activeId(page)).toBe(order[1]);
      await prev.click();
      await expect.poll(() => activeId(page)).toBe(order[0]);

      // Comments: a side panel next to the video, not a modal over it.
      await active(page).getByTestId('comments-open').click();
      const drawer = page.getByTestId('comments-drawer');
      await drawer.waitFor();
      expect(await drawer.evaluate((d) => d.matches(':modal'))).toBe(false);
      expect(await page.evaluate(() => document.body.classList.contains('comments-docked'))).toBe(true);
      // Column and panel side by side, the pair centred: the column moves left by half the panel and the gap.
      const column = (900 * 9) / 16;
      const pairLeft = (1440 - (column + 24 + 420)) / 2;
      await expect.poll(async () => Math.round((await page.locator('.app').boundingBox())!.x)).toBe(Math.round(pairLeft));
      await expect.poll(async () => Math.round((await drawer.boundingBox())!.x)).toBe(Math.round(pairLeft + column + 24));
      const docked = (await page.locator('.app').boundingBox())!;
      const panel = (await drawer.boundingBox())!;
      expect(panel.x).toBeGreaterThanOrEqual(docked.x + docked.width); // beside, not over
      expect(panel.x + panel.width).toBeLessThanOrEqual(1440);
      expect(panel.height).toBeGreaterThan(850);
      // The buttons moved to the column's other side, and still work with the panel open.
      expect((await next.boundingBox())!.x + nextBox.width).toBeLessThanOrEqual(docked.x);
      await page.getByTestId('comments-empty').waitFor();
      await page.waitForTimeout(800); // the screenshot after the column's slide (a video layer lags mid-transition)
      await page.screenshot({ path: join(ARTIFACTS, 'desktop-comments-docked.png'), animations: 'disabled' });
      expect(await drawer.getAttribute('data-video-id')).toBe(order[0]);
      await next.click();
      await expect.poll(() => activeId(page)).toBe(order[1]);
      // The panel follows the feed to the next video, and leaves focus where it was.
      await expect.poll(() => drawer.getAttribute('data-video-id')).toBe(order[1]);
      expect(await drawer.isVisible()).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('feed-next');
      // The comment button again closes it (a toggle for the same video); Escape does too.
      await active(page).getByTestId('comments-open').click();
      await expect.poll(() => drawer.isVisible()).toBe(false);
      await active(page).getByTestId('comments-open').click();
      await drawer.waitFor();
      await page.keyboard.press('Escape');
      await expect.poll(() => drawer.isVisible()).toBe(false);
      await expect.poll(() => page.evaluate(() => document.body.classList.contains('comments-docked'))).toBe(false);
      await expect.poll(async () => Math.round((await page.locator('.app').boundingBox())!.x)).toBe(Math.round(app.x)); // back in the middle
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('keeps the phone layout: the full-width column, no side buttons, comments as a modal bottom sheet', async () => {
    const { context, page, errors } = await open('/');
    try {
      await active(page).waitFor();
      expect((await page.locator('.app').boundingBox())!.width).toBe(390);
      expect(await page.getByTestId('feed-next').isVisible()).toBe(false);
      await active(page).getByTestId('comments-open').click();
      const drawer = page.getByTestId('comments-drawer');
      await drawer.waitFor();
      expect(await drawer.evaluate((d) => d.matches(':modal'))).toBe(true);
      // At the bottom (once its slide-in is over).
      await expect.poll(async () => Math.round(await drawer.evaluate((d) => d.getBoundingClientRect().bottom))).toBe(844);
      await page.getByTestId('comments-empty').waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'phone-comments-sheet.png'), animations: 'disabled' });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  for (const [name, viewport] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    it(`moves by keyboard on a ${name}: a skip link into the video, its few tab stops, j/k, space and m`, async () => {
      const { context, page, errors } = await open('/', { viewport });
      try {
        await active(page).locator('.slide-video').waitFor();
        await page.locator('[data-testid="feed"] .slide.is-active.has-frame').waitFor({ timeout: 20_000 });
        const order = await feedIds(page);
        // The first Tab stop of the page is the skip link; it puts focus on the current video.
        await page.evaluate(() => {
          document.body.tabIndex = -1;
          document.body.focus();
          document.body.removeAttribute('tabindex');
        });
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('skip-link');
        expect(await page.getByTestId('skip-link').isVisible()).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-skip-link.png`), animations: 'disabled' });
        await page.keyboard.press('Enter');
        expect(await page.evaluate(() => document.activeElement?.getAttribute('data-video-id'))).toBe(order[0]);

        // Tab through the video: each stop once, in order, then out of the slide (other slides add none).
        const stops: string[] = [];
        for (let i = 0; i < 30; i++) {
          await page.keyboard.press('Tab');
          const stop = await page.evaluate(() => {
            const el = document.activeElement as HTMLElement | null;
            const slide = el?.closest('.slide');
            if (!el || !slide) return null;
            return `${slide.getAttribute('data-video-id')}|${el.dataset.testid ?? el.getAttribute('aria-label') ?? el.textContent}`;
          });
          if (stop === null) break;
          stops.push(stop);
        }
        expect(stops).toEqual(
          ['tap-layer', 'author', '#sea', 'follow', 'like', 'comments-open', 'share', 'video-menu', 'mute-toggle', 'seek'].map(
            (s) => `${order[0]}|${s}`,
          ),
        );
        if (name === 'desktop') {
          // After the video: the previous/next buttons.
          expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('feed-prev');
        }

        // Keys on the video: j next, k back, m sound, space pause.
        await active(page).focus();
        await page.keyboard.press('j');
        await expect.poll(() => activeId(page)).toBe(order[1]);
        await page.keyboard.press('k');
        await expect.poll(() => activeId(page)).toBe(order[0]);
        await page.keyboard.press('ArrowDown');
        await expect.poll(() => activeId(page)).toBe(order[1]);
        await page.keyboard.press('ArrowUp');
        await expect.poll(() => activeId(page)).toBe(order[0]);
        const mute = active(page).getByTestId('mute-toggle');
        // (The first key may have turned sound on already: m flips whatever it is.)
        const muted = await mute.getAttribute('aria-pressed');
        await page.keyboard.press('m');
        expect(await mute.getAttribute('aria-pressed')).toBe(muted === 'true' ? 'false' : 'true');
        await page.keyboard.press('m');
        expect(await mute.getAttribute('aria-pressed')).toBe(muted);
        await active(page).focus();
        await page.keyboard.press(' ');
        await expect.poll(() => active(page).evaluate((el) => el.classList.contains('is-paused'))).toBe(true);
        expect(
          await active(page)
            .locator('video')
            .evaluate((v: HTMLVideoElement) => v.paused),
        ).toBe(true);
        await page.keyboard.press(' ');
        await expect
          .poll(() =>
            active(page)
              .locator('video')
              .evaluate((v: HTMLVideoElement) => v.paused),
          )
          .toBe(false);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);
  }

  it('gives every page one h1 and every video a label with its author and caption', async () => {
    const { context, page, errors } = await open('/', { viewport: DESKTOP });
    try {
      await active(page).waitFor();
      const labelled = await page
        .locator('[data-testid="feed"] [data-testid="feed-item"]')
        .evaluateAll((els) =>
          els.map((e) => [
            e.getAttribute('data-video-id'),
            e.getAttribute('aria-label'),
            e.querySelector('video')?.getAttribute('aria-label'),
          ]),
        );
      expect(labelled.map(([id]) => id).sort()).toEqual([...ids].sort());
      for (const [id, slideLabel, videoLabel] of labelled) {
        expect(videoLabel).toBe(`Video by @ana_shell: ${captions.get(id!)}`);
        expect(slideLabel).toBe(videoLabel);
      }
      const pages: Array<[string, string | RegExp]> = [
        ['/', 'For You'],
        ['/following', 'Following'],
        [`/v/${ids[0]}`, 'Video by @ana_shell'],
        ['/search', /Search|Discover/],
        ['/tag/sea', /sea/],
        ['/@ana_shell', /ana_shell/],
        ['/upload', /Upload/],
        ['/saved', /Saved/],
        ['/settings', /./],
        ['/no/such/page', /./],
      ];
      for (const [path, heading] of pages) {
        await page.goto(`${t.baseUrl}${path}`);
        await expect.poll(() => page.locator('h1:visible').count(), { message: path }).toBe(1);
        expect(await page.locator('h1:visible').textContent(), path).toMatch(heading);
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('follows a light colour scheme on pages and sheets, with the video area still dark', async () => {
    for (const [name, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const { context, page, errors } = await open('/', { viewport, colorScheme: 'light' });
      try {
        await active(page).waitFor();
        // The video and the bar over it stay dark.
        expect(luminance(await active(page).evaluate((el) => getComputedStyle(el).backgroundColor))).toBeLessThan(0.1);
        expect(luminance(await page.locator('.tab[aria-current="page"]').evaluate((el) => getComputedStyle(el).color))).toBeGreaterThan(
          0.9,
        );
        for (const el of [active(page).getByTestId('author'), page.getByTestId('open-auth')]) {
          expect(luminance(await el.evaluate((e) => getComputedStyle(e).color))).toBeGreaterThan(0.9);
        }
        await active(page).getByTestId('comments-open').click();
        const drawer = page.getByTestId('comments-drawer');
        await page.getByTestId('comments-empty').waitFor();
        expect(luminance(await drawer.evaluate((el) => getComputedStyle(el).backgroundColor))).toBeGreaterThan(0.9);
        expect(luminance(await drawer.evaluate((el) => getComputedStyle(el).color))).toBeLessThan(0.2);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-light-comments.png`), animations: 'disabled' });
        await page.keyboard.press('Escape');

        await page.goto(`${t.baseUrl}/@ana_shell`);
        await page.locator('h1:visible').waitFor();
        const host = page.locator('.page-host');
        expect(luminance(await host.evaluate((el) => getComputedStyle(el).backgroundColor))).toBeGreaterThan(0.9);
        expect(luminance(await page.locator('h1:visible').evaluate((el) => getComputedStyle(el).color))).toBeLessThan(0.2);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-light-profile.png`), animations: 'disabled' });
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
      // Signed in: the studio's form (inputs, switches) on the light page.
      const studio = await open('/upload', { viewport, colorScheme: 'light', user: ana });
      try {
        const caption = studio.page.locator('textarea:visible').first();
        await caption.waitFor();
        expect(luminance(await caption.evaluate((el) => getComputedStyle(el).backgroundColor))).toBeGreaterThan(0.9);
        expect(luminance(await caption.evaluate((el) => getComputedStyle(el).color))).toBeLessThan(0.2);
        await studio.page.screenshot({ path: join(ARTIFACTS, `${name}-light-upload.png`), animations: 'disabled', fullPage: true });
        expect(studio.errors).toEqual([]);
      } finally {
        await studio.context.close();
      }
      // The same page in the dark scheme stays dark.
      const dark = await open('/@ana_shell', { viewport });
      try {
        await dark.page.locator('h1:visible').waitFor();
        expect(luminance(await dark.page.locator('.page-host').evaluate((el) => getComputedStyle(el).backgroundColor))).toBeLessThan(0.1);
        await dark.page.screenshot({ path: join(ARTIFACTS, `${name}-dark-profile.png`), animations: 'disabled' });
      } finally {
        await dark.context.close();
      }
    }
  }, 120_000);
});
