/**
 * Issue 13, bug 4 ("You can change this later" was untrue): the owner edits a
 * posted video from its "…" menu in a real Chromium at 390×844 — caption,
 * who can watch, comments off and a cover frame picked with the scrubber
 * (by keyboard) — saves, reloads, and finds every change kept; the sheet is
 * its own lazily loaded chunk, Escape closes it and focus goes back to the
 * menu button; another account sees no "Edit". Screenshots (phone and
 * desktop) go to test-artifacts/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserTestsEnabled,
  ensureWebBuilt,
  launchChromium,
  reportCspViolations,
  signInOnce,
  uploadClipViaApi,
} from '../support/browser.js';
import { makeRedBlueClip } from '../support/media-helpers.js';
import type { TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };

type ApiClient = (method: string, path: string, opts?: { token?: string; body?: unknown }) => Promise<{ status: number; body: any }>;
interface Account {
  token: string;
  user: { id: string; username: string };
}

describe.skipIf(!browserTestsEnabled('video-edit-browser.test'))('editing one’s own video in Chromium', () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let api: ApiClient;
  let tmp: string;
  let owner: Account;
  let other: Account;
  let videoId: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'curta-edit-'));
    const clip = join(tmp, 'red-blue.mp4');
    const { startTestApp, apiClient, waitForVideo } = await import('../support/test-app.js');
    await Promise.all([
      ensureWebBuilt(ROOT),
      mkdir(ARTIFACTS, { recursive: true }),
      // 2 s red, then 2 s blue: the chosen cover's colour says which half it came from.
      makeRedBlueClip(clip),
    ]);
    t = await startTestApp();
    api = apiClient(t.baseUrl);
    const signUp = async (prefix: string): Promise<Account> => {
      const r = await api('POST', '/api/v1/auth/signup', {
        body: { username: `${prefix}_${Date.now().toString(36)}`, password: PASSWORD },
      });
      expect(r.status).toBe(201);
      return r.body;
    };
    owner = await signUp('owner');
    other = await signUp('viewer');
    videoId = await uploadClipViaApi(t.baseUrl, api as never, owner.token, clip, 'First take #red');
    const ready = await waitForVideo(api as never, videoId, owner.token, (v) => v.status === 'ready' || v.status === 'failed');
    expect(ready.status).toBe('ready');
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function pageAs(
    account: Account,
    viewport = PHONE,
  ): Promise<{ context: BrowserContext; page: Page; errors: string[]; scripts: string[] }> {
    const context = await browser!.newContext({ viewport, deviceScaleFactor: 1 });
    await signInOnce(context, account.token, account.user);
    const errors: string[] = [];
    await reportCspViolations(context, (m) => errors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    const scripts: string[] = [];
    page.on('request', (req) => {
      if (req.resourceType() === 'script') scripts.push(new URL(req.url()).pathname);
    });
    return { context, page, errors, scripts };
  }

  const slide = (page: Page) => page.locator(`[data-testid="feed-item"][data-video-id="${videoId}"]`);

  async function openVideo(page: Page): Promise<void> {
    await page.goto(`${t!.baseUrl}/v/${videoId}`);
    await slide(page).waitFor({ timeout: 20_000 });
  }

  async function openEditSheet(page: Page): Promise<void> {
    await slide(page).getByTestId('video-menu').click();
    await page.getByTestId('menu-edit').click();
    await page.getByTestId('edit-video-sheet').waitFor({ timeout: 10_000 });
    // Settled (the sheet slides in), so screenshots show it.
    await page.waitForFunction(() =>
      document
        .querySelector('[data-testid="edit-video-sheet"]')!
        .getAnimations()
        .every((a) => a.playState === 'finished'),
    );
  }

  it('another account sees no Edit in the menu', async () => {
    const { context, page, errors } = await pageAs(other);
    try {
      await openVideo(page);
      await slide(page).getByTestId('video-menu').click();
      await page.getByTestId('video-menu-sheet').waitFor();
      await expect(page.getByTestId('menu-report').count()).resolves.toBe(1);
      await expect(page.getByTestId('menu-edit').count()).resolves.toBe(0);
      await expect(page.getByTestId('menu-delete').count()).resolves.toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('edits caption, visibility, comments and cover at 390×844; all kept after a reload', async () => {
    const { context, page, errors, scripts } = await pageAs(owner);
    try {
      await openVideo(page);
      const before = (await api('GET', `/api/v1/videos/${videoId}`, { token: owner.token })).body;
      expect(
        scripts.some((s) => s.includes('edit-video')),
        'the edit sheet is not part of the feed page',
      ).toBe(false);

      await openEditSheet(page);
      expect(scripts.filter((s) => s.includes('edit-video'))).toHaveLength(1);
      const sheet = page.getByTestId('edit-video-sheet');
      // Labelled controls, the caption focused first.
      await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('edit-caption');
      await expect(sheet.getByLabel('Caption').inputValue()).resolves.toBe('First take #red');
      await expect(sheet.getByLabel('Allow comments').isChecked()).resolves.toBe(true);
      await expect(sheet.getByTestId('edit-visibility-public').isChecked()).resolves.toBe(true);
      // The scrubber starts where the automatic cover was taken.
      await expect(sheet.getByTestId('edit-cover').inputValue()).resolves.toBe('1000');

      await sheet.getByLabel('Caption').fill('Blue hour #bluehour');
      await sheet.getByTestId('edit-visibility-followers').check();
      await sheet.getByLabel('Allow comments').uncheck();
      // The cover by keyboard: End, then back 0.5 s (step 0.1 s) — well inside the blue half.
      await sheet.getByTestId('edit-cover').focus();
      await page.keyboard.press('End');
      for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
      const chosen = Number(await sheet.getByTestId('edit-cover').inputValue());
      expect(chosen).toBeGreaterThan(2500);
      expect(chosen).toBeLessThan(before.durationMs);
      // The preview shows that frame.
      await page.waitForFunction(
        (want) =>
          Math.abs(Number(document.querySelector<HTMLVideoElement>('[data-testid="edit-cover-preview"]')?.dataset.frameAt) - want) < 150,
        chosen,
        { timeout: 10_000 },
      );
      await expect(sheet.getByTestId('edit-cover-time').textContent()).resolves.toBe(
        `0:0${Math.floor(chosen / 1000)}.${(chosen % 1000) / 100}`,
      );
      // Tab stays inside the open sheet.
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab');
        await expect(page.evaluate(() => !!document.activeElement?.closest('[data-testid="edit-video-sheet"]'))).resolves.toBe(true);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'video-edit-sheet-phone.png') });
      await sheet.getByTestId('edit-save').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, 'video-edit-sheet-phone-cover.png') });

      await sheet.getByTestId('edit-save').click();
      await sheet.waitFor({ state: 'detached', timeout: 20_000 });
      // The page shows the edit at once: caption, and the new cover for the backdrop.
      await expect(slide(page).getByTestId('caption').textContent()).resolves.toBe('Blue hour #bluehour');
      expect(await slide(page).evaluate((el) => el.style.getPropertyValue('--poster'))).toMatch(/poster-[A-Za-z0-9_-]+\.jpg/);

      const saved = (await api('GET', `/api/v1/videos/${videoId}`, { token: owner.token })).body;
      expect(saved).toMatchObject({
        caption: 'Blue hour #bluehour',
        hashtags: ['bluehour'],
        visibility: 'followers',
        commentsEnabled: false,
        coverTimeMs: chosen,
      });
      expect(saved.playback.poster).not.toBe(before.playback.poster);

      // Reload: everything is still there, and the sheet opens on the saved values.
      await page.reload();
      await slide(page).waitFor({ timeout: 20_000 });
      await expect(slide(page).getByTestId('caption').textContent()).resolves.toBe('Blue hour #bluehour');
      await openEditSheet(page);
      await expect(sheet.getByLabel('Caption').inputValue()).resolves.toBe('Blue hour #bluehour');
      await expect(sheet.getByTestId('edit-visibility-followers').isChecked()).resolves.toBe(true);
      await expect(sheet.getByLabel('Allow comments').isChecked()).resolves.toBe(false);
      await expect(sheet.getByTestId('edit-cover').inputValue()).resolves.toBe(String(chosen));
      // Escape closes without saving; focus goes back to the "…" button.
      await sheet.getByLabel('Caption').fill('not saved');
      await page.keyboard.press('Escape');
      await sheet.waitFor({ state: 'detached' });
      await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('video-menu');
      expect((await api('GET', `/api/v1/videos/${videoId}`, { token: owner.token })).body.caption).toBe('Blue hour #bluehour');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('the sheet at 1440×900', async () => {
    const { context, page, errors } = await pageAs(owner, DESKTOP);
    try {
      await openVideo(page);
      await openEditSheet(page);
      await page.screenshot({ path: join(ARTIFACTS, 'video-edit-sheet-desktop.png') });
      const box = await page.getByTestId('edit-video-sheet').boundingBox();
      expect(box!.width).toBeLessThan(DESKTOP.width / 2);
      expect(box!.y + box!.height).toBeLessThanOrEqual(DESKTOP.height);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
