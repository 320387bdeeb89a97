import { describe, expect, it } from 'vitest';
import { RecModel, trainModel, type TrainingData } from './index.js';
import { crc32 } from './rec-model.js';

/**
 * Two taste clusters: items 0–4 and 5–9. Users of cluster A like A items and
 * are shown (and skip) one B item now and then, and the reverse; item 10 is
 * popular with everyone; item 11 is never interacted with.
 */
function clusteredData(): TrainingData {
  const users: number[] = [];
  const items: number[] = [];
  const weights: number[] = [];
  const add = (u: number, i: number, w: number): void => {
    users.push(u);
    items.push(i);
    weights.push(w);
  };
  let u = 0;
  for (const [liked, other] of [
    [0, 5],
    [5, 0],
  ] as const) {
    for (let n = 0; n < 30; n++, u++) {
      for (let k = 0; k < 5; k++) if ((n + k) % 4 !== 0) add(u, liked + k, 1 + (k % 3));
      add(u, other + (n % 5), -1);
      add(u, 10, 1);
    }
  }
  return { nUsers: u, nItems: 12, users: Int32Array.from(users), items: Int32Array.from(items), weights: Float32Array.from(weights) };
}

const mean = (s: Float32Array, idx: number[]): number => idx.reduce((a, i) => a + s[i]!, 0) / idx.length;
const A = [1, 2, 3, 4];
const B = [6, 7, 8, 9];

describe('trainModel + fold-in', () => {
  it('a positive on an item raises the items co-consumed with it', async () => {
    const m = await trainModel(clusteredData());
    const s = m.scoreAll(m.userVector([{ item: 0, weight: 1 }]));
    expect(Math.min(...A.map((i) => s[i]!))).toBeGreaterThan(Math.max(...B.map((i) => s[i]!)));
    const t = m.scoreAll(m.userVector([{ item: 5, weight: 2 }]));
    expect(Math.min(...B.map((i) => t[i]!))).toBeGreaterThan(Math.max(...A.map((i) => t[i]!)));
  });

  it('a negative on an item lowers the items co-consumed with it', async () => {
    const m = await trainModel(clusteredData());
    // Item 10 is liked by both clusters: after it alone, A and B items rank alike.
    const base = [{ item: 10, weight: 1 }];
    const before = m.scoreAll(m.userVector(base));
    expect(Math.abs(mean(before, A) - mean(before, B))).toBeLessThan(0.05 * Math.abs(mean(before, A)));
    // A quick skip of item 0 sinks every item of its cluster below every B item.
    const after = m.scoreAll(m.userVector([...base, { item: 0, weight: -1 }]));
    expect(Math.max(...A.map((i) => after[i]!))).toBeLessThan(Math.min(...B.map((i) => after[i]!)));
    // Counted as exposure without the preference push, being shown item 0 would have raised its cluster instead.
    const exposureOnly = await trainModel(clusteredData(), { negativePreference: 0, negativeExposure: 1 });
    const e = exposureOnly.scoreAll(exposureOnly.userVector([...base, { item: 0, weight: -1 }]));
    expect(mean(e, A)).toBeGreaterThan(mean(e, B));
  });

  it('an empty history (or one with only unknown items) ranks by the prior', async () => {
    const m = await trainModel(clusteredData());
    const prior = Array.from(m.itemPrior);
    expect(prior[10]).toBe(1); // the most popular item
    expect(prior[11]).toBe(0);
    expect(Array.from(m.scoreAll(m.userVector([])))).toEqual(prior);
    expect(
      Array.from(
        m.scoreAll(
          m.userVector([
            { item: 99, weight: 1 },
            { item: 3, weight: NaN },
          ]),
        ),
      ),
    ).toEqual(prior);
  });

  it('reports progress and rejects inconsistent data', async () => {
    const phases = new Set<string>();
    await trainModel(clusteredData(), {}, (p) => {
      expect(p.iteration).toBeLessThanOrEqual(p.of);
      phases.add(p.phase);
    });
    expect(phases).toEqual(new Set(['exposure graph', 'preference graph', 'done']));
    const d = clusteredData();
    await expect(trainModel({ ...d, weights: d.weights.subarray(1) })).rejects.toThrow(/differ in length/);
    await expect(trainModel({ ...d, nItems: 5 })).rejects.toThrow(/item \d+ at \d+ out of range/);
    await expect(trainModel(d, { neighbours: 0 })).rejects.toThrow(/ModelParams.neighbours/);
  });

  it('keeps at most `neighbours` entries per item', async () => {
    const m = await trainModel(clusteredData(), { neighbours: 2 });
    for (let i = 0; i < m.nItems; i++) expect(m.exposure.indptr[i + 1]! - m.exposure.indptr[i]!).toBeLessThanOrEqual(2);
  });
});

