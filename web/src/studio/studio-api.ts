/**
 * The API calls the studio makes: the upload lifecycle, the owner's edits,
 * the owner's own videos and hashtag suggestions — the shared typed
 * endpoints (web/src/api.ts), named for the studio.
 */
import { call, endpoints, type Schemas } from '../api.js';
import { client } from '../api/client.js';
import type { VideoView, Visibility } from '../types.js';

export type { Visibility };

/** A video as its owner sees it. */
export type StudioVideo = VideoView;

export type VideoSettings = Required<Pick<Schemas['UpdateVideo'], 'visibility' | 'commentsEnabled'>> & { caption: string };

/** When the video goes out (a draft, a time, or as soon as it is ready) and the cover picked before posting. */
export type PublishSettings = Pick<Schemas['CreateUpload'], 'draft' | 'publishAt' | 'coverTimeMs'>;

export type CreatorStats = Schemas['VideoCreatorStats'];
/** One of the owner's videos in "Your videos", with its stats. */
export type OwnVideo = Schemas['OwnVideoPage']['items'][number];

export type HashtagSuggestion = Schemas['SearchResult']['hashtags'][number];

export const studioApi = {
  createUpload: endpoints.createUpload,
  uploadStatus: endpoints.uploadStatus,
  completeUpload: endpoints.completeUpload,
  video: (videoId: string, signal?: AbortSignal) => endpoints.video(videoId, signal, 'required'),
  updateVideo: (videoId: string, patch: Partial<VideoSettings>) => endpoints.updateVideo(videoId, patch),
  deleteVideo: endpoints.deleteVideo,

  /** Every video of the signed-in owner, in any state and publication (drafts, scheduled), newest first, with its stats. */
  ownVideos: (limit = 30, signal?: AbortSignal) =>
    call('required', (headers) => client.GET('/api/v1/me/videos', { params: { query: { limit } }, headers, signal })),

  /** The owner's stats of one video (views, likes, comments, shares, watch time). */
  stats: (videoId: string, signal?: AbortSignal) =>
    call('required', (headers) => client.GET('/api/v1/videos/{id}/stats', { params: { path: { id: videoId } }, headers, signal })),

  /** Publish now (`draft: false`), keep as a draft, or (re)schedule. */
  publish: (videoId: string, patch: { draft: boolean } | { publishAt: string }) => endpoints.updateVideo(videoId, patch),

  /** Hashtags starting with `prefix` (no '#'), most used first. */
  async hashtags(prefix: string, signal?: AbortSignal): Promise<HashtagSuggestion[]> {
    const r = await endpoints.search(`#${prefix}`, 8, signal);
    return r.hashtags;
  },
};
