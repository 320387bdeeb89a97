import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../lib/seeded-rng.js';
import { defaultsCandidate, popularityOnly, searchSpace, type Candidate } from './search-space.js';
import { pairedSe, scoreOf, selectCandidate } from './select.js';

const model = (complexity: number, name = `m${complexity}`): Candidate => ({ ...defaultsCandidate(), name, complexity });

/** n viewers: base value per viewer plus a per-candidate shift and noise of the given size. */
function scores(n: number, shift: number, noise: number, seed: number): Float64Array {
  const rnd = seededRng(seed);
  return Float64Array.from({ length: n }, (_, u) => 0.05 + (u % 7) / 100 + shift + noise * (rnd() - 0.5));
}

describe('pairedSe', () => {
  it('is the standard error of the mean per-viewer difference', () => {
    const a = Float64Array.from([1, 2, 3, 4]);
    const b = Float64Array.from([0, 2, 2, 5]);
    // differences 1, 0, 1, −1: mean 0.25, sample variance (0.5625 + 0.0625 + 0.5625 + 1.5625) / 3 = 0.91667
    expect(pairedSe(a, b)).toBeCloseTo(Math.sqrt(0.9166666667 / 4), 9);
    expect(pairedSe(Float64Array.of(1), Float64Array.of(0))).toBe(Infinity);
  });
});

describe('selectCandidate (the overfitting guard)', () => {
  const pop = popularityOnly();

  it('keeps popularity only when the best model gains less than 2 paired standard errors', () => {
    const p = scoreOf(pop, scores(300, 0, 0.2, 1));
    const m = scoreOf(model(3), scores(300, 0.004, 0.2, 2));
    expect(m.mean).toBeGreaterThan(p.mean);
    const out = selectCandidate([p, m]);
    expect(out.best).toBe(m);
    expect(out.chosen).toBe(p);
    expect(out.rule).toMatch(/2 paired standard errors/);
  });

  it('takes the model when its gain is beyond noise, the simplest one within noise of the best', () => {
    const p = scoreOf(pop, scores(2000, 0, 0.02, 1));
    const simple = scoreOf(model(1), scores(2000, 0.03, 0.02, 3));
    const complex = scoreOf(model(4), scores(2000, 0.0302, 0.02, 4));
    const out = selectCandidate([complex, p, simple]);
    expect(out.best.mean - simple.mean).toBeLessThan(2 * pairedSe(out.best.perUser, simple.perUser));
    expect(out.chosen).toBe(simple);
    // A complex candidate clearly better than the simple one wins.
    const clearly = scoreOf(model(4, 'clearly'), scores(2000, 0.05, 0.02, 5));
    expect(selectCandidate([p, simple, clearly]).chosen).toBe(clearly);
  });

  it('never chooses a candidate whose holdout NDCG is below popularity only', () => {
    const p = scoreOf(pop, scores(50, 0.01, 0.4, 1));
    // Simpler than nothing but popularity, within noise of the best, yet below popularity: not admissible.
    const below = scoreOf(model(1, 'below'), scores(50, 0.005, 0.4, 2));
    const best = scoreOf(model(5, 'best'), scores(50, 0.02, 0.4, 3));
    const out = selectCandidate([p, below, best]);
    expect(out.chosen.mean).toBeGreaterThanOrEqual(p.mean);
    expect(out.chosen).not.toBe(below);
  });

  it('needs the popularity-only candidate and the same viewers for all', () => {
    expect(() => selectCandidate([scoreOf(model(1), scores(10, 0, 0, 1))])).toThrow(/popularity-only/);
    expect(() => selectCandidate([scoreOf(pop, scores(10, 0, 0, 1)), scoreOf(model(1), scores(9, 0, 0, 1))])).toThrow(/9 viewers/);
  });
});

describe('searchSpace', () => {
  it('always holds popularity only, the production defaults, and ranks candidates by distance from the defaults', () => {
    const space = searchSpace();
    expect(space[0]).toEqual(popularityOnly());
    const d = defaultsCandidate();
    expect(space.find((c) => c.name === d.name)?.complexity).toBe(1);
    expect(Math.max(...space.map((c) => c.complexity))).toBeLessThanOrEqual(6);
    expect(new Set(space.map((c) => c.name)).size).toBe(space.length);
    // Curta's own history never counts being shown as interest (see PRODUCTION_AXES).
    expect(space.every((c) => !c.foldIn || c.foldIn.negativeExposure === 0)).toBe(true);
  });
});
