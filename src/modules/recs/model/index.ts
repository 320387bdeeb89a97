// INTERIM placeholder written by the lead so the For You service can be
// integrated and tested before the real model lands. The model engineer owns
// this folder: replace this file freely (keep the exported API).
export interface TrainingData {
  nUsers: number;
  nItems: number;
  users: Int32Array;
  items: Int32Array;
  weights: Float32Array;
}
export interface ModelParams {
  neighbours: number;
}
export interface TrainProgress {
  phase: string;
  iteration: number;
  of: number;
}

export class RecModel {
  constructor(
    readonly nItems: number,
    readonly itemPrior: Float32Array,
    /** nItems × k neighbour indices and similarities (-1 = none). */
    private readonly nbr: Int32Array,
    private readonly sim: Float32Array,
    private readonly k: number,
  ) {}

  userVector(history: ReadonlyArray<{ item: number; weight: number }>): Float32Array {
    const u = new Float32Array(this.nItems);
    for (const h of history) u[h.item]! += h.weight;
    return u;
  }

  scoreAll(user: Float32Array, out = new Float32Array(this.nItems)): Float32Array {
    out.fill(0);
    for (let i = 0; i < this.nItems; i++) {
      const w = user[i]!;
      if (w === 0) continue;
      for (let j = 0; j < this.k; j++) {
        const n = this.nbr[i * this.k + j]!;
        if (n >= 0) out[n]! += w * this.sim[i * this.k + j]!;
      }
    }
    for (let i = 0; i < this.nItems; i++) out[i]! += 1e-3 * this.itemPrior[i]!;
    return out;
  }

  serialize(): Uint8Array {
    const head = new Int32Array([this.nItems, this.k]);
    const parts = [head, this.itemPrior, this.nbr, this.sim].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  static deserialize(bytes: Uint8Array): RecModel {
    const copy = bytes.slice();
    const head = new Int32Array(copy.buffer, 0, 2);
    const [n, k] = [head[0]!, head[1]!];
    if (copy.length !== 8 + n * 4 + 2 * n * k * 4) throw new Error('corrupt model');
    const prior = new Float32Array(copy.buffer, 8, n);
    const nbr = new Int32Array(copy.buffer, 8 + n * 4, n * k);
    const sim = new Float32Array(copy.buffer, 8 + n * 4 + n * k * 4, n * k);
    return new RecModel(n, prior, nbr, sim, k);
  }
}

export async function trainModel(data: TrainingData, params: Partial<ModelParams> = {}, onProgress?: (p: TrainProgress) => void): Promise<RecModel> {
  const k = params.neighbours ?? 30;
  const byUser: Array<number[]> = Array.from({ length: data.nUsers }, () => []);
  const prior = new Float32Array(data.nItems);
  for (let e = 0; e < data.users.length; e++) {
    if (data.weights[e]! > 0) {
      byUser[data.users[e]!]!.push(data.items[e]!);
      prior[data.items[e]!]! += 1;
    }
  }
  const co = new Map<number, Map<number, number>>();
  for (const items of byUser) {
    for (const a of items) {
      let m = co.get(a);
      if (!m) co.set(a, (m = new Map()));
      for (const b of items) if (a !== b) m.set(b, (m.get(b) ?? 0) + 1);
    }
  }
  const nbr = new Int32Array(data.nItems * k).fill(-1);
  const sim = new Float32Array(data.nItems * k);
  for (let i = 0; i < data.nItems; i++) {
    const m = co.get(i);
    if (!m) continue;
    const best = [...m.entries()]
      .map(([j, c]) => [j, c / Math.sqrt(prior[i]! * prior[j]!)] as const)
      .sort((x, y) => y[1] - x[1])
      .slice(0, k);
    best.forEach(([j, s], r) => {
      nbr[i * k + r] = j;
      sim[i * k + r] = s;
    });
  }
  onProgress?.({ phase: 'fit', iteration: 1, of: 1 });
  return new RecModel(data.nItems, prior, nbr, sim, k);
}
