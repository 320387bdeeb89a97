/**
 * The HTTP API as the page sees it: types of the JSON it exchanges, a fetch
 * wrapper that turns `{error: {code, message}}` bodies into ApiError, and the
 * session (bearer token) kept in localStorage.
 */

import type {
  AuthResult,
  CommentView,
  Page,
  PlaybackEvent,
  Profile,
  ReportReason,
  ReportTargetType,
  SearchResult,
  UploadInstructions,
  User,
  VideoView,
} from './types.js';

export type * from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const NETWORK_ERROR_MESSAGE = "Can't reach Curta right now. Check your connection and try again.";

/** A readable message for anything thrown by the API layer or the browser. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof DOMException && err.name === 'AbortError') return 'Cancelled.';
  if (err instanceof TypeError) return NETWORK_ERROR_MESSAGE; // fetch() rejects with TypeError on network failure
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong. Please try again.';
}

/** Builds an ApiError from a non-2xx response, using the server's message when it sent one. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code = 'http_error';
  let message = '';
  try {
    const text = await res.text();
    const body: unknown = text ? JSON.parse(text) : null;
    const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (err && typeof err.message === 'string') {
      message = err.message;
      if (typeof err.code === 'string') code = err.code;
    }
  } catch {
    // Not JSON (a proxy's HTML error page, say): fall back to the status line.
  }
  if (!message) message = fallbackMessage(res.status, res.statusText);
  return new ApiError(res.status, code, message);
}

export function fallbackMessage(status: number, statusText = ''): string {
  if (status === 0) return NETWORK_ERROR_MESSAGE;
  if (status === 413) return 'That file is too large.';
  if (status === 429) return 'Too many requests; wait a moment and try again.';
  if (status >= 500) return `The server had a problem (${status}${statusText ? ` ${statusText}` : ''}). Please try again.`;
  return `Request failed (${status}${statusText ? ` ${statusText}` : ''}).`;
}

// ---------------------------------------------------------------------------
// Session

const TOKEN_KEY = 'curta.token';
const USER_KEY = 'curta.user';

type SessionListener = (user: User | null) => void;

class Session {
  private listeners = new Set<SessionListener>();

  get token(): string | null {
    return safeGet(TOKEN_KEY);
  }

  get user(): User | null {
    const raw = safeGet(USER_KEY);
    if (!raw || !this.token) return null;
    try {
      const u = JSON.parse(raw) as User;
      return typeof u?.username === 'string' ? u : null;
    } catch {
      return null;
    }
  }

  set(result: AuthResult): void {
    safeSet(TOKEN_KEY, result.token);
    safeSet(USER_KEY, JSON.stringify(result.user));
    this.emit();
  }

  updateUser(user: User): void {
    safeSet(USER_KEY, JSON.stringify(user));
    this.emit();
  }

  clear(): void {
    const had = this.token !== null;
    safeRemove(TOKEN_KEY);
    safeRemove(USER_KEY);
    if (had) this.emit();
  }

  subscribe(fn: SessionListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    const u = this.user;
    for (const fn of this.listeners) fn(u);
  }
}

function safeGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function safeSet(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode or storage full: the session just won't survive a reload.
  }
}
function safeRemove(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // ignore
  }
}

export const session = new Session();
export const storage = { get: safeGet, set: safeSet, remove: safeRemove };

// ---------------------------------------------------------------------------
// Requests

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** 'required': send the token, fail without one; 'optional': send it when signed in; 'none': never. */
  auth?: 'required' | 'optional' | 'none';
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Raw body (an image) sent as is, instead of JSON. */
  raw?: Blob;
  keepalive?: boolean;
}

