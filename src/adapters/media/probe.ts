import { MediaError } from '../../errors.js';
import type {
  AudioStreamInfo,
  ColorMatrix,
  HdrTransfer,
  MediaInfo,
  Orientation,
  SniffResult,
  VideoStreamInfo,
} from '../../ports/transcoder.js';
import { orientationFromMatrix, orientationFromRotation, parseDisplayMatrixText, swapsAxes } from '../../modules/media/orientation.js';
import { decodeCost } from '../../modules/media/plan.js';

/**
 * Turning ffprobe's JSON into a validated MediaInfo. Pure, so every rule is
 * unit-tested with canned JSON; the process plumbing lives in the transcoder.
 */

/** Largest accepted frame: 8K UHD, either orientation. */
export const MAX_LONG_SIDE = 7680;
export const MAX_SHORT_SIDE = 4320;
/** Smaller than this is not a picture anyone can watch. */
export const MIN_SIDE = 16;

/** The subset of `ffprobe -show_format -show_streams -print_format json` we read. */
export interface ProbeJson {
  format?: {
    format_name?: string;
    start_time?: string;
    duration?: string;
    size?: string;
    nb_streams?: number;
  };
  streams?: ProbeStream[];
}

export interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  codec_tag_string?: string;
  profile?: string;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  start_time?: string;
  duration?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  field_order?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: Array<Record<string, unknown>>;
}

export interface InterpretContext {
  sniff: SniffResult;
  /** Codec names ffmpeg has a (software) decoder for. */
  decodableCodecs: ReadonlySet<string>;
  maxDurationSec: number;
  /** Decoded pixels per second (width × height × fps) a video may need; absent = no limit. */
  maxPixelRate?: number;
  /** Decoded pixels a whole video may need (that times its duration); absent = no limit. */
  maxPixelBudget?: number;
  /** ffprobe's stderr at `-v error`: non-empty means it met broken data. */
  probeErrors: string;
}

/** Validates a probe result; throws MediaError with the reason a file cannot become a video. */
export function interpretProbe(json: ProbeJson, ctx: InterpretContext): MediaInfo {
  const streams = json.streams ?? [];
  if (streams.length === 0) {
    throw new MediaError('no_video_stream', 'The file contains no audio or video streams.');
  }
  const candidates = streams.filter(isPictureStream);
  if (candidates.length === 0) {
    throw new MediaError('no_video_stream', 'The file has no video stream (audio only, or only a cover image).');
  }
  const chosen = pickVideoStream(candidates, ctx.decodableCodecs);
  const video = interpretVideo(chosen, ctx, finiteNumber(json.format?.start_time));
  const durationSec = positiveNumber(json.format?.duration) ?? video.durationSec;
  if (durationSec !== null && durationSec > ctx.maxDurationSec) {
    throw new MediaError(
      'duration_too_long',
      `The video is ${formatSeconds(durationSec)} long; the limit is ${formatSeconds(ctx.maxDurationSec)}.`,
    );
  }
  checkDecodeCost(video, durationSec, ctx);
  return {
    family: ctx.sniff.family,
    demuxer: ctx.sniff.demuxer,
    formatName: json.format?.format_name ?? ctx.sniff.demuxer,
    sizeBytes: ctx.sniff.sizeBytes,
    durationSec,
    video,
    audio: pickAudioStream(streams, ctx.decodableCodecs),
  };
}

/**
 * Refuses a source whose decode alone would cost more than the limits allow:
 * too many pixels per second (an 8K 120 fps clip), or in all (an 8K clip of
 * many minutes). Every phone format passes the defaults, 4K60 for the
 * longest allowed duration included.
 */
