/**
 * Archived videos in a real Chromium against the real server (embedded
 * profile: filesystem store with a restore delay, in-process workers), on a
 * phone (390×844) and a desktop (1440×900) window:
 * - a viewer opening an archived video's page sees its poster and
 *   "Archived — restoring, ready in about …", the restore starts by itself,
 *   the page follows the status stream and plays the video once it is ready;
 * - a viewer over the restore limit gets "try again in …", not an error page;
 * - the owner's studio lists archived videos with Restore and Pin/Unpin;
 * - the admin dashboard shows the storage cost panel.
 * Screenshots in test-artifacts/browser/archive-*.png.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserTestsEnabled,
  ensureWebBuilt,
  launchChromium,
  reportCspViolations,
  signInOnce,
  uploadClipViaApi,
} from '../support/browser.js';
import { makeClip } from '../support/media.js';
import type { TestUser } from '../support/social.js';
import type { apiClient, TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
const PHONE = { name: 'phone', width: 390, height: 844 } as const;
const DESKTOP = { name: 'desktop', width: 1440, height: 900 } as const;
type Viewport = typeof PHONE | typeof DESKTOP;

describe.skipIf(!browserTestsEnabled('archive-browser.test'))('archived videos in Chromium (embedded)', () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let api: ReturnType<typeof apiClient>;
  let owner: TestUser;
  let viewer1: TestUser;
  let viewer2: TestUser;
  let admin: TestUser;
  const ids: string[] = [];

  beforeAll(async () => {
    await ensureWebBuilt(ROOT);
    const { apiClient, startTestApp, waitForVideo } = await import('../support/test-app.js');
    t = await startTestApp({
      RECONCILE_INTERVAL_SEC: '0',
      STORAGE_SWEEP_INTERVAL_SEC: '0',
      ARCHIVE_SWEEP_INTERVAL_SEC: '0',
      STORAGE_ARCHIVE_RESTORE_DELAY_SEC: '3',
      ARCHIVE_RESTORE_POLL_SEC: '1',
      ARCHIVE_RESTORES_PER_USER_PER_HOUR: '1',
      ARCHIVE_RESTORES_PER_IP_PER_HOUR: '1000',
    });
    api = apiClient(t.baseUrl);
    const { signup } = await import('../support/social.js');
    owner = await signup(api, 'arc_owner');
    viewer1 = await signup(api, 'arc_viewer1');
    viewer2 = await signup(api, 'arc_viewer2');
    admin = await signup(api, 'arc_admin');
    await t.app.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const clip = join(tmpdir(), `curta-archive-clip-${process.pid}.mp4`);
    await makeClip(clip, { width: 360, height: 640, seconds: 2 });
    for (const caption of ['sunrise over the old pier', 'a quiet street in 2024', 'the last ferry home']) {
      const id = await uploadClipViaApi(t.baseUrl, api, owner.token, clip, caption);
      await waitForVideo(api, id, owner.token, (v) => v.status === 'ready');
      ids.push(id);
    }
    for (const id of ids) {
      await archive(id);
      await waitForVideo(api, id, owner.token, (v) => v.status === 'archived');
    }
    browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** What `curta archive video <id>` does. */
  async function archive(id: string): Promise<void> {
    await t!.app.services.archive.archive.archiveNow(id);
  }

  async function open(vp: Viewport, who: TestUser | null, path: string) {
    const context = await browser!.newContext({ viewport: { width: vp.width, height: vp.height } });
    const problems: string[] = [];
    await reportCspViolations(context, (m) => problems.push(m));
    if (who) {
      const me = (await api('GET', '/api/v1/me', { token: who.token })).body.user;
      await signInOnce(context, who.token, me);
    }
    const page: Page = await context.newPage();
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`${t!.baseUrl}${path}`);
    return { context, page, problems };
  }

  const slide = (page: Page, id: string) => page.locator(`[data-testid="feed-item"][data-video-id="${id}"]`);
  const shot = (page: Page, name: string, vp: Viewport) => page.screenshot({ path: join(ARTIFACTS, `archive-${name}-${vp.name}.png`) });

  for (const [vp, viewer, playId] of [
    [PHONE, () => viewer1, 0],
    [DESKTOP, () => viewer2, 2],
  ] as const) {
    it(`restores an archived video when a viewer opens it and plays it when ready (${vp.name} ${vp.width}×${vp.height})`, async () => {
      const id = ids[playId]!;
      const { context, page, problems } = await open(vp, viewer(), `/v/${id}`);
      try {
        const card = slide(page, id).getByTestId('archive-state');
        await card.waitFor({ state: 'visible', timeout: 20_000 });
        // The restore starts by itself; the wait is spelled out from the server's estimate.
        await expect.poll(() => card.getAttribute('data-status'), { timeout: 20_000 }).toBe('restoring');
        expect(await card.getByTestId('archive-headline').textContent()).toMatch(
          /^Archived — restoring, ready (in (about|under)|soon|any moment)/,
        );
        // The poster shows behind the card.
        expect(await slide(page, id).locator('video').getAttribute('poster')).toMatch(/poster/);
        await shot(page, 'restoring', vp);
        const restore = (await api('GET', `/api/v1/videos/${id}`, { token: viewer().token })).body;
        expect(restore.status).toBe('restoring');
        expect(restore.archive.restore.etaAt).toEqual(expect.any(String));
        // Live: ready → the player takes over and plays.
        await page.waitForFunction(
          (vid) => {
            const v = document.querySelector<HTMLVideoElement>(`[data-testid="feed-item"][data-video-id="${vid}"] video`);
            return !!v && v.currentTime > 0 && !v.paused;
          },
          id,
          { timeout: 90_000 },
        );
        expect(await slide(page, id).getByTestId('archive-state').count()).toBe(0);
        await shot(page, 'playing', vp);

        // The same viewer opens another archived video: over the limit, a polite wait.
        await page.goto(`${t!.baseUrl}/v/${ids[1]}`);
        const limited = slide(page, ids[1]!).getByTestId('archive-state');
        await expect.poll(() => limited.getAttribute('data-limited'), { timeout: 20_000 }).toBe('true');
        expect(await limited.getByTestId('archive-headline').textContent()).toMatch(
          /^Archived — can be restored in about \d+(\.\d)? (min|s|h)$/,
        );
        expect(await limited.getByTestId('archive-detail').textContent()).toMatch(/tries again by itself/);
        expect(await limited.getAttribute('data-status')).toBe('archived');
        await shot(page, 'rate-limited', vp);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('shows the owner archived videos with Restore and Pin/Unpin in the studio (desktop, then phone)', async () => {
    const id = ids[1]!;
    const desk = await open(DESKTOP, owner, '/upload');
    try {
      const item = desk.page.locator(`[data-testid="your-video"][data-video-id="${id}"]`);
      await item.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await item.getByTestId('your-video-status').textContent()).toBe('Archived');
      expect(await item.getByTestId('your-video-archive').textContent()).toMatch(/In cold storage since/);
      await item.scrollIntoViewIfNeeded();
      await shot(desk.page, 'studio', DESKTOP);
      expect(desk.problems).toEqual([]);
    } finally {
      await desk.context.close();
    }

    const { context, page, problems } = await open(PHONE, owner, '/upload');
    try {
      const item = page.locator(`[data-testid="your-video"][data-video-id="${id}"]`);
      await item.waitFor({ state: 'visible', timeout: 20_000 });
      const pin = item.getByTestId('your-video-pin');
      expect(await pin.getAttribute('aria-pressed')).toBe('false');
      await pin.click();
      await expect.poll(() => item.getByTestId('your-video-pin').getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('true');
      expect(await item.getByTestId('your-video-pin').textContent()).toBe('Unpin');
      expect((await api('GET', `/api/v1/videos/${id}`, { token: owner.token })).body.archivePinned).toBe(true);
      await item.getByTestId('your-video-pin').click();
      await expect.poll(() => item.getByTestId('your-video-pin').getAttribute('aria-pressed'), { timeout: 10_000 }).toBe('false');
      // The owner is not held to the viewers' restore limit.
      await item.getByTestId('your-video-restore').click();
      await expect.poll(() => item.getAttribute('data-status'), { timeout: 20_000 }).toMatch(/restoring|ready/);
      await item.scrollIntoViewIfNeeded();
      await shot(page, 'studio-restoring', PHONE);
      // A viewer never gets it as playable while it is being restored: the studio row then becomes ready.
      await expect.poll(() => item.getAttribute('data-status'), { timeout: 90_000 }).toBe('ready');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  for (const vp of [PHONE, DESKTOP]) {
    it(`shows the storage cost panel on the admin dashboard (${vp.name} ${vp.width}×${vp.height})`, async () => {
      await t!.app.services.storageReport.service.refreshListing();
      const { context, page, problems } = await open(vp, admin, '/admin');
      try {
        await expect.poll(() => page.locator('.ad-content').getAttribute('data-state'), { timeout: 20_000 }).toBe('ready');
        const panel = page.getByTestId('ad-storage-cost');
        await expect.poll(() => panel.getAttribute('data-state'), { timeout: 20_000 }).toBe('ready');
        const classes = panel.getByTestId('sp-classes-table');
        expect(await classes.locator('tbody tr').count()).toBe(2);
        expect(await classes.locator('tbody tr').nth(1).textContent()).toMatch(/ARCHIVE\s*GLACIER_IR/);
        expect(await panel.locator('.ad-tile[data-stat="monthly"] .ad-tile-value').textContent()).toMatch(/USD$/);
        expect(await panel.getByTestId('sp-restores-table').locator('caption').textContent()).toMatch(/last 30 days/);
        await panel.scrollIntoViewIfNeeded();
        await shot(page, 'admin-panel', vp);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('keeps the panel from non-admins (the route answers 403)', async () => {
    const r = await api('GET', '/api/v1/admin/storage', { token: viewer1.token });
    expect(r.status).toBe(403);
  });
});
