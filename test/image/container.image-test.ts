import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimRedisDatabase, exitWithin, freePort, hlsUrls, signup, spawnManaged, uploadVideo } from '../support/cluster.js';
import { makeClip } from '../support/media.js';
import { createTestDatabase, postgresAvailable, redisAvailable } from '../support/services.js';
import {
  buildImage,
  containerLogs,
  containersNamed,
  ensureBaseImage,
  imageToolsAvailable,
  must,
  podman,
  removeContainers,
  REPO_ROOT,
  startContainer,
} from './podman.js';

/**
 * The container image, built from the repository's own Dockerfile with
 * podman, run the ways README's "Self-hosting" section runs it: one container
 * on embedded defaults, and `migrate` + `serve` + `worker` containers on
 * PostgreSQL and Redis sharing a volume (what compose.yaml starts). Each
 * takes a real upload to a playable HLS stream over HTTP.
 * `npm run test:image`; not part of `npm test` (it builds an image: minutes).
 */

const available = imageToolsAvailable('container image test');
const distributed = available && (await postgresAvailable()) && (await redisAvailable());
const run = randomBytes(4).toString('hex');
// One tag, rebuilt each run: the layers it keeps (Debian packages above all) are the next build's cache.
const IMAGE = 'localhost/curta-test:latest';
const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

