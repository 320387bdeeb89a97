import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { s3ProcessEnv, startS3Server, type S3TestServer } from './s3.js';
import { CLAIMABLE_REDIS_DBS, createTestDatabase, postgresAvailable, redisAvailable, TEST_REDIS_URL, uniqueName } from './services.js';
import { freePort } from './net.js';

/**
 * A Curta deployment on loopback, made of real processes: `curta serve` ×N
 * and `curta worker` ×M (each `node --import tsx src/cli.ts …`) on a fresh
 * PostgreSQL database, a Redis logical database of their own and an s3rver
 * bucket, behind an nginx that load-balances and caches with the operator
 * sample docs/nginx.conf. Everything it starts is stopped by `stop()`
 * (SIGTERM, then SIGKILL of the whole process group after a timeout), and
 * killed outright if the test process exits first.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NGINX_SAMPLE = join(REPO_ROOT, 'docs', 'nginx.conf');

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

export { freePort };

// ------------------------------------------------------------------ processes

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  readonly alive: boolean;
  /** The last few KiB of its stdout and stderr, for failure messages. */
  output(): string;
  /** Sends `signal` to the process alone (SIGTERM: Curta drains), or with `group` to everything it started (ffmpeg too). */
  signal(signal: NodeJS.Signals, opts?: { group?: boolean }): void;
  /** SIGTERM; after `timeoutMs` SIGKILL to the process group. Resolves with how it ended. */
  stop(timeoutMs?: number): Promise<ExitStatus>;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** Last resort: whatever a crashed test left running dies with the test process. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) p.signal('SIGKILL', { group: true });
  });
}

const OUTPUT_TAIL = 16_384;

