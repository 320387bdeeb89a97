/**
 * A swipe only presents: in a real Chromium against the real server with real
 * transcoded videos, while the first video of the feed plays, the next one is
 * already loaded, decoded (readyState ≥ HAVE_CURRENT_DATA) and warm (its
 * pipeline has run, silently and off screen, and is paused near its start,
 * its volume back), and nothing but the current video plays. A swipe down
 * plays it; a swipe back plays the previous video from the same player: no
 * new playlist request, the same MediaSource. Phone and desktop sizes, with
 * screenshots in test-artifacts/warm-swipe/. No timings are asserted (the
 * benchmark, `npm run bench:web`, measures them).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations, uploadClipViaApi } from '../support/browser.js';
import { makeClip } from '../support/media.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'warm-swipe');
const VIDEOS = 4;

interface VideoState {
  readyState: number;
  paused: boolean;
  currentTime: number;
  volume: number;
  src: string;
  warm: string | null;
}

const videoSel = (id: string) => `[data-testid="feed"] [data-testid="feed-item"][data-video-id="${id}"] video`;

async function stateOf(page: Page, id: string): Promise<VideoState> {
  return page.$eval(videoSel(id), (el) => {
    const v = el as HTMLVideoElement;
    return {
      readyState: v.readyState,
      paused: v.paused,
      currentTime: v.currentTime,
      volume: v.volume,
      src: v.src,
      warm: v.dataset.warm ?? null,
    };
  });
}

/** Resolves once this video's time has advanced by `seconds` while playing. */
async function waitPlaying(page: Page, id: string, seconds = 0.3): Promise<void> {
  const sel = videoSel(id);
  const start = await page.$eval(sel, (v) => (v as HTMLVideoElement).currentTime).catch(() => 0);
  await page.waitForFunction(
    ({ sel, start, seconds }) => {
      const v = document.querySelector<HTMLVideoElement>(sel);
      return !!v && !v.paused && v.readyState >= 3 && (v.currentTime > start + seconds || v.currentTime < start);
    },
    { sel, start, seconds },
    { timeout: 30_000, polling: 100 },
  );
}

/** Resolves once the video is decoded and its warm-up is over (it ran and paused). */
async function waitWarm(page: Page, id: string): Promise<void> {
  await page.waitForFunction(
    (sel) => {
      const v = document.querySelector<HTMLVideoElement>(sel);
      return !!v && v.readyState >= 2 && v.dataset.warm === 'true';
    },
    videoSel(id),
    { timeout: 30_000, polling: 100 },
  );
}

const playingIds = (page: Page) =>
  page.$$eval('[data-testid="feed"] [data-testid="feed-item"] video', (els) =>
    els.filter((v) => !(v as HTMLVideoElement).paused).map((v) => v.closest<HTMLElement>('[data-video-id]')!.dataset.videoId!),
  );

