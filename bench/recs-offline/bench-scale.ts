/**
 * Scale check of the model core on synthetic data (issue 6's targets):
 *   npx tsx bench/recs-offline/bench-scale.ts [users] [items] [events]
 * prints training time, userVector time for a 500-item history and scoreAll
 * time over all items (medians of repeated calls), and the artifact size.
 */
import { pathToFileURL } from 'node:url';
import { RecModel, trainModel, type ModelParams } from '../../src/modules/recs/model/index.js';
import { seededRng } from '../../src/lib/seeded-rng.js';
import { syntheticTrainingData } from './synthetic.js';

export interface ScaleReport {
  pairs: number;
  trainSeconds: number;
  userVectorMs: number;
  scoreAllMs: number;
  artifactBytes: number;
  serializeMs: number;
  deserializeMs: number;
}

export async function runScaleBench(
  o: { nUsers: number; nItems: number; events: number; historyLength?: number; params?: Partial<ModelParams> },
  log: (line: string) => void,
): Promise<ScaleReport> {
  const t0 = performance.now();
  const data = syntheticTrainingData({ nUsers: o.nUsers, nItems: o.nItems, events: o.events });
  log(
    `synthetic: ${o.events} events → ${data.users.length} (user, item) pairs, ${o.nUsers} users × ${o.nItems} items (${((performance.now() - t0) / 1000).toFixed(1)} s to generate)`,
  );
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const model = await trainModel(data, o.params);
  const trainSeconds = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // CPU time too: on a shared machine the wall time mostly measures the neighbours.
  log(`train: ${trainSeconds.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU`);
  const rnd = seededRng(7);
  const h = o.historyLength ?? 500;
  const histories = Array.from({ length: 50 }, () =>
    Array.from({ length: h }, (_, k) => ({
      item: (Math.floor(rnd() * o.nItems) + k * 7919) % o.nItems,
      weight: rnd() < 0.3 ? -1 : 1 + Math.floor(rnd() * 3),
    })),
  );
  const uvTimes: number[] = [];
  const saTimes: number[] = [];
  const out = new Float32Array(o.nItems);
  for (let rep = 0; rep < 3; rep++) {
    for (const hist of histories) {
      const a = performance.now();
      const u = model.userVector(hist);
      const b = performance.now();
      model.scoreAll(u, out);
      const c = performance.now();
      if (rep > 0) {
        uvTimes.push(b - a);
        saTimes.push(c - b);
      }
    }
  }
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const s0 = performance.now();
  const bytes = model.serialize();
  const s1 = performance.now();
  RecModel.deserialize(bytes);
  const s2 = performance.now();
  const report: ScaleReport = {
    pairs: data.users.length,
    trainSeconds,
    userVectorMs: median(uvTimes),
    scoreAllMs: median(saTimes),
    artifactBytes: bytes.length,
    serializeMs: s1 - s0,
    deserializeMs: s2 - s1,
  };
  log(
    `userVector (${h}-item history): median ${report.userVectorMs.toFixed(3)} ms; scoreAll (${o.nItems} items): median ${report.scoreAllMs.toFixed(3)} ms`,
  );
  log(
    `artifact ${(report.artifactBytes / 1e6).toFixed(1)} MB: serialize ${report.serializeMs.toFixed(0)} ms, deserialize ${report.deserializeMs.toFixed(0)} ms`,
  );
  return report;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [users, items, events] = process.argv.slice(2).map(Number);
  // `||`: an unset or unparsable (NaN) argument means the default, as does 0.
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
  await runScaleBench({ nUsers: users || 10_000, nItems: items || 10_000, events: events || 1_000_000 }, (l) => console.log(l));
}
