/**
 * Issue 13, "the viewer's app", in a real Chromium at 390×844 and 1440×900:
 * - context: a video opened from a profile grid or a hashtag grid swipes through
 *   THAT grid (its order, its next page), not into For You; the URL carries the
 *   grid (a reload keeps it); back returns to the grid as it was, scrolled where it was;
 * - "Not interested" from the video's menu and by long-press (mouse and touch): the
 *   video leaves the feed, the server stores it, Undo puts both back; the long-press
 *   neither pauses nor likes;
 * - a long caption is clamped with "more" (and "less"); tapping it never pauses.
 * Screenshots of each go to test-artifacts/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations, uploadClipViaApi } from '../support/browser.js';
import { makeRedBlueClip } from '../support/media-helpers.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import type { TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const VIEWPORTS = [
  { name: 'phone', viewport: { width: 390, height: 844 }, touch: true },
  { name: 'desktop', viewport: { width: 1440, height: 900 }, touch: false },
] as const;
const LONG_CAPTION =
  'A long walk along the river at blue hour, the light going from gold to grey while the city switches on, ' +
  'one window at a time; the boats come home, the bridges light up and the water keeps every colour for a ' +
  'moment longer than the sky does. Filmed on a phone, no filters #bluehour #river';

describe.skipIf(!browserTestsEnabled('grid-context-browser.test'))('grid context, Not interested and captions in Chromium', () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let api: Api;
  let tmp: string;
  let ana: TestUser;
  let bob: TestUser;
  let viewer: TestUser;
  /** Ana's videos, newest first (her profile grid's order): 20 of them, so the grid has a second page (18 a page). */
  let anaVideos: string[];
  let longCaptionVideo: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'curta-context-'));
    const clip = join(tmp, 'clip.mp4');
    const { startTestApp, apiClient, waitForVideo } = await import('../support/test-app.js');
    await Promise.all([ensureWebBuilt(ROOT), mkdir(ARTIFACTS, { recursive: true }), makeRedBlueClip(clip)]);
    t = await startTestApp();
    api = apiClient(t.baseUrl);
    ana = await signup(api, 'ctx_ana');
    bob = await signup(api, 'ctx_bob');
    viewer = await signup(api, 'ctx_viewer');
    // One real, transcoded clip; the other rows share its renditions, so every slide really plays.
    longCaptionVideo = await uploadClipViaApi(t.baseUrl, api, bob.token, clip, LONG_CAPTION);
    const ready = await waitForVideo(api, longCaptionVideo, bob.token, (v) => v.status === 'ready' || v.status === 'failed');
    expect(ready.status).toBe('ready');
    const seeded: string[] = [];
    for (let i = 0; i < 20; i++) {
      seeded.push(await seedVideo(t, ana, { caption: `ana ${i}${i % 4 === 0 ? ' #ctxtag' : ''}`, ageMs: (40 - i) * 60_000 }));
    }
    for (let i = 0; i < 4; i++) seeded.push(await seedVideo(t, bob, { caption: `bob ${i} #ctxtag`, ageMs: (30 - i * 4) * 60_000 + 1000 }));
    await t.app.db.query(
      `UPDATE videos v SET media_prefix = r.media_prefix, playback = r.playback, duration_ms = r.duration_ms, width = r.width, height = r.height
       FROM videos r WHERE r.id = $1 AND v.id = ANY($2::text[])`,
      [longCaptionVideo, seeded],
    );
    t.app.services.recs.catalog.invalidate();
    anaVideos = seeded.slice(0, 20).reverse();
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function open(
    viewport: { width: number; height: number },
    opts: { as?: TestUser; touch?: boolean } = {},
  ): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser!.newContext({ viewport, deviceScaleFactor: 1, hasTouch: opts.touch ?? false });
    if (opts.as) {
      const user = { id: opts.as.id, username: opts.as.username };
      await context.addInitScript(
        ([token, u]) => {
          if (!localStorage.getItem('curta.token')) {
            localStorage.setItem('curta.token', token);
            localStorage.setItem('curta.user', u);
          }
        },
        [opts.as.token, JSON.stringify(user)] as const,
      );
    }
    const errors: string[] = [];
    await reportCspViolations(context, (m) => errors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    return { context, page, errors };
  }

  const activeId = (page: Page) =>
    page.evaluate(() => document.querySelector('[data-testid="feed-item"].is-active')?.getAttribute('data-video-id') ?? null);
  const slideIds = (page: Page, feed: string) =>
    page.evaluate(
      (testId) =>
        [...document.querySelectorAll(`[data-testid="${testId}"]:not([hidden]) [data-testid="feed-item"]`)].map((e) =>
          e.getAttribute('data-video-id'),
        ),
      feed,
    );
  /**
   * Swipes to the slide after the current one and waits for it to become current. The scroll is
   * to that slide's position, repeated while it has not become current: idempotent, so a scroll
   * that lands before the slide is laid out (the context's next page still loading on a busy
   * machine) is simply done again.
   */
  async function swipeNext(page: Page, feed: string): Promise<string> {
    const before = await activeId(page);
    await page.waitForFunction(
      ({ testId, prev }) => {
        const active = document.querySelector('[data-testid="feed-item"].is-active')?.getAttribute('data-video-id');
        if (active && active !== prev) return true;
        const el = document.querySelector<HTMLElement>(`[data-testid="${testId}"]:not([hidden])`)!;
        const from = el.querySelector(`[data-testid="feed-item"][data-video-id="${prev}"]`);
        let next = from?.nextElementSibling;
        while (next && next.getAttribute('data-testid') !== 'feed-item') next = next.nextElementSibling;
        if (next)
          el.scrollTo({ top: el.scrollTop + next.getBoundingClientRect().top - el.getBoundingClientRect().top, behavior: 'instant' });
        return false;
      },
      { testId: feed, prev: before },
      { timeout: 20_000, polling: 250 },
    );
    return (await activeId(page))!;
  }
  const gridIds = (page: Page) =>
    page.evaluate(() => [...document.querySelectorAll('[data-testid="grid-video"]')].map((a) => a.getAttribute('data-video-id')));
  const isPlaying = (page: Page, id: string) =>
    page.evaluate((vid) => {
      const slide = document.querySelector(`[data-testid="feed-item"][data-video-id="${vid}"]`);
      const video = slide?.querySelector('video');
      return !!video && !video.paused && !slide!.classList.contains('is-paused');
    }, id);
  const notInterestedRows = async (userId: string, videoId: string) =>
    (
      await t!.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM video_not_interested WHERE user_id = $1 AND video_id = $2`, [
        userId,
        videoId,
      ])
    ).rows[0]!.n;
  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  for (const { name, viewport } of VIEWPORTS) {
    it(`${name}: a profile grid's video swipes through that grid, into its next page; reload keeps it; back returns to the grid where it was`, async () => {
      const { context, page, errors } = await open(viewport);
      try {
        await page.goto(`${t!.baseUrl}/@${ana.username}`);
        await page.getByTestId('grid-video').first().waitFor({ timeout: 20_000 });
        const grid = await gridIds(page);
        // The first page, in order; on a tall viewport the next page may already have been fetched by now.
        expect(grid.slice(0, 18)).toEqual(anaVideos.slice(0, 18));
        expect(grid).toEqual(anaVideos.slice(0, grid.length));
        // The 16th tile (well below the fold): scrolled into view first, as a viewer would.
        const tile = page.locator(`[data-testid="grid-video"][data-video-id="${anaVideos[15]}"]`);
        await tile.scrollIntoViewIfNeeded();
        const scrolled = await page.evaluate(() => document.querySelector('.page-host')!.scrollTop);
        expect(scrolled).toBeGreaterThan(0);
        await expect(tile.getAttribute('href')).resolves.toBe(`/v/${anaVideos[15]}?from=${encodeURIComponent(`@${ana.username}`)}`);
        await tile.click();
        await page.waitForURL(`**/v/${anaVideos[15]}?from=*`);
        await page.getByTestId('feed-video-page').waitFor();
        await until(async () => (await activeId(page)) === anaVideos[15], 'the opened video to be current');
        await page.getByTestId('context-back').waitFor();
        await page.screenshot({ path: join(ARTIFACTS, `grid-context-profile-${name}.png`) });

        // Down the grid in its order: 17, 18, then 19 and 20 from its second page — never For You (bob's videos).
        const seen = [anaVideos[15]];
        for (let i = 0; i < 4; i++) seen.push(await swipeNext(page, 'feed-video-page'));
        expect(seen).toEqual(anaVideos.slice(15, 20));
        const all = await slideIds(page, 'feed-video-page');
        expect(all).toEqual(anaVideos.slice(15, 20));

        // A reload keeps the context (the URL carries it).
        await page.reload();
        await page.getByTestId('feed-video-page').waitFor();
        await until(async () => (await activeId(page)) === anaVideos[15], 'the opened video after a reload');
        expect(await swipeNext(page, 'feed-video-page')).toBe(anaVideos[16]);

        // Back returns to the grid where it was scrolled (remounted after the reload: from history's state).
        await page.goBack();
        await page.getByTestId('profile-page').waitFor();
        await page.getByTestId('grid-video').first().waitFor();
        await until(
          async () => (await page.evaluate(() => document.querySelector('.page-host')!.scrollTop)) === scrolled,
          'the scroll back',
        );
        await page.screenshot({ path: join(ARTIFACTS, `grid-context-profile-back-${name}.png`) });
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);

    it(`${name}: the back button returns to the same grid scroll position; a hashtag grid swipes through the hashtag`, async () => {
      const { context, page, errors } = await open(viewport);
      try {
        await page.goto(`${t!.baseUrl}/tag/ctxtag`);
        await page.getByTestId('grid-video').first().waitFor({ timeout: 20_000 });
        const grid = await gridIds(page);
        // Ana's and bob's tagged videos, newest first.
        expect(grid.length).toBe(9);
        const tile = page.locator(`[data-testid="grid-video"][data-video-id="${grid[5]}"]`);
        await tile.scrollIntoViewIfNeeded();
        const scrolled = await page.evaluate(() => document.querySelector('.page-host')!.scrollTop);
        await tile.click();
        await page.getByTestId('feed-video-page').waitFor();
        await until(async () => (await activeId(page)) === grid[5], 'the opened video to be current');
        expect(await swipeNext(page, 'feed-video-page')).toBe(grid[6]);
        expect(await swipeNext(page, 'feed-video-page')).toBe(grid[7]);
        await page.screenshot({ path: join(ARTIFACTS, `grid-context-hashtag-${name}.png`) });
        expect(await slideIds(page, 'feed-video-page')).toEqual(grid.slice(5));

        await page.getByTestId('context-back').click();
        await page.getByTestId('tag-page').waitFor();
        await page.waitForURL('**/tag/ctxtag');
        expect(await page.evaluate(() => document.querySelector('.page-host')!.scrollTop)).toBe(scrolled);
        expect(await gridIds(page)).toEqual(grid);
        await page.screenshot({ path: join(ARTIFACTS, `grid-context-hashtag-back-${name}.png`) });
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);
  }

  for (const { name, viewport, touch } of VIEWPORTS) {
    it(`${name}: Not interested from the menu and by long-press (${touch ? 'touch' : 'mouse'}) leaves the feed, with Undo`, async () => {
      const { context, page, errors } = await open(viewport, { as: viewer, touch });
      try {
        await page.goto(`${t!.baseUrl}/`);
        await page.getByTestId('feed').locator('[data-testid="feed-item"].is-active').waitFor({ timeout: 20_000 });
        const first = (await activeId(page))!;
        const slide = (id: string) => page.locator(`[data-testid="feed-item"][data-video-id="${id}"]`);

        // From the menu.
        await slide(first).getByTestId('video-menu').click();
        await page.getByTestId('menu-not-interested').click();
        await slide(first).waitFor({ state: 'detached' });
        const undo = page.getByTestId('toast-undo');
        await undo.waitFor();
        await until(async () => (await notInterestedRows(viewer.id, first)) === 1, 'the mark to be stored');
        const next = (await activeId(page))!;
        expect(next).not.toBe(first);
        await page.screenshot({ path: join(ARTIFACTS, `not-interested-toast-${name}.png`) });
        await undo.click();
        await slide(first).waitFor();
        await until(async () => (await activeId(page)) === first, 'the video back in its place');
        await until(async () => (await notInterestedRows(viewer.id, first)) === 0, 'the mark to be undone');

        // By long-press on the playing video: its menu opens, the video neither pauses nor gets a like.
        await until(() => isPlaying(page, first), 'the video to play');
        const box = (await slide(first).getByTestId('tap-layer').boundingBox())!;
        const x = box.x + box.width / 2;
        const y = box.y + box.height / 3;
        if (touch) {
          const cdp = await context.newCDPSession(page);
          await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
          await page.waitForTimeout(800);
          await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
        } else {
          await page.mouse.move(x, y);
          await page.mouse.down();
          await page.waitForTimeout(800);
          await page.mouse.up();
        }
        await page.getByTestId('video-menu-sheet').waitFor();
        // The finger (or button) lifted over the sheet did not close it.
        await page.waitForTimeout(300);
        expect(await page.getByTestId('video-menu-sheet').isVisible()).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `not-interested-long-press-${name}.png`) });
        // Longer than a tap's wait for its double: a swallowed click would have paused by now.
        await page.waitForTimeout(500);
        expect(await isPlaying(page, first)).toBe(true);
        await expect(slide(first).getByTestId('like').getAttribute('aria-pressed')).resolves.toBe('false');
        await page.getByTestId('menu-not-interested').click();
        await slide(first).waitFor({ state: 'detached' });
        await until(async () => (await notInterestedRows(viewer.id, first)) === 1, 'the mark to be stored');
        const liked = await t!.app.db.query(`SELECT 1 FROM video_likes WHERE user_id = $1`, [viewer.id]);
        expect(liked.rows).toEqual([]);
        await page.getByTestId('toast-undo').last().click();
        await slide(first).waitFor();
        await until(async () => (await notInterestedRows(viewer.id, first)) === 0, 'the mark to be undone');
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);

    it(`${name}: a long caption opens with "more" and closes with "less"; tapping it never pauses`, async () => {
      const { context, page, errors } = await open(viewport);
      try {
        await page.goto(`${t!.baseUrl}/v/${longCaptionVideo}`);
        const slide = page.locator(`[data-testid="feed-item"][data-video-id="${longCaptionVideo}"]`);
        await slide.waitFor({ timeout: 20_000 });
        await until(() => isPlaying(page, longCaptionVideo), 'the video to play');
        const caption = slide.getByTestId('caption');
        const more = slide.getByTestId('caption-more');
        await more.waitFor();
        await expect(more.textContent()).resolves.toBe('more');
        const clamped = (await caption.boundingBox())!.height;
        await page.screenshot({ path: join(ARTIFACTS, `caption-clamped-${name}.png`) });

        await more.click();
        await expect(more.textContent()).resolves.toBe('less');
        await expect(more.getAttribute('aria-expanded')).resolves.toBe('true');
        expect((await caption.boundingBox())!.height).toBeGreaterThan(clamped);
        await page.waitForTimeout(500);
        expect(await isPlaying(page, longCaptionVideo)).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `caption-open-${name}.png`) });

        await more.click();
        await expect(more.textContent()).resolves.toBe('more');
        expect((await caption.boundingBox())!.height).toBeCloseTo(clamped, 0);
        // A tap on the caption text itself opens it too, and pauses nothing.
        await caption.click({ position: { x: 10, y: 5 } });
        await expect(more.textContent()).resolves.toBe('less');
        await page.waitForTimeout(500);
        expect(await isPlaying(page, longCaptionVideo)).toBe(true);

        // A short caption has no "more".
        await page.goto(`${t!.baseUrl}/v/${anaVideos[0]}`);
        const short = page.locator(`[data-testid="feed-item"][data-video-id="${anaVideos[0]}"]`);
        await short.getByTestId('caption').waitFor({ timeout: 20_000 });
        await page.waitForTimeout(300);
        expect(await short.getByTestId('caption-more').isVisible()).toBe(false);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);
  }
});
