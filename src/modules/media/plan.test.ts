import { describe, expect, it } from 'vitest';
import { chooseFrameRate, decodeCost, maxrateFor, planEncode, planLadder, posterTimeSec, progressiveRung } from './plan.js';
import { mediaInfo } from '../../../test/support/media-helpers.js';

const sizes = (rungs: Array<{ width: number; height: number }>): string[] => rungs.map((r) => `${r.width}x${r.height}`);
const plan = (info = mediaInfo()) => planEncode(info, { maxDurationSec: 600 });

describe('planLadder', () => {
  it('gives a 1080x1920 portrait clip the full ladder, named by short side, portrait kept', () => {
    const rungs = planLadder(1080, 1920, 30);
    expect(sizes(rungs)).toEqual(['1080x1920', '720x1280', '540x960', '360x640']);
    expect(rungs.map((r) => r.name)).toEqual(['1080p', '720p', '540p', '360p']);
    expect(rungs.map((r) => r.playlistPath)).toEqual([
      'hls/1080p/index.m3u8',
      'hls/720p/index.m3u8',
      'hls/540p/index.m3u8',
      'hls/360p/index.m3u8',
    ]);
  });

  it('ladders landscape by the short side too', () => {
    expect(sizes(planLadder(1920, 1080, 30))).toEqual(['1920x1080', '1280x720', '960x540', '640x360']);
  });

  it('never upscales: a 720p source starts at 720', () => {
    expect(sizes(planLadder(1280, 720, 30))).toEqual(['1280x720', '960x540', '640x360']);
  });

  it('gives a source below 360 one rung at its own size, made even (161x121 → 160x120)', () => {
    expect(sizes(planLadder(161, 121, 30))).toEqual(['160x120']);
    expect(planLadder(161, 121, 30)[0]?.name).toBe('120p');
  });

  it('keeps a 160x120 source as is', () => {
    expect(sizes(planLadder(160, 120, 30))).toEqual(['160x120']);
  });

  it('caps 8K at 1080 short side', () => {
    expect(sizes(planLadder(7680, 4320, 24))).toEqual(['1920x1080', '1280x720', '960x540', '640x360']);
  });

  it('keeps a native top rung when the source sits well above the best standard rung (480 → 480 + 360)', () => {
    expect(sizes(planLadder(640, 480, 30))).toEqual(['640x480', '480x360']);
    // 404 is within 20% of 360: not worth a rung of its own.
    expect(sizes(planLadder(720, 404, 30))).toEqual(['642x360']);
  });

  it('keeps odd aspects with even sizes', () => {
    for (const r of planLadder(3026, 1386, 30)) {
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
      expect(r.width / r.height).toBeCloseTo(3026 / 1386, 1);
    }
  });

  it('handles square video', () => {
    expect(sizes(planLadder(1080, 1080, 30))).toEqual(['1080x1080', '720x720', '540x540', '360x360']);
  });

  it('caps bitrate per rung in the expected bands at 30 fps and raises it for 60 fps', () => {
    const at30 = planLadder(1080, 1920, 30).map((r) => r.maxrateKbps);
    expect(at30[0]).toBeGreaterThanOrEqual(4500);
    expect(at30[0]).toBeLessThanOrEqual(5000);
    expect(at30[1]).toBeGreaterThanOrEqual(2500);
    expect(at30[1]).toBeLessThanOrEqual(3000);
    expect(at30[2]).toBeCloseTo(1600, -2);
    expect(at30[3]).toBeCloseTo(800, -2);
    const at60 = planLadder(1080, 1920, 60).map((r) => r.maxrateKbps);
    at60.forEach((rate, i) => expect(rate).toBeGreaterThan(at30[i]!));
    planLadder(1080, 1920, 30).forEach((r) => expect(r.bufsizeKbps).toBe(2 * r.maxrateKbps));
  });

  it('interpolates bitrate monotonically and keeps a floor for tiny frames', () => {
    expect(maxrateFor(1280 * 720, 30)).toBeGreaterThan(maxrateFor(960 * 540, 30));
    expect(maxrateFor(160 * 120, 30)).toBeGreaterThanOrEqual(200);
  });
});

