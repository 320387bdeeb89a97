import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import { ownedName } from '../../lib/scratch.js';
import { sniffImage, type ImageKind } from '../../modules/media/sniff.js';
import type { ImageProcessor } from '../../ports/image-processor.js';
import { installHint, missingCodecs, missingDemuxers, missingFilters, queryTool, runTool } from './ffmpeg-toolchain.js';
import { parseDecoderList } from './probe.js';

/**
 * The ImageProcessor port on a local ffmpeg. The bytes are identified by
 * their signature, then decoded with that one demuxer forced — no probing,
 * no protocols but the input file, a pixel cap against decompression bombs
 * and a time limit — then scaled, centre-cropped and flattened onto white.
 */

/** Refuse to decode anything larger than this many pixels (e.g. 8000×5000). */
const MAX_PIXELS = 40_000_000;
const TIMEOUT_MS = 20_000;

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
}

export function squareJpegArgs(kind: ImageKind, input: string, output: string, size: number): string[] {
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
    String(MAX_PIXELS),
    '-i',
    input,
    '-filter_complex',
    `color=c=white:s=${s}x${s}[bg];` +
      `[0:v]scale=${s}:${s}:force_original_aspect_ratio=increase:flags=lanczos,crop=${s}:${s},format=rgba[fg];` +
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
  constructor(private readonly opts: FfmpegImageProcessorOptions) {}

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
    // Tagged with this process: a crash's leftover is removed at the next start (lib/scratch.ts).
    const dir = join(this.opts.workDir, ownedName(`image-${randomId(6)}`));
    await mkdir(dir, { recursive: true });
    try {
      const input = join(dir, 'input');
      const output = join(dir, 'square.jpg');
      await writeFile(input, image);
      const result = await runTool(this.opts.ffmpegPath, 'FFMPEG_PATH', squareJpegArgs(kind, input, output, size), {
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
