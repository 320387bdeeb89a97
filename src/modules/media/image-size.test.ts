import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFMPEG } from '../../../test/support/media-helpers.js';
import { readImageSize } from './image-size.js';
import { sniffImage } from './sniff.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'curta-image-size-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function image(name: string, lavfi: string, extra: string[] = []): Promise<Buffer> {
  const path = join(dir, name);
  await run(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', lavfi, '-frames:v', '1', ...extra, path]);
  return readFile(path);
}

const sizeOf = (bytes: Buffer) => readImageSize(sniffImage(bytes)!, bytes);

/** A PNG signature and an IHDR chunk declaring `width`×`height`, then nothing a decoder could use. */
function pngHeader(width: number, height: number): Buffer {
  const b = Buffer.alloc(64);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

describe('readImageSize', () => {
  it('reads the size of real PNG, JPEG and WebP (lossy, lossless, with alpha) files', async () => {
    expect(sizeOf(await image('a.png', 'color=c=red:s=321x123,format=rgb24'))).toEqual({ width: 321, height: 123 });
    expect(sizeOf(await image('a.jpg', 'testsrc2=size=640x360'))).toEqual({ width: 640, height: 360 });
    expect(sizeOf(await image('lossy.webp', 'testsrc2=size=300x200', ['-c:v', 'libwebp']))).toEqual({ width: 300, height: 200 });
    expect(sizeOf(await image('lossless.webp', 'color=c=blue:s=301x199,format=rgb24', ['-c:v', 'libwebp', '-lossless', '1']))).toEqual({
      width: 301,
      height: 199,
    });
    const alpha = await image('alpha.webp', 'color=c=red@0.5:s=130x70,format=yuva420p', ['-c:v', 'libwebp']);
    expect(alpha.toString('latin1', 12, 16)).toBe('VP8X');
    expect(sizeOf(alpha)).toEqual({ width: 130, height: 70 });
  });

  it('finds a JPEG frame header behind large metadata segments', async () => {
    const jpeg = await image('meta.jpg', 'testsrc2=size=200x100');
    // An EXIF-sized APP1 segment (64 KB) and an APP2 right after SOI.
    const app = (marker: number, length: number) => {
      const seg = Buffer.alloc(2 + length);
      seg[0] = 0xff;
      seg[1] = marker;
      seg.writeUInt16BE(length, 2);
      return seg;
    };
    const padded = Buffer.concat([jpeg.subarray(0, 2), app(0xe1, 65_000), app(0xe2, 500), jpeg.subarray(2)]);
    expect(sizeOf(padded)).toEqual({ width: 200, height: 100 });
  });

  it('reads what a decompression bomb declares without decoding it', () => {
    expect(sizeOf(pngHeader(6300, 6300))).toEqual({ width: 6300, height: 6300 });
    // Progressive JPEG (SOF2) declaring 60000×50000.
    const sof2 = Buffer.from([0xff, 0xd8, 0xff, 0xc2, 0x00, 0x11, 0x08, 0xc3, 0x50, 0xea, 0x60, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(sizeOf(sof2)).toEqual({ width: 60_000, height: 50_000 });
    // Extended WebP declaring a 16384×16384 canvas.
    const vp8x = Buffer.alloc(40);
    vp8x.write('RIFF', 0, 'latin1');
    vp8x.write('WEBPVP8X', 8, 'latin1');
    vp8x.writeUIntLE(16383, 24, 3);
    vp8x.writeUIntLE(16383, 27, 3);
    expect(sizeOf(vp8x)).toEqual({ width: 16_384, height: 16_384 });
  });

  it('gives null for headers it cannot read', () => {
    expect(readImageSize('png', pngHeader(0, 10))).toBeNull();
    expect(readImageSize('png', pngHeader(10, 10).subarray(0, 20))).toBeNull();
    // A JPEG whose scan starts before any frame header, and one cut off in its metadata.
    expect(readImageSize('jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 0, 0, 0, 0, 0, 0]))).toBeNull();
    expect(readImageSize('jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x10, 0x00, 0, 0]))).toBeNull();
    expect(readImageSize('webp', Buffer.from('RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0', 'latin1'))).toBeNull();
  });
});
