/**
 * The web app in a real Chromium against the real server, with real
 * transcoded videos: sign up through the UI, upload a clip (through the API
 * with the same account's token, so this file does not depend on the upload
 * studio's UI, which test/e2e/studio.test.ts covers), watch it reach ready,
 * find it in the feed and play it (time advances, hls.js picked a rendition),
 * swipe to the next video and back, like (button and double tap), comment and
 * reply, follow, see the Following feed and the profile, share, log out; the
 * `/v/{id}` page plays that video and carries its preview tags. Playback
 * events reach the API with the device id. Screenshots at a phone and a
 * desktop size go to test-artifacts/browser/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations, uploadClipViaApi } from '../support/browser.js';
import { makeClip } from '../support/media.js';
import type { apiClient } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
const PASSWORD = 'correct horse battery';
const CREATOR = 'creator_cam';
const CAPTION = `Sunset run <img src=x onerror=alert(1)> #curta with @${CREATOR}`;

interface SentEvent {
  type: string;
  videoId: string;
  watchedMs?: number;
  source?: string;
}

const item = (page: Page, feed: string, id: string) =>
  page.locator(`[data-testid="${feed}"] [data-testid="feed-item"][data-video-id="${id}"]`);

/** Resolves once this video's time has advanced by `seconds` while playing. */
async function waitPlaying(page: Page, feed: string, id: string, seconds = 0.3): Promise<void> {
  const sel = `[data-testid="${feed}"] [data-testid="feed-item"][data-video-id="${id}"] video`;
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

async function isPaused(page: Page, feed: string, id: string): Promise<boolean> {
  return page.$eval(`[data-testid="${feed}"] [data-video-id="${id}"] video`, (v) => (v as HTMLVideoElement).paused);
}

describe.skipIf(!browserTestsEnabled('browser.test'))('web app in Chromium', () => {
  let browser: Browser | undefined;
  let baseUrl: string;
  let closeServer: (() => Promise<void>) | undefined;
  let api: ReturnType<typeof apiClient>;
  let tmp: string;
  let creator: { id: string; token: string };
  const creatorVideos: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'curta-browser-'));
    await mkdir(ARTIFACTS, { recursive: true });
    const clips = [0, 1, 2].map((i) => join(tmp, `clip-${i}.mp4`));
    await Promise.all([
      ensureWebBuilt(ROOT),
      // 540×960 → two rungs (540p, 360p): the player has a rendition to choose.
      ...clips.map((path) => makeClip(path, { width: 540, height: 960, seconds: 5, fps: 30 })),
    ]);
    // Imported here so a missing browser skips the file without loading the app.
    const { apiClient, startTestApp, waitForVideo } = await import('../support/test-app.js');
    const t = await startTestApp();
    baseUrl = t.baseUrl;
    closeServer = () => t.close();
    api = apiClient(baseUrl);

    // Someone to follow, with two videos in the feed.
    const r = await api('POST', '/api/v1/auth/signup', { body: { username: CREATOR, password: PASSWORD } });
    creator = { id: r.body.user.id, token: r.body.token };
    for (const [i, clip] of clips.slice(0, 2).entries()) {
      creatorVideos.push(await uploadClipViaApi(baseUrl, api, creator.token, clip, `Creator clip ${i + 1} #daily`));
    }
    for (const id of creatorVideos) await waitForVideo(api, id, creator.token, (v) => v.status === 'ready', 150_000);
    (globalThis as { __clip?: string }).__clip = clips[2];
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    await promisify(execFile)('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120',
      '-frames:v',
      '1',
      join(tmp, 'avatar.jpg'),
    ]);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await closeServer?.();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  let username = '';
  let videoId = '';

  it('signs up, uploads a clip, watches it reach ready and plays it from the profile and its page', async () => {
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const pageErrors: string[] = [];
    // Everything below runs under the page's Content-Security-Policy, without one violation.
    await reportCspViolations(context, (m) => pageErrors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      const response = await page.goto(baseUrl);
      const csp = response?.headers()['content-security-policy'] ?? '';
      expect(csp).toMatch(/(^|;)\s*script-src 'self'\s*(;|$)/);
      expect(csp).toContain("frame-ancestors 'none'");
      await expect.poll(() => page.title()).toBe('Curta');
      // For You is the default tab, and it has the creator's videos.
      expect(await page.getByTestId('tab-for-you').getAttribute('aria-current')).toBe('page');
      await item(page, 'feed', creatorVideos[0]!).waitFor();

      // Server errors are shown as the server words them.
      await page.getByTestId('open-auth').click();
      await page.getByTestId('auth-tab-login').click();
      await page.getByTestId('auth-username').fill('nobody_here');
      await page.getByTestId('auth-password').fill('not the password');
      await page.getByTestId('auth-submit').click();
      await expect.poll(() => page.getByTestId('auth-error').textContent(), { timeout: 15_000 }).toBe('Wrong username or password.');

      // Sign up through the UI.
      username = `viewer_${Date.now().toString(36)}`;
      await page.getByTestId('auth-tab-signup').click();
      await page.getByTestId('auth-username').fill(username);
      await page.getByTestId('auth-password').fill(PASSWORD);
      await page.getByTestId('auth-submit').click();
      await expect.poll(() => page.getByTestId('open-auth').textContent(), { timeout: 15_000 }).toBe(`@${username}`);

      // Upload a real clip as this account (API, same token), and wait for it to be ready.
      const token = (await page.evaluate(() => localStorage.getItem('curta.token')))!;
      expect(token).toBeTruthy();
      const clip = (globalThis as { __clip?: string }).__clip!;
      videoId = await uploadClipViaApi(baseUrl, api, token, clip, CAPTION);
      const { waitForVideo } = await import('../support/test-app.js');
      const seen: string[] = [];
      const ready = await waitForVideo(
        api,
        videoId,
        token,
        (v) => {
          if (seen.at(-1) !== v.status) seen.push(v.status);
          return v.status === 'ready' || v.status === 'failed';
        },
        150_000,
      );
      expect(ready.status, JSON.stringify(ready.error)).toBe('ready');
      console.log(`[browser.test] upload went through: ${seen.join(' → ')}`);

      // Own profile (from the account sheet): the video is in the grid; it opens its page and plays.
      await page.getByTestId('open-auth').click();
      await page.getByTestId('account-profile').click();
      await expect.poll(() => page.url()).toBe(`${baseUrl}/@${username}`);
      const tile = page.getByTestId('profile-page').locator(`[data-testid="grid-video"][data-video-id="${videoId}"]`);
      await tile.waitFor();
      await tile.click();
      // The link carries the grid it was opened from (issue 13: the feed swipes through that grid).
      await expect.poll(() => page.url()).toBe(`${baseUrl}/v/${videoId}?from=${encodeURIComponent(`@${username}`)}`);
      const mine = item(page, 'feed-video-page', videoId);
      await waitPlaying(page, 'feed-video-page', videoId, 0.5);
      // hls.js chose a rendition (its level switch marks the element) and plays through MSE.
      await expect.poll(() => mine.locator('video').getAttribute('data-level'), { timeout: 10_000 }).toMatch(/^(540|360)p$/);
      expect(await mine.locator('video').evaluate((v) => (v as HTMLVideoElement).src)).toMatch(/^blob:/);
      // One's own video: no follow button, and "…" offers delete rather than report.
      expect(await mine.getByTestId('follow').isVisible()).toBe(false);
      await mine.getByTestId('video-menu').click();
      await page.getByTestId('menu-delete').waitFor();
      expect(await page.getByTestId('menu-report').count()).toBe(0);
      await page.keyboard.press('Escape');

      // Settings: name and bio.
      await page.goto(`${baseUrl}/settings`);
      await page.getByTestId('settings-name').fill('Viewer Vee');
      await page.getByTestId('settings-bio').fill('I watch <i>things</i>.');
      await page.getByTestId('settings-save').click();
      await expect
        .poll(async () => (await api('GET', `/api/v1/users/${username}`)).body, { timeout: 10_000 })
        .toMatchObject({ displayName: 'Viewer Vee', bio: 'I watch <i>things</i>.' });
      // And a photo.
      await page.getByTestId('avatar-file').setInputFiles(join(tmp, 'avatar.jpg'));
      await page.locator('.avatar-edit img.avatar').waitFor({ timeout: 15_000 });
      const avatarUrl = (await api('GET', `/api/v1/users/${username}`)).body.avatarUrl as string;
      expect(avatarUrl).toMatch(/\/avatars\/.+\.jpg$/);
      expect(await page.locator('.avatar-edit img.avatar').getAttribute('src')).toBe(avatarUrl);
      await page.screenshot({ path: join(ARTIFACTS, 'phone-settings.png') });
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);

  it("finds it in another viewer's For You, plays it, swipes, and likes, comments, follows, shares and logs out", async () => {
    expect(videoId, 'the upload test ran first').toBeTruthy();
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    // Where the Web Share API exists it opens a system sheet; here the copy-link path is tested.
    await context.addInitScript(() => {
      delete (Navigator.prototype as { share?: unknown }).share;
    });
    const pageErrors: string[] = [];
    await reportCspViolations(context, (m) => pageErrors.push(m));
    const page = await context.newPage();
    const dialogs: string[] = [];
    const events: SentEvent[] = [];
    const deviceIds = new Set<string>();
    page.on('dialog', (d) => {
      // The one confirm this flow says yes to; anything else (an alert from injected markup) is recorded.
      if (d.type() === 'confirm' && d.message().startsWith(`Block @${CREATOR}?`)) return void d.accept();
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('request', (req) => {
      if (!req.url().endsWith('/api/v1/events') || req.method() !== 'POST') return;
      deviceIds.add(req.headers()['x-device-id'] ?? '');
      events.push(...((req.postDataJSON() as { events: SentEvent[] }).events ?? []));
    });
    const active = () =>
      page.evaluate(() => document.querySelector('[data-testid="feed"] .slide.is-active')?.getAttribute('data-video-id') ?? null);

    try {
      // An anonymous viewer's For You has the new video: caption as literal text with links, and it plays.
      // The recommender's pool refreshes in the background after a publish (the first request after it still
      // gets the previous pool): wait until it holds the video, as a viewer arriving a moment later would find it.
      await expect
        .poll(
          async () =>
            (await api('GET', '/api/v1/feed/for-you?limit=30', { headers: { 'x-device-id': 'browser-test-pool-probe' } })).body.items.some(
              (v: { id: string }) => v.id === videoId,
            ),
          { timeout: 15_000 },
        )
        .toBe(true);
      await page.goto(baseUrl);
      const mine = item(page, 'feed', videoId);
      await mine.waitFor({ timeout: 30_000 });
      expect(await mine.getByTestId('caption').textContent()).toBe(CAPTION);
      expect(await mine.getByTestId('author').textContent()).toBe(`@${username}`);
      expect(await mine.locator('img[src="x"]').count()).toBe(0);
      expect(await mine.locator('a.tag-link').getAttribute('href')).toBe('/tag/curta');
      expect(await mine.locator('a.mention-link').getAttribute('href')).toBe(`/@${CREATOR}`);
      await mine.scrollIntoViewIfNeeded();
      await waitPlaying(page, 'feed', videoId, 0.5);
      await expect.poll(() => mine.locator('video').getAttribute('data-level'), { timeout: 10_000 }).toMatch(/^(540|360)p$/);

      // Swipe: from the top, down with the keyboard and back up with the wheel (scroll-snap).
      const feed = page.getByTestId('feed');
      const ids = await feed.locator('[data-testid="feed-item"]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.videoId!));
      expect([...ids].sort()).toEqual([...creatorVideos, videoId].sort());
      await feed.evaluate((el) => el.scrollTo({ top: 0 }));
      await waitPlaying(page, 'feed', ids[0]!);
      await page.keyboard.press('ArrowDown');
      await waitPlaying(page, 'feed', ids[1]!);
      expect(await isPaused(page, 'feed', ids[0]!)).toBe(true);
      // The next one was preloaded: attached already.
      expect(
        await item(page, 'feed', ids[2]!)
          .locator('video')
          .evaluate((v) => (v as HTMLVideoElement).src),
      ).toMatch(/^blob:/);
      await page.mouse.move(150, 400);
      await page.mouse.wheel(0, -500);
      await waitPlaying(page, 'feed', ids[0]!);
      expect(await isPaused(page, 'feed', ids[1]!)).toBe(true);
      // The key press was the first gesture: sound is on now.
      expect(
        await item(page, 'feed', ids[0]!)
          .locator('video')
          .evaluate((v) => (v as HTMLVideoElement).muted),
      ).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, 'phone-feed.png') });

      // Go to the creator's first video.
      const target = creatorVideos[0]!;
      while ((await active()) !== target) {
        await page.keyboard.press('ArrowDown');
        await page.waitForTimeout(300);
      }
      const slide = item(page, 'feed', target);
      await waitPlaying(page, 'feed', target);

      // Tap pauses, tap again resumes.
      await slide.getByTestId('tap-layer').click();
      await expect.poll(() => isPaused(page, 'feed', target)).toBe(true);
      await slide.getByTestId('tap-layer').click();
      await expect.poll(() => isPaused(page, 'feed', target)).toBe(false);

      // Liking asks an anonymous viewer to log in, then goes through.
      await slide.getByTestId('like').click();
      await page.getByTestId('auth-dialog').waitFor();
      await page.getByTestId('auth-tab-login').click();
      await page.getByTestId('auth-username').fill(username);
      await page.getByTestId('auth-password').fill(PASSWORD);
      await page.getByTestId('auth-submit').click();
      await expect.poll(() => page.getByTestId('open-auth').textContent(), { timeout: 15_000 }).toBe(`@${username}`);
      const token = (await page.evaluate(() => localStorage.getItem('curta.token')))!;
      await expect.poll(() => slide.getByTestId('like').getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => slide.getByTestId('like-count').textContent()).toBe('1');
      await expect
        .poll(async () => (await api('GET', `/api/v1/videos/${target}`, { token })).body.viewer?.liked, { timeout: 10_000 })
        .toBe(true);

      // Comment, then reply to it.
      await slide.getByTestId('comments-open').click();
      const drawer = page.getByTestId('comments-drawer');
      await drawer.waitFor();
      await drawer.getByTestId('comments-empty').waitFor();
      await drawer.getByTestId('comment-input').fill('Great light <b>here</b>');
      await drawer.getByTestId('comment-submit').click();
      const comment = drawer.getByTestId('comment').first();
      await expect.poll(() => comment.getByTestId('comment-text').first().textContent()).toBe('Great light <b>here</b>');
      await comment.getByTestId('comment-reply').first().click();
      await drawer.getByTestId('comment-input').fill('Thanks!');
      await drawer.getByTestId('comment-submit').click();
      await expect.poll(() => drawer.getByTestId('reply').getByTestId('comment-text').textContent()).toBe('Thanks!');
      await page.screenshot({ path: join(ARTIFACTS, 'phone-comments.png') });
      await page.keyboard.press('Escape');
      await expect.poll(() => drawer.isVisible()).toBe(false);
      // The counter counts replies too, as the sheet's title does: a comment and its reply are 2.
      expect(await slide.getByTestId('comment-count').textContent()).toBe('2');
      const thread = await api('GET', `/api/v1/videos/${target}/comments`);
      expect(thread.body.items).toMatchObject([{ text: 'Great light <b>here</b>', replyCount: 1 }]);

      // Follow from the rail: the button goes on every slide of that author.
      await slide.getByTestId('follow').click();
      await expect.poll(() => slide.getByTestId('follow').isVisible()).toBe(false);
      expect(await item(page, 'feed', creatorVideos[1]!).getByTestId('follow').isVisible()).toBe(false);
      await expect
        .poll(async () => (await api('GET', `/api/v1/videos/${target}`, { token })).body.viewer?.followsAuthor, { timeout: 10_000 })
        .toBe(true);

      // Share: the link is copied and the share counted.
      await slide.getByTestId('share').click();
      await expect.poll(() => slide.getByTestId('share-count').textContent()).toBe('1');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${baseUrl}/v/${target}`);

      // Double tap a neighbour: liked, with a heart, and still playing.
      await page.keyboard.press(ids.indexOf(target) === ids.length - 1 ? 'ArrowUp' : 'ArrowDown');
      await expect.poll(active).not.toBe(target);
      const nextId = (await active())!;
      const nextSlide = item(page, 'feed', nextId);
      await waitPlaying(page, 'feed', nextId);
      await nextSlide.getByTestId('tap-layer').dblclick();
      await nextSlide.getByTestId('heart-burst').first().waitFor({ state: 'attached' });
      await expect.poll(() => nextSlide.getByTestId('like').getAttribute('aria-pressed')).toBe('true');
      await page.waitForTimeout(400);
      expect(await isPaused(page, 'feed', nextId)).toBe(false); // a double tap is not a pause

      // The Following tab has the creator's videos.
      await page.getByTestId('tab-following').click();
      await expect.poll(() => page.url()).toBe(`${baseUrl}/following`);
      await item(page, 'feed-following', creatorVideos[1]!).waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('feed-following').locator('[data-testid="feed-item"]').count()).toBe(2);

      // The profile: counts, follow state, a grid of posters.
      await item(page, 'feed-following', creatorVideos[1]!).getByTestId('author').click();
      await expect.poll(() => page.url()).toBe(`${baseUrl}/@${CREATOR}`);
      const profile = page.getByTestId('profile-page');
      await profile.getByTestId('video-grid').locator('[data-testid="grid-video"]').nth(1).waitFor();
      expect(await profile.getByTestId('follower-count').textContent()).toBe('1');
      expect(await profile.getByTestId('profile-follow').textContent()).toBe('Following');
      await page.waitForFunction(() =>
        [...document.querySelectorAll<HTMLImageElement>('.grid-poster')].every((i) => i.complete && i.naturalWidth > 0),
      );
      await page.screenshot({ path: join(ARTIFACTS, 'phone-profile.png') });
      // Back returns to the Following feed.
      await page.getByTestId('back').click();
      await expect.poll(() => page.url()).toBe(`${baseUrl}/following`);

      // Playback events reached the API, in batches, with this device's id.
      await page.goto(`${baseUrl}/`); // pagehide flushes what is queued
      await expect
        .poll(() => ['impression', 'play', 'skip'].every((type) => events.some((e) => e.type === type)), { timeout: 15_000 })
        .toBe(true);
      expect(events.some((e) => e.type === 'skip' && typeof e.watchedMs === 'number')).toBe(true);
      expect([...deviceIds].every((d) => /^[A-Za-z0-9_-]{16,64}$/.test(d))).toBe(true);
      expect(deviceIds.size).toBe(1);
      // Each says where the viewer found the video (creator analytics' traffic sources): For You here.
      expect(events.some((e) => e.source === 'for_you')).toBe(true);
      expect(
        events.every((e) => e.source === undefined || ['for_you', 'following', 'profile', 'search', 'hashtag', 'share'].includes(e.source)),
      ).toBe(true);

      // Report the creator, then block them: their videos leave this viewer's feed.
      await page.goto(`${baseUrl}/@${CREATOR}`);
      await page.getByTestId('profile-menu').click();
      await page.getByTestId('menu-report').click();
      await page.getByTestId('report-sheet').waitFor();
      await page.getByTestId('reason-spam').check();
      await page.getByTestId('report-submit').click();
      await expect.poll(() => page.getByTestId('report-sheet').count()).toBe(0);
      const again = await api('POST', '/api/v1/reports', { token, body: { targetType: 'user', targetId: creator.id, reason: 'spam' } });
      expect(again.status).toBe(409); // the UI's report is there: one open report per reporter and target
      await page.getByTestId('profile-menu').click();
      await page.getByTestId('menu-block').click();
      await expect
        .poll(async () =>
          ((await api('GET', '/api/v1/me/blocks', { token })).body.items as Array<{ username: string }>).map((u) => u.username),
        )
        .toEqual([CREATOR]);
      await page.goto(`${baseUrl}/`);
      await page.waitForFunction(
        () => !!document.querySelector('[data-testid="feed"] [data-testid="feed-item"], [data-testid="feed"] [data-testid="feed-empty"]'),
      );
      for (const id of creatorVideos) expect(await item(page, 'feed', id).count()).toBe(0);

      // Log out.
      await page.getByTestId('open-auth').click();
      await page.getByTestId('logout').click();
      await expect.poll(() => page.getByTestId('open-auth').textContent(), { timeout: 15_000 }).toBe('Log in');
      expect(await page.evaluate(() => localStorage.getItem('curta.token'))).toBeNull();

      // The video page: that video first, playing, with its preview tags in the served HTML.
      await page.goto(`${baseUrl}/v/${videoId}`);
      const first = page.getByTestId('feed-video-page').locator('[data-testid="feed-item"]').first();
      expect(await first.getAttribute('data-video-id')).toBe(videoId);
      await waitPlaying(page, 'feed-video-page', videoId);
      // Opened by its link: its playback counts as from a share.
      await expect.poll(() => events.some((e) => e.videoId === videoId && e.source === 'share'), { timeout: 15_000 }).toBe(true);
      expect(await page.locator('meta[property="og:title"]').getAttribute('content')).toBe(CAPTION);
      expect(await page.locator('meta[property="og:image"]').getAttribute('content')).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/media\/.+\.jpg$/,
      );
      expect(await page.locator('meta[property="og:url"]').getAttribute('content')).toBe(`${baseUrl}/v/${videoId}`);

      expect(dialogs, 'no script from a caption or comment may run').toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 300_000);

  it('looks right on a desktop screen', async () => {
    const context = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const pageErrors: string[] = [];
    await reportCspViolations(context, (m) => pageErrors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await page.goto(baseUrl);
      const first = page.getByTestId('feed').locator('[data-testid="feed-item"]').first();
      const id = (await first.getAttribute('data-video-id', { timeout: 20_000 }))!;
      await waitPlaying(page, 'feed', id);
      // A centred 9:16 column, no horizontal scroll, nothing moved when the video started.
      const box = (await first.boundingBox())!;
      expect(Math.abs(box.x + box.width / 2 - 720)).toBeLessThan(2);
      expect(box.height).toBe(900);
      expect(Math.abs(box.width - 900 * (9 / 16))).toBeLessThan(2);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(1440);
      await page.screenshot({ path: join(ARTIFACTS, 'desktop-feed.png') });
      await page.goto(`${baseUrl}/@${CREATOR}`);
      await page.getByTestId('profile-page').getByTestId('grid-video').first().waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'desktop-profile.png') });
      await page.goto(`${baseUrl}/search?q=daily`);
      await page.getByTestId('search-tag').first().waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'desktop-search.png') });
      // A hashtag leads to its page, a grid of its videos.
      await page.getByTestId('search-tag').first().click();
      await expect.poll(() => page.url()).toBe(`${baseUrl}/tag/daily`);
      await expect.poll(() => page.getByTestId('tag-page').getByTestId('grid-video').count()).toBe(2);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