describe('chooseFrameRate', () => {
  const rate = (r: number | null, avg: number | null, interlaced = false) =>
    chooseFrameRate({ realFrameRate: r, avgFrameRate: avg, interlaced });

  it('keeps standard rates exactly, NTSC included', () => {
    expect(rate(30, 30)).toEqual({ num: 30, den: 1 });
    expect(rate(30000 / 1001, 30000 / 1001)).toEqual({ num: 30000, den: 1001 });
    expect(rate(24000 / 1001, 24000 / 1001)).toEqual({ num: 24000, den: 1001 });
    expect(rate(50, 50)).toEqual({ num: 50, den: 1 });
  });

  it('caps at 60', () => {
    expect(rate(120, 120)).toEqual({ num: 60, den: 1 });
    expect(rate(240, 240)).toEqual({ num: 60, den: 1 });
  });

  it('snaps jittery phone rates (60.06, 24.04, 29.87) to the standard one', () => {
    expect(rate(60, 60.058)).toEqual({ num: 60, den: 1 });
    expect(rate(289 / 12, 625 / 26)).toEqual({ num: 24, den: 1 });
    expect(rate(179 / 6, 90000 / 3013)).toEqual({ num: 30000, den: 1001 });
  });

  it('uses r_frame_rate when the average is dragged down by gaps (VFR slow-motion clip)', () => {
    expect(rate(30, 13.325)).toEqual({ num: 30, den: 1 });
  });

  it('uses the average when r_frame_rate is a timebase artefact', () => {
    expect(rate(57600, 7.22)).toEqual({ num: 10, den: 1 }); // and never below 10
    expect(rate(120, 29.877)).toEqual({ num: 30000, den: 1001 });
  });

  it('uses the frame rate, not the field rate, for interlaced video', () => {
    expect(rate(60000 / 1001, 30000 / 1001, true)).toEqual({ num: 30000, den: 1001 });
  });

  it('falls back to 30 when neither rate is known, and never goes below 10', () => {
    expect(rate(null, null)).toEqual({ num: 30, den: 1 });
    expect(rate(5, 5)).toEqual({ num: 10, den: 1 });
    expect(rate(1, null)).toEqual({ num: 10, den: 1 });
  });

  it('rounds unusual rates to half frames so a 2 s GOP is a whole number of frames', () => {
    const r = rate(50 / 3, null); // browser WebM: r_frame_rate only
    expect(r).toEqual({ num: 33, den: 2 });
  });
});

describe('planEncode', () => {
  it('plans a 1080x1920 30 fps clip: 2 s GOP aligned across rungs, H.264 High 8-bit, AAC stereo', () => {
    const p = plan();
    expect(p.frameRate).toEqual({ num: 30, den: 1 });
    expect(p.gopFrames).toBe(60);
    expect(p.segmentSec).toBe(2);
    expect(p.video).toEqual({ encoder: 'libx264', preset: 'veryfast', profile: 'high', pixFmt: 'yuv420p' });
    expect(p.audio).toEqual({ codec: 'aac', bitrateKbps: 128, sampleRate: 48000, channels: 2 });
    expect(p.input).toMatchObject({ demuxer: 'mov', videoStreamIndex: 0, audioStreamIndex: 1, durationSec: 10 });
    expect(p.rungs.every((r) => r.crf === p.rungs[0]?.crf)).toBe(true);
  });

  it('says where the picture ends on the file timeline, when the header says', () => {
    // The clip: the picture starts 0.066667 s after the sound and lasts 8 s.
    expect(plan(mediaInfo({ startSec: 0.066667, durationSec: 8 })).input.videoEndSec).toBe(8.066667);
    expect(plan(mediaInfo({ startSec: 0, durationSec: 10 })).input.videoEndSec).toBe(10);
    expect(plan(mediaInfo({ startSec: null })).input.videoEndSec).toBeNull();
    expect(plan(mediaInfo({ durationSec: null })).input.videoEndSec).toBeNull();
  });

  it('ladders a 3840x2160 clip rotated -90 (portrait phone) in display orientation', () => {
    const p = plan(
      mediaInfo({
        codedWidth: 3840,
        codedHeight: 2160,
        displayWidth: 2160,
        displayHeight: 3840,
        orientation: { rotation: 90, mirrored: false },
        realFrameRate: 60,
        avgFrameRate: 60.058,
        fullRange: true,
        matrix: 'bt601',
      }),
    );
    expect(sizes(p.rungs)).toEqual(['1080x1920', '720x1280', '540x960', '360x640']);
    expect(p.filters.orientation).toEqual({ rotation: 90, mirrored: false });
    expect(p.filters.inputFullRange).toBe(true);
    expect(p.frameRate).toEqual({ num: 60, den: 1 });
    expect(p.gopFrames).toBe(120);
  });

  it('plans 8K down to 1080 short side', () => {
    const p = plan(
      mediaInfo({ codedWidth: 7680, codedHeight: 4320, displayWidth: 7680, displayHeight: 4320, realFrameRate: 24, avgFrameRate: 24 }),
    );
    expect(p.rungs[0]).toMatchObject({ width: 1920, height: 1080 });
    expect(p.gopFrames).toBe(48);
  });

  it('plans a VFR clip at a constant rate with a GOP of 2 s', () => {
    const p = plan(mediaInfo({ realFrameRate: 120, avgFrameRate: 29.877 }));
    expect(p.frameRate).toEqual({ num: 30000, den: 1001 });
    expect(p.gopFrames).toBe(60);
  });

  it('has no audio track when the source has none', () => {
    const p = plan(mediaInfo({}, { audio: null }));
    expect(p.audio).toBeNull();
    expect(p.input.audioStreamIndex).toBeNull();
  });

  it('asks for tone mapping and deinterlacing only when the source needs them', () => {
    expect(plan().filters).toMatchObject({ toneMap: null, deinterlace: false });
    expect(plan(mediaInfo({ hdr: 'hlg', bitDepth: 10, matrix: 'bt2020', wideGamut: true })).filters).toMatchObject({
      toneMap: 'hlg',
      inputWideGamut: true,
    });
    expect(plan(mediaInfo({ hdr: 'pq' })).filters.toneMap).toBe('pq');
    expect(plan(mediaInfo({ interlaced: true })).filters.deinterlace).toBe(true);
  });

  it('is pure: same input, same plan', () => {
    expect(plan()).toEqual(plan());
  });
});

