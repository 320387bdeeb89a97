import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/factory.js';
import { FsObjectStore } from '../../src/adapters/storage/fs-object-store.js';
import { loadConfig } from '../../src/config/config.js';
import { uploadClipViaApi } from '../support/browser.js';
import { crashTestWorkerEnv, exitWithin, pollWhileAlive, spawnCurta, spawnManaged, type ManagedProcess } from '../support/cluster.js';
import { makeClip } from '../support/media.js';
import { createTestDatabase, postgresAvailable, redisAvailable, sharedRedisUrl } from '../support/services.js';
import { signup, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';
import { ARCHIVE_TEST_ENV } from './archive.suite.js';

const until = <T>(what: string, p: ManagedProcess | null, fn: () => Promise<T | null | undefined | false>, ms = 120_000) =>
  pollWhileAlive(what, p, fn, ms);

const makeIdle = async (t: TestApp, id: string) => {
  await t.app.db.query(`UPDATE videos SET created_at = now() - interval '400 days', ready_at = now() - interval '399 days' WHERE id = $1`, [
    id,
  ]);
};

/**
 * The sweep killed at its worst points (marked archived, objects not moved;
 * original moved, renditions not deleted) by SIGKILL, then run again: no
 * video is ever left half-archived. Embedded: `curta archive sweep` on the
 * PGlite data folder (the server stopped: PGlite is one process's database).
 */
describe('archive sweep survives SIGKILL (embedded: curta archive sweep on PGlite and the fs store)', () => {
  let dataDir: string;
  let scratch: string;
  const ids: string[] = [];
  const env = () => ({
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    CURTA_DATA_DIR: dataDir,
    ...ARCHIVE_TEST_ENV,
  });
  const procs: ManagedProcess[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'curta-archive-crash-'));
    scratch = await mkdtemp(join(tmpdir(), 'curta-archive-crash-clip-'));
    const clip = join(scratch, 'clip.mp4');
    await makeClip(clip, { seconds: 2 });
    const t = await startTestApp(ARCHIVE_TEST_ENV, { dataDir });
    try {
      const api = apiClient(t.baseUrl);
      const owner = await signup(api, 'crashowner');
      for (const caption of ['first', 'second']) {
        const id = await uploadClipViaApi(t.baseUrl, api, owner.token, clip, caption);
        await waitForVideo(api, id, owner.token, (v) => v.status === 'ready', 180_000);
        await makeIdle(t, id);
        ids.push(id);
      }
    } finally {
      await t.close();
    }
  }, 400_000);

  afterAll(async () => {
    for (const p of procs) if (p.alive) p.signal('SIGKILL', { group: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** The database and store as they are on disk (no process holds them between runs). */
  async function inspect() {
    const config = loadConfig({ ...env(), PUBLIC_BASE_URL: 'http://127.0.0.1:1' });
    const db = await openDatabase(config);
    try {
      const store = new FsObjectStore({
        rootDir: (config.storage as { dir: string }).dir,
        publicBaseUrl: 'http://127.0.0.1:1',
        signingSecret: 'unused-here-unused-here-unused-here',
        archiveDir: config.archive.dir,
      });
      const out = [];
      for (const id of ids) {
        const row = (
          await db.query<{ status: string; archive_pending: boolean; media_prefix: string; playback: { poster?: string } }>(
            'SELECT status, archive_pending, media_prefix, playback FROM videos WHERE id = $1',
            [id],
          )
        ).rows[0]!;
        const objects = (await store.listPage(`media/${id}/`)).keys.map((k) => k.key);
        const original = (await store.head(`originals/${id}`))!.storageClass;
        out.push({ ...row, objects, original });
      }
      return out;
    } finally {
      await db.close();
    }
  }

  function sweep(pause?: string): ManagedProcess {
    const extra: Record<string, string> = pause ? { CURTA_TEST_ARCHIVE_PAUSE: `${pause}:60000` } : {};
    const p = spawnManaged(`sweep${pause ? `@${pause}` : ''}`, process.execPath, ['--import', 'tsx', 'src/cli.ts', 'archive', 'sweep'], {
      env: { ...env(), ...extra },
    });
    procs.push(p);
    return p;
  }

  async function killAt(point: string): Promise<void> {
    const p = sweep(point);
    await until(`the sweep to pause at ${point}`, p, async () => p.output().includes(`ARCHIVE_PAUSED ${point}`));
    p.signal('SIGKILL', { group: true });
    expect((await exitWithin(p, 10_000))?.signal).toBe('SIGKILL');
  }

  it('is finished by the next run; in between the video is archived (never half-playable) and flagged pending', async () => {
    const before = await inspect();
    expect(before.map((v) => v.status)).toEqual(['ready', 'ready']);
    const renditions = before[0]!.objects.length;
    expect(renditions).toBeGreaterThan(5);

    // Killed after the database says archived, before any object moved.
    await killAt('after-mark');
    let state = await inspect();
    expect(state[0]).toMatchObject({ status: 'archived', archive_pending: true, original: 'STANDARD' });
    expect(state[0]!.objects).toHaveLength(renditions);
    expect(state[1]).toMatchObject({ status: 'ready', archive_pending: false });

    // Killed again while finishing it: the original is in the archive tier, the renditions still there.
    await killAt('after-class');
    state = await inspect();
    expect(state[0]).toMatchObject({ status: 'archived', archive_pending: true, original: 'ARCHIVE' });
    expect(state[0]!.objects).toHaveLength(renditions);

    // A run to the end: finishes the first, archives the second.
    const last = sweep();
    const exit = await exitWithin(last, 120_000);
    expect(exit?.code, last.output()).toBe(0);
    expect(last.output()).toMatch(/1 video\(s\) archived.*1 left half-way by an earlier sweep finished/);
    state = await inspect();
    for (const v of state) {
      expect(v).toMatchObject({ status: 'archived', archive_pending: false, original: 'ARCHIVE' });
      expect(v.objects).toEqual([`${v.media_prefix}/${v.playback.poster}`]);
    }
    // Nothing left to do.
    const again = sweep();
    expect((await exitWithin(again, 120_000))?.code).toBe(0);
    expect(again.output()).toMatch(/0 video\(s\) archived/);
  }, 400_000);
});

/**
 * A restore whose worker dies mid-way (SIGKILL after it fetched the original,
 * before any rendition is published) is finished by another worker once the
 * lease runs out: one restore, ready, nothing of the dead attempt left.
 * PostgreSQL and Redis: workers are separate processes sharing the database,
 * the cache and the data folder (the fs store).
 */
const available = (await postgresAvailable()) && (await redisAvailable());
describe.skipIf(!available)('a restore survives its worker being SIGKILLed (PostgreSQL, Redis, real worker processes)', () => {
  // One cache for the API and the workers: a worker's change reaches the API's cached rows.
  const redisUrl = sharedRedisUrl();
  let t: TestApp;
  let db: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  let scratch: string;
  let owner: TestUser;
  const secret = randomBytes(32).toString('hex');
  const procs: ManagedProcess[] = [];

  const workerEnv = (extra: Record<string, string> = {}) =>
    crashTestWorkerEnv(
      { databaseUrl: db.url, secret, dataDir },
      { REDIS_URL: redisUrl, LAKE_DELIVERY_INTERVAL_SEC: '0', LAKE_COMPACT_INTERVAL_SEC: '0', ...ARCHIVE_TEST_ENV, ...extra },
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'curta-restore-crash-'));
    scratch = await mkdtemp(join(tmpdir(), 'curta-restore-crash-clip-'));
    t = await startTestApp(
      {
        ...ARCHIVE_TEST_ENV,
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl,
        CURTA_SIGNING_SECRET: secret,
        CURTA_DATA_DIR: dataDir,
        JOB_LEASE_MS: '2000',
      },
      { workers: false, dataDir },
    );
    owner = await signup(apiClient(t.baseUrl), 'restorecrash');
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) if (p.alive) p.signal('SIGKILL', { group: true });
    await t?.close();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('is taken over by another worker after the lease: ready, one restore, no orphan renditions', async () => {
    const api = apiClient(t.baseUrl);
    const clip = join(scratch, 'clip.mp4');
    await makeClip(clip, { seconds: 2 });
    // Worker A processes the upload, then takes the restore and is held (and killed) after fetching the original.
    const a = spawnCurta('worker-a', 'worker', workerEnv({ CURTA_TEST_ARCHIVE_PAUSE: 'after-download:60000' }));
    procs.push(a);
    const id = await uploadClipViaApi(t.baseUrl, api, owner.token, clip, 'restore crash');
    await waitForVideo(api, id, owner.token, (v) => v.status === 'ready', 180_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nworker A: ${a.alive ? 'running' : 'ended'}\n${a.output()}`);
    });
    await t.app.services.archive.archive.archiveNow(id);
    expect((await api('POST', `/api/v1/videos/${id}/restore`, { token: owner.token })).status).toBe(202);
    await until('worker A to hold the restore after its download', a, async () =>
      a.output().includes(`ARCHIVE_PAUSED after-download ${id}`),
    );
    const held = await t.app.db.query<{ attempt_prefix: string; state: string }>(
      'SELECT attempt_prefix, state FROM archive_restores WHERE video_id = $1',
      [id],
    );
    expect(held.rows[0]!.state).toBe('processing');
    const deadPrefix = held.rows[0]!.attempt_prefix;
    a.signal('SIGKILL', { group: true });
    await exitWithin(a, 10_000);
    // Something of the dead attempt, as if it had published a segment before dying.
    await t.app.store.put(`${deadPrefix}/hls/orphan.m4s`, 'half an attempt', { contentType: 'video/mp4' });

    const b = spawnCurta('worker-b', 'worker', workerEnv());
    procs.push(b);
    const ready = await waitForVideo(api, id, owner.token, (v) => v.status === 'ready', 180_000);
    expect((await fetch(new URL(ready.playback.hls, t.baseUrl))).status).toBe(200);
    const rows = await t.app.db.query<{ state: string }>('SELECT state FROM archive_restores WHERE video_id = $1', [id]);
    expect(rows.rows.map((r) => r.state)).toEqual(['done']);
    const prefix = new URL(ready.playback.hls, t.baseUrl).pathname.split('/').slice(1, 4).join('/');
    expect(prefix).not.toBe(deadPrefix);
    const keys = (await t.app.store.listPage(`media/${id}/`)).keys.map((k) => k.key);
    expect(
      keys.every((k) => k.startsWith(`${prefix}/`)),
      keys.join('\n'),
    ).toBe(true);
    await b.stop();
  }, 400_000);
});
