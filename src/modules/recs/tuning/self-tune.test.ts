import { describe, expect, it } from 'vitest';
import { SIMULATED_SERVICES as VARIANTS, simulatedCatalog as catalog } from '../../../../test/support/recs-catalog.js';
import { itemCounts, resolveParams, trainModel } from '../model/index.js';
import { timeSplit } from './holdout.js';
import { LOGGED_AXES, searchSpace } from './search-space.js';
import { selfTune, variantOf } from './self-tune.js';
import { ServedEvaluator } from './served-evaluator.js';

describe('selfTune on simulated catalogs of other services', () => {
  for (const [name, o] of Object.entries(VARIANTS)) {
    it(`${name}: never chooses a ranking worse than popularity only on its holdout`, async () => {
      const { data, at } = catalog(o);
      for (const candidates of [searchSpace(), searchSpace(LOGGED_AXES)]) {
        const r = await selfTune(timeSplit(data, at), { candidates, minViewers: 100 });
        const h = r.selection.holdout!;
        expect(r.selection.status).toBe('tuned');
        expect(h.viewers).toBeGreaterThanOrEqual(100);
        expect(h.chosenNdcg).toBeGreaterThanOrEqual(h.popularityNdcg);
        console.log(
          `${name}: chose ${r.selection.chosen}: holdout NDCG@20 ${h.chosenNdcg.toFixed(4)} vs popularity ${h.popularityNdcg.toFixed(4)}, best ${h.bestNdcg.toFixed(4)}`,
        );
        if (name === 'taste-driven') {
          expect(r.chosen.kind).toBe('model');
          expect(h.chosenNdcg).toBeGreaterThan(1.2 * h.popularityNdcg);
        }
        if (name === 'popularity-dominated') expect(r.chosen.kind).toBe('popularity');
      }
    }, 60_000);
  }

  it('makes no choice on a holdout too small to tell candidates apart', async () => {
    const { data, at } = catalog({ ...VARIANTS['taste-driven']!, nUsers: 60 });
    const r = await selfTune(timeSplit(data, at));
    expect(r.selection.status).toBe('untuned');
    expect(r.selection.reason).toMatch(/holdout too small to choose: \d+ viewers .*< 200/);
    expect(r.chosen.name).toBe(r.selection.chosen);
    expect(r.selection.blend).toEqual({ personal: 1, trending: 0.35 });
    expect(r.fitModel).toBeNull();
    const off = await selfTune(timeSplit(data, at), { maxViewers: 0 });
    expect(off.selection.reason).toMatch(/search off/);
  });
});

describe('ServedEvaluator.personalVariants', () => {
  it("ranks as RecModel's own userVector + scoreAll for every fold-in variant", async () => {
    const { data } = catalog({ ...VARIANTS.sparse!, nUsers: 300, nItems: 200 });
    const base = await trainModel(data);
    const counts = itemCounts(data);
    const variants = searchSpace(LOGGED_AXES)
      .filter((c) => c.foldIn && c.blend.trending === 0)
      .map((c) => variantOf(base, counts, resolveParams(), c.foldIn!));
    const ev = new ServedEvaluator(data);
    for (let u = 0; u < 300; u += 7) {
      const v = ev.viewer(u);
      const lists = ev.personalVariants(variants, v);
      variants.forEach((m, i) => expect(lists[i]).toEqual(ev.personal(m, v)));
    }
  });
});
