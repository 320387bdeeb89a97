/**
 * Pipeline benchmark: our whole runPipeline against one plain ffmpeg command
 * producing the same ladder, on the same machine, in the same run.
 *
 *   npx tsx bench/pipeline/run.ts            (ROUNDS=3 by default)
 *
 * Reference: `ffmpeg -i upload -filter_complex split+scale … -f hls` with the
 * same rung sizes, x264 veryfast, CRF and VBV caps, AAC, 2 s fMP4 segments.
 * Ours: sniff + probe + plan + encode + incremental publishing + measured
 * master + progressive MP4 + poster, from "upload complete" to "ready".
 *
 * Targets: ready ≤ 1.15 × reference; first playable ≤ 0.35 × reference;
 * rendition bytes no larger (beyond x264's run-to-run jitter); top-rung SSIM
 * no more than 0.005 below. Wall-clock ratios are taken within each round and
 * the median printed; CPU time is printed too, as a check that does not
 * depend on what else the machine is doing.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FfmpegTranscoder } from '../../src/adapters/media/ffmpeg-transcoder.js';
import { parseMediaPlaylist } from '../../src/modules/media/hls.js';
import { runPipeline } from '../../src/modules/media/pipeline.js';
import type { EncodePlan, Transcoder } from '../../src/ports/transcoder.js';

const run = promisify(execFile);
const FFMPEG = process.env['FFMPEG_PATH'] || 'ffmpeg';
const FFPROBE = process.env['FFPROBE_PATH'] || 'ffprobe';
const ROUNDS = Math.max(1, Number(process.env['ROUNDS'] ?? 3));

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = join(root, 'bench', 'out');
const upload = join(outDir, 'upload-1080x1920-15s-v1.mp4');

const TARGET_READY = 1.15;
const TARGET_PLAYABLE = 0.35;
const TARGET_SSIM_DROP = 0.005;
/**
 * "No larger", allowing for x264's run-to-run jitter: with frame threads and
 * VBV the same command differs by a few hundred bytes per run (±0.01-0.03%).
 */
