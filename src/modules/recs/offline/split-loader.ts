import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One split of a `user item label` file: one entry per line (duplicates kept). */
export interface Split {
  users: Int32Array;
  items: Int32Array;
  labels: Float32Array;
}

export interface Dataset {
  nUsers: number;
  nItems: number;
  train: Split;
  valid: Split;
  test: Split;
}

/**
 * Parses the KuaiRand/SIGformer split format: `user item label` per line,
 * whitespace-separated, non-negative integer ids, a numeric label (1 =
 * positive, 0 = shown but not engaged). Blank lines are skipped; anything
 * else that is not three fields of that shape is rejected, naming the line.
 */
export function parseSplit(text: string, source = 'split'): Split {
  const users: number[] = [];
  const items: number[] = [];
  const labels: number[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const where = `${source}:${n + 1}`;
    if (f.length !== 3) throw new Error(`${where}: expected "user item label", got ${JSON.stringify(line)}`);
    const u = parseId(f[0]!);
    const i = parseId(f[1]!);
    const l = Number(f[2]);
    if (u === null) throw new Error(`${where}: user id must be a non-negative integer, got ${JSON.stringify(f[0])}`);
    if (i === null) throw new Error(`${where}: item id must be a non-negative integer, got ${JSON.stringify(f[1])}`);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(f[2]!) || !Number.isFinite(l)) {
      throw new Error(`${where}: label must be a number, got ${JSON.stringify(f[2])}`);
    }
    users.push(u);
    items.push(i);
    labels.push(l);
  }
  return { users: Int32Array.from(users), items: Int32Array.from(items), labels: Float32Array.from(labels) };
}

function parseId(s: string): number | null {
  if (!/^\d+$/.test(s)) return null;
  const v = Number(s);
  return v <= 0x7fffffff ? v : null;
}

/** Reads `train.txt`, `valid.txt` and `test.txt` from a directory; sizes are the largest ids + 1. */
export async function loadDataset(dir: string): Promise<Dataset> {
  const [train, valid, test] = (await Promise.all(
    (['train', 'valid', 'test'] as const).map(async (name) => {
      const path = join(dir, `${name}.txt`);
      return parseSplit(await readFile(path, 'utf8'), path);
    }),
  )) as [Split, Split, Split];
  let nUsers = 0;
  let nItems = 0;
  for (const s of [train, valid, test]) {
    for (const u of s.users) if (u >= nUsers) nUsers = u + 1;
    for (const i of s.items) if (i >= nItems) nItems = i + 1;
  }
  return { nUsers, nItems, train, valid, test };
}

/** Label ≥ 0.5 counts as positive (the files use 1.00 / 0.00). */
export function isPositiveLabel(label: number): boolean {
  return label >= 0.5;
}

/** CSR lists of distinct items per user. */
export interface UserItems {
  indptr: Int32Array;
  items: Int32Array;
}

/** Distinct items per user, keeping only lines that `keep` accepts. */
export function itemsByUser(split: Split, nUsers: number, keep: (label: number) => boolean = () => true): UserItems {
  const byUser = new Array<Set<number> | undefined>(nUsers);
  for (let k = 0; k < split.users.length; k++) {
    if (!keep(split.labels[k]!)) continue;
    const u = split.users[k]!;
    (byUser[u] ??= new Set()).add(split.items[k]!);
  }
  const indptr = new Int32Array(nUsers + 1);
  for (let u = 0; u < nUsers; u++) indptr[u + 1] = indptr[u]! + (byUser[u]?.size ?? 0);
  const items = new Int32Array(indptr[nUsers]!);
  for (let u = 0; u < nUsers; u++) {
    const s = byUser[u];
    if (!s) continue;
    let p = indptr[u]!;
    for (const i of [...s].sort((a, b) => a - b)) items[p++] = i;
  }
  return { indptr, items };
}
