import { trainModel, type ModelParams, type RecModel } from '../model/index.js';
import { defaultsCandidate, LOGGED_AXES, searchSpace, type Candidate } from '../tuning/search-space.js';
import { selfTune, variantOf, type ModelSelection } from '../tuning/self-tune.js';
import { ServedEvaluator } from '../tuning/served-evaluator.js';
import { itemCounts, resolveParams } from '../model/index.js';
import { EaseModel, popularityScores } from './baselines.js';
import { BeyondAccuracyTally, type BeyondAccuracy } from './beyond-accuracy.js';
import { averageOverUsers, evaluateRanking, topK, type RankingMetrics } from './metrics.js';
import { isPositiveLabel, itemsByUser, loadDataset, type Dataset, type UserItems } from './split-loader.js';
import { splitToTrainingData } from './training-data.js';

/** EASE's λ, tuned on KuaiRand valid: NDCG@20 0.0448 (λ=100), 0.0472 (300), 0.0481 (1000), 0.0481 (3000, 4th digit lower). */
export const DEFAULT_EASE_LAMBDA = 1000;

export interface OfflineEvalOptions {
  /** Directory with train.txt, valid.txt, test.txt. */
  dataset: string;
  /** Split to report on: the search always chooses on 'valid'; report on 'test'. */
  split: 'valid' | 'test';
  k?: number;
  /** EASE λ values; with more than one, λ is chosen on valid and the chosen one is reported on `split`. */
  easeLambdas?: number[];
  /** Holdout viewers the search scores at most (default 10,000: the whole valid split of KuaiRand). */
  maxViewers?: number;
}

export interface EvalRow extends RankingMetrics, BeyondAccuracy {
  model: string;
  trainSeconds: number;
}

export interface EvalReport {
  split: 'valid' | 'test';
  k: number;
  rows: EvalRow[];
  /** NDCG@k of the self-tuned served ranking relative to the better baseline: 0.15 = +15%. */
  oursVsBestBaseline: number;
  bestBaseline: string;
  /** What the search chose on valid, as a training run records it. */
  selection: ModelSelection;
}

/** Items a user interacted with in train (positive or negative): masked from the ranking. */
export function trainMask(ds: Dataset): UserItems {
  return itemsByUser(ds.train, ds.nUsers);
}

export function relevantItems(ds: Dataset, split: 'valid' | 'test'): UserItems {
  return itemsByUser(ds[split], ds.nUsers, isPositiveLabel);
}

/**
 * Full-ranking evaluation of top-k lists with the beyond-accuracy tally:
 * every user with a relevant item gets `list(u)` (already masked).
 */
