/**
 * What a video file holds, read from its container without decoding it: is
 * there a picture track at all, and in which codec. The browser's own
 * demuxer answers "no picture" (videoWidth 0) both for a file that has only
 * sound and for one whose picture it cannot decode — an iPhone's HEVC or
 * Dolby Vision recording in a Chromium without HEVC — and those need opposite
 * advice: the first can't be posted usefully, the second is fine (the server
 * converts it).
 *
 * Reads only box headers and the `moov` box of MP4/MOV (ISO BMFF), or the
 * start of a Matroska/WebM file; anything else, or anything odd, is
 * `unknown`.
 */

/** A picture track and its codec's name, none at all, or the container could not tell. */
export type PictureTrack = { kind: 'video'; codec: string | null } | { kind: 'none' } | { kind: 'unknown' };

const UNKNOWN: PictureTrack = { kind: 'unknown' };
/** The most of a `moov` box read (an hour-long phone recording's is a few MB). */
const MAX_MOOV_BYTES = 32 * 1024 * 1024;
/** How much of a Matroska file is scanned for its Tracks element (it comes before the clusters). */
const MATROSKA_SCAN_BYTES = 512 * 1024;
const MAX_TOP_LEVEL_BOXES = 4096;

/** Sample entry formats (ISO BMFF) and Matroska codec ids, in words. */
const CODEC_NAMES: Record<string, string> = {
  hvc1: 'HEVC',
  hev1: 'HEVC',
  dvh1: 'Dolby Vision',
  dvhe: 'Dolby Vision',
  avc1: 'H.264',
  avc3: 'H.264',
  dva1: 'Dolby Vision',
  dvav: 'Dolby Vision',
  av01: 'AV1',
  vp08: 'VP8',
  vp09: 'VP9',
  apch: 'ProRes',
  apcn: 'ProRes',
  apcs: 'ProRes',
  apco: 'ProRes',
  ap4h: 'ProRes',
  ap4x: 'ProRes',
  mp4v: 'MPEG-4',
  vvc1: 'VVC',
  vvi1: 'VVC',
  'V_MPEGH/ISO/HEVC': 'HEVC',
  'V_MPEG4/ISO/AVC': 'H.264',
  V_AV1: 'AV1',
  V_VP8: 'VP8',
  V_VP9: 'VP9',
};

export async function pictureTrackOf(file: Blob): Promise<PictureTrack> {
  try {
    const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
    if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return await matroska(file);
    if (head.length >= 8 && /^(ftyp|moov|mdat|free|wide|skip|pnot)$/.test(fourcc(head, 4))) return await isoBmff(file);
    return UNKNOWN;
  } catch {
    return UNKNOWN;
  }
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

interface Box {
  type: string;
  /** Payload start and end (absolute, in the buffer or file). */
  start: number;
  end: number;
}

/** The boxes in `b` between `from` and `to`. */
function* boxes(b: DataView, from: number, to: number): Generator<Box, void> {
  let at = from;
  while (at + 8 <= to) {
    let size = b.getUint32(at);
    const type = String.fromCharCode(b.getUint8(at + 4), b.getUint8(at + 5), b.getUint8(at + 6), b.getUint8(at + 7));
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) return;
      size = Number(b.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header || at + size > to) return;
    yield { type, start: at + header, end: at + size };
    at += size;
  }
}

const child = (b: DataView, parent: Box, type: string): Box | undefined => {
  for (const c of boxes(b, parent.start, parent.end)) if (c.type === type) return c;
  return undefined;
};

async function isoBmff(file: Blob): Promise<PictureTrack> {
  // Top level: header by header (the media data in between is never read) until `moov`.
  let at = 0;
  let moov: { start: number; end: number } | null = null;
  for (let n = 0; n < MAX_TOP_LEVEL_BOXES && at + 8 <= file.size; n++) {
    const hb = new DataView(await file.slice(at, at + 16).arrayBuffer());
    let size = hb.getUint32(0);
    const type = String.fromCharCode(hb.getUint8(4), hb.getUint8(5), hb.getUint8(6), hb.getUint8(7));
    let header = 8;
    if (size === 1) {
      if (hb.byteLength < 16) return UNKNOWN;
      size = Number(hb.getBigUint64(8));
      header = 16;
    } else if (size === 0) {
      size = file.size - at;
    }
    if (size < header) return UNKNOWN;
    if (type === 'moov') {
      moov = { start: at + header, end: Math.min(file.size, at + size) };
      break;
    }
    at += size;
  }
  if (!moov || moov.end - moov.start > MAX_MOOV_BYTES) return UNKNOWN;
  const buf = new DataView(await file.slice(moov.start, moov.end).arrayBuffer());
  const root: Box = { type: 'moov', start: 0, end: buf.byteLength };
  let tracks = 0;
  for (const trak of boxes(buf, root.start, root.end)) {
    if (trak.type !== 'trak') continue;
    tracks++;
    const mdia = child(buf, trak, 'mdia');
    const hdlr = mdia && child(buf, mdia, 'hdlr');
    // FullBox (4) + pre_defined (4), then the handler type.
    if (!mdia || !hdlr || hdlr.start + 12 > hdlr.end) continue;
    if (String.fromCharCode(...new Uint8Array(buf.buffer, hdlr.start + 8, 4)) !== 'vide') continue;
    const minf = child(buf, mdia, 'minf');
    const stbl = minf && child(buf, minf, 'stbl');
    const stsd = stbl && child(buf, stbl, 'stsd');
    // FullBox (4) + entry_count (4), then the first sample entry.
    const first = stsd ? boxes(buf, stsd.start + 8, stsd.end).next() : null;
    const entry = first && !first.done ? first.value : undefined;
    if (!entry) return { kind: 'video', codec: null };
    let codec = CODEC_NAMES[entry.type] ?? null;
    // Dolby Vision in an `hvc1`/`avc1` entry: its configuration box follows the VisualSampleEntry's 78 bytes.
    if (codec && !codec.startsWith('Dolby')) {
      for (const c of boxes(buf, entry.start + 78, entry.end)) {
        if (c.type === 'dvcC' || c.type === 'dvvC' || c.type === 'dvwC') codec = `${codec} with Dolby Vision`;
      }
    }
    return { kind: 'video', codec };
  }
  return tracks > 0 ? { kind: 'none' } : UNKNOWN;
}

async function matroska(file: Blob): Promise<PictureTrack> {
  const b = new Uint8Array(await file.slice(0, MATROSKA_SCAN_BYTES).arrayBuffer());
  let codecIds = 0;
  // CodecID (0x86), a one-byte size, then the id: "V_…" is a picture track, "A_…"/"S_…" are not.
  for (let i = 0; i + 4 < b.length; i++) {
    if (b[i] !== 0x86 || (b[i + 1]! & 0x80) === 0) continue;
    const len = b[i + 1]! & 0x7f;
    if (len < 3 || len > 40 || i + 2 + len > b.length) continue;
    const id = String.fromCharCode(...b.subarray(i + 2, i + 2 + len));
    if (!/^[VAS]_[A-Z0-9/_.-]+$/.test(id)) continue;
    codecIds++;
    if (id.startsWith('V_')) return { kind: 'video', codec: CODEC_NAMES[id] ?? null };
  }
  return codecIds > 0 ? { kind: 'none' } : UNKNOWN;
}