const BYTES_JITTER = 1.001;

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await ensureUpload();
  const transcoder = new FfmpegTranscoder({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, maxDurationSec: 600, timeoutSec: 1800 });
  await transcoder.check();
  const plan = transcoder.plan(await transcoder.probe(upload));
  console.log(`upload: ${upload} (${mb((await stat(upload)).size)})`);
  console.log(`ladder: ${plan.rungs.map((r) => `${r.name} ${r.width}x${r.height} ≤${r.maxrateKbps}k`).join(', ')}; ${ROUNDS} round(s)\n`);

  const refTimes: number[] = [];
  const ourTimes: number[] = [];
  const playableTimes: number[] = [];
  const readyRatios: number[] = [];
  const playableRatios: number[] = [];
  const cpuRatios: number[] = [];
  const refByteCounts: number[] = [];
  const ourByteCounts: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate, so drift in machine load hits both sides alike; compare within a round.
    const ref = await runReference(plan);
    const ours = await runOurs(transcoder);
    refTimes.push(ref.ms);
    ourTimes.push(ours.readyMs);
    playableTimes.push(ours.playableMs);
    readyRatios.push(ours.readyMs / ref.ms);
    playableRatios.push(ours.playableMs / ref.ms);
    cpuRatios.push(ours.cpuSec / ref.cpuSec);
    refByteCounts.push(await hlsBytes(join(outDir, 'reference')));
    ourByteCounts.push(await hlsBytes(join(outDir, 'ours', 'hls')));
    const phases = [...ours.phases].map(([k, v]) => `${k} ${s(v)}`).join(', ');
    console.log(
      `round ${round}: reference ${s(ref.ms)} (cpu ${ref.cpuSec.toFixed(1)} s)  ours ready ${s(ours.readyMs)} ×${(ours.readyMs / ref.ms).toFixed(3)} ` +
        `(cpu ${ours.cpuSec.toFixed(1)} s ×${(ours.cpuSec / ref.cpuSec).toFixed(3)})  first playable ${s(ours.playableMs)} ×${(ours.playableMs / ref.ms).toFixed(3)}\n` +
        `         ours by phase: ${phases}`,
    );
  }

  const ref = median(refTimes);
  const ready = median(ourTimes);
  const playable = median(playableTimes);
  const readyRatio = median(readyRatios);
  const playableRatio = median(playableRatios);
  const refBytes = median(refByteCounts);
  const ourBytes = median(ourByteCounts);
  const mp4Bytes = (await stat(join(outDir, 'ours', 'video.mp4'))).size;
  const posterBytes = (await stat(join(outDir, 'ours', 'poster.jpg'))).size;
  const top = plan.rungs[0]!;
  const refSsim = await ssim(join(outDir, 'reference', top.name), top);
  const ourSsim = await ssim(join(outDir, 'ours', 'hls', top.name), top);

  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log('\nmedians over rounds (ratios are taken within each round, then the median)');
  console.log(`  reference (one plain ffmpeg)   ${s(ref)}`);
  console.log(
    `  ours: upload → ready           ${s(ready)}   ×${readyRatio.toFixed(3)}  target ≤ ${TARGET_READY}  ${verdict(readyRatio <= TARGET_READY)}`,
  );
  console.log(
    `  ours: upload → first playable  ${s(playable)}   ×${playableRatio.toFixed(3)}  target ≤ ${TARGET_PLAYABLE}  ${verdict(playableRatio <= TARGET_PLAYABLE)}`,
  );
  console.log(`  CPU time, ours ÷ reference     ×${median(cpuRatios).toFixed(3)}  (load-independent cross-check)`);
  console.log(
    `  HLS rendition bytes            reference ${refBytes} B  ours ${ourBytes} B (×${(ourBytes / refBytes).toFixed(5)})  ` +
      `target ≤ ×${BYTES_JITTER}  ${verdict(ourBytes <= refBytes * BYTES_JITTER)}`,
  );
  console.log(`  ours, besides HLS              mp4 ${mb(mp4Bytes)}  poster ${(posterBytes / 1024).toFixed(0)} KiB`);
  console.log(
    `  top rung SSIM vs source        reference ${refSsim.toFixed(5)}  ours ${ourSsim.toFixed(5)} (Δ ${(ourSsim - refSsim).toFixed(5)})  ${verdict(refSsim - ourSsim <= TARGET_SSIM_DROP)}`,
  );
}

/** The "upload": 15 s of 1080x1920 30 fps with motion, colour changes, grain and a tone; made once and cached. */
async function ensureUpload(): Promise<void> {
  try {
    await stat(upload);
    return;
  } catch {
    console.log('making the upload clip (once)…');
  }
  await run(FFMPEG, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=1080x1920:r=30:d=15',
    '-f',
    'lavfi',
    '-i',
    'sine=f=440:d=15:sample_rate=48000',
    '-vf',
    'hue=H=2*PI*t/6,noise=alls=3:allf=t',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '18',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '160k',
    '-ac',
    '2',
    '-movflags',
    '+faststart',
    upload,
  ]);
}

/** One plain ffmpeg command for the same ladder; wall-clock ms and CPU seconds. */
async function runReference(plan: EncodePlan): Promise<{ ms: number; cpuSec: number }> {
  const dir = join(outDir, 'reference');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const n = plan.rungs.length;
  const graph = [
    `[0:v]split=${n}${plan.rungs.map((_, i) => `[in${i}]`).join('')}`,
    ...plan.rungs.map((r, i) => `[in${i}]scale=${r.width}:${r.height}[out${i}]`),
  ].join(';');
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-i', upload, '-filter_complex', graph];
  plan.rungs.forEach((_, i) => args.push('-map', `[out${i}]`, '-map', '0:a'));
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p');
  // Same output format as ours, colour signalling included (it costs ~22 bytes per init segment).
  args.push('-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv');
  args.push('-g', String(plan.gopFrames), '-keyint_min', String(plan.gopFrames), '-sc_threshold', '0');
  plan.rungs.forEach((r, i) =>
    args.push(`-crf:v:${i}`, String(r.crf), `-maxrate:v:${i}`, `${r.maxrateKbps}k`, `-bufsize:v:${i}`, `${r.bufsizeKbps}k`),
  );
  args.push('-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2');
  args.push(
    '-f',
    'hls',
    '-hls_time',
    '2',
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_fmp4_init_filename',
    'init_%v.mp4',
    '-hls_segment_filename',
    join(dir, '%v', 'seg_%05d.m4s'),
    '-var_stream_map',
    plan.rungs.map((r, i) => `v:${i},a:${i},name:${r.name}`).join(' '),
    join(dir, '%v', 'index.m3u8'),
  );
  const cpu0 = await cpuSeconds();
  const started = performance.now();
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`reference ffmpeg exited ${code}`))));
  });
  const ms = performance.now() - started;
  return { ms, cpuSec: (await cpuSeconds()) - cpu0 };
}

