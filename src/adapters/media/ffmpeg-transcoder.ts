import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MediaError } from '../../errors.js';
import type {
  EncodeOptions,
  EncodePlan,
  EncodeResult,
  MediaInfo,
  MediaLogger,
  RenditionOutput,
  SniffResult,
  Transcoder,
} from '../../ports/transcoder.js';
import { readMediaPlaylist } from '../../modules/media/hls.js';
import { planEncode } from '../../modules/media/plan.js';
import { sniffFile } from '../../modules/media/sniff.js';
import { buildEncodeArgs, fileUrl, safeInputArgs } from './ffmpeg-args.js';
import { lastMeaningfulLine, missingCodecs, missingFilters, queryTool, runTool, type ToolEnv } from './ffmpeg-toolchain.js';
import { interpretProbe, parseDecoderList, type ProbeJson } from './probe.js';
import type { RunOptions, RunResult } from './process.js';

export interface FfmpegTranscoderOptions {
  ffmpegPath: string;
  ffprobePath: string;
  /** Longest accepted video. */
  maxDurationSec: number;
  /** Decode cost limits (src/modules/media/plan.ts decodeCost): pixels per second, and in all. Absent = none. */
  maxPixelRate?: number;
  maxPixelBudget?: number;
  /** Wall-clock limit for one encode. */
  timeoutSec: number;
  logger?: MediaLogger;
}

/** ffprobe gets less time than an encode: it reads headers and a few frames. */
const PROBE_TIMEOUT_MS = 60_000;
/** Remux and poster: small, local, our own files. */
const FINISHING_TIMEOUT_MS = 120_000;

/** A file whose decoded length falls this short of its header is truncated… */
const TRUNCATED_RATIO = 0.5;
/** …provided the gap is also this large (rounding on tiny clips is not truncation). */
const TRUNCATED_MIN_GAP_SEC = 1;

const REQUIRED_ENCODERS = ['libx264', 'aac'] as const;
const REQUIRED_FILTERS = ['zscale', 'tonemap', 'bwdif', 'fps', 'split', 'asplit', 'apad'] as const;

/** The Transcoder port on a local ffmpeg (Debian's package has everything we need). */
export class FfmpegTranscoder implements Transcoder {
  private readonly opts: FfmpegTranscoderOptions;
  private decoders: Promise<Set<string>> | null = null;

  constructor(opts: FfmpegTranscoderOptions) {
    this.opts = opts;
  }

  async check(): Promise<void> {
    const { ffmpegPath, ffprobePath } = this.opts;
    const encoders = await queryTool(ffmpegPath, ['-hide_banner', '-encoders'], 'FFMPEG_PATH');
    const missingEncoders = missingCodecs(encoders.stdout, REQUIRED_ENCODERS);
    if (missingEncoders.length > 0) {
      throw new Error(
        `ffmpeg at ${ffmpegPath} lacks the ${missingEncoders.join(' and ')} encoder${missingEncoders.length > 1 ? 's' : ''}: ` +
          `install Debian's ffmpeg (apt-get install ffmpeg) or point FFMPEG_PATH at a build with --enable-libx264`,
      );
    }
    const filters = await queryTool(ffmpegPath, ['-hide_banner', '-filters'], 'FFMPEG_PATH');
    const lackingFilters = missingFilters(filters.stdout, REQUIRED_FILTERS);
    if (lackingFilters.length > 0) {
      throw new Error(
        `ffmpeg at ${ffmpegPath} lacks the filters ${lackingFilters.join(', ')} (zscale needs --enable-libzimg): ` +
          `install Debian's ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH`,
      );
    }
    await queryTool(ffprobePath, ['-hide_banner', '-version'], 'FFPROBE_PATH');
    await this.decodableCodecs();
  }

  sniff(path: string): Promise<SniffResult> {
    return sniffFile(path);
  }

  async probe(path: string): Promise<MediaInfo> {
    // Magic bytes first: ffprobe never sees a playlist or a script.
    const sniffed = await sniffFile(path);
    const result = await this.run(
      this.opts.ffprobePath,
      ['-hide_banner', '-v', 'error', ...safeInputArgs(sniffed.demuxer, path), '-show_format', '-show_streams', '-print_format', 'json'],
      { timeoutMs: PROBE_TIMEOUT_MS },
    );
    if (result.timedOut) throw new MediaError('corrupt_media', 'Reading the file took too long; it is probably damaged.');
    if (result.code !== 0) throw probeFailure(result.stderr);
    let json: ProbeJson;
    try {
      json = JSON.parse(result.stdout) as ProbeJson;
    } catch {
      throw new MediaError('corrupt_media', 'The file could not be read as a video.');
    }
    return interpretProbe(json, {
      sniff: sniffed,
      decodableCodecs: await this.decodableCodecs(),
      maxDurationSec: this.opts.maxDurationSec,
      ...(this.opts.maxPixelRate !== undefined ? { maxPixelRate: this.opts.maxPixelRate } : {}),
      ...(this.opts.maxPixelBudget !== undefined ? { maxPixelBudget: this.opts.maxPixelBudget } : {}),
      probeErrors: result.stderr,
    });
  }

