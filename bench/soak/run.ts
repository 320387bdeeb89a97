/**
 * Soak benchmark (issue 11, "Figures"): the embedded default under a long
 * mixed load, then the same load with the abuse patterns of issue 11 mixed in.
 *
 *   npm run bench:soak                      (DURATION=60 s measured after WARMUP=10 s, CONNECTIONS=200, UPLOADS_PER_SEC=1)
 *   npm run bench:soak -- --duration 10 --connections 50   (flags override the environment)
 *
 * Deployment under test: `curta start` (API + workers in one process, PGlite,
 * in-process cache, filesystem storage) from a fresh `dist` build, as
 * `npm start` runs it, in a process of its own so its memory is its own
 * (VmRSS from /proc, sampled every second; ffmpeg children are not counted).
 * It listens on 127.0.0.1 only, with its data in a temporary folder removed at
 * the end. One deviation from the defaults: TRUST_PROXY=127.0.0.1, so each
 * simulated client can carry its own address in X-Forwarded-For, as behind
 * the recommended reverse proxy; otherwise all of them would share one
 * per-address budget and the clean mix would measure the limiter.
 *
 * Seed: CONNECTIONS users; 12 ready videos (one small real clip, made once
 * with ffmpeg and uploaded 12 times); a video nobody watches (the fake-view
 * target); an attacker and a victim account.
 *
 * Run 1, clean: CONNECTIONS connections, each one person behind its own
 * address (half signed in, half anonymous with X-Device-Id), looping without
 * pause over feed pages (following nextCursor), video views, For You, playback
 * event batches, media segment fetches, likes/unlikes, comment lists and
 * comments; plus UPLOADS_PER_SEC uploads a second (create → PUT → complete,
 * processing continues in the background). After WARMUP seconds the counters
 * and the RSS baseline start; DURATION seconds later the run stops. The
 * server then gets up to DRAIN seconds to finish processing the uploads, and
 * is restarted on the same data (as it is after the seeding), so that both runs
 * start from a fresh process.
 *
 * Run 2, abuse: the same, plus from the end of the warm-up the abuse patterns
 * (bench/soak/abuse.ts): forged feed cursors, event floods with a new
 * X-Device-Id per batch, bursts of 40 concurrent wrong passwords for one
 * username, 6300×6300 PNG avatars (116 KB), stalled PUT bodies on one signed
 * upload URL, 100 status streams (opened first, the other patterns once they
 * are answered: see Abuse.start), write bodies with unknown fields.
 *
 * Targets (exit status 1 when one is missed): no errors in either run (429
 * and each abuse pattern's deliberate refusals are not errors: see
 * http.ts `classify`), RSS growth after the warm-up < 50 MB in each run. The
 * table prints p50/p99 per route, and the abuse run's p99 and RSS growth as
 * ratios of the clean run's. A bench, not a test: not part of `npm test`.
 */
import { execFile } from 'node:child_process';
import { cpSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  freePort,
  hlsUrls,
  signup,
  spawnManaged,
  uploadVideo,
  waitForHttp,
  REPO_ROOT,
  type ManagedProcess,
} from '../../test/support/cluster.js';
import { makeClip } from '../../test/support/media.js';
import { printTable } from '../support/report.js';
import { Abuse, ABUSE_SHAPE, defineAbuseRoutes, type AbuseReport, type AbuseTargets } from './abuse.js';
import { Client, Recorder, type RouteTally } from './http.js';
import {
  cleanConnection,
  defineCleanRoutes,
  uploadTicker,
  type PoolVideo,
  type SeedUser,
  type UploadResult,
  type World,
} from './traffic.js';

const exec = promisify(execFile);

/** `--name value` / `--name=value`, else the environment variable, else the default. */
function setting(flag: string, env: string, fallback: number, min: number, max: number): number {
  const argv = process.argv.slice(2);
  let raw: string | undefined = process.env[env];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${flag}`) raw = argv[i + 1];
    else if (a.startsWith(`--${flag}=`)) raw = a.slice(flag.length + 3);
  }
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${flag} (${env}) must be a number in [${min}, ${max}]`);
  return n;
}

