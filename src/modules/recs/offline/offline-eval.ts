import { DEFAULT_MODEL_PARAMS, trainModel, type ModelParams, type RecModel } from '../model/index.js';
import { EaseModel, popularityScores } from './baselines.js';
import { evaluateRanking, type RankingMetrics } from './metrics.js';
import { isPositiveLabel, itemsByUser, loadDataset, type Dataset, type UserItems } from './split-loader.js';
import { KUAIRAND_PARAMS } from './kuairand-params.js';
import { splitToTrainingData } from './training-data.js';

/** EASE's λ, tuned on KuaiRand valid: NDCG@20 0.0448 (λ=100), 0.0472 (300), 0.0481 (1000), 0.0481 (3000, 4th digit lower). */
export const DEFAULT_EASE_LAMBDA = 1000;

export interface OfflineEvalOptions {
  /** Directory with train.txt, valid.txt, test.txt. */
  dataset: string;
  /** Split to report on: tune on 'valid', report on 'test'. */
  split: 'valid' | 'test';
  k?: number;
  /** Our model's parameters; default KUAIRAND_PARAMS (tuned on valid for this protocol). */
  params?: Partial<ModelParams>;
  /** Also evaluate DEFAULT_MODEL_PARAMS (the production setting) as a second "ours" row. Default true. */
  withProductionDefaults?: boolean;
  /** EASE λ values; with more than one, λ is chosen on valid and the chosen one is reported on `split`. */
  easeLambdas?: number[];
}

export interface EvalRow extends RankingMetrics {
  model: string;
  trainSeconds: number;
}

export interface EvalReport {
  split: 'valid' | 'test';
  k: number;
  rows: EvalRow[];
  /** NDCG@k of ours relative to the better baseline: 0.15 = +15%. */
  oursVsBestBaseline: number;
  bestBaseline: string;
}

/** Items a user interacted with in train (positive or negative): masked from the ranking. */
export function trainMask(ds: Dataset): UserItems {
  return itemsByUser(ds.train, ds.nUsers);
}

export function relevantItems(ds: Dataset, split: 'valid' | 'test'): UserItems {
  return itemsByUser(ds[split], ds.nUsers, isPositiveLabel);
}

/** Our model, trained through the same trainModel path production uses, evaluated with fold-in of the train history. */
export async function evaluateOurs(
  ds: Dataset,
  relevant: UserItems,
  mask: UserItems,
  k: number,
  params?: Partial<ModelParams>,
): Promise<{ metrics: RankingMetrics; seconds: number; model: RecModel }> {
  const t0 = performance.now();
  const data = splitToTrainingData(ds.train, ds.nUsers, ds.nItems);
  const model = await trainModel(data, params);
  const seconds = (performance.now() - t0) / 1000;
  const history = historiesByUser(data.users, data.items, data.weights, ds.nUsers);
  const out = new Float32Array(ds.nItems);
  const metrics = evaluateRanking((u) => model.scoreAll(model.userVector(history[u] ?? []), out), relevant, mask, k);
  return { metrics, seconds, model };
}

export function historiesByUser(
  users: Int32Array,
  items: Int32Array,
  weights: Float32Array,
  nUsers: number,
): Array<Array<{ item: number; weight: number }>> {
  const h: Array<Array<{ item: number; weight: number }>> = Array.from({ length: nUsers }, () => []);
  for (let k = 0; k < users.length; k++) h[users[k]!]!.push({ item: items[k]!, weight: weights[k]! });
  return h;
}

export function evaluatePopularity(
  ds: Dataset,
  relevant: UserItems,
  mask: UserItems,
  k: number,
): { metrics: RankingMetrics; seconds: number } {
  const t0 = performance.now();
  const pop = popularityScores(itemsByUser(ds.train, ds.nUsers, isPositiveLabel), ds.nItems);
  const seconds = (performance.now() - t0) / 1000;
  return { metrics: evaluateRanking(() => pop, relevant, mask, k), seconds };
}