/** Spawns `command` in a process group of its own and keeps track of it. */
export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  opts: { cwd?: string; env: Record<string, string> },
): ManagedProcess {
  installExitHook();
  const child: ChildProcess = spawn(command, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env,
    detached: true, // its own process group: SIGKILL reaches ffmpeg children too, like a machine dying
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${command}`);
  const pid = child.pid;
  let tail = '';
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let alive = true;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      live.delete(proc);
      // Anything it left behind in its group (an ffmpeg mid-encode) goes with it.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // group already empty
      }
      resolve({ code, signal });
    });
  });
  const sendSignal = (signal: NodeJS.Signals, o: { group?: boolean } = {}) => {
    if (!alive) return;
    try {
      process.kill(o.group ? -pid : pid, signal);
    } catch {
      // gone meanwhile
    }
  };
  const proc: ManagedProcess = {
    name,
    pid,
    exited,
    get alive() {
      return alive;
    },
    output: () => tail,
    signal: sendSignal,
    async stop(timeoutMs = 10_000) {
      if (!alive) return exited;
      sendSignal('SIGTERM');
      const timer = setTimeout(() => sendSignal('SIGKILL', { group: true }), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  live.add(proc);
  return proc;
}

/** Waits for a process to end, at most `timeoutMs`; null if it is still running. */
export async function exitWithin(proc: ManagedProcess, timeoutMs: number): Promise<ExitStatus | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((res) => (timer = setTimeout(() => res(null), timeoutMs)));
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `fn` every 200 ms until it returns something truthy (returned), for at most `ms`; fails at once, with
 * its output, if `p` exits meanwhile (a crash test's process dying early says more than a timeout).
 */
export async function pollWhileAlive<T>(
  what: string,
  p: ManagedProcess | null,
  fn: () => Promise<T | null | undefined | false>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    if (p && !p.alive) throw new Error(`${p.name} ended waiting for ${what}:\n${p.output()}`);
    await new Promise<void>((res) => setTimeout(res, 200));
  }
  throw new Error(`timed out waiting for ${what}${p ? `:\n${p.output()}` : ''}`);
}

/** `curta <command>` from the source tree, as `npm run dev` would run it. */
export function spawnCurta(name: string, command: 'serve' | 'worker' | 'migrate' | 'start', env: Record<string, string>): ManagedProcess {
  return spawnManaged(name, process.execPath, ['--import', 'tsx', 'src/cli.ts', command], { env });
}

/**
 * The environment of a `curta worker` that a crash test starts (and SIGKILLs) itself: on this database and
 * data directory, short job leases (a killed worker's job is taken over within seconds), its HTTP port and
 * every scheduled job off (the test turns on what it exercises through `extra`).
 */
export function crashTestWorkerEnv(
  o: { databaseUrl: string; secret: string; dataDir: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATABASE_URL: o.databaseUrl,
    CURTA_SIGNING_SECRET: o.secret,
    CURTA_DATA_DIR: o.dataDir,
    LOG_LEVEL: 'warn',
    WORKER_HTTP_PORT: 'off',
    JOB_LEASE_MS: '2000',
    RECS_TRAIN_INTERVAL_SEC: '0',
    EVENTS_PRUNE_INTERVAL_SEC: '0',
    RETENTION_INTERVAL_SEC: '0',
    RECONCILE_INTERVAL_SEC: '0',
    STORAGE_SWEEP_INTERVAL_SEC: '0',
    ...extra,
  };
}

/** Polls `url` until it answers 200; fails early if `proc` dies. */
export async function waitForHttp(url: string, proc: ManagedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!proc.alive) throw new Error(`${proc.name} exited before answering ${url}:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs} ms (last: ${last}):\n${proc.output()}`);
}

// ---------------------------------------------------------------------- nginx

export function findNginx(): string | null {
  for (const candidate of [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

export interface NginxOptions {
  /** `host:port` of each API process. */
  upstreams: string[];
  port?: number;
  /** The proxy cache (default on); off measures the origin alone. */
  cache?: boolean;
  /** More `server { }` blocks for the same http context (the bench's static files). */
  extraServers?: string;
  /** Log every request to `<dir>/access.log` (default true). */
  accessLog?: boolean;
  /** The filesystem store's folder (for MEDIA_ACCEL_REDIRECT). */
  objectsDir?: string;
}

export interface Nginx {
  url: string;
  port: number;
  dir: string;
  process: ManagedProcess;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * docs/nginx.conf with this run's listen address, upstream servers and cache
 * folder; everything else exactly as operators get it.
 */
export async function sampleConfig(opts: {
  dir: string;
  port: number;
  upstreams: string[];
  cache: boolean;
  /** The filesystem store's folder, for the X-Accel-Redirect location. */
  objectsDir?: string;
}): Promise<string> {
  let conf = await readFile(NGINX_SAMPLE, 'utf8');
  const replace = (pattern: RegExp, replacement: string) => {
    if (!pattern.test(conf)) throw new Error(`docs/nginx.conf no longer matches ${pattern}; update test/support/cluster.ts`);
    conf = conf.replace(pattern, replacement);
  };
  replace(/proxy_cache_path \/var\/cache\/nginx\/curta /, `proxy_cache_path ${join(opts.dir, 'cache')} `);
  replace(
    /(upstream curta_api \{\n)(?:\s*#.*\n)*(?:\s*server [^\n]+;\n)+/,
    `$1${opts.upstreams.map((u) => `    server ${u} max_fails=3 fail_timeout=5s;\n`).join('')}`,
  );
  replace(/\n {4}listen 80;/, `\n    listen 127.0.0.1:${opts.port};`);
  if (!opts.cache) replace(/\n(\s+)proxy_cache curta;/, '\n$1proxy_cache off;');
  if (opts.objectsDir) replace(/alias \/var\/lib\/curta\/data\/objects\/;/, `alias ${opts.objectsDir}/;`);
  return conf;
}

/** nginx in the foreground (`daemon off`), with every path under a throwaway folder. */
export async function startNginx(opts: NginxOptions): Promise<Nginx> {
  const binary = findNginx();
  if (!binary) throw new Error('nginx not found (apt-get install nginx-light, or set NGINX_PATH)');
  const dir = await mkdtemp(join(tmpdir(), 'curta-nginx-'));
  const port = opts.port ?? (await freePort());
  const include = await sampleConfig({
    dir,
    port,
    upstreams: opts.upstreams,
    cache: opts.cache !== false,
    ...(opts.objectsDir ? { objectsDir: opts.objectsDir } : {}),
  });
  await writeFile(join(dir, 'curta.conf'), include);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join('\n');
  const main = [
    // The master drops to `nobody` when started as root, which cannot enter this 0700 folder.
    process.getuid?.() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  default_type application/octet-stream;',
    // Benchmarks hold client connections for thousands of requests; the default (1000) closes them mid-run.
    '  keepalive_requests 1000000;',
    opts.accessLog === false
      ? '  access_log off;'
      : `  log_format curta '$request $status cache=$upstream_cache_status upstream=$upstream_addr';\n  access_log ${join(dir, 'access.log')} curta;`,
    temp,
    `  include ${join(dir, 'curta.conf')};`,
    opts.extraServers ?? '',
    '}',
    '',
  ].join('\n');
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, main);
  const proc = spawnManaged('nginx', binary, ['-p', dir, '-c', confPath, '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  const url = `http://127.0.0.1:${port}`;
  const errorLog = () => readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
  const stop = async () => {
    await proc.stop(5000);
    await rm(dir, { recursive: true, force: true });
  };
  // Up once it accepts connections (any answer will do: the upstreams may not be up yet).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!proc.alive) {
      const log = await errorLog();
      await stop();
      throw new Error(`nginx exited at start:\n${proc.output()}\n${log}`);
    }
    try {
      await (await fetch(`${url}/__nginx_up`, { signal: AbortSignal.timeout(1000) })).arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`nginx did not listen on ${url}:\n${proc.output()}`);
      }
      await sleep(100);
    }
  }
  return { url, port, dir, process: proc, errorLog, stop };
}

