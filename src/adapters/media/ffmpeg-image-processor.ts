import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../errors.js';
import { BoundedSemaphore } from '../../lib/bounded-semaphore.js';
import { randomId } from '../../lib/ids.js';
import { readImageSize } from '../../modules/media/image-size.js';
import { ownedName } from '../../lib/scratch.js';
import { sniffImage, type ImageKind } from '../../modules/media/sniff.js';
import type { ImageProcessor } from '../../ports/image-processor.js';
import { installHint, missingCodecs, missingDemuxers, missingFilters, queryTool, runTool } from './ffmpeg-toolchain.js';
import { parseDecoderList } from './probe.js';

/**
 * The ImageProcessor port on a local ffmpeg. The bytes are identified by
 * their signature and their header's size is checked against the limits
 * before any decode; then they are decoded with that one demuxer forced — no
 * probing, no protocols but the input file, the same pixel cap in the
 * decoder, a time limit — centre-cropped, scaled and flattened onto white.
 * Decodes are counted process-wide: a few at once, a few more waiting
 * briefly, the rest refused with 503 `image_processing_busy`.
 */

/** Defaults of the limits (AVATAR_MAX_PIXELS, AVATAR_MAX_SIDE in the config). */
export const DEFAULT_MAX_PIXELS = 25_000_000;
export const DEFAULT_MAX_SIDE = 10_000;
const TIMEOUT_MS = 20_000;
/** Longest a request waits for a decode slot before it is told to come back. */
const DECODE_WAIT_MS = 10_000;
/** What a busy answer suggests (seconds). */
const BUSY_RETRY_AFTER_SEC = 5;

const DEMUXER: Record<ImageKind, string> = { jpeg: 'jpeg_pipe', png: 'png_pipe', webp: 'webp_pipe' };

/** What squareJpegArgs needs from the build: decoders and demuxers for every accepted kind, the JPEG encoder, the filters. */
const REQUIRED_DECODERS = ['mjpeg', 'png', 'webp'] as const;
const REQUIRED_DEMUXERS = Object.values(DEMUXER);
const REQUIRED_ENCODERS = ['mjpeg'] as const;
const REQUIRED_FILTERS = ['color', 'scale', 'crop', 'format', 'overlay'] as const;

export interface FfmpegImageProcessorOptions {
  ffmpegPath: string;
  /** Scratch folder: each conversion works in a fresh folder inside it and removes it. */
  workDir: string;
  /** Largest accepted picture, by its header: pixels in all, and pixels on either side. */
  maxPixels?: number;
  maxSide?: number;
  /** Decode slots shared by every conversion of this process (default: 2 at once, 8 waiting). */
  decodeSlots?: BoundedSemaphore;
}

/** A semaphore for image decodes: `concurrency` at once, `queue` more waiting for a slot (briefly). */
export function imageDecodeSlots(concurrency: number, queue: number): BoundedSemaphore {
  return new BoundedSemaphore({ permits: concurrency, maxWaiting: queue, maxWaitMs: DECODE_WAIT_MS });
}

export function squareJpegArgs(kind: ImageKind, input: string, output: string, size: number, maxPixels = DEFAULT_MAX_PIXELS): string[] {
  const s = size;
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-threads',
    '1',
    '-protocol_whitelist',
    'file',
    '-f',
    DEMUXER[kind],
    '-max_pixels',
    String(maxPixels),
    '-i',
    input,
    '-filter_complex',
    `color=c=white:s=${s}x${s}[bg];` +
      // Crop to the centre square first: scaling a long thin picture up to cover the square would be enormous.
      `[0:v]crop='min(iw,ih)':'min(iw,ih)',scale=${s}:${s}:flags=lanczos,format=rgba[fg];` +
      `[bg][fg]overlay=shortest=1,format=yuvj420p[out]`,
    '-map',
    '[out]',
    '-frames:v',
    '1',
    '-map_metadata',
    '-1',
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    '-f',
    'image2',
    '-update',
    '1',
    '-y',
    output,
  ];
}

export class FfmpegImageProcessor implements ImageProcessor {
  private readonly maxPixels: number;
  private readonly maxSide: number;
  private readonly slots: BoundedSemaphore;