describe('posterTimeSec / progressiveRung', () => {
  it('takes the poster at 1 s, or mid-clip for short clips', () => {
    expect(posterTimeSec(15)).toBe(1);
    expect(posterTimeSec(null)).toBe(1);
    expect(posterTimeSec(0.5)).toBe(0.25);
  });

  it('makes the MP4 from 360p, else the smallest rung above it, else the only rung', () => {
    expect(progressiveRung(planLadder(1080, 1920, 30)).name).toBe('360p');
    expect(progressiveRung(planLadder(640, 480, 30)).name).toBe('360p');
    expect(progressiveRung(planLadder(160, 120, 30)).name).toBe('120p');
  });
});

describe('decode cost and the duration cap it sets', () => {
  const budget = 3840 * 2160 * 60 * 600;

  it('costs the stored size times the average frame rate, and that times the duration', () => {
    const info = mediaInfo({ codedWidth: 1920, codedHeight: 1080, avgFrameRate: 30, realFrameRate: 120 }, { durationSec: 10 });
    expect(decodeCost(info)).toEqual({ fps: 30, pixelRate: 1920 * 1080 * 30, totalPixels: 1920 * 1080 * 30 * 10 });
    expect(
      decodeCost(mediaInfo({ avgFrameRate: null, realFrameRate: null, frameCount: null, durationSec: null }, { durationSec: null })),
    ).toMatchObject({
      fps: 30,
      totalPixels: null,
    });
  });

  it('caps decoding at the duration limit, or sooner where the pixel budget runs out at this size and rate', () => {
    const hd = mediaInfo({ codedWidth: 1920, codedHeight: 1080, avgFrameRate: 30, durationSec: null }, { durationSec: null });
    expect(planEncode(hd, { maxDurationSec: 600, maxPixelBudget: budget })).toMatchObject({
      maxDurationSec: 600,
      maxDurationBy: 'duration',
    });
    // An 8K30 stream that states no duration may decode for half as long as 4K60 (a little over 300 s).
    const eightK = mediaInfo({ codedWidth: 7680, codedHeight: 4320, avgFrameRate: 30, durationSec: null }, { durationSec: null });
    const capped = planEncode(eightK, { maxDurationSec: 600, maxPixelBudget: budget });
    expect(capped.maxDurationBy).toBe('pixel_budget');
    expect(capped.maxDurationSec).toBeCloseTo(300, 0);
    expect(planEncode(eightK, { maxDurationSec: 600 })).toMatchObject({ maxDurationSec: 600, maxDurationBy: 'duration' });
  });

  it('bounds decoded frames by the budget whatever frame rate the file declares (1 fps declared, frames a millisecond apart)', () => {
    const liar = mediaInfo({ codedWidth: 7680, codedHeight: 4320, avgFrameRate: 1, durationSec: 600 }, { durationSec: 600 });
    const plan = planEncode(liar, { maxDurationSec: 600, maxPixelBudget: budget });
    // By its header it passes (8K at 1 fps for 600 s is cheap)…
    expect(plan.maxDurationBy).toBe('duration');
    // …but no more frames are decoded than twice the budget pays for at 8K (an honest file hits the duration cap first).
    expect(plan.maxFrames).toBe(Math.floor((2 * budget) / (7680 * 4320)));
    expect(planEncode(liar, { maxDurationSec: 600 }).maxFrames).toBeUndefined();
  });
});
