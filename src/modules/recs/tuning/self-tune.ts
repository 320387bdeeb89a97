import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  engagementScale,
  itemCounts,
  resolveParams,
  trainEaseModel,
  trainModel,
  type EaseSetting,
  type ModelParams,
  type RecModel,
  type TrainingData,
  type TrainProgress,
} from '../model/index.js';
import { ndcgAtK } from '../offline/metrics.js';
import type { TunedBlend } from '../served-ranking.js';
import type { Holdout } from './holdout.js';
import {
  candidateParams,
  defaultsCandidate,
  easeCandidates,
  popularityOnly,
  searchSpace,
  type Candidate,
  type FoldInSetting,
} from './search-space.js';
import { GUARD_Z, scoreOf, selectCandidate, type CandidateScore, type SelectionOutcome } from './select.js';
import { ServedEvaluator } from './served-evaluator.js';

/** What a training run chose and why, recorded with the model version (recs_models.selection, migration 0025). */
export interface ModelSelection {
  /** "tuned": chosen on the holdout; "untuned": too little holdout to choose, production defaults. */
  status: 'tuned' | 'untuned';
  /** Why untuned, or a one-line summary of the choice. */
  reason: string;
  chosen: string;
  kind: 'popularity' | 'model';
  foldIn: FoldInSetting | null;
  /** The EASE-graph model's fit (λ, neighbours kept) when that family was chosen; absent or null: the RP3β model. */
  ease?: EaseSetting | null;
  blend: TunedBlend;
  rule: string;
  holdout: {
    /** Viewers scored (with a held-out positive). */
    viewers: number;
    k: number;
    /** NDCG@k on the holdout of the chosen candidate, popularity only, the production defaults and the best candidate. */
    chosenNdcg: number;
    popularityNdcg: number;
    defaultsNdcg: number;
    bestNdcg: number;
    best: string;
    /** Standard error of the paired difference best − chosen. */
    se: number;
  } | null;
  candidates: number;
  searchMs: number;
}

export interface SelfTuneOptions {
  k: number;
  /** At most this many holdout viewers are scored (evenly spaced): bounds the search's cost on large histories. */
  maxViewers: number;
  /** Fewer scored viewers than this: no choice is made (production defaults), the holdout being too noisy. */
  minViewers: number;
  z: number;
  /** Graph parameters (neighbours, alpha, beta, …) every candidate shares. */
  base: Partial<ModelParams>;
  candidates: Candidate[];
  /**
   * The EASE-graph candidates (search-space.ts) join the search when the fit
   * history has at most this many items (0: never); the fit is cubic in the
   * items (RECS_TUNE_EASE_MAX_ITEMS).
   */
  easeMaxItems: number;
}

/**
 * RECS_TUNE_EASE_MAX_ITEMS' default. An EASE fit's CPU time on the development
 * machine (load average 8): 7.7 s at 3,300 items, 17 s at 4,373, 24 s at
 * 5,000 (n³); a search fits two λ and a refit one more, so at 4,000 items
 * (about 13 s a fit) EASE adds at most about 40 s to a training run.
 * KuaiRec-sized catalogs (3,327 items) are in, KuaiRand's 4,373 and
 * bench:recs' 10,000 are not (their training time is unchanged).
 */
export const DEFAULT_EASE_MAX_ITEMS = 4000;

export const DEFAULT_SELF_TUNE: Readonly<Omit<SelfTuneOptions, 'candidates'>> = Object.freeze({
  k: 20,
  maxViewers: 3000,
  minViewers: 200,
  z: GUARD_Z,
  base: {},
  easeMaxItems: DEFAULT_EASE_MAX_ITEMS,
});

export interface SelfTuneResult {
  selection: ModelSelection;
  /** The parameters to refit with (graph params from `base`, the chosen fold-in). */
  params: Partial<ModelParams>;
  chosen: Candidate;
  scores: CandidateScore[];
  outcome: SelectionOutcome | null;
  /** The chosen candidate's model fitted on the holdout's fit history (what `curta recs eval` reports on test); null when untuned. */
  fitModel: RecModel | null;
  /** The production defaults' model fitted on the holdout's fit history (RP3β graphs); null when untuned. */
  defaultsModel: RecModel | null;
}

