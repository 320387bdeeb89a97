/**
 * The admin dashboard (/admin) in a real Chromium against the real server,
 * on a phone (390×844) and a desktop (1440×900) window, on both profiles
 * (embedded; PostgreSQL + Redis where they run): a non-admin gets the
 * "Admins only" state; an admin sees the figures of a hand-built lake as
 * tiles, charts (uPlot, loaded on first draw) with their data tables, and
 * tables; the range picker refuses a reversed range and applies presets.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations, signInOnce } from '../support/browser.js';
import { lakeRow, writeLakeFixture } from '../support/lake.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import type { TestUser } from '../support/social.js';
import type { apiClient, TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;

const distributed = (await postgresAvailable()) && (await redisAvailable());
const PROFILES = [{ name: 'embedded' }, ...(distributed ? [{ name: 'distributed' }] : [])] as const;

for (const profile of PROFILES) {
  describe.skipIf(!browserTestsEnabled('admin-dashboard-browser.test'))(`admin dashboard in Chromium (${profile.name})`, () => {
    let browser: Browser | undefined;
    let t: TestApp | undefined;
    let api: ReturnType<typeof apiClient>;
    let admin: TestUser;
    let plain: TestUser;
    let videoId: string;

    beforeAll(async () => {
      await ensureWebBuilt(ROOT);
      const { apiClient, startTestApp } = await import('../support/test-app.js');
      const env = { RECONCILE_INTERVAL_SEC: '0', STORAGE_SWEEP_INTERVAL_SEC: '0' };
      if (profile.name === 'distributed') {
        const { startDistributedTestApp } = await import('../support/distributed-app.js');
        t = await startDistributedTestApp(false, env);
      } else {
        t = await startTestApp(env, { workers: false });
      }
      api = apiClient(t.baseUrl);
      const { seedVideo, signup } = await import('../support/social.js');
      admin = await signup(api, 'dash_admin');
      plain = await signup(api, 'dash_plain');
      const maker = await signup(api, 'dash_maker');
      await t.app.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
      videoId = await seedVideo(t, maker, { caption: 'sunset over the bay', durationMs: 10_000 });
      const view = (at: string, who: string, watchedMs: number) => [
        lakeRow('playback', 'play', at, { videoId, creatorId: maker.id, userId: who, durationMs: 10_000 }),
        lakeRow('playback', 'progress', new Date(Date.parse(at) + 1000).toISOString(), {
          videoId,
          creatorId: maker.id,
          userId: who,
          durationMs: 10_000,
          watchedMs,
        }),
      ];
      const run = (at: string, stage: string, ms: number, ok = true) =>
        lakeRow('pipeline', ok ? 'processing_finished' : 'processing_failed', at, { stage, ok, elapsedMs: ms });
      await writeLakeFixture(t.app.db, t.app.store, [
        ...view('2026-03-01T10:00:00Z', admin.id, 5000),
        ...view('2026-03-01T11:00:00Z', plain.id, 9000),
        ...view('2026-03-02T10:00:00Z', admin.id, 3000),
        lakeRow('pipeline', 'upload_created', '2026-03-01T09:00:00Z', { creatorId: maker.id }),
        lakeRow('pipeline', 'upload_created', '2026-03-02T09:00:00Z', { creatorId: maker.id }),
        run('2026-03-01T09:01:00Z', 'probe', 40),
        run('2026-03-01T09:02:00Z', 'transcode', 400),
        run('2026-03-02T09:02:00Z', 'transcode', 900, false),
      ]);
      await t.app.store.put(`originals/${videoId}`, Buffer.alloc(2048), { contentType: 'video/mp4' });
      await t.app.services.adminDashboard.service.refreshStorage();
      browser = await launchChromium();
      await mkdir(ARTIFACTS, { recursive: true });
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });

    async function open(vp: (typeof VIEWPORTS)[number], who: TestUser, path: string) {
      const context = await browser!.newContext({ viewport: { width: vp.width, height: vp.height } });
      const problems: string[] = [];
      await reportCspViolations(context, (m) => problems.push(m));
      const me = (await api('GET', '/api/v1/me', { token: who.token })).body.user;
      await signInOnce(context, who.token, me);
      const page: Page = await context.newPage();
      page.on('pageerror', (err) => problems.push(err.message));
      await page.goto(`${t!.baseUrl}${path}`);
      return { context, page, problems };
    }

    for (const vp of VIEWPORTS) {
      it(`shows "Admins only" to a non-admin (${vp.name} ${vp.width}×${vp.height})`, async () => {
        const { context, page, problems } = await open(vp, plain, '/admin');
        try {
          const state = page.getByTestId('admin-only');
          await state.waitFor({ state: 'visible' });
          expect(await state.textContent()).toMatch(/Admins only/);
          await page.goto(`${t!.baseUrl}/settings`);
          await page.getByTestId('settings-privacy').waitFor({ state: 'visible' });
          expect(await page.getByTestId('open-admin-dashboard').count()).toBe(0);
          await page.goto(`${t!.baseUrl}/admin`);
          await state.waitFor({ state: 'visible' });
          expect(await page.getByTestId('ad-tiles').count()).toBe(0);
          await page.screenshot({ path: join(ARTIFACTS, `admin-dashboard-${profile.name}-${vp.name}-admins-only.png`) });
          expect(problems).toEqual([]);
        } finally {
          await context.close();
        }
      });

      it(`shows the figures with charts and tables, and picks ranges (${vp.name} ${vp.width}×${vp.height})`, async () => {
        const { context, page, problems } = await open(vp, admin, '/settings');
        try {
          // Settings leads an admin to the dashboard.
          await page.getByTestId('open-admin-dashboard').click();
          await page.getByTestId('admin-dashboard').waitFor({ state: 'visible' });
          await page.goto(`${t!.baseUrl}/admin?from=2026-03-01&to=2026-03-03`);
          const content = page.locator('.ad-content');
          await expect.poll(() => content.getAttribute('data-charts'), { timeout: 20_000 }).toBe('drawn');
          const tile = (key: string) => page.locator(`.ad-tile[data-stat="${key}"] .ad-tile-value`).textContent();
          expect(await tile('viewers')).toBe('2');
          expect(await tile('creators')).toBe('1');
          expect(await tile('uploads')).toBe('2');
          expect(await tile('views')).toBe('3');
          expect(await tile('success')).toBe('66.7%');
          // Four charts drawn by uPlot (canvas), each with an accessible summary.
          expect(await page.locator('figure.chart .chart-plot[data-state="drawn"]').count()).toBe(4);
          expect(await page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(4);
          expect(await page.locator('[data-chart="ad-active"] .chart-plot').getAttribute('aria-label')).toMatch(/Daily active viewers/);
          // The table behind the audience chart.
          const toggle = page.locator('[data-chart="ad-active"] .chart-toggle');
          await toggle.click();
          expect(await toggle.getAttribute('aria-expanded')).toBe('true');
          const rows = page.locator('[data-chart="ad-active"] table.chart-table tbody tr');
          expect(await rows.count()).toBe(3);
          expect((await rows.nth(0).innerText()).split(/\s+/)).toEqual(['03-01', '2', '1', '2']);
          // Stage, storage and top-video tables.
          const stages = page.getByTestId('ad-stages-table');
          expect(await stages.locator('tbody tr').count()).toBe(2);
          expect(await stages.locator('tbody tr', { hasText: 'transcode' }).innerText()).toMatch(
            /transcode\s+2\s+1\s+50\.0%\s+400 ms\s+900 ms/,
          );
          expect(await page.getByTestId('ad-storage-table').locator('tbody tr', { hasText: 'originals' }).innerText()).toMatch(
            /originals\s+1\s+2\.0 KB/,
          );
          const top = page.getByTestId('ad-top-table');
          expect(await top.locator('tbody tr').first().innerText()).toMatch(/sunset over the bay\s+@dash_maker\s+3\s+2/);
          expect(await top.locator(`a[href="/v/${videoId}"]`).count()).toBe(1);
          expect(await page.getByTestId('ad-reports-open').textContent()).toBe('No reports awaiting review.');
          await page.screenshot({ path: join(ARTIFACTS, `admin-dashboard-${profile.name}-${vp.name}.png`) });
          await page.getByTestId('ad-storage').scrollIntoViewIfNeeded();
          await page.screenshot({ path: join(ARTIFACTS, `admin-dashboard-${profile.name}-${vp.name}-storage.png`) });

          // A reversed range is refused in place; a preset loads the last 7 days.
          await page.getByTestId('ad-from').fill('2026-03-05');
          await page.getByTestId('ad-apply').click();
          const err = page.getByTestId('ad-range-error');
          await err.waitFor({ state: 'visible' });
          expect(await err.textContent()).toMatch(/start date is after the end date/);
          await page.getByTestId('ad-preset-7').click();
          await expect.poll(() => new URL(page.url()).searchParams.get('to')).toBe(new Date().toISOString().slice(0, 10));
          await expect.poll(() => page.locator('[data-chart="ad-active"] table.chart-table tbody tr').count()).toBe(7);
          expect(await tile('viewers')).toBe('0');
          expect(problems).toEqual([]);
        } finally {
          await context.close();
        }
      });
    }
  });
}
