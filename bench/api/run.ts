/**
 * API benchmark: what Curta's HTTP tier costs, against baselines measured in
 * the same run on the same machine, all on loopback.
 *
 *   npm run bench:api            (DURATION=10 s per run, CONNECTIONS=100)
 *
 * Deployment under test: 2 × `curta serve` behind nginx (docs/nginx.conf with
 * its proxy cache OFF, so every request reaches Curta), on PostgreSQL + Redis,
 * with the filesystem object store (one shared folder; S3 would measure the
 * S3 server, not Curta). 2 × `curta worker` make the content first.
 *
 * Baselines:
 * - metadata: the same nginx config in front of 2 minimal Fastify processes
 *   (bench/api/hello-server.ts) answering with the bytes Curta answered;
 * - media: the same nginx serving the same 1 MiB segment file from disk.
 * For reference, the same requests answered from nginx's cache (config as
 * shipped, cache ON) are measured too and labelled so.
 *
 * Targets: GET /api/v1/videos/{id} and GET /api/v1/feed at 100 connections
 * ≥ 0.5 × baseline requests/s with p99 < 50 ms; segment bytes/s ≥ 0.8 × nginx
 * from disk. The load runs in this process and shares the CPU with
 * everything else, so absolute figures are only comparable within one run.
 *
 * Tools: autocannon for the JSON routes. For 1 MiB segments autocannon is
 * the bottleneck itself (its JS HTTP parser tops out near 80 MB/s on loopback
 * whoever serves the bytes), so segments are fetched by a plain node:http
 * keep-alive loop (native parser, > 1.5 GB/s) with the same connection count.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { FsObjectStore } from '../../src/adapters/storage/fs-object-store.js';
import {
  clusterAvailable,
  freePort,
  signup,
  spawnManaged,
  startCluster,
  startNginx,
  uploadVideo,
  waitForHttp,
  REPO_ROOT,
  type ManagedProcess,
} from '../../test/support/cluster.js';
import { makeClip } from '../../test/support/media.js';

const DURATION = Math.max(1, Number(process.env['DURATION'] ?? 10));
const CONNECTIONS = Math.max(1, Number(process.env['CONNECTIONS'] ?? 100));
/** 1 MiB responses: fewer connections keep memory modest; throughput is what counts. */
const SEGMENT_CONNECTIONS = 10;
const VIDEOS = 10;
const SEGMENT_BYTES = 1024 * 1024;

const TARGET_REQ_RATIO = 0.5;
const TARGET_P99_MS = 50;
const TARGET_BYTES_RATIO = 0.8;

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

async function bench(url: string, connections: number, duration = DURATION): Promise<Result> {
  return autocannon({ url, connections, duration, timeout: 10 });
}

/** One measured run, whichever tool made it. */
interface Measured {
  reqPerSec: number;
  p50: number;
  p99: number;
  bytesPerSec: number;
  non2xx: number;
  errors: number;
}

interface Row extends Measured {
  label: string;
  tool: string;
}

async function autocannonRun(url: string, connections: number, duration: number): Promise<Measured> {
  const r: Result = await bench(url, connections, duration);
  return {
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bytesPerSec: r.throughput.average,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/** `connections` keep-alive loops of GET `url` for `duration` seconds, bodies counted and dropped. */
async function bodyLoopRun(url: string, connections: number, duration: number): Promise<Measured> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let bytes = 0;
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + duration * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
        if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          resolve();
        });
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { reqPerSec: latencies.length / seconds, p50: pct(50), p99: pct(99), bytesPerSec: bytes / seconds, non2xx, errors };
}

