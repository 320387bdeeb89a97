/**
 * API benchmark: what Curta's HTTP tier costs, against baselines measured in
 * the same run on the same machine, all on loopback.
 *
 *   npm run bench:api     (ROUNDS=3 rounds of DURATION=6 s runs, CONNECTIONS=100)
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
 * ≥ 0.6 × baseline requests/s with p99 < 50 ms; segment bytes/s ≥ 0.8 × nginx
 * from disk. The load runs in this process and shares the CPU with
 * everything else, so absolute figures are only comparable within one run:
 * each pair runs back to back in every round and the median of the
 * per-round ratios is what is judged.
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
import { median, percentile, printTable } from '../support/report.js';

const DURATION = Math.max(1, Number(process.env['DURATION'] ?? 6));
const ROUNDS = Math.max(1, Number(process.env['ROUNDS'] ?? 3));
const CONNECTIONS = Math.max(1, Number(process.env['CONNECTIONS'] ?? 100));
/** 1 MiB responses: fewer connections keep memory modest; throughput is what counts. */
const SEGMENT_CONNECTIONS = 10;
const VIDEOS = 10;
const SEGMENT_BYTES = 1024 * 1024;

const TARGET_REQ_RATIO = 0.6;
const TARGET_P99_MS = 50;
const TARGET_BYTES_RATIO = 0.8;

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** One measured run, whichever tool made it. */
interface Measured {
  reqPerSec: number;
  p50: number;
  p99: number;
  bytesPerSec: number;
  non2xx: number;
  errors: number;
}

type Tool = 'autocannon' | 'node:http';

interface Row extends Measured {
  label: string;
  tool: Tool;
  /** 1…ROUNDS; 0 for the one-off reference runs. */
  round: number;
}

const LABELS = {
  videoApi: 'GET /videos/{id}  curta ×2 via nginx',
  videoHello: 'GET /videos/{id}  fastify hello ×2 via nginx',
  feedApi: 'GET /feed         curta ×2 via nginx',
  feedHello: 'GET /feed         fastify hello ×2 via nginx',
  segApi: '1 MiB segment     curta ×2 via nginx',
  segDisk: '1 MiB segment     nginx from disk',
  videoCached: 'GET /videos/{id}  nginx cache HIT (reference)',
  segCached: '1 MiB segment     nginx cache HIT (reference)',
};

/** One row per label: the median of each column over its rounds; errors summed. */
function summarize(rows: Row[]): Row[] {
  const labels = [...new Set(rows.map((r) => r.label))];
  return labels.map((label) => {
    const mine = rows.filter((r) => r.label === label);
    const m = (f: (r: Row) => number) => median(mine.map(f));
    return {
      label,
      tool: mine[0]!.tool,
      round: 0,
      reqPerSec: m((r) => r.reqPerSec),
      p50: m((r) => r.p50),
      p99: m((r) => r.p99),
      bytesPerSec: m((r) => r.bytesPerSec),
      non2xx: mine.reduce((n, r) => n + r.non2xx, 0),
      errors: mine.reduce((n, r) => n + r.errors, 0),
    };
  });
}

async function autocannonRun(url: string, connections: number, duration: number): Promise<Measured> {
  const r: Result = await autocannon({ url, connections, duration, timeout: 10 });
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
  const pct = (p: number) => percentile(latencies, p);
  return { reqPerSec: latencies.length / seconds, p50: pct(50), p99: pct(99), bytesPerSec: bytes / seconds, non2xx, errors };
}

