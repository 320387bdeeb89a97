/**
 * Cold archive benchmark (issue 15). Prints one table.
 *
 *   npm run bench:archive
 *     ARCHIVE_BENCH_VIDEOS=100000   rows in the synthetic catalog
 *     ARCHIVE_BENCH_PARTS=catalog,clip   which parts to run
 *
 * 1. catalog — bench/archive/catalog.ts makes a long-tail catalog (Zipf
 *    popularity, burst-then-trickle views, phone-clip sizes; bytes simulated,
 *    not stored) as rows in a throwaway PostgreSQL database on 127.0.0.1:5432
 *    (the scale-out profile a catalog this size runs on; ARCHIVE_BENCH_DB=pglite
 *    or no PostgreSQL: the embedded PGlite), and the real
 *    archive sweep (ArchiveService.sweep, default policy: no view for
 *    ARCHIVE_IDLE_DAYS, older than ARCHIVE_MIN_AGE_DAYS; no pause between
 *    videos) runs over it against a store that answers from the catalog and
 *    records what the sweep asks of it (class changes, deletes, listings).
 *    Printed: the sweep's time (and per video), videos and bytes moved, the
 *    store calls, and the monthly storage cost before and after at the
 *    default prices (AWS us-east-1; the archive class GLACIER_IR, GLACIER and
 *    DEEP_ARCHIVE each) — the catalog's selection is also checked against the
 *    policy computed here from the catalog itself.
 * 2. clip — a real 15 s 1080×1920 clip (ffmpeg's test sources, as
 *    bench/pipeline) uploaded to `curta start`'s embedded app (filesystem
 *    store, zero restore delay, one worker): upload complete → ready is the
 *    baseline; then archived (ArchiveService.archiveNow) and restored by its
 *    owner (POST /api/v1/videos/{id}/restore) → ready again. Ratio target ≤ 1.2
 *    (a restore is a re-process, nothing more). ROUNDS rounds (default 3), medians.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { ArchiveService } from '../../src/modules/archive/archive.service.js';
import { ClassTally, DEFAULT_PRICES, formatMoney, transitionCost, type ArchiveClass } from '../../src/modules/archive/cost.js';
import { makeClip } from '../../test/support/media.js';
import { createTestDatabase, postgresAvailable } from '../../test/support/services.js';
import { apiClient, startTestApp, type TestApp } from '../../test/support/test-app.js';
import { uploadClipViaApi } from '../../test/support/browser.js';
import { median, printTable } from '../support/report.js';
import { CATALOG_DAYS, DAY_MS, syntheticCatalog, type CatalogVideo } from './catalog.js';
import { SimulatedStore } from './simulated-store.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = join(root, 'bench', 'out');
const VIDEOS = Number(process.env['ARCHIVE_BENCH_VIDEOS'] ?? 100_000);
const PARTS = new Set((process.env['ARCHIVE_BENCH_PARTS'] ?? 'catalog,clip').split(','));
const ROUNDS = Math.max(1, Number(process.env['ROUNDS'] ?? 3));
const IDLE_DAYS = 180;
const MIN_AGE_DAYS = 365;
const TARGET_RESTORE = 1.2;

const rows: string[][] = [];
const row = (what: string, value: string, note = '') => rows.push([what, value, note]);
const GiB = 1024 ** 3;
const gib = (b: number) => `${(b / GiB).toLocaleString('en-US', { maximumFractionDigits: 1 })} GiB`;
const usd = (v: number) => formatMoney(v, 'USD');
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  if (PARTS.has('catalog')) await catalogPart();
  if (PARTS.has('clip')) await clipPart();
  console.log('');
  printTable(['figure', 'value', 'note'], rows, [0, 2]);
}

// ---------------------------------------------------------------- catalog

async function insertCatalog(t: TestApp, catalog: CatalogVideo[]): Promise<void> {
  const owner = 'benchowner00000000000';
  await t.app.db.query(`INSERT INTO users (id, username, password_hash) VALUES ($1, 'archive_bench', 'x')`, [owner]);
  const BATCH = 2000;
  for (let i = 0; i < catalog.length; i += BATCH) {
    const part = catalog.slice(i, i + BATCH);
    await t.app.db.query(
      `INSERT INTO videos (id, owner_id, status, caption, visibility, original_key, original_filename, content_type, declared_size,
                           upload_expires_at, media_prefix, duration_ms, width, height, playback, ready_at, created_at)
       SELECT id, $1, 'ready', '', 'public', 'originals/' || id, 'clip.mp4', 'video/mp4', size, created + interval '1 hour',
              'media/' || id || '/r1', dur, 1080, 1920, '{"hls":"master.m3u8","mp4":"video.mp4","poster":"poster.jpg"}'::jsonb,
              created + interval '2 minutes', created
       FROM unnest($2::text[], $3::timestamptz[], $4::bigint[], $5::int[]) AS x(id, created, size, dur)`,
      [owner, part.map((v) => v.id), part.map((v) => v.createdAt), part.map((v) => v.originalBytes), part.map((v) => v.durationMs)],
    );
    await t.app.db.query(
      `INSERT INTO video_stats (video_id, views) SELECT id, views FROM unnest($1::text[], $2::bigint[]) AS x(id, views)`,
      [part.map((v) => v.id), part.map((v) => v.views)],
    );
    // The trigger stamps now() on a view count: the catalog's own last-view times replace it.
    await t.app.db.query(
      `UPDATE video_stats s SET last_viewed_at = x.at FROM unnest($1::text[], $2::timestamptz[]) AS x(id, at) WHERE s.video_id = x.id`,
      [part.map((v) => v.id), part.map((v) => v.lastViewedAt)],
    );
  }
}

async function catalogPart(): Promise<void> {
  const now = new Date();
  const catalog = syntheticCatalog(VIDEOS, now);
  // A 100,000-video catalog is the scale-out profile's: PostgreSQL where it runs (a throwaway database), else PGlite.
  const pg = process.env['ARCHIVE_BENCH_DB'] !== 'pglite' && (await postgresAvailable()) ? await createTestDatabase() : null;
  const t = await startTestApp(
    {
      ...(pg ? { DATABASE_URL: pg.url, CURTA_SIGNING_SECRET: 'b'.repeat(64) } : {}),
      RECONCILE_INTERVAL_SEC: '0',
      STORAGE_SWEEP_INTERVAL_SEC: '0',
      ARCHIVE_SWEEP_INTERVAL_SEC: '0',
      ARCHIVE_SWEEP_PAUSE_MS: '0',
      ARCHIVE_SWEEP_BATCH: '500',
      ARCHIVE_SWEEP_MAX_PER_RUN: String(VIDEOS),
      ARCHIVE_IDLE_DAYS: String(IDLE_DAYS),
      ARCHIVE_MIN_AGE_DAYS: String(MIN_AGE_DAYS),
    },
    { workers: false },
  );
  try {
    let t0 = performance.now();
    await insertCatalog(t, catalog);
    console.log(
      `catalog: ${VIDEOS.toLocaleString('en-US')} videos inserted in ${s(performance.now() - t0)} (${pg ? 'PostgreSQL' : 'PGlite'})`,
    );

    // What the policy selects, computed here from the catalog (the check on the sweep).
    const idleBefore = now.getTime() - IDLE_DAYS * DAY_MS;
    const oldBefore = now.getTime() - MIN_AGE_DAYS * DAY_MS;
    const expected = catalog.filter(
      (v) => v.createdAt.getTime() < oldBefore && (v.lastViewedAt ?? new Date(v.createdAt.getTime() + 120_000)).getTime() < idleBefore,
    );

    const store = new SimulatedStore(catalog);
    const sweeper = makeSweeper(t, store);
    t0 = performance.now();
    const report = await sweeper.sweep();
    const sweepMs = performance.now() - t0;
    // The policy's clock moves during a long sweep (each batch asks with now()): a few videos may cross the line meanwhile.
    const drift = Math.abs(report.archived - expected.length);
    if (drift > Math.max(5, expected.length * 0.001)) {
      throw new Error(`the sweep archived ${report.archived} videos; the policy over the catalog selects ${expected.length}`);
    }

    const originals = catalog.reduce((sum, v) => sum + v.originalBytes, 0);
    const renditions = catalog.reduce((sum, v) => sum + v.renditionBytes, 0);
    const views = catalog.reduce((sum, v) => sum + v.views, 0);
    const archivedViews = expected.reduce((sum, v) => sum + v.views, 0);
    row(
      'catalog',
      `${VIDEOS.toLocaleString('en-US')} videos`,
      `published over ${CATALOG_DAYS} days; Zipf s=1.1 views (${views.toLocaleString('en-US')} in all)`,
    );
    row('catalog bytes', gib(originals + renditions), `originals ${gib(originals)}, renditions+MP4+posters ${gib(renditions)}`);
    row(
      'sweep time',
      s(sweepMs),
      `${(sweepMs / Math.max(1, report.archived)).toFixed(1)} ms per archived video (${pg ? 'PostgreSQL' : 'PGlite'}, fs-less simulated store, ARCHIVE_SWEEP_PAUSE_MS=0)`,
    );
    row(
      'videos archived',
      `${report.archived.toLocaleString('en-US')} (${((report.archived / VIDEOS) * 100).toFixed(1)} %)`,
      `no view for ${IDLE_DAYS} d, older than ${MIN_AGE_DAYS} d; ${((archivedViews / views) * 100).toFixed(3)} % of all views; policy over the catalog at the start: ${expected.length.toLocaleString('en-US')}`,
    );
    row('bytes moved to archive', gib(report.archiveBytes), `${report.archived.toLocaleString('en-US')} originals, one class change each`);
    row('bytes deleted', gib(report.freedBytes), `${store.deletes.toLocaleString('en-US')} rendition objects (posters kept)`);
    row('store calls', store.calls().toLocaleString('en-US'), store.summary());

    // Monthly storage before (everything STANDARD) and after (archived originals in the class, their renditions gone).
    const before = new ClassTally(DEFAULT_PRICES, 'STANDARD');
    for (const v of catalog) before.addMany(v.renditionObjects + 1, v.originalBytes + v.renditionBytes);
    const archivedIds = new Set(report.videos.map((v) => v.id));
    for (const cls of ['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as ArchiveClass[]) {
      const hot = new ClassTally(DEFAULT_PRICES, 'STANDARD');
      const cold = new ClassTally(DEFAULT_PRICES, cls);
      for (const v of catalog) {
        if (archivedIds.has(v.id)) {
          cold.add(v.originalBytes);
          hot.add(120_000); // the poster stays
        } else hot.addMany(v.renditionObjects + 1, v.originalBytes + v.renditionBytes);
      }
      const after = hot.monthlyCost() + cold.monthlyCost();
      row(
        `monthly cost, ${cls}`,
        `${usd(before.monthlyCost())} → ${usd(after)}`,
        `−${(((before.monthlyCost() - after) / before.monthlyCost()) * 100).toFixed(1)} %; transitions once ${usd(transitionCost(DEFAULT_PRICES, cls, report.archived))}`,
      );
    }
  } finally {
    await t.close();
    await pg?.drop();
  }
}

// ---------------------------------------------------------------- clip

async function clipPart(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const clip = join(outDir, 'archive-clip-1080x1920-15s.mp4');
  if (!(await stat(clip).catch(() => null))) await makeClip(clip, { width: 1080, height: 1920, seconds: 15, fps: 30 });
  const t = await startTestApp({
    RECONCILE_INTERVAL_SEC: '0',
    STORAGE_SWEEP_INTERVAL_SEC: '0',
    ARCHIVE_SWEEP_INTERVAL_SEC: '0',
    STORAGE_ARCHIVE_RESTORE_DELAY_SEC: '0',
  });
  try {
    const api = apiClient(t.baseUrl);
    const signup = await api('POST', '/api/v1/auth/signup', { body: { username: 'archive_bench', password: 'correct horse battery' } });
    const token = (signup.body as { token: string }).token;
    const processing: number[] = [];
    const restoring: number[] = [];
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Baseline: the clip's processing (complete → ready), in this process, this round.
      const id = await uploadClipViaApi(t.baseUrl, api, token, clip, `round ${round}`);
      const complete = performance.now();
      await waitFor(api, id, token, 'ready');
      const processMs = performance.now() - complete;

      await makeSweeper(t, t.app.store).archiveNow(id);
      await waitFor(api, id, token, 'archived');
      const r0 = performance.now();
      const asked = await api('POST', `/api/v1/videos/${id}/restore`, { token });
      if (asked.status !== 202) throw new Error(`restore: HTTP ${asked.status} ${JSON.stringify(asked.body)}`);
      await waitFor(api, id, token, 'ready');
      const restoreMs = performance.now() - r0;
      processing.push(processMs);
      restoring.push(restoreMs);
      ratios.push(restoreMs / processMs);
      console.log(
        `round ${round}: processing ${s(processMs)}, archived → restore → ready ${s(restoreMs)} ×${(restoreMs / processMs).toFixed(3)}`,
      );
    }
    row('15 s clip: processing', s(median(processing)), `upload complete → ready, 1080×1920 30 fps, median of ${ROUNDS}`);
    row('15 s clip: restore → ready', s(median(restoring)), 'POST …/restore → ready (fs store, STORAGE_ARCHIVE_RESTORE_DELAY_SEC=0)');
    const ratio = median(ratios);
    row(
      'restore ÷ processing',
      `×${ratio.toFixed(3)}`,
      `target ≤ ${TARGET_RESTORE} ${ratio <= TARGET_RESTORE ? '(met)' : '(MISSED)'}; rounds ${ratios.map((x) => x.toFixed(3)).join(', ')}`,
    );
  } finally {
    await t.close();
  }
}

async function waitFor(api: ReturnType<typeof apiClient>, id: string, token: string, status: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const r = await api('GET', `/api/v1/videos/${id}`, { token });
    last = r.body;
    if (r.status === 200 && (r.body as { status: string }).status === status) return;
    if (r.status === 200 && (r.body as { status: string }).status === 'failed') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`video ${id} did not reach ${status}; last: ${JSON.stringify(last)}`);
}

/**
 * The app's own archive service (its repository, events, configuration) on
 * `store`: for the catalog, the simulated store; for the clip, the app's.
 */
function makeSweeper(t: TestApp, store: ObjectStore): ArchiveService {
  const service = t.app.services.archive.archive;
  if (store === t.app.store) return service;
  return service.withStore(store);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
