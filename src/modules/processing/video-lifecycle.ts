import type { MediaFailureCode } from '../../errors.js';

/**
 * The video lifecycle: every state a video can be in, every move between
 * them, and every reason a video can fail, in one place. The repository runs
 * each move as one guarded UPDATE (compare the current status), so a
 * duplicate event or a retried job can never move a video backwards.
 */

/**
 * What `videos.status` holds (migration 0002's CHECK lists the same values).
 * `archived` and `restoring` are reserved there for the archive lifecycle;
 * no move leads into them yet.
 */
export const VIDEO_STATUSES = ['uploading', 'uploaded', 'processing', 'ready', 'failed', 'archived', 'restoring'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

/**
 * The states of the machine. Two are not stored as a status of their own:
 * - `playable`: the lowest rung is published while higher rungs encode. It is
 *   stored as `processing` with `playable_at` and `playback` set, so API
 *   clients keep seeing `processing` (with playback URLs) until `ready`.
 * - `deleted`: the row is gone (its objects are purged by a job).
 */
export type VideoState = 'uploading' | 'uploaded' | 'processing' | 'playable' | 'ready' | 'failed' | 'deleted';

/** Moves the machine allows, from each state. Anything else is a bug in the caller. */
export const VIDEO_TRANSITIONS: Readonly<Record<VideoState, readonly VideoState[]>> = {
  // The original arrived (event, `complete` or reconciler), or it never did / has the wrong size.
  uploading: ['uploaded', 'failed', 'deleted'],
  uploaded: ['processing', 'failed', 'deleted'],
  // processing → processing: a retried job starts a fresh attempt under a new media prefix.
  processing: ['processing', 'playable', 'ready', 'failed', 'deleted'],
  // playable → playable: the lowest rung's playlist is published again (idempotent);
  // playable → processing: a retry starts over, playback withdrawn until its own lowest rung.
  playable: ['playable', 'processing', 'ready', 'failed', 'deleted'],
  ready: ['deleted'],
  failed: ['deleted'],
  deleted: [],
};

/** How a state is stored: the status the guarded UPDATE compares and writes. */
const STORED_AS: Readonly<Record<Exclude<VideoState, 'deleted'>, VideoStatus>> = {
  uploading: 'uploading',
  uploaded: 'uploaded',
  processing: 'processing',
  playable: 'processing',
  ready: 'ready',
  failed: 'failed',
};

export function canTransition(from: VideoState, to: VideoState): boolean {
  return VIDEO_TRANSITIONS[from].includes(to);
}

/** States from which a video may still fail: every non-terminal one. */
export const FAILABLE: readonly VideoState[] = (Object.keys(VIDEO_TRANSITIONS) as VideoState[]).filter((s) => canTransition(s, 'failed'));

export class IllegalTransitionError extends Error {
  constructor(from: readonly VideoState[], to: VideoState) {
    super(`The video lifecycle does not allow ${from.join('|') || '(nothing)'} → ${to}.`);
    this.name = 'IllegalTransitionError';
  }
}

export interface TransitionGuard {
  /** The UPDATE matches only rows in one of these statuses. */
  from: readonly VideoStatus[];
  /** …and sets this one. */
  to: VideoStatus;
}

/**
 * The guard of one move: checks it against the table (throws for a move the
 * lifecycle does not have) and says which stored statuses the UPDATE compares
 * and writes. `deleted` is not an UPDATE: the repository deletes the row.
 */
export function transitionGuard(from: readonly VideoState[], to: Exclude<VideoState, 'deleted'>): TransitionGuard {
  if (from.length === 0 || !from.every((s) => canTransition(s, to))) throw new IllegalTransitionError(from, to);
  return { from: storedStatuses(from), to: STORED_AS[to] };
}

/** The stored statuses of these states (for queries that select videos by state). */
export function storedStatuses(states: readonly VideoState[]): VideoStatus[] {
  const stored = states.map((s) => (s === 'deleted' ? null : STORED_AS[s])).filter((s): s is VideoStatus => s !== null);
  return [...new Set(stored)];
}

/** Why a video failed: stored on the video (`error_code`) and shown to its owner. */
export type VideoFailureCode =
  // the upload itself
  | 'size_mismatch'
  | 'upload_expired'
  | 'original_changed'
  // the media (thrown by the pipeline as MediaError), or giving up after retries
  | MediaFailureCode;

/** The human message for each code when the caller has nothing more specific to say. */
export const FAILURE_MESSAGES: Readonly<Record<VideoFailureCode, string>> = {
  size_mismatch: 'The stored file is not the size that was declared.',
  upload_expired: 'The upload URL expired before the file arrived; start a new upload.',
  original_changed: 'The uploaded file was replaced after the upload finished; start a new upload.',
  empty_file: 'The file is empty.',
  unrecognized_format: 'The file is not in a supported video format.',
  unsupported_container: 'The file is in a container format that is not supported.',
  playlist_not_allowed: 'Playlists and stream descriptions are not accepted; upload the video file itself.',
  no_video_stream: 'The file has no video stream.',
  unsupported_codec: 'The video codec is not supported.',
  corrupt_media: 'The file could not be read as a video.',
  truncated_media: 'The file is incomplete; the recording or upload was probably cut off.',
  dimensions_too_large: 'The video is larger than the allowed dimensions.',
  dimensions_invalid: 'The video does not have plausible dimensions.',
  pixel_rate_too_high: 'The video has too many pixels per second (resolution × frame rate) to convert.',
  pixel_budget_exceeded: 'The video is too long for its resolution and frame rate.',
  duration_too_long: 'The video is longer than the allowed duration.',
  duration_invalid: 'The video does not have a plausible duration.',
  transcode_failed: 'Transcoding failed.',
  transcode_timeout: 'Transcoding took too long.',
  processing_failed: 'Processing failed repeatedly; please try uploading again.',
};

export interface VideoFailure {
  code: VideoFailureCode;
  message: string;
}

/** A failure with its code's message, or a more specific one (e.g. the sizes that differ). */
export function videoFailure(code: VideoFailureCode, message: string = FAILURE_MESSAGES[code]): VideoFailure {
  return { code, message };
}
