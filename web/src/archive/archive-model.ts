/**
 * The archive as the web app sees a video (pure: unit-tested without a
 * page): whether it is archived or restoring, and the words for its wait.
 */
import type { VideoView } from '../types.js';

export type ArchiveInfo = NonNullable<VideoView['archive']>;
export type RestorePhase = NonNullable<ArchiveInfo['restore']>['phase'];

/** The video's archive state; null for a video that plays. */
export function archiveOf(view: Pick<VideoView, 'status' | 'archive'>): ArchiveInfo | null {
  if (view.status !== 'archived' && view.status !== 'restoring') return null;
  return view.archive ?? { archivedAt: '', restore: null };
}

/** "about 3 min", "about 4 h", "under a minute", "any moment now" — or null with no estimate. */
export function etaWords(etaAt: string | null | undefined, now: number): string | null {
  if (!etaAt) return null;
  const at = Date.parse(etaAt);
  if (!Number.isFinite(at)) return null;
  const sec = (at - now) / 1000;
  if (sec <= 5) return 'any moment now';
  if (sec < 60) return 'under a minute';
  const min = Math.round(sec / 60);
  if (min < 60) return `about ${min} min`;
  const hours = sec / 3600;
  if (hours < 48) return `about ${hours < 10 ? Math.round(hours * 2) / 2 : Math.round(hours)} h`;
  return `about ${Math.round(hours / 24)} days`;
}

/** The line a viewer reads on an archived video. */
export function archiveHeadline(view: Pick<VideoView, 'status' | 'archive'>, now: number): string {
  const a = archiveOf(view);
  if (!a) return '';
  if (view.status === 'archived' || !a.restore) return 'Archived — opening it brings it back';
  const eta = etaWords(a.restore.etaAt, now);
  if (!eta) return 'Archived — restoring, ready soon';
  return eta === 'any moment now' ? 'Archived — restoring, ready any moment now' : `Archived — restoring, ready in ${eta}`;
}

/** What the restore is doing now, in words. */
export function phaseWords(phase: RestorePhase | undefined): string {
  if (phase === 'retrieving') return 'Fetching it from the archive…';
  if (phase === 'processing') return 'Preparing playback…';
  return 'Starting the restore…';
}

/** Seconds a 429 asks to wait (Retry-After as seconds or an HTTP date), at least 1, else `fallback`. */
export function retryAfterSec(header: string | null, now: number, fallback = 60): number {
  if (!header) return fallback;
  if (/^\d+$/.test(header.trim())) return Math.max(1, Number(header.trim()));
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(1, Math.ceil((at - now) / 1000)) : fallback;
}

/** "1 min", "12 min", "2 h" for a wait. */
export function waitWords(sec: number): string {
  if (sec < 60) return `${Math.max(1, Math.round(sec))} s`;
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  return `${Math.round(sec / 360) / 10} h`;
}
