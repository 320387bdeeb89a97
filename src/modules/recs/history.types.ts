/**
 * A viewer's history as recommendations read it: raw events and actions,
 * the facts of a video they need, and the per-(viewer, video) signals both
 * training and request-time fold-in aggregate them into. Shared by the
 * repository that reads them and signals.ts that weighs them.
 */

export interface VideoFacts {
  ownerId: string;
  durationMs: number | null;
}

export interface HistoryEvent {
  videoId: string;
  type: string;
  watchedMs: number | null;
  at: Date;
}

export interface HistoryAction {
  videoId: string;
  kind: 'like' | 'share' | 'comment' | 'not_interested';
  at: Date;
}

export interface ViewerHistory {
  /** Newest first. */
  events: HistoryEvent[];
  actions: HistoryAction[];
}

/** What one viewer did around one video, counted (see signalWeight for what it is worth). */
export interface PairSignals {
  impressions: number;
  completes: number;
  skips: number;
  /** The most the viewer watched in one go (ms), from progress/skip/complete events. */
  watchedMs: number;
  /** The video's duration, when known. */
  durationMs: number | null;
  liked: boolean;
  shared: boolean;
  commented: boolean;
  /** The viewer follows the video's author. */
  followsAuthor: boolean;
  /** The viewer said "Not interested" in this video (overrides everything else). */
  notInterested?: boolean;
}
