import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFMPEG } from '../../../test/support/media-helpers.js';
import { FfmpegImageProcessor, squareJpegArgs } from './ffmpeg-image-processor.js';

const run = promisify(execFile);
let dir: string;

async function image(name: string, lavfi: string, extra: string[] = []): Promise<Buffer> {
  const path = join(dir, name);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', lavfi, '-frames:v', '1', ...extra, path]);
  return readFile(path);
}

async function probe(jpeg: Buffer): Promise<{ size: string; pixel: number[] }> {
  const path = join(dir, `probe-${Math.random()}.jpg`);
  await writeFile(path, jpeg);
  const size = (await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0:s=x', path])).stdout.trim();
  const raw = await new Promise<Buffer>((resolve, reject) =>
    execFile(
      'ffmpeg',
      ['-v', 'error', '-i', path, '-vf', 'crop=2:2:128:128,format=rgb24', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
      { encoding: 'buffer' },
      (err, stdout) => (err ? reject(new Error(err.message, { cause: err })) : resolve(stdout)),
    ),
  );
  return { size, pixel: [...raw] };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'curta-avatar-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const processor = (ffmpegPath = FFMPEG) => new FfmpegImageProcessor({ ffmpegPath, workDir: dir });
const makeAvatar = (bytes: Buffer) => processor().squareJpeg(bytes, 256);

describe('FfmpegImageProcessor.check', () => {
  it('passes on the real toolchain', async () => {
    await expect(processor().check()).resolves.toBeUndefined();
  });

  it('says how to fix a missing ffmpeg', async () => {
    await expect(processor('/nonexistent/ffmpeg').check()).rejects.toThrow(
      "ffmpeg not found at /nonexistent/ffmpeg: install Debian's ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH",
    );
  });

  it('names what a build without WebP support lacks', async () => {
    // The real ffmpeg's listings, less every line that names webp.
    const path = join(dir, 'ffmpeg-no-webp');
    await writeFile(path, `#!/bin/sh\n${JSON.stringify(FFMPEG)} "$@" | grep -v webp\n`);
    await chmod(path, 0o755);
    await expect(processor(path).check()).rejects.toThrow(
      /^ffmpeg at .*ffmpeg-no-webp lacks what image uploads need \(the webp decoder, the webp_pipe demuxer\): install Debian's ffmpeg/,
    );
  });
});

describe('FfmpegImageProcessor.squareJpeg (avatars)', () => {
  it("decodes with the signature's demuxer forced, only the local file readable, and a pixel cap", () => {
    const args = squareJpegArgs('png', '/scratch/input', '/scratch/square.jpg', 256);
    expect(args.slice(args.indexOf('-protocol_whitelist'), args.indexOf('-i') + 2)).toEqual([
      '-protocol_whitelist',
      'file',
      '-f',
      'png_pipe',
      '-max_pixels',
      '40000000',
      '-i',
      '/scratch/input',
    ]);
    expect(args).toContain('-nostdin');
    expect(args.at(-1)).toBe('/scratch/square.jpg');
  });

  it('turns a JPEG, a PNG and a WebP of any shape into a 256×256 JPEG', async () => {
    for (const [name, size] of [
      ['wide.jpg', '1280x720'],
      ['tall.png', '300x900'],
      ['photo.webp', '1280x720'],
    ] as const) {
      const out = await makeAvatar(await image(name, `testsrc2=size=${size}`));
      expect(out.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect((await probe(out)).size, name).toBe('256x256');
    }
  });

  it('flattens transparency onto white', async () => {
    const png = await image('clear.png', 'color=c=black@0.0:s=64x64,format=rgba');
    const { pixel } = await probe(await makeAvatar(png));
    for (const channel of pixel) expect(channel).toBeGreaterThan(240);
  });

  it('refuses corrupt images and decompression bombs with invalid_image', async () => {
    const png = await image('ok.png', 'testsrc2=size=320x240');
    await expect(makeAvatar(png.subarray(0, 300))).rejects.toMatchObject({ code: 'invalid_image' });
    await expect(makeAvatar(Buffer.from('not an image at all'))).rejects.toMatchObject({ code: 'invalid_image' });
    // A 5 KB file that would decode to 8000×5100 pixels (over the 40 MP cap).
    const bomb = await image('bomb.png', 'color=c=black:s=8000x5100', ['-pix_fmt', 'monob']);
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expect(makeAvatar(bomb)).rejects.toMatchObject({ code: 'invalid_image' });
  });
});
