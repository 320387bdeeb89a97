import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

  it('explains unknown commands', async () => {
    const r = await curta(['frobnicate'], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
    expect(r.stderr).toMatch(/curta <command>/);
  });
});