// ---------------------------------------------------------------------- redis

const REDIS_OWNER_KEY = 'curta-test:owner';

function redisUrlWithDb(base: string, db: number): string {
  const url = new URL(base);
  url.pathname = `/${db}`;
  return url.toString();
}

/** Keys untouched this long (seconds), in a database nobody has claimed, are a crashed run's leftovers. */
const ABANDONED_IDLE_SEC = 120;

/**
 * A Redis logical database of CLAIMABLE_REDIS_DBS (8–15; single apps share 1–7) that nobody else is using, claimed with a
 * marker key. The app's keys all start with `curta:`; releasing deletes only
 * those and the marker, never anything else. An empty database is preferred;
 * failing that, one holding nothing but `curta:` keys that nobody has touched
 * for minutes and no marker (left by a run that could not clean up) is
 * cleared and taken.
 */
export async function claimRedisDatabase(base: string = TEST_REDIS_URL): Promise<{ url: string; release(): Promise<void> }> {
  const token = uniqueName('cluster');
  const [lo, hi] = CLAIMABLE_REDIS_DBS;
  const order = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).sort(() => Math.random() - 0.5);
  for (const takeAbandoned of [false, true]) {
    for (const db of order) {
      const url = redisUrlWithDb(base, db);
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        if ((await redis.set(REDIS_OWNER_KEY, token, 'EX', 6 * 3600, 'NX')) !== 'OK') continue;
        if ((await redis.dbsize()) === 1) return { url, release: () => releaseRedisDatabase(url, token) };
        const leftovers = takeAbandoned ? await abandonedKeys(redis) : null;
        if (leftovers) {
          if (leftovers.length > 0) await redis.del(...leftovers);
          return { url, release: () => releaseRedisDatabase(url, token) };
        }
        await redis.del(REDIS_OWNER_KEY); // someone else's data lives here: leave it alone
      } catch {
        // a server with fewer databases, or a transient error: try the next one
      } finally {
        redis.disconnect();
      }
    }
  }
  throw new Error(`no free Redis logical database (${lo}-${hi}) to run the cluster in`);
}

/** Every key but our marker, if all are idle `curta:` keys (a few thousand at most); otherwise null. */
async function abandonedKeys(redis: Redis): Promise<string[] | null> {
  if ((await redis.dbsize()) > 5000) return null;
  const keys: string[] = [];
  let cursor = '0';
  let rounds = 0;
  do {
    const [next, page] = await redis.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const key of page) {
      if (key === REDIS_OWNER_KEY) continue;
      if (!key.startsWith('curta:')) return null;
      const idle = Number(await redis.object('IDLETIME', key));
      if (!(idle >= ABANDONED_IDLE_SEC)) return null;
      keys.push(key);
    }
  } while (cursor !== '0' && ++rounds < 100);
  return cursor === '0' ? keys : null;
}

