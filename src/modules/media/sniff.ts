import { open } from 'node:fs/promises';
import { MediaError } from '../../errors.js';
import type { ContainerFamily, SniffResult } from '../../ports/transcoder.js';

/**
 * Magic-byte sniffing. This runs before ffmpeg sees a single byte, so that
 * text formats ffmpeg would happily interpret as instructions (HLS playlists,
 * ffconcat scripts, SDP files that open network sockets) are refused by
 * content, whatever the file is called. Only a short list of video container
 * signatures is accepted; everything else is refused.
 */

/** How many bytes of the head we look at. */
export const SNIFF_BYTES = 4096;

const DEMUXER: Record<ContainerFamily, string> = {
  isobmff: 'mov',
  matroska: 'matroska',
  mpegts: 'mpegts',
  avi: 'avi',
  flv: 'flv',
  ogg: 'ogg',
};

/**
 * Demuxers ffmpeg may use for an upload (the names in ffmpeg's
 * `-format_whitelist`, matched against each demuxer's comma-separated name).
 */
export const ALLOWED_DEMUXERS = ['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'matroska', 'webm', 'mpegts', 'avi', 'flv', 'ogg'] as const;

/** Top-level atoms a QuickTime/ISO-BMFF file may start with. */
const ISO_BMFF_FIRST_ATOMS = new Set(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

const TS_PACKET = 188;
const M2TS_PACKET = 192;

/** Decides the container family from the first bytes of a file of `size` bytes. */
export function sniffBytes(head: Buffer, size: number): SniffResult {
  if (size === 0 || head.length === 0) throw new MediaError('empty_file', 'The file is empty.');

  const family = detectFamily(head);
  if (family) return { family, demuxer: DEMUXER[family], sizeBytes: size };

  const text = textHead(head);
  if (text !== null) {
    if (isPlaylistText(text)) {
      throw new MediaError('playlist_not_allowed', 'The file is a playlist or script that points at other files, not a video.');
    }
    throw new MediaError('unrecognized_format', 'The file is text, not a video.');
  }
  const image = imageKind(head);
  if (image) throw new MediaError('unrecognized_format', `The file is a ${image} image, not a video.`);
  const other = unsupportedContainer(head);
  if (other) {
    throw new MediaError(
      'unsupported_container',
      `${other} files are not supported; export the video as MP4 (H.264) or WebM and upload that.`,
    );
  }
  throw new MediaError(
    'unrecognized_format',
    'The file is not in a supported video format (MP4, MOV, WebM, MKV, MPEG-TS, AVI, FLV, 3GP, Ogg).',
  );
}

/** Reads the head of `path` and sniffs it. */
export async function sniffFile(path: string): Promise<SniffResult> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffBytes(head.subarray(0, bytesRead), size);
  } finally {
    await handle.close();
  }
}

function detectFamily(b: Buffer): ContainerFamily | null {
  if (isIsoBmff(b)) return 'isobmff';
  // EBML magic: Matroska and WebM.
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'matroska';
  if (isTransportStream(b)) return 'mpegts';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'AVI ') return 'avi';
  // FLV: "FLV", version 1.
  if (b.length >= 4 && ascii(b, 0, 3) === 'FLV' && b[3] === 1) return 'flv';
  // Ogg: the capture pattern "OggS", stream structure version 0 (Theora or VP8 video; audio-only files fail at probe).
  if (b.length >= 5 && ascii(b, 0, 4) === 'OggS' && b[4] === 0) return 'ogg';
  return null;
}

function isIsoBmff(b: Buffer): boolean {
  if (b.length < 8) return false;
  const type = ascii(b, 4, 8);
  if (!ISO_BMFF_FIRST_ATOMS.has(type)) return false;
  // Atom size: 0 (to end of file), 1 (64-bit size follows) or at least the header.
  const size = b.readUInt32BE(0);
  return size === 0 || size === 1 || size >= 8;
}

/** MPEG-TS sync bytes at every packet start we can see (188-byte TS or 192-byte M2TS/AVCHD). */
function isTransportStream(b: Buffer): boolean {
  const syncAt = (offset: number, stride: number): boolean => {
    // Sync bytes at the first two packet starts, and the third when the file reaches it.
    const starts = [offset, offset + stride, offset + 2 * stride].filter((p) => p < b.length);
    return starts.length >= 2 && starts.every((p) => b[p] === 0x47);
  };
  return syncAt(0, TS_PACKET) || syncAt(4, M2TS_PACKET);
}

/** The head decoded as text when it looks like text (UTF-8, no control bytes), else null. */
function textHead(b: Buffer): string | null {
  let start = 0;
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) start = 3; // UTF-8 BOM
  const body = b.subarray(start);
  let control = 0;
  for (const byte of body) {
    // Tab, LF, CR are fine; other C0 controls and DEL mean binary.
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) control++;
  }
  if (control > 0) return null;
  const text = body.toString('utf8');
  // Invalid UTF-8 turns into U+FFFD; a trailing cut multi-byte sequence is fine.
  const replacements = (text.match(/\uFFFD/g) ?? []).length;
  if (replacements > 1) return null;
  return text;
}

/** Formats that make ffmpeg open other files or network resources. */
function isPlaylistText(text: string): boolean {
  const t = text.trimStart();
  return (
    /^#EXTM3U/i.test(t) || // HLS / M3U
    /^#EXTINF/i.test(t) ||
    /^ffconcat\b/i.test(t) || // concat demuxer script
    /^\[playlist\]/i.test(t) || // PLS
    /^v=0\s/.test(t) || // SDP
    /^<\?xml/i.test(t) || // DASH MPD, SMIL, XSPF
    /^<(MPD|smil|playlist|asx)\b/i.test(t) ||
    /^(file|http|https|rtmp|rtsp|udp|tcp|concat|subfile|data):/im.test(t)
  );
}

function imageKind(b: Buffer): string | null {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) return 'PNG';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'JPEG';
  if (b.length >= 6 && ascii(b, 0, 4) === 'GIF8') return 'GIF';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'WebP';
  if (b.length >= 2 && ascii(b, 0, 2) === 'BM') return 'BMP';
  return null;
}

/** Video containers we recognise but do not accept (the user can re-export). */
function unsupportedContainer(b: Buffer): string | null {
  if (b.length >= 4 && b.readUInt32BE(0) === 0x000001ba) return 'MPEG program stream (.mpg/.vob)';
  if (b.length >= 8 && b.readUInt32BE(0) === 0x3026b275 && b.readUInt32BE(4) === 0x8e66cf11) return 'Windows Media (.wmv/.asf)';
  if (b.length >= 4 && ascii(b, 0, 4) === '.RMF') return 'RealMedia';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x060e2b34) return 'MXF';
  return null;
}

function ascii(b: Buffer, from: number, to: number): string {
  return b.toString('latin1', from, to);
}

/** Still-image formats accepted for pictures people upload (avatars). */
export type ImageKind = 'jpeg' | 'png' | 'webp';

/** The accepted image format the bytes' signature names, or null: never the declared type or a file name. */
export function sniffImage(bytes: Buffer): ImageKind | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}
