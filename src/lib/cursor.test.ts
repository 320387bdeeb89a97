import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('keyset cursor', () => {
  it('round-trips', () => {
    const c = { t: '2026-11-25T22:00:00.123Z', id: 'abc123XYZ' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });

  it('refuses anything else with invalid_cursor', () => {
    const forged = ['1', 'x 5', '+275760-09-13T00:00:00.000Z', '2026-02-30T00:00:00.000Z'].map((t) =>
      Buffer.from(JSON.stringify([t, 'abc'])).toString('base64url'),
    );
    for (const raw of [
      '',
      'garbage',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('["nope","x"]').toString('base64url'),
      ...forged,
    ]) {
      expect(() => decodeCursor(raw)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
    }
  });
});

describe('offset cursor', () => {
  it('round-trips and refuses garbage', async () => {
    const { decodeOffsetCursor, encodeOffsetCursor } = await import('./cursor.js');
    expect(decodeOffsetCursor(encodeOffsetCursor(40))).toBe(40);
    for (const raw of ['x', Buffer.from('{"o":-1}').toString('base64url'), Buffer.from('{"o":1.5}').toString('base64url')]) {
      expect(() => decodeOffsetCursor(raw)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
    }
  });
});
