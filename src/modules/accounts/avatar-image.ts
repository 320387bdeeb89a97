import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import { runProcess } from '../media/process.js';

/**
 * Avatars: whatever image comes in, a 256×256 baseline JPEG goes out. The
 * bytes are identified by their signature (never by the declared type or a
 * file name), decoded by ffmpeg with that one demuxer forced — no probing, no
 * protocols but the input file, a pixel cap against decompression bombs and a
 * time limit — then centre-cropped and flattened onto white.
 */

export const AVATAR_SIZE = 256;
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
export const AVATAR_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
/** Refuse to decode anything larger than this many pixels (e.g. 8000×5000). */
const MAX_PIXELS = 40_000_000;
const TIMEOUT_MS = 20_000;

export type ImageKind = 'jpeg' | 'png' | 'webp';

const DEMUXER: Record<ImageKind, string> = { jpeg: 'jpeg_pipe', png: 'png_pipe', webp: 'webp_pipe' };

/** The image format the bytes' signature names, or null. */
export function sniffImage(bytes: Buffer): ImageKind | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

export function avatarFfmpegArgs(kind: ImageKind, input: string, output: string): string[] {
  const s = AVATAR_SIZE;
  return [
    '-hide_banner', '-nostdin', '-v', 'error', '-threads', '1',
    '-protocol_whitelist', 'file',
    '-f', DEMUXER[kind],
    '-max_pixels', String(MAX_PIXELS),
    '-i', input,
    '-filter_complex',
    `color=c=white:s=${s}x${s}[bg];` +
      `[0:v]scale=${s}:${s}:force_original_aspect_ratio=increase:flags=lanczos,crop=${s}:${s},format=rgba[fg];` +
      `[bg][fg]overlay=shortest=1,format=yuvj420p[out]`,
    '-map', '[out]', '-frames:v', '1', '-map_metadata', '-1',
    '-c:v', 'mjpeg', '-q:v', '3', '-f', 'image2', '-update', '1', '-y', output,
  ];
}

export interface AvatarToolOptions {
  ffmpegPath: string;
  /** Scratch folder (the media work dir). */
  workDir: string;
}

/** Validates and re-encodes an uploaded image; throws invalid_image for anything that is not a decodable image. */
export async function makeAvatar(bytes: Buffer, opts: AvatarToolOptions): Promise<Buffer> {
  const kind = sniffImage(bytes);
  if (!kind) throw new AppError('invalid_image', 'The file is not a JPEG, PNG or WebP image.');
  const dir = join(opts.workDir, `avatar-${randomId(6)}`);
  await mkdir(dir, { recursive: true });
  try {
    const input = join(dir, 'input');
    const output = join(dir, 'avatar.jpg');
    await writeFile(input, bytes);
    const result = await runProcess(opts.ffmpegPath, avatarFfmpegArgs(kind, input, output), { timeoutMs: TIMEOUT_MS });
    const jpeg = result.code === 0 ? await readFile(output).catch(() => null) : null;
    if (!jpeg || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) {
      throw new AppError(
        'invalid_image',
        result.timedOut ? 'The image took too long to decode.' : `The ${kind.toUpperCase()} image could not be decoded (corrupt, truncated, animated or too large).`,
      );
    }
    return jpeg;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
