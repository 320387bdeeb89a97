/**
 * The settings page's account controls in a real Chromium against the real
 * server: change the password (other sessions end, this one stays), download
 * the data export, and delete the account behind its confirmation (a wrong
 * password is refused on the page; the right one deletes everything and
 * signs the page out).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium } from '../support/browser.js';
import type { TestUser } from '../support/social.js';
import type { apiClient, TestApp } from '../support/test-app.js';
import { readZip } from '../support/zip.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a much better passphrase';

describe.skipIf(!browserTestsEnabled('account-settings-browser.test'))('account settings in Chromium', () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let api: ReturnType<typeof apiClient>;
  let bea: TestUser;
  let videoId: string;

  beforeAll(async () => {
    await ensureWebBuilt(ROOT);
    // Imported here so a missing browser skips the file without loading the app.
    const { apiClient, startTestApp } = await import('../support/test-app.js');
    const { seedVideo, signup } = await import('../support/social.js');
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    bea = await signup(api, 'bea');
    videoId = await seedVideo(t, bea, { caption: 'my only clip' });
    await t.app.store.put(`originals/${videoId}`, Buffer.from('original bytes'), { contentType: 'video/mp4' });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('changes the password, downloads the data and deletes the account from the settings page', async () => {
    const baseUrl = t!.baseUrl;
    const other = (await api('POST', '/api/v1/auth/login', { body: { username: 'bea', password: PASSWORD } })).body.token as string;
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
    const me = (await api('GET', '/api/v1/me', { token: bea.token })).body.user;
    await context.addInitScript(
      ({ token, user }) => {
        if (!sessionStorage.getItem('seeded')) {
          localStorage.setItem('curta.token', token);
          localStorage.setItem('curta.user', JSON.stringify(user));
          sessionStorage.setItem('seeded', '1');
        }
      },
      { token: bea.token, user: me },
    );
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await page.goto(`${baseUrl}/settings`);

      // Password: the wrong current one is refused on the page; the right one changes it.
      await page.getByTestId('current-password').fill('not my password');
      await page.getByTestId('new-password').fill(NEW_PASSWORD);
      await page.getByTestId('change-password').click();
      await expect
        .poll(() => page.locator('[data-testid="settings-account"] .form-error').first().textContent())
        .toMatch(/not your current password/);
      await page.getByTestId('current-password').fill(PASSWORD);
      await page.getByTestId('new-password').fill(NEW_PASSWORD);
      await page.getByTestId('change-password').click();
      await expect
        .poll(async () => (await api('POST', '/api/v1/auth/login', { body: { username: 'bea', password: NEW_PASSWORD } })).status)
        .toBe(200);
      expect((await api('POST', '/api/v1/auth/login', { body: { username: 'bea', password: PASSWORD } })).status).toBe(401);
      expect((await api('GET', '/api/v1/me', { token: other })).status).toBe(401); // the other session ended
      expect((await api('GET', '/api/v1/me', { token: bea.token })).status).toBe(200); // the page's stayed
      expect(await page.getByTestId('current-password').inputValue()).toBe('');

      // Download my data: a ZIP with the document and the original.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-data').click()]);
      expect(download.suggestedFilename()).toMatch(/^curta-bea-\d{4}-\d{2}-\d{2}\.zip$/);
      const files = readZip(await readFile(await download.path()));
      expect(JSON.parse(files.get('curta-export.json')!.toString()).videos.map((v: { id: string }) => v.id)).toEqual([videoId]);
      expect(files.get(`originals/${videoId}.mp4`)!.toString()).toBe('original bytes');

      // Delete: behind a confirmation that asks for the password.
      expect(await page.getByTestId('delete-confirm').isVisible()).toBe(false);
      await page.getByTestId('delete-account').click();
      await page.getByTestId('delete-confirm').waitFor();
      await page.getByTestId('delete-password').fill(PASSWORD); // the old one: refused
      await page.getByTestId('confirm-delete').click();
      await expect.poll(() => page.getByTestId('delete-confirm').locator('.form-error').textContent()).toMatch(/not your current password/);
      expect((await api('GET', '/api/v1/users/bea')).status).toBe(200);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'phone-settings-account.png'), fullPage: true });
      await page.getByTestId('delete-password').fill(NEW_PASSWORD);
      await page.getByTestId('confirm-delete').click();
      await expect.poll(() => page.url()).toBe(`${baseUrl}/`);
      expect(await page.evaluate(() => localStorage.getItem('curta.token'))).toBeNull();
      expect((await api('GET', '/api/v1/users/bea')).status).toBe(404);
      expect((await api('GET', `/api/v1/videos/${videoId}`)).status).toBe(404);
      expect(await t!.app.store.head(`originals/${videoId}`)).toBeNull();
      expect((await api('POST', '/api/v1/auth/login', { body: { username: 'bea', password: NEW_PASSWORD } })).status).toBe(401);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
