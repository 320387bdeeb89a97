/**
 * The admin dashboard's For You panel (GET /api/v1/admin/recs) in a real
 * Chromium against the real server, on a phone and a desktop window: the
 * kept model versions with what their training chose — the served ranking,
 * the guard, the holdout figures — and admins only on the API.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecsRepository } from '../../src/modules/recs/recs.repository.js';
import type { ModelSelection } from '../../src/modules/recs/tuning/self-tune.js';
import { browserTestsEnabled, ensureWebBuilt, launchChromium, reportCspViolations, signInOnce } from '../support/browser.js';
import { signup, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');

const SELECTION: ModelSelection = {
  status: 'tuned',
  reason: 'chosen on the holdout of 1000 viewers',
  chosen: 'model(exposure 0, co-liked 1, neg push 0.1, rate^0.25) + trending 0.35',
  kind: 'model',
  foldIn: { negativeExposure: 0, preferenceWeight: 1, negativePreference: 0.1, rateExponent: 0.25 },
  blend: { personal: 1, trending: 0.35 },
  rule: 'simplest candidate within 2 paired standard errors (over viewers) of the best holdout NDCG, never below popularity only',
  holdout: {
    viewers: 1000,
    k: 20,
    chosenNdcg: 0.0612,
    popularityNdcg: 0.0383,
    defaultsNdcg: 0.0598,
    bestNdcg: 0.0619,
    best: 'm',
    se: 0.0011,
  },
  candidates: 37,
  searchMs: 2400,
};

describe('admin For You panel', () => {
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  let admin: TestUser;
  let plain: TestUser;
  let browser: Browser | undefined;

  const withBrowser = browserTestsEnabled('admin-recs-browser.test');

  beforeAll(async () => {
    // Built before the server starts: it serves the build it finds at start-up.
    if (withBrowser) await ensureWebBuilt(ROOT);
    t = await startTestApp({}, { workers: false });
    api = apiClient(t.baseUrl);
    admin = await signup(api, 'recs_admin');
    plain = await signup(api, 'recs_plain');
    await t.app.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const repo = new RecsRepository(t.app.db);
    const row = { eventsRead: 10, users: 1200, videos: 300, pairs: 9000, trainMs: 3100, maxEventId: 0, lakeBatchId: null };
    await repo.recordModel({ ...row, objectKey: 'recs/models/old.bin', selection: null }, {});
    await repo.recordModel({ ...row, objectKey: 'recs/models/new.bin', selection: SELECTION }, SELECTION.foldIn);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists the kept versions and their choice, for admins only', async () => {
    expect((await api('GET', '/api/v1/admin/recs')).status).toBe(401);
    const refused = await api('GET', '/api/v1/admin/recs', { token: plain.token });
    expect(refused.status).toBe(403);
    const r = await api('GET', '/api/v1/admin/recs', { token: admin.token });
    expect(r.status).toBe(200);
    const models = r.body.models as Array<{ version: number; selection: ModelSelection | null }>;
    expect(models.map((m) => m.selection?.chosen ?? null)).toEqual([SELECTION.chosen, null]);
    expect(models[0]!.selection).toEqual(SELECTION);
    expect(models[0]!.version).toBeGreaterThan(models[1]!.version);
  });

  describe.skipIf(!withBrowser)('in Chromium', () => {
    beforeAll(async () => {
      browser = await launchChromium();
      await mkdir(ARTIFACTS, { recursive: true });
    }, 300_000);

    for (const vp of [
      { name: 'phone', width: 390, height: 844 },
      { name: 'desktop', width: 1440, height: 900 },
    ]) {
      it(`shows the served ranking and the holdout figures (${vp.name} ${vp.width}×${vp.height})`, async () => {
        const context = await browser!.newContext({ viewport: { width: vp.width, height: vp.height } });
        const problems: string[] = [];
        await reportCspViolations(context, (m) => problems.push(m));
        const me = (await api('GET', '/api/v1/me', { token: admin.token })).body.user;
        await signInOnce(context, admin.token, me);
        const page = await context.newPage();
        page.on('pageerror', (err) => problems.push(err.message));
        try {
          await page.goto(`${t.baseUrl}/admin`);
          const panel = page.getByTestId('ad-recs');
          await panel
            .getByTestId('ad-recs-versions')
            .waitFor({ timeout: 20_000 })
            .catch(async (err: unknown) => {
              throw new Error(
                `${String(err)}\nproblems: ${problems.join('; ')}\npage: ${(await page.locator('main, body').first().innerText()).slice(0, 800)}`,
              );
            });
          expect(await panel.getByRole('heading', { name: 'For You ranking' }).count()).toBe(1);
          expect(await panel.getByTestId('ad-recs-chosen').textContent()).toContain(SELECTION.chosen);
          const tiles = panel.getByTestId('ad-recs-holdout');
          expect(await tiles.locator('[data-stat="chosen"] .ad-tile-value').textContent()).toBe('0.0612');
          expect(await tiles.locator('[data-stat="popularity"] .ad-tile-value').textContent()).toBe('0.0383');
          expect(await panel.getByTestId('ad-recs-versions').locator('tbody tr').count()).toBe(2);
          await panel.scrollIntoViewIfNeeded();
          await page.screenshot({ path: join(ARTIFACTS, `admin-recs-${vp.name}.png`) });
          expect(problems).toEqual([]);
        } finally {
          await context.close();
        }
      }, 120_000);
    }
  });
});
