import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFPROBE, ffmpeg, testTranscoder } from '../../../test/support/media-helpers.js';
import { parseMediaPlaylist } from '../../modules/media/hls.js';
import type { RenditionOutput } from '../../ports/transcoder.js';

/**
 * The HLS timeline is the media's: in every rendition the picture and the
 * sound start at 0 and end together, and the playlist's durations add up to
 * that length — whatever offsets the source's tracks had. A rendition whose
 * sound ends before its picture (or whose playlist runs past its media)
 * leaves a browser stalled a few frames before the end, never firing
 * `ended` (issue 13: mp4ff__prog_8s.mp4, picture from 0.067 s, sound from 0).
 */

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURE = resolve(repoRoot, '../shared/fixtures/videos/mp4ff__prog_8s.mp4');
/** One AAC frame at 48 kHz: the granularity of the sound's length. */
const AAC_FRAME_S = 1024 / 48000;

interface Span {
  start: number;
  end: number;
}

/** First presentation time and end (last pts + duration) of each track of a file, from its packets. */
async function trackSpans(path: string): Promise<{ video: Span; audio: Span | null }> {
  const { stdout } = await run(
    FFPROBE,
    ['-v', 'error', '-show_entries', 'packet=codec_type,pts_time,duration_time', '-of', 'csv=p=0', path],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const spans = new Map<string, Span>();
  for (const line of stdout.trim().split('\n')) {
    const [type, pts, dur] = line.split(',');
    const start = Number(pts);
    const end = start + Number(dur);
    // The AAC encoder's priming packet has no duration: the edit list drops it, players never present it.
    if (!type || !Number.isFinite(end)) continue;
    const s = spans.get(type) ?? { start: Infinity, end: -Infinity };
    spans.set(type, { start: Math.min(s.start, start), end: Math.max(s.end, end) });
  }
  const video = spans.get('video');
  if (!video) throw new Error(`${path}: no video packets`);
  return { video, audio: spans.get('audio') ?? null };
}

/** A rendition's init segment and media segments as one fragmented MP4, with its playlist's total. */
async function joined(r: RenditionOutput, dir: string): Promise<{ path: string; playlistSec: number }> {
  const playlist = parseMediaPlaylist(await readFile(r.playlistPath, 'utf8'));
  const path = join(dir, `${r.name}.joined.mp4`);
  await writeFile(
    path,
    Buffer.concat(await Promise.all([r.initPath, ...playlist.segments.map((s) => join(r.dir, s.uri))].map((p) => readFile(p)))),
  );
  return { path, playlistSec: playlist.segments.reduce((a, s) => a + s.durationSec, 0) };
}

describe('HLS renditions: tracks and playlist on one timeline', () => {
  const transcoder = testTranscoder();
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'curta-timeline-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  /** Transcodes `input` and checks every rendition; returns the top one's spans for case-specific checks. */
  const transcodeAndCheck = async (name: string, input: string) => {
    const out = join(scratch, name);
    const info = await transcoder.probe(input);
    const plan = transcoder.plan(info);
    const frame = plan.frameRate.den / plan.frameRate.num;
    const result = await transcoder.encode(plan, input, out);
    const spans = [];
    for (const r of result.renditions) {
      const { path, playlistSec } = await joined(r, out);
      const s = await trackSpans(path);
      const where = `${name} ${r.name}: ${JSON.stringify({ ...s, playlistSec })}`;
      // The playlist is as long as the picture (which the muxer may place a B-frame delay after 0).
      expect(Math.abs(playlistSec - (s.video.end - s.video.start)), where).toBeLessThanOrEqual(frame / 2);
      if (s.audio) {
        // The sound starts and ends with it (to within one AAC frame: its length comes in those steps).
        expect(Math.abs(s.audio.start - s.video.start), where).toBeLessThanOrEqual(Math.max(frame, AAC_FRAME_S));
        expect(Math.abs(s.audio.end - s.video.end), where).toBeLessThanOrEqual(Math.max(frame, AAC_FRAME_S));
      }
      spans.push(s);
    }
    return { spans, frame, info };
  };

  it('a picture that starts after the sound (held first frame) ends with it', async () => {
    const input = join(scratch, 'late-picture.mp4');
    // Sound 0–3 s, picture 0.5–3 s.
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3'],
      ...['-itsoffset', '0.5', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=2.5'],
      ...['-map', '1:v', '-map', '0:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', input],
    ]);
    const { spans } = await transcodeAndCheck('late-picture', input);
    expect(spans[0]!.video.end - spans[0]!.video.start).toBeCloseTo(3, 1);
  });

  it('a sound that starts late and stops early is padded with silence to the picture', async () => {
    const input = join(scratch, 'short-sound.mp4');
    // Picture 0–3 s, sound 0.4–2.4 s.
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=3'],
      ...['-itsoffset', '0.4', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2'],
      ...['-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', input],
    ]);
    const { spans } = await transcodeAndCheck('short-sound', input);
    expect(spans[0]!.video.end - spans[0]!.video.start).toBeCloseTo(3, 1);
    expect(spans[0]!.audio).not.toBeNull();
  });

  it('a sound longer than the picture is cut where the picture ends', async () => {
    const input = join(scratch, 'long-sound.mp4');
    // Picture 0–2 s, sound 0–3.5 s.
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=2'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3.5'],
      ...['-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', input],
    ]);
    const { spans } = await transcodeAndCheck('long-sound', input);
    expect(spans[0]!.video.end - spans[0]!.video.start).toBeCloseTo(2, 1);
  });

  if (existsSync(FIXTURE)) {
    it('mp4ff__prog_8s.mp4 (picture from 0.067 s, sound from 0): both tracks and the playlist end together', async () => {
      const { spans, frame } = await transcodeAndCheck('prog_8s', FIXTURE);
      // All of the source's picture is there: 8 s of frames that began 0.067 s in.
      expect(spans[0]!.video.end - spans[0]!.video.start).toBeGreaterThanOrEqual(8 - frame / 2);
    });
  } else if (process.env['CI'] === 'true') {
    it('has the video fixtures in CI', () => {
      expect.fail(`video fixture missing: ${FIXTURE} (CI must check out ../shared)`);
    });
  } else {
    console.info(`[ffmpeg-timeline] mp4ff__prog_8s.mp4 skipped: ${dirname(FIXTURE)} not found`);
  }
});
