import { describe, expect, it } from 'vitest';
import { avcCodecString, codecsFromInitSegment, mp4aCodecString, readBoxes } from './codec-string.js';

const box = (type: string, ...children: Buffer[]): Buffer => {
  const body = Buffer.concat(children);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
};

/** avcC for High (0x64), no constraint flags, level 4.0 (0x28). */
const avcC = box('avcC', Buffer.from([1, 0x64, 0x00, 0x28, 0xff, 0xe0, 0x00]));
const avc1 = box('avc1', Buffer.alloc(78), avcC, box('pasp', Buffer.alloc(8)));

/** esds: ES_Descriptor > DecoderConfigDescriptor (AAC, 0x40) > DecoderSpecificInfo (AAC-LC, 48 kHz, stereo). */
const esds = box(
  'esds',
  Buffer.from([0, 0, 0, 0]),
  Buffer.from([0x03, 0x19, 0x00, 0x01, 0x00]),
  Buffer.from([0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0, 0x01, 0xf4, 0, 0, 0x01, 0xf4, 0]),
  Buffer.from([0x05, 0x02, 0x11, 0x90]),
  Buffer.from([0x06, 0x01, 0x02]),
);
const mp4a = box('mp4a', Buffer.alloc(28), esds);

const stsd = (entry: Buffer): Buffer => box('stsd', Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), entry);
const trak = (entry: Buffer): Buffer => box('trak', box('tkhd', Buffer.alloc(84)), box('mdia', box('minf', box('stbl', stsd(entry)))));
const init = Buffer.concat([
  box('ftyp', Buffer.from('iso6\0\0\0\0iso6mp41')),
  box('moov', box('mvhd', Buffer.alloc(100)), trak(avc1), trak(mp4a)),
]);

describe('codec strings', () => {
  it('reads avc1.PPCCLL from avcC', () => {
    expect(avcCodecString('avc1', Buffer.from([1, 0x64, 0x00, 0x1f]))).toBe('avc1.64001f');
    expect(avcCodecString('avc1', Buffer.from([1, 0x42, 0xe0, 0x1e]))).toBe('avc1.42e01e');
  });

  it('reads mp4a.40.2 for AAC-LC and mp4a.40.5 for HE-AAC', () => {
    expect(mp4aCodecString(esds.subarray(8))).toBe('mp4a.40.2');
    const he = Buffer.from(esds.subarray(8));
    he[he.length - 5] = 0x2b; // audioObjectType 5 (SBR)
    expect(mp4aCodecString(he)).toBe('mp4a.40.5');
  });

  it('finds both tracks of an init segment, video first', () => {
    expect(codecsFromInitSegment(init)).toEqual(['avc1.640028', 'mp4a.40.2']);
  });

  it('returns nothing for a truncated or foreign file instead of throwing', () => {
    expect(codecsFromInitSegment(init.subarray(0, 40))).toEqual([]);
    expect(codecsFromInitSegment(Buffer.from('not an mp4 at all'))).toEqual([]);
  });

  it('stops at a box whose size runs past the end', () => {
    const bad = Buffer.from(box('free', Buffer.alloc(4)));
    bad.writeUInt32BE(1000, 0);
    expect(readBoxes(bad)).toEqual([]);
  });
});
