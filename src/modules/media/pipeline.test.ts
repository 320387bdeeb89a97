import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../errors.js';
import { parseMediaPlaylist } from './hls.js';
import { CACHE_IMMUTABLE, CACHE_REVALIDATE, runPipeline, type Publish } from './pipeline.js';
import { FFMPEG, ffmpeg, ffprobe, recordingPublisher, testTranscoder } from '../../../test/support/media-helpers.js';

const run = promisify(execFile);

describe('runPipeline', () => {
  let dir: string;
  /** 6 s, 1280x720 → three rungs, three segments each. */
  let clip: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-pipeline-'));
    clip = join(dir, 'clip.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=1280x720:r=30:d=6',
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:d=6:sample_rate=44100',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-ac',
      '1',
      '-metadata',
      'location=+48.8584+002.2945/',
      '-metadata',
      'make=Curta',
      clip,
    ]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes segments before the playlists that list them, is playable before it finishes, and ends immutable', async () => {
    const out = join(dir, 'out-contract');
    const { publish, log, violations } = recordingPublisher(out);
    const progress: number[] = [];
    let playableAt = -1;
    const result = await runPipeline({
      transcoder: testTranscoder(),
      input: clip,
      workDir: join(dir, 'work'),
      publish,
      pollIntervalMs: 50,
      onProgress: (f) => progress.push(f),
      onPlayable: ({ master }) => {
        expect(master).toBe('hls/master.m3u8');
        playableAt = log.length;
      },
    });

    expect(violations).toEqual([]);
    expect(result.renditions.map((r) => `${r.name}:${r.width}x${r.height}`)).toEqual(['720p:1280x720', '540p:960x540', '360p:640x360']);
    expect(result.keys).toEqual({ master: 'hls/master.m3u8', mp4: 'video.mp4', poster: 'poster.jpg' });
    expect(result.durationMs).toBeGreaterThan(5900);
    expect(result.durationMs).toBeLessThan(6200);

    // Playable early: the first master went out while segments were still to come.
    expect(playableAt).toBeGreaterThan(0);
    const segmentsAfterPlayable = log.slice(playableAt).filter((e) => e.key.endsWith('.m4s'));
    expect(segmentsAfterPlayable.length).toBeGreaterThan(0);
    const masters = log.filter((e) => e.key === 'hls/master.m3u8');
    expect(masters[0]?.cacheControl).toBe(CACHE_REVALIDATE);
    expect(masters.at(-1)?.cacheControl).toBe(CACHE_IMMUTABLE);
    // Growing playlists must be revalidated; the final ones are immutable.
    const playlists = log.filter((e) => e.key === 'hls/720p/index.m3u8');
    expect(playlists[0]?.cacheControl).toBe(CACHE_REVALIDATE);
    expect(playlists.at(-1)?.cacheControl).toBe(CACHE_IMMUTABLE);

    // The poster is cut mid-encode, as soon as its segment exists: it goes out before the final playlists.
    const posterSeq = log.find((e) => e.key === 'poster.jpg')?.seq ?? Infinity;
    const finalPlaylistSeq = log.find((e) => e.key.endsWith('index.m3u8') && e.cacheControl === CACHE_IMMUTABLE)?.seq ?? -1;
    expect(posterSeq).toBeLessThan(finalPlaylistSeq);

    // The final master is measured.
    const master = await readFile(join(out, 'hls/master.m3u8'), 'utf8');
    expect(master).toMatch(/AVERAGE-BANDWIDTH=\d+/);
    expect(master.split('\n').find((l) => l.endsWith('.m3u8'))).toBe('720p/index.m3u8');
    for (const r of result.renditions) {
      expect(r.bandwidth).toBeGreaterThanOrEqual(r.averageBandwidth);
      expect(master).toContain(`BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${r.averageBandwidth},RESOLUTION=${r.width}x${r.height}`);
    }

    // Progress only grows and ends at 1.
    expect(progress.at(-1)).toBe(1);
    progress.slice(1).forEach((p, i) => expect(p).toBeGreaterThan(progress[i]!));

    // The MP4 is the 360p rung, remuxed with the index up front.
    const mp4 = await ffprobe(join(out, 'video.mp4'));
    expect(mp4.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 640, height: 360 });
    const mp4Bytes = await readFile(join(out, 'video.mp4'));
    expect(mp4Bytes.indexOf('moov')).toBeLessThan(mp4Bytes.indexOf('mdat'));
    expect(mp4Bytes.toString('latin1')).not.toContain('+48.8584');
    expect(mp4.format?.tags?.['location']).toBeUndefined();
    // Mono 44.1 kHz in, stereo 48 kHz out.
    expect(mp4.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', channels: 2, sample_rate: '48000' });

    // Keyframes every 2 s, on every rung.
    for (const r of result.renditions) {
      const playlist = parseMediaPlaylist(await readFile(join(out, r.playlist), 'utf8'));
      expect(playlist.segments.map((s) => s.durationSec)).toEqual([2, 2, 2]);
    }
    expect(await readdir(join(dir, 'work'))).toEqual([]);
  });

  it('stops ffmpeg and cleans up when aborted', async () => {
    const controller = new AbortController();
    const { publish } = recordingPublisher(join(dir, 'out-abort'));
    const started = Date.now();
    const pending = runPipeline({
      transcoder: testTranscoder(),
      input: clip,
      workDir: join(dir, 'work-abort'),
      publish,
      signal: controller.signal,
      onProgress: (f) => {
        if (f > 0.1) controller.abort(new Error('user deleted the video'));
      },
    });
    await expect(pending).rejects.toThrow('user deleted the video');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await readdir(join(dir, 'work-abort'))).toEqual([]);
  });

  it('reports a publish failure as itself and stops the encode', async () => {
    const failing: Publish = async (_path, key) => {
      if (key.endsWith('.m4s')) throw new Error('storage is down');
    };
    await expect(
      runPipeline({ transcoder: testTranscoder(), input: clip, workDir: join(dir, 'work-fail'), publish: failing }),
    ).rejects.toThrow('storage is down');
    expect(await readdir(join(dir, 'work-fail'))).toEqual([]);
  });

  it('fails with transcode_timeout when ffmpeg runs past the limit', async () => {
    const { publish } = recordingPublisher(join(dir, 'out-timeout'));
    const err = await runPipeline({
      transcoder: testTranscoder({ timeoutSec: 0.05 }),
      input: clip,
      workDir: join(dir, 'work'),
      publish,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('transcode_timeout');
  });

  describe('orientation from the display matrix, mirrors included', () => {
    /**
     * A 96x64 frame with a coloured quadrant in each corner (red, green / blue,
     * white). We write each of the eight axis-aligned display matrices into
     * its tkhd box and check where each colour lands in the poster.
     */
    let source: Buffer;
    const COLORS = { red: [255, 0, 0], green: [0, 255, 0], blue: [0, 0, 255], white: [255, 255, 255] } as const;
    type Color = keyof typeof COLORS;
    const SOURCE_QUADRANTS: Array<{ color: Color; x: number; y: number }> = [
      { color: 'red', x: -1, y: -1 },
      { color: 'green', x: 1, y: -1 },
      { color: 'blue', x: -1, y: 1 },
      { color: 'white', x: 1, y: 1 },
    ];

    beforeAll(async () => {
      const path = join(dir, 'quadrants.mp4');
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        'color=white:s=96x64:r=10:d=0.5',
        '-vf',
        'drawbox=x=0:y=0:w=48:h=32:c=red:t=fill,drawbox=x=48:y=0:w=48:h=32:c=lime:t=fill,drawbox=x=0:y=32:w=48:h=32:c=blue:t=fill',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        path,
      ]);
      source = await readFile(path);
    });

    /** [a, b, c, d]: x' = a·x + c·y, y' = b·x + d·y (QuickTime row-vector convention). */
    const matrices: Array<[string, [number, number, number, number]]> = [
      ['identity', [1, 0, 0, 1]],
      ['rotate 90° cw (iPhone portrait, ffprobe -90)', [0, 1, -1, 0]],
      ['rotate 180°', [-1, 0, 0, -1]],
      ['rotate 270° cw (ffprobe 90)', [0, -1, 1, 0]],
      ['mirror', [-1, 0, 0, 1]],
      ['transpose (rotate + mirror, ffprobe says only -90)', [0, 1, 1, 0]],
      ['vertical flip', [1, 0, 0, -1]],
      ['anti-transpose', [0, -1, -1, 0]],
    ];

    for (const [name, [a, b, c, d]] of matrices) {
      it(`shows ${name} as the matrix says`, async () => {
        const input = join(dir, `quadrants-${a}${b}${c}${d}.mp4`);
        await writeFile(input, withDisplayMatrix(source, [a, b, c, d]));
        const out = join(dir, `out-orient-${a}${b}${c}${d}`);
        const { publish } = recordingPublisher(out);
        const result = await runPipeline({ transcoder: testTranscoder(), input, workDir: join(dir, 'work'), publish });

        const swapped = a === 0;
        expect({ w: result.width, h: result.height }).toEqual(swapped ? { w: 64, h: 96 } : { w: 96, h: 64 });
        const seen = await quadrantColors(join(out, 'poster.jpg'));
        for (const q of SOURCE_QUADRANTS) {
          const key = `${Math.sign(a * q.x + c * q.y)},${Math.sign(b * q.x + d * q.y)}`;
          expect(seen[key], `${q.color} quadrant`).toBe(q.color);
        }
      });
    }

    /** Colour name at the centre of each display quadrant, keyed by "sx,sy". */
    async function quadrantColors(poster: string): Promise<Record<string, Color>> {
      const { stdout } = await run(
        FFMPEG,
        ['-v', 'error', '-i', poster, '-vf', 'scale=4:4:flags=area', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
        {
          encoding: 'buffer',
        },
      );
      const px = (x: number, y: number) => [stdout[(y * 4 + x) * 3], stdout[(y * 4 + x) * 3 + 1], stdout[(y * 4 + x) * 3 + 2]] as number[];
      const nearest = (rgb: number[]): Color =>
        (Object.keys(COLORS) as Color[]).reduce((best, name) => (distance(rgb, COLORS[name]) < distance(rgb, COLORS[best]) ? name : best));
      return {
        '-1,-1': nearest(px(0, 0)),
        '1,-1': nearest(px(3, 0)),
        '-1,1': nearest(px(0, 3)),
        '1,1': nearest(px(3, 3)),
      };
    }
  });
});

function distance(p: readonly number[], q: readonly number[]): number {
  return p.reduce((s, v, i) => s + (v - (q[i] ?? 0)) ** 2, 0);
}

/** A copy of an MP4 with the (only) track's tkhd matrix replaced. */
function withDisplayMatrix(mp4: Buffer, [a, b, c, d]: [number, number, number, number]): Buffer {
  const copy = Buffer.from(mp4);
  const at = copy.indexOf('tkhd');
  if (at < 0) throw new Error('no tkhd box');
  const version = copy[at + 4];
  // After type: version/flags (4), times + track id + reserved + duration (20 or 32), reserved (8), layer..volume (8).
  const matrixAt = at + 4 + 4 + (version === 1 ? 32 : 20) + 8 + 8;
  const values = [a * 0x10000, b * 0x10000, 0, c * 0x10000, d * 0x10000, 0, 0, 0, 0x40000000];
  values.forEach((v, i) => copy.writeInt32BE(v, matrixAt + i * 4));
  return copy;
}