function printTable(rows: Row[]): void {
  const header = ['run', 'tool', 'req/s', 'p50 ms', 'p99 ms', 'MB/s', 'non-2xx', 'errors'];
  const lines = rows.map((r) => [
    r.label,
    r.tool,
    r.reqPerSec.toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    (r.bytesPerSec / 1e6).toFixed(1),
    String(r.non2xx),
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
}

async function main(): Promise<void> {
  if (!(await clusterAvailable('API benchmark'))) {
    process.exitCode = 1;
    return;
  }
  const scratch = await mkdtemp(join(tmpdir(), 'curta-bench-api-'));
  const cleanups: Array<() => Promise<unknown>> = [async () => rm(scratch, { recursive: true, force: true })];
  try {
    const staticRoot = join(scratch, 'static');
    const staticPort = await freePort();
    const staticServer = [
      '  # Baseline: the same nginx serving media files straight from disk.',
      '  server {',
      `    listen 127.0.0.1:${staticPort};`,
      `    root ${staticRoot};`,
      '    location /media/ { add_header Cache-Control "public, max-age=31536000, immutable"; }',
      '  }',
    ].join('\n');

    console.log('starting 2 × curta serve + 2 × curta worker behind nginx (proxy cache off), PostgreSQL, Redis, fs storage…');
    const cluster = await startCluster({
      apis: 2,
      workers: 2,
      proxyCache: false,
      storage: 'fs',
      nginx: { accessLog: false, extraServers: staticServer },
    });
    cleanups.push(() => cluster.stop());

    // Content: a feed page of ready videos.
    const clipPath = join(scratch, 'clip.mp4');
    await makeClip(clipPath, { seconds: 3 });
    const clip = await readFile(clipPath);
    const token = await signup(cluster.url, 'bench');
    const ids = await Promise.all(Array.from({ length: VIDEOS }, (_, i) => uploadVideo(cluster.url, token, clip, `bench video ${i + 1}`)));
    const deadline = Date.now() + 180_000;
    for (;;) {
      const [row] = await cluster.sql<{ ready: number; failed: number }>(
        `SELECT count(*) FILTER (WHERE status = 'ready')::int AS ready, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM videos`,
      );
      if (row!.failed > 0) throw new Error('a bench video failed to process');
      if (row!.ready === VIDEOS) break;
      if (Date.now() > deadline) throw new Error('bench videos were not ready in time');
      await sleep(250);
    }
    for (const w of cluster.workers) await w.stop(10_000); // nothing left to do: free the CPU

    const videoId = ids[0]!;
    const [{ media_prefix: prefix } = { media_prefix: '' }] = await cluster.sql<{ media_prefix: string }>(
      `SELECT media_prefix FROM videos WHERE id = $1`,
      [videoId],
    );
    // The same 1 MiB segment in Curta's object store and on nginx's disk.
    const segmentKey = `${prefix}/bench/segment-1mib.m4s`;
    const segment = randomBytes(SEGMENT_BYTES);
    const store = new FsObjectStore({
      rootDir: join(cluster.dataDir, 'objects'),
      publicBaseUrl: cluster.url,
      signingSecret: cluster.env['CURTA_SIGNING_SECRET']!,
    });
    await store.put(segmentKey, segment, { contentType: 'video/iso.segment', cacheControl: 'public, max-age=31536000, immutable' });
    await mkdir(dirname(join(staticRoot, segmentKey)), { recursive: true });
    await writeFile(join(staticRoot, segmentKey), segment);

    const paths = { video: `/api/v1/videos/${videoId}`, feed: `/api/v1/feed?limit=${VIDEOS}`, segment: `/${segmentKey}` };
    const bodies = join(scratch, 'bodies');
    await mkdir(bodies);
    for (const [name, path] of [
      ['video.json', paths.video],
      ['feed.json', paths.feed],
    ] as const) {
      const res = await fetch(`${cluster.url}${path}`);
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
      await writeFile(join(bodies, name), body);
    }
    for (const [name, url] of [
      ['API segment', `${cluster.url}${paths.segment}`],
      ['disk segment', `http://127.0.0.1:${staticPort}${paths.segment}`],
    ] as const) {
      const res = await fetch(url);
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || !body.equals(segment)) throw new Error(`${name}: HTTP ${res.status}, ${body.length} bytes`);
    }

    // Baseline: 2 minimal Fastify processes behind the same nginx config.
    const hello: ManagedProcess[] = [];
    const helloPorts = [await freePort(), await freePort()];
    for (const [i, port] of helloPorts.entries()) {
      const proc = spawnManaged(`hello${i + 1}`, process.execPath, ['--import', 'tsx', 'bench/api/hello-server.ts'], {
        cwd: REPO_ROOT,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PORT: String(port), BODY_DIR: bodies },
      });
      hello.push(proc);
      cleanups.push(() => proc.stop(5000));
    }
    await Promise.all(hello.map((p, i) => waitForHttp(`http://127.0.0.1:${helloPorts[i]}/readyz`, p)));
    const helloNginx = await startNginx({ upstreams: helloPorts.map((p) => `127.0.0.1:${p}`), cache: false, accessLog: false });
    cleanups.push(() => helloNginx.stop());

    // Reference only: the shipped config with its cache on, in front of the same API processes.
    const cachedNginx = await startNginx({ upstreams: cluster.apiUrls.map((u) => new URL(u).host), cache: true, accessLog: false });
    cleanups.push(() => cachedNginx.stop());

    console.log(
      `\n${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}; autocannon in this process; ` +
        `${DURATION} s per run after a 2 s warm-up; ${CONNECTIONS} connections (segments: ${SEGMENT_CONNECTIONS})`,
    );
    console.log(`feed page: ${VIDEOS} videos; segment: ${SEGMENT_BYTES} bytes; storage: filesystem (shared folder)\n`);

    const rows: Row[] = [];
    const measure = async (label: string, url: string, connections: number, tool: 'autocannon' | 'node:http' = 'autocannon') => {
      const runner = tool === 'autocannon' ? autocannonRun : bodyLoopRun;
      await runner(url, connections, 2); // warm-up: JIT, keep-alive pools, Redis entries, page cache
      const result = await runner(url, connections, DURATION);
      rows.push({ label, tool, ...result });
      process.stdout.write(`  measured ${label}\n`);
      return result;
    };
    const videoApi = await measure('GET /videos/{id}  curta ×2 via nginx', `${cluster.url}${paths.video}`, CONNECTIONS);
    const videoHello = await measure('GET /videos/{id}  fastify hello ×2 via nginx', `${helloNginx.url}${paths.video}`, CONNECTIONS);
    const feedApi = await measure('GET /feed         curta ×2 via nginx', `${cluster.url}${paths.feed}`, CONNECTIONS);
    const feedHello = await measure('GET /feed         fastify hello ×2 via nginx', `${helloNginx.url}${paths.feed}`, CONNECTIONS);
    const segApi = await measure('1 MiB segment     curta ×2 via nginx', `${cluster.url}${paths.segment}`, SEGMENT_CONNECTIONS, 'node:http');
    const segDisk = await measure(
      '1 MiB segment     nginx from disk',
      `http://127.0.0.1:${staticPort}${paths.segment}`,
      SEGMENT_CONNECTIONS,
      'node:http',
    );
    await measure('GET /videos/{id}  nginx cache HIT (reference)', `${cachedNginx.url}${paths.video}`, CONNECTIONS);
    await measure('1 MiB segment     nginx cache HIT (reference)', `${cachedNginx.url}${paths.segment}`, SEGMENT_CONNECTIONS, 'node:http');

    console.log('');
    printTable(rows);

    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    const reqRatio = (a: Measured, b: Measured) => a.reqPerSec / b.reqPerSec;
    const lines: Array<[string, number, string, boolean]> = [
      ['GET /videos/{id} req/s, curta ÷ hello', reqRatio(videoApi, videoHello), `≥ ${TARGET_REQ_RATIO}`, reqRatio(videoApi, videoHello) >= TARGET_REQ_RATIO],
      ['GET /videos/{id} p99 ms, curta', videoApi.p99, `< ${TARGET_P99_MS}`, videoApi.p99 < TARGET_P99_MS],
      ['GET /feed req/s, curta ÷ hello', reqRatio(feedApi, feedHello), `≥ ${TARGET_REQ_RATIO}`, reqRatio(feedApi, feedHello) >= TARGET_REQ_RATIO],
      ['GET /feed p99 ms, curta', feedApi.p99, `< ${TARGET_P99_MS}`, feedApi.p99 < TARGET_P99_MS],
      [
        'segment bytes/s, curta ÷ nginx disk',
        segApi.bytesPerSec / segDisk.bytesPerSec,
        `≥ ${TARGET_BYTES_RATIO}`,
        segApi.bytesPerSec / segDisk.bytesPerSec >= TARGET_BYTES_RATIO,
      ],
    ];
    console.log('\ntargets');
    for (const [what, value, target, ok] of lines) {
      console.log(`  ${what.padEnd(40)} ${value.toFixed(value < 10 ? 3 : 1).padStart(8)}  target ${target.padEnd(6)} ${verdict(ok)}`);
    }
    const failures = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
    if (failures.length > 0) {
      console.log(`\nruns with errors or non-2xx answers: ${failures.map((r) => r.label).join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        console.error('cleanup failed:', err);
      }
    }
  }
}

await main();