const DURATION = setting('duration', 'DURATION', 60, 1, 3600);
const WARMUP = setting('warmup', 'WARMUP', 10, 0, 600);
const CONNECTIONS = Math.round(setting('connections', 'CONNECTIONS', 200, 2, 2000));
const UPLOADS_PER_SEC = setting('uploads-per-sec', 'UPLOADS_PER_SEC', 1, 0, 20);
const DRAIN = setting('drain', 'DRAIN', 120, 0, 3600);
const POOL_VIDEOS = 12;
/**
 * Server settings the bench passes through from its own environment when set: Curta's bounds,
 * and the runtime's (MALLOC_ARENA_MAX, as the container image sets it; NODE_OPTIONS, e.g. V8 heap flags).
 */
const SERVER_ENV = ['CACHE_MAX_BYTES', 'WORKER_CONCURRENCY', 'RATE_LIMIT_MAX_KEYS', 'MALLOC_ARENA_MAX', 'NODE_OPTIONS'];
const RSS_GROWTH_LIMIT_MB = 50;
/** Whatever happens, the bench ends (and takes its server with it) after this long. */
const HARD_LIMIT_MS = (600 + DRAIN + 2 * (WARMUP + DURATION + 60)) * 1000;

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));
const address = (i: number) => `10.1.${(i >> 8) & 255}.${(i & 255) + 1}`;

/** Where the server's memory is, from its own /metrics (prom-client's process gauges), in MB; null if unreadable. */
interface MemoryParts {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

async function memoryParts(origin: string): Promise<MemoryParts | null> {
  try {
    const text = await (await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    const gauge = (name: string) => {
      const m = new RegExp(`^curta_${name} ([0-9.e+]+)$`, 'm').exec(text);
      return m ? Number(m[1]) / 1024 / 1024 : NaN;
    };
    const parts = {
      heapUsed: gauge('nodejs_heap_size_used_bytes'),
      heapTotal: gauge('nodejs_heap_size_total_bytes'),
      external: gauge('nodejs_external_memory_bytes'),
    };
    return Object.values(parts).every(Number.isFinite) ? parts : null;
  } catch {
    return null;
  }
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) / 1024;
}

/** What `npm start`'s prestart builds for the server (the web bundle is not needed to measure the API). */
async function buildServer(): Promise<void> {
  await exec(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT });
  cpSync(join(REPO_ROOT, 'src/migrations'), join(REPO_ROOT, 'dist/src/migrations'), { recursive: true });
}

class Server {
  proc: ManagedProcess | null = null;
  readonly origin: string;

  constructor(
    private readonly port: number,
    private readonly dataDir: string,
  ) {
    this.origin = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.proc = spawnManaged('curta start', process.execPath, ['dist/src/cli.js', 'start'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        CURTA_DATA_DIR: this.dataDir,
        HOST: '127.0.0.1',
        PORT: String(this.port),
        PUBLIC_BASE_URL: this.origin,
        TRUST_PROXY: '127.0.0.1',
        // Request logs at `info` would be piped into this process under load; warnings and errors still come.
        LOG_LEVEL: 'warn',
        // Server settings to try (e.g. CACHE_MAX_BYTES), passed through as they are.
        ...Object.fromEntries(SERVER_ENV.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
      },
    });
    await waitForHttp(`${this.origin}/readyz`, this.proc, 120_000);
  }

  async stop(): Promise<void> {
    await this.proc?.stop(15_000);
    this.proc = null;
  }
}

