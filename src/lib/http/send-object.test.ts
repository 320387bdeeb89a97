import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { parseRange } from './send-object.js';

describe('parseRange', () => {
  it('reads the single-range forms', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('serves the whole object for absent, multi-range or invalid headers', () => {
    expect(parseRange(undefined, 1000)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeNull();
    expect(parseRange('items=0-1', 1000)).toBeNull();
    expect(parseRange('bytes=50-10', 1000)).toBeNull();
  });

  it('refuses ranges past the end', () => {
    expect(() => parseRange('bytes=1000-', 1000)).toThrow(AppError);
    expect(() => parseRange('bytes=-0', 1000)).toThrow(/suffix/);
  });
});
