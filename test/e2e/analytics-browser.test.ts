/**
 * Issue 14, creator analytics in a real Chromium: from "Your videos" to a
 * video's analytics (figures, the daily chart, the retention curve and the
 * traffic sources drawn by uPlot, each with its data table), the account
 * overview with top videos, the 7/28/90-day picker, the CSV download, the
 * "withheld" state under the minimum number of viewers and the empty state.
 * Phone (390×844) and desktop (1440×900) screenshots, light and dark, go to
 * test-artifacts/.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LakeEvent } from '../../src/modules/lake/lake-schema.js';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations, signInOnce } from '../support/browser.js';
import { addLakeFile, daysAgo, lakeEvent } from '../support/lake.js';
import { seedVideo, signup, type TestUser } from '../support/social.js';
import type { TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };

describe.skipIf(!browserTestsEnabled('analytics-browser.test'))('creator analytics in Chromium', () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let owner: TestUser;
  let popular: string;
  let quiet: string;
  let silent: string;

  beforeAll(async () => {
    const support = await import('../support/test-app.js');
    await Promise.all([ensureWebBuilt(ROOT), mkdir(ARTIFACTS, { recursive: true })]);
    t = await support.startTestApp({}, { workers: false });
    const api = support.apiClient(t.baseUrl);
    owner = await signup(api, `an_b_${Date.now().toString(36)}`);
    popular = await seedVideo(t, owner, { caption: 'Sunset timelapse #sky', durationMs: 12_000 });
    quiet = await seedVideo(t, owner, { caption: 'Quiet one', durationMs: 8000, ageMs: 1000 });
    silent = await seedVideo(t, owner, { caption: 'Nobody watched yet', durationMs: 8000, ageMs: 2000 });
    const events: LakeEvent[] = [];
    const sources = ['for_you', 'for_you', 'following', 'search', 'hashtag', 'profile', 'share', 'for_you', null];
    // Nine days of plays of `popular`: 12 viewers, each watching a little less; two of `quiet`.
    for (let day = 1; day <= 9; day++) {
      const dt = daysAgo(day);
      const dayEvents: LakeEvent[] = [];
      for (let v = 0; v < 12 - day; v++) {
        const at = new Date(Date.parse(`${dt}T15:00:00Z`) + v * 30_000);
        const watched = Math.max(0, 12_000 - v * 1100);
        const base = { videoId: popular, creatorId: owner.id, userId: `viewer-${v}`, durationMs: 12_000 };
        dayEvents.push(
          lakeEvent({ ...base, type: 'play', eventTime: at, source: sources[v % sources.length]! }),
          lakeEvent({
            ...base,
            type: watched >= 12_000 ? 'complete' : 'progress',
            eventTime: new Date(at.getTime() + watched),
            watchedMs: watched,
          }),
        );
      }
      if (day % 3 === 0) {
        dayEvents.push(
          lakeEvent({
            type: 'like',
            kind: 'engagement',
            eventTime: new Date(`${dt}T16:00:00Z`),
            videoId: popular,
            creatorId: owner.id,
            userId: 'viewer-1',
          }),
        );
      }
      if (day <= 2) {
        const at = new Date(`${dt}T17:00:00Z`);
        dayEvents.push(
          lakeEvent({
            type: 'play',
            eventTime: at,
            videoId: quiet,
            creatorId: owner.id,
            userId: `q-${day}`,
            durationMs: 8000,
            source: 'for_you',
          }),
        );
      }
      events.push(...dayEvents);
      await addLakeFile(t.app, dayEvents, dt, 15);
    }
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function open(path: string, viewport: { width: number; height: number }, scheme: 'dark' | 'light' = 'dark') {
    const context: BrowserContext = await browser!.newContext({
      viewport,
      deviceScaleFactor: 1,
      colorScheme: scheme,
      acceptDownloads: true,
    });
    await signInOnce(context, owner.token, { id: owner.id, username: owner.username });
    const errors: string[] = [];
    await reportCspViolations(context, (m) => errors.push(m));
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${t!.baseUrl}${path}`);
    return { context, page, errors };
  }

  const drawn = (page: Page, chart: string) =>
    page.locator(`[data-chart="${chart}"] .chart-plot[data-state="drawn"] canvas`).first().waitFor({ timeout: 20_000 });

  it('opens a video’s analytics from Your videos at 390×844: figures, charts with data tables, CSV', async () => {
    const { context, page, errors } = await open('/upload', PHONE);
    try {
      const link = page.locator(`[data-testid="your-video"][data-video-id="${popular}"] [data-testid="your-video-analytics"]`);
      await link.waitFor({ timeout: 20_000 });
      await link.click();
      await page.waitForURL(`**/studio/analytics/${popular}`);
      await page.getByTestId('analytics-stats').waitFor({ timeout: 20_000 });
      await expect(page.getByTestId('analytics-caption').textContent()).resolves.toBe('Sunset timelapse #sky');
      // 11+10+…+3 plays over the last 9 days, all within the default 28 days.
      await expect(page.locator('[data-stat="views"] dd').textContent()).resolves.toBe('63');
      await expect(page.locator('[data-stat="viewers"] dd').textContent()).resolves.toBe('11');
      await Promise.all([drawn(page, 'daily'), drawn(page, 'retention'), drawn(page, 'sources')]);
      // Each chart's data is a real table behind a toggle.
      const toggle = page.locator('[data-chart="retention"] .chart-toggle');
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
      await toggle.click();
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
      const rows = page.locator('[data-chart="retention"] table tbody tr');
      await expect(rows.count()).resolves.toBe(13);
      await expect(rows.first().locator('td').textContent()).resolves.toBe('100%');
      const plotLabel = await page.locator('[data-chart="retention"] .chart-plot').getAttribute('aria-label');
      expect(plotLabel).toMatch(/^Audience retention/);
      await page.screenshot({ path: join(ARTIFACTS, 'analytics-video-390x844.png'), fullPage: true });

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('analytics-csv').click()]);
      expect(download.suggestedFilename()).toMatch(/^curta-video-.*\.csv$/);
      const csv = await readFile(await download.path(), 'utf8');
      const lines = csv.trimEnd().split('\r\n');
      expect(lines[0]).toBe('video_id,caption,date,views,unique_viewers,watch_time_ms,likes,comments,shares,follows,bookmarks');
      expect(lines).toHaveLength(29);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('shows the account overview at 1440×900 (dark and light) and switches the range', async () => {
    for (const scheme of ['dark', 'light'] as const) {
      const { context, page, errors } = await open('/studio/analytics', DESKTOP, scheme);
      try {
        await page.getByTestId('analytics-stats').waitFor({ timeout: 20_000 });
        await expect(page.locator('[data-stat="views"] dd').textContent()).resolves.toBe('65');
        await drawn(page, 'daily');
        await expect(page.getByTestId('analytics-top').locator('li').count()).resolves.toBe(2);
        await page.screenshot({ path: join(ARTIFACTS, `analytics-account-1440x900-${scheme}.png`), fullPage: true });
        if (scheme === 'dark') {
          await page.locator('.an-range-btn[data-days="7"]').click();
          await expect(page.locator('.an-range-btn[data-days="7"]').getAttribute('aria-pressed')).resolves.toBe('true');
          // The last 7 days: days 1..6 of the fixture (11+…+6 = 51 plays of popular, 2 of quiet).
          await page.waitForFunction(() => document.querySelector('[data-stat="views"] dd')?.textContent === '53', null, {
            timeout: 20_000,
          });
          expect(page.url()).toContain('days=7');
          await expect(page.locator('[data-chart="daily"] table tbody tr').count()).resolves.toBe(7);
        }
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }
  }, 120_000);

  it('says when breakdowns are withheld, and when there is nothing yet (both sizes)', async () => {
    for (const [viewport, size] of [
      [PHONE, '390x844'],
      [DESKTOP, '1440x900'],
    ] as const) {
      const { context, page, errors } = await open(`/studio/analytics/${quiet}`, viewport);
      try {
        await page.getByTestId('analytics-withheld').waitFor({ timeout: 20_000 });
        await expect(page.getByTestId('analytics-withheld').textContent()).resolves.toContain('at least 5 different people');
        await expect(page.locator('[data-chart="retention"]').count()).resolves.toBe(0);
        await expect(page.locator('[data-chart="sources"]').count()).resolves.toBe(0);
        await page.screenshot({ path: join(ARTIFACTS, `analytics-withheld-${size}.png`), fullPage: true });
        await page.goto(`${t!.baseUrl}/studio/analytics/${silent}`);
        await page.getByTestId('analytics-empty').waitFor({ timeout: 20_000 });
        await page.screenshot({ path: join(ARTIFACTS, `analytics-empty-${size}.png`), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    }
  }, 120_000);
});
