import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAvatar, sniffImage } from './avatar-image.js';

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
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
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

const opts = () => ({ ffmpegPath: 'ffmpeg', workDir: dir });

describe('avatar images', () => {
  it('identifies images by signature only', () => {
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImage(Buffer.from('89504e470d0a1a0a0000', 'hex'))).toBe('png');
    expect(sniffImage(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImage(Buffer.from('GIF89a'))).toBeNull();
    expect(sniffImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImage(Buffer.alloc(0))).toBeNull();
  });

  it('turns a JPEG, a PNG and a WebP of any shape into a 256×256 JPEG', async () => {
    for (const [name, size] of [
      ['wide.jpg', '1280x720'],
      ['tall.png', '300x900'],
      ['photo.webp', '1280x720'],
    ] as const) {
      const out = await makeAvatar(await image(name, `testsrc2=size=${size}`), opts());
      expect(out.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect((await probe(out)).size, name).toBe('256x256');
    }
  });

  it('flattens transparency onto white', async () => {
    const png = await image('clear.png', 'color=c=black@0.0:s=64x64,format=rgba');
    const { pixel } = await probe(await makeAvatar(png, opts()));
    for (const channel of pixel) expect(channel).toBeGreaterThan(240);
  });

  it('refuses corrupt images and decompression bombs with invalid_image', async () => {
    const png = await image('ok.png', 'testsrc2=size=320x240');
    await expect(makeAvatar(png.subarray(0, 300), opts())).rejects.toMatchObject({ code: 'invalid_image' });
    await expect(makeAvatar(Buffer.from('not an image at all'), opts())).rejects.toMatchObject({ code: 'invalid_image' });
    // A 5 KB file that would decode to 8000×5100 pixels (over the 40 MP cap).
    const bomb = await image('bomb.png', 'color=c=black:s=8000x5100', ['-pix_fmt', 'monob']);
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expect(makeAvatar(bomb, opts())).rejects.toMatchObject({ code: 'invalid_image' });
  });
});