function printRows(rows: Row[]): void {
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
  printTable(header, lines, 2);
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
      // The default pool (the tests use a smaller one to spare the shared server).
      // nginx sends media bytes itself (X-Accel-Redirect), as docs/nginx.conf recommends for fs storage.
      env: { DB_POOL_MAX: '10', MEDIA_ACCEL_REDIRECT: '/_curta_objects/' },
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
    const cachedNginx = await startNginx({
      upstreams: cluster.apiUrls.map((u) => new URL(u).host),
      cache: true,
      accessLog: false,
      objectsDir: join(cluster.dataDir, 'objects'),
    });
    cleanups.push(() => cachedNginx.stop());

    console.log(
      `\n${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}; autocannon in this process; ` +
        `${ROUNDS} round(s) of ${DURATION} s runs after a 2 s warm-up; ${CONNECTIONS} connections (segments: ${SEGMENT_CONNECTIONS})`,
    );
    console.log(`feed page: ${VIDEOS} videos; segment: ${SEGMENT_BYTES} bytes; storage: filesystem (shared folder)\n`);

    const rows: Row[] = [];
    const run = async (label: string, url: string, tool: Tool, round: number) => {
      const connections = tool === 'autocannon' ? CONNECTIONS : SEGMENT_CONNECTIONS;
      const result = await (tool === 'autocannon' ? autocannonRun : bodyLoopRun)(url, connections, DURATION);
      rows.push({ label, tool, round, ...result });
      process.stdout.write(
        `  round ${round}: ${label}: ${result.reqPerSec.toFixed(0)} req/s, p99 ${result.p99.toFixed(1)} ms, ${(result.bytesPerSec / 1e6).toFixed(0)} MB/s\n`,
      );
      return result;
    };
    // Each pair is measured back to back in every round, so drifting load on the machine hits both alike.
    const pairs: Array<{ name: string; ours: [string, string]; base: [string, string]; tool: Tool }> = [
      {
        name: 'video',
        ours: [LABELS.videoApi, `${cluster.url}${paths.video}`],
        base: [LABELS.videoHello, `${helloNginx.url}${paths.video}`],
        tool: 'autocannon',
      },
      {
        name: 'feed',
        ours: [LABELS.feedApi, `${cluster.url}${paths.feed}`],
        base: [LABELS.feedHello, `${helloNginx.url}${paths.feed}`],
        tool: 'autocannon',
      },
      {
        name: 'segment',
        ours: [LABELS.segApi, `${cluster.url}${paths.segment}`],
        base: [LABELS.segDisk, `http://127.0.0.1:${staticPort}${paths.segment}`],
        tool: 'node:http',
      },
    ];
    for (const pair of pairs) {
      // Warm-up: JIT, keep-alive pools, Redis entries, page cache.
      for (const [, url] of [pair.ours, pair.base]) await (pair.tool === 'autocannon' ? autocannonRun : bodyLoopRun)(url, 10, 2);
    }
    const ratios: Record<string, { req: number[]; bytes: number[]; p99: number[] }> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const pair of pairs) {
        const ours = await run(pair.ours[0], pair.ours[1], pair.tool, round);
        const base = await run(pair.base[0], pair.base[1], pair.tool, round);
        const r = (ratios[pair.name] ??= { req: [], bytes: [], p99: [] });
        r.req.push(ours.reqPerSec / base.reqPerSec);
        r.bytes.push(ours.bytesPerSec / base.bytesPerSec);
        r.p99.push(ours.p99);
      }
    }
    // Reference only (not a target): what clients get from the shipped config once nginx holds the object.
    const cachedSegment = await run(LABELS.segCached, `${cachedNginx.url}${paths.segment}`, 'node:http', 0);
    const cachedVideo = await run(LABELS.videoCached, `${cachedNginx.url}${paths.video}`, 'autocannon', 0);

    console.log(`\nmedians over ${ROUNDS} round(s)`);
    printRows(summarize(rows));

    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    const video = ratios['video']!;
    const feed = ratios['feed']!;
    const seg = ratios['segment']!;
    const diskBytes = median(rows.filter((r) => r.label === LABELS.segDisk).map((r) => r.bytesPerSec));
    const helloVideo = median(rows.filter((r) => r.label === LABELS.videoHello).map((r) => r.reqPerSec));
    const lines: Array<[string, number, string, boolean | null]> = [
      ['GET /videos/{id} req/s, curta ÷ hello', median(video.req), `≥ ${TARGET_REQ_RATIO}`, median(video.req) >= TARGET_REQ_RATIO],
      ['GET /videos/{id} p99 ms, curta', median(video.p99), `< ${TARGET_P99_MS}`, median(video.p99) < TARGET_P99_MS],
      ['GET /feed req/s, curta ÷ hello', median(feed.req), `≥ ${TARGET_REQ_RATIO}`, median(feed.req) >= TARGET_REQ_RATIO],
      ['GET /feed p99 ms, curta', median(feed.p99), `< ${TARGET_P99_MS}`, median(feed.p99) < TARGET_P99_MS],
      ['segment bytes/s, curta ÷ nginx disk', median(seg.bytes), `≥ ${TARGET_BYTES_RATIO}`, median(seg.bytes) >= TARGET_BYTES_RATIO],
      ['(ref) segment bytes/s, cache HIT ÷ disk', cachedSegment.bytesPerSec / diskBytes, '', null],
      ['(ref) GET /videos/{id} req/s, HIT ÷ hello', cachedVideo.reqPerSec / helloVideo, '', null],
    ];
    console.log('\ntargets (median of the per-round ratios)');
    for (const [what, value, target, ok] of lines) {
      const judged = ok === null ? 'reference, not a target' : `target ${target.padEnd(6)} ${verdict(ok)}`;
      console.log(`  ${what.padEnd(42)} ${value.toFixed(value < 10 ? 3 : 1).padStart(8)}  ${judged}`);
    }
    const failures = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
    if (failures.length > 0) {
      console.log(`\nruns with errors or non-2xx answers: ${[...new Set(failures.map((r) => r.label))].join('; ')}`);
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