interface OursRun {
  readyMs: number;
  playableMs: number;
  cpuSec: number;
  phases: Map<string, number>;
}

/** runPipeline publishing into bench/out/ours the way the filesystem store would (a copy per object). */
async function runOurs(transcoder: FfmpegTranscoder): Promise<OursRun> {
  const dir = join(outDir, 'ours');
  await rm(dir, { recursive: true, force: true });
  const phases = new Map<string, number>();
  const cpu0 = await cpuSeconds();
  const started = performance.now();
  let playableMs = Number.NaN;
  await runPipeline({
    transcoder: timed(transcoder, phases),
    input: upload,
    workDir: join(outDir, 'work'),
    publish: async (localPath, key) => {
      const target = join(dir, key);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(localPath, target);
    },
    onPlayable: () => {
      playableMs = performance.now() - started;
    },
  });
  const readyMs = performance.now() - started;
  return { readyMs, playableMs, cpuSec: (await cpuSeconds()) - cpu0, phases };
}

/** Init + media segments of every rung under `dir`. */
async function hlsBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.(m4s|mp4)$/.test(entry.name)) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** SSIM of a rendition (its fMP4 parts joined) against the upload scaled to the rendition size. */
async function ssim(renditionDir: string, rung: { width: number; height: number }): Promise<number> {
  const playlist = parseMediaPlaylist(await readFile(join(renditionDir, 'index.m3u8'), 'utf8'));
  const parts = [playlist.mapUri!, ...playlist.segments.map((seg) => seg.uri)];
  const joined = join(renditionDir, 'joined.mp4');
  await writeFile(joined, Buffer.concat(await Promise.all(parts.map((p) => readFile(join(renditionDir, p))))));
  const { stderr } = await run(
    FFMPEG,
    [
      '-hide_banner',
      '-nostats',
      '-i',
      joined,
      '-i',
      upload,
      '-lavfi',
      `[1:v]scale=${rung.width}:${rung.height}:flags=bicubic,format=yuv420p[ref];[0:v]format=yuv420p[dist];[dist][ref]ssim`,
      '-an',
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  await rm(joined);
  const m = stderr.match(/SSIM .* All:([0-9.]+)/);
  if (!m) throw new Error(`no SSIM in ffmpeg output:\n${stderr.slice(-500)}`);
  return Number(m[1]);
}

/**
 * CPU seconds used so far by this process and its finished children (ffmpeg,
 * ffprobe): /proc/self/stat utime, stime, cutime, cstime. Unlike wall time
 * it barely moves when other people load the machine.
 */
async function cpuSeconds(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / 100; // USER_HZ
}

/** Times every transcoder call, to show where ours spends its time. */
function timed(inner: Transcoder, phases: Map<string, number>): Transcoder {
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await fn(...args);
      } finally {
        phases.set(name, (phases.get(name) ?? 0) + performance.now() - t0);
      }
    };
  return {
    check: () => inner.check(),
    sniff: wrap('sniff', (p: string) => inner.sniff(p)),
    probe: wrap('probe', (p: string) => inner.probe(p)),
    plan: (info) => inner.plan(info),
    encode: wrap('encode', (...a: Parameters<Transcoder['encode']>) => inner.encode(...a)),
    makeProgressiveMp4: wrap('mp4', (...a: Parameters<Transcoder['makeProgressiveMp4']>) => inner.makeProgressiveMp4(...a)),
    makePoster: wrap('poster', (...a: Parameters<Transcoder['makePoster']>) => inner.makePoster(...a)),
  };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
