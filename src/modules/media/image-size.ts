import type { ImageKind } from './sniff.js';

/**
 * The pixel size an image's header declares, read without decoding a pixel,
 * so that a small file declaring a huge picture (a decompression bomb) is
 * refused before a decoder allocates for it. The decoder uses the same
 * header fields, so what is read here is what a decode would cost.
 */
export interface ImageSize {
  width: number;
  height: number;
}

/** Width and height from the header of an image of `kind`, or null when the header is missing or malformed. */
export function readImageSize(kind: ImageKind, bytes: Buffer): ImageSize | null {
  const size = kind === 'png' ? pngSize(bytes) : kind === 'jpeg' ? jpegSize(bytes) : webpSize(bytes);
  return size && size.width > 0 && size.height > 0 ? size : null;
}

/** PNG: the first chunk is IHDR, width and height as 32-bit big-endian. */
function pngSize(b: Buffer): ImageSize | null {
  if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/**
 * JPEG: walk the marker segments to the first start-of-frame (SOF0–SOF15,
 * less DHT, JPG and DAC, which share the range). EXIF and other APPn
 * segments before it are skipped by their lengths.
 */
function jpegSize(b: Buffer): ImageSize | null {
  let p = 2; // after SOI
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return null;
    const marker = b[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    // Markers without a length: TEM and RST0–7 (SOI/EOI do not belong here).
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // EOI or start of scan before any frame header
    const length = b.readUInt16BE(p + 2);
    if (length < 2) return null;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (p + 9 > b.length) return null;
      return { height: b.readUInt16BE(p + 5), width: b.readUInt16BE(p + 7) };
    }
    p += 2 + length;
  }
  return null;
}

/** WebP: RIFF, then one of the three first chunks (lossy VP8, lossless VP8L, extended VP8X). */
function webpSize(b: Buffer): ImageSize | null {
  if (b.length < 30) return null;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return null;
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    // Signature 0x2f, then width−1 and height−1 in 14 bits each.
    if (b[20] !== 0x2f) return null;
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    // Flags (4 bytes), then canvas width−1 and height−1 in 24 bits each.
    return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  }
  return null;
}
