import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { crashTestWorkerEnv, exitWithin, pollWhileAlive, spawnCurta, type ManagedProcess } from './cluster.js';
import { createTestDatabase } from './services.js';
import { startTestApp, type TestApp } from './test-app.js';

/** What a lake crash suite works with (valid inside its tests, after the rig's beforeAll). */
export interface LakeCrashRig {
  /** The API process: buffers events, never delivers or compacts. */
  readonly t: TestApp;
  readonly databaseUrl: string;
  readonly dataDir: string;
  readonly secret: string;
  /** A real `curta worker` that delivers and compacts every second (with `extra` on top), killed at the end if alive. */
  readonly worker: (name: string, extra?: Record<string, string>) => ManagedProcess;
  /** Polls `fn` until it returns something truthy; fails at once if `p` dies meanwhile. */
  readonly waitFor: <T>(what: string, p: ManagedProcess | null, fn: () => Promise<T | null | undefined | false>, ms?: number) => Promise<T>;
  /** SIGKILL to the worker's process group, and proof that it died of it. */
  readonly kill: (p: ManagedProcess) => Promise<void>;
  readonly q: <T>(sql: string, params?: unknown[]) => Promise<T[]>;
}

/**
 * Registers the set-up of a lake crash suite (beforeAll/afterAll): a throwaway
 * PostgreSQL database, a data directory, the buffering API process, and the
 * `curta worker` processes its tests start and SIGKILL at the worst points.
 */
export function useLakeCrashRig(name: string, workerDefaults: Record<string, string> = {}): LakeCrashRig {
  let t: TestApp | undefined;
  let db: { url: string; drop: () => Promise<void> } | undefined;
  let dataDir = '';
  const secret = randomBytes(32).toString('hex');
  const procs: ManagedProcess[] = [];
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the lake crash rig is used before its beforeAll ran');
    return v;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), `curta-${name}-`));
    t = await startTestApp(
      {
        DATABASE_URL: db.url,
        CURTA_SIGNING_SECRET: secret,
        CURTA_DATA_DIR: dataDir,
        LAKE_DELIVERY_INTERVAL_SEC: '0',
        LAKE_COMPACT_INTERVAL_SEC: '0',
      },
      { workers: false, dataDir },
    );
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) if (p.alive) p.signal('SIGKILL', { group: true });
    await t?.close();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  return {
    get t() {
      return ready(t);
    },
    get databaseUrl() {
      return ready(db).url;
    },
    get dataDir() {
      return dataDir;
    },
    secret,
    worker: (workerName, extra = {}) => {
      const env = {
        LAKE_DELIVERY_INTERVAL_SEC: '1',
        LAKE_COMPACT_INTERVAL_SEC: '1',
        LAKE_BUFFER_MAX_AGE_SEC: '1',
        ...workerDefaults,
        ...extra,
      };
      const p = spawnCurta(workerName, 'worker', crashTestWorkerEnv({ databaseUrl: ready(db).url, secret, dataDir }, env));
      procs.push(p);
      return p;
    },
    waitFor: (what, p, fn, ms = 90_000) => pollWhileAlive(what, p, fn, ms),
    kill: async (p) => {
      p.signal('SIGKILL', { group: true });
      expect(await exitWithin(p, 10_000)).toMatchObject({ signal: 'SIGKILL' });
    },
    q: <T>(sql: string, params: unknown[] = []) =>
      ready(t)
        .app.db.query<T>(sql, params)
        .then((r) => r.rows),
  };
}
