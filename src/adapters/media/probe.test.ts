import { describe, expect, it } from 'vitest';
import { MediaError } from '../../errors.js';
import { loadConfig } from '../../config/config.js';
import { interpretProbe, parseDecoderList, parseRate, type InterpretContext, type ProbeJson, type ProbeStream } from './probe.js';

const ctx: InterpretContext = {
  sniff: { family: 'isobmff', demuxer: 'mov', sizeBytes: 1000 },
  decodableCodecs: new Set(['h264', 'hevc', 'vp9', 'av1', 'aac', 'mjpeg', 'amr_nb', 'opus']),
  maxDurationSec: 600,
  probeErrors: '',
};

const video = (over: Partial<ProbeStream> = {}): ProbeStream => ({
  index: 0,
  codec_type: 'video',
  codec_name: 'h264',
  profile: 'High',
  pix_fmt: 'yuv420p',
  width: 1920,
  height: 1080,
  r_frame_rate: '30/1',
  avg_frame_rate: '30/1',
  nb_frames: '300',
  duration: '10.0',
  disposition: { default: 1 },
  ...over,
});
const audio = (over: Partial<ProbeStream> = {}): ProbeStream => ({
  index: 1,
  codec_type: 'audio',
  codec_name: 'aac',
  channels: 2,
  sample_rate: '48000',
  disposition: { default: 1 },
  ...over,
});
const probe = (
  streams: ProbeStream[],
  format: ProbeJson['format'] = { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.0' },
): ProbeJson => ({
  format,
  streams,
});

const codeOf = (json: ProbeJson, c: InterpretContext = ctx): string => {
  try {
    interpretProbe(json, c);
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    return (err as MediaError).code;
  }
  return 'accepted';
};

const matrix = (rows: Array<[number, number, number]>): string =>
  '\n' + rows.map((r, i) => `0000000${i}:${r.map((v) => String(v).padStart(12)).join(' ')}`).join('\n') + '\n';

describe('interpretProbe: refusals', () => {
  it('zero streams (a truncated init segment) → no_video_stream', () => {
    expect(codeOf(probe([], { format_name: 'mov', duration: '0.000000' }))).toBe('no_video_stream');
  });

  it('audio only, or only cover art → no_video_stream', () => {
    expect(codeOf(probe([audio({ index: 0 })]))).toBe('no_video_stream');
    expect(codeOf(probe([audio({ index: 0 }), video({ index: 1, codec_name: 'mjpeg', disposition: { attached_pic: 1 } })]))).toBe(
      'no_video_stream',
    );
  });

  it('a codec ffmpeg cannot decode (VVC shows no codec_name) → unsupported_codec, naming the tag', () => {
    const json = probe([video({ codec_name: undefined, codec_tag_string: 'vvc1', pix_fmt: undefined, profile: undefined })]);
    expect(codeOf(json)).toBe('unsupported_codec');
    expect(() => interpretProbe(json, ctx)).toThrow(/vvc1/);
    expect(codeOf(probe([video({ codec_name: 'prores' })]))).toBe('unsupported_codec');
  });

  it('missing or zero dimensions → dimensions_invalid', () => {
    expect(codeOf(probe([video({ width: 0 })]))).toBe('dimensions_invalid');
    expect(codeOf(probe([video({ width: undefined, height: undefined })]))).toBe('dimensions_invalid');
    expect(codeOf(probe([video({ width: 8, height: 8 })]))).toBe('dimensions_invalid');
  });

  it('beyond 8K UHD → dimensions_too_large; 8K itself passes in either orientation', () => {
    expect(codeOf(probe([video({ width: 8192, height: 8192 })]))).toBe('dimensions_too_large');
    expect(codeOf(probe([video({ width: 7681, height: 4320 })]))).toBe('dimensions_too_large');
    expect(codeOf(probe([video({ width: 4321, height: 4321 })]))).toBe('dimensions_too_large');
    expect(codeOf(probe([video({ width: 7680, height: 4320 })]))).toBe('accepted');
    expect(codeOf(probe([video({ width: 4320, height: 7680 })]))).toBe('accepted');
  });

  it('longer than the limit → duration_too_long (header duration)', () => {
    expect(codeOf(probe([video()], { format_name: 'matroska,webm', duration: '1132.048' }))).toBe('duration_too_long');
    expect(codeOf(probe([video()], { duration: '600.0' }))).toBe('accepted');
  });

  it('no pixel format plus ffprobe errors (not one frame decoded) → corrupt_media', () => {
    const json = probe([video({ pix_fmt: undefined, profile: undefined })]);
    expect(codeOf(json, { ...ctx, probeErrors: '[vp9 @ 0x1] Invalid sync code\n' })).toBe('corrupt_media');
    // Without errors, leave it to the decoder.
    expect(codeOf(json)).toBe('accepted');
  });

  it('Dolby Vision profile 5 (no compatible base layer) → unsupported_codec; profile 8.4 is fine', () => {
    const dv = (profile: number, compat: number) =>
      probe([
        video({
          codec_name: 'hevc',
          side_data_list: [{ side_data_type: 'DOVI configuration record', dv_profile: profile, dv_bl_signal_compatibility_id: compat }],
        }),
      ]);
    expect(codeOf(dv(5, 0))).toBe('unsupported_codec');
    expect(interpretProbe(dv(8, 4), ctx).video.dolbyVision).toEqual({ profile: 8, compatibilityId: 4 });
  });
});

describe('interpretProbe: decode cost (VIDEO_MAX_PIXEL_RATE, VIDEO_MAX_PIXEL_BUDGET at their defaults)', () => {
  const { maxPixelRate, maxPixelBudget } = loadConfig({}).media;
  const limited: InterpretContext = { ...ctx, maxPixelRate, maxPixelBudget };
  const clip = (width: number, height: number, rate: string, seconds: number, over: Partial<ProbeStream> = {}) =>
    probe([video({ width, height, r_frame_rate: rate, avg_frame_rate: rate, duration: String(seconds), nb_frames: undefined, ...over })], {
      format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
      duration: String(seconds),
    });

  it('accepts every phone format, 4K60 for the longest allowed duration included', () => {
    for (const [w, h, rate, sec] of [
      [3840, 2160, '60/1', 600],
      [2160, 3840, '60000/1001', 600],
      [3840, 2160, '6002/100', 600], // a phone's measured 60.02 fps
      [3840, 2160, '120/1', 60], // 4K120 slow motion
      [1920, 1080, '240/1', 600], // 1080p240 slow motion
      [7680, 4320, '30/1', 60], // 8K30
      [7680, 4320, '30/1', 3], // the 3 s 8K clip: a real phone format, bounded by fair scheduling instead
      [1080, 1920, '30/1', 600],
    ] as const) {
      expect(codeOf(clip(w, h, rate, sec), limited), `${w}x${h}@${rate} ${sec}s`).toBe('accepted');
    }
  });

  it('more pixels a second than any phone records → pixel_rate_too_high, naming size, rate and limit', () => {
    expect(codeOf(clip(7680, 4320, '60/1', 3), limited)).toBe('pixel_rate_too_high');
    expect(codeOf(clip(3840, 2160, '240/1', 3), limited)).toBe('pixel_rate_too_high');
    expect(() => interpretProbe(clip(7680, 4320, '60/1', 3), limited)).toThrow(
      /7680x4320 at 60 fps \(1991 megapixels a second\); the limit is 1000\./,
    );
    // Without limits (a caller that sets none), nothing is refused for cost.
    expect(codeOf(clip(7680, 4320, '60/1', 3))).toBe('accepted');
  });

  it('more pixels in all than the budget → pixel_budget_exceeded, saying how long this size may be', () => {
    expect(codeOf(clip(7680, 4320, '30/1', 600), limited)).toBe('pixel_budget_exceeded');
    expect(() => interpretProbe(clip(7680, 4320, '30/1', 600), limited)).toThrow(
      /At 7680x4320 and 30 fps a video can be up to 5 min 6 s long/,
    );
    expect(codeOf(clip(7680, 4320, '30/1', 300), limited)).toBe('accepted');
  });

  it('counts the frames a variable-rate clip really has (its average), not its timebase', () => {
    // A 4K phone clip whose r_frame_rate is a 90 kHz timebase and whose average is 30 fps.
    expect(codeOf(clip(3840, 2160, '90000/1', 600, { avg_frame_rate: '30/1' }), limited)).toBe('accepted');
    // No average: the frame count over the duration.
    expect(codeOf(clip(3840, 2160, '90000/1', 600, { avg_frame_rate: '0/0', nb_frames: '36000' }), limited)).toBe('accepted');
    expect(codeOf(clip(7680, 4320, '90000/1', 10, { avg_frame_rate: '0/0', nb_frames: '1200' }), limited)).toBe('pixel_rate_too_high');
  });
});

describe('interpretProbe: what it reads', () => {
  it('reads a plain clip', () => {
    const info = interpretProbe(probe([video(), audio()]), ctx);
    expect(info).toMatchObject({
      family: 'isobmff',
      demuxer: 'mov',
      durationSec: 10,
      audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
    });
    expect(info.video).toMatchObject({
      index: 0,
      codec: 'h264',
      bitDepth: 8,
      displayWidth: 1920,
      displayHeight: 1080,
      orientation: { rotation: 0, mirrored: false },
      realFrameRate: 30,
      avgFrameRate: 30,
      fullRange: false,
      matrix: 'bt709',
      hdr: null,
      interlaced: false,
    });
  });

  it("reads where the picture starts after the file's start (ffmpeg's timeline), or null when not stated", () => {
    const withStarts = (videoStart: string | undefined, fileStart: string | undefined) =>
      interpretProbe(
        probe([video({ start_time: videoStart }), audio({ start_time: '0.000000' })], {
          format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
          duration: '10.0',
          start_time: fileStart,
        }),
        ctx,
      ).video.startSec;
    // mp4ff__prog_8s.mp4: the sound from 0, the picture from 0.066667.
    expect(withStarts('0.066667', '0.000000')).toBeCloseTo(0.066667, 6);
    // MPEG-TS clocks start anywhere: only the difference counts.
    expect(withStarts('1.433333', '1.400000')).toBeCloseTo(0.033333, 6);
    expect(withStarts('1.400000', '1.400000')).toBe(0);
    expect(withStarts(undefined, '0.000000')).toBeNull();
    expect(withStarts('0.066667', undefined)).toBeNull();
    expect(withStarts('N/A', '0.000000')).toBeNull();
  });

  it('swaps display size for a -90 iPhone clip and detects the mirror ffprobe reports as plain -90', () => {
    const iphone = video({
      width: 1280,
      height: 720,
      side_data_list: [
        {
          side_data_type: 'Display Matrix',
          displaymatrix: matrix([
            [0, 65536, 0],
            [-65536, 0, 0],
            [47185920, 0, 1073741824],
          ]),
          rotation: -90,
        },
      ],
    });
    expect(interpretProbe(probe([iphone]), ctx).video).toMatchObject({
      displayWidth: 720,
      displayHeight: 1280,
      orientation: { rotation: 90, mirrored: false },
    });
    const reflect = video({
      width: 1080,
      height: 720,
      side_data_list: [
        {
          side_data_type: 'Display Matrix',
          displaymatrix: matrix([
            [0, 65536, 0],
            [65536, 0, 0],
            [0, 0, 1073741824],
          ]),
          rotation: -90,
        },
      ],
    });
    expect(interpretProbe(probe([reflect]), ctx).video.orientation).toEqual({ rotation: 90, mirrored: true });
  });

  it('falls back to the rotation angle, then to a rotate tag', () => {
    const angleOnly = video({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: 90 }] });
    expect(interpretProbe(probe([angleOnly]), ctx).video.orientation).toEqual({ rotation: 270, mirrored: false });
    const tagged = video({ tags: { rotate: '90' } });
    expect(interpretProbe(probe([tagged]), ctx).video.orientation).toEqual({ rotation: 90, mirrored: false });
  });

  it('applies the pixel aspect ratio to the display size', () => {
    const info = interpretProbe(probe([video({ width: 176, height: 144, sample_aspect_ratio: '12:11' })]), ctx);
    expect(info.video).toMatchObject({ displayWidth: 192, displayHeight: 144, sampleAspectRatio: 12 / 11 });
  });

  it('refuses an implausible pixel aspect ratio instead of planning a gigantic encode', () => {
    for (const sar of ['100:1', '1:100']) {
      expect(() => interpretProbe(probe([video({ width: 1920, height: 1080, sample_aspect_ratio: sar })]), ctx)).toThrow(
        expect.objectContaining({ code: 'dimensions_invalid' }),
      );
    }
  });

  it('recognises HDR (PQ, HLG), 10-bit, full range, interlacing and the YUV matrix', () => {
    const hlg = interpretProbe(
      probe([
        video({
          codec_name: 'hevc',
          pix_fmt: 'yuv420p10le',
          color_transfer: 'arib-std-b67',
          color_space: 'bt2020nc',
          color_primaries: 'bt2020',
        }),
      ]),
      ctx,
    ).video;
    expect(hlg).toMatchObject({ hdr: 'hlg', bitDepth: 10, matrix: 'bt2020', wideGamut: true });
    expect(interpretProbe(probe([video({ color_transfer: 'smpte2084' })]), ctx).video.hdr).toBe('pq');
    expect(interpretProbe(probe([video({ pix_fmt: 'yuvj420p' })]), ctx).video.fullRange).toBe(true);
    expect(interpretProbe(probe([video({ color_range: 'pc' })]), ctx).video.fullRange).toBe(true);
    for (const order of ['tt', 'bb', 'tb', 'bt']) {
      expect(interpretProbe(probe([video({ field_order: order })]), ctx).video.interlaced).toBe(true);
    }
    expect(interpretProbe(probe([video({ field_order: 'progressive' })]), ctx).video.interlaced).toBe(false);
    expect(interpretProbe(probe([video({ color_space: 'smpte170m' })]), ctx).video.matrix).toBe('bt601');
    // Untagged: SD is BT.601, HD is BT.709.
    expect(interpretProbe(probe([video({ width: 640, height: 480 })]), ctx).video.matrix).toBe('bt601');
    expect(interpretProbe(probe([video({ width: 1280, height: 720 })]), ctx).video.matrix).toBe('bt709');
  });

  it('picks the real video among several: not the cover art, not the larger track of two stills', () => {
    const motionPhoto = probe([
      video({ index: 0, width: 1440, height: 1080, nb_frames: '53', codec_name: 'hevc' }),
      video({ index: 1, width: 2048, height: 1536, nb_frames: '2', codec_name: 'hevc' }),
    ]);
    expect(interpretProbe(motionPhoto, ctx).video.index).toBe(0);
    const withCover = probe([
      video({ index: 0, codec_name: 'mjpeg', disposition: { attached_pic: 1 }, width: 600, height: 600 }),
      video({ index: 1 }),
      audio({ index: 2 }),
    ]);
    expect(interpretProbe(withCover, ctx).video.index).toBe(1);
    const preferDefault = probe([video({ index: 0, disposition: { default: 0 }, nb_frames: '900' }), video({ index: 1 })]);
    expect(interpretProbe(preferDefault, ctx).video.index).toBe(1);
    const preferDecodable = probe([
      video({ index: 0, codec_name: undefined, codec_tag_string: 'vvc1' }),
      video({ index: 1, disposition: { default: 0 } }),
    ]);
    expect(interpretProbe(preferDecodable, ctx).video.index).toBe(1);
  });

  it('drops audio it cannot decode instead of failing the video', () => {
    expect(interpretProbe(probe([video(), audio({ codec_name: 'dolby_e' })]), ctx).audio).toBeNull();
    expect(interpretProbe(probe([video()]), ctx).audio).toBeNull();
  });

  it('accepts a browser WebM without a duration', () => {
    const webm = probe(
      [
        audio({ index: 0, codec_name: 'opus' }),
        video({ index: 1, codec_name: 'vp8', avg_frame_rate: '0/0', r_frame_rate: '50/3', duration: undefined, nb_frames: undefined }),
      ],
      { format_name: 'matroska,webm' },
    );
    const info = interpretProbe(webm, { ...ctx, decodableCodecs: new Set([...ctx.decodableCodecs, 'vp8']) });
    expect(info.durationSec).toBeNull();
    expect(info.video.avgFrameRate).toBeNull();
    expect(info.video.realFrameRate).toBeCloseTo(16.667, 2);
  });
});