  constructor(private readonly opts: FfmpegImageProcessorOptions) {
    this.maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.maxSide = opts.maxSide ?? DEFAULT_MAX_SIDE;
    this.slots = opts.decodeSlots ?? imageDecodeSlots(2, 8);
  }

  async check(): Promise<void> {
    const { ffmpegPath } = this.opts;
    const query = (listing: string) => queryTool(ffmpegPath, ['-hide_banner', listing], 'FFMPEG_PATH').then((r) => r.stdout);
    const [decoders, demuxers, encoders, filters] = await Promise.all(['-decoders', '-demuxers', '-encoders', '-filters'].map(query));
    const decodable = parseDecoderList(decoders ?? '');
    const missing = [
      ...REQUIRED_DECODERS.filter((d) => !decodable.has(d)).map((d) => `the ${d} decoder`),
      ...missingDemuxers(demuxers ?? '', REQUIRED_DEMUXERS).map((d) => `the ${d} demuxer`),
      ...missingCodecs(encoders ?? '', REQUIRED_ENCODERS).map((e) => `the ${e} encoder`),
      ...missingFilters(filters ?? '', REQUIRED_FILTERS).map((f) => `the ${f} filter`),
    ];
    if (missing.length > 0) {
      throw new Error(`ffmpeg at ${ffmpegPath} lacks what image uploads need (${missing.join(', ')}): ${installHint('FFMPEG_PATH')}`);
    }
  }

  async squareJpeg(image: Buffer, size: number): Promise<Buffer> {
    if (!Number.isInteger(size) || size < 1) throw new Error(`squareJpeg: size must be a positive integer, not ${size}`);
    const kind = sniffImage(image);
    if (!kind) throw new AppError('invalid_image', 'The file is not a JPEG, PNG or WebP image.');
    this.checkSize(kind, image);
    return this.slots.run(
      () => this.convert(kind, image, size),
      () => {
        throw new AppError('image_processing_busy', `Too many pictures are being processed; try again in ${BUSY_RETRY_AFTER_SEC} s.`, {
          retryAfter: BUSY_RETRY_AFTER_SEC,
        });
      },
    );
  }

  /** Refuses, from the header alone, a picture the decoder would refuse or that would cost too much to decode. */
  private checkSize(kind: ImageKind, image: Buffer): void {
    const dims = readImageSize(kind, image);
    if (!dims) throw new AppError('invalid_image', `The ${kind.toUpperCase()} image's header is damaged or incomplete.`);
    const { width, height } = dims;
    if (width * height > this.maxPixels || Math.max(width, height) > this.maxSide) {
      const mp = (n: number) => `${Math.round(n / 100_000) / 10} megapixels`;
      throw new AppError(
        'image_dimensions_too_large',
        `The picture is ${width}×${height} (${mp(width * height)}); the largest accepted is ${mp(this.maxPixels)}, ` +
          `at most ${this.maxSide} pixels a side. Resize it and try again.`,
        { width, height, maxPixels: this.maxPixels, maxSide: this.maxSide },
      );
    }
  }

  private async convert(kind: ImageKind, image: Buffer, size: number): Promise<Buffer> {
    // Tagged with this process: a crash's leftover is removed at the next start (lib/scratch.ts).
    const dir = join(this.opts.workDir, ownedName(`image-${randomId(6)}`));
    await mkdir(dir, { recursive: true });
    try {
      const input = join(dir, 'input');
      const output = join(dir, 'square.jpg');
      await writeFile(input, image);
      const result = await runTool(this.opts.ffmpegPath, 'FFMPEG_PATH', squareJpegArgs(kind, input, output, size, this.maxPixels), {
        timeoutMs: TIMEOUT_MS,
      });
      const jpeg = result.code === 0 ? await readFile(output).catch(() => null) : null;
      if (!jpeg || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) {
        throw new AppError(
          'invalid_image',
          result.timedOut
            ? 'The image took too long to decode.'
            : `The ${kind.toUpperCase()} image could not be decoded (corrupt, truncated, animated or too large).`,
        );
      }
      return jpeg;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
