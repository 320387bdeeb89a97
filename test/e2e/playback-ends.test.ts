/**
 * Every video ends and loops, in a real Chromium with the real web page.
 *
 * Each `ready` row of ../shared/fixtures/videos/MANIFEST.tsv (real phone,
 * camera and browser recordings) is uploaded, processed by the real worker
 * and opened on its `/v/{id}` page: it must reach its end with a real
 * `ended` from the browser (not the player's end-stall guard: the HLS
 * renditions' tracks must end together) and start over (time back at the
 * beginning and moving again). Longer videos are seeked close to their end
 * rather than watched whole. Then the guard itself: a video whose last,
 * short segment never arrives stalls a hair before its end, and still loops.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations, uploadClipViaApi } from '../support/browser.js';
import { makeClip } from '../support/media.js';
import type { apiClient } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = resolve(ROOT, '../shared/fixtures/videos');
const MANIFEST = join(FIXTURES, 'MANIFEST.tsv');
/** Pages playing at once: each is a decoder and an hls.js; more only slows a 2-core machine. */
const PAGES = 3;
/** Videos longer than this are seeked to this far before their end instead of watched whole. */
const TAIL_S = 1.5;

function readyFixtures(): string[] {
  const [header, ...lines] = readFileSync(MANIFEST, 'utf8').trim().split('\n');
  const cols = (header ?? '').split('\t');
  const file = cols.indexOf('file');
  const expectCol = cols.indexOf('expect');
  if (file < 0 || expectCol < 0) throw new Error(`${MANIFEST}: no "file" or "expect" column`);
  return lines.map((l) => l.split('\t')).flatMap((f) => (f[expectCol] === 'ready' && f[file] ? [f[file]] : []));
}

/** What the page saw of one video, recorded from its events. */
interface Watch {
  duration: number;
  /** Trusted (browser) and synthetic (the player's end-stall guard) `ended` events. */
  ended: number;
  rescued: number;
  /** The playback position when the first `ended` came. */
  endedAt: number | null;
  /** After the first end: whether time went back to the start, and how far it then got. */
  backAtStart: boolean;
  afterLoop: number;
  stalls: string | null;
  mode: string | null;
}

/** Opens the video's page, lets it play (from near its end when long), and waits until it has ended and looped. */
async function watchToEndAndLoop(page: Page, baseUrl: string, id: string, timeoutMs: number): Promise<Watch> {
  await page.goto(`${baseUrl}/v/${id}`);
  const sel = `[data-testid="feed-video-page"] [data-testid="feed-item"][data-video-id="${id}"] video`;
  await page.waitForSelector(sel, { state: 'attached' });
  await page.$eval(sel, (el) => {
    const v = el as HTMLVideoElement;
    const w: Watch = {
      duration: NaN,
      ended: 0,
      rescued: 0,
      endedAt: null,
      backAtStart: false,
      afterLoop: 0,
      stalls: null,
      mode: null,
    };
    (window as unknown as { __watch: Watch }).__watch = w;
    // Capture: ahead of the page's own listener, which rewinds to 0 to loop.
    v.addEventListener(
      'ended',
      (e) => {
        if (e.isTrusted) w.ended++;
        else w.rescued++;
        w.endedAt ??= v.currentTime;
      },
      { capture: true },
    );
    v.addEventListener('timeupdate', () => {
      if (w.endedAt === null) return;
      if (v.currentTime < 0.1) w.backAtStart = true;
      else if (w.backAtStart) w.afterLoop = Math.max(w.afterLoop, v.currentTime);
    });
  });
  // Playing: then jump close to the end of a long one.
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector<HTMLVideoElement>(s);
      return !!v && !v.paused && v.readyState >= 2 && Number.isFinite(v.duration) && v.duration > 0;
    },
    sel,
    { timeout: timeoutMs, polling: 100 },
  );
  await page.$eval(
    sel,
    (el, tail) => {
      const v = el as HTMLVideoElement;
      if (v.duration > tail + 1 && v.currentTime < v.duration - tail) v.currentTime = v.duration - tail;
    },
    TAIL_S,
  );
  // Ended and looped: back at the start and playing on (a clip shorter than that loops whole, so two ends will do).
  await page
    .waitForFunction(
      (s) => {
        const v = document.querySelector<HTMLVideoElement>(s);
        const w = (window as unknown as { __watch: Watch }).__watch;
        if (!v) return false;
        const ends = w.ended + w.rescued;
        return ends >= 2 || (ends >= 1 && w.backAtStart && w.afterLoop >= Math.min(0.3, v.duration / 2));
      },
      sel,
      { timeout: timeoutMs, polling: 100 },
    )
    .catch(() => undefined); // reported below, with what was seen
  return page.$eval(sel, (el) => {
    const v = el as HTMLVideoElement;
    const w = (window as unknown as { __watch: Watch }).__watch;
    return {
      ...w,
      duration: v.duration,
      stalls: v.dataset.endStalls ?? null,
      mode: v.src.startsWith('blob:') ? 'mse' : v.src ? 'src' : null,
      now: v.currentTime,
    };
  });
}

const looped = (w: Watch) => w.ended + w.rescued >= 1 && (w.ended + w.rescued >= 2 || (w.backAtStart && w.afterLoop > 0));