interface Seeded {
  world: World;
  targets: AbuseTargets;
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

async function videoStatus(origin: string, id: string, token?: string): Promise<string> {
  const res = await fetch(`${origin}/api/v1/videos/${id}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await res.json()) as { status?: string };
  return res.status === 200 ? (body.status ?? '?') : `HTTP ${res.status}`;
}

async function seed(origin: string, scratch: string): Promise<Seeded> {
  const poolClip = join(scratch, 'pool.mp4');
  const uploadClip = join(scratch, 'upload.mp4');
  const png = join(scratch, 'avatar.png');
  await Promise.all([
    makeClip(poolClip, { width: 360, height: 640, seconds: 4 }),
    makeClip(uploadClip, { width: 240, height: 426, seconds: 2 }),
    // 6300×6300 of one colour: a small file, a big decode.
    exec('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=black:s=6300x6300', '-frames:v', '1', '-pix_fmt', 'rgb24', png]),
  ]);
  const names = Array.from({ length: CONNECTIONS }, (_, i) => `soak_${i}`);
  const users: SeedUser[] = await mapLimit(names, 8, async (username, i) => ({
    username,
    address: address(i),
    token: await signup(origin, username, { 'x-forwarded-for': address(i) }),
  }));
  const special = async (username: string, addr: string): Promise<SeedUser> => ({
    username,
    address: addr,
    token: await signup(origin, username, { 'x-forwarded-for': addr }),
  });
  const attacker = await special('soak_mallory', '10.66.0.1');
  const victim = await special('soak_victim', '10.2.0.1');
  const bystander = await special('soak_quiet', '10.2.0.2');

  const clip = await readFile(poolClip);
  const creators = users.slice(0, 4);
  const ids = await mapLimit(Array.from({ length: POOL_VIDEOS }), 4, (_, i) =>
    uploadVideo(origin, creators[i % creators.length]!.token, clip, `soak pool video ${i + 1} #soak`),
  );
  const viewTarget = await uploadVideo(origin, bystander.token, clip, 'a video nobody watches');
  await poll('seed videos ready', 300_000, async () => {
    const statuses = await Promise.all([...ids, viewTarget].map((id) => videoStatus(origin, id)));
    if (statuses.includes('failed')) throw new Error('a seed video failed to process');
    return statuses.every((s) => s === 'ready') ? true : null;
  });
  const pool: PoolVideo[] = await Promise.all(
    ids.map(async (id) => {
      const res = await fetch(`${origin}/api/v1/videos/${id}`);
      const video = (await res.json()) as { playback: { hls: string } };
      const { init, segments } = await hlsUrls(video.playback.hls);
      return { id, segments: [...(init ? [init] : []), ...segments].map((u) => new URL(u).pathname) };
    }),
  );
  return {
    world: { users, pool, clip: await readFile(uploadClip) },
    targets: { attacker, victim, viewTarget, commentTarget: ids[0]!, avatarPng: await readFile(png) },
  };
}

interface RunResult {
  name: string;
  tally: RouteTally[];
  cleanLatencies: number[];
  rssWarm: number;
  rssEnd: number;
  /** V8 heap and external memory at the same two moments: what of the RSS growth is JavaScript's. */
  memWarm: MemoryParts | null;
  memEnd: MemoryParts | null;
  rssPeak: number;
  rssMin: number;
  uploads: UploadResult[];
  abuse: AbuseReport | null;
  /** Error lines of the server's log during the run (from the last 16 KiB of its output). */
  serverErrors: string[];
}

async function soakRun(name: string, server: Server, seeded: Seeded, withAbuse: boolean): Promise<RunResult> {
  const proc = server.proc!;
  const controller = new AbortController();
  const client = new Client(new URL(server.origin), controller.signal);
  const rec = new Recorder();
  defineCleanRoutes(rec);
  if (withAbuse) defineAbuseRoutes(rec);
  let stopped = false;
  const isStopped = () => stopped;

  const rss: number[] = [];
  let measuring = false;
  const sampler = setInterval(() => {
    if (measuring)
      void rssMb(proc.pid).then(
        (mb) => rss.push(mb),
        () => undefined,
      );
  }, 1000);

  const abuse = withAbuse ? new Abuse(client, rec, seeded.targets) : null;
  await abuse?.prepare();
  const uploads: UploadResult[] = [];
  const loops = Array.from({ length: CONNECTIONS }, (_, i) => cleanConnection(client, rec, seeded.world, i, isStopped));
  if (UPLOADS_PER_SEC > 0) loops.push(uploadTicker(client, rec, seeded.world, UPLOADS_PER_SEC, isStopped, uploads));
  process.stdout.write(`  ${name}: warm-up ${WARMUP} s…`);
  await sleep(WARMUP * 1000);

  const rssWarm = await rssMb(proc.pid);
  rss.push(rssWarm);
  const memWarm = await memoryParts(server.origin);
  measuring = true;
  rec.recording = true;
  const measuredFrom = performance.now();
  await abuse?.start(); // the status streams first, the other patterns once they are answered (see Abuse.start)
  process.stdout.write(` measuring ${DURATION} s…`);
  await sleep(Math.max(0, DURATION * 1000 - (performance.now() - measuredFrom)));

  abuse?.finish(); // stalled bodies still open are recorded as held
  rec.stop(); // requests still unanswered are counted as such
  measuring = false;
  const rssEnd = await rssMb(proc.pid);
  rss.push(rssEnd);
  const memEnd = await memoryParts(server.origin);
  stopped = true;
  controller.abort();
  clearInterval(sampler);
  await Promise.all(loops);
  await abuse?.done();
  const after = new Client(new URL(server.origin), new AbortController().signal);
  const abuseReport = (await abuse?.report(after)) ?? null;
  after.close();
  client.close();
  process.stdout.write(' done\n');
  if (!proc.alive) throw new Error(`the server died during ${name}:\n${proc.output()}`);

  const tally = rec.tally();
  const cleanRoutes = tally.filter((t) => !t.abuse).map((t) => t.route);
  // The server logs JSON (pino) at `warn`: its errors (level 50, 60) in the output kept (the last 16 KiB).
  const serverErrors = proc
    .output()
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l));
  return {
    name,
    tally,
    cleanLatencies: rec.latencies(cleanRoutes),
    rssWarm,
    rssEnd,
    memWarm,
    memEnd,
    rssPeak: Math.max(...rss),
    rssMin: Math.min(...rss),
    uploads,
    abuse: abuseReport,
    serverErrors,
  };
}

