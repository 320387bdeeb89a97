import type { EncodePlan, MediaInfo, Rational, RungPlan, VideoStreamInfo } from '../../ports/transcoder.js';

/**
 * The encoding planner: every decision about the ladder, in one pure
 * function, so it can be unit-tested exhaustively and run anywhere.
 */

/** Rungs by SHORT side, so portrait (1080x1920) and landscape get the same quality names. */
export const LADDER_SHORT_SIDES = [1080, 720, 540, 360] as const;
/** Keyframe interval and segment length; equal so every segment starts on a keyframe. */
export const SEGMENT_SEC = 2;
export const MAX_FPS = 60;
export const MIN_FPS = 10;
export const CRF = 23;
export const X264_PRESET = 'veryfast';
export const AUDIO_BITRATE_KBPS = 128;

/**
 * Peak bitrates (VBV maxrate, kbit/s) at 30 fps for the 16:9 rungs; other
 * sizes are interpolated by pixel count. CRF does the real work; the cap
 * keeps the worst segment streamable on a phone connection.
 */
const BITRATE_ANCHORS: ReadonlyArray<readonly [pixels: number, kbps: number]> = [
  [640 * 360, 800],
  [960 * 540, 1600],
  [1280 * 720, 2800],
  [1920 * 1080, 5000],
];
const MIN_MAXRATE_KBPS = 200;

/** A source short side this much above the best standard rung below it gets its own top rung. */
const NATIVE_RUNG_MARGIN = 1.2;

/** Frame rates players and TVs know; a measured rate this close snaps to one of them. */
const STANDARD_RATES: readonly Rational[] = [
  { num: 24000, den: 1001 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 30, den: 1 },
  { num: 48, den: 1 },
  { num: 50, den: 1 },
  { num: 60000, den: 1001 },
  { num: 60, den: 1 },
];
const SNAP_TOLERANCE = 0.015;

export interface PlanOptions {
  maxDurationSec: number;
  /** Decoded pixels the whole video may need (see decodeCost); absent = no budget. */
  maxPixelBudget?: number;
}

/** A frame rate no camera records; an r_frame_rate above it is a timebase, not a rate. */
const MAX_PLAUSIBLE_FPS = 1000;

/**
 * What decoding a source costs, in pixels: its stored frame size times the
 * frames per second the decoder will produce (the average rate, which
 * variable-rate phone clips state truthfully; r_frame_rate only when no
 * average is known), and that times the duration when there is one. The
 * pixel rate caps how expensive each second is, the total caps the job.
 */
export interface DecodeCost {
  fps: number;
  /** width × height × fps. */
  pixelRate: number;
  /** pixelRate × duration; null when the header states no duration. */
  totalPixels: number | null;
}

export function decodeCost(info: Pick<MediaInfo, 'video' | 'durationSec'>): DecodeCost {
  const v = info.video;
  const duration = info.durationSec ?? v.durationSec;
  let fps = v.avgFrameRate;
  if (fps === null && v.frameCount !== null && duration !== null) fps = v.frameCount / duration;
  if (fps === null && v.realFrameRate !== null && v.realFrameRate <= MAX_PLAUSIBLE_FPS) fps = v.realFrameRate;
  fps ??= 30;
  const pixelRate = v.codedWidth * v.codedHeight * fps;
  return { fps, pixelRate, totalPixels: duration !== null ? pixelRate * duration : null };
}

/**
 * The longest this source may decode for: the duration limit, or less when
 * the pixel budget runs out sooner at its size and rate (which also bounds
 * files whose header understates or omits the duration).
 */
export function durationCap(
  info: Pick<MediaInfo, 'video' | 'durationSec'>,
  opts: PlanOptions,
): Pick<EncodePlan, 'maxDurationSec' | 'maxDurationBy' | 'maxFrames'> {
  if (opts.maxPixelBudget === undefined) return { maxDurationSec: opts.maxDurationSec, maxDurationBy: 'duration' };
  const byBudget = opts.maxPixelBudget / decodeCost(info).pixelRate;
  // Twice the budget's frames: an honest file always reaches the duration cap (which fails it with the
  // right reason) first; only a file whose timestamps lie about its rate is cut here, at twice the cost.
  const maxFrames = Math.max(1, Math.floor((2 * opts.maxPixelBudget) / (info.video.codedWidth * info.video.codedHeight)));
  return byBudget < opts.maxDurationSec
    ? { maxDurationSec: Math.floor(byBudget * 100) / 100, maxDurationBy: 'pixel_budget', maxFrames }
    : { maxDurationSec: opts.maxDurationSec, maxDurationBy: 'duration', maxFrames };
}

export function planEncode(info: MediaInfo, opts: PlanOptions): EncodePlan {
  const v = info.video;
  const frameRate = chooseFrameRate(v);
  const fps = frameRate.num / frameRate.den;
  return {
    input: {
      demuxer: info.demuxer,
      videoStreamIndex: v.index,
      audioStreamIndex: info.audio?.index ?? null,
      durationSec: info.durationSec,
      videoEndSec: v.startSec !== null && v.durationSec !== null ? roundMicro(v.startSec + v.durationSec) : null,
      codedWidth: v.codedWidth,
      codedHeight: v.codedHeight,
    },
    rungs: planLadder(v.displayWidth, v.displayHeight, fps),
    frameRate,
    gopFrames: Math.max(1, Math.round(SEGMENT_SEC * fps)),
    segmentSec: SEGMENT_SEC,
    video: { encoder: 'libx264', preset: X264_PRESET, profile: 'high', pixFmt: 'yuv420p' },
    filters: {
      deinterlace: v.interlaced,
      orientation: v.orientation,
      toneMap: v.hdr,
      inputMatrix: v.matrix,
      inputFullRange: v.fullRange,
      inputWideGamut: v.wideGamut,
    },
    audio: info.audio ? { codec: 'aac', bitrateKbps: AUDIO_BITRATE_KBPS, sampleRate: 48000, channels: 2 } : null,
    ...durationCap(info, opts),
  };
}

