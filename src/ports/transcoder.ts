/**
 * The transcoding port: turn one uploaded file into an adaptive HLS ladder.
 *
 * The flow is sniff → probe → plan → encode. `plan` is pure, so the same plan
 * can be computed anywhere (a worker, a remote runner, a test) and executed
 * elsewhere. Every method that rejects because of the media itself throws a
 * `MediaError` (src/errors.ts) whose code says why; anything else (a missing
 * binary, an aborted job, a full disk) is an ordinary Error and may be retried.
 */

/** Container families we accept; each maps to exactly one ffmpeg demuxer. */
export type ContainerFamily = 'isobmff' | 'matroska' | 'mpegts' | 'avi' | 'flv' | 'ogg';

export interface SniffResult {
  family: ContainerFamily;
  /** The ffmpeg demuxer forced with `-f` for this family. */
  demuxer: string;
  sizeBytes: number;
}

/**
 * How to turn stored pixels upright: rotate clockwise by `rotation`, then
 * mirror horizontally when `mirrored` (the display matrix had a negative
 * determinant).
 */
export interface Orientation {
  rotation: 0 | 90 | 180 | 270;
  mirrored: boolean;
}

export type HdrTransfer = 'pq' | 'hlg';

/** YUV matrix of the source, as zscale/swscale name it. */
export type ColorMatrix = 'bt709' | 'bt601' | 'bt2020';

export interface Rational {
  num: number;
  den: number;
}

export interface VideoStreamInfo {
  /** Absolute stream index in the file (for `-map 0:N`). */
  index: number;
  codec: string;
  profile: string | null;
  /** null when ffprobe could not tell (the decoder will). */
  pixFmt: string | null;
  bitDepth: number;
  /** Stored frame size. */
  codedWidth: number;
  codedHeight: number;
  /** Sample (pixel) aspect ratio; 1 for square pixels. */
  sampleAspectRatio: number;
  /** Size as shown to the viewer: SAR applied, then rotation. */
  displayWidth: number;
  displayHeight: number;
  orientation: Orientation;
  /** ffprobe's r_frame_rate and avg_frame_rate, null when absent or nonsense. */
  realFrameRate: number | null;
  avgFrameRate: number | null;
  frameCount: number | null;
  durationSec: number | null;
  /**
   * When the picture starts after the file does (seconds; a camera often starts
   * the sound a frame or two earlier), null when the header does not say.
   */
  startSec: number | null;
  fullRange: boolean;
  matrix: ColorMatrix;
  /** True when the primaries are BT.2020 (wide gamut), HDR or not. */
  wideGamut: boolean;
  hdr: HdrTransfer | null;
  interlaced: boolean;
  /** Dolby Vision configuration record, when present. */
  dolbyVision: { profile: number; compatibilityId: number } | null;
}

export interface AudioStreamInfo {
  index: number;
  codec: string;
  channels: number;
  sampleRate: number;
}

export interface MediaInfo {
  family: ContainerFamily;
  demuxer: string;
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  sizeBytes: number;
  /** What the header claims; null when the container does not say (browser WebM). */
  durationSec: number | null;
  video: VideoStreamInfo;
  /** null when there is no (decodable) audio: renditions then carry no audio track. */
  audio: AudioStreamInfo | null;
}

export interface RungPlan {
  /** "1080p", "720p", …: named after the SHORT side (portrait first). */
  name: string;
  /** Output (display, upright) size; both even. */
  width: number;
  height: number;
  shortSide: number;
  crf: number;
  maxrateKbps: number;
  bufsizeKbps: number;
  /** Relative to the encode's output folder, e.g. "hls/720p/index.m3u8". */
  playlistPath: string;
}

export interface EncodePlan {
  input: {
    demuxer: string;
    videoStreamIndex: number;
    audioStreamIndex: number | null;
    /** Header duration, used for progress and to detect files that decode short. */
    durationSec: number | null;
    /**
     * Where the picture ends, on the timeline where the file starts at 0 (its
     * start plus its duration, from the header): the sound is padded or cut to
     * end there too. Null when the header does not say (a browser's WebM).
     */
    videoEndSec: number | null;
    /** Stored frame size (before rotation). */
    codedWidth: number;
    codedHeight: number;
  };
  /** Best (largest) first. */
  rungs: RungPlan[];
  /** Constant output frame rate shared by every rung. */
  frameRate: Rational;
  /** Keyframe interval in frames (= segmentSec at frameRate). */
  gopFrames: number;
  segmentSec: number;
  video: {
    encoder: 'libx264';
    preset: string;
    profile: 'high';
    pixFmt: 'yuv420p';
  };
  /** Source-side fixes applied once, before the ladder splits. */
  filters: {
    deinterlace: boolean;
    orientation: Orientation;
    /** Tone-map this HDR transfer to SDR BT.709. */
    toneMap: HdrTransfer | null;
    inputMatrix: ColorMatrix;
    inputFullRange: boolean;
    inputWideGamut: boolean;
  };
  audio: { codec: 'aac'; bitrateKbps: number; sampleRate: number; channels: number } | null;
  /** Upper bound on the output duration; decoding past it fails the job. */
  maxDurationSec: number;
  /**
   * Which limit set maxDurationSec, so that running past it fails with the
   * right reason: the duration limit, or the pixel budget at this source's
   * size and frame rate. Absent means the duration limit.
   */
  maxDurationBy?: 'duration' | 'pixel_budget';
  /**
   * Most video frames decoded, whatever the timestamps say: twice the pixel
   * budget over one frame's pixels. The duration cap trusts the frame rate the file
   * declares; this bounds a file that declares 1 fps and packs frames a
   * millisecond apart. Absent = no budget.
   */
  maxFrames?: number;
}

export interface MediaSegment {
  uri: string;
  durationSec: number;
}

export interface RenditionOutput {
  name: string;
  width: number;
  height: number;
  /** Absolute paths on the local disk. */
  dir: string;
  playlistPath: string;
  initPath: string;
  segments: MediaSegment[];
}

export interface EncodeResult {
  renditions: RenditionOutput[];
  /** Media time actually produced (from ffmpeg's progress), seconds. */
  decodedDurationSec: number;
  framesEncoded: number;
  elapsedMs: number;
}

export interface EncodeOptions {
  /** 0..1, called while ffmpeg runs (only when the duration is known). */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/** The slice of a pino logger the media code uses; anything with these methods works. */
export interface MediaLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface Transcoder {
  /** Fails with an actionable message when the toolchain is missing or incomplete. */
  check(): Promise<void>;
  /** Magic-byte check before any demuxer sees the file. */
  sniff(path: string): Promise<SniffResult>;
  /** Sniffs, probes and validates; throws MediaError for media that cannot become a video. */
  probe(path: string): Promise<MediaInfo>;
  /** Pure: the ladder and every encoder decision for this source. */
  plan(info: MediaInfo): EncodePlan;
  /** One process, one decode, every rung written as HLS/fMP4 under `outDir`. */
  encode(plan: EncodePlan, inputPath: string, outDir: string, opts?: EncodeOptions): Promise<EncodeResult>;
  /** Remux (no re-encode) a rendition into a progressive, faststart MP4. */
  makeProgressiveMp4(rendition: RenditionOutput, outPath: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** A JPEG frame of a rendition at `atSec`. */
  makePoster(rendition: RenditionOutput, atSec: number, outPath: string, opts?: { signal?: AbortSignal }): Promise<void>;
}