export function evaluateEase(
  ds: Dataset,
  relevant: UserItems,
  mask: UserItems,
  k: number,
  lambda: number,
): { metrics: RankingMetrics; seconds: number } {
  const t0 = performance.now();
  const positives = itemsByUser(ds.train, ds.nUsers, isPositiveLabel);
  const ease = EaseModel.fit(positives, ds.nItems, lambda);
  const seconds = (performance.now() - t0) / 1000;
  const out = new Float32Array(ds.nItems);
  const metrics = evaluateRanking(
    (u) => ease.score(positives.items.subarray(positives.indptr[u], positives.indptr[u + 1]), out),
    relevant,
    mask,
    k,
  );
  return { metrics, seconds };
}

/**
 * Popularity, EASE and our model on the same split in one run, printed as a
 * table through `log`. Full ranking over all items, each user's training
 * items (positive and negative) masked, users with ≥ 1 positive in `split`.
 */
export async function runOfflineEval(opts: OfflineEvalOptions, log: (line: string) => void): Promise<EvalReport> {
  const k = opts.k ?? 20;
  const ds = await loadDataset(opts.dataset);
  log(
    `dataset ${opts.dataset}: ${ds.nUsers} users × ${ds.nItems} items; train ${ds.train.users.length}, valid ${ds.valid.users.length}, test ${ds.test.users.length} lines`,
  );
  const mask = trainMask(ds);
  const relevant = relevantItems(ds, opts.split);
  const rows: EvalRow[] = [];

  const pop = evaluatePopularity(ds, relevant, mask, k);
  rows.push({ model: 'popularity', ...pop.metrics, trainSeconds: pop.seconds });

  const lambdas = opts.easeLambdas ?? [DEFAULT_EASE_LAMBDA];
  let lambda = lambdas[0]!;
  if (lambdas.length > 1) {
    const validRelevant = relevantItems(ds, 'valid');
    let best = -1;
    for (const l of lambdas) {
      const r = evaluateEase(ds, validRelevant, mask, k, l);
      log(`  EASE λ=${l}: valid NDCG@${k} ${r.metrics.ndcg.toFixed(4)}`);
      if (r.metrics.ndcg > best) {
        best = r.metrics.ndcg;
        lambda = l;
      }
    }
  }
  const ease = evaluateEase(ds, relevant, mask, k, lambda);
  rows.push({ model: `EASE (λ=${lambda})`, ...ease.metrics, trainSeconds: ease.seconds });

  const ours = await evaluateOurs(ds, relevant, mask, k, { ...KUAIRAND_PARAMS, ...opts.params });
  const f = ours.model.foldIn;
  log(
    `ours: fold-in negativeExposure=${f.negativeExposure} preferenceWeight=${f.preferenceWeight} negativePreference=${f.negativePreference}`,
  );
  rows.push({ model: 'ours (exposure-aware, KuaiRand-tuned)', ...ours.metrics, trainSeconds: ours.seconds });
  if (opts.withProductionDefaults ?? true) {
    const prod = await evaluateOurs(ds, relevant, mask, k, DEFAULT_MODEL_PARAMS);
    rows.push({ model: 'ours (production defaults)', ...prod.metrics, trainSeconds: prod.seconds });
  }

  const baselines = rows.slice(0, 2);
  const best = baselines.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));
  const gain = ours.metrics.ndcg / best.ndcg - 1;
  for (const line of formatTable(rows, k, opts.split)) log(line);
  const pct = (g: number): string => `${g >= 0 ? '+' : ''}${(g * 100).toFixed(1)}%`;
  log(`ours vs best baseline (${best.model}): ${pct(gain)} NDCG@${k}`);
  const prodRow = rows[3];
  if (prodRow) log(`ours with production defaults vs best baseline: ${pct(prodRow.ndcg / best.ndcg - 1)} NDCG@${k}`);
  return { split: opts.split, k, rows, oursVsBestBaseline: gain, bestBaseline: best.model };
}

export function formatTable(rows: EvalRow[], k: number, split: string): string[] {
  const head = ['model', `Recall@${k}`, `NDCG@${k}`, 'users', 'train s'];
  const body = rows.map((r) => [r.model, r.recall.toFixed(4), r.ndcg.toFixed(4), String(r.users), r.trainSeconds.toFixed(2)]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const fmt = (cells: string[]): string => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
  return [`split: ${split}`, fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)];
}
