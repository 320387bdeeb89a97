/**
 * The API calls the studio makes, on top of the shared `api()` helper: the
 * upload lifecycle, the owner's edits, the owner's own videos and hashtag
 * suggestions. Types here extend web/src/api.ts's with the fields the studio reads.
 */
import { api, type Page, type UploadInstructions, type VideoView } from '../api.js';

export type Visibility = 'public' | 'unlisted' | 'followers' | 'private';

/** A video as its owner sees it (the studio reads these fields beyond the feed's). */
export type StudioVideo = VideoView & {
  visibility?: Visibility;
  commentsEnabled?: boolean;
  hashtags?: string[];
};

export interface VideoSettings {
  caption: string;
  visibility: Visibility;
  commentsEnabled: boolean;
}

export interface HashtagSuggestion {
  tag: string;
  videos: number;
}

const enc = encodeURIComponent;

export const studioApi = {
  createUpload: (input: { filename: string; contentType: string; size: number; caption?: string; visibility?: Visibility }) =>
    api<{ videoId: string; upload: UploadInstructions }>('/api/v1/uploads', { method: 'POST', body: input, auth: 'required' }),

  uploadStatus: (videoId: string) =>
    api<{ video: StudioVideo; upload: UploadInstructions | null }>(`/api/v1/uploads/${enc(videoId)}`, { auth: 'required' }),

  completeUpload: (videoId: string, parts?: Array<{ partNumber: number; etag: string }>) =>
    api<StudioVideo>(`/api/v1/uploads/${enc(videoId)}/complete`, { method: 'POST', body: parts ? { parts } : {}, auth: 'required' }),

  video: (videoId: string) => api<StudioVideo>(`/api/v1/videos/${enc(videoId)}`, { auth: 'required' }),

  updateVideo: (videoId: string, patch: Partial<VideoSettings>) =>
    api<StudioVideo>(`/api/v1/videos/${enc(videoId)}`, { method: 'PATCH', body: patch, auth: 'required' }),

  deleteVideo: (videoId: string) => api<void>(`/api/v1/videos/${enc(videoId)}`, { method: 'DELETE', auth: 'required' }),

  /** Every video of the signed-in owner, in any state, newest first. */
  ownVideos: (username: string, limit = 30, signal?: AbortSignal) =>
    api<Page<StudioVideo>>(`/api/v1/users/${enc(username)}/videos?limit=${limit}`, { auth: 'required', signal }),

  /** Hashtags starting with `prefix` (no '#'), most used first. */
  async hashtags(prefix: string, signal?: AbortSignal): Promise<HashtagSuggestion[]> {
    const r = await api<{ hashtags?: HashtagSuggestion[] }>(`/api/v1/search?q=${enc(`#${prefix}`)}&limit=8`, { auth: 'optional', signal });
    return r.hashtags ?? [];
  },
};