/** To the microsecond, ffmpeg's time base: 0.066667 + 8 is 8.066667, not 8.066667000000001. */
function roundMicro(sec: number): number {
  return Math.round(sec * 1e6) / 1e6;
}

/**
 * The ladder for an upright display size: the standard short sides that do
 * not upscale, plus the source's own size when it sits well above the best
 * of them (a 480-line clip keeps 480 rather than dropping to 360), or alone
 * when the source is smaller than the smallest rung.
 */
export function planLadder(displayWidth: number, displayHeight: number, fps: number): RungPlan[] {
  const portrait = displayHeight > displayWidth;
  const sourceShort = Math.min(displayWidth, displayHeight);
  const sourceLong = Math.max(displayWidth, displayHeight);
  const aspect = sourceLong / sourceShort;

  const shorts: number[] = LADDER_SHORT_SIDES.filter((s) => s <= sourceShort);
  const nativeShort = floorEven(sourceShort);
  const best = shorts[0];
  if (best === undefined || (best < LADDER_SHORT_SIDES[0] && nativeShort >= best * NATIVE_RUNG_MARGIN)) {
    shorts.unshift(nativeShort);
  }

  return shorts.map((short) => {
    // Keep the aspect; never exceed the source's own long side (rounding up could).
    const long = Math.min(roundEven(short * aspect), floorEven(sourceLong));
    const width = portrait ? short : long;
    const height = portrait ? long : short;
    const maxrateKbps = maxrateFor(width * height, fps);
    return {
      name: `${short}p`,
      width,
      height,
      shortSide: short,
      crf: CRF,
      maxrateKbps,
      bufsizeKbps: maxrateKbps * 2,
      playlistPath: `hls/${short}p/index.m3u8`,
    };
  });
}

/** VBV peak for a frame size and rate: log-log interpolation over the anchors, more for >30 fps. */
export function maxrateFor(pixels: number, fps: number): number {
  const anchors = BITRATE_ANCHORS;
  let lo = anchors[0] as readonly [number, number];
  let hi = anchors[1] as readonly [number, number];
  for (let i = 1; i < anchors.length; i++) {
    lo = anchors[i - 1] as readonly [number, number];
    hi = anchors[i] as readonly [number, number];
    if (pixels <= hi[0]) break;
  }
  const slope = Math.log(hi[1] / lo[1]) / Math.log(hi[0] / lo[0]);
  const base = lo[1] * Math.pow(pixels / lo[0], slope);
  const motion = fps > 30 ? 1 + (0.5 * (Math.min(fps, MAX_FPS) - 30)) / 30 : 1;
  return Math.max(MIN_MAXRATE_KBPS, Math.round((base * motion) / 50) * 50);
}

/**
 * One constant output rate for a source whose rate may be variable or
 * garbage. Like ffmpeg's av_guess_frame_rate: r_frame_rate (the rate that
 * represents every timestamp) unless it is implausibly high (a timebase, or
 * a 120 Hz VFR phone clip), then the average. Interlaced streams report the
 * field rate as r_frame_rate, and we deinterlace frame-for-frame, so they use
 * the average. The result is clamped to [10, 60], snapped to a standard rate
 * when close, otherwise rounded to a half frame so a 2 s GOP is whole frames.
 */
export function chooseFrameRate(v: Pick<VideoStreamInfo, 'realFrameRate' | 'avgFrameRate' | 'interlaced'>): Rational {
  const r = v.realFrameRate;
  const avg = v.avgFrameRate;
  let fps: number;
  if (v.interlaced && avg !== null) fps = avg;
  else if (r !== null && r <= MAX_FPS * 1.05) fps = avg !== null && Math.abs(avg - r) / r < 0.05 ? avg : r;
  else fps = avg ?? r ?? 30;
  fps = Math.min(MAX_FPS, Math.max(MIN_FPS, fps));

  let nearest: Rational | null = null;
  let nearestError = Infinity;
  for (const rate of STANDARD_RATES) {
    const error = Math.abs(fps - rate.num / rate.den) / (rate.num / rate.den);
    if (error < nearestError) {
      nearest = rate;
      nearestError = error;
    }
  }
  if (nearest && nearestError <= SNAP_TOLERANCE) return { ...nearest };
  const halves = Math.round(fps * 2);
  return halves % 2 === 0 ? { num: halves / 2, den: 1 } : { num: halves, den: 2 };
}

/** Time of the poster frame: 1 s in, or the middle of clips shorter than 2 s. */
export function posterTimeSec(durationSec: number | null): number {
  if (durationSec === null || durationSec >= 2) return 1;
  return Math.max(0, durationSec / 2);
}

/** The rung the progressive MP4 is made from: 360p, else the smallest at or above 360, else the only one. */
export function progressiveRung<T extends { shortSide: number }>(rungs: readonly T[]): T {
  const atLeast360 = rungs.filter((r) => r.shortSide >= 360).sort((a, b) => a.shortSide - b.shortSide);
  const chosen = atLeast360[0] ?? rungs[0];
  if (!chosen) throw new Error('progressiveRung: empty ladder');
  return chosen;
}

function floorEven(n: number): number {
  return Math.max(2, Math.floor(n / 2) * 2);
}

function roundEven(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}
