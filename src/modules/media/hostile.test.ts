import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError, type MediaFailureCode } from '../../errors.js';
import { runPipeline } from './pipeline.js';
import { FFMPEG, ffmpeg, recordingPublisher, testTranscoder } from '../../../test/support/media-helpers.js';

/**
 * Uploads built to hurt: files that are empty, not video, playlists and
 * scripts that point ffmpeg at other files, frames too large to decode
 * safely, and lengths that lie.
 */

describe('hostile uploads', () => {
  let dir: string;
  /** A real, valid clip: anything that manages to read it would succeed. */
  let realClip: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-hostile-'));
    realClip = join(dir, 'real.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', realClip]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Runs the pipeline and returns the refusal code. Unless `earlyPublishAllowed`, nothing may
   * have been published: the file must be refused before any rendition exists. A file that only
   * turns out short while it is being encoded may already have published its first segments (and
   * an early master); the caller deletes the attempt's prefix then (ProcessingService does).
   */
  const refusal = async (
    path: string,
    opts: { maxDurationSec?: number; maxPixelRate?: number; maxPixelBudget?: number; earlyPublishAllowed?: boolean } = {},
  ): Promise<MediaFailureCode> => {
    const { publish, log } = recordingPublisher(join(dir, 'published'));
    const err = await runPipeline({ transcoder: testTranscoder(opts), input: path, workDir: join(dir, 'work'), publish }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaError);
    if (!opts.earlyPublishAllowed) expect(log.filter((e) => e.key.endsWith('master.m3u8'))).toEqual([]);
    return (err as MediaError).code;
  };

  it('a zero-byte file → empty_file', async () => {
    const path = join(dir, 'empty.mp4');
    await writeFile(path, '');
    expect(await refusal(path)).toBe('empty_file');
  });

  it('random bytes → unrecognized_format', async () => {
    const path = join(dir, 'random.mp4');
    const bytes = randomBytes(64 * 1024);
    bytes[0] = 0x13; // keep clear of any accepted magic
    await writeFile(path, bytes);
    expect(await refusal(path)).toBe('unrecognized_format');
  });

  it('a text file named .mp4 → unrecognized_format', async () => {
    const path = join(dir, 'notes.mp4');
    await writeFile(path, 'Dear diary, today I uploaded a text file.\n'.repeat(20));
    expect(await refusal(path)).toBe('unrecognized_format');
  });

  it('a PNG image → unrecognized_format', async () => {
    const path = join(dir, 'picture.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'color=red:s=64x64', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', path]);
    expect(await refusal(path)).toBe('unrecognized_format');
  });

  describe('files that point at other files', () => {
    /**
     * A FIFO with a writer blocked on it: the writer only gets past open()
     * when something opens the FIFO for reading, so a still-blocked writer
     * proves nobody followed the reference.
     */
    let fifo: string;
    let writer: ChildProcess;
    let writerExited = false;

    beforeAll(async () => {
      fifo = join(dir, 'bait.mp4');
      await new Promise<void>((resolve, reject) => {
        spawn('mkfifo', [fifo]).on('exit', (code) => (code === 0 ? resolve() : reject(new Error('mkfifo failed'))));
      });
      writer = spawn('sh', ['-c', `cat "$0" > "$1"`, realClip, fifo], { stdio: 'ignore' });
      writer.on('exit', () => {
        writerExited = true;
      });
    });
    afterAll(() => {
      if (!writerExited) writer.kill('SIGKILL');
    });

    const cases: Array<[string, (target: string) => string]> = [
      ['an HLS playlist', (t) => `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1.0,\n${t}\n#EXT-X-ENDLIST\n`],
      ['an HLS playlist with file: URLs', (t) => `#EXTM3U\n#EXTINF:1.0,\nfile:${t}\n`],
      ['an ffconcat script', (t) => `ffconcat version 1.0\nfile '${t}'\n`],
      ['a concat list without the header', (t) => `file '${t}'\n`],
    ];

    for (const [what, body] of cases) {
      it(`${what} pointing at a valid local clip is refused without being followed`, async () => {
        for (const ext of ['.m3u8', '.mp4', '.txt']) {
          const toReal = join(dir, `real-ref${ext}`);
          await writeFile(toReal, body(realClip));
          const code = await refusal(toReal);
          expect(['playlist_not_allowed', 'unrecognized_format']).toContain(code);

          const toFifo = join(dir, `fifo-ref${ext}`);
          await writeFile(toFifo, body(fifo));
          expect(['playlist_not_allowed', 'unrecognized_format']).toContain(await refusal(toFifo));
        }
        // Give a reader that slipped through time to show up, then check nobody opened the bait.
        await new Promise((r) => setTimeout(r, 100));
        expect(writerExited).toBe(false);
      });
    }
  });

  it('an 8192x8192 frame → dimensions_too_large before any decode', async () => {
    const path = join(dir, 'huge.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'color=black:s=8192x8192:r=1', '-frames:v', '1', '-c:v', 'libx264', '-preset', 'ultrafast', path]);
    expect(await refusal(path)).toBe('dimensions_too_large');
  });

  it('a clip longer than the limit → duration_too_long', async () => {
    const path = join(dir, 'long.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x64:r=10:d=4', '-c:v', 'libx264', '-preset', 'ultrafast', path]);
    expect(await refusal(path, { maxDurationSec: 2 })).toBe('duration_too_long');
  });

  /** A 64×64, 10 fps, 5 s Matroska clip written to a pipe, so it cannot seek back to store its duration. */
  const writeWithoutDuration = (path: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(
        FFMPEG,
        [
          '-hide_banner',
          '-loglevel',
          'error',
          '-f',
          'lavfi',
          '-i',
          'testsrc2=s=64x64:r=10:d=5',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-f',
          'matroska',
          'pipe:1',
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const chunks: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.on('exit', (code) => {
        if (code === 0) writeFile(path, Buffer.concat(chunks)).then(resolve, reject);
        else reject(new Error(`ffmpeg ${code}`));
      });
    });

  it('a stream with no duration in its header that runs past the limit → duration_too_long while decoding', async () => {
    const path = join(dir, 'live.mkv');
    await writeWithoutDuration(path);
    // Found out mid-encode: on a slow machine the first segments (and an early master) may already be out.
    expect(await refusal(path, { maxDurationSec: 2, earlyPublishAllowed: true })).toBe('duration_too_long');
  });

  describe('decode cost (width × height × frame rate, and that times the duration)', () => {
    const PIXELS_PER_SEC = 64 * 64 * 10;
    let clip: string;
    beforeAll(async () => {
      clip = join(dir, 'costly.mp4');
      await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x64:r=10:d=4', '-c:v', 'libx264', '-preset', 'ultrafast', clip]);
    });

    it('more pixels a second than allowed → pixel_rate_too_high before any decode', async () => {
      expect(await refusal(clip, { maxPixelRate: PIXELS_PER_SEC - 1 })).toBe('pixel_rate_too_high');
    });

    it('more pixels in all than the budget → pixel_budget_exceeded before any decode', async () => {
      expect(await refusal(clip, { maxPixelRate: PIXELS_PER_SEC, maxPixelBudget: PIXELS_PER_SEC * 2 })).toBe('pixel_budget_exceeded');
    });

    it('no duration in the header, decoding past the budget → pixel_budget_exceeded while decoding', async () => {
      const path = join(dir, 'live-costly.mkv');
      await writeWithoutDuration(path);
      // Found out only while encoding: the first segments may be out already (the caller deletes them).
      expect(await refusal(path, { maxPixelBudget: PIXELS_PER_SEC * 2, earlyPublishAllowed: true })).toBe('pixel_budget_exceeded');
    });

    it('within both limits, the same clip is processed', async () => {
      const { publish } = recordingPublisher(join(dir, 'within'));
      const transcoder = testTranscoder({ maxPixelRate: PIXELS_PER_SEC, maxPixelBudget: PIXELS_PER_SEC * 4.1 });
      const result = await runPipeline({ transcoder, input: clip, workDir: join(dir, 'work'), publish });
      expect(result.renditions[0]).toMatchObject({ width: 64, height: 64 });
    });
  });

  it('an upload cut off mid-file (index intact, data missing) → truncated_media, although ffmpeg exits 0', async () => {
    const path = join(dir, 'cut.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=30:d=10',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-movflags',
      '+faststart',
      path,
    ]);
    await truncate(path, Math.floor((await stat(path)).size * 0.3));
    expect(await refusal(path, { earlyPublishAllowed: true })).toBe('truncated_media');
  });

  it('the same with sound: the sound is not padded out to the length the header promised', async () => {
    const path = join(dir, 'cut-with-sound.mp4');
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30:d=10', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=10'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-movflags', '+faststart', path],
    ]);
    await truncate(path, Math.floor((await stat(path)).size * 0.3));
    expect(await refusal(path, { earlyPublishAllowed: true })).toBe('truncated_media');
  });

  it('an MP4 renamed to anything is still judged by its bytes', async () => {
    const path = join(dir, 'clip.m3u8');
    await copyFile(realClip, path);
    const { publish } = recordingPublisher(join(dir, 'renamed'));
    const result = await runPipeline({ transcoder: testTranscoder(), input: path, workDir: join(dir, 'work'), publish });
    expect(result.renditions[0]).toMatchObject({ width: 320, height: 240 });
    expect((await readFile(join(dir, 'renamed', 'hls', 'master.m3u8'), 'utf8')).startsWith('#EXTM3U')).toBe(true);
  });
});