describe('parseRate', () => {
  it('parses rationals and rejects nonsense', () => {
    expect(parseRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRate('0/0')).toBeNull();
    expect(parseRate(undefined)).toBeNull();
    expect(parseRate('90000/1')).toBeNull();
  });
});

describe('parseDecoderList', () => {
  const sample = `Decoders:
 V..... = Video
 A..... = Audio
 ------
 VFS..D h264                 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10
 V..... h264_cuvid           Nvidia CUVID H264 decoder (codec h264)
 V..... libdav1d             dav1d AV1 decoder by VideoLAN (codec av1)
 V..... av1_cuvid            Nvidia CUVID AV1 decoder (codec av1)
 V....D hevc_qsv             HEVC video (Intel Quick Sync Video acceleration) (codec hevc)
 A....D aac                  AAC (Advanced Audio Coding)
 A....D libopus              libopus Opus decoder (codec opus)
`;
  it('maps decoder names to codecs and skips hardware-only decoders', () => {
    const codecs = parseDecoderList(sample);
    expect(codecs.has('h264')).toBe(true);
    expect(codecs.has('av1')).toBe(true);
    expect(codecs.has('opus')).toBe(true);
    expect(codecs.has('aac')).toBe(true);
    expect(codecs.has('hevc')).toBe(false);
    expect(codecs.has('Video')).toBe(false);
  });
});
