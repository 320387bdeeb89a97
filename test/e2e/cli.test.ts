import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curta } from '../support/cli.js';
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';

/** Starts a long-running command and stops it (SIGTERM, so it drains) once its output matches `ready`. */
function curtaUntil(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (ready.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('curta CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('migrate creates the embedded database and is idempotent', async () => {
    const first = await curta(['migrate'], { CURTA_DATA_DIR: dir, LOG_LEVEL: 'warn' });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(existsSync(join(dir, 'db'))).toBe(true);
    const second = await curta(['migrate'], { CURTA_DATA_DIR: dir, LOG_LEVEL: 'warn' });
    expect(second.code).toBe(0);
  });

  it('stops with a message naming a bad variable', async () => {
    const r = await curta(['start'], { CURTA_DATA_DIR: dir, PORT: 'eighty' });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/PORT/);
  });

  it('refuses to start on PostgreSQL without a shared signing secret, saying why', async () => {
    const dataDir = join(dir, 'postgres-profile');
    const r = await curta(['serve'], { CURTA_DATA_DIR: dataDir, DATABASE_URL: 'postgres://127.0.0.1:1/never-reached', LOG_LEVEL: 'warn' });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/CURTA_SIGNING_SECRET: required with DATABASE_URL \(PostgreSQL\)/);
    expect(existsSync(join(dataDir, 'signing-secret'))).toBe(false);
  });

  it('refuses to start workers without a usable ffmpeg, saying what is missing', async () => {
    const r = await curta(['worker'], { CURTA_DATA_DIR: dir, FFMPEG_PATH: '/nonexistent/ffmpeg', LOG_LEVEL: 'warn' });
    expect(r.code).toBe(69);
    expect(r.stdout + r.stderr).toMatch(/ffmpeg not found at \/nonexistent\/ffmpeg.*apt-get install ffmpeg/);
  });

  it('refuses to serve the API without a usable ffmpeg (avatar images), saying what is missing', async () => {
    const r = await curta(['serve'], { CURTA_DATA_DIR: dir, FFMPEG_PATH: '/nonexistent/ffmpeg', PORT: '0', LOG_LEVEL: 'warn' });
    expect(r.code).toBe(69);
    expect(r.stdout + r.stderr).toMatch(/ffmpeg not found at \/nonexistent\/ffmpeg.*apt-get install ffmpeg/);
  });

  it('serves the API without ffprobe, which only workers use', async () => {
    const r = await curtaUntil(
      ['serve'],
      { CURTA_DATA_DIR: dir, FFPROBE_PATH: '/nonexistent/ffprobe', PORT: '0', LOG_LEVEL: 'info' },
      /Curta is up/,
    );
    expect(r.stdout, r.stderr).toMatch(/Curta is up/);
    expect(r.code).toBe(0);
    // The start-up line names what this process runs on.
    expect(r.stdout).toContain(`database: PGlite (embedded) ${join(dir, 'db')}; storage: filesystem ${join(dir, 'objects')}`);
    expect(r.stdout).toMatch(/cache: in-process \(\d+ MiB\); queue: PGlite jobs table/);
  });

  it('admin grant|revoke <username> sets the role, and says when there is no such user', async () => {
    const env = { CURTA_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    expect((await curta(['migrate'], env)).code).toBe(0);
    const role = async () => {
      const db = await PgliteDatabase.open(join(dir, 'db'));
      try {
        await db.query(`INSERT INTO users (id, username, password_hash) VALUES ('cli-user-0001', 'Moderator', 'x') ON CONFLICT DO NOTHING`);
        return (await db.query<{ role: string }>(`SELECT role FROM users WHERE id = 'cli-user-0001'`)).rows[0]?.role;
      } finally {
        await db.close();
      }
    };
    expect(await role()).toBe('user');
    const grant = await curta(['admin', 'grant', 'moderator'], env);
    expect(grant).toMatchObject({ code: 0, stdout: 'Moderator is now an admin.\n' });
    expect(await role()).toBe('admin');
    const revoke = await curta(['admin', 'revoke', 'Moderator'], env);
    expect(revoke).toMatchObject({ code: 0, stdout: 'Moderator is no longer an admin.\n' });
    expect(await role()).toBe('user');

    const missing = await curta(['admin', 'grant', 'nobody'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No user named "nobody"/);
    const usage = await curta(['admin', 'promote'], env);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/curta admin grant <username>/);
  });

  it('recs train fits and publishes a model from the lake (delivering the buffer first), prints what it fitted, and skips when nothing is new', async () => {
    const env = { CURTA_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    expect((await curta(['migrate'], env)).code).toBe(0);
    const empty = await curta(['recs', 'train'], env);
    expect(empty).toMatchObject({ code: 0, stdout: 'reading events from the lake…\nnothing trained: no viewing signals yet\n' });

    const db = await PgliteDatabase.open(join(dir, 'db'));
    try {
      await db.query(`INSERT INTO users (id, username, password_hash) VALUES ('cli-maker-001', 'maker', 'x') ON CONFLICT DO NOTHING`);
      for (const v of ['cli-video-001', 'cli-video-002', 'cli-video-003']) {
        await db.query(
          `INSERT INTO videos (id, owner_id, status, original_key, original_filename, content_type, declared_size, upload_expires_at, duration_ms)
           VALUES ($1, 'cli-maker-001', 'ready', 'originals/' || $1, 'a.mp4', 'video/mp4', 1, now(), 10000)`,
          [v],
        );
      }
      // Two devices complete two videos each; one quick-skips the third. Captured for the lake, not delivered yet:
      // training delivers the buffer first.
      await db.query(
        `INSERT INTO lake_buffer (event_time, kind, type, video_id, creator_id, device_id, watched_ms, duration_ms, counted) VALUES
           (now(), 'playback', 'complete', 'cli-video-001', 'cli-maker-001', 'device-aaaaaaaaaaaa', 10000, 10000, true),
           (now(), 'playback', 'complete', 'cli-video-002', 'cli-maker-001', 'device-aaaaaaaaaaaa', 10000, 10000, true),
           (now(), 'playback', 'complete', 'cli-video-001', 'cli-maker-001', 'device-bbbbbbbbbbbb', 10000, 10000, true),
           (now(), 'playback', 'complete', 'cli-video-002', 'cli-maker-001', 'device-bbbbbbbbbbbb', 10000, 10000, true),
           (now(), 'playback', 'skip', 'cli-video-003', 'cli-maker-001', 'device-bbbbbbbbbbbb', 300, 10000, true)`,
      );
    } finally {
      await db.close();
    }
    const trained = await curta(['recs', 'train'], env);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/^model v1 trained in \d+ ms \(read \d+ ms, search \d+ ms, fit \d+ ms\)$/m);
    // Two viewers are far too few to choose a ranking on: the production defaults, and why.
    expect(trained.stdout).toMatch(/^ {2}ranking: model\(exposure 0, co-liked 1, neg push 1, rate\^0\.25\) \+ trending 0\.35$/m);
    expect(trained.stdout).toMatch(
      /^ {4}not tuned: holdout too small to choose: 0 viewers with a held-out positive \(< 200\): production defaults$/m,
    );
    expect(trained.stdout).toMatch(/events read 5 · viewer\/video pairs 5/);
    expect(trained.stdout).toMatch(/viewers 2 · videos 3/);
    expect(trained.stdout).toMatch(/stored at recs\/models\/.+\.bin/);
    expect(existsSync(join(dir, 'objects'))).toBe(true);
    const db2 = await PgliteDatabase.open(join(dir, 'db'));
    try {
      // Delivered: the buffer is empty, the events (and the videos' pipeline events) in the files the manifest lists.
      expect((await db2.query(`SELECT count(*)::int AS n FROM lake_buffer`)).rows[0]).toEqual({ n: 0 });
      expect((await db2.query<{ n: number }>(`SELECT sum(events)::int AS n FROM lake_files WHERE state = 'live'`)).rows[0]!.n).toBe(8);
    } finally {
      await db2.close();
    }

    expect(await curta(['recs', 'train'], env)).toMatchObject({
      code: 0,
      stdout: 'nothing trained: no new events since the current model\n',
    });
    const forced = await curta(['recs', 'train', '--force'], env);
    expect(forced.stdout).toMatch(/^model v2 trained/m);

    // Argument errors (each case in recs-command.test.ts): usage on stderr, EX_USAGE.
    const usage = await curta(['recs', 'train', '--fast'], env);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/Unknown option '--fast'[\s\S]*Usage: curta recs train/);
  });

  it('prints its version, and --help for every command, without reading the configuration', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const broken = { PORT: 'eighty' }; // --help and --version must not need a valid environment
    expect(await curta(['--version'], broken)).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const top = await curta(['--help'], broken);
    expect(top.code).toBe(0);
    const names = [...top.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['start', 'serve', 'worker', 'migrate', 'admin', 'recs']));
    for (const name of names) {
      const r = await curta([name, '--help'], broken);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`^Usage: curta ${name}`));
      expect(r.stderr, name).toBe('');
    }
  });

  it('explains unknown commands', async () => {
    const r = await curta(['frobnicate'], {});
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
    expect(r.stderr).toMatch(/curta <command>/);
  });
});
