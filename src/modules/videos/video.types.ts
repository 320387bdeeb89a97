/**
 * A video as the platform stores it: the row every module reads (feeds,
 * engagement, moderation, recommendations), apart from any repository or
 * service, so those depend on the shape and not on each other.
 */

import type { VideoStatus } from '../processing/video-lifecycle.js';

export type { VideoStatus };
export type Visibility = 'public' | 'unlisted' | 'followers' | 'private';

/** Object keys relative to the video's media prefix. */
export interface PlaybackKeys {
  hls?: string;
  mp4?: string;
  poster?: string;
}

export interface VideoRow {
  id: string;
  owner_id: string;
  owner_username: string;
  status: VideoStatus;
  caption: string;
  visibility: Visibility;
  original_key: string;
  original_filename: string;
  content_type: string;
  declared_size: string | number;
  multipart_upload_id: string | null;
  /** The original's ETag when the upload completed; processing refuses an original that changed since (null before migration 0006). */
  original_etag: string | null;
  upload_expires_at: Date;
  uploaded_at: Date | null;
  media_prefix: string | null;
  progress: number;
  duration_ms: number | null;
  width: number | null;
  height: number | null;
  playback: PlaybackKeys | null;
  playable_at: Date | null;
  ready_at: Date | null;
  error_code: string | null;
  error_message: string | null;
  comments_enabled: boolean;
  /** The cover frame the owner chose, ms from the start (null: processing's automatic one). */
  cover_time_ms: number | null;
  /** Published from this time on; null: a draft; later than now: scheduled (see visibility.ts `publicationOf`). */
  publish_at: Date | null;
  /** A cover frame chosen before the video was ready (ms), applied once it is, then cleared. */
  requested_cover_ms: number | null;
  /** Set when an admin took the video down: hidden from everyone but the owner. */
  taken_down_at: Date | null;
  takedown_reason: string | null;
  taken_down_by: string | null;
  /** Whether the owner's account is banned (from the users join): hidden from everyone. */
  owner_banned: boolean;
  /** Never archived by the sweep (the owner's or an admin's choice; migration 0027). Rows cached before it lack these. */
  archive_pinned?: boolean;
  archived_at?: Date | null;
  archive_bytes?: string | number | null;
  archive_freed_bytes?: string | number | null;
  /** Archived in the database, its objects not all moved yet: the sweep finishes it. */
  archive_pending?: boolean;
  restore_phase?: 'retrieving' | 'processing' | null;
  restore_requested_at?: Date | null;
  restore_eta_at?: Date | null;
  /** Why the last restore failed. */
  archive_error?: string | null;
  created_at: Date;
  updated_at: Date;
  /** Normalised tags from the caption (video_hashtags), in caption order. */
  hashtags: string[];
  /** @mentions that resolved to accounts (video_mentions), in caption order. */
  mentions: Array<{ id: string; username: string }>;
}
