/** The edit sheet's pure parts (edit-video.ts): what it starts from, shows and sends. */
import type { Schemas } from './api/client.js';
import type { VideoView, Visibility } from './types.js';

/** Where processing takes the automatic cover (src/modules/media/plan.ts posterTimeSec): 1 s in, or the middle of short clips. */
const AUTO_COVER_MS = 1000;
/** Scrubber resolution. */
export const COVER_STEP_MS = 100;

/** "0:03.4" */
export function formatCoverTime(ms: number): string {
  const tenths = Math.floor(ms / 100);
  const s = Math.floor(tenths / 10);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}.${tenths % 10}`;
}

/** The cover time the scrubber starts at: the chosen one, else where the automatic cover was taken. */
export function initialCoverMs(view: Pick<VideoView, 'coverTimeMs' | 'durationMs'>): number {
  const duration = view.durationMs ?? 0;
  if (view.coverTimeMs !== undefined) return Math.min(view.coverTimeMs, Math.max(0, duration - 1));
  return duration >= 2000 ? AUTO_COVER_MS : Math.floor(duration / 2);
}

/** Only what changed, so an unchanged cover is not cut again. */
export function editPatch(
  view: Pick<VideoView, 'caption' | 'visibility' | 'commentsEnabled'>,
  form: { caption: string; visibility: Visibility; commentsEnabled: boolean; coverTimeMs: number | null },
): Schemas['UpdateVideo'] | null {
  const patch: Schemas['UpdateVideo'] = {};
  if (form.caption !== view.caption) patch.caption = form.caption;
  if (form.visibility !== view.visibility) patch.visibility = form.visibility;
  if (form.commentsEnabled !== view.commentsEnabled) patch.commentsEnabled = form.commentsEnabled;
  if (form.coverTimeMs !== null) patch.coverTimeMs = form.coverTimeMs;
  return Object.keys(patch).length > 0 ? patch : null;
}