/** Waits (at most DRAIN s) until every upload of the run is ready or failed; returns the count per status. */
async function drain(origin: string, uploads: UploadResult[], waitMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const statuses = await mapLimit(uploads, 8, (u) => videoStatus(origin, u.videoId, u.token));
    if (statuses.every((s) => s === 'ready' || s === 'failed') || Date.now() > deadline) {
      const counts = new Map<string, number>();
      for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
      return counts;
    }
    await sleep(2000);
  }
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const mb = (v: number) => `${v.toFixed(0)} MB`;
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} MB`;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const errorsOf = (r: RunResult, abuse?: boolean) =>
  r.tally.filter((t) => abuse === undefined || t.abuse === abuse).reduce((n, t) => n + t.errors, 0);
const limitedOf = (r: RunResult) => r.tally.filter((t) => !t.abuse).reduce((n, t) => n + t.limited, 0);

function printRun(r: RunResult, drained: Map<string, number> | null): void {
  console.log(`\n${r.name}`);
  const lines = r.tally.map((t) => [
    t.route,
    String(t.requests),
    (t.requests / DURATION).toFixed(1),
    ms(t.p50),
    ms(t.p99),
    String(t.ok),
    String(t.limited),
    String(t.refused),
    String(t.errors),
    String(t.unanswered),
    t.outcomes.map(([status, n]) => `${status}×${n}`).join(' '),
  ]);
  const all = r.cleanLatencies;
  const clean = r.tally.filter((t) => !t.abuse);
  const sum = (f: (t: RouteTally) => number) => String(clean.reduce((n, t) => n + f(t), 0));
  lines.push([
    'all clean routes',
    String(all.length),
    (all.length / DURATION).toFixed(1),
    ms(pct(all, 50)),
    ms(pct(all, 99)),
    sum((t) => t.ok),
    sum((t) => t.limited),
    sum((t) => t.refused),
    sum((t) => t.errors),
    sum((t) => t.unanswered),
    '',
  ]);
  printTable(
    ['route', 'requests', 'req/s', 'p50 ms', 'p99 ms', '2xx/3xx', '429', 'refused', 'errors', 'open at end', 'outcomes'],
    lines,
    [0, 10],
  );
  console.log(
    `server RSS: ${mb(r.rssWarm)} after the warm-up → ${mb(r.rssEnd)} at the end (${signed(r.rssEnd - r.rssWarm)}; min ${mb(r.rssMin)}, peak ${mb(r.rssPeak)} in between)`,
  );
  if (r.memWarm && r.memEnd) {
    const w = r.memWarm;
    const e = r.memEnd;
    const js = e.heapTotal + e.external - (w.heapTotal + w.external);
    console.log(
      `  of which V8 heap used ${mb(w.heapUsed)} → ${mb(e.heapUsed)} (reserved ${mb(w.heapTotal)} → ${mb(e.heapTotal)}), ` +
        `external ${mb(w.external)} → ${mb(e.external)} (Buffers and the embedded PGlite database's WebAssembly memory); ` +
        `the rest (${signed(r.rssEnd - r.rssWarm - js)}) is native: allocator pages, libuv, sockets`,
    );
  }
  const states = drained && drained.size > 0 ? [...drained].map(([s, n]) => `${n} ${s}`).join(', ') : 'none';
  console.log(`uploads completed: ${r.uploads.length} (processing afterwards: ${states})`);
  if (r.serverErrors.length > 0) {
    console.log(`server error log lines (in the last 16 KiB of its output): ${r.serverErrors.length}, e.g.`);
    for (const l of r.serverErrors.slice(-3)) console.log(`  ${l.slice(0, 300)}`);
  }
}

