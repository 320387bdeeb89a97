import { DEFAULT_MODEL_PARAMS, type ModelParams } from '../model/index.js';

/**
 * No longer used by `curta recs eval` (it self-tunes: tuning/); kept as the
 * starting point of bench/recs-offline/tune.ts. The setting tuned on KuaiRand *valid* for its full-ranking protocol
 * (bench/recs-offline/tune.ts, coordinate descent, two passes): a negative impression
 * counts fully as exposure, positives go mostly through the exposure graph.
 * With label 0 → −0.05 and negativePreference 2 (the same push as label 0 → NEGATIVE_LABEL_WEIGHT,
 * now −1, with negativePreference 0.1): valid NDCG@20 0.0656, test
 * 0.0754 (+34% over EASE's 0.0562).
 *
 * negativePreference = 2 is not tuned for accuracy (a non-engaged impression
 * there carries almost no negative signal: valid 0.0658 with no push, 0.0650
 * with a push of 0.3, 0.0623 with 1) but so that even here a quick skip
 * (weight −1) lowers the items co-liked with the skipped one: 99.9% of each
 * item's top-10 co-liked neighbours on the KuaiRand model (skip-effect.ts).
 *
 * Why it differs from the production defaults: see DEFAULT_MODEL_PARAMS.
 */
export const KUAIRAND_PARAMS: Readonly<ModelParams> = Object.freeze({
  ...DEFAULT_MODEL_PARAMS,
  // Spelled out so that a change of the production defaults does not move these.
  neighbours: 400,
  alpha: 0.5,
  beta: 0.35,
  negativeExposure: 1,
  preferenceWeight: 0.1,
  negativePreference: 0.1,
  rateShrinkage: 1,
  rateExponent: 0.25,
  priorWeight: 1e-5,
});
