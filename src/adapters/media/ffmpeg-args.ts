import { join, resolve } from 'node:path';
import type { ColorMatrix, EncodePlan, HdrTransfer } from '../../ports/transcoder.js';
import { orientationFilters, swapsAxes } from '../../modules/media/orientation.js';
import { ALLOWED_DEMUXERS } from '../../modules/media/sniff.js';

/**
 * ffmpeg command lines, built as pure functions of the plan so they can be
 * inspected in tests and reused by the benchmark.
 */

/**
 * Input options that keep ffmpeg from treating an upload as instructions:
 * only local files, only the known video demuxers, the one demuxer the
 * magic bytes named, and no rotation applied behind our back.
 */
export function safeInputArgs(demuxer: string, inputPath: string): string[] {
  return ['-protocol_whitelist', 'file', '-format_whitelist', ALLOWED_DEMUXERS.join(','), '-f', demuxer, '-i', fileUrl(inputPath)];
}

/** An absolute `file:` URL, so a name like "http:x" or "-y" is never read as a protocol or option. */
export function fileUrl(path: string): string {
  return `file:${resolve(path)}`;
}

/** Most silence added after a sound that stops before the picture: one segment. */
export const MAX_AUDIO_PAD_SEC = 2;

const ZSCALE_MATRIX: Record<ColorMatrix, string> = { bt709: '709', bt601: '170m', bt2020: '2020_ncl' };
const ZSCALE_TRANSFER: Record<HdrTransfer, string> = { pq: 'smpte2084', hlg: 'arib-std-b67' };

/**
 * The filter graph: fix the source once (deinterlace, constant frame rate,
 * size of the top rung, colour to SDR BT.709 limited range, upright), then
 * split into the rungs, each scaled from the top rung's frames.
 */
export function buildFilterGraph(plan: EncodePlan): string {
  const f = plan.filters;
  const top = plan.rungs[0];
  if (!top) throw new Error('buildFilterGraph: plan has no rungs');
  // Scale before rotating: transposing a 4K frame costs more than a 1080p one.
  const [w, h] = swapsAxes(f.orientation) ? [top.height, top.width] : [top.width, top.height];

  const pre: string[] = [];
  // Before fps: bwdif needs every field of the original cadence.
  if (f.deinterlace) pre.push('bwdif=mode=send_frame:parity=auto:deint=all');
  // Early, so a 120 fps source is halved before the expensive steps. start_time=0: the picture
  // starts with the file (its first frame held) even where the camera started it after the sound.
  pre.push(`fps=${plan.frameRate.num}/${plan.frameRate.den}:start_time=0`);

  const rin = f.inputFullRange ? 'full' : 'limited';
  // zimg refuses 4:2:0 frames of odd size; swscale resizes those first.
  let zsize = `w=${w}:h=${h}:f=bicubic:`;
  if ((f.toneMap || f.inputMatrix !== 'bt709' || f.inputWideGamut) && (plan.input.codedWidth % 2 || plan.input.codedHeight % 2)) {
    pre.push(`scale=w=${w}:h=${h}:flags=bicubic`);
    zsize = '';
  }
  if (f.toneMap) {
    // HDR → SDR: to linear light (scaling there too), BT.2020 → BT.709 primaries,
    // hable curve (keeps highlights, no clipped skies), back to BT.709 limited range.
    pre.push(
      `zscale=${zsize}tin=${ZSCALE_TRANSFER[f.toneMap]}:min=${ZSCALE_MATRIX[f.inputMatrix]}:pin=2020:rin=${rin}:t=linear:npl=100`,
      'format=gbrpf32le',
      'zscale=p=709',
      'tonemap=tonemap=hable:desat=0',
      'zscale=t=709:m=709:r=limited:d=ordered',
      'format=yuv420p',
    );
  } else if (f.inputMatrix !== 'bt709' || f.inputWideGamut) {
    // swscale cannot convert between YUV matrices; zimg can (and dithers 10-bit down).
    const gamut = f.inputWideGamut ? ':pin=2020:p=709:tin=709:t=709' : '';
    pre.push(`zscale=${zsize}min=${ZSCALE_MATRIX[f.inputMatrix]}:rin=${rin}:m=709:r=limited:d=ordered${gamut}`, 'format=yuv420p');
  } else {
    // The common case. The scale filter passes frames through untouched when
    // size, format and range already match.
    const range = f.inputFullRange ? ':in_range=full:out_range=limited' : '';
    pre.push(`scale=w=${w}:h=${h}:flags=bicubic${range}`, 'format=yuv420p');
  }
  pre.push(...orientationFilters(f.orientation), 'setsar=1');

  const chains: string[] = [];
  const n = plan.rungs.length;
  if (n === 1) {
    chains.push(`[0:${plan.input.videoStreamIndex}]${pre.join(',')}[v0]`);
  } else {
    const splitOuts = ['[v0]', ...plan.rungs.slice(1).map((_, i) => `[s${i + 1}]`)].join('');
    chains.push(`[0:${plan.input.videoStreamIndex}]${pre.join(',')},split=${n}${splitOuts}`);
    plan.rungs.slice(1).forEach((r, i) => {
      chains.push(`[s${i + 1}]scale=w=${r.width}:h=${r.height}:flags=bicubic[v${i + 1}]`);
    });
  }

  if (plan.audio && plan.input.audioStreamIndex !== null) {
    const a = plan.audio;
    // async=1 pads gaps and trims overlaps in broken audio timestamps, keeping sync; first_pts=0
    // starts the sound with the file too (silence before a late start). Then it ends where the
    // picture does: silence after a sound that stops early, a cut where it runs on. A rendition
    // whose sound ends before its picture stalls browsers a few frames short of the end.
    let audio = `aresample=${a.sampleRate}:async=1:first_pts=0,aformat=sample_fmts=fltp:sample_rates=${a.sampleRate}:channel_layouts=stereo`;
    // The padding is bounded: a header that overstates the picture (a cut-off upload) must not
    // grow the sound by the missing minutes; the cut is exact.
    const end = plan.input.videoEndSec;
    if (end !== null) audio += `,apad=pad_dur=${MAX_AUDIO_PAD_SEC},atrim=end=${end.toFixed(6)}`;
    const outs = plan.rungs.map((_, i) => `[a${i}]`).join('');
    chains.push(`[0:${plan.input.audioStreamIndex}]${audio}${n > 1 ? `,asplit=${n}` : ''}${outs}`);
  }
  return chains.join(';');
}

