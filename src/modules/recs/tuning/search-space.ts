import { DEFAULT_MODEL_PARAMS, type EaseSetting, type ModelParams } from '../model/index.js';
import { DEFAULT_BLEND, type TunedBlend } from '../served-ranking.js';

/** The model settings the search varies: how a history folds in, and how the engagement rate weighs items. */
export interface FoldInSetting {
  /** Being shown (a negative) counts as evidence of the viewer's interest space (0: only engagement counts). */
  negativeExposure: number;
  /** Positives through the preference graph (co-liked), relative to the exposure graph (co-shown). */
  preferenceWeight: number;
  /** How hard a negative pushes down what was co-liked with it. */
  negativePreference: number;
  /** Engagement-rate reweighting of the exposure graph (0: off). */
  rateExponent: number;
}

/** One served ranking the trainer may choose. */
export interface Candidate {
  name: string;
  /** "popularity": the model off (personal weight 0), the popularity prior alone. */
  kind: 'popularity' | 'model';
  foldIn: FoldInSetting | null;
  blend: TunedBlend;
  /** Settings that differ from the production defaults (popularity only: 0): the guard prefers fewer. */
  complexity: number;
  /** The EASE-graph model instead of the RP3β graphs (model/ease-graph.ts); absent or null: the RP3β model. */
  ease?: EaseSetting | null;
}

export const DEFAULT_FOLD_IN: Readonly<FoldInSetting> = Object.freeze({
  negativeExposure: DEFAULT_MODEL_PARAMS.negativeExposure,
  preferenceWeight: DEFAULT_MODEL_PARAMS.preferenceWeight,
  negativePreference: DEFAULT_MODEL_PARAMS.negativePreference,
  rateExponent: DEFAULT_MODEL_PARAMS.rateExponent,
});

export interface SearchAxes {
  negativeExposure: readonly number[];
  preferenceWeight: readonly number[];
  negativePreference: readonly number[];
  rateExponent: readonly number[];
  trending: readonly number[];
}

/**
 * The search space, the same for every deployment (nothing per dataset): one
 * question per axis, each with its production value and one or two clearly
 * different alternatives, so the holdout can answer it:
 *
 * - which graph carries positives: co-liked and co-shown equally, or mostly co-shown;
 * - how negatives count: a firm push down of what was co-liked, or a light one;
 * - engagement-rate reweighting: off, production, strong;
 * - the popularity prior's weight in the blend: off, production, equal to the model's;
 * - and always "popularity only" (the model off).
 *
 * Whether being shown (a negative) counts as interest stays off on Curta's
 * own history: the feed itself decides what is shown, so a holdout of its
 * own logs rewards predicting its own choices (a feedback loop; the online
 * simulation fails with exposure-heavy settings). Logs recorded by another
 * service's recommender (`curta recs eval --dataset`) do not have that loop:
 * LOGGED_AXES adds that question.
 */
export const PRODUCTION_AXES: Readonly<SearchAxes> = Object.freeze({
  negativeExposure: [0],
  preferenceWeight: [1, 0.1],
  negativePreference: [1, 0.1],
  rateExponent: [0, 0.25, 0.5],
  trending: [0, DEFAULT_BLEND.trending, 1],
});

/** For logs of another service's feed: also whether being shown counts as interest. */
export const LOGGED_AXES: Readonly<SearchAxes> = Object.freeze({ ...PRODUCTION_AXES, negativeExposure: [0, 1] });

export function searchSpace(axes: Readonly<SearchAxes> = PRODUCTION_AXES): Candidate[] {
  const out: Candidate[] = [popularityOnly()];
  for (const negativeExposure of axes.negativeExposure)
    for (const preferenceWeight of axes.preferenceWeight)
      for (const negativePreference of axes.negativePreference)
        for (const rateExponent of axes.rateExponent)
          for (const trending of axes.trending) {
            const foldIn = { negativeExposure, preferenceWeight, negativePreference, rateExponent };
            const blend = { personal: DEFAULT_BLEND.personal, trending };
            out.push({ name: candidateName(foldIn, blend), kind: 'model', foldIn, blend, complexity: 1 + distance(foldIn, blend) });
          }
  return out;
}

