/**
 * The API calls the studio makes: the upload lifecycle, the owner's edits,
 * the owner's own videos and hashtag suggestions — the shared typed
 * endpoints (web/src/api.ts), named for the studio.
 */
import { endpoints, type Schemas } from '../api.js';
import type { VideoView, Visibility } from '../types.js';

export type { Visibility };

/** A video as its owner sees it. */
export type StudioVideo = VideoView;

export type VideoSettings = Required<Pick<Schemas['UpdateVideo'], 'visibility' | 'commentsEnabled'>> & { caption: string };

export type HashtagSuggestion = Schemas['SearchResult']['hashtags'][number];

export const studioApi = {
  createUpload: endpoints.createUpload,
  uploadStatus: endpoints.uploadStatus,
  completeUpload: endpoints.completeUpload,
  video: (videoId: string, signal?: AbortSignal) => endpoints.video(videoId, signal, 'required'),
  updateVideo: (videoId: string, patch: Partial<VideoSettings>) => endpoints.updateVideo(videoId, patch),
  deleteVideo: endpoints.deleteVideo,

  /** Every video of the signed-in owner, in any state, newest first. */
  ownVideos: (username: string, limit = 30, signal?: AbortSignal) => endpoints.userVideos(username, null, limit, signal, 'required'),

  /** Hashtags starting with `prefix` (no '#'), most used first. */
  async hashtags(prefix: string, signal?: AbortSignal): Promise<HashtagSuggestion[]> {
    const r = await endpoints.search(`#${prefix}`, 8, signal);
    return r.hashtags;
  },
};
