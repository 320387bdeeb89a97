import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curta as runCurta, type CliRun } from '../support/cli.js';
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';
import { PostgresDatabase } from '../../src/adapters/db/postgres-database.js';
import { createBackup } from '../../src/modules/backup/backup.js';
import type { BackupManifest } from '../../src/modules/backup/backup-format.js';
import { listTables, quoteIdent } from '../../src/modules/backup/catalog.js';
import type { Database } from '../../src/ports/database.js';
import { hlsUrls, signup, spawnCurta, uploadVideo, waitForHttp } from '../support/cluster.js';
import { makeClip } from '../support/media.js';
import { s3ProcessEnv, startS3Server, useS3Credentials, type S3TestServer } from '../support/s3.js';
import { createTestDatabase, postgresAvailable } from '../support/services.js';
import { apiClient, freePort, startTestApp, waitForVideo, type TestApp } from '../support/test-app.js';

/**
 * Backup and restore of a real instance: videos uploaded and transcoded by
 * ffmpeg, people following, liking and commenting (a reply: comments refer
 * to each other). Restored into an empty embedded data folder and into
 * PostgreSQL + S3, started, and played.
 */

type Run = CliRun;

const curta = (args: string[], env: Record<string, string>): Promise<Run> =>
  runCurta(args, { LOG_LEVEL: 'warn', ...env }, { timeoutMs: 120_000 });

const noStack = (r: Run) => expect(r.stderr, r.stderr).not.toMatch(/^\s+at /m);

