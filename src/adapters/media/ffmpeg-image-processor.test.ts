import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFMPEG } from '../../../test/support/media-helpers.js';
import { BoundedSemaphore } from '../../lib/bounded-semaphore.js';
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
      '25000000',
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

  it('refuses corrupt images with invalid_image', async () => {
    const png = await image('ok.png', 'testsrc2=size=320x240');
    await expect(makeAvatar(png.subarray(0, 300))).rejects.toMatchObject({ code: 'invalid_image' });
    await expect(makeAvatar(png.subarray(0, 20))).rejects.toMatchObject({ code: 'invalid_image' });
    await expect(makeAvatar(Buffer.from('not an image at all'))).rejects.toMatchObject({ code: 'invalid_image' });
  });

  it('refuses decompression bombs from their header, before any decode, naming the limit', async () => {
    // A 5 KB file that would decode to 8000×5100 pixels.
    const bomb = await image('bomb.png', 'color=c=black:s=8000x5100', ['-pix_fmt', 'monob']);
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expect(makeAvatar(bomb)).rejects.toMatchObject({
      code: 'image_dimensions_too_large',
      details: { width: 8000, height: 5100, maxPixels: 25_000_000, maxSide: 10_000 },
    });
    // Only a header (6300×6300, the size of the 131 KB PNG that took ffmpeg ~200 MB): refused all the same,
    // with no ffmpeg to run at all — nothing was decoded.
    const header = Buffer.concat([bomb.subarray(0, 16), Buffer.from([0, 0, 0x18, 0x9c, 0, 0, 0x18, 0x9c]), Buffer.alloc(100)]);
    const noFfmpeg = new FfmpegImageProcessor({ ffmpegPath: '/nonexistent/ffmpeg', workDir: dir });
    await expect(noFfmpeg.squareJpeg(header, 256)).rejects.toMatchObject({
      code: 'image_dimensions_too_large',
      message: expect.stringMatching(/6300×6300 \(39\.7 megapixels\); the largest accepted is 25 megapixels/),
    });
    // A side longer than the limit, however few pixels.
    const strip = await image('strip.png', 'color=c=black:s=300x40');
    const narrow = new FfmpegImageProcessor({ ffmpegPath: FFMPEG, workDir: dir, maxSide: 299 });
    await expect(narrow.squareJpeg(strip, 256)).rejects.toMatchObject({ code: 'image_dimensions_too_large' });
    // Within the limits, a long thin picture is cropped to its centre before scaling (no giant intermediate).
    const out = await makeAvatar(await image('thin.png', 'testsrc2=size=4000x16'));
    expect((await probe(out)).size).toBe('256x256');
  });

  it('decodes a bounded number at once: a caller waits for a free slot, or is told to come back (503)', async () => {
    const png = await image('slot.png', 'testsrc2=size=320x240');
    // One slot, nobody may wait: while it is taken, a conversion is refused at once.
    const noQueue = new BoundedSemaphore({ permits: 1, maxWaiting: 0, maxWaitMs: 60_000 });
    const release = (await noQueue.acquire())!;
    const busy = new FfmpegImageProcessor({ ffmpegPath: FFMPEG, workDir: dir, decodeSlots: noQueue });
    await expect(busy.squareJpeg(png, 64)).rejects.toMatchObject({ code: 'image_processing_busy', details: { retryAfter: 5 } });
    release();
    expect((await busy.squareJpeg(png, 64)).subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(noQueue.active).toBe(0);

    // One slot, one may wait: the waiting conversion runs once the slot is given back.
    const queued = new BoundedSemaphore({ permits: 1, maxWaiting: 1, maxWaitMs: 60_000 });
    const held = (await queued.acquire())!;
    const waiting = new FfmpegImageProcessor({ ffmpegPath: FFMPEG, workDir: dir, decodeSlots: queued }).squareJpeg(png, 64);
    await expect.poll(() => queued.waiting).toBe(1);
    // A third is beyond the queue.
    await expect(
      new FfmpegImageProcessor({ ffmpegPath: FFMPEG, workDir: dir, decodeSlots: queued }).squareJpeg(png, 64),
    ).rejects.toMatchObject({ code: 'image_processing_busy' });
    held();
    expect((await waiting).subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(queued.active).toBe(0);

    // A wait that runs out is refused too.
    const short = new BoundedSemaphore({ permits: 1, maxWaiting: 1, maxWaitMs: 20 });
    const taken = (await short.acquire())!;
    await expect(
      new FfmpegImageProcessor({ ffmpegPath: FFMPEG, workDir: dir, decodeSlots: short }).squareJpeg(png, 64),
    ).rejects.toMatchObject({ code: 'image_processing_busy' });
    taken();
    expect(short.active).toBe(0);
  });
});
