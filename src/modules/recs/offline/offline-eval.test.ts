import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runOfflineEval } from './offline-eval.js';

// ../shared/data/kuairand beside the repository root.
const dataset = fileURLToPath(new URL('../../../../../shared/data/kuairand', import.meta.url));
const present = existsSync(`${dataset}/train.txt`);
if (!present) {
  if (process.env.CI === 'true') throw new Error(`KuaiRand split missing at ${dataset}; CI requires it`);
  console.warn(`offline-eval.test: ${dataset} not found, skipping the KuaiRand evaluation`);
}

describe.skipIf(!present)('offline evaluation on KuaiRand (test split)', () => {
  // Full figures: `curta recs eval --dataset ../shared/data/kuairand` (README, "How the For You ranking is chosen").
  it('self-tuned on valid only, the served ranking reaches 1.15 × EASE and beats the better baseline', async () => {
    const lines: string[] = [];
    const report = await runOfflineEval({ dataset, split: 'test' }, (l) => lines.push(l));
    console.log(lines.join('\n'));
    const [pop, ease, ours, defaults] = report.rows;
    expect(pop!.users).toBe(11181);
    expect(ours!.users).toBe(pop!.users);
    // README of the split: popularity NDCG@20 0.0435 (Recall 0.0904); EASE(λ=1000) 0.0551 (Recall 0.1091).
    expect(pop!.ndcg).toBeCloseTo(0.0435, 3);
    expect(pop!.recall).toBeCloseTo(0.0904, 2);
    expect(Math.abs(ease!.ndcg - 0.0551)).toBeLessThan(0.002);
    expect(Math.abs(ease!.recall - 0.1091)).toBeLessThan(0.004);
    // The targets: ≥ 1.15 × EASE (≥ 0.0634) and ≥ 0.98 × the best baseline.
    expect(ours!.ndcg).toBeGreaterThanOrEqual(1.15 * ease!.ndcg);
    expect(ours!.ndcg).toBeGreaterThanOrEqual(0.0634);
    expect(ours!.ndcg).toBeGreaterThanOrEqual(0.98 * Math.max(pop!.ndcg, ease!.ndcg));
    expect(report.selection.status).toBe('tuned');
    expect(report.selection.holdout!.chosenNdcg).toBeGreaterThanOrEqual(report.selection.holdout!.popularityNdcg);
    expect(defaults!.model).toMatch(/production defaults/);
    // Beyond accuracy, per row: the gain is not bought by collapsing onto popular items.
    for (const r of report.rows) {
      expect(r.coverage).toBeGreaterThan(0);
      expect(r.gini).toBeLessThanOrEqual(1);
      expect(r.novelty).toBeGreaterThan(0);
    }
    expect(ours!.coverage).toBeGreaterThan(10 * pop!.coverage);
    expect(report.oursVsBestBaseline).toBeCloseTo(ours!.ndcg / Math.max(pop!.ndcg, ease!.ndcg) - 1, 10);
    expect(lines.some((l) => /^self-tuned vs best baseline .*\+\d+\.\d%/.test(l))).toBe(true);
  }, 600_000);
});
