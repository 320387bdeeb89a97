/**
 * What the self-tuning search costs a training run, in CPU time (robust to a
 * shared machine): the plain fit on the whole history (what training did
 * before self-tuning) vs the search (time split, fit on the older part, every
 * candidate scored) plus the refit, on the same synthetic history:
 *   npx tsx bench/recs-offline/search-cost.ts [users] [items] [events] [maxViewers]
 * Target (issue 16): search + refit ≤ 3 × the plain fit.
 */
import { pathToFileURL } from 'node:url';
import { seededRng } from '../../src/lib/seeded-rng.js';
import { trainModel } from '../../src/modules/recs/model/index.js';
import { timeSplit } from '../../src/modules/recs/tuning/holdout.js';
import { DEFAULT_SELF_TUNE, refitChosen, selfTune } from '../../src/modules/recs/tuning/self-tune.js';
import { syntheticTrainingData } from './synthetic.js';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function searchCost(nUsers: number, nItems: number, events: number, maxViewers = DEFAULT_SELF_TUNE.maxViewers) {
  const data = syntheticTrainingData({ nUsers, nItems, events });
  const rnd = seededRng(5);
  const at = Float64Array.from({ length: data.users.length }, () => rnd());
  let t = cpuMs();
  await trainModel(data);
  const plain = cpuMs() - t;
  t = cpuMs();
  const tuned = await selfTune(timeSplit(data, at), { maxViewers });
  const search = cpuMs() - t;
  t = cpuMs();
  await refitChosen(data, tuned);
  const refit = cpuMs() - t;
  return { pairs: data.users.length, plain, search, refit, ratio: (search + refit) / plain, chosen: tuned.selection.chosen };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [users = 10_000, items = 10_000, events = 1_000_000, maxViewers] = process.argv.slice(2).map(Number);
  const r = await searchCost(users, items, events, maxViewers);
  console.log(
    `${r.pairs.toLocaleString('en')} pairs: plain fit ${(r.plain / 1000).toFixed(2)} s CPU; search ${(r.search / 1000).toFixed(2)} s + refit ${(r.refit / 1000).toFixed(2)} s = ${r.ratio.toFixed(2)} × the plain fit (target ≤ 3×); chose ${r.chosen}`,
  );
}
