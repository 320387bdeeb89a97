/**
 * The web app in a real Chromium against the real server: sign up through the
 * UI, upload a clip through the file input, watch upload and processing
 * progress reach "ready", then reload and see the video play in the feed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium } from '../support/browser.js';
import { makeClip } from '../support/media.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CAPTION = 'Sunset run <img src=x onerror=alert(1)> #curta';
const PASSWORD = 'correct horse battery';

interface StageSample {
  stage: string;
  upload: number;
  processing: number;
  playable: boolean;
}

describe.skipIf(!browserTestsEnabled('browser.test'))('web app in Chromium', () => {
  let browser: Browser | undefined;
  let baseUrl: string;
  let closeServer: (() => Promise<void>) | undefined;
  let tmp: string;
  let clipPath: string;
  let freshServer = true;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'curta-browser-'));
    clipPath = join(tmp, 'clip.mp4');
    await Promise.all([ensureWebBuilt(ROOT), makeClip(clipPath, { width: 360, height: 640, seconds: 4, fps: 30 })]);
    if (process.env.CURTA_E2E_BASE_URL) {
      // Point the test at a server that is already running (debugging against a dev server).
      baseUrl = process.env.CURTA_E2E_BASE_URL.replace(/\/+$/, '');
      freshServer = false;
    } else {
      // Imported here so a missing browser skips the file without loading the app.
      const { startTestApp } = await import('../support/test-app.js');
      const t = await startTestApp();
      baseUrl = t.baseUrl;
      closeServer = () => t.close();
    }
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await closeServer?.();
    if (tmp) {
      if (process.env.CURTA_E2E_KEEP) console.log(`[browser.test] artifacts kept in ${tmp}`);
      else await rm(tmp, { recursive: true, force: true });
    }
  });

  it('signs up, uploads with progress, and plays the processed video from the feed', async () => {
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const dialogs: string[] = [];
    const pageErrors: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));

    try {
      await page.goto(baseUrl);
      await expect.poll(() => page.title()).toBe('Curta');
      await page.getByTestId('feed').waitFor();
      if (freshServer) await page.getByTestId('feed-empty').waitFor();

      // Server errors are shown as the server words them.
      await page.getByTestId('open-auth').click();
      await page.getByTestId('auth-tab-login').click();
      await page.getByTestId('auth-username').fill('nobody_here');
      await page.getByTestId('auth-password').fill('not the password');
      await page.getByTestId('auth-submit').click();
      await expect.poll(() => page.getByTestId('auth-error').textContent(), { timeout: 15_000 }).toBe('Wrong username or password.');

      // Sign up.
      const username = `viewer_${Date.now().toString(36)}`;
      await page.getByTestId('auth-tab-signup').click();
      await page.getByTestId('auth-username').fill(username);
      await page.getByTestId('auth-password').fill(PASSWORD);
      await page.getByTestId('auth-submit').click();
      await expect.poll(() => page.getByTestId('open-auth').textContent(), { timeout: 15_000 }).toBe(`@${username}`);
      expect(await page.getByTestId('auth-dialog').isVisible()).toBe(false);

      // Upload through the file input, recording every step the panel shows.
      await page.getByTestId('open-upload').click();
      await page.getByTestId('upload-file').setInputFiles(clipPath);
      await page.getByTestId('upload-caption').fill(CAPTION);
      await page.evaluate(() => {
        const panel = document.querySelector<HTMLElement>('[data-testid="upload-panel"]')!;
        const samples: StageSample[] = [];
        (window as unknown as { __uploadSamples: StageSample[] }).__uploadSamples = samples;
        new MutationObserver(() => {
          samples.push({
            stage: panel.dataset.stage ?? '',
            upload: Number(panel.dataset.uploadProgress ?? 0),
            processing: Number(panel.dataset.processingProgress ?? 0),
            playable: panel.dataset.playable === 'true',
          });
        }).observe(panel, { attributes: true, attributeFilter: ['data-stage', 'data-upload-progress', 'data-processing-progress', 'data-playable'] });
      });
      await page.getByTestId('upload-submit').click();

      const panel = page.getByTestId('upload-panel');
      await page.waitForFunction(
        () => {
          const stage = document.querySelector<HTMLElement>('[data-testid="upload-panel"]')?.dataset.stage;
          return stage === 'ready' || stage === 'failed';
        },
        undefined,
        { timeout: 150_000, polling: 200 },
      );
      const failure = await page.getByTestId('upload-failure').textContent();
      expect(await panel.getAttribute('data-stage'), `upload failed: ${failure}`).toBe('ready');
      expect(await page.getByTestId('upload-status').textContent()).toMatch(/ready/i);
      expect(await page.getByTestId('upload-progress').getAttribute('value')).toBe('100');
      expect(await page.getByTestId('processing-progress').getAttribute('value')).toBe('100');
      expect(await page.getByTestId('upload-watch').isVisible()).toBe(true);
      await page.screenshot({ path: join(tmp, 'upload-ready.png') });
      const videoId = await panel.getAttribute('data-video-id');
      expect(videoId).toBeTruthy();

      // Upload progress, then processing progress, then ready — in that order.
      const samples = await page.evaluate(() => (window as unknown as { __uploadSamples: StageSample[] }).__uploadSamples);
      const firstIndex = (stage: string) => samples.findIndex((s) => s.stage === stage);
      expect(firstIndex('uploading'), JSON.stringify(samples)).toBeGreaterThanOrEqual(0);
      expect(firstIndex('processing')).toBeGreaterThan(firstIndex('uploading'));
      expect(firstIndex('ready')).toBeGreaterThan(firstIndex('processing'));
      expect(samples.some((s) => s.stage === 'uploading' && s.upload === 100)).toBe(true);
      const uploadValues = samples.filter((s) => s.stage === 'uploading').map((s) => s.upload);
      expect(uploadValues).toEqual([...uploadValues].sort((a, b) => a - b));
      const processingValues = samples.filter((s) => s.stage === 'processing').map((s) => s.processing);
      expect(processingValues).toEqual([...processingValues].sort((a, b) => a - b));
      console.log(
        `[browser.test] upload panel went through: ${samples.map((s) => `${s.stage}(${s.upload}/${s.processing}${s.playable ? ',playable' : ''})`).join(' → ')}`,
      );

      // Reload: the feed has the video, with the caption as literal text, and it plays.
      await page.reload();
      const item = page.locator(`[data-testid="feed-item"][data-video-id="${videoId}"]`);
      await item.waitFor({ timeout: 30_000 });
      await item.scrollIntoViewIfNeeded();
      expect(await item.getByTestId('caption').textContent()).toBe(CAPTION);
      expect(await item.getByTestId('author').textContent()).toBe(`@${username}`);
      expect(await item.locator('img').count()).toBe(0);

      const selector = `[data-testid="feed-item"][data-video-id="${videoId}"] video`;
      await page.waitForFunction(
        (sel) => {
          const v = document.querySelector<HTMLVideoElement>(sel);
          return !!v && v.currentTime > 0.5 && v.readyState >= 3;
        },
        selector,
        { timeout: 30_000, polling: 'raf' },
      );
      await page.screenshot({ path: join(tmp, 'feed.png') });

      // Tap pauses, tap again resumes; the mute toggle unmutes.
      await item.locator('.tap-layer').click();
      await page.waitForFunction((sel) => document.querySelector<HTMLVideoElement>(sel)!.paused, selector);
      await item.locator('.tap-layer').click();
      await page.waitForFunction((sel) => !document.querySelector<HTMLVideoElement>(sel)!.paused, selector);
      await item.getByTestId('mute-toggle').click();
      expect(await page.$eval(selector, (v) => (v as HTMLVideoElement).muted)).toBe(false);
      expect(await item.getByTestId('mute-toggle').getAttribute('aria-pressed')).toBe('false');

      // Log out.
      await page.getByTestId('open-auth').click();
      await page.getByTestId('logout').click();
      await expect.poll(() => page.getByTestId('open-auth').textContent(), { timeout: 15_000 }).toBe('Log in');
      expect(await page.evaluate(() => localStorage.getItem('curta.token'))).toBeNull();

      expect(dialogs, 'no script from a caption may run').toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);
});