export function evaluateLists(
  list: (user: number) => ArrayLike<number>,
  relevant: UserItems,
  k: number,
  tally: BeyondAccuracyTally,
): RankingMetrics & BeyondAccuracy {
  const metrics = averageOverUsers(relevant, k, (u) => {
    const ranked = list(u);
    tally.add(ranked);
    return ranked;
  });
  return { ...metrics, ...tally.result() };
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

/** Our model alone (no blend), with fold-in of the train history: for tuning scripts. */
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

const maskOf = (mask: UserItems, u: number): Set<number> => new Set(mask.items.subarray(mask.indptr[u], mask.indptr[u + 1]));

/**
 * Popularity, EASE and the served For You ranking — self-tuned on the
 * dataset's own valid split (the search a training run does, tuning/), and
 * with the production defaults — on the same split in one run, printed as a
 * table through `log`. Full ranking over all items, each user's training
 * items (positive and negative) masked, users with ≥ 1 positive in `split`.
 * Beyond accuracy per row: catalog coverage, Gini of recommendations over
 * items (these datasets have no creators), novelty.
 */
export async function runOfflineEval(opts: OfflineEvalOptions, log: (line: string) => void): Promise<EvalReport> {
  const k = opts.k ?? 20;
  const ds = await loadDataset(opts.dataset);
  log(
    `dataset ${opts.dataset}: ${ds.nUsers} users × ${ds.nItems} items; train ${ds.train.users.length}, valid ${ds.valid.users.length}, test ${ds.test.users.length} lines`,
  );
  const mask = trainMask(ds);
  const relevant = relevantItems(ds, opts.split);
  const positives = itemsByUser(ds.train, ds.nUsers, isPositiveLabel);
  const pop = popularityScores(positives, ds.nItems);
  const tally = (): BeyondAccuracyTally => new BeyondAccuracyTally(pop, ds.nUsers);
  const rows: EvalRow[] = [];

  let t0 = performance.now();
  const popList = (u: number): Int32Array => topK(pop, k, maskOf(mask, u));
  rows.push({ model: 'popularity', ...evaluateLists(popList, relevant, k, tally()), trainSeconds: (performance.now() - t0) / 1000 });

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
  t0 = performance.now();
  const ease = EaseModel.fit(positives, ds.nItems, lambda);
  const easeSeconds = (performance.now() - t0) / 1000;
  const easeOut = new Float32Array(ds.nItems);
  const easeList = (u: number): Int32Array =>
    topK(ease.score(positives.items.subarray(positives.indptr[u], positives.indptr[u + 1]), easeOut), k, maskOf(mask, u));
  rows.push({ model: `EASE (λ=${lambda})`, ...evaluateLists(easeList, relevant, k, tally()), trainSeconds: easeSeconds });

  // The search a training run does, with the dataset's valid split as the holdout (its logs come from another
  // service's feed: LOGGED_AXES), then the chosen served ranking on `split`.
  t0 = performance.now();
  const train = splitToTrainingData(ds.train, ds.nUsers, ds.nItems);
  const tuned = await selfTune(
    { fit: train, relevant: relevantItems(ds, 'valid') },
    { candidates: searchSpace(LOGGED_AXES), maxViewers: opts.maxViewers ?? 10_000 },
  );
  const tunedSeconds = (performance.now() - t0) / 1000;
  const sel = tuned.selection;
  log(
    `self-tuning on valid (${sel.candidates} candidates, ${sel.holdout?.viewers ?? 0} viewers, ${tunedSeconds.toFixed(1)} s): ${sel.reason}`,
  );
  if (sel.holdout) {
    const h = sel.holdout;
    log(`  rule: ${sel.rule}`);
    log(
      `  valid NDCG@${h.k}: chosen ${h.chosenNdcg.toFixed(4)}, best ${h.bestNdcg.toFixed(4)} (${h.best}), popularity only ${h.popularityNdcg.toFixed(4)}, production defaults ${h.defaultsNdcg.toFixed(4)}; SE(best − chosen) ${h.se.toFixed(4)}`,
    );
  }
  log(`  chosen: ${sel.chosen}`);
  // No choice made (a holdout too small): the production defaults, as a training run would serve.
  const fitModel = tuned.fitModel ?? (await trainModel(train, tuned.params));
  const ev = new ServedEvaluator(train);
  const servedRow = (c: Candidate, model: RecModel): RankingMetrics & BeyondAccuracy =>
    evaluateLists(
      (u) => {
        const v = ev.viewer(u);
        return ev.served(c.kind === 'model' ? ev.personalVariants([model], v)[0]! : [], v, c.blend, k);
      },
      relevant,
      k,
      tally(),
    );
  rows.push({
    model: `For You served, self-tuned (${tuned.chosen.kind === 'popularity' ? 'popularity only' : 'model + blend'})`,
    ...servedRow(tuned.chosen, fitModel),
    trainSeconds: tunedSeconds,
  });
  const defaults = defaultsCandidate();
  const defaultsModel = tuned.defaultsModel ?? variantOf(fitModel, itemCounts(train), resolveParams(), defaults.foldIn!);
  rows.push({ model: 'For You served, production defaults', ...servedRow(defaults, defaultsModel), trainSeconds: 0 });

  const baselines = rows.slice(0, 2);
  const best = baselines.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));
  const ours = rows[2]!;
  const gain = ours.ndcg / best.ndcg - 1;
  for (const line of formatTable(rows, k, opts.split)) log(line);
  log(
    "Gini: of recommendation counts over items (these datasets have no creators); novelty: mean −log2 of an item's share of training viewers",
  );
  const pct = (g: number): string => `${g >= 0 ? '+' : ''}${(g * 100).toFixed(1)}%`;
  log(`self-tuned vs best baseline (${best.model}): ${pct(gain)} NDCG@${k}; vs EASE ×${(ours.ndcg / rows[1]!.ndcg).toFixed(3)}`);
  return { split: opts.split, k, rows, oursVsBestBaseline: gain, bestBaseline: best.model, selection: sel };
}

export function formatTable(rows: EvalRow[], k: number, split: string): string[] {
  const head = ['model', `Recall@${k}`, `NDCG@${k}`, 'users', 'coverage', 'Gini', 'novelty', 'train s'];
  const body = rows.map((r) => [
    r.model,
    r.recall.toFixed(4),
    r.ndcg.toFixed(4),
    String(r.users),
    r.coverage.toFixed(3),
    r.gini.toFixed(3),
    r.novelty.toFixed(2),
    r.trainSeconds.toFixed(2),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const fmt = (cells: string[]): string => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
  return [`split: ${split}`, fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)];
}
