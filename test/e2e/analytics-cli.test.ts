import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curta } from '../support/cli.js';
import { lakeRow, writeLakeFixture } from '../support/lake.js';
import { seedVideo, signup } from '../support/social.js';
import { apiClient, startTestApp } from '../support/test-app.js';

/** `curta analytics` on an embedded data folder with a hand-built lake (the server stopped: PGlite allows one process). */
describe('curta analytics', () => {
  let dir: string;
  let v1: string;
  const env = () => ({ CURTA_DATA_DIR: dir, LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-analytics-cli-'));
    const t = await startTestApp({ RECONCILE_INTERVAL_SEC: '0', STORAGE_SWEEP_INTERVAL_SEC: '0' }, { workers: false, dataDir: dir });
    try {
      const api = apiClient(t.baseUrl);
      const maker = await signup(api, 'cli_maker');
      const other = await signup(api, 'cli_other');
      const viewer = await signup(api, 'cli_viewer');
      v1 = await seedVideo(t, maker, { caption: 'cli clip one', durationMs: 10_000 });
      const v2 = await seedVideo(t, maker, { caption: 'cli clip two', durationMs: 10_000 });
      const v9 = await seedVideo(t, other, { caption: 'not theirs', durationMs: 10_000 });
      /** A play: its `play` event, then progress a second later. */
      const view = (at: string, video: string, who: { userId?: string; deviceId?: string }, watchedMs: number, creatorId = maker.id) => [
        lakeRow('playback', 'play', at, { videoId: video, creatorId, durationMs: 10_000, ...who }),
        lakeRow('playback', 'progress', new Date(Date.parse(at) + 1000).toISOString(), {
          videoId: video,
          creatorId,
          durationMs: 10_000,
          watchedMs,
          ...who,
        }),
      ];
      await writeLakeFixture(t.app.db, t.app.store, [
        // maker: v1 played by the viewer and a device (5 s + 8 s), v2 by both (3 s, 1 s); the other creator's v9 by the viewer (9 s).
        ...view('2026-04-01T10:00:00Z', v1, { userId: viewer.id }, 5000),
        ...view('2026-04-01T11:00:00Z', v1, { deviceId: 'cli-device-1' }, 8000),
        ...view('2026-04-02T10:00:00Z', v2, { userId: viewer.id }, 3000),
        ...view('2026-04-02T10:05:00Z', v2, { deviceId: 'cli-device-1' }, 1000),
        ...view('2026-04-02T12:00:00Z', v9, { userId: viewer.id }, 9000, other.id),
        lakeRow('pipeline', 'upload_created', '2026-04-01T09:00:00Z', { creatorId: maker.id }),
        lakeRow('pipeline', 'processing_finished', '2026-04-01T09:01:00Z', { stage: 'transcode', ok: true, elapsedMs: 1500 }),
        lakeRow('pipeline', 'processing_failed', '2026-04-01T09:02:00Z', { stage: 'transcode', ok: false, elapsedMs: 2500 }),
      ]);
    } finally {
      await t.close();
    }
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the key figures as tables', async () => {
    const r = await curta(['analytics', '--from', '2026-04-01', '--to', '2026-04-02'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Curta analytics 2026-04-01 → 2026-04-02 \(2 days; lake: \d+ files, 13 events\)$/m);
    // active viewers 2 (viewer, device), creators 1, uploads 1, views (counted plays) 5, watch 5+8+3+1+9 = 26 s, success 1 of 2.
    expect(r.stdout).toMatch(/^\s*2\s+1\s+1\s+5\s+26 s\s+50\.0% of 2$/m);
    expect(r.stdout).toMatch(/^2026-04-01\s+2\s+1\s+1\s+2$/m);
    expect(r.stdout).toMatch(/^2026-04-02\s+2\s+0\s+0\s+3$/m);
    expect(r.stdout).toMatch(/^transcode\s+2\s+1\s+50\.0%\s+1500 ms\s+2500 ms$/m);
    expect(r.stdout).toMatch(/^Queues \(now; dead jobs: 0\)$/m);
    expect(r.stdout).toMatch(/^lake\s+\d+\s+[\d.]+ KiB$/m);
    expect(r.stdout).toMatch(new RegExp(`^${v1}\\s+cli_maker\\s+2\\s+2\\s+13 s\\s+cli clip one$`, 'm'));
    expect(r.stdout).toMatch(/^Reports awaiting review: 0$/m);
  });

  it('--json prints the API document', async () => {
    const r = await curta(['analytics', '--from', '2026-04-01', '--to', '2026-04-02', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.totals).toMatchObject({ activeViewers: 2, views: 5, watchTimeMs: 26_000, processingSuccessRate: 0.5 });
    expect(doc.stages).toEqual([{ stage: 'transcode', runs: 2, succeeded: 1, failed: 1, successRate: 0.5, p50Ms: 1500, p95Ms: 2500 }]);
  });

  it('--creator prints one creator’s own figures only', async () => {
    const r = await curta(['analytics', '--creator', 'CLI_MAKER', '--from', '2026-04-01', '--to', '2026-04-02'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cli_maker: 2026-04-01 → 2026-04-02$/m);
    // views 4 (v1 ×2, v2 ×2), unique viewers 2, watch 5 + 8 + 3 + 1 = 17 s; the other creator's video is not there.
    expect(r.stdout).toMatch(/^\s*4\s+2\s+17 s\s/m);
    expect(r.stdout).toMatch(new RegExp(`^${v1}\\s+2\\s+2\\s+13 s\\s+cli clip one$`, 'm'));
    expect(r.stdout).not.toMatch(/not theirs/);
    const json = JSON.parse(
      (await curta(['analytics', '--creator', 'cli_maker', '--from', '2026-04-01', '--to', '2026-04-02', '--json'], env())).stdout,
    );
    expect(json).toMatchObject({ creator: 'cli_maker', views: 4, uniqueViewers: 2, watchTimeMs: 17_000 });
    expect(JSON.stringify(json)).not.toMatch(/cli-device-1/);
  });

  it('refuses bad arguments with usage (64) and an unknown creator (1)', async () => {
    for (const args of [
      ['--from', '2026-02-30'],
      ['--from', '2026-04-05', '--to', '2026-04-01'],
      ['--from', '2020-01-01', '--to', '2026-01-01'],
      ['--fast'],
      ['extra'],
    ]) {
      const r = await curta(['analytics', ...args], env());
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toMatch(/Usage: curta analytics/);
    }
    const missing = await curta(['analytics', '--creator', 'nobody'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No user named "nobody"/);
  });
});
