import type { Orientation } from '../../ports/transcoder.js';

/**
 * Display-matrix handling. Phones store frames as the sensor saw them and put
 * a 3x3 matrix in the container that says how to show them. ffprobe reports
 * only a rotation angle, which loses mirroring (a front-camera clip can be
 * rotated AND flipped), and ffmpeg 5.1's autorotate ignores the flip. So we
 * read the matrix ourselves and build the filters from it.
 *
 * QuickTime matrices map a source point [x y 1] to [x' y' 1] = [x y 1]·M, so
 * with M = [a b u; c d v; tx ty w]: x' = a·x + c·y + tx, y' = b·x + d·y + ty
 * (pixel coordinates, y pointing down). For the eight axis-aligned cases
 * a..d are 0 or ±1; a negative determinant means the picture is mirrored.
 */

/** The 2x2 linear part of a display matrix, in the matrix's own units. */
export interface LinearPart {
  a: number;
  b: number;
  c: number;
  d: number;
}

/**
 * Parses ffprobe's `displaymatrix` side-data text:
 * "\n00000000:            0       65536           0\n00000001: ..." (three rows of three).
 */
export function parseDisplayMatrixText(text: string): LinearPart | null {
  const rows = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[0-9a-f]+:/i.test(line))
    .map((line) =>
      line
        .slice(line.indexOf(':') + 1)
        .trim()
        .split(/\s+/)
        .map(Number),
    );
  const [r0, r1] = rows;
  if (!r0 || !r1 || r0.length < 2 || r1.length < 2) return null;
  const [a, b] = r0 as [number, number];
  const [c, d] = r1 as [number, number];
  if (![a, b, c, d].every(Number.isFinite)) return null;
  return { a, b, c, d };
}

/**
 * The orientation that makes a frame upright: rotate clockwise, then mirror.
 * Returns null for a degenerate matrix or one that is not a multiple of 90°
 * (callers then fall back to ffprobe's rotation angle).
 */
export function orientationFromMatrix(m: LinearPart): Orientation | null {
  const s = (v: number): number => (Math.abs(v) < 1e-9 ? 0 : Math.sign(v));
  let a = s(m.a);
  const b = s(m.b);
  let c = s(m.c);
  const d = s(m.d);
  const det = a * d - b * c;
  if (det === 0) return null;
  const mirrored = det < 0;
  // A horizontal mirror after the rotation negates x' (a and c); undo it to find the rotation.
  if (mirrored) {
    a = -a;
    c = -c;
  }
  const key = `${a},${b},${c},${d}`;
  const rotation = ROTATIONS[key];
  if (rotation === undefined) return null;
  return { rotation, mirrored };
}

/** Clockwise rotation for each pure rotation matrix (a,b,c,d). */
const ROTATIONS: Record<string, Orientation['rotation']> = {
  '1,0,0,1': 0,
  '0,1,-1,0': 90, // x' = -y, y' = x
  '-1,0,0,-1': 180,
  '0,-1,1,0': 270, // x' = y, y' = -x
};

/** From ffprobe's `rotation` (degrees counter-clockwise, e.g. -90 for a portrait phone clip). */
export function orientationFromRotation(ccwDegrees: number): Orientation {
  const cw = (((Math.round(-ccwDegrees / 90) * 90) % 360) + 360) % 360;
  return { rotation: cw as Orientation['rotation'], mirrored: false };
}

/** Whether the orientation swaps width and height. */
export function swapsAxes(o: Orientation): boolean {
  return o.rotation === 90 || o.rotation === 270;
}

/**
 * ffmpeg filters that apply an orientation (cheapest form of each of the
 * eight cases; transpose's named directions include the vertical flips).
 */
export function orientationFilters(o: Orientation): string[] {
  switch (o.rotation) {
    case 0:
      return o.mirrored ? ['hflip'] : [];
    case 90:
      // clockwise; mirrored: x' = y, y' = x is a plain transposition.
      return [o.mirrored ? 'transpose=cclock_flip' : 'transpose=clock'];
    case 180:
      return o.mirrored ? ['vflip'] : ['hflip', 'vflip'];
    case 270:
      return [o.mirrored ? 'transpose=clock_flip' : 'transpose=cclock'];
  }
}