/** The refit on the whole history with the chosen settings: the model a training run publishes. */
export function refitChosen(data: TrainingData, tuned: SelfTuneResult, onProgress?: (p: TrainProgress) => void): Promise<RecModel> {
  const ease = tuned.chosen.kind === 'model' ? tuned.chosen.ease : null;
  return ease ? trainEaseModel(data, ease, onProgress) : trainModel(data, tuned.params, onProgress);
}

/** Fold-in variants of one fitted model: same graphs, other fold-in numbers and engagement-rate exponent (no refit). */
export function variantOf(
  model: RecModel,
  counts: { posCount: Float64Array; expCount: Float64Array },
  p: ModelParams,
  f: FoldInSetting,
): RecModel {
  return model.withFoldIn(
    {
      ...model.foldIn,
      negativeExposure: f.negativeExposure,
      preferenceWeight: f.preferenceWeight,
      negativePreference: f.negativePreference,
    },
    engagementScale(counts.posCount, counts.expCount, p.rateShrinkage, f.rateExponent),
  );
}

interface Group {
  model: RecModel;
  /** Indices (into the scored list) of the candidates ranking with this model. */
  candidates: number[];
}

const foldInKey = (f: FoldInSetting): string => `${f.negativeExposure}/${f.preferenceWeight}/${f.negativePreference}/${f.rateExponent}`;

/**
 * The self-tuning search: fits the graphs once on the holdout's fit history
 * (and, on a catalog of at most `easeMaxItems` items, one EASE graph per λ),
 * scores every candidate's served ranking (model variant + popularity prior
 * + blend) on the held-out positives (NDCG@k, train items masked), and picks
 * one with the overfitting guard (select.ts). The caller refits on the whole
 * history (refitChosen) and serves with `selection.blend`.
 */