async function releaseRedisDatabase(url: string, token: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'curta:*', 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0' && ++rounds < 10_000);
    if ((await redis.get(REDIS_OWNER_KEY)) === token) await redis.del(REDIS_OWNER_KEY);
  } finally {
    redis.disconnect();
  }
}

// -------------------------------------------------------------------- cluster

/**
 * Whether PostgreSQL, Redis and nginx are here. Missing ones skip the suite
 * with one line locally and fail it under CI=true (like test/support/services.ts).
 */
export async function clusterAvailable(suite: string): Promise<boolean> {
  if (!(await postgresAvailable()) || !(await redisAvailable())) return false;
  if (findNginx()) return true;
  const line = `skipping ${suite}: nginx not found — apt-get install nginx-light (or set NGINX_PATH)`;
  if (process.env.CI === 'true') throw new Error(`${line.replace(/^skipping/, 'cannot run')} (CI=true)`);
  console.log(line);
  return false;
}

export interface ClusterOptions {
  apis?: number;
  workers?: number;
  /** nginx's proxy cache (default on). */
  proxyCache?: boolean;
  /** `s3` (s3rver; each process with a data folder of its own) or `fs` (one shared folder). Default s3. */
  storage?: 's3' | 'fs';
  /** Extra variables for every Curta process. */
  env?: Record<string, string>;
  nginx?: Partial<Pick<NginxOptions, 'extraServers' | 'accessLog'>>;
}

export interface Cluster {
  /** nginx: what clients and PUBLIC_BASE_URL use. */
  url: string;
  apiUrls: string[];
  apis: ManagedProcess[];
  workers: ManagedProcess[];
  nginx: Nginx;
  s3: S3TestServer | null;
  /** The shared data folder (fs storage) or the parent of the per-process ones. */
  dataDir: string;
  /** The variables every Curta process got. */
  env: Readonly<Record<string, string>>;
  databaseUrl: string;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Another `curta worker` on the same services. */
  startWorker(): ManagedProcess;
  /** Stops everything it started, whatever happened before. */
  stop(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const apis = opts.apis ?? 2;
  const workers = opts.workers ?? 1;
  const storage = opts.storage ?? 's3';
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cluster cleanup failed');
  };

  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'curta-cluster-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const redis = await claimRedisDatabase();
    cleanups.push(() => redis.release());
    const s3 = storage === 's3' ? await startS3Server() : null;
    if (s3) cleanups.push(() => s3.close());
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    pool.on('error', () => undefined);
    cleanups.push(() => pool.end());

    const nginxPort = await freePort();
    const url = `http://127.0.0.1:${nginxPort}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: url,
      LOG_LEVEL: 'warn',
      CURTA_SIGNING_SECRET: randomBytes(32).toString('hex'),
      DATABASE_URL: database.url,
      DB_POOL_MAX: '4',
      REDIS_URL: redis.url,
      // A killed worker's job is claimed again after this long.
      JOB_LEASE_MS: '4000',
      RECONCILE_INTERVAL_SEC: '2',
      ...(s3
        ? {
            ...s3ProcessEnv(s3),
            AWS_EC2_METADATA_DISABLED: 'true',
          }
        : { CURTA_DATA_DIR: dataDir }),
      ...opts.env,
    };
    let processes = 0;
    const envFor = async (port: number) => {
      const own: Record<string, string> = { ...env, PORT: String(port) };
      if (s3) {
        // Share-nothing: with S3 no process needs another's disk.
        own.CURTA_DATA_DIR = join(dataDir, `p${++processes}`);
        await mkdir(own.CURTA_DATA_DIR, { recursive: true });
      }
      return own;
    };
    const track = (proc: ManagedProcess) => {
      cleanups.push(async () => {
        await proc.stop(10_000);
      });
      return proc;
    };

    // Migrations run once, before any process starts (as in a rollout).
    const migrate = spawnCurta('migrate', 'migrate', await envFor(0));
    const migrated = await exitWithin(migrate, 60_000);
    if (migrated?.code !== 0) {
      await migrate.stop(1000);
      throw new Error(`curta migrate failed (${JSON.stringify(migrated)}):\n${migrate.output()}`);
    }

    const apiPorts = await Promise.all(Array.from({ length: apis }, () => freePort()));
    const apiProcs: ManagedProcess[] = [];
    for (const [i, port] of apiPorts.entries()) apiProcs.push(track(spawnCurta(`api${i + 1}`, 'serve', await envFor(port))));
    await Promise.all(apiProcs.map((p, i) => waitForHttp(`http://127.0.0.1:${apiPorts[i]}/readyz`, p)));

