/**
 * The storage cost report through its two doors: GET /api/v1/admin/storage
 * (admins only, cached listing) and `curta storage report` (the server
 * stopped: PGlite allows one process), on the embedded profile with real
 * objects in the filesystem store, one of them in the archive tier, and
 * archived videos and restores in the database.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClassTally, DEFAULT_PRICES, archiveSaving, restoreCost, transitionCost } from '../../src/modules/archive/cost.js';
import type { StorageCostReport } from '../../src/modules/archive/storage-report.schema.js';
import { curta } from '../support/cli.js';
import { seedVideo, signup, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const KB = 1024;
const MB = 1024 * KB;

describe('storage cost report', () => {
  let dir: string;
  let t: TestApp;
  let api: ReturnType<typeof apiClient>;
  let admin: TestUser;
  let plain: TestUser;
  const env = () => ({ CURTA_DATA_DIR: dir, LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-storage-report-'));
    t = await startTestApp(
      { RECONCILE_INTERVAL_SEC: '0', STORAGE_SWEEP_INTERVAL_SEC: '0', ARCHIVE_SWEEP_INTERVAL_SEC: '0' },
      {
        workers: false,
        dataDir: dir,
      },
    );
    api = apiClient(t.baseUrl);
    admin = await signup(api, 'store_admin');
    plain = await signup(api, 'store_plain');
    await t.app.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const hot = await seedVideo(t, plain, { caption: 'still watched' });
    const cold = await seedVideo(t, plain, { caption: 'long forgotten' });
    const cold2 = await seedVideo(t, plain, { caption: 'also forgotten' });
    const { store } = t.app;
    // STANDARD: an original and two renditions of the watched video; the archived ones' posters.
    await store.put(`originals/${hot}`, Buffer.alloc(2 * MB), { contentType: 'video/mp4' });
    await store.put(`media/${hot}/seed/seg-1.m4s`, Buffer.alloc(300 * KB), { contentType: 'video/mp4' });
    await store.put(`media/${hot}/seed/seg-2.m4s`, Buffer.alloc(100 * KB), { contentType: 'video/mp4' });
    await store.put(`media/${cold}/seed/poster.jpg`, Buffer.alloc(20 * KB), { contentType: 'image/jpeg' });
    // ARCHIVE: the archived videos' originals (one under GLACIER_IR's 128 KB minimum).
    await store.put(`originals/${cold}`, Buffer.alloc(3 * MB), { contentType: 'video/mp4' });
    await store.setStorageClass(`originals/${cold}`, 'ARCHIVE');
    await store.put(`originals/${cold2}`, Buffer.alloc(10 * KB), { contentType: 'video/mp4' });
    await store.setStorageClass(`originals/${cold2}`, 'ARCHIVE');
    await t.app.db.query(
      `UPDATE videos SET status = 'archived', archived_at = now(), archive_bytes = $2, archive_freed_bytes = $3 WHERE id = $1`,
      [cold, 3 * MB, 5 * MB],
    );
    await t.app.db.query(
      `UPDATE videos SET status = 'archived', archived_at = now(), archive_bytes = $2, archive_freed_bytes = $3 WHERE id = $1`,
      [cold2, 10 * KB, 40 * KB],
    );
    await t.app.db.query(`UPDATE videos SET archive_pinned = true WHERE id = $1`, [hot]);
    // Restores: two Standard (one failed), one Bulk in the window; one Expedited 40 days ago (outside the default 30).
    await t.app.db.query(
      `INSERT INTO archive_restores (video_id, requester, tier, state, bytes, requested_at) VALUES
         ($1, 'viewer', 'Standard', 'done', $2, now() - interval '1 day'),
         ($1, 'owner', 'Standard', 'failed', NULL, now() - interval '2 days'),
         ($3, 'admin', 'Bulk', 'done', $4, now() - interval '3 days'),
         ($3, 'viewer', 'Expedited', 'done', $4, now() - interval '40 days')`,
      [cold, 3 * MB, cold2, 10 * KB],
    );
  }, 120_000);

  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  /** What the report must say about the objects and rows above, from the cost model. */
  function expected(days: number) {
    const cls = t.app.config.archive.s3StorageClass;
    const standard = new ClassTally(DEFAULT_PRICES, 'STANDARD');
    for (const size of [2 * MB, 300 * KB, 100 * KB, 20 * KB]) standard.add(size);
    const archive = new ClassTally(DEFAULT_PRICES, cls);
    for (const size of [3 * MB, 10 * KB]) archive.add(size);
    const saving = archiveSaving(DEFAULT_PRICES, cls, { videos: 2, archiveBytes: 3 * MB + 10 * KB, freedBytes: 5 * MB + 40 * KB });
    const tiers =
      days >= 40
        ? { Expedited: { requests: 1, bytes: 10 * KB }, Standard: { requests: 2, bytes: 3 * MB }, Bulk: { requests: 1, bytes: 10 * KB } }
        : { Expedited: { requests: 0, bytes: 0 }, Standard: { requests: 2, bytes: 3 * MB }, Bulk: { requests: 1, bytes: 10 * KB } };
    return { cls, standard, archive, saving, tiers };
  }

  function check(r: StorageCostReport, days: number) {
    const e = expected(days);
    expect(r.currency).toBe('USD');
    expect(r.store).toBe('fs');
    expect(r.archiveClass).toBe(e.cls);
    const [std, arc] = r.classes;
    expect(std).toMatchObject({ storageClass: 'STANDARD', pricedAs: 'STANDARD', objects: 4, bytes: 2 * MB + 420 * KB });
    expect(std!.monthlyCost).toBeCloseTo(e.standard.monthlyCost(), 12);
    expect(arc).toMatchObject({ storageClass: 'ARCHIVE', pricedAs: e.cls, objects: 2, bytes: 3 * MB + 10 * KB });
    expect(arc!.billableBytes).toBe(e.archive.billedAtClass + e.archive.billedAtStandard);
    if (e.cls === 'GLACIER_IR') expect(arc!.billableBytes).toBe(3 * MB + 128 * KB); // the 10 KB original is billed as 128 KB
    expect(arc!.monthlyCost).toBeCloseTo(e.archive.monthlyCost(), 12);
    expect(r.monthlyCost).toBeCloseTo(e.standard.monthlyCost() + e.archive.monthlyCost(), 12);
    expect(r.archiving).toMatchObject({ videos: 2, restoring: 0, pinned: 1, archiveBytes: 3 * MB + 10 * KB, freedBytes: 5 * MB + 40 * KB });
    expect(r.archiving.monthlySaving).toBeCloseTo(e.saving.saving, 12);
    expect(r.archiving.monthlyCostIfStandard).toBeCloseTo(e.saving.keptInStandard, 12);
    expect(r.archiving.transitionCost).toBeCloseTo(transitionCost(DEFAULT_PRICES, e.cls, 2), 12);
    expect(r.restores.windowDays).toBe(days);
    expect(r.restores.failed).toBe(1);
    for (const tier of ['Expedited', 'Standard', 'Bulk'] as const) {
      const got = r.restores.byTier.find((x) => x.tier === tier)!;
      expect(got).toMatchObject(e.tiers[tier]);
      expect(got.cost).toBe(restoreCost(DEFAULT_PRICES, e.cls, tier, e.tiers[tier]));
    }
    expect(r.restores.requests).toBe(days >= 40 ? 4 : 3);
  }

  it('answers admins with the figures; others get 401/403; a bad window is a 400', async () => {
    expect((await api('GET', '/api/v1/admin/storage')).status).toBe(401);
    const denied = await api('GET', '/api/v1/admin/storage', { token: plain.token });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    const r = await api('GET', '/api/v1/admin/storage', { token: admin.token });
    expect(r.status).toBe(200);
    check(r.body as StorageCostReport, 30);
    const wide = await api('GET', '/api/v1/admin/storage?days=45', { token: admin.token });
    expect(wide.status).toBe(200);
    check(wide.body as StorageCostReport, 45);
    for (const bad of ['0', '366', 'abc', '1.5']) {
      const b = await api('GET', `/api/v1/admin/storage?days=${bad}`, { token: admin.token });
      expect(b.status, bad).toBe(400);
      expect(b.body.error.code).toBe('validation_failed');
    }
  });

  it('reuses one listing until ADMIN_STORAGE_SWEEP_SEC has passed (a LIST per 1,000 keys is not free)', async () => {
    const first = (await api('GET', '/api/v1/admin/storage', { token: admin.token })).body as StorageCostReport;
    await t.app.store.put('avatars/someone/new.jpg', Buffer.alloc(KB), { contentType: 'image/jpeg' });
    const again = (await api('GET', '/api/v1/admin/storage', { token: admin.token })).body as StorageCostReport;
    expect(again.listing.measuredAt).toBe(first.listing.measuredAt);
    expect(again.classes[0]!.objects).toBe(4);
    const fresh = await t.app.services.storageReport.service.report({ fresh: true });
    expect(fresh.classes[0]!.objects).toBe(5);
    await t.app.store.delete('avatars/someone/new.jpg');
    await t.app.services.storageReport.service.refreshListing();
  });

  it('prints the same figures as `curta storage report`, tables or --json', async () => {
    await t.close();
    const r = await curta(['storage', 'report'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Curta storage report \(fs store; archive priced as GLACIER_IR/);
    expect(r.stdout).toMatch(/STANDARD\s+STANDARD\s+4\s+2\.4 MiB/);
    expect(r.stdout).toMatch(/ARCHIVE\s+GLACIER_IR\s+2\s+3\.0 MiB\s+3\.1 MiB/);
    expect(r.stdout).toMatch(/Archiving \(2 videos archived, 0 restoring; 1 pinned\)/);
    expect(r.stdout).toMatch(/Restores \(last 30 days: 3 requested, 1 failed/);
    const j = await curta(['storage', 'report', '--json', '--days', '45'], env());
    expect(j.code).toBe(0);
    check(JSON.parse(j.stdout) as StorageCostReport, 45);

    for (const args of [
      ['storage'],
      ['storage', 'bill'],
      ['storage', 'report', '--days', '0'],
      ['storage', 'report', '--days', 'x'],
      ['storage', 'report', 'extra'],
    ]) {
      const bad = await curta(args, env());
      expect(bad.code, args.join(' ')).toBe(64);
      expect(bad.stderr).toMatch(/storage|days|subcommand|argument/i);
    }
    const prices = await curta(['storage', 'report'], { ...env(), STORAGE_PRICES: '{"classes":{"STANDARD":{"gbMonth":-1}}}' });
    expect(prices.code).toBe(78);
    expect(prices.stderr).toMatch(/STORAGE_PRICES/);
  });
});