export async function selfTune(
  h: Holdout,
  o: Partial<SelfTuneOptions> = {},
  onProgress?: (p: TrainProgress) => void,
): Promise<SelfTuneResult> {
  const started = performance.now();
  const opts: SelfTuneOptions = { ...DEFAULT_SELF_TUNE, candidates: searchSpace(), ...o };
  const base = resolveParams(opts.base);
  let candidates = opts.candidates.some((c) => c.kind === 'popularity') ? opts.candidates : [popularityOnly(), ...opts.candidates];
  // EASE on a catalog small enough for its cubic fit (unless the caller's space already holds EASE candidates).
  if (h.fit.nItems <= opts.easeMaxItems && !candidates.some((c) => c.ease))
    candidates = [...candidates, ...easeCandidates(base.neighbours)];
  const defaults = defaultsCandidate();

  const scored: number[] = [];
  for (let u = 0; u < h.relevant.indptr.length - 1; u++) if (h.relevant.indptr[u + 1]! > h.relevant.indptr[u]!) scored.push(u);
  const untuned = (reason: string): SelfTuneResult => ({
    selection: {
      status: 'untuned',
      reason,
      chosen: defaults.name,
      kind: 'model',
      foldIn: defaults.foldIn,
      blend: defaults.blend,
      rule: 'production defaults (no choice made)',
      holdout: null,
      candidates: 0,
      searchMs: performance.now() - started,
    },
    params: candidateParams(defaults, opts.base),
    chosen: defaults,
    scores: [],
    outcome: null,
    fitModel: null,
    defaultsModel: null,
  });
  if (opts.maxViewers <= 0) return untuned('search off (RECS_TUNE_MAX_VIEWERS=0): production defaults');
  if (scored.length < opts.minViewers) {
    return untuned(
      `holdout too small to choose: ${scored.length} viewers with a held-out positive (< ${opts.minViewers}): production defaults`,
    );
  }
  const fitModel = await trainModel(h.fit, base, (p) => onProgress?.({ ...p, phase: `search: ${p.phase}` }));
  // Evenly spaced viewers when there are more than the search may score.
  const users =
    scored.length <= opts.maxViewers
      ? scored
      : Array.from({ length: opts.maxViewers }, (_, t) => scored[Math.floor((t * scored.length) / opts.maxViewers)]!);

  const counts = itemCounts(h.fit);
  // Candidates grouped by the model they rank with; groups of one family share one fit (scored together).
  const variants = new Map<string, Group>();
  const all = candidates.some((c) => c.name === defaults.name) ? candidates : [...candidates, defaults];
  for (const [idx, c] of all.entries()) {
    if (!c.foldIn) continue;
    const key = c.ease ? `ease/${c.ease.lambda}/${c.ease.neighbours}` : foldInKey(c.foldIn);
    let v = variants.get(key);
    if (!v) {
      let model: RecModel;
      if (c.ease) {
        model = await trainEaseModel(h.fit, c.ease, (p) => onProgress?.({ ...p, phase: `search: ${p.phase}` }));
      } else {
        model = variantOf(fitModel, counts, base, c.foldIn);
      }
      variants.set(key, (v = { model, candidates: [] }));
    }
    v.candidates.push(idx);
  }
  const perUser = all.map(() => new Float64Array(users.length));
  const ev = new ServedEvaluator(h.fit);
  // One family per fitted graph set: the RP3β variants together, each EASE fit alone.
  const families: Group[][] = [];
  const rp3 = [...variants.entries()].filter(([key]) => !key.startsWith('ease/')).map(([, g]) => g);
  if (rp3.length) families.push(rp3);
  for (const [key, g] of variants) if (key.startsWith('ease/')) families.push([g]);
  let last = performance.now();
  for (let t = 0; t < users.length; t++) {
    const u = users[t]!;
    const view = ev.viewer(u);
    const rel = new Set<number>(h.relevant.items.subarray(h.relevant.indptr[u], h.relevant.indptr[u + 1]));
    all.forEach((c, idx) => {
      if (c.kind === 'popularity') perUser[idx]![t] = ndcgAtK(ev.served([], view, c.blend, opts.k), rel, opts.k);
    });
    for (const groups of families) {
      const lists = ev.personalVariants(
        groups.map((g) => g.model),
        view,
      );
      groups.forEach((g, gi) => {
        for (const idx of g.candidates) perUser[idx]![t] = ndcgAtK(ev.served(lists[gi]!, view, all[idx]!.blend, opts.k), rel, opts.k);
      });
    }
    if (performance.now() - last > 20) {
      onProgress?.({ phase: 'search: holdout', iteration: t + 1, of: users.length });
      await yieldToEventLoop();
      last = performance.now();
    }
  }
  onProgress?.({ phase: 'search: holdout', iteration: users.length, of: users.length });
  const scores = all.map((c, idx) => scoreOf(c, perUser[idx]!));
  const outcome = selectCandidate(
    scores.filter((s) => candidates.includes(s.candidate)),
    opts.z,
  );
  const defaultsScore = scores.find((s) => s.candidate.name === defaults.name)!;
  const chosen = outcome.chosen.candidate;
  const groupOf = (idx: number): RecModel => [...variants.values()].find((g) => g.candidates.includes(idx))!.model;
  const fitChosen = chosen.foldIn ? groupOf(all.indexOf(chosen)) : fitModel;
  return {
    selection: {
      status: 'tuned',
      reason:
        chosen.kind === 'popularity'
          ? 'popularity only: no model setting beat it beyond noise on the holdout'
          : `chosen on the holdout of ${users.length} viewers`,
      chosen: chosen.name,
      kind: chosen.kind,
      foldIn: chosen.foldIn,
      ease: chosen.ease ?? null,
      blend: chosen.blend,
      rule: outcome.rule,
      holdout: {
        viewers: users.length,
        k: opts.k,
        chosenNdcg: outcome.chosen.mean,
        popularityNdcg: outcome.popularity.mean,
        defaultsNdcg: defaultsScore.mean,
        bestNdcg: outcome.best.mean,
        best: outcome.best.candidate.name,
        se: outcome.se,
      },
      candidates: candidates.length,
      searchMs: performance.now() - started,
    },
    params: candidateParams(chosen, opts.base),
    chosen,
    scores,
    outcome,
    fitModel: fitChosen,
    defaultsModel: groupOf(all.indexOf(all.find((c) => c.name === defaults.name)!)),
  };
}
