/**
 * Notifications in a real Chromium against the real server, on a phone
 * (390×844) and a desktop (1440×900) window: the bell's badge appears live
 * when someone else likes the creator's video or follows them (over the
 * notification stream, no reload), the inbox lists what happened with links
 * to the video and the person, viewing it marks everything read (the badge
 * goes), and the settings page mutes a type.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations } from '../support/browser.js';
import type { TestUser } from '../support/social.js';
import type { apiClient, TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;

describe.skipIf(!browserTestsEnabled('notifications-browser.test'))('notifications in Chromium', () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    await ensureWebBuilt(ROOT);
    const { apiClient, startTestApp } = await import('../support/test-app.js');
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  for (const vp of VIEWPORTS) {
    it(`shows the badge live, opens the inbox and marks read (${vp.name} ${vp.width}×${vp.height})`, async () => {
      const { seedVideo, signup } = await import('../support/social.js');
      const creator: TestUser = await signup(api, `ana_${vp.name}`);
      const fan: TestUser = await signup(api, `ben_${vp.name}`);
      const follower: TestUser = await signup(api, `cy_${vp.name}`);
      const videoId = await seedVideo(t!, creator, { caption: `sunset ${vp.name}` });

      const context = await browser!.newContext({ viewport: { width: vp.width, height: vp.height } });
      const problems: string[] = [];
      await reportCspViolations(context, (m) => problems.push(m));
      const me = (await api('GET', '/api/v1/me', { token: creator.token })).body.user;
      await context.addInitScript(
        ({ token, user }) => {
          if (!sessionStorage.getItem('seeded')) {
            localStorage.setItem('curta.token', token);
            localStorage.setItem('curta.user', JSON.stringify(user));
            sessionStorage.setItem('seeded', '1');
          }
        },
        { token: creator.token, user: me },
      );
      const page: Page = await context.newPage();
      page.on('pageerror', (err) => problems.push(err.message));
      const shot = (what: string) => page.screenshot({ path: join(ARTIFACTS, `notifications-${vp.name}-${what}.png`) });
      try {
        await page.goto(`${t!.baseUrl}/`);
        const bell = page.getByTestId('open-inbox');
        const badge = page.getByTestId('inbox-badge');
        await bell.waitFor({ state: 'visible' });
        await expect.poll(() => badge.isVisible()).toBe(false); // the stream's last word may still be on its way

        // Someone likes the video: the badge appears without a reload.
        expect((await api('PUT', `/api/v1/videos/${videoId}/like`, { token: fan.token })).status).toBe(200);
        await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toBe('1');
        expect(await badge.isVisible()).toBe(true);
        expect(await bell.getAttribute('aria-label')).toBe('Inbox, 1 unread');
        // Someone follows: 2.
        expect((await api('PUT', `/api/v1/users/${creator.username}/follow`, { token: follower.token })).status).toBe(200);
        await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toBe('2');
        await shot('badge');

        // The inbox: both, newest first, unread-looking, linking to the person and the video.
        await bell.click();
        await page.getByTestId('inbox-page').waitFor();
        expect(page.url()).toBe(`${t!.baseUrl}/inbox`);
        const items = page.getByTestId('inbox-item');
        await expect.poll(() => items.count()).toBe(2);
        expect(await items.nth(0).textContent()).toContain(`${follower.username} started following you`);
        expect(await items.nth(0).getAttribute('href')).toBe(`/@${follower.username}`);
        expect(await items.nth(1).textContent()).toContain(`${fan.username} liked your video`);
        expect(await items.nth(1).getAttribute('href')).toBe(`/v/${videoId}`);
        expect(await items.nth(1).getAttribute('data-read')).toBe('false');
        // Viewing marks them read (on the server, so every tab's badge goes).
        await expect
          .poll(async () => (await api('GET', '/api/v1/me/notifications/unread-count', { token: creator.token })).body.unread)
          .toBe(0);
        await shot('inbox');

        // A new one while the inbox is open arrives on top, and is read since it was seen.
        const other = await signup(api, `dee_${vp.name}`);
        await api('PUT', `/api/v1/videos/${videoId}/like`, { token: other.token });
        await expect
          .poll(() => items.nth(0).textContent(), { timeout: 10_000 })
          .toContain(`${other.username} and ${fan.username} liked your video`);
        expect(await items.count()).toBe(2); // the like row moved up, grouped
        await expect
          .poll(async () => (await api('GET', '/api/v1/me/notifications/unread-count', { token: creator.token })).body.unread)
          .toBe(0);

        // Following the like leads to the video; back on the feed the badge is gone.
        await items.nth(0).click();
        await expect.poll(() => page.url()).toBe(`${t!.baseUrl}/v/${videoId}`);
        await bell.waitFor({ state: 'visible' });
        await expect.poll(() => badge.isVisible()).toBe(false); // the stream's last word may still be on its way

        // A comment's notification opens the video with its comments.
        await api('POST', `/api/v1/videos/${videoId}/comments`, { token: fan.token, body: { text: 'what a sunset' } });
        await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toBe('1');
        await bell.click();
        await expect.poll(() => items.nth(0).textContent()).toContain(`${fan.username} commented on your video`);
        expect(await items.nth(0).textContent()).toContain('what a sunset');
        expect(await items.nth(0).getAttribute('href')).toBe(`/v/${videoId}?comments`);
        await items.nth(0).click();
        await page.getByTestId('comments-drawer').waitFor();
        // The sheet opens at once; its comments arrive with the next answer.
        await expect.poll(() => page.getByTestId('comments-drawer').textContent()).toContain('what a sunset');

        // Settings: switch likes off; a like is then no news.
        await page.goto(`${t!.baseUrl}/settings`);
        const likes = page.getByTestId('notify-like');
        await likes.waitFor();
        expect(await likes.isChecked()).toBe(true);
        await page.getByTestId('settings-notifications').scrollIntoViewIfNeeded();
        await likes.uncheck();
        await expect
          .poll(async () => (await api('GET', '/api/v1/me/notification-settings', { token: creator.token })).body.muted)
          .toEqual(['like']);
        await shot('settings');
        const late = await signup(api, `eve_${vp.name}`);
        await api('PUT', `/api/v1/videos/${videoId}/like`, { token: late.token });
        const rows = (await api('GET', '/api/v1/me/notifications', { token: creator.token })).body.items;
        expect(rows.map((n: { type: string }) => n.type)).toEqual(['comment', 'follow']);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);
  }
});
