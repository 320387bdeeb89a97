import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EncodePlan, MediaSegment, RungPlan } from '../../ports/transcoder.js';
import { codecsFromInitSegment } from './codec-string.js';
import { readTextIfExists } from '../../lib/read-text.js';

/**
 * HLS text: reading the media playlists ffmpeg writes (while it writes them)
 * and building the master playlist, first from the plan's estimates (so the
 * video plays early) and then from measured segments.
 */

export interface MediaPlaylist {
  /** URI of the init segment (EXT-X-MAP), relative to the playlist. */
  mapUri: string | null;
  segments: MediaSegment[];
  /** EXT-X-ENDLIST seen: ffmpeg finished this rendition. */
  ended: boolean;
  targetDurationSec: number | null;
  /** The exact text parsed, so it can be published as is. */
  text: string;
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('not an HLS playlist (no #EXTM3U header)');
  let mapUri: string | null = null;
  let targetDurationSec: number | null = null;
  let ended = false;
  let pendingDuration: number | null = null;
  const segments: MediaSegment[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXT-X-MAP:')) {
      mapUri = attribute(line, 'URI');
    } else if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      targetDurationSec = Number(line.slice('#EXT-X-TARGETDURATION:'.length));
    } else if (line.startsWith('#EXTINF:')) {
      pendingDuration = Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line === '#EXT-X-ENDLIST') {
      ended = true;
    } else if (!line.startsWith('#')) {
      // A URI line: a segment only when its EXTINF came first.
      if (pendingDuration !== null && Number.isFinite(pendingDuration)) {
        segments.push({ uri: line, durationSec: pendingDuration });
      }
      pendingDuration = null;
    }
  }
  return { mapUri, segments, ended, targetDurationSec, text };
}

/** The media playlist at `path`, or null while ffmpeg has not written it yet. */
export async function readMediaPlaylist(path: string): Promise<MediaPlaylist | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  // Rename-on-write (hls_flags temp_file) means a complete file, but be strict anyway.
  if (!text.startsWith('#EXTM3U')) return null;
  return parseMediaPlaylist(text);
}

function attribute(line: string, name: string): string | null {
  const m = line.match(new RegExp(`${name}="([^"]*)"`)) ?? line.match(new RegExp(`${name}=([^,]*)`));
  return m ? m[1]! : null;
}

export interface Variant {
  /** Relative to the master playlist, e.g. "720p/index.m3u8". */
  uri: string;
  /** Peak bits per second. */
  bandwidth: number;
  averageBandwidth?: number;
  width: number;
  height: number;
  codecs: string;
  frameRate: number;
}

/**
 * A master playlist. The first variant is where most players start, so it
 * is the 720p-ish rung (sharp on a phone, quick to fetch); the rest follow
 * from best to worst.
 */
