import type { Candidate } from './search-space.js';

/** A candidate's NDCG@k on the holdout, one value per scored viewer (the same viewers, in the same order, for every candidate). */
export interface CandidateScore {
  candidate: Candidate;
  perUser: Float64Array;
  mean: number;
}

export interface SelectionOutcome {
  chosen: CandidateScore;
  /** The best mean on the holdout (may be the chosen one). */
  best: CandidateScore;
  popularity: CandidateScore;
  /** Standard error of the paired per-viewer difference best − chosen (0 when the best was chosen). */
  se: number;
  rule: string;
}

/** Standard errors a simpler candidate may trail the best by and still be preferred. */
export const GUARD_Z = 2;

export function scoreOf(candidate: Candidate, perUser: Float64Array): CandidateScore {
  let s = 0;
  for (const v of perUser) s += v;
  return { candidate, perUser, mean: perUser.length ? s / perUser.length : 0 };
}

/** Standard error of the mean of the paired differences a[u] − b[u]. */
export function pairedSe(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (n !== b.length) throw new Error(`pairedSe: ${n} vs ${b.length} viewers`);
  if (n < 2) return Infinity;
  let mean = 0;
  for (let u = 0; u < n; u++) mean += a[u]! - b[u]!;
  mean /= n;
  let ss = 0;
  for (let u = 0; u < n; u++) {
    const d = a[u]! - b[u]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - 1) / n);
}

/**
 * The overfitting guard, a paired standard-error rule over viewers:
 *
 * 1. a candidate whose holdout NDCG is below popularity-only's is never
 *    chosen (so the choice is never worse than the trending list on its own
 *    holdout);
 * 2. of the rest, the simplest (fewest settings away from the production
 *    defaults; popularity only is simplest of all) whose mean trails the best
 *    candidate's by at most `z` standard errors of the per-viewer paired
 *    difference is chosen — a more complex setting wins only by a gain beyond
 *    the holdout's noise; at equal simplicity the higher mean wins.
 */
export function selectCandidate(scores: readonly CandidateScore[], z = GUARD_Z): SelectionOutcome {
  const popularity = scores.find((s) => s.candidate.kind === 'popularity');
  if (!popularity) throw new Error('selectCandidate: the popularity-only candidate is missing');
  const n = popularity.perUser.length;
  for (const s of scores)
    if (s.perUser.length !== n) throw new Error(`selectCandidate: ${s.candidate.name} scored ${s.perUser.length} viewers, not ${n}`);
  const best = scores.reduce((a, b) => (b.mean > a.mean ? b : a));
  const admissible = scores
    .filter((s) => s === popularity || s.mean >= popularity.mean)
    .sort((a, b) => a.candidate.complexity - b.candidate.complexity || b.mean - a.mean);
  for (const s of admissible) {
    const se = s === best ? 0 : pairedSe(best.perUser, s.perUser);
    if (best.mean - s.mean <= z * se) {
      return { chosen: s, best, popularity, se, rule: ruleText(z) };
    }
  }
  // Unreachable: the best is admissible (its mean ≥ popularity's) and within 0 of itself.
  return { chosen: best, best, popularity, se: 0, rule: ruleText(z) };
}

function ruleText(z: number): string {
  return `simplest candidate within ${z} paired standard errors (over viewers) of the best holdout NDCG, never below popularity only`;
}
