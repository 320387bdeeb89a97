/**
 * Hyper-parameter search for the model on KuaiRand *valid* (coordinate
 * descent over a small grid, two passes), then the chosen setting once on
 * test for the record:
 *   npx tsx bench/recs-offline/tune.ts [datasetDir] [--production]
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_MODEL_PARAMS, trainModel, type ModelParams } from '../../src/modules/recs/model/index.js';
import { KUAIRAND_PARAMS } from '../../src/modules/recs/offline/kuairand-params.js';
import { evaluateRanking } from '../../src/modules/recs/offline/metrics.js';
import { historiesByUser, relevantItems, trainMask } from '../../src/modules/recs/offline/offline-eval.js';
import { isPositiveLabel, loadDataset } from '../../src/modules/recs/offline/split-loader.js';
import { NEGATIVE_LABEL_WEIGHT, POSITIVE_LABEL_WEIGHT, splitToTrainingData } from '../../src/modules/recs/offline/training-data.js';

export interface TuneSetting {
  params: ModelParams;
  /** Weight of a label-0 line (a weak negative: shown, not engaged). */
  negativeLabelWeight: number;
}

export type TuneGrid = { [K in keyof ModelParams]?: number[] } & { negativeLabelWeight?: number[] };

/** The KuaiRand-protocol search (exposure-aware). */
export const KUAIRAND_GRID: TuneGrid = {
  alpha: [0.3, 0.4, 0.5, 0.6, 0.75],
  beta: [0.2, 0.25, 0.3, 0.35, 0.4],
  neighbours: [100, 200, 400],
  negativeExposure: [0, 0.1, 0.25, 0.5, 1],
  negativeLabelWeight: [-0.005, -0.05, -0.15, -0.3, -0.5],
  preferenceWeight: [0, 0.02, 0.05, 0.1],
  rateExponent: [0, 0.25, 0.5, 0.75, 1],
  rateShrinkage: [1, 5, 20],
  priorWeight: [0, 0.01, 0.03, 0.1],
};

/**
 * The production search: negatives never count as exposure and positives go
 * through the preference graph at least as much as through the exposure graph
 * (what the online simulation needs); the rest is tuned on valid.
 */
export const PRODUCTION_GRID: TuneGrid = {
  alpha: [0.3, 0.4, 0.5, 0.6, 0.75],
  beta: [0.2, 0.25, 0.3, 0.35, 0.4, 0.5],
  neighbours: [200, 400],
  preferenceWeight: [1, 1.5, 2, 4],
  negativePreference: [0.5, 1, 2],
  negativeLabelWeight: [-0.02, -0.05, -0.15, -0.5],
  rateExponent: [0, 0.25, 0.5, 0.75, 1],
  rateShrinkage: [1, 5, 20],
};

/** Loads the dataset once; the returned function trains with a setting and gives NDCG@20 on a split. */
export async function settingEvaluator(dir: string): Promise<(s: TuneSetting, split: 'valid' | 'test') => Promise<number>> {
  const ds = await loadDataset(dir);
  const mask = trainMask(ds);
  const relevant = { valid: relevantItems(ds, 'valid'), test: relevantItems(ds, 'test') };
  return async (s, split) => {
    const data = splitToTrainingData(ds.train, ds.nUsers, ds.nItems, (l) =>
      isPositiveLabel(l) ? POSITIVE_LABEL_WEIGHT : s.negativeLabelWeight,
    );
    const model = await trainModel(data, s.params);
    const hist = historiesByUser(data.users, data.items, data.weights, ds.nUsers);
    const out = new Float32Array(ds.nItems);
    return evaluateRanking((u) => model.scoreAll(model.userVector(hist[u]!), out), relevant[split], mask, 20).ndcg;
  };
}

export async function tune(
  dir: string,
  log: (l: string) => void,
  start?: Partial<TuneSetting>,
  grid: TuneGrid = KUAIRAND_GRID,
): Promise<TuneSetting> {
  const evaluate = await settingEvaluator(dir);
  let best: TuneSetting = {
    params: { ...KUAIRAND_PARAMS, ...start?.params },
    negativeLabelWeight: start?.negativeLabelWeight ?? NEGATIVE_LABEL_WEIGHT,
  };
  let bestScore = await evaluate(best, 'valid');
  log(`start: valid NDCG@20 ${bestScore.toFixed(4)} ${JSON.stringify(best)}`);
  for (let pass = 0; pass < 2; pass++) {
    for (const [key, values] of Object.entries(grid)) {
      for (const v of values) {
        const cand: TuneSetting =
          key === 'negativeLabelWeight' ? { ...best, negativeLabelWeight: v } : { ...best, params: { ...best.params, [key]: v } };
        if (JSON.stringify(cand) === JSON.stringify(best)) continue;
        const score = await evaluate(cand, 'valid');
        log(`  ${key}=${v}: valid ${score.toFixed(4)}`);
        if (score > bestScore + 1e-5) {
          bestScore = score;
          best = cand;
        }
      }
      log(`after ${key} (pass ${pass + 1}): valid ${bestScore.toFixed(4)} ${JSON.stringify(best)}`);
    }
  }
  log(`chosen: valid NDCG@20 ${bestScore.toFixed(4)}, test NDCG@20 ${(await evaluate(best, 'test')).toFixed(4)} ${JSON.stringify(best)}`);
  return best;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // --production: search around DEFAULT_MODEL_PARAMS with PRODUCTION_GRID.
  const production = process.argv.includes('--production');
  const dir = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '../shared/data/kuairand';
  await tune(
    dir,
    (l) => console.log(l),
    production ? { params: DEFAULT_MODEL_PARAMS } : undefined,
    production ? PRODUCTION_GRID : KUAIRAND_GRID,
  );
}