const present = existsSync(MANIFEST);
if (!present && process.env.CI === 'true') {
  describe('video fixtures for playback', () => {
    it('are present in CI', () => {
      expect.fail(`video fixtures missing: ${MANIFEST} (CI must check out ../shared)`);
    });
  });
} else if (!present) {
  console.log(`[playback-ends.test] fixtures skipped: ${FIXTURES} not found`);
}

describe.skipIf(!browserTestsEnabled('playback-ends.test'))('every video ends and loops in Chromium', () => {
  let browser: Browser | undefined;
  let baseUrl: string;
  let api: ReturnType<typeof apiClient>;
  let closeServer: (() => Promise<void>) | undefined;
  let tmp: string;
  let token: string;
  /** Fixture file → video id, in upload order. */
  const uploaded = new Map<string, string>();
  let shortTailId = '';
  const startedAt = Date.now();

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'curta-ends-'));
    // 4.2 s at 30 fps: segments of 2 s, 2 s and 0.2 s, so a stall before the last one is 0.2 s short of the end.
    const shortTail = join(tmp, 'short-tail.mp4');
    await Promise.all([ensureWebBuilt(ROOT), makeClip(shortTail, { width: 360, height: 640, seconds: 4.2, fps: 30 })]);
    const { apiClient, startTestApp } = await import('../support/test-app.js');
    // Two jobs at once: the fixtures are short, and one ffmpeg leaves a core idle while it probes and publishes.
    const t = await startTestApp({ WORKER_CONCURRENCY: '2' });
    baseUrl = t.baseUrl;
    closeServer = () => t.close();
    api = apiClient(baseUrl);
    const r = await api('POST', '/api/v1/auth/signup', { body: { username: 'loop_tester', password: 'correct horse battery' } });
    token = r.body.token as string;
    shortTailId = await uploadClipViaApi(baseUrl, api, token, shortTail, 'short tail');
    if (present) {
      for (const file of readyFixtures()) uploaded.set(file, await uploadClipViaApi(baseUrl, api, token, join(FIXTURES, file), file));
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await closeServer?.();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    console.log(
      `[playback-ends.test] ${uploaded.size} fixtures + 1 clip processed and played in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );
  });

  /** Resolves once the video is ready (throws with its error when it failed). */
  const ready = async (id: string): Promise<void> => {
    const { waitForVideo } = await import('../support/test-app.js');
    const v = await waitForVideo(api, id, token, (x) => x.status === 'ready' || x.status === 'failed', 240_000);
    if (v.status !== 'ready') throw new Error(`processing failed: ${JSON.stringify(v.error)}`);
  };

  it.skipIf(!present)(
    'plays every ready fixture to a real end, then from the start again',
    async () => {
      const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
      const pageErrors: string[] = [];
      await reportCspViolations(context, (m) => pageErrors.push(m));
      const results = new Map<string, Watch | string>();
      try {
        const queue = [...uploaded];
        await Promise.all(
          Array.from({ length: PAGES }, async () => {
            const page = await context.newPage();
            page.on('pageerror', (err) => pageErrors.push(err.message));
            for (let next = queue.shift(); next; next = queue.shift()) {
              const [file, id] = next;
              try {
                await ready(id);
                results.set(file, await watchToEndAndLoop(page, baseUrl, id, 20_000));
              } catch (err) {
                results.set(file, (err as Error).message.split('\n')[0] ?? String(err));
              }
            }
            await page.close();
          }),
        );
      } finally {
        await context.close();
      }
      const problems: string[] = [];
      const seen = [...results].map(
        ([f, w]) => `${f}: ${typeof w === 'string' ? w : `ended at ${w.endedAt?.toFixed(3)} of ${w.duration.toFixed(3)} s`}`,
      );
      console.log(`[playback-ends.test] ${seen.join('; ')}`);
      for (const [file, w] of results) {
        if (typeof w === 'string') problems.push(`${file}: ${w}`);
        else if (w.ended === 0 || w.rescued > 0 || w.stalls !== null || !looped(w)) problems.push(`${file}: ${JSON.stringify(w)}`);
      }
      expect(problems, 'each video ends on its own (a trusted `ended`) and starts over').toEqual([]);
      expect(results.size).toBe(uploaded.size);
      expect(pageErrors).toEqual([]);
    },
    300_000,
  );

  it('loops a video that stalls just before its end (its last segment never arrives)', async () => {
    await ready(shortTailId);
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    try {
      const page = await context.newPage();
      const held: string[] = [];
      // The last segment's request is left hanging: playback runs out of media 0.2 s before the duration.
      await page.route(/\/seg_00002\.m4s(\?|$)/, (route) => void held.push(route.request().url()));
      const w = await watchToEndAndLoop(page, baseUrl, shortTailId, 20_000);
      expect(held.length, 'the last segment was requested').toBeGreaterThan(0);
      expect(w.ended, 'the browser itself never reaches the end').toBe(0);
      expect(w.rescued).toBeGreaterThanOrEqual(1);
      expect(w.stalls).toBe(String(w.rescued));
      expect(w.endedAt!).toBeGreaterThan(w.duration - 0.35);
      expect(w.endedAt!).toBeLessThan(w.duration - 0.1);
      expect(looped(w), JSON.stringify(w)).toBe(true);
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    } finally {
      await context.close();
    }
  }, 120_000);
});
