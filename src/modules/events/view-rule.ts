/**
 * When a playback event makes a view. A view counts once per viewer, per
 * video, per UTC day (the period), and only after a minimum watch: 2 s, or
 * half the video when it is shorter than 4 s; a `complete` always qualifies.
 * Impressions and bare `play` events never do.
 */

export const MIN_VIEW_MS = 2000;
export const VIEW_PERIOD_MS = 86_400_000;

export type PlaybackEventType = 'impression' | 'play' | 'progress' | 'complete' | 'skip';

export function viewThresholdMs(durationMs: number | null): number {
  if (durationMs === null || durationMs <= 0) return MIN_VIEW_MS;
  return Math.min(MIN_VIEW_MS, Math.ceil(durationMs / 2));
}

export function qualifiesAsView(event: { type: PlaybackEventType; watchedMs?: number | undefined }, durationMs: number | null): boolean {
  if (event.type === 'complete') return true;
  if (event.type !== 'progress' && event.type !== 'skip') return false;
  return (event.watchedMs ?? 0) >= viewThresholdMs(durationMs);
}

/** The view period a server receive time falls in (days since the epoch, UTC). */
export function viewPeriod(receivedAt: Date): number {
  return Math.floor(receivedAt.getTime() / VIEW_PERIOD_MS);
}

/** Client clocks are not trusted: their timestamp is kept only within the last 24 h before receipt. */
export function clampClientTime(at: Date | undefined, receivedAt: Date): Date {
  if (!at || Number.isNaN(at.getTime())) return receivedAt;
  const min = receivedAt.getTime() - VIEW_PERIOD_MS;
  return new Date(Math.min(receivedAt.getTime(), Math.max(min, at.getTime())));
}
