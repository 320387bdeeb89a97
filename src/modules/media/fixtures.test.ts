import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError, type MediaFailureCode } from '../../errors.js';
import { parseMediaPlaylist } from './hls.js';
import { CACHE_IMMUTABLE, CONTENT_TYPES, runPipeline, type PipelineResult } from './pipeline.js';
import { ffprobe, latestByKey, recordingPublisher, testTranscoder, type ProbedFile } from '../../../test/support/media-helpers.js';

/**
 * Every real-world file in ../shared/fixtures/videos through the whole
 * pipeline: `ready` rows must come out playable, upright, 8-bit H.264 with
 * no location or device metadata; `failed` rows must be refused with a
 * MediaError that says why.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const fixturesDir = resolve(repoRoot, '../shared/fixtures/videos');
const manifestPath = join(fixturesDir, 'MANIFEST.tsv');

/** The reason each known bad file must be refused with (rows added later only need some MediaError). */
const EXPECTED_CODES: Record<string, MediaFailureCode[]> = {
  'file-type__fixture.m4a': ['no_video_stream'],
  'mp4ff__vvc_400kbps_2s.mp4': ['unsupported_codec'],
  'streamio__broken.mp4': ['truncated_media'],
  'mediabunny__annex-b.mp4': ['truncated_media'],
  'mp4parse__test_case_1185230.mp4': ['corrupt_media'],
  'mp4parse__chunk_out_of_range.mp4': ['corrupt_media'],
  'file-type__fixture-corrupt.mkv': ['corrupt_media'],
  // The header claims 18.9 minutes: over the 10-minute limit before anything is decoded.
  'file-type__fixture2.mkv': ['duration_too_long'],
  'exiftool__QuickTime.mov': ['corrupt_media'],
  'androidx__invalid-bitstream.webm': ['corrupt_media'],
  'mp4ff__init_truncated.mp4': ['no_video_stream'],
  'streamio__empty.flv': ['truncated_media', 'corrupt_media'],
  'videl__empty.mp4': ['unrecognized_format'],
};

/** Tag names that identify a person, a place or a device. */
const PRIVATE_TAG = /location|iso6709|gps|make|model|software|creationdate|creation_time|date|com\.apple|com\.android|artist|comment/i;

interface Row {
  file: string;
  expect: 'ready' | 'failed';
}

function readManifest(): Row[] {
  const [header, ...lines] = readFileSync(manifestPath, 'utf8').trim().split('\n');
  const cols = (header ?? '').split('\t');
  const fileCol = cols.indexOf('file');
  const expectCol = cols.indexOf('expect');
  return lines.map((line) => {
    const fields = line.split('\t');
    return { file: fields[fileCol]!, expect: fields[expectCol] as Row['expect'] };
  });
}

const present = existsSync(manifestPath);