    const nginx = await startNginx({
      port: nginxPort,
      upstreams: apiPorts.map((p) => `127.0.0.1:${p}`),
      cache: opts.proxyCache !== false,
      ...(storage === 'fs' ? { objectsDir: join(dataDir, 'objects') } : {}),
      ...opts.nginx,
    });
    cleanups.push(() => nginx.stop());
    await waitForHttp(`${url}/readyz`, nginx.process, 10_000);

    const workerProcs: ManagedProcess[] = [];
    let workerCount = 0;
    const startWorker = () => {
      const name = `worker${++workerCount}`;
      // Workers take no API traffic; PORT is irrelevant but must parse. Their health/metrics port: any free one (several share a host).
      const own: Record<string, string> = { ...env, PORT: '0', WORKER_HTTP_PORT: '0' };
      if (s3) own.CURTA_DATA_DIR = join(dataDir, name);
      const proc = track(spawnCurta(name, 'worker', own));
      workerProcs.push(proc);
      return proc;
    };
    for (let i = 0; i < workers; i++) startWorker();

    return {
      url,
      apiUrls: apiPorts.map((p) => `http://127.0.0.1:${p}`),
      apis: apiProcs,
      workers: workerProcs,
      nginx,
      s3,
      dataDir,
      env,
      databaseUrl: database.url,
      sql: async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[],
      startWorker,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

// -------------------------------------------------------------------- clients

/** Signs up through the cluster; returns the bearer token. `headers`: e.g. the X-Forwarded-For of a simulated client. */
export async function signup(baseUrl: string, username: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery' }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 201 || !body.token) throw new Error(`signup ${username}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

/**
 * The browser's upload: create (API) → PUT the bytes to the signed URL
 * (storage) → complete (API). Returns the video id.
 */
export async function uploadVideo(
  baseUrl: string,
  token: string,
  bytes: Buffer,
  caption = '',
  extra: { visibility?: 'public' | 'unlisted' | 'followers' | 'private' } = {},
): Promise<string> {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${baseUrl}/api/v1/uploads`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ filename: 'clip.mp4', contentType: 'video/mp4', size: bytes.length, caption, ...extra }),
  });
  const body = (await created.json()) as { videoId: string; upload: { kind: string; url: string; headers: Record<string, string> } };
  if (created.status !== 201) throw new Error(`create upload: HTTP ${created.status} ${JSON.stringify(body)}`);
  if (body.upload.kind !== 'single') throw new Error(`expected a single-PUT upload, got ${body.upload.kind}`);
  const put = await fetch(body.upload.url, { method: 'PUT', headers: body.upload.headers, body: new Uint8Array(bytes) });
  const putText = await put.text();
  if (!put.ok) throw new Error(`PUT to storage: HTTP ${put.status} ${putText}`);
  const complete = await fetch(`${baseUrl}/api/v1/uploads/${body.videoId}/complete`, { method: 'POST', headers: auth, body: '{}' });
  const completeText = await complete.text();
  if (complete.status !== 200) throw new Error(`complete: HTTP ${complete.status} ${completeText}`);
  return body.videoId;
}

/** The URLs a player fetches first: a media playlist (the first variant), its init segment and its segments. */
export async function hlsUrls(masterUrl: string): Promise<{ media: string; init: string | null; segments: string[] }> {
  const lines = async (url: string) => {
    const res = await fetch(url);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return text.split('\n').map((l) => l.trim());
  };
  const variant = (await lines(masterUrl)).find((l) => l && !l.startsWith('#'));
  if (!variant) throw new Error(`no variant in ${masterUrl}`);
  const media = new URL(variant, masterUrl).toString();
  const mediaLines = await lines(media);
  const map = mediaLines.map((l) => /^#EXT-X-MAP:.*URI="([^"]+)"/.exec(l)?.[1]).find(Boolean);
  return {
    media,
    init: map ? new URL(map, media).toString() : null,
    segments: mediaLines.filter((l) => l && !l.startsWith('#')).map((s) => new URL(s, media).toString()),
  };
}
