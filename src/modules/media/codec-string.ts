/**
 * RFC 6381 codec strings for the master playlist, read from the sample
 * entries of an fMP4 init segment: `avc1.PPCCLL` from the avcC box (profile,
 * constraint flags, level as x264 actually wrote them) and `mp4a.40.N` from
 * the esds AudioSpecificConfig. Players use CODECS to skip variants they
 * cannot decode, so the string must match the stream, not a guess.
 */

interface Box {
  type: string;
  /** Payload (after the header). */
  body: Buffer;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

/** Codec strings of every track in an init segment, video first. */
export function codecsFromInitSegment(init: Buffer): string[] {
  const video: string[] = [];
  const audio: string[] = [];
  for (const entry of sampleEntries(init)) {
    if (entry.type === 'avc1' || entry.type === 'avc3') {
      const avcC = findChild(entry.body.subarray(VISUAL_SAMPLE_ENTRY_BYTES), 'avcC');
      if (avcC) video.push(avcCodecString(entry.type, avcC.body));
    } else if (entry.type === 'mp4a') {
      const esds = findChild(entry.body.subarray(AUDIO_SAMPLE_ENTRY_BYTES), 'esds');
      const codec = esds ? mp4aCodecString(esds.body) : null;
      if (codec) audio.push(codec);
    }
  }
  return [...video, ...audio];
}

/** `avc1.PPCCLL` from an AVCDecoderConfigurationRecord. */
export function avcCodecString(sampleEntry: string, avcC: Buffer): string {
  if (avcC.length < 4) throw new Error('avcC box too short');
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `${sampleEntry}.${hex(avcC[1]!)}${hex(avcC[2]!)}${hex(avcC[3]!)}`;
}

/** `mp4a.40.2` (AAC-LC) etc. from an esds full box payload; null if unreadable. */
export function mp4aCodecString(esds: Buffer): string | null {
  let p = 4; // version + flags
  const readDescriptor = (): { tag: number; start: number; end: number } | null => {
    if (p + 2 > esds.length) return null;
    const tag = esds[p++]!;
    let len = 0;
    for (let i = 0; i < 4; i++) {
      const byte = esds[p++];
      if (byte === undefined) return null;
      len = (len << 7) | (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
    return { tag, start: p, end: Math.min(esds.length, p + len) };
  };
  const es = readDescriptor();
  if (es?.tag !== 0x03) return null;
  const flags = esds[p + 2] ?? 0;
  p += 3; // ES_ID, flags
  if (flags & 0x80) p += 2; // dependsOn_ES_ID
  if (flags & 0x40) p += 1 + (esds[p] ?? 0); // URL
  if (flags & 0x20) p += 2; // OCR_ES_Id
  const dc = readDescriptor();
  if (dc?.tag !== 0x04) return null;
  const objectType = esds[p] ?? 0;
  p += 13; // objectTypeIndication, streamType, bufferSizeDB, maxBitrate, avgBitrate
  let audioObjectType: number | null = null;
  if (p < dc.end) {
    const dsi = readDescriptor();
    if (dsi?.tag === 0x05 && dsi.start < esds.length) {
      const b0 = esds[dsi.start] ?? 0;
      const b1 = esds[dsi.start + 1] ?? 0;
      audioObjectType = b0 >> 3;
      // Escape value 31: the real type follows in the next 6 bits, plus 32.
      if (audioObjectType === 31) audioObjectType = 32 + (((b0 & 0x07) << 3) | (b1 >> 5));
    }
  }
  const oti = objectType.toString(16);
  return audioObjectType === null ? `mp4a.${oti}` : `mp4a.${oti}.${audioObjectType}`;
}

/** SampleEntry (8) + VisualSampleEntry fields (70) before the child boxes. */
const VISUAL_SAMPLE_ENTRY_BYTES = 78;
/** SampleEntry (8) + AudioSampleEntry v0 fields (20). */
const AUDIO_SAMPLE_ENTRY_BYTES = 28;

function sampleEntries(file: Buffer): Box[] {
  const out: Box[] = [];
  const walk = (buf: Buffer): void => {
    for (const box of readBoxes(buf)) {
      if (CONTAINERS.has(box.type)) walk(box.body);
      else if (box.type === 'stsd' && box.body.length >= 8) out.push(...readBoxes(box.body.subarray(8)));
    }
  };
  walk(file);
  return out;
}

function findChild(buf: Buffer, type: string): Box | undefined {
  return readBoxes(buf).find((b) => b.type === type);
}

/** Boxes laid end to end in `buf`; stops at the first malformed header. */
export function readBoxes(buf: Buffer): Box[] {
  const boxes: Box[] = [];
  let p = 0;
  while (p + 8 <= buf.length) {
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (p + 16 > buf.length) break;
      const big = buf.readBigUInt64BE(p + 8);
      if (big > BigInt(buf.length)) break;
      size = Number(big);
      header = 16;
    } else if (size === 0) {
      size = buf.length - p;
    }
    if (size < header || p + size > buf.length) break;
    boxes.push({ type, body: buf.subarray(p + header, p + size) });
    p += size;
  }
  return boxes;
}
