/**
 * How reliably a quick skip pushes down what viewers co-liked with the
 * skipped item: for every item with at least `topN` preference neighbours,
 * fold in a lone skip (weight −1) and count how many of its `topN` strongest
 * co-liked neighbours get a negative personal score.
 *   npx tsx bench/recs-offline/skip-effect.ts [datasetDir]
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_MODEL_PARAMS, trainModel, type RecModel } from '../../src/modules/recs/model/index.js';
import { KUAIRAND_PARAMS } from '../../src/modules/recs/offline/kuairand-params.js';
import { loadDataset } from '../../src/modules/recs/offline/split-loader.js';
import { splitToTrainingData } from '../../src/modules/recs/offline/training-data.js';

export function skipPushdownRate(model: RecModel, topN = 10, skipWeight = -1): { rate: number; items: number } {
  const g = model.preference;
  let lowered = 0;
  let total = 0;
  let items = 0;
  for (let a = 0; a < model.nItems; a++) {
    const p0 = g.indptr[a]!;
    const p1 = g.indptr[a + 1]!;
    if (p1 - p0 < topN) continue;
    items++;
    const strongest = Array.from({ length: p1 - p0 }, (_, k) => p0 + k)
      .sort((x, y) => g.values[y]! - g.values[x]!)
      .slice(0, topN);
    const v = model.userVector([{ item: a, weight: skipWeight }]);
    for (const p of strongest) {
      total++;
      if (v[g.indices[p]!]! < 0) lowered++;
    }
  }
  return { rate: total ? lowered / total : 0, items };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ds = await loadDataset(process.argv[2] ?? '../shared/data/kuairand');
  const data = splitToTrainingData(ds.train, ds.nUsers, ds.nItems);
  for (const [name, params] of [
    ['KUAIRAND_PARAMS', KUAIRAND_PARAMS],
    ['DEFAULT_MODEL_PARAMS', DEFAULT_MODEL_PARAMS],
  ] as const) {
    const r = skipPushdownRate(await trainModel(data, params));
    console.log(`${name}: a quick skip lowers ${(100 * r.rate).toFixed(1)}% of the top-10 co-liked neighbours (${r.items} items)`);
  }
}
