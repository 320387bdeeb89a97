import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { FfmpegTranscoder } from '../../src/adapters/media/ffmpeg-transcoder.js';
import { parseMediaPlaylist } from '../../src/modules/media/hls.js';
import type { Publish, PublishOptions } from '../../src/modules/media/pipeline.js';
import type { MediaInfo, VideoStreamInfo } from '../../src/ports/transcoder.js';

/** Shared by the media tests: planner inputs, a real transcoder, input makers and a checking publisher. */

const run = promisify(execFile);

export const FFMPEG = process.env['FFMPEG_PATH'] || 'ffmpeg';
export const FFPROBE = process.env['FFPROBE_PATH'] || 'ffprobe';

/** A MediaInfo for planner tests: a plain 1080x1920 30 fps portrait phone clip unless overridden. */
export function mediaInfo(video: Partial<VideoStreamInfo> = {}, rest: Partial<MediaInfo> = {}): MediaInfo {
  const codedWidth = video.codedWidth ?? 1080;
  const codedHeight = video.codedHeight ?? 1920;
  return {
    family: 'isobmff',
    demuxer: 'mov',
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 1_000_000,
    durationSec: 10,
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
    ...rest,
    video: {
      index: 0,
      codec: 'h264',
      profile: 'High',
      pixFmt: 'yuv420p',
      bitDepth: 8,
      codedWidth,
      codedHeight,
      sampleAspectRatio: 1,
      displayWidth: codedWidth,
      displayHeight: codedHeight,
      orientation: { rotation: 0, mirrored: false },
      realFrameRate: 30,
      avgFrameRate: 30,
      frameCount: 300,
      durationSec: 10,
      startSec: 0,
      fullRange: false,
      matrix: 'bt709',
      wideGamut: false,
      hdr: null,
      interlaced: false,
      dolbyVision: null,
      ...video,
    },
  };
}

export function testTranscoder(
  opts: { maxDurationSec?: number; timeoutSec?: number; maxPixelRate?: number; maxPixelBudget?: number } = {},
): FfmpegTranscoder {
  return new FfmpegTranscoder({
    ffmpegPath: FFMPEG,
    ffprobePath: FFPROBE,
    maxDurationSec: opts.maxDurationSec ?? 600,
    timeoutSec: opts.timeoutSec ?? 300,
    ...(opts.maxPixelRate !== undefined ? { maxPixelRate: opts.maxPixelRate } : {}),
    ...(opts.maxPixelBudget !== undefined ? { maxPixelBudget: opts.maxPixelBudget } : {}),
  });
}

/** Runs ffmpeg (quietly) to make a test input. */
export async function ffmpeg(args: string[]): Promise<void> {
  await run(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

export interface ProbedFile {
  format?: { tags?: Record<string, string>; duration?: string };
  streams: Array<{
    codec_type: string;
    codec_name?: string;
    profile?: string;
    pix_fmt?: string;
    width?: number;
    height?: number;
    sample_aspect_ratio?: string;
    channels?: number;
    sample_rate?: string;
    color_range?: string;
    color_space?: string;
    color_transfer?: string;
    color_primaries?: string;
    tags?: Record<string, string>;
    side_data_list?: Array<Record<string, unknown>>;
  }>;
}

export async function ffprobe(path: string): Promise<ProbedFile> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-show_format', '-show_streams', '-print_format', 'json', path], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const json = JSON.parse(stdout) as Partial<ProbedFile>;
  return { ...json, streams: json.streams ?? [] };
}

export interface PublishedObject extends PublishOptions {
  key: string;
  /** Position in publish order. */
  seq: number;
}

/**
 * A `publish` that copies into a folder and records every call, checking the
 * pipeline's promise as it goes: a playlist is only published once every
 * segment it lists (and its init segment) has been.
 */
export function recordingPublisher(root: string): { publish: Publish; log: PublishedObject[]; violations: string[] } {
  const log: PublishedObject[] = [];
  const violations: string[] = [];
  const published = new Set<string>();
  const publish: Publish = async (localPath, key, opts) => {
    if (key.endsWith('/index.m3u8')) {
      const playlist = parseMediaPlaylist(await readFile(localPath, 'utf8'));
      const folder = key.slice(0, key.lastIndexOf('/') + 1);
      for (const uri of [...(playlist.mapUri ? [playlist.mapUri] : []), ...playlist.segments.map((s) => s.uri)]) {
        if (!published.has(folder + uri)) violations.push(`${key} listed ${uri} before it was published`);
      }
    }
    const target = join(root, key);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(localPath, target);
    published.add(key);
    log.push({ key, seq: log.length, ...opts });
  };
  return { publish, log, violations };
}

/** The last publish of each key. */
export function latestByKey(log: readonly PublishedObject[]): Map<string, PublishedObject> {
  const out = new Map<string, PublishedObject>();
  for (const entry of log) out.set(entry.key, entry);
  return out;
}

/** 2 s of red, then 2 s of blue (no audio, 360×640): which half a poster came from is plain from its colour. */
export async function makeRedBlueClip(path: string): Promise<void> {
  await ffmpeg([
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=red:s=360x640:r=30:d=2',
    '-f',
    'lavfi',
    '-i',
    'color=c=blue:s=360x640:r=30:d=2',
    '-filter_complex',
    '[0:v][1:v]concat=n=2:v=1:a=0[v]',
    '-map',
    '[v]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    path,
  ]);
}

/** The average colour of a JPEG, as [r, g, b], decoded by ffmpeg (written into `dir` first). */
export async function averageColour(jpeg: Buffer, dir: string): Promise<[number, number, number]> {
  const { writeFile } = await import('node:fs/promises');
  const path = join(dir, `poster-${Math.random().toString(36).slice(2)}.jpg`);
  await writeFile(path, jpeg);
  const { stdout } = await run(
    FFMPEG,
    ['-v', 'error', '-i', path, '-vf', 'scale=1:1:flags=area', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    {
      encoding: 'buffer',
    },
  );
  const px = stdout as unknown as Buffer;
  return [px[0]!, px[1]!, px[2]!];
}

export const isRed = ([r, g, b]: [number, number, number]): boolean => r > 180 && g < 80 && b < 80;
export const isBlue = ([r, g, b]: [number, number, number]): boolean => b > 180 && r < 80 && g < 80;
