/**
 * The web app's smaller states in a real Chromium against the real server:
 * the not-found page (a button, not a wall), the like button's accessible
 * label in the right plural, the comment sheet and the video's counter
 * agreeing once there are replies (both count replies), search while
 * offline (a state with a retry, never a blank page), and a followers-only
 * link opened by someone who does not follow (whose followers it is for,
 * with a follow button that then shows the video). Screenshots go to
 * test-artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations } from '../support/browser.js';
import { seedVideo, signup, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };

describe.skipIf(!browserTestsEnabled('web-app-states.test'))('web app states in Chromium', () => {
  let browser: Browser | undefined;
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  let alice: TestUser;
  let n = 0;

  beforeAll(async () => {
    await Promise.all([ensureWebBuilt(ROOT), mkdir(ARTIFACTS, { recursive: true })]);
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    alice = await signup(api, 'alice_states');
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A page, signed in as `user` when given (the session put where the app keeps it). */
  async function open(
    path: string,
    opts: { user?: TestUser; viewport?: { width: number; height: number } } = {},
  ): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser!.newContext({ viewport: opts.viewport ?? PHONE, deviceScaleFactor: 1 });
    if (opts.user) {
      const { token, id, username } = opts.user;
      await context.addInitScript(
        ([tk, u]) => {
          if (!localStorage.getItem('curta.token')) {
            localStorage.setItem('curta.token', tk);
            localStorage.setItem('curta.user', u);
          }
        },
        [token, JSON.stringify({ id, username })] as const,
      );
    }
    const errors: string[] = [];
    await reportCspViolations(context, (m) => errors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${t.baseUrl}${path}`);
    return { context, page, errors };
  }

  const viewer = () => signup(api, `viewer_${++n}_${Date.now().toString(36)}`);
  const slide = (page: Page, id: string) =>
    page.locator(`[data-testid="feed-video-page"] [data-testid="feed-item"][data-video-id="${id}"]`);

  it('shows the not-found page with a button sized to its label, on a phone and a desktop', async () => {
    for (const [name, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const { context, page, errors } = await open('/no/such/page', { viewport });
      try {
        const section = page.getByTestId('not-found');
        await section.waitFor();
        const button = section.getByRole('link', { name: 'Back to For You' });
        const box = (await button.boundingBox())!;
        // A button, not the rest of the page: about one line tall, narrower than the screen.
        expect(box.height, name).toBeLessThanOrEqual(60);
        expect(box.width, name).toBeLessThan(viewport.width * 0.8);
        await page.screenshot({ path: join(ARTIFACTS, `not-found-${name}.png`), animations: 'disabled' });
        await button.click();
        await page.waitForURL(`${t.baseUrl}/`);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }
  }, 60_000);

  it('labels the like button with the right plural: "Unlike (1 like)"', async () => {
    const id = await seedVideo(t, alice, { caption: 'liked once' });
    const fan = await viewer();
    const { context, page, errors } = await open(`/v/${id}`, { user: fan });
    try {
      const like = slide(page, id).getByTestId('like');
      await like.waitFor();
      await expect.poll(() => like.getAttribute('aria-label')).toBe('Like (0 likes)');
      await like.click();
      await expect.poll(() => like.getAttribute('aria-label')).toBe('Unlike (1 like)');
      expect(await page.getByRole('button', { name: 'Unlike (1 like)', exact: true }).count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('counts replies in the comment sheet as the counter does: a comment and its reply are "2 comments"', async () => {
    const id = await seedVideo(t, alice, { caption: 'talk about it' });
    const fan = await viewer();
    const { context, page, errors } = await open(`/v/${id}`, { user: fan });
    page.on('dialog', (d) => void d.accept()); // the delete confirmation
    try {
      const s = slide(page, id);
      await s.getByTestId('comments-open').click();
      const drawer = page.getByTestId('comments-drawer');
      await drawer.getByTestId('comments-empty').waitFor();
      await drawer.getByTestId('comment-input').fill('Where is this?');
      await drawer.getByTestId('comment-submit').click();
      await expect.poll(() => drawer.locator('#comments-title').textContent()).toBe('1 comment');
      const comment = drawer.getByTestId('comment').first();
      await comment.getByTestId('comment-reply').first().click();
      await drawer.getByTestId('comment-input').fill('Lisbon!');
      await drawer.getByTestId('comment-submit').click();
      await drawer.getByTestId('reply').waitFor();
      await expect.poll(() => drawer.locator('#comments-title').textContent()).toBe('2 comments');
      expect(await s.getByTestId('comment-count').textContent()).toBe('2');
      expect((await api('GET', `/api/v1/videos/${id}`)).body.stats.comments).toBe(2);
      await page.screenshot({ path: join(ARTIFACTS, 'comments-with-reply-phone.png'), animations: 'disabled' });

      // Opened afresh: the same number in both places.
      await page.reload();
      await slide(page, id).getByTestId('comments-open').click();
      await expect.poll(() => page.getByTestId('comments-drawer').locator('#comments-title').textContent()).toBe('2 comments');
      expect(await slide(page, id).getByTestId('comment-count').textContent()).toBe('2');

      // Deleting the comment takes its reply with it, in both places and on the server.
      const d = page.getByTestId('comments-drawer');
      await d.getByTestId('comment').first().getByRole('button', { name: 'Delete' }).first().click();
      await expect.poll(() => d.locator('#comments-title').textContent()).toBe('Comments');
      expect(await slide(page, id).getByTestId('comment-count').textContent()).toBe('0');
      expect((await api('GET', `/api/v1/videos/${id}`)).body.stats.comments).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('shows search offline as "You\'re offline" with a retry that brings the results', async () => {
    const id = await seedVideo(t, alice, { caption: 'Offline #harbour' });
    const { context, page, errors } = await open('/');
    try {
      await page.getByTestId('open-search').waitFor();
      await context.setOffline(true);
      // Going to search without a network: the page's code can't arrive.
      await page.getByTestId('open-search').click();
      const state = page.getByTestId('error-state');
      await state.waitFor({ timeout: 15_000 });
      expect(await state.getByRole('heading').textContent()).toBe("You're offline");
      expect(await state.getAttribute('data-offline')).toBe('true');
      await page.screenshot({ path: join(ARTIFACTS, 'search-offline-phone.png'), animations: 'disabled' });
      await context.setOffline(false);
      await state.getByTestId('retry').click();
      const input = page.getByTestId('search-input');
      await input.waitFor({ timeout: 15_000 });

      // The page is here; the search itself goes out while offline.
      await input.fill('harbour');
      await context.setOffline(true);
      await input.press('Enter');
      const results = page.getByTestId('search-results');
      await results.getByTestId('error-state').waitFor({ timeout: 15_000 });
      expect(await results.getByRole('heading').textContent()).toBe("You're offline");
      await context.setOffline(false);
      await results.getByTestId('retry').click();
      await results.locator(`[data-testid="grid-video"][data-video-id="${id}"]`).waitFor({ timeout: 15_000 });
      // Nothing on the page threw: failed requests are not page errors.
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('tells a non-follower a followers-only video is for followers, and its follow button shows the video', async () => {
    const id = await seedVideo(t, alice, { caption: 'just for my people', visibility: 'followers' });
    const stranger = await viewer();
    // The API: 403 followers_only naming the author, nothing of the video.
    const refused = await api('GET', `/api/v1/videos/${id}`, { token: stranger.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'followers_only', details: { author: { id: alice.id, username: alice.username } } });
    expect(JSON.stringify(refused.body)).not.toContain('just for my people');
    const anonymous = await api('GET', `/api/v1/videos/${id}`);
    expect(anonymous.status).toBe(403);
    // Private stays indistinguishable from missing.
    const privateId = await seedVideo(t, alice, { caption: 'mine only', visibility: 'private' });
    const hidden = await api('GET', `/api/v1/videos/${privateId}`, { token: stranger.token });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('video_not_found');

    const { context, page, errors } = await open(`/v/${id}`, { user: stranger });
    try {
      const gate = page.getByTestId('followers-only');
      await gate.waitFor({ timeout: 15_000 });
      expect(await gate.getByRole('heading', { level: 1 }).textContent()).toBe('For followers only');
      expect(await gate.textContent()).toContain(`This video is for @${alice.username}'s followers.`);
      expect(await gate.textContent()).not.toMatch(/No video with id/);
      await page.screenshot({ path: join(ARTIFACTS, 'followers-only-phone.png'), animations: 'disabled' });
      await gate.getByRole('button', { name: `Follow @${alice.username}` }).click();
      // Following opens it.
      await slide(page, id).waitFor({ timeout: 15_000 });
      expect(await slide(page, id).getByTestId('caption').textContent()).toBe('just for my people');
      const follows = await api('GET', `/api/v1/users/${alice.username}`, { token: stranger.token });
      expect(follows.body.viewer.follows).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }

    // A missing video still says it is not there.
    const gone = await open('/v/AAAAAAAAAAAAAAAA');
    try {
      await gone.page.getByTestId('not-found').waitFor({ timeout: 15_000 });
      expect(await gone.page.getByTestId('not-found').textContent()).not.toMatch(/followers/);
    } finally {
      await gone.context.close();
    }
  }, 90_000);
});