/**
 * EASE's λ values the search tries: the value tuned on KuaiRand valid for the
 * offline baseline (1000, DEFAULT_EASE_LAMBDA) and ten times less (100) for
 * histories with fewer positives per item (λ is a penalty added to the
 * co-occurrence counts XᵀX, so the useful λ grows with the counts); Steck
 * (2019) reports optima between a few hundred and a few thousand.
 */
export const EASE_LAMBDAS: readonly number[] = Object.freeze([100, 1000]);

/**
 * The EASE-graph candidates (model/ease-graph.ts): EASE fitted on the
 * positives, B pruned to the same neighbour count per item as the RP3β
 * graphs, positives binary, negatives not counted; each λ with the trending
 * blends of the space. Only for catalogs of at most RECS_TUNE_EASE_MAX_ITEMS
 * items (the fit is cubic in the items). Complexity: another model family is
 * one setting away from the production defaults, not simpler than them
 * (2, plus 1 for a blend other than production's), so the guard prefers the
 * defaults, and single changes to them, unless EASE is better beyond noise.
 */
export function easeCandidates(
  neighbours: number = DEFAULT_MODEL_PARAMS.neighbours,
  axes: Readonly<Pick<SearchAxes, 'trending'>> = PRODUCTION_AXES,
  lambdas: readonly number[] = EASE_LAMBDAS,
): Candidate[] {
  const out: Candidate[] = [];
  for (const lambda of lambdas)
    for (const trending of axes.trending) {
      const blend = { personal: DEFAULT_BLEND.personal, trending };
      const ease = { lambda, neighbours };
      out.push({
        name: `${easeName(ease)} + trending ${trending}`,
        kind: 'model',
        foldIn: { ...EASE_FOLD_IN },
        blend,
        complexity: 2 + (trending !== DEFAULT_BLEND.trending ? 1 : 0),
        ease,
      });
    }
  return out;
}

/** The fold-in setting an EASE-graph candidate records (positives through its single graph; negatives unused). */
export const EASE_FOLD_IN: Readonly<FoldInSetting> = Object.freeze({
  negativeExposure: 0,
  preferenceWeight: 1,
  negativePreference: 0,
  rateExponent: 0,
});

export function easeName(e: EaseSetting): string {
  return `ease(λ=${e.lambda}, top ${e.neighbours})`;
}

export function popularityOnly(): Candidate {
  return { name: 'popularity only', kind: 'popularity', foldIn: null, blend: { personal: 0, trending: 1 }, complexity: 0 };
}

/** The production defaults as a candidate. */
export function defaultsCandidate(): Candidate {
  const blend = { personal: DEFAULT_BLEND.personal, trending: DEFAULT_BLEND.trending };
  return { name: candidateName(DEFAULT_FOLD_IN, blend), kind: 'model', foldIn: { ...DEFAULT_FOLD_IN }, blend, complexity: 1 };
}

function distance(f: FoldInSetting, b: TunedBlend): number {
  let d = 0;
  for (const k of Object.keys(DEFAULT_FOLD_IN) as Array<keyof FoldInSetting>) if (f[k] !== DEFAULT_FOLD_IN[k]) d++;
  if (b.trending !== DEFAULT_BLEND.trending) d++;
  return d;
}

export function candidateName(f: FoldInSetting, b: TunedBlend): string {
  return `model(exposure ${f.negativeExposure}, co-liked ${f.preferenceWeight}, neg push ${f.negativePreference}, rate^${f.rateExponent}) + trending ${b.trending}`;
}

/** The model parameters a candidate trains and folds in with (graph parameters from `base`). */
export function candidateParams(c: Candidate, base: Partial<ModelParams> = {}): Partial<ModelParams> {
  return c.foldIn ? { ...base, ...c.foldIn } : { ...base };
}
