/**
 * The studio's checks before a byte is sent, without a browser: which files
 * it lets through (and with which declared type), the plain words it
 * shows for each processing failure, and what it reads of a file's tracks.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFileQuick, contentTypeOf } from '../../web/src/studio/checks.js';
import { failureReason } from '../../web/src/studio/reasons.js';
import { pictureTrackOf } from '../../web/src/studio/tracks.js';
import { makeClip } from '../support/media.js';

const run = promisify(execFile);

const file = (name: string, type: string, size = 1000) => ({ name, type, size }) as File;

describe('studio: what a chosen file is declared as', () => {
  it('declares Ogg video, and files the browser has no type for, instead of refusing them', () => {
    expect(contentTypeOf(file('clip.ogv', 'video/ogg'))).toBe('video/ogg');
    expect(contentTypeOf(file('clip.ogg', 'application/ogg'))).toBe('video/ogg');
    // Desktop browsers often give .mkv/.mts/.m2ts no type, or the generic one: by extension where it names a video format…
    expect(contentTypeOf(file('holiday.mkv', ''))).toBe('video/x-matroska');
    expect(contentTypeOf(file('00001.MTS', 'application/octet-stream'))).toBe('video/mp2t');
    expect(contentTypeOf(file('00001.m2ts', 'video/vnd.dlna.mpeg-tts'))).toBe('video/mp2t');
    // …else untyped: the server identifies the file by its bytes.
    expect(contentTypeOf(file('GOPR0042', ''))).toBe('application/octet-stream');
    expect(contentTypeOf(file('clip.video', 'application/octet-stream'))).toBe('application/octet-stream');
    expect(checkFileQuick(file('GOPR0042', ''))).toBeNull();
    expect(checkFileQuick(file('clip.ogv', 'video/ogg'))).toBeNull();
  });

  it('still refuses files that say they are something else', () => {
    expect(contentTypeOf(file('notes.txt', 'text/plain'))).toBeNull();
    expect(contentTypeOf(file('movie.wmv', 'video/x-ms-wmv'))).toBeNull();
    expect(checkFileQuick(file('notes.txt', 'text/plain'))).toMatch(/isn't a video/);
  });
});

describe('studio: failure reasons in plain words', () => {
  it('explains the decode-cost refusals', () => {
    expect(failureReason({ code: 'pixel_rate_too_high', message: 'The video is 7680x4320 at 60 fps …' })).toEqual({
      title: 'The resolution and frame rate together are too high.',
      advice: 'Export it at a lower resolution or frame rate and try again.',
      detail: 'The video is 7680x4320 at 60 fps …',
    });
    expect(failureReason({ code: 'pixel_budget_exceeded', message: 'x' }).title).toBe('The video is too long for its resolution.');
  });
});

/**
 * What the studio reads from a file's container when the browser shows no
 * picture: a picture track it can't decode (an iPhone's HEVC/Dolby Vision
 * in a Chromium without HEVC) is not "no picture".
 */
describe('studio: the picture track in a file, read from its container', () => {
  let dir: string;
  const made: Record<'mp4' | 'mkv' | 'audioMp4' | 'audioMkv' | 'text', string> = {} as never;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-tracks-'));
    for (const [k, name] of Object.entries({
      mp4: 'clip.mp4',
      mkv: 'clip.mkv',
      audioMp4: 'voice.m4a',
      audioMkv: 'voice.mka',
      text: 'notes.txt',
    }))
      made[k as keyof typeof made] = join(dir, name);
    const sine = ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1'];
    await Promise.all([
      makeClip(made.mp4, { width: 64, height: 112, seconds: 1 }),
      makeClip(made.mkv, { width: 64, height: 112, seconds: 1 }),
      run('ffmpeg', [...sine, '-c:a', 'aac', made.audioMp4]),
      run('ffmpeg', [...sine, '-c:a', 'libopus', made.audioMkv]),
      writeFile(made.text, 'just words, not a video\n'),
    ]);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const trackOf = async (path: string) => pictureTrackOf(new Blob([await readFile(path)]));

  it('finds the picture track and names its codec, in MP4 and Matroska', async () => {
    expect(await trackOf(made.mp4)).toEqual({ kind: 'video', codec: 'H.264' });
    expect(await trackOf(made.mkv)).toEqual({ kind: 'video', codec: 'H.264' });
  });

  it('tells a file with only sound apart, and says unknown for what it cannot read', async () => {
    expect(await trackOf(made.audioMp4)).toEqual({ kind: 'none' });
    expect(await trackOf(made.audioMkv)).toEqual({ kind: 'none' });
    expect(await trackOf(made.text)).toEqual({ kind: 'unknown' });
    // An MP4 cut off before its index: unknown, not "no picture".
    const whole = await readFile(made.mp4);
    const moov = whole.indexOf('moov');
    const cut = moov > 0 ? whole.subarray(0, moov - 4) : whole.subarray(0, 64);
    expect(await pictureTrackOf(new Blob([cut]))).toEqual({ kind: 'unknown' });
  });

  const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/videos/', import.meta.url));
  const present = existsSync(join(FIXTURES, 'androidx__dolbyVision-hdr.MOV'));
  if (!present && process.env.CI !== 'true')
    console.log(`[web-upload-checks.test] real-recording track test skipped: ${FIXTURES} not found`);

  it.skipIf(!present && process.env.CI !== 'true')('reads real recordings: iPhone HEVC with Dolby Vision, HEVC, VP9, H.264', async () => {
    expect(present, `${FIXTURES} (CI must have ../shared)`).toBe(true);
    expect(await trackOf(join(FIXTURES, 'androidx__dolbyVision-hdr.MOV'))).toEqual({ kind: 'video', codec: 'HEVC with Dolby Vision' });
    expect(await trackOf(join(FIXTURES, 'mp4ff__hevc.mp4'))).toEqual({ kind: 'video', codec: 'HEVC' });
    expect(await trackOf(join(FIXTURES, 'androidx__bear-vp9-odd-dimensions.webm'))).toEqual({ kind: 'video', codec: 'VP9' });
    expect(await trackOf(join(FIXTURES, 'streamio__ios9.mov'))).toEqual({ kind: 'video', codec: 'H.264' });
    expect(await trackOf(join(FIXTURES, 'file-type__fixture.m4a'))).toEqual({ kind: 'none' });
  });
});