function checkDecodeCost(video: VideoStreamInfo, durationSec: number | null, ctx: InterpretContext): void {
  const cost = decodeCost({ video, durationSec });
  const size = `${video.codedWidth}x${video.codedHeight}`;
  const fps = Math.round(cost.fps * 100) / 100;
  if (ctx.maxPixelRate !== undefined && cost.pixelRate > ctx.maxPixelRate) {
    throw new MediaError(
      'pixel_rate_too_high',
      `The video is ${size} at ${fps} fps (${megapixels(cost.pixelRate)} megapixels a second); ` +
        `the limit is ${megapixels(ctx.maxPixelRate)}. Export it at a lower resolution or frame rate.`,
    );
  }
  if (ctx.maxPixelBudget !== undefined && cost.totalPixels !== null && cost.totalPixels > ctx.maxPixelBudget) {
    throw new MediaError(
      'pixel_budget_exceeded',
      `At ${size} and ${fps} fps a video can be up to ${formatSeconds(ctx.maxPixelBudget / cost.pixelRate)} long; ` +
        `this one is ${formatSeconds(durationSec ?? 0)}. Export it shorter or at a lower resolution.`,
    );
  }
}

function megapixels(n: number): string {
  return String(Math.round(n / 1e6));
}

function isPictureStream(s: ProbeStream): boolean {
  if (s.codec_type !== 'video') return false;
  // Cover art and thumbnails ride along as one-frame "video" streams.
  if (s.disposition?.['attached_pic'] === 1 || s.disposition?.['still_image'] === 1) return false;
  return true;
}

/**
 * Picks the main picture among several: decodable first, then the default
 * track, then the one with the most frames, then the largest. Frame count
 * beats size because motion photos carry a larger track of a few stills
 * next to the real video (ffmpeg's own choice, the largest, picks the stills).
 */
export function pickVideoStream(candidates: ProbeStream[], decodable: ReadonlySet<string>): ProbeStream {
  const score = (s: ProbeStream): number[] => [
    hasDecoder(s, decodable) ? 1 : 0,
    s.disposition?.['default'] === 1 ? 1 : 0,
    estimatedFrames(s),
    (s.width ?? 0) * (s.height ?? 0),
  ];
  return candidates.reduce((best, s) => (compareScores(score(s), score(best)) > 0 ? s : best));
}

