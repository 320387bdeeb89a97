import { describe, expect, it } from 'vitest';
import { orientationFilters, orientationFromMatrix, orientationFromRotation, parseDisplayMatrixText, swapsAxes } from './orientation.js';

/** ffprobe's text for a matrix with the given linear part (16.16 fixed point). */
const matrixText = (a: number, b: number, c: number, d: number): string => {
  const f = (v: number) => String(v * 65536).padStart(13);
  return `\n00000000:${f(a)}${f(b)}            0\n00000001:${f(c)}${f(d)}            0\n00000002:            0            0   1073741824\n`;
};

describe('parseDisplayMatrixText', () => {
  it('reads the linear part of the iPhone portrait matrix as ffprobe prints it', () => {
    const text =
      '\n00000000:            0       65536           0\n00000001:       -65536           0           0\n00000002:     47185920           0  1073741824\n';
    expect(parseDisplayMatrixText(text)).toEqual({ a: 0, b: 65536, c: -65536, d: 0 });
  });

  it('returns null for garbage', () => {
    expect(parseDisplayMatrixText('nope')).toBeNull();
  });
});

describe('orientationFromMatrix', () => {
  const of = (a: number, b: number, c: number, d: number) => orientationFromMatrix(parseDisplayMatrixText(matrixText(a, b, c, d))!);

  it('recognises the four rotations (clockwise, to show upright)', () => {
    expect(of(1, 0, 0, 1)).toEqual({ rotation: 0, mirrored: false });
    expect(of(0, 1, -1, 0)).toEqual({ rotation: 90, mirrored: false }); // ffprobe rotation -90 (iPhone portrait)
    expect(of(-1, 0, 0, -1)).toEqual({ rotation: 180, mirrored: false });
    expect(of(0, -1, 1, 0)).toEqual({ rotation: 270, mirrored: false }); // ffprobe rotation 90
  });

  it('sees the mirror ffprobe hides: rotate_and_reflect (ffprobe says only -90) is a transpose', () => {
    expect(of(0, 1, 1, 0)).toEqual({ rotation: 90, mirrored: true });
    expect(of(-1, 0, 0, 1)).toEqual({ rotation: 0, mirrored: true });
    expect(of(1, 0, 0, -1)).toEqual({ rotation: 180, mirrored: true });
    expect(of(0, -1, -1, 0)).toEqual({ rotation: 270, mirrored: true });
  });

  it('returns null for a degenerate or non-right-angle matrix', () => {
    expect(orientationFromMatrix({ a: 0, b: 0, c: 0, d: 0 })).toBeNull();
    expect(orientationFromMatrix({ a: 46341, b: 46341, c: -46341, d: 46341 })).toBeNull();
  });
});

describe('orientationFromRotation', () => {
  it('turns ffprobe counter-clockwise degrees into a clockwise fix', () => {
    expect(orientationFromRotation(-90)).toEqual({ rotation: 90, mirrored: false });
    expect(orientationFromRotation(90)).toEqual({ rotation: 270, mirrored: false });
    expect(orientationFromRotation(-180)).toEqual({ rotation: 180, mirrored: false });
    expect(orientationFromRotation(180)).toEqual({ rotation: 180, mirrored: false });
    expect(orientationFromRotation(0)).toEqual({ rotation: 0, mirrored: false });
  });
});

describe('orientationFilters', () => {
  it('maps all eight cases to ffmpeg filters', () => {
    expect(orientationFilters({ rotation: 0, mirrored: false })).toEqual([]);
    expect(orientationFilters({ rotation: 0, mirrored: true })).toEqual(['hflip']);
    expect(orientationFilters({ rotation: 90, mirrored: false })).toEqual(['transpose=clock']);
    expect(orientationFilters({ rotation: 90, mirrored: true })).toEqual(['transpose=cclock_flip']);
    expect(orientationFilters({ rotation: 180, mirrored: false })).toEqual(['hflip', 'vflip']);
    expect(orientationFilters({ rotation: 180, mirrored: true })).toEqual(['vflip']);
    expect(orientationFilters({ rotation: 270, mirrored: false })).toEqual(['transpose=cclock']);
    expect(orientationFilters({ rotation: 270, mirrored: true })).toEqual(['transpose=clock_flip']);
  });

  it('says which orientations swap width and height', () => {
    expect(swapsAxes({ rotation: 90, mirrored: false })).toBe(true);
    expect(swapsAxes({ rotation: 270, mirrored: true })).toBe(true);
    expect(swapsAxes({ rotation: 180, mirrored: false })).toBe(false);
  });
});
