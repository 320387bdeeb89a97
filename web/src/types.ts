/**
 * The JSON the web app exchanges with the API, named from the types
 * generated from the server's OpenAPI document (api/openapi.gen.ts). One
 * source of truth: a field added on the server shows up here after
 * `npm run gen:api`, and a test fails while the generated file is stale.
 */
import type { Schemas } from './api/client.js';

export type VideoView = Schemas['Video'];
export type VideoStats = NonNullable<VideoView['stats']>;
export type Page<T> = { items: T[]; nextCursor: string | null };
export type AuthResult = Schemas['AuthResult'];
export type User = Schemas['User'];
export type Profile = Schemas['Profile'];
export type UserSummary = Schemas['UserSummary'];
export type CommentView = Schemas['Comment'];
export type SearchResult = Schemas['SearchResult'];
export type FollowListItem = Schemas['FollowPage']['items'][number];
export type ReportReason = Schemas['CreateReport']['reason'];
export type ReportTargetType = Schemas['CreateReport']['targetType'];
export type UploadInstructions = Schemas['UploadInstructions'];

export type VideoStatus = VideoView['status'];
export type Visibility = VideoView['visibility'];
export type Playback = NonNullable<VideoView['playback']>;

/** One playback event as `POST /api/v1/events` takes it. */
export type PlaybackEvent = Schemas['EventsBatch']['events'][number];
export type PlaybackEventType = PlaybackEvent['type'];
/** Where a viewer found a video (creator analytics' traffic sources). */
export type TrafficSource = NonNullable<PlaybackEvent['source']>;
