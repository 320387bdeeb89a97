import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMasterPlaylist,
  h264Level,
  measureRendition,
  parseMediaPlaylist,
  plannedCodecs,
  readMediaPlaylist,
  variantsFromPlan,
  type Variant,
} from './hls.js';
import { planEncode } from './plan.js';
import { mediaInfo } from '../../../test/support/media-helpers.js';

const growing = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init_720p.mp4"
#EXTINF:2.000000,
seg_00000.m4s
#EXTINF:2.000000,
seg_00001.m4s
`;
const finished = `${growing}#EXTINF:0.500000,
seg_00002.m4s
#EXT-X-ENDLIST
`;

describe('parseMediaPlaylist', () => {
  it('lists segments, the init segment and whether the rendition is finished', () => {
    const p = parseMediaPlaylist(growing);
    expect(p.mapUri).toBe('init_720p.mp4');
    expect(p.segments).toEqual([
      { uri: 'seg_00000.m4s', durationSec: 2 },
      { uri: 'seg_00001.m4s', durationSec: 2 },
    ]);
    expect(p.ended).toBe(false);
    expect(p.targetDurationSec).toBe(2);
    const f = parseMediaPlaylist(finished);
    expect(f.ended).toBe(true);
    expect(f.segments).toHaveLength(3);
    expect(f.text).toBe(finished);
  });

  it('rejects text that is not a playlist', () => {
    expect(() => parseMediaPlaylist('hello')).toThrow(/EXTM3U/);
  });
});

describe('buildMasterPlaylist', () => {
  const variants: Variant[] = [
    {
      uri: '1080p/index.m3u8',
      bandwidth: 5_200_000,
      averageBandwidth: 3_100_000,
      width: 1080,
      height: 1920,
      codecs: 'avc1.640028,mp4a.40.2',
      frameRate: 30,
    },
    {
      uri: '720p/index.m3u8',
      bandwidth: 2_900_000,
      averageBandwidth: 1_700_000,
      width: 720,
      height: 1280,
      codecs: 'avc1.64001f,mp4a.40.2',
      frameRate: 30,
    },
    {
      uri: '540p/index.m3u8',
      bandwidth: 1_650_000,
      averageBandwidth: 900_000,
      width: 540,
      height: 960,
      codecs: 'avc1.64001f,mp4a.40.2',
      frameRate: 30,
    },
    {
      uri: '360p/index.m3u8',
      bandwidth: 850_000,
      averageBandwidth: 450_000,
      width: 360,
      height: 640,
      codecs: 'avc1.64001e,mp4a.40.2',
      frameRate: 30,
    },
  ];

  it('writes every attribute a player needs, with independent segments', () => {
    const text = buildMasterPlaylist(variants);
    expect(text.startsWith('#EXTM3U\n')).toBe(true);
    expect(text).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(text).toContain(
      '#EXT-X-STREAM-INF:BANDWIDTH=5200000,AVERAGE-BANDWIDTH=3100000,RESOLUTION=1080x1920,CODECS="avc1.640028,mp4a.40.2",FRAME-RATE=30.000\n1080p/index.m3u8',
    );
    expect(text.match(/#EXT-X-STREAM-INF/g)).toHaveLength(4);
  });

  it('lists the 720p rung first (the start rung), then best to worst', () => {
    const uris = buildMasterPlaylist([...variants].reverse())
      .split('\n')
      .filter((l) => l.endsWith('.m3u8'));
    expect(uris).toEqual(['720p/index.m3u8', '1080p/index.m3u8', '540p/index.m3u8', '360p/index.m3u8']);
  });

  it('starts a ladder without a rung at or below 720 on its smallest rung', () => {
    const wide = [{ ...variants[0]!, width: 2358, height: 1080 }];
    expect(buildMasterPlaylist(wide)).toContain('RESOLUTION=2358x1080');
  });

  it('omits AVERAGE-BANDWIDTH when unknown (early master) and refuses an empty ladder', () => {
    const early = buildMasterPlaylist([{ ...variants[3]!, averageBandwidth: undefined }] as Variant[]);
    expect(early).not.toContain('AVERAGE-BANDWIDTH');
    expect(() => buildMasterPlaylist([])).toThrow();
  });
});

describe('variantsFromPlan (early master)', () => {
  const plan = planEncode(mediaInfo(), { maxDurationSec: 600 });

  it('estimates BANDWIDTH from the VBV cap plus audio', () => {
    const v = variantsFromPlan(plan);
    expect(v.map((x) => x.uri)).toEqual(['1080p/index.m3u8', '720p/index.m3u8', '540p/index.m3u8', '360p/index.m3u8']);
    const top = plan.rungs[0]!;
    expect(v[0]!.bandwidth).toBeGreaterThanOrEqual(top.maxrateKbps * 1000 + 128_000);
    expect(v[0]).toMatchObject({ width: 1080, height: 1920, frameRate: 30 });
    expect(v[0]!.averageBandwidth).toBeUndefined();
  });

  it('uses the measured CODECS of a rung when given, the planned ones otherwise', () => {
    const v = variantsFromPlan(plan, new Map([['1080p', 'avc1.640032,mp4a.40.2']]));
    expect(v[0]!.codecs).toBe('avc1.640032,mp4a.40.2');
    expect(v[3]!.codecs).toMatch(/^avc1\.6400[0-9a-f]{2},mp4a\.40\.2$/);
    const silent = planEncode(mediaInfo({}, { audio: null }), { maxDurationSec: 600 });
    expect(variantsFromPlan(silent)[0]!.codecs).not.toContain('mp4a');
  });

  it('picks H.264 levels the way x264 does for common sizes', () => {
    expect(h264Level(1080, 1920, 30, 5000)).toBe(40);
    expect(h264Level(1080, 1920, 60, 7500)).toBe(42);
    expect(h264Level(720, 1280, 30, 2800)).toBe(31);
    expect(h264Level(360, 640, 30, 800)).toBe(30);
    expect(plannedCodecs({ width: 720, height: 1280, maxrateKbps: 2800 }, 30, true)).toBe('avc1.64001f,mp4a.40.2');
  });
});

describe('readMediaPlaylist / measureRendition', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-hls-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns null before ffmpeg has written the playlist', async () => {
    expect(await readMediaPlaylist(join(dir, 'missing.m3u8'))).toBeNull();
  });

  it('measures peak and average bitrate, ignoring a short tail segment for the peak', async () => {
    await writeFile(join(dir, 'index.m3u8'), finished);
    await writeFile(join(dir, 'init_720p.mp4'), Buffer.alloc(800));
    await writeFile(join(dir, 'seg_00000.m4s'), Buffer.alloc(500_000)); // 2 Mbit/s
    await writeFile(join(dir, 'seg_00001.m4s'), Buffer.alloc(250_000)); // 1 Mbit/s
    await writeFile(join(dir, 'seg_00002.m4s'), Buffer.alloc(200_000)); // 3.2 Mbit/s over 0.5 s
    const playlist = (await readMediaPlaylist(join(dir, 'index.m3u8')))!;
    const m = await measureRendition(dir, playlist);
    expect(m.bytes).toBe(950_800);
    expect(m.peakBitrate).toBe(2_000_000);
    expect(m.averageBitrate).toBe(Math.round((950_000 * 8) / 4.5));
    expect(m.durationSec).toBeCloseTo(4.5);
    expect(m.codecs).toBe(''); // not a real init segment
  });
});
