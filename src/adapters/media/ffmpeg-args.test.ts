import { describe, expect, it } from 'vitest';
import { buildEncodeArgs, buildFilterGraph, fileUrl, safeInputArgs } from './ffmpeg-args.js';
import { planEncode } from '../../modules/media/plan.js';
import { mediaInfo } from '../../../test/support/media-helpers.js';

const plan = (...args: Parameters<typeof mediaInfo>) => planEncode(mediaInfo(...args), { maxDurationSec: 600 });
const valueAfter = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('safeInputArgs', () => {
  it('allows only local files and the known demuxers, and forces the sniffed one', () => {
    const args = safeInputArgs('mov', '/data/up load.mov');
    expect(valueAfter(args, '-protocol_whitelist')).toBe('file');
    expect(valueAfter(args, '-format_whitelist')).toBe('mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,avi,flv,ogg');
    expect(valueAfter(args, '-f')).toBe('mov');
    expect(valueAfter(args, '-i')).toBe('file:/data/up load.mov');
  });

  it('never lets a file name read as a protocol or an option', () => {
    expect(fileUrl('http:evil')).toMatch(/^file:\/.*\/http:evil$/);
    expect(fileUrl('-y')).toMatch(/^file:\/.*\/-y$/);
  });
});

describe('buildFilterGraph', () => {
  it('splits one decode into every rung, the top rung unscaled again', () => {
    const g = buildFilterGraph(plan());
    expect(g).toContain('[0:0]fps=30/1:start_time=0,scale=w=1080:h=1920:flags=bicubic,format=yuv420p,setsar=1,split=4[v0][s1][s2][s3]');
    expect(g).toContain('[s1]scale=w=720:h=1280:flags=bicubic[v1]');
    expect(g).toContain('[s3]scale=w=360:h=640:flags=bicubic[v3]');
    expect(g).toContain(
      '[0:1]aresample=48000:async=1:first_pts=0,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,' +
        'apad=pad_dur=2,atrim=end=10.000000,asplit=4[a0][a1][a2][a3]',
    );
  });

  it('scales before rotating (in stored orientation) and converts full-range BT.601 with zimg', () => {
    const g = buildFilterGraph(
      plan({
        codedWidth: 3840,
        codedHeight: 2160,
        displayWidth: 2160,
        displayHeight: 3840,
        orientation: { rotation: 90, mirrored: false },
        fullRange: true,
        matrix: 'bt601',
        realFrameRate: 60,
        avgFrameRate: 60,
      }),
    );
    expect(g).toMatch(
      /fps=60\/1:start_time=0,zscale=w=1920:h=1080:f=bicubic:min=170m:rin=full:m=709:r=limited:d=ordered,format=yuv420p,transpose=clock,setsar=1,split=4/,
    );
  });

  it('range-converts full-range BT.709 with swscale', () => {
    expect(buildFilterGraph(plan({ fullRange: true }))).toContain('scale=w=1080:h=1920:flags=bicubic:in_range=full:out_range=limited');
  });

  it('un-mirrors as well as rotates', () => {
    const g = buildFilterGraph(
      plan({ codedWidth: 1080, codedHeight: 720, displayWidth: 720, displayHeight: 1080, orientation: { rotation: 90, mirrored: true } }),
    );
    expect(g).toContain('transpose=cclock_flip');
  });

  it('tone-maps HLG and PQ to SDR BT.709 in linear light', () => {
    const hlg = buildFilterGraph(plan({ hdr: 'hlg', matrix: 'bt2020', wideGamut: true, pixFmt: 'yuv420p10le', bitDepth: 10 }));
    expect(hlg).toContain('tin=arib-std-b67:min=2020_ncl:pin=2020:rin=limited:t=linear:npl=100');
    expect(hlg).toContain('format=gbrpf32le,zscale=p=709,tonemap=tonemap=hable:desat=0,zscale=t=709:m=709:r=limited');
    expect(buildFilterGraph(plan({ hdr: 'pq', matrix: 'bt2020', wideGamut: true }))).toContain('tin=smpte2084');
  });

  it('deinterlaces only interlaced sources, before the frame-rate conversion', () => {
    expect(buildFilterGraph(plan())).not.toContain('bwdif');
    expect(buildFilterGraph(plan({ interlaced: true }))).toMatch(/^\[0:0\]bwdif=mode=send_frame:parity=auto:deint=all,fps=/);
  });

  it('resizes odd-sized 4:2:0 input with swscale before zimg (which refuses it)', () => {
    const g = buildFilterGraph(
      plan({ codedWidth: 161, codedHeight: 121, displayWidth: 161, displayHeight: 121, matrix: 'bt601' }, { audio: null }),
    );
    expect(g).toBe(
      '[0:0]fps=30/1:start_time=0,scale=w=160:h=120:flags=bicubic,zscale=min=170m:rin=limited:m=709:r=limited:d=ordered,format=yuv420p,setsar=1[v0]',
    );
  });
});