if (!present) {
  if (process.env['CI'] === 'true') {
    describe('video fixtures', () => {
      it('are present in CI', () => {
        expect.fail(`video fixtures missing: ${manifestPath} (CI must check out ../shared)`);
      });
    });
  } else {
    console.info(`[media fixtures] skipped: ${fixturesDir} not found`);
    describe.skip('video fixtures', () => undefined);
  }
} else {
  describe('video fixtures through runPipeline', () => {
    const rows = readManifest();
    const transcoder = testTranscoder({ maxDurationSec: 600, timeoutSec: 300 });
    let scratch: string;

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'curta-fixtures-'));
      await transcoder.check();
    });
    afterAll(async () => {
      await rm(scratch, { recursive: true, force: true });
    });

    it('has both kinds of rows', () => {
      expect(rows.filter((r) => r.expect === 'ready').length).toBeGreaterThan(5);
      expect(rows.filter((r) => r.expect === 'failed').length).toBeGreaterThan(5);
    });

    for (const row of rows.filter((r) => r.expect === 'ready')) {
      it(`${row.file} becomes an upright, clean HLS ladder`, async () => {
        const input = join(fixturesDir, row.file);
        const out = join(scratch, row.file);
        const { publish, log, violations } = recordingPublisher(out);
        const source = await ffprobe(input);
        const result = await runPipeline({ transcoder, input, workDir: join(scratch, 'work'), publish });

        expect(violations).toEqual([]);
        await expectUpright(result, source);
        await expectRenditions(result, out);
        await expectNoPrivateMetadata(source, out);
        expectCachingContract(log);
        // The pipeline cleans up after itself.
        expect(await readdir(join(scratch, 'work'))).toEqual([]);
      });
    }

    for (const row of rows.filter((r) => r.expect === 'failed')) {
      it(`${row.file} is refused with a clear reason`, async () => {
        const { publish } = recordingPublisher(join(scratch, row.file));
        const error = await runPipeline({ transcoder, input: join(fixturesDir, row.file), workDir: join(scratch, 'work'), publish }).then(
          () => null,
          (err: unknown) => err,
        );
        expect(error, `${row.file} should have been refused`).toBeInstanceOf(MediaError);
        const media = error as MediaError;
        expect(media.message.length).toBeGreaterThan(10);
        expect(media.message).not.toContain(fixturesDir); // no server paths in user-facing text
        const allowed = EXPECTED_CODES[row.file];
        if (allowed) expect(allowed).toContain(media.code);
      });
    }

    if (rows.some((r) => r.file === 'file-type__fixture2.mkv')) {
      it('a truncated Matroska whose header claims 18.9 min is truncated_media when the limit allows that length', async () => {
        const lenient = testTranscoder({ maxDurationSec: 3600 });
        const { publish } = recordingPublisher(join(scratch, 'fixture2-lenient'));
        await expect(
          runPipeline({
            transcoder: lenient,
            input: join(fixturesDir, 'file-type__fixture2.mkv'),
            workDir: join(scratch, 'work'),
            publish,
          }),
        ).rejects.toMatchObject({ code: 'truncated_media' });
      });
    }
  });
}

/** Output orientation and aspect equal the source's display orientation and aspect (rotation and SAR applied). */
async function expectUpright(result: PipelineResult, source: ProbedFile): Promise<void> {
  const v = source.streams[result.info.video.index];
  if (!v?.width || !v.height) throw new Error('source has no video size');
  const [n, d] = (v.sample_aspect_ratio ?? '1:1').split(':').map(Number) as [number, number];
  const sar = n > 0 && d > 0 ? n / d : 1;
  const matrix = v.side_data_list?.find((s) => s['side_data_type'] === 'Display Matrix');
  const quarterTurns = Math.round(Number(matrix?.['rotation'] ?? 0) / 90);
  const swapped = Math.abs(quarterTurns) % 2 === 1;
  const displayW = swapped ? v.height : v.width * sar;
  const displayH = swapped ? v.width * sar : v.height;
  for (const r of result.renditions) {
    expect(r.height > r.width, `${r.name} portrait-ness`).toBe(displayH > displayW);
    expect(Math.abs(r.width / r.height - displayW / displayH) / (displayW / displayH), `${r.name} aspect`).toBeLessThan(0.03);
  }
  expect({ width: result.width, height: result.height }).toEqual({
    width: result.renditions[0]?.width,
    height: result.renditions[0]?.height,
  });
}