/** Every table's rows as PostgreSQL writes them (row_to_json), sorted: what a restore must reproduce exactly. */
async function tableRows(db: Database): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of await listTables(db)) {
    const { rows } = await db.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM ${quoteIdent(t.name)} t`);
    out[t.name] = rows.map((r) => r.j).sort();
  }
  return out;
}

/** The rows a backup holds, per table, sorted. */
async function backupRows(dir: string): Promise<Record<string, string[]>> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
  const out: Record<string, string[]> = {};
  for (const t of manifest.tables) {
    out[t.name] = (await readFile(join(dir, t.file), 'utf8')).split('\n').filter(Boolean).sort();
  }
  return out;
}

/** The app on a restored data folder (kept when it closes), without workers, as `curta serve` would run it. */
const startOn = (dataDir: string, env: Record<string, string> = {}): Promise<TestApp> => startTestApp(env, { dataDir, workers: false });

interface Population {
  videoId: string;
  commentId: string;
  replyId: string;
  segment: Buffer;
}

/** What a restored instance must show: the video plays (same bytes), the people, their follow, like, comment and reply, and a login. */
async function expectRestored(t: TestApp, p: Population): Promise<void> {
  const api = apiClient(t.baseUrl);
  const login = await api('POST', '/api/v1/auth/login', { body: { username: 'bob', password: 'correct horse battery' } });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  const bob = login.body.token as string;

  const video = await api('GET', `/api/v1/videos/${p.videoId}`, { token: bob });
  expect(video.status).toBe(200);
  expect(video.body).toMatchObject({ status: 'ready', viewer: { liked: true, followsAuthor: true } });
  expect(video.body.stats).toMatchObject({ likes: 1, comments: 2 });
  const { media, init, segments } = await hlsUrls(video.body.playback.hls as string);
  expect(segments.length).toBeGreaterThan(0);
  for (const url of [media, init!]) expect((await fetch(url)).status).toBe(200);
  const segment = await fetch(segments[0]!);
  expect(segment.status).toBe(200);
  expect(Buffer.from(await segment.arrayBuffer()).equals(p.segment)).toBe(true);
  const poster = await fetch(video.body.playback.poster as string);
  expect(poster.status).toBe(200);

  const alice = await api('GET', '/api/v1/users/alice', { token: bob });
  expect(alice.body).toMatchObject({ followerCount: 1, videoCount: 1, viewer: { follows: true } });
  const comments = await api('GET', `/api/v1/videos/${p.videoId}/comments`);
  expect(comments.body.items.map((c: { id: string; text: string }) => [c.id, c.text])).toEqual([[p.commentId, 'nice clip']]);
  const replies = await api('GET', `/api/v1/videos/${p.videoId}/comments?parentId=${p.commentId}`);
  expect(replies.body.items.map((c: { id: string; text: string }) => [c.id, c.text])).toEqual([[p.replyId, 'thanks!']]);
}

const pgAvailable = await postgresAvailable();

describe('curta backup / restore', () => {
  let work: string;
  let source: TestApp;
  let backupDir: string;
  let population: Population;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'curta-backup-'));
    source = await startTestApp();
    const api = apiClient(source.baseUrl);
    const alice = await signup(source.baseUrl, 'alice');
    const bob = await signup(source.baseUrl, 'bob');
    await makeClip(join(work, 'clip.mp4'), { seconds: 2 });
    const videoId = await uploadVideo(source.baseUrl, alice, await readFile(join(work, 'clip.mp4')), 'first #backup');
    const ready = await waitForVideo(api, videoId, alice, (v) => v.status === 'ready');
    expect((await api('PUT', '/api/v1/users/alice/follow', { token: bob })).status).toBeLessThan(300);
    expect((await api('PUT', `/api/v1/videos/${videoId}/like`, { token: bob })).status).toBeLessThan(300);
    const comment = await api('POST', `/api/v1/videos/${videoId}/comments`, { token: bob, body: { text: 'nice clip' } });
    expect(comment.status).toBe(201);
    const reply = await api('POST', `/api/v1/videos/${videoId}/comments`, {
      token: alice,
      body: { text: 'thanks!', parentId: comment.body.id },
    });
    expect(reply.status).toBe(201);
    const { segments } = await hlsUrls(ready.playback.hls as string);
    const segment = Buffer.from(await (await fetch(segments[0]!)).arrayBuffer());
    population = { videoId, commentId: comment.body.id, replyId: reply.body.id, segment };

    // While the source runs (its workers and schedules live): the snapshot is consistent regardless.
    backupDir = join(work, 'backup');
    const summary = await createBackup(source.app.db, source.app.store, backupDir, { objects: 'copied', curtaVersion: 'test' });
    expect(summary.objects).toBeGreaterThan(3); // original, playlists, segments, poster…
  }, 240_000);

  afterAll(async () => {
    await source?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes a manifest with the schema version and a checksum of every file', async () => {
    const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as BackupManifest;
    expect(manifest.schema.version).toBeGreaterThanOrEqual(9);
    expect(manifest.schema.migrations.every((m) => /^[0-9a-f]{64}$/.test(m.checksum ?? ''))).toBe(true);
    const names = manifest.tables.map((t) => t.name);
    expect(names.indexOf('users')).toBeLessThan(names.indexOf('videos'));
    expect(names.indexOf('videos')).toBeLessThan(names.indexOf('comments'));
    expect(names).not.toContain('schema_migrations');
    expect(manifest.tables.find((t) => t.name === 'comments')?.rows).toBe(2);
    expect(manifest.objects).toMatchObject({ mode: 'copied' });
    const index = (await readFile(join(backupDir, 'objects.jsonl'), 'utf8')).split('\n').filter(Boolean);
    expect(index).toHaveLength(manifest.objects.count);
    expect(index.some((l) => (JSON.parse(l) as { key: string }).key.startsWith('originals/'))).toBe(true);
  });

  it('restores into an empty embedded data folder: same rows, and the instance plays its videos', async () => {
    const target = join(work, 'restored');
    const r = await curta(['restore', backupDir], { CURTA_DATA_DIR: target });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/every checksum matches/);
    expect(r.stdout).toMatch(/restored \d+ rows and \d+ objects/);

    const db = await PgliteDatabase.open(join(target, 'db'));
    try {
      expect(await tableRows(db)).toEqual(await backupRows(backupDir));
      // The identity counters continue where the source's were: no id is handed out twice.
      const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as BackupManifest;
      expect(manifest.sequences.length).toBeGreaterThan(0);
      for (const s of manifest.sequences) {
        const { rows } = await db.query<{ v: string; c: boolean }>(
          `SELECT last_value::text AS v, is_called AS c FROM ${quoteIdent(s.name)}`,
        );
        expect(rows[0], s.name).toEqual({ v: s.lastValue, c: s.isCalled });
      }
    } finally {
      await db.close();
    }
    const restored = await startOn(target);
    try {
      await expectRestored(restored, population);
    } finally {
      await restored.close();
    }
  }, 120_000);

  it('--no-objects: rows and the object list only; restore needs the objects in the target store, and says which are missing', async () => {
    const indexOnly = join(work, 'index-only');
    await createBackup(source.app.db, source.app.store, indexOnly, { objects: 'index', curtaVersion: 'test' });
    expect(await stat(join(indexOnly, 'objects')).catch(() => null)).toBeNull();
    const manifest = JSON.parse(await readFile(join(indexOnly, 'manifest.json'), 'utf8')) as BackupManifest;
    expect(manifest.objects.mode).toBe('index');
    expect(manifest.objects.count).toBeGreaterThan(3);

    const target = join(work, 'index-target');
    const refused = await curta(['restore', indexOnly], { CURTA_DATA_DIR: target });
    expect(refused.code).toBe(73);
    expect(refused.stderr).toMatch(/holds the object list only.*\d+ of its objects are missing from the target store/);
    noStack(refused);

    // The store restored by its own means (here: the source's objects folder copied), then the rows.
    await copyTree(join(source.dataDir, 'objects'), join(target, 'objects'));
    const r = await curta(['restore', indexOnly], { CURTA_DATA_DIR: target });
    expect(r.code, r.stderr).toBe(0);
    const restored = await startOn(target);
    try {
      await expectRestored(restored, population);
    } finally {
      await restored.close();
    }
  }, 120_000);

  it('refuses a missing folder, a damaged file, a newer schema and a non-empty target, each with a clear message and no stack', async () => {
    const missing = await curta(['restore', join(work, 'nope')], { CURTA_DATA_DIR: join(work, 'never') });
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(/no backup at .*nope: the folder does not exist/);
    noStack(missing);
    expect(await stat(join(work, 'never')).catch(() => null)).toBeNull(); // nothing created

    const notBackup = await curta(['restore', work], { CURTA_DATA_DIR: join(work, 'never') });
    expect(notBackup.code).toBe(66);
    expect(notBackup.stderr).toMatch(/has no manifest\.json/);

    // Tampered: one byte of one table file changed.
    const tampered = join(work, 'tampered');
    await copyTree(backupDir, tampered);
    const manifest = JSON.parse(await readFile(join(tampered, 'manifest.json'), 'utf8')) as BackupManifest;
    const users = manifest.tables.find((t) => t.name === 'users')!;
    const text = await readFile(join(tampered, users.file), 'utf8');
    await writeFile(join(tampered, users.file), text.replace('"bob"', '"eve"'));
    const damaged = await curta(['restore', tampered], { CURTA_DATA_DIR: join(work, 't1') });
    expect(damaged.code).toBe(65);
    expect(damaged.stderr).toContain(`backup file ${users.file} is damaged: its sha256 differs from the manifest's`);
    noStack(damaged);
    // Checked before the target was even opened: nothing was written.
    expect(await stat(join(work, 't1')).catch(() => null)).toBeNull();

    // An object's bytes changed.
    const objTampered = join(work, 'obj-tampered');
    await copyTree(backupDir, objTampered);
    const objects = await listFiles(join(objTampered, 'objects'));
    await writeFile(objects[0]!, Buffer.concat([await readFile(objects[0]!), Buffer.from('x')]));
    const badObject = await curta(['restore', objTampered], { CURTA_DATA_DIR: join(work, 't2') });
    expect(badObject.code).toBe(65);
    expect(badObject.stderr).toMatch(/backup file for object .+ is damaged/);

    // From a newer Curta: a migration this one does not have.
    const newer = join(work, 'newer');
    await copyTree(backupDir, newer);
    const m = JSON.parse(await readFile(join(newer, 'manifest.json'), 'utf8')) as BackupManifest;
    m.schema.migrations.push({ version: 9999, name: 'from_the_future', checksum: 'a'.repeat(64) });
    m.schema.version = 9999;
    m.curtaVersion = '99.0.0';
    await writeFile(join(newer, 'manifest.json'), JSON.stringify(m));
    const future = await curta(['restore', newer], { CURTA_DATA_DIR: join(work, 't3') });
    expect(future.code).toBe(65);
    expect(future.stderr).toMatch(/newer Curta \(99\.0\.0\).*migration 9999_from_the_future.*Upgrade Curta, then restore/);
    noStack(future);

    // A target with data: refused, then --force erases and restores.
    const busy = join(work, 'restored');
    const refused = await curta(['restore', backupDir], { CURTA_DATA_DIR: busy });
    expect(refused.code).toBe(73);
    expect(refused.stderr).toMatch(
      /the target is not empty: its database has rows \(.*users.*\) and its object store has objects.*--force/,
    );
    noStack(refused);
    const forced = await curta(['restore', backupDir, '--force'], { CURTA_DATA_DIR: busy });
    expect(forced.code, forced.stderr).toBe(0);

    // backup refuses a folder that is not empty; usage errors say so.
    const intoFull = await curta(['backup', backupDir], { CURTA_DATA_DIR: busy });
    expect(intoFull.code).toBe(73);
    expect(intoFull.stderr).toMatch(/is not empty: a backup goes into a new or empty folder/);
    const usage = await curta(['restore'], { CURTA_DATA_DIR: busy });
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/Usage: curta restore <dir>/);
  }, 180_000);

  it('admin grant, jobs, backup and migrate status work while `curta start` runs on the embedded data folder', async () => {
    const dataDir = join(work, 'restored');
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '', CURTA_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    const server = spawnCurta('start', 'start', env);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, server);
      const socket = await stat(join(dataDir, 'db.sock'));
      expect(socket.isSocket()).toBe(true);
      expect(socket.mode & 0o777).toBe(0o600);

      const grant = await curta(['admin', 'grant', 'bob'], env);
      expect(grant, grant.stderr).toMatchObject({ code: 0, stdout: 'bob is now an admin.\n' });
      const missing = await curta(['admin', 'grant', 'nobody'], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/No user named "nobody"/);
      noStack(missing);

      const jobs = await curta(['jobs', 'list'], env);
      expect(jobs, jobs.stderr).toMatchObject({ code: 0, stdout: 'no dead or stuck jobs\n' });

      const status = await curta(['migrate', 'status'], env);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^0001 +jobs +applied +\d{4}-\d\d-\d\dT/m);
      expect(status.stdout).toMatch(/\d+ applied, 0 pending/);

      const live = join(work, 'live-backup');
      const backup = await curta(['backup', live], env);
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stdout).toMatch(/backup written to/);
      const manifest = JSON.parse(await readFile(join(live, 'manifest.json'), 'utf8')) as BackupManifest;
      const users = (await readFile(join(live, manifest.tables.find((t) => t.name === 'users')!.file), 'utf8')).split('\n');
      expect(users.find((l) => l.includes('"username":"bob"'))).toMatch(/"role":"admin"/);
      // The server kept serving.
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      const exit = await server.stop();
      expect(exit.code, server.output()).toBe(0);
    }
    const db = await PgliteDatabase.open(join(dataDir, 'db'));
    try {
      const { rows } = await db.query<{ role: string }>(`SELECT role FROM users WHERE username = 'bob'`);
      expect(rows[0]?.role).toBe('admin');
    } finally {
      await db.close();
    }
    expect(await stat(join(dataDir, 'db.sock')).catch(() => null)).toBeNull(); // removed on shutdown
  }, 120_000);

  it('says the embedded database is in use, without a stack, when its holder does not answer on a control socket', async () => {
    const dataDir = join(work, 'held');
    const held = await PgliteDatabase.open(join(dataDir, 'db'));
    try {
      const r = await curta(['admin', 'grant', 'bob'], { CURTA_DATA_DIR: dataDir });
      expect(r.code).toBe(69);
      expect(r.stderr).toMatch(
        /curta admin: The embedded database at .* is in use by process \d+\..*does not answer on its control socket/,
      );
      noStack(r);
      const restore = await curta(['restore', backupDir], { CURTA_DATA_DIR: dataDir });
      expect(restore.code).toBe(69);
      noStack(restore);
    } finally {
      await held.close();
    }
    const unreachable = await curta(['admin', 'grant', 'bob'], {
      CURTA_DATA_DIR: dataDir,
      DATABASE_URL: 'postgres://127.0.0.1:1/nowhere',
      CURTA_SIGNING_SECRET: randomBytes(32).toString('hex'),
    });
    expect(unreachable.code).toBe(69);
    expect(unreachable.stderr).toMatch(/curta admin: cannot connect \(ECONNREFUSED\)/);
    noStack(unreachable);
  }, 60_000);

  describe.runIf(pgAvailable)('embedded → PostgreSQL + S3 and back', () => {
    let s3: S3TestServer;
    let pg: { url: string; drop: () => Promise<void> };
    const secret = randomBytes(32).toString('hex');

    beforeAll(async () => {
      s3 = await startS3Server();
      pg = await createTestDatabase();
    });
    afterAll(async () => {
      await pg?.drop();
      await s3?.close();
    });

    it('restores the embedded backup into PostgreSQL + S3, serves it, and backs it up again into an embedded folder', async () => {
      const distributed = {
        DATABASE_URL: pg.url,
        ...s3ProcessEnv(s3),
        CURTA_SIGNING_SECRET: secret,
        CURTA_DATA_DIR: join(work, 'pg-profile'),
      };
      const r = await curta(['restore', backupDir], distributed);
      expect(r.code, r.stderr).toBe(0);
      const db = await PostgresDatabase.open(pg.url);
      try {
        expect(await tableRows(db)).toEqual(await backupRows(backupDir));
      } finally {
        await db.close();
      }

      const restoreCredentials = useS3Credentials(s3);
      try {
        const app = await startOn(join(work, 'pg-profile'), distributed);
        try {
          await expectRestored(app, population);
        } finally {
          await app.close();
        }
      } finally {
        restoreCredentials();
      }

      // And back: PostgreSQL + S3 → a backup → a new embedded folder, which plays the same video.
      const second = join(work, 'from-pg');
      const b = await curta(['backup', second], distributed);
      expect(b.code, b.stderr).toBe(0);
      const m = JSON.parse(await readFile(join(second, 'manifest.json'), 'utf8')) as BackupManifest;
      expect(m.source).toEqual({ database: 'postgres', storage: 's3' });
      const embedded = join(work, 'embedded-again');
      const back = await curta(['restore', second], { CURTA_DATA_DIR: embedded });
      expect(back.code, back.stderr).toBe(0);
      const app = await startOn(embedded);
      try {
        await expectRestored(app, population);
      } finally {
        await app.close();
      }
    }, 240_000);

    it('migrate status lists the migrations on PostgreSQL; an applied file edited since is refused by migrate and start, naming it', async () => {
      const env = { DATABASE_URL: pg.url, CURTA_SIGNING_SECRET: secret, CURTA_DATA_DIR: join(work, 'pg-profile'), PORT: '0' };
      const ok = await curta(['migrate', 'status'], env);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^version +name +state +applied at$/m);
      expect(ok.stdout).toMatch(/^0001 +jobs +applied +\d{4}-/m);
      expect(ok.stdout).toMatch(/^\d+ applied, 0 pending$/m);

      // As if 0001_jobs.sql had been edited after it was applied: the recorded checksum no longer matches the file.
      const db = await PostgresDatabase.open(pg.url);
      try {
        await db.query(`UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1`);
      } finally {
        await db.close();
      }
      const status = await curta(['migrate', 'status'], env);
      expect(status.code).toBe(1);
      expect(status.stdout).toMatch(/^0001 +jobs +edited /m);
      expect(status.stdout).toMatch(/1 EDITED since applied/);
      for (const command of ['migrate', 'start']) {
        const r = await curta([command], env);
        expect(r.code, r.stderr).toBe(70);
        expect(r.stderr).toMatch(new RegExp(`^curta ${command}: Applied migration 0001_jobs\\.sql changed since it was applied`, 'm'));
        noStack(r);
      }
    }, 120_000);
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out.sort();
}

async function copyTree(from: string, to: string): Promise<void> {
  const { cp } = await import('node:fs/promises');
  await cp(from, to, { recursive: true });
}