describe('RecModel serialization', () => {
  it('round-trips to identical scores, also from an unaligned slice of a larger buffer', async () => {
    const m = await trainModel(clusteredData());
    const bytes = m.serialize();
    const history = [
      { item: 1, weight: 2 },
      { item: 7, weight: -1 },
    ];
    const r = RecModel.deserialize(bytes);
    expect(Array.from(r.scoreAll(r.userVector(history)))).toEqual(Array.from(m.scoreAll(m.userVector(history))));
    expect(Array.from(r.itemPrior)).toEqual(Array.from(m.itemPrior));
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const r2 = RecModel.deserialize(padded.subarray(3));
    expect(Array.from(r2.scoreAll(r2.userVector(history)))).toEqual(Array.from(m.scoreAll(m.userVector(history))));
  });

  it('rejects corrupt, truncated, foreign and future-version bytes with a clear error', async () => {
    const bytes = (await trainModel(clusteredData())).serialize();
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)]! ^= 0x10;
    expect(() => RecModel.deserialize(flipped)).toThrow(/checksum mismatch/);
    expect(() => RecModel.deserialize(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => RecModel.deserialize(bytes.subarray(0, 10))).toThrow(/truncated/);
    const extra = new Uint8Array(bytes.length + 1);
    extra.set(bytes);
    expect(() => RecModel.deserialize(extra)).toThrow(/trailing bytes/);
    const foreign = bytes.slice();
    foreign[0] = 0x58;
    expect(() => RecModel.deserialize(foreign)).toThrow(/bad magic header/);
    const future = bytes.slice();
    future[8] = 2;
    expect(() => RecModel.deserialize(future)).toThrow(/unsupported format version 2/);
  });

  it('refuses inconsistent parts (what a well-formed but wrong artifact would carry)', async () => {
    const m = await trainModel(clusteredData());
    const parts = {
      nItems: m.nItems,
      itemPrior: m.itemPrior,
      itemScale: m.itemScale,
      exposure: m.exposure,
      preference: m.preference,
      foldIn: m.foldIn,
    };
    expect(() => new RecModel({ ...parts, itemPrior: Float32Array.from(m.itemPrior, (v, i) => (i === 3 ? NaN : v)) })).toThrow(
      /non-finite item value/,
    );
    const badIdx = m.exposure.indices.slice();
    badIdx[0] = m.nItems;
    expect(() => new RecModel({ ...parts, exposure: { ...m.exposure, indices: badIdx } })).toThrow(
      /exposure graph: neighbour 12 out of range/,
    );
    const badVal = m.preference.values.slice();
    badVal[0] = Infinity;
    expect(() => new RecModel({ ...parts, preference: { ...m.preference, values: badVal } })).toThrow(
      /preference graph: non-finite weight/,
    );
  });

  it('scoreAll checks the vector size and fills `out`', async () => {
    const m = await trainModel(clusteredData());
    expect(() => m.scoreAll(new Float32Array(3))).toThrow(/needs 13/);
    const out = new Float32Array(12);
    expect(m.scoreAll(m.userVector([{ item: 0, weight: 1 }]), out)).toBe(out);
  });
});

describe('trainModel on a larger synthetic catalogue', () => {
  it('yields to the event loop while it trains', async () => {
    const nItems = 300;
    const users: number[] = [];
    const items: number[] = [];
    const weights: number[] = [];
    for (let u = 0; u < 200; u++) {
      for (let k = 0; k < 20; k++) {
        users.push(u);
        items.push((u * 7 + k * 13) % nItems);
        weights.push(k % 5 === 0 ? -1 : 1);
      }
    }
    let ticks = 0;
    let done = false;
    const tick = (): void => {
      if (done) return;
      ticks++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const model = await trainModel({
      nUsers: 200,
      nItems,
      users: Int32Array.from(users),
      items: Int32Array.from(items),
      weights: Float32Array.from(weights),
    });
    done = true;
    expect(model.nItems).toBe(nItems);
    // 300 items per graph, two graphs: at least 2 × 9 yields.
    expect(ticks).toBeGreaterThanOrEqual(18);
  });
});

describe('crc32', () => {
  it('is the IEEE CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