export function buildMasterPlaylist(variants: readonly Variant[]): string {
  if (variants.length === 0) throw new Error('a master playlist needs at least one variant');
  const ordered = startFirst(variants);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of ordered) {
    const attrs = [
      `BANDWIDTH=${Math.round(v.bandwidth)}`,
      ...(v.averageBandwidth !== undefined ? [`AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth)}`] : []),
      `RESOLUTION=${v.width}x${v.height}`,
      `CODECS="${v.codecs}"`,
      `FRAME-RATE=${v.frameRate.toFixed(3)}`,
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  return `${lines.join('\n')}\n`;
}

/** Preferred start rung: 720 short side, else the best one below it, else the smallest. */
const START_SHORT_SIDE = 720;

function startFirst(variants: readonly Variant[]): Variant[] {
  const byQuality = [...variants].sort((a, b) => b.bandwidth - a.bandwidth);
  const short = (v: Variant): number => Math.min(v.width, v.height);
  const start = byQuality.find((v) => short(v) <= START_SHORT_SIDE) ?? byQuality[byQuality.length - 1]!;
  return [start, ...byQuality.filter((v) => v !== start)];
}

/** The media playlist's URI relative to the master (both under hls/). */
export function variantUri(rung: RungPlan): string {
  return rung.playlistPath.replace(/^hls\//, '');
}

/**
 * Variants estimated from the plan, for the early master written before any
 * rung is finished: BANDWIDTH from the VBV cap plus audio and ~5% container
 * overhead; CODECS from the init segments when known, else from the plan.
 */
export function variantsFromPlan(plan: EncodePlan, codecsByRung: ReadonlyMap<string, string> = new Map()): Variant[] {
  const fps = plan.frameRate.num / plan.frameRate.den;
  const audioBps = plan.audio ? plan.audio.bitrateKbps * 1000 : 0;
  return plan.rungs.map((r) => ({
    uri: variantUri(r),
    bandwidth: Math.round((r.maxrateKbps * 1000 + audioBps) * 1.05),
    width: r.width,
    height: r.height,
    codecs: codecsByRung.get(r.name) ?? plannedCodecs(r, fps, plan.audio !== null),
    frameRate: fps,
  }));
}

/** CODECS as x264 will most likely write it: High profile, level from the frame size and rate. */
export function plannedCodecs(rung: Pick<RungPlan, 'width' | 'height' | 'maxrateKbps'>, fps: number, audio: boolean): string {
  const level = h264Level(rung.width, rung.height, fps, rung.maxrateKbps);
  const video = `avc1.6400${level.toString(16).padStart(2, '0')}`;
  return audio ? `${video},mp4a.40.2` : video;
}

/** H.264 levels (Table A-1): [level_idc, max macroblocks/s, max frame macroblocks, max High-profile kbit/s]. */
const H264_LEVELS: ReadonlyArray<readonly [number, number, number, number]> = [
  [10, 1485, 99, 80],
  [11, 3000, 396, 240],
  [12, 6000, 396, 480],
  [13, 11880, 396, 960],
  [20, 11880, 396, 2500],
  [21, 19800, 792, 5000],
  [22, 20250, 1620, 5000],
  [30, 40500, 1620, 12500],
  [31, 108000, 3600, 17500],
  [32, 216000, 5120, 25000],
  [40, 245760, 8192, 25000],
  [41, 245760, 8192, 62500],
  [42, 522240, 8704, 62500],
  [50, 589824, 22080, 168750],
  [51, 983040, 36864, 300000],
  [52, 2073600, 36864, 300000],
];

export function h264Level(width: number, height: number, fps: number, maxrateKbps: number): number {
  const frameMbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const mbps = frameMbs * fps;
  for (const [level, maxMbps, maxFrame, maxKbps] of H264_LEVELS) {
    if (frameMbs <= maxFrame && mbps <= maxMbps && maxrateKbps <= maxKbps) return level;
  }
  return 52;
}

export interface MeasuredRendition {
  bytes: number;
  /** Peak segment bitrate, bits/s (what BANDWIDTH means). */
  peakBitrate: number;
  averageBitrate: number;
  durationSec: number;
  codecs: string;
}

/**
 * Sizes every segment of a finished rendition. The peak ignores a final
 * stub segment (a keyframe in 0.1 s would claim a huge rate) unless every
 * segment is a stub.
 */
export async function measureRendition(dir: string, playlist: MediaPlaylist): Promise<MeasuredRendition> {
  const sizes = await Promise.all(playlist.segments.map(async (s) => (await stat(join(dir, s.uri))).size));
  const init = playlist.mapUri ? await readFile(join(dir, playlist.mapUri)) : null;
  const target = playlist.targetDurationSec ?? 2;
  const rates = playlist.segments.map((s, i) => ({
    rate: ((sizes[i] ?? 0) * 8) / Math.max(s.durationSec, 1e-3),
    full: s.durationSec >= target / 2,
  }));
  const fullRates = rates.filter((r) => r.full).map((r) => r.rate);
  const peakBitrate = Math.max(0, ...(fullRates.length > 0 ? fullRates : rates.map((r) => r.rate)));
  const segmentBytes = sizes.reduce((a, b) => a + b, 0);
  const durationSec = playlist.segments.reduce((a, s) => a + s.durationSec, 0);
  return {
    bytes: segmentBytes + (init?.length ?? 0),
    peakBitrate: Math.round(peakBitrate),
    averageBitrate: durationSec > 0 ? Math.round((segmentBytes * 8) / durationSec) : 0,
    durationSec,
    codecs: init ? codecsFromInitSegment(init).join(',') : '',
  };
}
