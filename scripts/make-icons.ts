/**
 * Draws the web app's icons (web/public/icons/*.png): Curta's mark, a white
 * play triangle on the accent gradient. Plain pixels and zlib, nothing
 * downloaded; the PNGs are committed, run this again after changing the mark:
 * `npx tsx scripts/make-icons.ts`.
 *
 * - icon-{192,512}.png: a rounded square on a transparent background ("any").
 * - maskable-512.png: the gradient to the edges and the triangle inside the
 *   central 60 % (a launcher may cut anything outside the 80 % safe circle).
 * - apple-touch-icon.png (180): full square, iOS rounds it itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const OUT = fileURLToPath(new URL('../web/public/icons', import.meta.url));
const FROM = [0xff, 0x3b, 0x5c]; // --accent
const TO = [0xff, 0x7a, 0x45];
const SAMPLES = 4; // per axis: 16 samples a pixel for smooth edges

interface Shape {
  /** Corner radius of the background as a fraction of the size (0: square to the edges). */
  radius: number;
  /** The triangle's height as a fraction of the size. */
  glyph: number;
}

/** Whether (x, y) in [0,1]² is inside the rounded square. */
function inRoundedSquare(x: number, y: number, r: number): boolean {
  if (r === 0) return true;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** Whether (x, y) is inside the play triangle (pointing right, optically centred). */
function inTriangle(x: number, y: number, size: number): boolean {
  const h = size;
  const w = h * 0.87;
  const left = 0.5 - w / 2 + w * 0.06;
  const top = 0.5 - h / 2;
  if (x < left || x > left + w) return false;
  const t = (x - left) / w; // 0 at the flat side, 1 at the tip
  const half = (h / 2) * (1 - t);
  return Math.abs(y - (top + h / 2)) <= half;
}

function draw(size: number, shape: Shape): Buffer {
  const rows: Buffer[] = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SAMPLES) / size;
          const y = (py + (sy + 0.5) / SAMPLES) / size;
          if (!inRoundedSquare(x, y, shape.radius)) continue;
          bg++;
          if (inTriangle(x, y, shape.glyph)) fg++;
        }
      }
      const n = SAMPLES * SAMPLES;
      const t = (px + py) / (2 * size); // diagonal gradient
      const base = FROM.map((c, i) => c + (TO[i]! - c) * t);
      const f = bg === 0 ? 0 : fg / bg;
      const o = 1 + px * 4;
      for (let i = 0; i < 3; i++) row[o + i] = Math.round(base[i]! * (1 - f) + 255 * f);
      row[o + 3] = Math.round((bg / n) * 255);
    }
    rows.push(row);
  }
  return png(size, size, Buffer.concat(rows));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(width: number, height: number, raw: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(OUT, { recursive: true });
const icons: Array<[string, number, Shape]> = [
  ['icon-192.png', 192, { radius: 0.22, glyph: 0.46 }],
  ['icon-512.png', 512, { radius: 0.22, glyph: 0.46 }],
  ['maskable-512.png', 512, { radius: 0, glyph: 0.36 }],
  ['apple-touch-icon.png', 180, { radius: 0, glyph: 0.44 }],
];
for (const [name, size, shape] of icons) {
  const bytes = draw(size, shape);
  writeFileSync(join(OUT, name), bytes);
  console.log(`${name}: ${size}×${size}, ${bytes.length} bytes`);
}
