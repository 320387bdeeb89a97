/**
 * The JSON the web app exchanges with the API, taken from the server's own
 * types (type-only imports: erased at build time, nothing from src/ reaches
 * the bundle). One source of truth: a field added on the server shows up here.
 */
export type {
  VideoView,
  VideoStats,
  Page,
} from '../../src/modules/videos/videos.service.js';
export type { AuthResult } from '../../src/modules/accounts/accounts.service.js';
export type { PublicUser as User } from '../../src/modules/accounts/user.types.js';
export type { Profile, UserSummary } from '../../src/modules/accounts/profiles.service.js';
export type { CommentView } from '../../src/modules/social/comments.service.js';
export type { SearchResult } from '../../src/modules/discovery/discovery.schema.js';
export type { ReportReason, ReportTargetType } from '../../src/modules/safety/reports.repository.js';
export type { PlaybackEventType } from '../../src/modules/events/view-rule.js';

import type { VideoView } from '../../src/modules/videos/videos.service.js';

export type VideoStatus = VideoView['status'];
export type Visibility = VideoView['visibility'];
export type Playback = NonNullable<VideoView['playback']>;

/** One playback event as `POST /api/v1/events` takes it. */
export interface PlaybackEvent {
  type: import('../../src/modules/events/view-rule.js').PlaybackEventType;
  videoId: string;
  watchedMs?: number;
  at?: number;
}

export interface UploadPart {
  partNumber: number;
  size: number;
  url: string;
  headers: Record<string, string>;
}

export interface UploadedPart {
  partNumber: number;
  size: number;
  etag: string;
}

export type UploadInstructions =
  | { kind: 'single'; method: 'PUT'; url: string; headers: Record<string, string>; expiresAt: string }
  | {
      kind: 'multipart';
      method: 'PUT';
      partSize: number;
      parts: UploadPart[];
      uploadedParts: UploadedPart[];
      expiresAt: string;
    };