function compareScores(x: number[], y: number[]): number {
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function estimatedFrames(s: ProbeStream): number {
  const n = positiveNumber(s.nb_frames);
  if (n !== null) return n;
  const duration = positiveNumber(s.duration);
  const fps = parseRate(s.avg_frame_rate) ?? parseRate(s.r_frame_rate);
  return duration !== null && fps !== null ? Math.round(duration * fps) : 0;
}

function hasDecoder(s: ProbeStream, decodable: ReadonlySet<string>): boolean {
  return !!s.codec_name && s.codec_name !== 'none' && decodable.has(s.codec_name);
}

function interpretVideo(s: ProbeStream, ctx: InterpretContext, fileStartSec: number | null): VideoStreamInfo {
  if (!hasDecoder(s, ctx.decodableCodecs)) {
    const name = s.codec_name && s.codec_name !== 'none' ? s.codec_name : s.codec_tag_string || 'unknown';
    throw new MediaError('unsupported_codec', `The video codec (${name}) is not supported.`);
  }
  const codec = s.codec_name!;
  const codedWidth = s.width ?? 0;
  const codedHeight = s.height ?? 0;
  if (!(codedWidth > 0 && codedHeight > 0)) {
    throw new MediaError('dimensions_invalid', 'The video stream does not say how large its pictures are.');
  }
  const long = Math.max(codedWidth, codedHeight);
  const short = Math.min(codedWidth, codedHeight);
  if (long > MAX_LONG_SIDE || short > MAX_SHORT_SIDE) {
    throw new MediaError(
      'dimensions_too_large',
      `The video is ${codedWidth}x${codedHeight}; the largest accepted is ${MAX_LONG_SIDE}x${MAX_SHORT_SIDE} (8K).`,
    );
  }
  if (short < MIN_SIDE) {
    throw new MediaError('dimensions_invalid', `The video is ${codedWidth}x${codedHeight}, too small to show.`);
  }
  const pixFmt = s.pix_fmt && s.pix_fmt !== 'none' ? s.pix_fmt : null;
  // ffprobe decodes a frame to learn the pixel format; no format plus errors
  // means not even one frame decoded (corrupt bitstream, stripped sample tables).
  if (pixFmt === null && ctx.probeErrors.trim() !== '') {
    throw new MediaError('corrupt_media', `The video stream cannot be decoded (${firstLine(ctx.probeErrors)}).`);
  }
  const dolbyVision = readDolbyVision(s);
  // Profile 5 (and 10.0) have no SDR/HDR10/HLG-compatible base layer: without
  // the Dolby Vision reshaping they decode to purple-and-green pictures.
  if (dolbyVision && (dolbyVision.profile === 5 || (dolbyVision.profile === 10 && dolbyVision.compatibilityId === 0))) {
    throw new MediaError('unsupported_codec', 'Dolby Vision profile 5 video is not supported; export as HDR10, HLG or SDR.');
  }

  const sar = parseRatio(s.sample_aspect_ratio) ?? 1;
  // Real anamorphic video stays within ~1:4..4:1; a header claiming more would turn a
  // small frame into a gigantic encode.
  if (!(sar >= 0.25 && sar <= 4)) {
    throw new MediaError('dimensions_invalid', `The pixel aspect ratio ${s.sample_aspect_ratio ?? ''} is not plausible.`);
  }
  const orientation = readOrientation(s);
  // Display size before rotation: stretch the width by the pixel aspect.
  const shownWidth = Math.max(1, Math.round(codedWidth * sar));
  const [displayWidth, displayHeight] = swapsAxes(orientation) ? [codedHeight, shownWidth] : [shownWidth, codedHeight];

  return {
    index: s.index,
    codec,
    profile: s.profile ?? null,
    pixFmt,
    bitDepth: bitDepthOf(pixFmt, s.bits_per_raw_sample),
    codedWidth,
    codedHeight,
    sampleAspectRatio: sar,
    displayWidth,
    displayHeight,
    orientation,
    realFrameRate: parseRate(s.r_frame_rate),
    avgFrameRate: parseRate(s.avg_frame_rate),
    frameCount: positiveNumber(s.nb_frames),
    durationSec: positiveNumber(s.duration),
    startSec: startAfterFile(finiteNumber(s.start_time), fileStartSec),
    fullRange: s.color_range === 'pc' || (pixFmt?.startsWith('yuvj') ?? false),
    matrix: matrixOf(s.color_space, codedWidth, codedHeight),
    wideGamut: s.color_primaries === 'bt2020',
    hdr: hdrOf(s.color_transfer),
    interlaced: ['tt', 'bb', 'tb', 'bt'].includes(s.field_order ?? ''),
    dolbyVision,
  };
}

function readOrientation(s: ProbeStream): Orientation {
  const matrix = s.side_data_list?.find((d) => d['side_data_type'] === 'Display Matrix');
  if (matrix) {
    const text = matrix['displaymatrix'];
    const parsed = typeof text === 'string' ? parseDisplayMatrixText(text) : null;
    const fromMatrix = parsed ? orientationFromMatrix(parsed) : null;
    if (fromMatrix) return fromMatrix;
    const rotation = Number(matrix['rotation']);
    if (Number.isFinite(rotation)) return orientationFromRotation(rotation);
  }
  // Older muxers (and ffmpeg < 5) expose the angle as a `rotate` tag (clockwise).
  const tag = Number(s.tags?.['rotate']);
  if (Number.isFinite(tag) && tag !== 0) return orientationFromRotation(-tag);
  return { rotation: 0, mirrored: false };
}

function readDolbyVision(s: ProbeStream): VideoStreamInfo['dolbyVision'] {
  const dv = s.side_data_list?.find((d) => d['side_data_type'] === 'DOVI configuration record');
  if (!dv) return null;
  return {
    profile: Number(dv['dv_profile'] ?? 0),
    compatibilityId: Number(dv['dv_bl_signal_compatibility_id'] ?? 0),
  };
}

function pickAudioStream(streams: ProbeStream[], decodable: ReadonlySet<string>): AudioStreamInfo | null {
  // An undecodable audio track should not sink the video: we drop it instead.
  const audio = streams.filter((s) => s.codec_type === 'audio' && hasDecoder(s, decodable) && (s.channels ?? 0) > 0);
  const chosen = audio.find((s) => s.disposition?.['default'] === 1) ?? audio[0];
  if (!chosen) return null;
  return {
    index: chosen.index,
    codec: chosen.codec_name!,
    channels: chosen.channels ?? 0,
    sampleRate: positiveNumber(chosen.sample_rate) ?? 0,
  };
}

function hdrOf(transfer: string | undefined): HdrTransfer | null {
  if (transfer === 'smpte2084') return 'pq';
  if (transfer === 'arib-std-b67') return 'hlg';
  return null;
}

/** The YUV matrix, guessing like players do when untagged: SD is BT.601, HD is BT.709. */
function matrixOf(space: string | undefined, width: number, height: number): ColorMatrix {
  switch (space) {
    case 'bt709':
      return 'bt709';
    case 'bt470bg':
    case 'smpte170m':
    case 'bt601':
      return 'bt601';
    case 'bt2020nc':
    case 'bt2020c':
      return 'bt2020';
    default:
      return Math.max(width, height) >= 1280 || Math.min(width, height) >= 720 ? 'bt709' : 'bt601';
  }
}

function bitDepthOf(pixFmt: string | null, bitsPerRawSample: string | undefined): number {
  const m = pixFmt?.match(/p(9|10|12|14|16)(le|be)?$/);
  if (m) return Number(m[1]);
  const raw = positiveNumber(bitsPerRawSample);
  return raw ?? 8;
}

/** "30000/1001" → 29.97; null for 0/0, N/A and rates no camera produces. */
export function parseRate(text: string | undefined): number | null {
  const r = parseRatio(text);
  return r !== null && r >= 0.1 && r <= 10_000 ? r : null;
}

function parseRatio(text: string | undefined): number | null {
  if (!text) return null;
  const m = text.match(/^(-?\d+(?:\.\d+)?)[/:](\d+(?:\.\d+)?)$/);
  if (!m) return positiveNumber(text);
  const num = Number(m[1]);
  const den = Number(m[2]);
  if (!(den > 0) || !(num > 0)) return null;
  return num / den;
}

/**
 * Where a stream starts on the timeline ffmpeg decodes it on: ffmpeg shifts
 * every input so the file starts at 0, so a stream's start is its own less
 * the file's (the earliest of all its streams). Null when either is unknown.
 */
function startAfterFile(streamStart: number | null, fileStart: number | null): number | null {
  if (streamStart === null || fileStart === null) return null;
  return Math.max(0, streamStart - fileStart);
}

function finiteNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function positiveNumber(text: string | number | undefined): number | null {
  if (text === undefined) return null;
  const n = typeof text === 'number' ? text : Number(text);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function firstLine(text: string): string {
  return cleanFfmpegLine(text.split('\n').find((l) => l.trim() !== '') ?? '');
}

/** Strips ffmpeg's "[h264 @ 0x55d…] " context prefix and trims to a readable length. */
export function cleanFfmpegLine(line: string): string {
  return line
    .replace(/^\s*\[[^\]]*@\s*0x[0-9a-f]+\]\s*/i, '')
    .trim()
    .slice(0, 200);
}

function formatSeconds(sec: number): string {
  if (sec < 90) return `${Math.round(sec * 10) / 10} s`;
  const m = Math.floor(sec / 60);
  const s = Math.round(sec % 60);
  return `${m} min ${s} s`;
}

/**
 * Parses `ffmpeg -hide_banner -decoders` into the codec names that have a
 * software decoder. Hardware wrappers (cuvid, qsv, v4l2m2m, …) are skipped:
 * they exist in the build but not on the machine.
 */
export function parseDecoderList(text: string): Set<string> {
  const codecs = new Set<string>();
  const hardware = /_(cuvid|qsv|v4l2m2m|mediacodec|mmal|rkmpp|crystalhd|vdpau|vaapi|videotoolbox|amf|nvdec)$/;
  let inTable = false;
  for (const line of text.split('\n')) {
    if (/^\s*-{3,}\s*$/.test(line)) {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    const m = line.match(/^\s*([VAS][.A-Z]{5})\s+(\S+)\s*(.*)$/);
    if (!m) continue;
    const name = m[2]!;
    if (hardware.test(name)) continue;
    const aliased = (m[3] ?? '').match(/\(codec ([^)\s]+)\)\s*$/);
    codecs.add(aliased ? aliased[1]! : name);
  }
  return codecs;
}