function printComparison(clean: RunResult, abused: RunResult): void {
  console.log('\nabuse run ÷ clean run (same build, same machine, back to back)');
  const byRoute = new Map(abused.tally.map((t) => [t.route, t]));
  const lines = clean.tally.map((c) => {
    const a = byRoute.get(c.route);
    return [
      c.route,
      ms(c.p99),
      a ? ms(a.p99) : '-',
      a && c.p99 > 0 ? (a.p99 / c.p99).toFixed(2) : '-',
      String(c.limited),
      a ? String(a.limited) : '-',
      String(c.errors),
      a ? String(a.errors) : '-',
    ];
  });
  const p99c = pct(clean.cleanLatencies, 99);
  const p99a = pct(abused.cleanLatencies, 99);
  lines.push([
    'all clean routes',
    ms(p99c),
    ms(p99a),
    p99c > 0 ? (p99a / p99c).toFixed(2) : '-',
    String(limitedOf(clean)),
    String(limitedOf(abused)),
    String(errorsOf(clean, false)),
    String(errorsOf(abused, false)),
  ]);
  printTable(['route', 'p99 clean', 'p99 abuse', 'ratio', '429 clean', '429 abuse', 'errors clean', 'errors abuse'], lines);
  const gc = clean.rssEnd - clean.rssWarm;
  const ga = abused.rssEnd - abused.rssWarm;
  const ratio = gc >= 1 ? `ratio ${(ga / gc).toFixed(2)}` : 'ratio n/a: the clean run grew less than 1 MB';
  console.log(
    `RSS growth after warm-up: clean ${signed(gc)}, abuse ${signed(ga)} (${ratio}); peak ${mb(clean.rssPeak)} vs ${mb(abused.rssPeak)}`,
  );

  const x = abused.abuse;
  if (x) {
    const s = ABUSE_SHAPE;
    console.log('\nwhat the abuse achieved (reported, not judged here)');
    console.log(
      `  fake views on a video no one watched: ${x.viewsAfter - x.viewsBefore} (trending rank after: ${x.trendingRankAfter ?? 'not in the top 50'})`,
    );
    console.log(
      `  wrong passwords evaluated for one username: ${x.passwordsEvaluated} (RATE_LIMIT_LOGIN_PER_USERNAME default: 10 per 15 min)`,
    );
    console.log(
      `  status streams open at once for one user: max ${x.sseMaxOpen} of ${s.sseStreams} tried ` +
        (x.sseFirstWaveDone
          ? `(all first answered within ${(x.sseFirstWaveMs / 1000).toFixed(1)} s; the other patterns started then)`
          : `(not all answered within ${(x.sseFirstWaveMs / 1000).toFixed(1)} s; the other patterns started anyway)`),
    );
    console.log(
      `  stalled PUTs on one signed upload URL open at once: max ${x.slowPutMaxOpen} of ${s.slowPuts}; still open when the run ended: ${x.slowPutHeldToEnd}`,
    );
  }
}