describe.skipIf(!browserTestsEnabled('warm-swipe-browser.test'))('warm players in the feed (Chromium)', () => {
  let browser: Browser | undefined;
  let baseUrl: string;
  let closeServer: (() => Promise<void>) | undefined;
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'curta-warm-'));
    await mkdir(ARTIFACTS, { recursive: true });
    const clips = Array.from({ length: VIDEOS }, (_, i) => join(tmp, `clip-${i}.mp4`));
    await Promise.all([ensureWebBuilt(ROOT), ...clips.map((path) => makeClip(path, { width: 360, height: 640, seconds: 4, fps: 30 }))]);
    const { apiClient, startTestApp, waitForVideo } = await import('../support/test-app.js');
    const t = await startTestApp();
    baseUrl = t.baseUrl;
    closeServer = () => t.close();
    const api = apiClient(baseUrl);
    const r = await api('POST', '/api/v1/auth/signup', { body: { username: 'warm_creator', password: 'correct horse battery' } });
    const token = (r.body as { token: string }).token;
    const ids: string[] = [];
    for (const [i, clip] of clips.entries()) ids.push(await uploadClipViaApi(baseUrl, api, token, clip, `Warm clip ${i + 1}`));
    for (const id of ids) await waitForVideo(api, id, token, (v: { status: string }) => v.status === 'ready', 150_000);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await closeServer?.();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  for (const [name, viewport] of [
    ['phone', { width: 390, height: 844 }],
    ['desktop', { width: 1440, height: 900 }],
  ] as const) {
    it(`keeps the next video decoded and warm, and the previous one ready to resume (${name})`, async () => {
      const context = await browser!.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce' });
      const pageErrors: string[] = [];
      await reportCspViolations(context, (m) => pageErrors.push(m));
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      const playlists: string[] = [];
      page.on('request', (req) => {
        if (new URL(req.url()).pathname.endsWith('.m3u8')) playlists.push(req.url());
      });
      const playlistsOf = (id: string) => playlists.filter((u) => u.includes(`/${id}/`)).length;
      try {
        await page.goto(baseUrl);
        const feed = page.getByTestId('feed');
        await feed
          .locator('[data-testid="feed-item"]')
          .nth(VIDEOS - 1)
          .waitFor({ state: 'attached', timeout: 30_000 });
        const ids = await feed
          .locator('[data-testid="feed-item"]')
          .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.videoId!));
        expect(ids).toHaveLength(VIDEOS);
        const [first, second, third] = ids as [string, string, string];

        // The first plays; before any swipe the next one is decoded, has run once and waits paused at its start.
        await waitPlaying(page, first);
        await waitWarm(page, second);
        await waitWarm(page, third); // two ahead warm up as well
        const next = await stateOf(page, second);
        expect(next.readyState).toBeGreaterThanOrEqual(2);
        expect(next.paused).toBe(true);
        expect(next.src).toMatch(/^blob:/);
        expect(next.currentTime).toBeLessThan(0.5); // a frame or two of warm-up, not a head start
        expect(next.volume).toBe(1); // the silent warm-up gave its volume back
        expect(playlistsOf(second)).toBeGreaterThan(0); // preloaded: its playlists were fetched already
        await expect.poll(() => playingIds(page)).toEqual([first]);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-first.png`) });

        // Swipe down: the warm one plays, from the same player (no new playlist); the first pauses.
        const secondPlaylists = playlistsOf(second);
        await page.keyboard.press('ArrowDown');
        await waitPlaying(page, second);
        expect((await stateOf(page, second)).src).toBe(next.src);
        expect(playlistsOf(second)).toBe(secondPlaylists);
        // (Only once the one two ahead, preloaded now, has finished its own warm-up.)
        await expect.poll(() => playingIds(page)).toEqual([second]);
        // The key press was a gesture: sound is on, at full volume, for the one playing.
        expect(await page.$eval(videoSel(second), (v) => [(v as HTMLVideoElement).muted, (v as HTMLVideoElement).volume])).toEqual([
          false,
          1,
        ]);
        // And the one after it is warm in turn.
        await waitWarm(page, third);
        expect((await stateOf(page, third)).paused).toBe(true);

        // Swipe back: the first resumes where it was, from the player kept behind: the same
        // MediaSource, no new playlist request.
        const before = await stateOf(page, first);
        expect(before.paused).toBe(true);
        expect(before.readyState).toBeGreaterThanOrEqual(2);
        const firstPlaylists = playlistsOf(first);
        await page.keyboard.press('ArrowUp');
        await waitPlaying(page, first);
        const after = await stateOf(page, first);
        expect(after.src).toBe(before.src);
        expect(playlistsOf(first)).toBe(firstPlaylists);
        await expect.poll(() => playingIds(page)).toEqual([first]);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-back.png`) });

        // A key makes the next video current in the same task, before the list has scrolled
        // to it: its warm player presents while the scroll is under way.
        const currentAfterKey = await page.evaluate(() => {
          document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true, cancelable: true }));
          return document.querySelector<HTMLElement>('[data-testid="feed"] [data-testid="feed-item"].is-active')?.dataset.videoId;
        });
        expect(currentAfterKey).toBe(second);
        await waitPlaying(page, second);
        await expect.poll(() => playingIds(page)).toEqual([second]);
        expect(pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);
  }
});