/** Every rendition: 8-bit yuv420p H.264 High, BT.709 limited range, no rotation left for the player, aligned segments. */
async function expectRenditions(result: PipelineResult, out: string): Promise<void> {
  const master = await readFile(join(out, result.keys.master), 'utf8');
  const segmentDurations: string[] = [];
  for (const r of result.renditions) {
    const playlistText = await readFile(join(out, r.playlist), 'utf8');
    const playlist = parseMediaPlaylist(playlistText);
    expect(playlist.ended).toBe(true);
    expect(playlist.segments.length).toBeGreaterThan(0);
    playlist.segments.slice(0, -1).forEach((s) => expect(s.durationSec).toBeLessThan(2.2));
    segmentDurations.push(playlist.segments.map((s) => s.durationSec.toFixed(2)).join(','));
    expect(master).toContain(`RESOLUTION=${r.width}x${r.height},CODECS="${r.codecs}"`);
    expect(r.codecs).toMatch(result.info.audio ? /^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/ : /^avc1\.64[0-9a-f]{4}$/);

    // The rendition as one fragmented MP4 file.
    const folder = join(out, dirname(r.playlist));
    const parts = [playlist.mapUri!, ...playlist.segments.map((s) => s.uri)];
    const joined = join(out, `${r.name}.joined.mp4`);
    await writeFile(joined, Buffer.concat(await Promise.all(parts.map((p) => readFile(join(folder, p))))));
    const probed = await ffprobe(joined);
    const video = probed.streams.filter((s) => s.codec_type === 'video');
    const audio = probed.streams.filter((s) => s.codec_type === 'audio');
    expect(video).toHaveLength(1);
    expect(video[0]).toMatchObject({
      codec_name: 'h264',
      profile: 'High',
      pix_fmt: 'yuv420p',
      width: r.width,
      height: r.height,
      color_range: 'tv',
      color_space: 'bt709',
    });
    const sideData = (video[0]?.side_data_list ?? []).map((s) => s['side_data_type']);
    expect(sideData).not.toContain('Display Matrix');
    expect(sideData).not.toContain('DOVI configuration record');
    if (result.info.audio) {
      expect(audio).toHaveLength(1);
      expect(audio[0]).toMatchObject({ codec_name: 'aac', profile: 'LC', channels: 2, sample_rate: '48000' });
    } else {
      expect(audio).toHaveLength(0);
    }
    await rm(joined);
  }
  // Keyframes aligned across rungs: identical segment boundaries.
  expect(new Set(segmentDurations).size).toBe(1);

  const mp4 = await ffprobe(join(out, result.keys.mp4));
  expect(mp4.streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p' });
  const poster = await ffprobe(join(out, result.keys.poster));
  expect(poster.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: result.width, height: result.height });
  expect(result.durationMs).toBeGreaterThan(0);
  expect(result.totalBytes).toBeGreaterThan(result.renditions.reduce((a, r) => a + r.bytes, 0));
}

/** Neither ffprobe nor a byte search of any published object finds the source's location or device tags. */
async function expectNoPrivateMetadata(source: ProbedFile, out: string): Promise<void> {
  const secrets = new Set<string>();
  for (const tags of [source.format?.tags, ...source.streams.map((s) => s.tags)]) {
    for (const [key, value] of Object.entries(tags ?? {})) {
      if (/location|iso6709|make|model|gps/i.test(key) && value.length >= 4) secrets.add(value.replace(/\/$/, ''));
    }
  }
  const files = (await readdir(out, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
  for (const file of files) {
    const bytes = (await readFile(file)).toString('latin1');
    for (const secret of secrets) expect(bytes.includes(secret), `${file} contains "${secret}"`).toBe(false);
    if (/\.(mp4|jpg)$/.test(file)) {
      const probed = await ffprobe(file);
      for (const tags of [probed.format?.tags, ...probed.streams.map((s) => s.tags)]) {
        const leaked = Object.keys(tags ?? {}).filter((k) => PRIVATE_TAG.test(k));
        expect(leaked, `${file} tags`).toEqual([]);
      }
    }
  }
}

function expectCachingContract(log: ReturnType<typeof recordingPublisher>['log']): void {
  for (const [key, entry] of latestByKey(log)) {
    // Every object ends up cacheable forever, playlists included once final.
    expect(entry.cacheControl, key).toBe(CACHE_IMMUTABLE);
    if (key.endsWith('.m3u8')) expect(entry.contentType).toBe(CONTENT_TYPES.playlist);
    else if (key.endsWith('.m4s')) expect(entry.contentType).toBe(CONTENT_TYPES.segment);
    else if (key.endsWith('.jpg')) expect(entry.contentType).toBe(CONTENT_TYPES.poster);
    else expect(entry.contentType, key).toBe('video/mp4');
  }
  // Segments are written once.
  const segments = log.filter((e) => e.key.endsWith('.m4s')).map((e) => e.key);
  expect(new Set(segments).size).toBe(segments.length);
}