async function main(): Promise<number> {
  const scratch = await mkdtemp(join(tmpdir(), 'curta-bench-soak-'));
  const port = await freePort();
  const server = new Server(port, join(scratch, 'data'));
  const cleanup = async () => {
    await server.stop().catch((err: unknown) => console.error('stopping the server failed:', err));
    await rm(scratch, { recursive: true, force: true });
  };
  const hardStop = setTimeout(() => {
    console.error(`\nsoak bench: over its ${HARD_LIMIT_MS / 1000} s limit; stopping`);
    void cleanup().finally(() => process.exit(2));
  }, HARD_LIMIT_MS);
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    console.log('building the server (tsc, as npm start does)…');
    await buildServer();
    await server.start();
    console.log(`seeding ${server.origin}: ${CONNECTIONS} users, ${POOL_VIDEOS + 1} videos, clips made with ffmpeg…`);
    const seeded = await seed(server.origin, scratch);
    console.log(
      `\n${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}; load generator in this process; ` +
        `${CONNECTIONS} connections + ${UPLOADS_PER_SEC} upload/s; warm-up ${WARMUP} s, measured ${DURATION} s per run\n`,
    );

    // Each run starts on a fresh process (the same data), so neither inherits the other's heap, or the seeding's.
    await server.stop();
    await server.start();
    const clean = await soakRun('run 1 — clean mix', server, seeded, false);
    const drained = await drain(server.origin, clean.uploads, DRAIN * 1000);
    await server.stop();
    await server.start();
    const abused = await soakRun('run 2 — clean mix + abuse patterns', server, seeded, true);
    const drainedAbuse = await drain(server.origin, abused.uploads, DRAIN * 1000);

    printRun(clean, drained);
    printRun(abused, drainedAbuse);
    printComparison(clean, abused);

    const targets: Array<[string, boolean]> = [
      ['clean run: 0 errors (429s and refusals aside)', errorsOf(clean) === 0],
      [`clean run: RSS growth after warm-up < ${RSS_GROWTH_LIMIT_MB} MB`, clean.rssEnd - clean.rssWarm < RSS_GROWTH_LIMIT_MB],
      ['abuse run: 0 errors (429s and refusals aside)', errorsOf(abused) === 0],
      [`abuse run: RSS growth after warm-up < ${RSS_GROWTH_LIMIT_MB} MB`, abused.rssEnd - abused.rssWarm < RSS_GROWTH_LIMIT_MB],
    ];
    console.log('\ntargets');
    for (const [what, ok] of targets) console.log(`  ${what.padEnd(52)} ${ok ? 'ok' : 'MISSED'}`);
    return targets.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    clearTimeout(hardStop);
    await cleanup();
  }
}

process.exitCode = await main();
