import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../../src/adapters/db/pglite-database.js';

function curta(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
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

  it('refuses to start workers without a usable ffmpeg, saying what is missing', async () => {
    const r = await curta(['worker'], { CURTA_DATA_DIR: dir, FFMPEG_PATH: '/nonexistent/ffmpeg', LOG_LEVEL: 'warn' });
    expect(r.code).toBe(69);
    expect(r.stdout + r.stderr).toMatch(/ffmpeg not found at \/nonexistent\/ffmpeg.*apt-get install ffmpeg/);
  });

  it('admin grant|revoke <username> sets the role, and says when there is no such user', async () => {
    const env = { CURTA_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    expect((await curta(['migrate'], env)).code).toBe(0);
    const role = async () => {
      const db = await PgliteDatabase.open(join(dir, 'db'));
      try {
        await db.query(
          `INSERT INTO users (id, username, password_hash) VALUES ('cli-user-0001', 'Moderator', 'x') ON CONFLICT DO NOTHING`,
        );
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

  it('explains unknown commands', async () => {
    const r = await curta(['frobnicate'], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
    expect(r.stderr).toMatch(/curta <command>/);
  });
});
