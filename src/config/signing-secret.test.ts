import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { resolveSigningSecret, signingSecretPath } from './signing-secret.js';

function recordingLog() {
  const lines: Array<{ level: string; msg: string }> = [];
  return {
    lines,
    info: (_obj: unknown, msg?: string) => void lines.push({ level: 'info', msg: msg ?? '' }),
    warn: (_obj: unknown, msg?: string) => void lines.push({ level: 'warn', msg: msg ?? '' }),
  };
}

describe('resolveSigningSecret', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-secret-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates one on first start (0600, logged) and reads the same one on every later start', async () => {
    const log = recordingLog();
    const first = await resolveSigningSecret(loadConfig({ CURTA_DATA_DIR: dir }), log as never);
    expect(first.signingSecret).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(signingSecretPath(dir))).mode & 0o777).toBe(0o600);
    expect(log.lines).toEqual([expect.objectContaining({ level: 'info', msg: expect.stringMatching(/generated a signing secret/) })]);
    expect(Object.isFrozen(first)).toBe(true);

    const later = recordingLog();
    const second = await resolveSigningSecret(loadConfig({ CURTA_DATA_DIR: dir }), later as never);
    expect(second.signingSecret).toBe(first.signingSecret);
    expect(later.lines).toEqual([]);
  });

  it('gives processes starting together on a fresh folder one secret', async () => {
    const config = loadConfig({ CURTA_DATA_DIR: join(dir, 'fresh') });
    const all = await Promise.all(Array.from({ length: 8 }, () => resolveSigningSecret(config, recordingLog() as never)));
    expect(new Set(all.map((c) => c.signingSecret)).size).toBe(1);
    expect((await readFile(signingSecretPath(join(dir, 'fresh')), 'utf8')).trim()).toBe(all[0]!.signingSecret);
  });

  it('uses CURTA_SIGNING_SECRET when set, and writes nothing', async () => {
    const secret = 's'.repeat(40);
    const c = await resolveSigningSecret(loadConfig({ CURTA_DATA_DIR: dir, CURTA_SIGNING_SECRET: secret }), recordingLog() as never);
    expect(c.signingSecret).toBe(secret);
    await expect(stat(signingSecretPath(dir))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a damaged secret file instead of replacing it, and warns about loose permissions', async () => {
    await writeFile(signingSecretPath(dir), 'short\n', { mode: 0o600 });
    await expect(resolveSigningSecret(loadConfig({ CURTA_DATA_DIR: dir }), recordingLog() as never)).rejects.toThrow(ConfigError);
    await writeFile(signingSecretPath(dir), `${'k'.repeat(40)}\n`);
    await chmod(signingSecretPath(dir), 0o644);
    const log = recordingLog();
    expect((await resolveSigningSecret(loadConfig({ CURTA_DATA_DIR: dir }), log as never)).signingSecret).toBe('k'.repeat(40));
    expect(log.lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/chmod 600/) })]);
  });

  it('is never kept on disk for PostgreSQL: the variable is required, and the message says why', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://127.0.0.1/curta', CURTA_DATA_DIR: dir })).toThrow(
      /CURTA_SIGNING_SECRET: required with DATABASE_URL \(PostgreSQL\): every process that shares the database/,
    );
  });
});
