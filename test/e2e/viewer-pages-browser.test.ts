/**
 * The viewer's pages in a real Chromium against the real server, on a phone
 * (390×844) and a desktop (1440×900) viewport, screenshots kept in
 * test-artifacts/browser/: Saved (from the account menu; unsaving removes a
 * video; the empty state offers a way on), the Liked tab on one's own
 * profile (private by default, switched public in settings, then seen by
 * others), the followers list opened from the count (follow from the list),
 * search before typing (trending hashtags and creators) and suggestions
 * while typing, and an empty instance's "Upload the first video" button.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations } from '../support/browser.js';
import type { TestUser } from '../support/social.js';
import type { apiClient, TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const VIEWPORTS = [
  { name: 'phone', viewport: { width: 390, height: 844 } },
  { name: 'desktop', viewport: { width: 1440, height: 900 } },
] as const;

describe.skipIf(!browserTestsEnabled('viewer-pages-browser.test'))("the viewer's pages in Chromium", () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let empty: TestApp | undefined;
  let api: ReturnType<typeof apiClient>;
  let vic: TestUser; // the viewer
  let ben: TestUser; // creator, likes private
  let lia: TestUser; // creator who shows her likes
  const videos: string[] = [];

  beforeAll(async () => {
    await ensureWebBuilt(ROOT);
    const { apiClient, startTestApp } = await import('../support/test-app.js');
    const { seedVideo, signup } = await import('../support/social.js');
    [t, empty] = await Promise.all([startTestApp({}, { workers: false }), startTestApp({}, { workers: false })]);
    api = apiClient(t.baseUrl);
    [vic, ben, lia] = await Promise.all([signup(api, 'vic'), signup(api, 'ben'), signup(api, 'lia')]);
    await api('PATCH', '/api/v1/me', { token: lia.token, body: { displayName: 'Lia Sunshine' } });
    // Seeded videos with a real poster each (a plain colour), so the grids in the screenshots show something.
    for (const [owner, caption, colour] of [
      [ben, 'Golden hour at the beach #sunset #beach', 'orange'],
      [ben, 'Another one #sunset', 'purple'],
      [lia, 'Sunday surfing #surf', 'teal'],
      [lia, 'Street food tour #food', 'brown'],
    ] as const) {
      const id = await seedVideo(t, owner, { caption });
      const jpg = join(t.dataDir, `${id}.jpg`);
      await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${colour}:s=180x320`, '-frames:v', '1', jpg]);
      await t.app.store.put(`media/${id}/seed/poster.jpg`, await readFile(jpg), { contentType: 'image/jpeg' });
      videos.push(id);
    }
    // Engagement: vic likes two, lia likes one and shows her likes; lia follows ben.
    for (const id of [videos[0]!, videos[2]!]) {
      expect((await api('PUT', `/api/v1/videos/${id}/like`, { token: vic.token })).status).toBe(200);
      await pause(5); // one order for "most recently liked first"
    }
    expect((await api('PUT', `/api/v1/videos/${videos[1]!}/like`, { token: lia.token })).status).toBe(200);
    expect((await api('PATCH', '/api/v1/me/privacy', { token: lia.token, body: { likedVideosPublic: true } })).status).toBe(200);
    expect((await api('PUT', '/api/v1/users/ben/follow', { token: lia.token })).status).toBe(200);
    browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([t?.close(), empty?.close()]);
  });

  /** A context signed in as `user` (the session seeded once, so a logout in the page sticks). */
  async function signedIn(user: TestUser | null, viewport: { width: number; height: number }, problems: string[]): Promise<BrowserContext> {
    const context = await browser!.newContext({ viewport });
    await reportCspViolations(context, (m) => problems.push(m));
    if (user) {
      const me = (await api('GET', '/api/v1/me', { token: user.token })).body.user;
      await context.addInitScript(
        ({ token, u }) => {
          if (!sessionStorage.getItem('seeded')) {
            localStorage.setItem('curta.token', token);
            localStorage.setItem('curta.user', JSON.stringify(u));
            sessionStorage.setItem('seeded', '1');
          }
        },
        { token: user.token, u: me },
      );
    }
    return context;
  }

  const watchErrors = (page: Page, problems: string[]) => page.on('pageerror', (err) => problems.push(err.message));
  const gridIds = (page: Page) =>
    page
      .locator('[data-testid="video-grid"] [data-testid="grid-video"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-video-id')));

  it('pages through a long followers list as the sheet scrolls', async () => {
    const { signup } = await import('../support/social.js');
    const fans = await Promise.all(Array.from({ length: 25 }, (_, i) => signup(api, `fan${String(i).padStart(2, '0')}`)));
    for (const fan of fans) expect((await api('PUT', '/api/v1/users/lia/follow', { token: fan.token })).status).toBe(200);
    const problems: string[] = [];
    const context = await signedIn(vic, VIEWPORTS[0].viewport, problems);
    const page = await context.newPage();
    watchErrors(page, problems);
    const pages: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/users/lia/followers')) pages.push(r.url());
    });
    try {
      await page.goto(`${t!.baseUrl}/@lia`);
      await page.getByTestId('open-followers').click();
      const rows = page.getByTestId('followers-sheet').getByTestId('follow-person');
      await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(20);
      // The second page arrives as the end of the list comes into view (it may already be, on a tall screen).
      await rows.last().scrollIntoViewIfNeeded();
      await expect.poll(() => rows.count()).toBe(25);
      expect(pages.length).toBe(2);
      expect(new Set(await rows.allTextContents()).size).toBe(25);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  for (const { name, viewport } of VIEWPORTS) {
    it(`${name}: Saved from the account menu, unsaving, and its empty state`, async () => {
      for (const id of [videos[0]!, videos[3]!]) {
        expect((await api('PUT', `/api/v1/videos/${id}/bookmark`, { token: vic.token })).status).toBe(200);
        await pause(5);
      }
      const problems: string[] = [];
      const context = await signedIn(vic, viewport, problems);
      const page = await context.newPage();
      watchErrors(page, problems);
      try {
        await page.goto(`${t!.baseUrl}/`);
        await page.getByTestId('open-auth').click();
        await page.getByTestId('account-saved').click();
        await expect.poll(() => new URL(page.url()).pathname).toBe('/saved');
        await page.getByTestId('saved-page').waitFor();
        // Most recently saved first.
        await expect.poll(() => gridIds(page)).toEqual([videos[3], videos[0]]);
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Saved');
        await page.screenshot({ path: join(ARTIFACTS, `${name}-saved.png`) });

        await page.getByRole('button', { name: /Remove from Saved: Street food tour/ }).click();
        await expect.poll(() => gridIds(page)).toEqual([videos[0]]);
        expect((await api('GET', '/api/v1/me/bookmarks', { token: vic.token })).body.items.map((v: { id: string }) => v.id)).toEqual([
          videos[0],
        ]);
        await page.getByTestId('unsave').click();
        await page.getByTestId('saved-empty').waitFor();
        expect(await page.getByTestId('saved-empty').textContent()).toMatch(/No saved videos yet/);
        expect((await api('GET', '/api/v1/me/bookmarks', { token: vic.token })).body.items).toEqual([]);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-saved-empty.png`) });
        // The empty state's action leads somewhere useful.
        await page.getByTestId('saved-browse').click();
        await expect.poll(() => new URL(page.url()).pathname).toBe('/');

        // Signed out, the page asks to log in instead of failing.
        const anon = await (await signedIn(null, viewport, problems)).newPage();
        await anon.goto(`${t!.baseUrl}/saved`);
        await anon.getByTestId('saved-login').waitFor();
        await anon.context().close();
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);

    it(`${name}: the Liked tab, private by default, made public in settings and then seen by others`, async () => {
      await api('PATCH', '/api/v1/me/privacy', { token: vic.token, body: { likedVideosPublic: false } });
      const problems: string[] = [];
      const context = await signedIn(vic, viewport, problems);
      const page = await context.newPage();
      watchErrors(page, problems);
      try {
        await page.goto(`${t!.baseUrl}/@vic`);
        await page.getByTestId('profile-tab-liked').click();
        await expect.poll(() => gridIds(page)).toEqual([videos[2], videos[0]]);
        expect(await page.getByTestId('liked-note').textContent()).toMatch(/Only you can see/);
        expect(await page.getByTestId('profile-tab-liked').getAttribute('aria-selected')).toBe('true');
        await page.screenshot({ path: join(ARTIFACTS, `${name}-profile-liked-private.png`) });
        // Back to the videos grid (vic has none).
        await page.getByTestId('profile-tab-videos').click();
        await page.getByTestId('grid-empty').waitFor();

        // Others see no Liked tab on vic's profile while it is private.
        const other = await (await signedIn(ben, viewport, problems)).newPage();
        await other.goto(`${t!.baseUrl}/@vic`);
        await other.getByTestId('profile-page').locator('.profile-head').waitFor();
        expect(await other.getByTestId('profile-tab-liked').count()).toBe(0);

        // Settings → Privacy → on.
        await page.goto(`${t!.baseUrl}/settings#privacy`);
        await page.getByTestId('liked-public').click();
        await expect.poll(async () => (await api('GET', '/api/v1/me/privacy', { token: vic.token })).body.likedVideosPublic).toBe(true);
        expect(await page.getByTestId('liked-public').isChecked()).toBe(true);
        await page.getByTestId('settings-privacy').scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(ARTIFACTS, `${name}-settings-privacy.png`) });

        // Now ben sees the tab and vic's liked videos.
        await other.goto(`${t!.baseUrl}/@vic`);
        await other.getByTestId('profile-tab-liked').click();
        await expect.poll(() => gridIds(other)).toEqual([videos[2], videos[0]]);
        await other.screenshot({ path: join(ARTIFACTS, `${name}-profile-liked-public.png`) });
        // ...and lia's, who made hers public.
        await other.goto(`${t!.baseUrl}/@lia`);
        await other.getByTestId('profile-tab-liked').click();
        await expect.poll(() => gridIds(other)).toEqual([videos[1]]);
        await other.context().close();

        // Switched back off in settings.
        await page.getByTestId('liked-public').click();
        await expect.poll(async () => (await api('GET', '/api/v1/me/privacy', { token: vic.token })).body.likedVideosPublic).toBe(false);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);

    it(`${name}: the followers list opens from the count, with follow buttons`, async () => {
      await api('DELETE', '/api/v1/users/lia/follow', { token: vic.token });
      await api('DELETE', '/api/v1/users/ben/follow', { token: vic.token });
      const problems: string[] = [];
      const context = await signedIn(vic, viewport, problems);
      const page = await context.newPage();
      watchErrors(page, problems);
      try {
        await page.goto(`${t!.baseUrl}/@ben`);
        await page.getByTestId('open-followers').click();
        const sheet = page.getByTestId('followers-sheet');
        await sheet.waitFor();
        await expect.poll(() => sheet.getByTestId('follow-person').allTextContents()).toEqual([expect.stringContaining('@lia')]);
        const follow = sheet.getByTestId('follow-row-btn');
        expect(await follow.textContent()).toBe('Follow');
        await page.screenshot({ path: join(ARTIFACTS, `${name}-followers-sheet.png`) });
        await follow.click();
        await expect.poll(() => follow.textContent()).toBe('Following');
        expect((await api('GET', '/api/v1/users/lia', { token: vic.token })).body.viewer.follows).toBe(true);
        // Following someone from the list: the list, opened again, says so.
        await page.keyboard.press('Escape');
        await expect.poll(() => sheet.count()).toBe(0);
        await page.getByTestId('open-followers').click();
        await expect.poll(() => page.getByTestId('followers-sheet').getByTestId('follow-row-btn').textContent()).toBe('Following');
        // A person in the list is a link to their profile.
        await page.getByTestId('followers-sheet').getByTestId('follow-person').click();
        await expect.poll(() => new URL(page.url()).pathname).toBe('/@lia');
        await expect.poll(() => page.getByTestId('followers-sheet').count()).toBe(0);

        // The following list of lia (ben), and an empty list says so.
        await page.getByTestId('open-following').click();
        await expect
          .poll(() => page.getByTestId('following-sheet').getByTestId('follow-person').allTextContents())
          .toEqual([expect.stringContaining('@ben')]);
        await page.keyboard.press('Escape');
        await page.goto(`${t!.baseUrl}/@ben`);
        await page.getByTestId('open-following').click();
        await page.getByTestId('following-sheet').getByTestId('follow-empty').waitFor();
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);

    it(`${name}: search shows trending hashtags and creators before typing, and suggests while typing`, async () => {
      const problems: string[] = [];
      const context = await signedIn(null, viewport, problems);
      const page = await context.newPage();
      watchErrors(page, problems);
      const suggestCalls: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/api/v1/search/suggest')) suggestCalls.push(new URL(r.url()).searchParams.get('q') ?? '');
      });
      try {
        await page.goto(`${t!.baseUrl}/search`);
        await page.getByTestId('trending-tags').waitFor();
        const tags = await page.getByTestId('trending-tag').allTextContents();
        // vic's and lia's likes put #sunset first.
        expect(tags[0]).toMatch(/^#sunset/);
        expect(tags.join(' ')).toContain('#surf');
        expect((await page.getByTestId('trending-creator').allTextContents()).join(' ')).toMatch(/@ben.*@lia|@lia.*@ben/);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-search-before-typing.png`) });

        // Typing: suggestions once typing pauses (one question for a burst of keys, not one per key).
        // The burst is two input events in one task, as a fast typist's are: keys sent one by one from
        // here can land further apart than the debounce on a loaded machine, and then two questions are right.
        await page.getByTestId('search-input').focus();
        await page.getByTestId('search-input').evaluate((input: HTMLInputElement) => {
          for (const value of ['s', 'su']) {
            input.value = value;
            input.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: value.at(-1) }));
          }
        });
        const list = page.getByTestId('suggestions');
        await list.waitFor();
        await expect
          .poll(() => list.getByTestId('suggest-tag').allTextContents())
          .toEqual([expect.stringMatching(/#sunset\s*2 videos$/), expect.stringMatching(/#surf\s*1 video$/)]);
        expect(await list.getByTestId('suggest-user').allTextContents()).toEqual([expect.stringContaining('@lia')]);
        expect(suggestCalls).toEqual(['su']);
        expect(await page.getByTestId('search-input').getAttribute('aria-expanded')).toBe('true');
        await page.screenshot({ path: join(ARTIFACTS, `${name}-search-suggestions.png`) });

        // Keyboard: down to the first suggestion (lia) and Enter opens her profile.
        await page.keyboard.press('ArrowDown');
        expect(await page.getByTestId('search-input').getAttribute('aria-activedescendant')).toBe('suggestion-0');
        await page.keyboard.press('Enter');
        await expect.poll(() => new URL(page.url()).pathname).toBe('/@lia');
        await page.goBack();
        await page.getByTestId('search-input').waitFor();

        // A click on a hashtag suggestion opens its page; "%" suggests nothing and Enter still searches.
        await page.getByTestId('search-input').fill('#sun');
        await page.getByTestId('suggestions').getByTestId('suggest-tag').first().waitFor();
        await page.getByTestId('suggestions').getByTestId('suggest-tag').first().click();
        await expect.poll(() => new URL(page.url()).pathname).toBe('/tag/sunset');
        await page.goto(`${t!.baseUrl}/search`);
        await page.getByTestId('search-input').fill('%');
        await expect.poll(() => page.getByTestId('suggestions').textContent()).toMatch(/Press Enter to search/);
        await page.keyboard.press('Escape');
        expect(await page.getByTestId('suggestions').isHidden()).toBe(true);
        await page.keyboard.press('Enter');
        await expect.poll(() => new URL(page.url()).search).toBe('?q=%25');
        await page.getByTestId('search-empty').waitFor();
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);

    it(`${name}: an empty instance offers "Upload the first video", and search says there is nothing yet`, async () => {
      const problems: string[] = [];
      const context = await signedIn(null, viewport, problems);
      const page = await context.newPage();
      watchErrors(page, problems);
      try {
        await page.goto(`${empty!.baseUrl}/`);
        await page.getByTestId('feed-empty').waitFor();
        const upload = page.getByTestId('feed-empty').getByRole('button', { name: 'Upload the first video' });
        expect(await upload.isVisible()).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-empty-instance.png`) });
        await upload.click();
        await expect.poll(() => new URL(page.url()).pathname).toBe('/upload');
        expect(await page.getByRole('heading', { level: 1 }).first().textContent()).toBe('Upload');

        await page.goto(`${empty!.baseUrl}/search`);
        await page.getByTestId('explore-empty').waitFor();
        expect(await page.getByTestId('explore-empty').getByRole('link', { name: 'Upload the first video' }).getAttribute('href')).toBe(
          '/upload',
        );
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);
  }
});
