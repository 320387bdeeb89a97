import type { HistoryAction, HistoryEvent, PairSignals, VideoFacts } from './history.types.js';

/**
 * What a viewer's behaviour around one video says about their taste: the
 * single mapping from raw playback events and social actions to a signed
 * weight, shared by training (every viewer, from the database) and by
 * request-time fold-in (one viewer, just now) so both read the same signal.
 *
 * Strengths, strongest first: a share, a follow of the author after watching,
 * a like, a comment, rewatches (each extra complete), a completion, watching
 * most of it. Watching is graded, not binary: how much of the video the
 * viewer watched in one go moves the weight continuously (`watchCredit`), so
 * 90 % watched says more than 55 %, and a skip at 45 % less than one at 20 %.
 * A quick skip is negative; skipping after a real look is mildly negative; a
 * bare impression (the player has not reported more yet) is neutral — it
 * only marks the video as seen. "Not interested" is the strongest signal of
 * all and outranks whatever else the viewer did.
 *
 * Both training paths (the lake's DuckDB aggregation and the reference SQL)
 * and request-time fold-in produce the same `PairSignals` and weigh them
 * here, so the definitions live in this file only.
 */
export const SIGNAL_WEIGHTS = Object.freeze({
  complete: 1,
  /** Per extra complete (loop / replay), up to `maxRewatches`. */
  rewatch: 0.5,
  maxRewatches: 3,
  /** Watched at least half without completing: from `mostlyWatched` at half, rising linearly to `nearlyComplete` at the end. */
  mostlyWatched: 0.25,
  nearlyComplete: 0.8,
  like: 2,
  share: 2.5,
  comment: 1.5,
  followAuthor: 2,
  /** Left within `quickSkipMs` or before `quickSkipRatio` of the video. */
  quickSkip: -1,
  /** Left after a real look but before half: `partialSkip` just past a quick skip, rising linearly to 0 at half. */
  partialSkip: -0.5,
  /** The viewer said "Not interested": the whole weight, whatever else they did. */
  notInterested: -4,
});

export const QUICK_SKIP_MS = 2_000;
export const QUICK_SKIP_RATIO = 0.2;

export function watchRatio(s: Pick<PairSignals, 'watchedMs' | 'durationMs'>): number {
  if (!s.durationMs || s.durationMs <= 0) return 0;
  return Math.min(1, s.watchedMs / s.durationMs);
}

/** A skip that came so early it says "not for me": within QUICK_SKIP_MS or before QUICK_SKIP_RATIO of the video. */
export function isQuickSkip(s: PairSignals): boolean {
  return s.completes === 0 && s.skips > 0 && (s.watchedMs < QUICK_SKIP_MS || watchRatio(s) < QUICK_SKIP_RATIO);
}

/**
 * What watching says, graded by how much of the video was watched in one go:
 * completes (and rewatches) count most; past half, linearly from
 * `mostlyWatched` to `nearlyComplete`; a skip before half, linearly from
 * `partialSkip` (just past a quick skip) to 0 (at half); a quick skip is
 * `quickSkip`. Without a skip or a complete, less than half watched is no
 * evidence yet (the player may still be playing).
 */
export function watchCredit(s: PairSignals): number {
  const w = SIGNAL_WEIGHTS;
  if (s.completes > 0) return w.complete + w.rewatch * Math.min(s.completes - 1, w.maxRewatches);
  const ratio = watchRatio(s);
  if (ratio >= 0.5) return w.mostlyWatched + (w.nearlyComplete - w.mostlyWatched) * ((ratio - 0.5) / 0.5);
  if (s.skips === 0) return 0;
  if (isQuickSkip(s)) return w.quickSkip;
  const from = Math.max(QUICK_SKIP_RATIO, s.durationMs ? QUICK_SKIP_MS / s.durationMs : 0);
  return from >= 0.5 ? w.partialSkip : w.partialSkip * (1 - (ratio - from) / (0.5 - from));
}

/** The signed weight of one (viewer, video) pair; 0 = no evidence either way. */
export function signalWeight(s: PairSignals): number {
  const w = SIGNAL_WEIGHTS;
  if (s.notInterested) return w.notInterested;
  const ratio = watchRatio(s);
  let weight = watchCredit(s);
  if (s.liked) weight += w.like;
  if (s.shared) weight += w.share;
  if (s.commented) weight += w.comment;
  // Following counts only with evidence of watching: not every video of someone followed is liked.
  if (s.followsAuthor && (s.completes > 0 || ratio >= 0.5 || s.liked)) weight += w.followAuthor;
  return weight;
}

/** One video's signals from one viewer's raw history, as the request-time twin of the training query. */
export interface HistoryPair extends PairSignals {
  videoId: string;
  ownerId: string;
  /** When the viewer last did anything with this video (ms since the epoch). */
  lastAt: number;
}

/**
 * Aggregates one viewer's raw history (events and actions, any order) per
 * video, newest first — the same counts and maxima the training query takes
 * per (viewer, video). Videos `facts` does not know (deleted since) drop out.
 */
export function aggregateHistory(
  events: readonly HistoryEvent[],
  actions: readonly HistoryAction[],
  facts: (videoId: string) => VideoFacts | undefined,
  followed: ReadonlySet<string>,
): HistoryPair[] {
  const pairs = new Map<string, HistoryPair>();
  const pairOf = (videoId: string, at: Date): HistoryPair | undefined => {
    let p = pairs.get(videoId);
    if (!p) {
      const f = facts(videoId);
      if (!f) return undefined;
      p = {
        videoId,
        ownerId: f.ownerId,
        durationMs: f.durationMs,
        impressions: 0,
        completes: 0,
        skips: 0,
        watchedMs: 0,
        liked: false,
        shared: false,
        commented: false,
        followsAuthor: followed.has(f.ownerId),
        lastAt: 0,
      };
      pairs.set(videoId, p);
    }
    p.lastAt = Math.max(p.lastAt, at.getTime());
    return p;
  };
  for (const e of events) {
    const p = pairOf(e.videoId, e.at);
    if (!p) continue;
    if (e.type === 'impression') p.impressions++;
    else if (e.type === 'complete') p.completes++;
    else if (e.type === 'skip') p.skips++;
    if (e.watchedMs !== null) p.watchedMs = Math.max(p.watchedMs, e.watchedMs);
  }
  for (const a of actions) {
    const p = pairOf(a.videoId, a.at);
    if (!p) continue;
    if (a.kind === 'like') p.liked = true;
    else if (a.kind === 'share') p.shared = true;
    else if (a.kind === 'not_interested') p.notInterested = true;
    else p.commented = true;
  }
  return [...pairs.values()].sort((x, y) => y.lastAt - x.lastAt);
}