/** Headers for a request, with the bearer token when `auth` asks for it. */
export function authHeaders(auth: RequestOptions['auth'] = 'none'): Record<string, string> {
  const token = session.token;
  if (auth === 'required' && !token) throw new ApiError(401, 'unauthorized', 'Log in first.');
  return auth !== 'none' && token ? { authorization: `Bearer ${token}` } : {};
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers, ...authHeaders(opts.auth) };
  const sentToken = 'authorization' in headers;
  let body: string | Blob | undefined;
  if (opts.raw) {
    headers['content-type'] = opts.raw.type || 'application/octet-stream';
    body = opts.raw;
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  // 'no-cache': the browser asks again every time (a shared cache/CDN in front of the API still
  // answers from its copy). Public answers are cacheable for a few seconds, and a viewer who just
  // published a video must not be shown the feed from before it.
  const res = await fetch(path, {
    method: opts.method ?? 'GET',
    headers,
    body,
    signal: opts.signal,
    cache: 'no-cache',
    keepalive: opts.keepalive,
  });
  if (!res.ok) {
    const err = await errorFromResponse(res);
    // A dead session: forget it so the page stops sending it (the UI shows "Log in" again).
    if (res.status === 401 && sentToken) {
      session.clear();
      // Browsing never needed the token: try once more as a guest.
      if (opts.auth === 'optional') return api<T>(path, { ...opts, auth: 'none' });
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

// ---------------------------------------------------------------------------
// Device id: names an anonymous viewer for For You and playback events.

const DEVICE_KEY = 'curta.device';
let memoryDeviceId: string | null = null;

function newDeviceId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** This browser's device id (16–64 URL-safe characters), made once and kept in localStorage. */
export function deviceId(): string {
  const stored = safeGet(DEVICE_KEY);
  if (stored && /^[A-Za-z0-9_-]{16,64}$/.test(stored)) return stored;
  memoryDeviceId ??= newDeviceId();
  safeSet(DEVICE_KEY, memoryDeviceId);
  return memoryDeviceId;
}

const deviceHeaders = () => ({ 'x-device-id': deviceId() });
const enc = encodeURIComponent;
const pageQuery = (limit: number, cursor?: string | null) => `limit=${limit}${cursor ? `&cursor=${enc(cursor)}` : ''}`;


export const endpoints = {
  feed: (limit: number, cursor?: string | null) => api<Page<VideoView>>(`/api/v1/feed?${pageQuery(limit, cursor)}`, { auth: 'optional' }),
  forYou: (limit: number, cursor?: string | null) =>
    api<Page<VideoView>>(`/api/v1/feed/for-you?${pageQuery(limit, cursor)}`, { auth: 'optional', headers: deviceHeaders() }),
  trending: (limit: number, cursor?: string | null) =>
    api<Page<VideoView>>(`/api/v1/feed/trending?${pageQuery(limit, cursor)}`, { auth: 'optional' }),
  following: (limit: number, cursor?: string | null) =>
    api<Page<VideoView>>(`/api/v1/feed/following?${pageQuery(limit, cursor)}`, { auth: 'required' }),
  video: (id: string) => api<VideoView>(`/api/v1/videos/${enc(id)}`, { auth: 'optional' }),
  updateVideo: (id: string, patch: { caption?: string; visibility?: VideoView['visibility']; commentsEnabled?: boolean }) =>
    api<VideoView>(`/api/v1/videos/${enc(id)}`, { method: 'PATCH', body: patch, auth: 'required' }),
  deleteVideo: (id: string) => api<void>(`/api/v1/videos/${enc(id)}`, { method: 'DELETE', auth: 'required' }),

  signup: (username: string, password: string) =>
    api<AuthResult>('/api/v1/auth/signup', { method: 'POST', body: { username, password } }),
  login: (username: string, password: string) =>
    api<AuthResult>('/api/v1/auth/login', { method: 'POST', body: { username, password } }),
  logout: () => api<void>('/api/v1/auth/logout', { method: 'POST', auth: 'required' }),
  me: () => api<{ user: User }>('/api/v1/me', { auth: 'required' }),

  // Engagement
  like: (id: string, on: boolean) =>
    api<{ liked: boolean; likes: number }>(`/api/v1/videos/${enc(id)}/like`, { method: on ? 'PUT' : 'DELETE', auth: 'required' }),
  bookmark: (id: string, on: boolean) =>
    api<{ bookmarked: boolean }>(`/api/v1/videos/${enc(id)}/bookmark`, { method: on ? 'PUT' : 'DELETE', auth: 'required' }),
  share: (id: string) => api<{ url: string; shares: number }>(`/api/v1/videos/${enc(id)}/share`, { method: 'POST', auth: 'optional' }),
  comments: (videoId: string, opts: { parentId?: string; cursor?: string | null; limit?: number } = {}) =>
    api<Page<CommentView>>(
      `/api/v1/videos/${enc(videoId)}/comments?${pageQuery(opts.limit ?? 20, opts.cursor)}${opts.parentId ? `&parentId=${enc(opts.parentId)}` : ''}`,
      { auth: 'optional' },
    ),
  addComment: (videoId: string, text: string, parentId?: string) =>
    api<CommentView>(`/api/v1/videos/${enc(videoId)}/comments`, {
      method: 'POST',
      body: parentId ? { text, parentId } : { text },
      auth: 'required',
    }),
  deleteComment: (videoId: string, commentId: string) =>
    api<void>(`/api/v1/videos/${enc(videoId)}/comments/${enc(commentId)}`, { method: 'DELETE', auth: 'required' }),
  likeComment: (videoId: string, commentId: string, on: boolean) =>
    api<{ liked: boolean; likes: number }>(`/api/v1/videos/${enc(videoId)}/comments/${enc(commentId)}/like`, {
      method: on ? 'PUT' : 'DELETE',
      auth: 'required',
    }),

  // People
  profile: (username: string) => api<Profile>(`/api/v1/users/${enc(username)}`, { auth: 'optional' }),
  userVideos: (username: string, cursor?: string | null, limit = 18) =>
    api<Page<VideoView>>(`/api/v1/users/${enc(username)}/videos?${pageQuery(limit, cursor)}`, { auth: 'optional' }),
  follow: (username: string, on: boolean) =>
    api<{ following: boolean; followerCount: number }>(`/api/v1/users/${enc(username)}/follow`, {
      method: on ? 'PUT' : 'DELETE',
      auth: 'required',
    }),
  block: (username: string, on: boolean) =>
    api<{ blocking: boolean }>(`/api/v1/users/${enc(username)}/block`, { method: on ? 'PUT' : 'DELETE', auth: 'required' }),
  updateMe: (patch: { displayName?: string; bio?: string }) => api<Profile>('/api/v1/me', { method: 'PATCH', body: patch, auth: 'required' }),
  setAvatar: (image: Blob) => api<Profile>('/api/v1/me/avatar', { method: 'PUT', raw: image, auth: 'required' }),
  report: (targetType: ReportTargetType, targetId: string, reason: ReportReason, details?: string) =>
    api<{ report: unknown }>('/api/v1/reports', {
      method: 'POST',
      body: details ? { targetType, targetId, reason, details } : { targetType, targetId, reason },
      auth: 'required',
    }),

  // Discovery
  search: (q: string, limit = 20) => api<SearchResult>(`/api/v1/search?q=${enc(q)}&limit=${limit}`, { auth: 'optional' }),
  hashtag: (tag: string, cursor?: string | null, limit = 18) =>
    api<Page<VideoView> & { tag: string }>(`/api/v1/hashtags/${enc(tag)}/videos?${pageQuery(limit, cursor)}`, { auth: 'optional' }),

  /** Playback events; `keepalive` lets a batch outlive the page (pagehide). */
  events: (events: PlaybackEvent[], keepalive = false) =>
    api<{ accepted: number; dropped: number; viewsCounted: number }>('/api/v1/events', {
      method: 'POST',
      body: { events },
      auth: 'optional',
      headers: deviceHeaders(),
      keepalive,
    }),

  // Uploads (used by the upload studio)
  createUpload: (input: { filename: string; contentType: string; size: number; caption?: string; visibility?: VideoView['visibility'] }) =>
    api<{ videoId: string; upload: UploadInstructions }>('/api/v1/uploads', { method: 'POST', body: input, auth: 'required' }),
  uploadStatus: (videoId: string) =>
    api<{ video: VideoView; upload: UploadInstructions | null }>(`/api/v1/uploads/${enc(videoId)}`, {
      auth: 'required',
    }),
  completeUpload: (videoId: string, parts?: Array<{ partNumber: number; etag: string }>) =>
    api<VideoView>(`/api/v1/uploads/${enc(videoId)}/complete`, {
      method: 'POST',
      body: parts ? { parts } : {},
      auth: 'required',
    }),
};
