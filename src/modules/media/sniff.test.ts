import { describe, expect, it } from 'vitest';
import { MediaError } from '../../errors.js';
import { sniffBytes, sniffImage } from './sniff.js';

const codeOf = (head: Buffer, size = head.length): string => {
  try {
    sniffBytes(head, size);
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    return (err as MediaError).code;
  }
  return 'accepted';
};

const atom = (type: string, size = 24): Buffer => {
  const b = Buffer.alloc(size);
  b.writeUInt32BE(size, 0);
  b.write(type, 4, 'latin1');
  return b;
};

const tsPackets = (n: number, stride = 188, offset = 0): Buffer => {
  const b = Buffer.alloc(stride * n);
  for (let i = 0; i < n; i++) b[offset + i * stride] = 0x47;
  return b;
};

describe('sniffBytes', () => {
  it('refuses an empty file', () => {
    expect(codeOf(Buffer.alloc(0), 0)).toBe('empty_file');
  });

  it.each(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot'])('accepts ISO-BMFF/QuickTime starting with %s', (type) => {
    expect(sniffBytes(Buffer.concat([atom(type), Buffer.alloc(64)]), 88)).toMatchObject({ family: 'isobmff', demuxer: 'mov' });
  });

  it('accepts 3GP (an ftyp brand like any MP4)', () => {
    const b = atom('ftyp');
    b.write('3gp5', 8, 'latin1');
    expect(sniffBytes(b, b.length).family).toBe('isobmff');
  });

  it('refuses an ISO-BMFF-looking head with an impossible atom size', () => {
    const b = atom('ftyp');
    b.writeUInt32BE(5, 0);
    expect(codeOf(b)).toBe('unrecognized_format');
  });

  it('accepts Matroska/WebM by the EBML magic', () => {
    const b = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(60)]);
    expect(sniffBytes(b, b.length)).toMatchObject({ family: 'matroska', demuxer: 'matroska' });
  });

  it('accepts MPEG-TS with sync bytes at 0, 188 and 376, and 192-byte M2TS', () => {
    expect(sniffBytes(tsPackets(4), 752)).toMatchObject({ family: 'mpegts', demuxer: 'mpegts' });
    expect(sniffBytes(tsPackets(4, 192, 4), 768).family).toBe('mpegts');
    const broken = tsPackets(4);
    broken[376] = 0;
    expect(codeOf(broken)).toBe('unrecognized_format');
    // One packet is not evidence of a transport stream.
    expect(codeOf(Buffer.from([0x47, 1, 2, 3]))).toBe('unrecognized_format');
  });

  it('accepts AVI and FLV', () => {
    const avi = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('AVI LIST'), Buffer.alloc(20)]);
    expect(sniffBytes(avi, avi.length)).toMatchObject({ family: 'avi', demuxer: 'avi' });
    const flv = Buffer.concat([Buffer.from('FLV'), Buffer.from([1, 5, 0, 0, 0, 9])]);
    expect(sniffBytes(flv, flv.length)).toMatchObject({ family: 'flv', demuxer: 'flv' });
  });

  it('accepts Ogg (Theora or VP8 video) by its capture pattern and version 0, nothing else that starts OggS', () => {
    const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.from([0, 2, 0, 0, 0, 0, 0, 0, 0, 0])]);
    expect(sniffBytes(ogg, 4096)).toMatchObject({ family: 'ogg', demuxer: 'ogg' });
    const otherVersion = Buffer.concat([Buffer.from('OggS'), Buffer.from([1, 2, 0, 0])]);
    expect(codeOf(otherVersion)).toBe('unrecognized_format');
  });

  it('refuses HLS playlists, ffconcat scripts, SDP and DASH manifests as playlists', () => {
    const playlists = [
      '#EXTM3U\n#EXTINF:1,\n/tmp/clip.mp4\n',
      '\uFEFF#EXTM3U\n',
      '  \n#EXTM3U\n',
      'ffconcat version 1.0\nfile /tmp/clip.mp4\n',
      'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nm=video 5004 RTP/AVP 96\n',
      '<?xml version="1.0"?><MPD></MPD>',
      '[playlist]\nFile1=http://example.com/a.mp4\n',
    ];
    for (const text of playlists) expect(codeOf(Buffer.from(text))).toBe('playlist_not_allowed');
  });

  it('refuses other text (a text file named .mp4)', () => {
    expect(codeOf(Buffer.from('// This would be a real fMP4 file, but it is a placeholder.\n'))).toBe('unrecognized_format');
  });

  it('refuses images', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]);
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');
    for (const img of [png, jpeg, gif]) {
      expect(codeOf(img)).toBe('unrecognized_format');
      expect(() => sniffBytes(img, img.length)).toThrow(/image/);
    }
  });

  it('names containers it recognises but does not take (unsupported_container)', () => {
    const ps = Buffer.from([0x00, 0x00, 0x01, 0xba, 0x44, 0, 4, 0, 4, 1]);
    const asf = Buffer.from([0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9]);
    for (const b of [ps, asf]) expect(codeOf(b)).toBe('unsupported_container');
    expect(() => sniffBytes(asf, asf.length)).toThrow(/Windows Media/);
  });

  it('refuses random bytes', () => {
    const random = Buffer.from([0x13, 0x37, 0x00, 0xff, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
    expect(codeOf(random)).toBe('unrecognized_format');
  });
});

describe('sniffImage', () => {
  it('identifies images by signature only', () => {
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImage(Buffer.from('89504e470d0a1a0a0000', 'hex'))).toBe('png');
    expect(sniffImage(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImage(Buffer.from('GIF89a'))).toBeNull();
    expect(sniffImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImage(Buffer.alloc(0))).toBeNull();
  });
});