  plan(info: MediaInfo): EncodePlan {
    return planEncode(info, {
      maxDurationSec: this.opts.maxDurationSec,
      ...(this.opts.maxPixelBudget !== undefined ? { maxPixelBudget: this.opts.maxPixelBudget } : {}),
    });
  }

  async encode(plan: EncodePlan, inputPath: string, outDir: string, opts: EncodeOptions = {}): Promise<EncodeResult> {
    const started = Date.now();
    await Promise.all(plan.rungs.map((r) => mkdir(dirname(join(outDir, r.playlistPath)), { recursive: true })));
    const args = buildEncodeArgs(plan, inputPath, outDir, { progressUrl: 'pipe:1' });
    this.opts.logger?.debug({ args }, 'ffmpeg encode');

    const progress = new ProgressTracker(plan.input.durationSec, opts.onProgress);
    const result = await this.run(this.opts.ffmpegPath, args, {
      timeoutMs: this.opts.timeoutSec * 1000,
      onStdoutLine: (line) => progress.line(line),
      maxStdoutBytes: 0,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (result.timedOut) {
      throw new MediaError('transcode_timeout', `Transcoding took longer than ${this.opts.timeoutSec} s.`);
    }
    if (result.code === null) {
      // Killed by someone else (the kernel's OOM killer, an operator): not the
      // file's fault as far as we know, so a plain, retryable Error.
      throw new Error(`ffmpeg was killed by ${result.signal ?? 'a signal'} while transcoding (out of memory?)`);
    }
    if (result.code !== 0) throw encodeFailure(result, progress.frames);

    const renditions = await Promise.all(plan.rungs.map((r) => readRendition(outDir, r)));
    // The picture's length (constant rate after the fps filter) is the video's: the sound may be
    // padded past a picture that decoded short, so ffmpeg's out_time alone could hide a truncation.
    const pictureSec = progress.frames > 0 ? (progress.frames * plan.frameRate.den) / plan.frameRate.num : null;
    const decoded = pictureSec ?? progress.outTimeSec ?? Math.max(0, ...renditions.map((r) => sum(r.segments.map((s) => s.durationSec))));
    this.checkDecoded(plan, decoded, progress.frames, renditions);
    opts.onProgress?.(1);
    return { renditions, decodedDurationSec: decoded, framesEncoded: progress.frames, elapsedMs: Date.now() - started };
  }

  /**
   * ffmpeg exits 0 on some broken files (sample tables pointing past the end,
   * truncated Matroska): what came out must match what the header promised.
   */
  private checkDecoded(plan: EncodePlan, decodedSec: number, frames: number, renditions: RenditionOutput[]): void {
    if (frames === 0 || renditions.some((r) => r.segments.length === 0)) {
      throw new MediaError('corrupt_media', 'No picture could be decoded from the file.');
    }
    const claimed = plan.input.durationSec;
    if (claimed !== null && decodedSec < claimed * TRUNCATED_RATIO && claimed - decodedSec > TRUNCATED_MIN_GAP_SEC) {
      throw new MediaError(
        'truncated_media',
        `The file is incomplete: its header says ${claimed.toFixed(1)} s but only ${decodedSec.toFixed(1)} s could be decoded.`,
      );
    }
    // Reached only when the header understated the length (or had none): -t stopped ffmpeg.
    if (decodedSec > plan.maxDurationSec + 0.5) {
      if (plan.maxDurationBy === 'pixel_budget') {
        throw new MediaError(
          'pixel_budget_exceeded',
          `At ${plan.input.codedWidth}x${plan.input.codedHeight} and this frame rate a video can be up to ${plan.maxDurationSec} s long; this one is longer.`,
        );
      }
      throw new MediaError('duration_too_long', `The video is longer than the ${plan.maxDurationSec} s limit.`);
    }
  }

  async makeProgressiveMp4(rendition: RenditionOutput, outPath: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    // init + segments is a valid fragmented MP4; a stream copy rewrites it as
    // one progressive file with the index first (faststart), no re-encode.
    const fragmented = `${outPath}.frag.mp4`;
    await concatFiles(fragmented, [rendition.initPath, ...rendition.segments.map((s) => join(rendition.dir, s.uri))]);
    try {
      await this.finishingStep(
        [
          '-hide_banner',
          '-nostdin',
          '-loglevel',
          'error',
          '-y',
          ...safeInputArgs('mov', fragmented),
          '-map',
          '0',
          '-c',
          'copy',
          '-map_metadata',
          '-1',
          '-map_chapters',
          '-1',
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
          fileUrl(outPath),
        ],
        opts.signal,
        'progressive MP4',
      );
    } finally {
      await rm(fragmented, { force: true });
    }
  }

  async makePoster(rendition: RenditionOutput, atSec: number, outPath: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    // Only the segments up to the one holding `atSec` are needed.
    const upTo: string[] = [];
    let t = 0;
    for (const s of rendition.segments) {
      upTo.push(join(rendition.dir, s.uri));
      t += s.durationSec;
      if (t > atSec) break;
    }
    const fragmented = `${outPath}.frag.mp4`;
    await concatFiles(fragmented, [rendition.initPath, ...upTo]);
    const seek = Math.max(0, Math.min(atSec, t - 0.05));
    try {
      await this.finishingStep(
        [
          '-hide_banner',
          '-nostdin',
          '-loglevel',
          'error',
          '-y',
          '-ss',
          seek.toFixed(3),
          ...safeInputArgs('mov', fragmented),
          '-frames:v',
          '1',
          // JPEG is full-range BT.601 (JFIF); our frames are limited-range BT.709.
          '-vf',
          'zscale=min=709:m=170m:rin=limited:r=full,format=yuvj420p',
          '-q:v',
          '3',
          '-map_metadata',
          '-1',
          '-f',
          'image2',
          '-update',
          '1',
          fileUrl(outPath),
        ],
        opts.signal,
        'poster',
      );
    } finally {
      await rm(fragmented, { force: true });
    }
  }

  private async finishingStep(args: string[], signal: AbortSignal | undefined, what: string): Promise<void> {
    const result = await this.run(this.opts.ffmpegPath, args, { timeoutMs: FINISHING_TIMEOUT_MS, ...(signal ? { signal } : {}) });
    if (result.timedOut) throw new MediaError('transcode_timeout', `Making the ${what} took too long.`);
    if (result.code !== 0) {
      throw new MediaError('transcode_failed', `Making the ${what} failed: ${lastMeaningfulLine(result.stderr) || `exit ${result.code}`}`);
    }
  }

  /** Codec names with a software decoder in this ffmpeg (cached: the list never changes). */
  private decodableCodecs(): Promise<Set<string>> {
    if (!this.decoders) {
      this.decoders = queryTool(this.opts.ffmpegPath, ['-hide_banner', '-decoders'], 'FFMPEG_PATH').then((r) => parseDecoderList(r.stdout));
      this.decoders.catch(() => {
        this.decoders = null;
      });
    }
    return this.decoders;
  }

  private run(command: string, args: string[], opts: RunOptions): Promise<RunResult> {
    const env: ToolEnv = command === this.opts.ffprobePath ? 'FFPROBE_PATH' : 'FFMPEG_PATH';
    return runTool(command, env, args, opts);
  }
}

/** Follows ffmpeg's `-progress` key=value stream. */
class ProgressTracker {
  outTimeSec: number | null = null;
  frames = 0;
  private lastReported = -1;

  constructor(
    private readonly durationSec: number | null,
    private readonly onProgress: ((fraction: number) => void) | undefined,
  ) {}

  line(line: string): void {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'out_time_us') {
      const us = Number(value);
      if (Number.isFinite(us) && us >= 0) this.outTimeSec = us / 1e6;
    } else if (key === 'frame') {
      const n = Number(value);
      if (Number.isFinite(n)) this.frames = n;
    } else if (key === 'progress') {
      this.report();
    }
  }

  private report(): void {
    if (!this.onProgress || this.durationSec === null || this.outTimeSec === null) return;
    const fraction = Math.min(0.999, Math.max(0, this.outTimeSec / this.durationSec));
    if (fraction - this.lastReported >= 0.01) {
      this.lastReported = fraction;
      this.onProgress(fraction);
    }
  }
}

async function readRendition(outDir: string, rung: EncodePlan['rungs'][number]): Promise<RenditionOutput> {
  const playlistPath = join(outDir, rung.playlistPath);
  const dir = dirname(playlistPath);
  const playlist = await readMediaPlaylist(playlistPath);
  return {
    name: rung.name,
    width: rung.width,
    height: rung.height,
    dir,
    playlistPath,
    initPath: join(dir, playlist?.mapUri ?? `init_${rung.name}.mp4`),
    segments: playlist?.segments ?? [],
  };
}

function probeFailure(stderr: string): MediaError {
  const detail = lastMeaningfulLine(stderr);
  if (/moov atom not found|partial file|ended prematurely|end of file/i.test(stderr)) {
    return new MediaError('truncated_media', `The file is incomplete; the recording or upload was probably cut off (${detail}).`);
  }
  return new MediaError('corrupt_media', `The file could not be read as a video${detail ? ` (${detail})` : ''}.`);
}

function encodeFailure(result: RunResult, frames: number): MediaError {
  const detail = lastMeaningfulLine(result.stderr) || `ffmpeg exited with ${result.code ?? result.signal}`;
  if (/Decoder \(codec [^)]*\) not found|not supported|Unsupported codec/i.test(result.stderr)) {
    return new MediaError('unsupported_codec', `The video cannot be decoded: ${detail}.`);
  }
  if (frames === 0 || /Invalid data|corrupt|error while decoding|invalid frame|partial file|broken header/i.test(result.stderr)) {
    return new MediaError('corrupt_media', `The video could not be decoded: ${detail}.`);
  }
  return new MediaError('transcode_failed', `Transcoding failed: ${detail}.`);
}

async function concatFiles(target: string, parts: readonly string[]): Promise<void> {
  const out = await open(target, 'w');
  try {
    for (const part of parts) await out.write(await readFile(part));
  } finally {
    await out.close();
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