describe('buildEncodeArgs', () => {
  const p = plan();
  const args = buildEncodeArgs(p, '/in/clip.mp4', '/work/out', { progressUrl: 'pipe:1' });

  it('reads the input safely and without autorotation', () => {
    expect(args).toContain('-noautorotate');
    expect(valueAfter(args, '-protocol_whitelist')).toBe('file');
    expect(valueAfter(args, '-i')).toBe('file:/in/clip.mp4');
    expect(valueAfter(args, '-progress')).toBe('pipe:1');
  });

  it('encodes H.264 High 8-bit with a fixed 2 s GOP and no scene cuts', () => {
    expect(valueAfter(args, '-c:v')).toBe('libx264');
    expect(valueAfter(args, '-preset')).toBe('veryfast');
    expect(valueAfter(args, '-profile:v')).toBe('high');
    expect(valueAfter(args, '-pix_fmt')).toBe('yuv420p');
    expect(valueAfter(args, '-g')).toBe('60');
    expect(valueAfter(args, '-keyint_min')).toBe('60');
    expect(valueAfter(args, '-sc_threshold')).toBe('0');
    // Constant frame rate + fixed GOP puts IDRs on the same frames of every rung (forcing them costs bits).
    expect(args).not.toContain('-force_key_frames');
    expect(valueAfter(args, '-colorspace')).toBe('bt709');
    expect(valueAfter(args, '-color_range')).toBe('tv');
    expect(valueAfter(args, '-maxrate:v:0')).toBe(`${p.rungs[0]!.maxrateKbps}k`);
    expect(valueAfter(args, '-bufsize:v:3')).toBe(`${p.rungs[3]!.bufsizeKbps}k`);
    expect(valueAfter(args, '-crf:v:1')).toBe('23');
  });

  it('writes AAC-LC stereo 48 kHz 128k', () => {
    expect(valueAfter(args, '-c:a')).toBe('aac');
    expect(valueAfter(args, '-b:a')).toBe('128k');
    expect(valueAfter(args, '-ar')).toBe('48000');
    expect(valueAfter(args, '-ac')).toBe('2');
  });

  it('starts picture and sound with the file and ends the sound where the picture ends', () => {
    // The picture of the clip: from 0.066667 s, 8 s long. Its first frame is held back to 0,
    // the sound starts at 0 too, and is padded with (at most 2 s of) silence or cut to end at 8.066667 s.
    const g = buildFilterGraph(plan({ startSec: 0.066667, durationSec: 8 }));
    expect(g).toMatch(/^\[0:0\]fps=30\/1:start_time=0,/);
    expect(g).toMatch(/\[0:1\]aresample=48000:async=1:first_pts=0,[^;]*,apad=pad_dur=2,atrim=end=8\.066667,asplit=4/);
    // A header that does not say where the picture ends (a browser's WebM): nothing to pad or cut to.
    expect(buildFilterGraph(plan({ startSec: null }))).not.toMatch(/apad|atrim/);
    expect(buildFilterGraph(plan({ durationSec: null }))).not.toMatch(/apad|atrim/);
    // Without sound there is no sound to pad.
    expect(buildFilterGraph(plan({}, { audio: null }))).not.toContain('apad');
  });

  it('strips all metadata and bounds the duration', () => {
    expect(valueAfter(args, '-map_metadata')).toBe('-1');
    expect(valueAfter(args, '-map_chapters')).toBe('-1');
    expect(valueAfter(args, '-t')).toBe('601');
    expect(args).not.toContain('-frames:v'); // no pixel budget in this plan
    const bounded = buildEncodeArgs({ ...p, maxFrames: 1234 }, '/in/clip.mp4', '/work/out', { progressUrl: 'pipe:1' });
    expect(valueAfter(bounded, '-frames:v')).toBe('1234');
  });

  it('writes HLS with fMP4 segments, one folder per rung', () => {
    expect(valueAfter(args, '-f')).toBe('mov'); // input
    expect(args.slice(args.lastIndexOf('-f'), args.lastIndexOf('-f') + 2)).toEqual(['-f', 'hls']);
    expect(valueAfter(args, '-hls_segment_type')).toBe('fmp4');
    expect(valueAfter(args, '-hls_time')).toBe('2');
    expect(valueAfter(args, '-hls_playlist_type')).toBe('event');
    expect(valueAfter(args, '-hls_flags')).toContain('independent_segments');
    expect(valueAfter(args, '-var_stream_map')).toBe('v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:540p v:3,a:3,name:360p');
    expect(valueAfter(args, '-hls_segment_filename')).toBe('/work/out/hls/%v/seg_%05d.m4s');
    expect(args[args.length - 1]).toBe('/work/out/hls/%v/index.m3u8');
    expect(args.filter((a) => a.startsWith('[v')).length).toBe(4);
  });

  it('maps no audio when the source has none, and names a single rung init literally', () => {
    const silent = buildEncodeArgs(
      plan({ codedWidth: 160, codedHeight: 120, displayWidth: 160, displayHeight: 120 }, { audio: null }),
      '/in.mp4',
      '/o',
    );
    expect(silent).not.toContain('-c:a');
    expect(valueAfter(silent, '-var_stream_map')).toBe('v:0,name:120p');
    expect(valueAfter(silent, '-hls_fmp4_init_filename')).toBe('init_120p.mp4');
  });

  it('refuses an output folder with % (ffmpeg would expand it)', () => {
    expect(() => buildEncodeArgs(p, '/in.mp4', '/tmp/100%')).toThrow(/%/);
  });
});