async function poll<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined | null | false>,
  onTimeout?: () => Promise<string>,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    await sleep(500);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${onTimeout ? `\n${await onTimeout()}` : ''}`);
}

async function healthy(base: string): Promise<boolean> {
  const res = await fetch(`${base}/healthz`);
  await res.body?.cancel();
  return res.status === 200;
}

/** Uploads the clip as a new user and follows it to a playable stream: master playlist, media playlist, init and first segment. */
async function uploadAndPlay(base: string, clip: Buffer, username: string, logs: () => Promise<string>) {
  const token = await signup(base, username);
  const id = await uploadVideo(base, token, clip, 'from the container test');
  const video = await poll(
    `video ${id} to be ready`,
    240_000,
    async () => {
      const res = await fetch(`${base}/api/v1/videos/${id}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { status: string; error?: unknown; playback?: { hls: string } };
      if (body.status === 'failed') throw new Error(`video failed: ${JSON.stringify(body)}`);
      return body.status === 'ready' ? body : undefined;
    },
    logs,
  );
  const master = await fetch(video.playback!.hls);
  const masterText = await master.text();
  expect(master.status).toBe(200);
  expect(masterText).toMatch(/^#EXTM3U/);
  expect(masterText).toMatch(/#EXT-X-STREAM-INF:.*BANDWIDTH=\d+.*CODECS="avc1\.[0-9a-fA-F]+,mp4a\.40\.2"/);
  const { init, segments } = await hlsUrls(video.playback!.hls);
  expect(init).not.toBeNull();
  expect(segments.length).toBeGreaterThan(0);
  const initRes = await fetch(init!);
  const initBytes = Buffer.from(await initRes.arrayBuffer());
  expect(initRes.status).toBe(200);
  expect(initBytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  const segRes = await fetch(segments[0]!);
  const segBytes = Buffer.from(await segRes.arrayBuffer());
  expect(segRes.status).toBe(200);
  // A CMAF media segment: a movie fragment (styp/moof … mdat) with real bytes.
  expect(['styp', 'moof']).toContain(segBytes.subarray(4, 8).toString('latin1'));
  expect(segBytes.includes(Buffer.from('mdat'))).toBe(true);
  expect(segBytes.length).toBeGreaterThan(10_000);
  return id;
}

describe.skipIf(!available)('container image (podman, the repository Dockerfile)', () => {
  const containers: string[] = [];
  const volumes: string[] = [];
  let scratch: string;
  let clip: Buffer;

  beforeAll(async () => {
    const t0 = Date.now();
    const base = await ensureBaseImage();
    const t1 = Date.now();
    await buildImage(IMAGE);
    const t2 = Date.now();
    const size = (await must('podman', ['image', 'inspect', '--format', '{{.Size}}', IMAGE])).trim();
    console.log(
      `image: base ${base} in ${((t1 - t0) / 1000).toFixed(0)} s; built ${IMAGE} in ${((t2 - t1) / 1000).toFixed(0)} s; ` +
        `${(Number(size) / 1e6).toFixed(0)} MB`,
    );
    scratch = await mkdtemp(join(tmpdir(), 'curta-image-'));
    await makeClip(join(scratch, 'clip.mp4'), { seconds: 3 });
    clip = await readFile(join(scratch, 'clip.mp4'));
  }, 1_500_000);

  afterAll(async () => {
    await removeContainers(containers);
    const left = await containersNamed('curta-test-');
    expect(left.filter((n) => n.endsWith(run))).toEqual([]);
    if (volumes.length > 0) await podman(['volume', 'rm', '--force', ...volumes]);
    // Untagged leftovers of earlier builds (each source change makes new ones) would fill the disk run after run.
    await podman(['image', 'prune', '--force']);
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }, 120_000);

  it('is a runtime image: non-root, no dev dependencies, ffmpeg, Node 24, `curta` on the PATH', async () => {
    const inspect = JSON.parse(await must('podman', ['image', 'inspect', IMAGE])) as Array<{
      Config: {
        User: string;
        Volumes?: Record<string, unknown>;
        ExposedPorts?: Record<string, unknown>;
        Env: string[];
        Cmd: string[];
      };
      Healthcheck?: { Test: string[] }; // podman's place for Docker format's Config.Healthcheck
    }>;
    const config = inspect[0]!.Config;
    expect(config.User).toBe('curta');
    expect(Object.keys(config.Volumes ?? {})).toEqual(['/data']);
    expect(Object.keys(config.ExposedPorts ?? {})).toEqual(['8080/tcp']);
    expect(config.Env).toContain('CURTA_DATA_DIR=/data');
    expect(config.Cmd).toEqual(['node', 'dist/src/cli.js', 'start']);
    expect(inspect[0]!.Healthcheck?.Test.join(' ')).toContain('/healthz');

    const probe = await must('podman', [
      '--runtime',
      'runc',
      'run',
      '--rm',
      '--network',
      'host',
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=1024:1024',
      '--entrypoint',
      '/bin/sh',
      IMAGE,
      '-c',
      'id -u; node --version; curta --version; ffmpeg -hide_banner -encoders | grep -c "libx264\\|aac"; ' +
        'for m in typescript vite vitest tsx eslint; do [ -e node_modules/$m ] && echo "dev:$m"; done; ' +
        '[ -e /usr/local/bin/npm ] && echo has-npm; echo end',
    ]);
    const lines = probe.trim().split('\n');
    expect(lines[0]).toBe('10001');
    expect(lines[1]).toMatch(/^v24\./);
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(lines[2]).toContain(pkg.version);
    expect(Number(lines[3])).toBeGreaterThanOrEqual(2);
    expect(lines.slice(4)).toEqual(['end']); // no dev dependency, no npm
  });

  it('on embedded defaults: starts, passes its HEALTHCHECK, and turns an upload into a playable HLS stream', async () => {
    const name = `curta-test-single-${run}`;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    containers.push(name);
    await startContainer({ name, image: IMAGE, env: { PORT: String(port), PUBLIC_BASE_URL: base } });
    const logs = () => containerLogs(name);
    await poll('/healthz', 120_000, () => healthy(base), logs);
    const health = await podman(['healthcheck', 'run', name]);
    expect(health.code, `${health.stdout}${health.stderr}`).toBe(0);
    // The start-up line names what it runs on: PGlite and files under /data.
    expect(await logs()).toMatch(/database: [^;]*PGlite[^;]*;/i);

    await uploadAndPlay(base, clip, 'single', logs);

    // Its state lives in the volume: the signing secret was generated there, owned by the non-root user.
    const ls = await must('podman', ['exec', name, 'sh', '-c', 'stat -c "%U %a" /data/signing-secret; ls /data']);
    expect(ls).toMatch(/^curta 600\n/);
    expect(ls).toMatch(/\bdb\b/);

    // SIGTERM (podman stop) drains and exits 0.
    const stopped = await podman(['stop', '--time', '20', name]);
    expect(stopped.code).toBe(0);
    const exit = (await must('podman', ['inspect', '--format', '{{.State.ExitCode}}', name])).trim();
    expect(exit, await logs()).toBe('0');
  });

  it.skipIf(!distributed)('as compose.yaml runs it: migrate, then serve + worker on PostgreSQL and Redis sharing a volume', async () => {
    const db = await createTestDatabase();
    const redis = await claimRedisDatabase();
    const volume = `curta-test-data-${run}`;
    volumes.push(volume);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      CURTA_SIGNING_SECRET: randomBytes(32).toString('hex'),
      PUBLIC_BASE_URL: base,
      PORT: String(port),
    };
    const mount = [`${volume}:/data`];
    try {
      const migrate = `curta-test-migrate-${run}`;
      containers.push(migrate);
      await startContainer({ name: migrate, image: IMAGE, env, volumes: mount, command: ['node', 'dist/src/cli.js', 'migrate'] });
      const migrated = (await must('podman', ['wait', migrate])).trim();
      expect(migrated, await containerLogs(migrate)).toBe('0');

      const api = `curta-test-api-${run}`;
      const worker = `curta-test-worker-${run}`;
      containers.push(api, worker);
      await startContainer({ name: api, image: IMAGE, env, volumes: mount, command: ['node', 'dist/src/cli.js', 'serve'] });
      await startContainer({ name: worker, image: IMAGE, env, volumes: mount, command: ['node', 'dist/src/cli.js', 'worker'] });
      const logs = async () => `--- api\n${await containerLogs(api)}\n--- worker\n${await containerLogs(worker)}`;
      await poll('/healthz of the API container', 120_000, () => healthy(base), logs);
      expect(await containerLogs(api)).toMatch(/database: [^;]*PostgreSQL/i);

      await uploadAndPlay(base, clip, 'composed', logs);

      // `docker compose exec api curta admin grant …`: the CLI in a running container.
      const grant = await podman(['exec', api, 'curta', 'admin', 'grant', 'composed']);
      expect(grant.code, `${grant.stdout}${grant.stderr}`).toBe(0);
      const none = await podman(['exec', api, 'curta', 'admin', 'grant', 'nobody-here']);
      expect(none.code).not.toBe(0);
      expect(none.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    } finally {
      await removeContainers(containers.filter((c) => c.includes('-migrate-') || c.includes('-api-') || c.includes('-worker-')));
      await redis.release();
      await db.drop();
    }
  });

  it('`npm start` runs its prebuilt dist with production dependencies only (the image /app, outside the container)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'curta-prod-'));
    const holder = `curta-test-copy-${run}`;
    containers.push(holder);
    try {
      await must('podman', ['create', '--name', holder, IMAGE]);
      await must('podman', ['cp', `${holder}:/app/.`, dir]);
      const port = await freePort();
      const proc = spawnManaged('npm start', 'npm', ['start'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir, PORT: String(port), CURTA_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' },
      });
      try {
        await poll(
          '/healthz of `npm start`',
          120_000,
          () => healthy(`http://127.0.0.1:${port}`),
          async () => proc.output(),
        );
        expect(proc.output()).not.toMatch(/> tsc|vite build/); // nothing was rebuilt
      } finally {
        await proc.stop(20_000);
      }
      // Without a build there is nothing to start, and no tools to build with: a clear message, not a stack trace.
      await rm(join(dir, 'dist'), { recursive: true, force: true });
      const missing = spawnManaged('npm start (no dist)', 'npm', ['start'], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir } });
      const status = await exitWithin(missing, 60_000);
      expect(status?.code).not.toBe(0);
      expect(missing.output()).toContain('no build to start');
    } finally {
      await removeContainers([holder]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