export interface EncodeArgsOptions {
  /** Where ffmpeg writes `-progress` key=value lines. */
  progressUrl?: string;
}

/** The whole encode: one process, one decode, every rung as HLS with fMP4 segments. */
export function buildEncodeArgs(plan: EncodePlan, inputPath: string, outDir: string, opts: EncodeArgsOptions = {}): string[] {
  const hlsDir = join(resolve(outDir), 'hls');
  if (hlsDir.includes('%')) throw new Error(`output folder must not contain '%': ${outDir}`);
  const hasAudio = plan.audio !== null && plan.input.audioStreamIndex !== null;

  const args: string[] = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
  if (opts.progressUrl) args.push('-progress', opts.progressUrl, '-stats_period', '0.25');
  // Input side. -noautorotate: we rotate (and un-mirror) ourselves.
  args.push('-noautorotate', ...safeInputArgs(plan.input.demuxer, inputPath));
  args.push('-filter_complex', buildFilterGraph(plan));

  plan.rungs.forEach((_, i) => {
    args.push('-map', `[v${i}]`);
    if (hasAudio) args.push('-map', `[a${i}]`);
  });

  // Video: H.264 High 8-bit, CRF under a VBV cap, a keyframe exactly every
  // segment on every rung. The fps filter makes the input constant-rate and
  // gopFrames = segmentSec × fps, so -g with -keyint_min and no scene-cut
  // keyframes puts IDRs on the same frames of every rung, every 2 s. We do
  // not add -force_key_frames: it lands on the same frames but costs x264
  // ~0.6% more bits (measured), as forced IDRs upset its B-frame planning.
  args.push(
    '-c:v',
    plan.video.encoder,
    '-preset',
    plan.video.preset,
    '-profile:v',
    plan.video.profile,
    '-pix_fmt',
    plan.video.pixFmt,
    '-g',
    String(plan.gopFrames),
    '-keyint_min',
    String(plan.gopFrames),
    '-sc_threshold',
    '0',
    '-color_primaries',
    'bt709',
    '-color_trc',
    'bt709',
    '-colorspace',
    'bt709',
    '-color_range',
    'tv',
  );
  plan.rungs.forEach((r, i) => {
    args.push(`-crf:v:${i}`, String(r.crf), `-maxrate:v:${i}`, `${r.maxrateKbps}k`, `-bufsize:v:${i}`, `${r.bufsizeKbps}k`);
  });
  if (hasAudio && plan.audio) {
    args.push(
      '-c:a',
      'aac',
      '-b:a',
      `${plan.audio.bitrateKbps}k`,
      '-ar',
      String(plan.audio.sampleRate),
      '-ac',
      String(plan.audio.channels),
    );
  }

  // Nothing from the upload's metadata (GPS, make, model, dates) reaches a rendition.
  args.push('-map_metadata', '-1', '-map_chapters', '-1');
  // A file whose header understates its length still stops at the limit (+1 s to detect it).
  args.push('-t', String(plan.maxDurationSec + 1));
  // And however dense its frames are, no more of them than the pixel budget pays for.
  if (plan.maxFrames !== undefined) args.push('-frames:v', String(plan.maxFrames));
  args.push('-max_muxing_queue_size', '4096');

  const varStreamMap = plan.rungs.map((r, i) => (hasAudio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`)).join(' ');
  args.push(
    '-f',
    'hls',
    '-hls_time',
    String(plan.segmentSec),
    '-hls_playlist_type',
    'event',
    '-hls_list_size',
    '0',
    '-hls_segment_type',
    'fmp4',
    // temp_file: playlists appear by rename, so a reader never sees half of one.
    '-hls_flags',
    'independent_segments+temp_file',
    // ffmpeg expands %v only when there are several variants.
    '-hls_fmp4_init_filename',
    plan.rungs.length > 1 ? 'init_%v.mp4' : `init_${plan.rungs[0]?.name}.mp4`,
    '-hls_segment_filename',
    join(hlsDir, '%v', 'seg_%05d.m4s'),
    '-start_number',
    '0',
    '-var_stream_map',
    varStreamMap,
    join(hlsDir, '%v', 'index.m3u8'),
  );
  return args;
}
