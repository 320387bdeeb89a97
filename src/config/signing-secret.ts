import { randomBytes } from 'node:crypto';
import { link, mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type Config, type LoadedConfig } from './config.js';
import { readTextIfExists } from '../lib/read-text.js';

/** Where the embedded profile keeps its signing secret: next to the database and objects it protects. */
export function signingSecretPath(dataDir: string): string {
  return join(dataDir, 'signing-secret');
}

const MIN_LENGTH = 32;

/**
 * The configuration with its signing secret. `CURTA_SIGNING_SECRET` wins; without it (the
 * embedded profile: PostgreSQL requires it, see loadConfig) the secret lives in
 * `<data dir>/signing-secret`, created on first start (0600) and read on every later one,
 * so upload and private-media URLs handed out before a restart still verify after it.
 */
export async function resolveSigningSecret(config: Readonly<LoadedConfig>, log: Pick<Logger, 'info' | 'warn'>): Promise<Readonly<Config>> {
  if (config.signingSecret !== null) return config as Readonly<Config>;
  const secret = await readOrCreateSecret(config.dataDir, log);
  return Object.freeze({ ...config, signingSecret: secret });
}

async function readOrCreateSecret(dataDir: string, log: Pick<Logger, 'info' | 'warn'>): Promise<string> {
  const path = signingSecretPath(dataDir);
  const existing = await readSecret(path, log);
  if (existing !== null) return existing;

  await mkdir(dataDir, { recursive: true });
  // Written whole under a temporary name, then linked into place: link() fails when the file
  // exists, so of two processes starting at once on a fresh folder one secret wins and both use it.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path);
    log.info(
      { path },
      'generated a signing secret for upload and private-media URLs and kept it in the data directory (back it up with the data; set CURTA_SIGNING_SECRET to manage it yourself)',
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const secret = await readSecret(path, log);
  if (secret === null) throw new Error(`signing secret ${path} vanished while starting`);
  return secret;
}

async function readSecret(path: string, log: Pick<Logger, 'info' | 'warn'>): Promise<string | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const secret = text.trim();
  if (secret.length < MIN_LENGTH) {
    throw new ConfigError(
      `Invalid configuration:\n  ${path}: the signing secret kept there is shorter than ${MIN_LENGTH} characters; ` +
        'restore it from a backup, delete the file to generate a new one (outstanding upload and private-media URLs stop working), ' +
        'or set CURTA_SIGNING_SECRET',
    );
  }
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) {
    log.warn({ path }, 'the signing secret file is readable by other users: chmod 600 it');
  }
  return secret;
}
