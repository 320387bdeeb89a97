/**
 * The HTTP API as the page sees it: every endpoint through the typed client
 * generated from the server's OpenAPI document (api/client.ts), errors as
 * ApiError (`{error: {code, message}}` bodies), and the session (bearer
 * token) kept in localStorage.
 */

import { client, type Schemas } from './api/client.js';

export type { Schemas };
import type { AuthResult, PlaybackEvent, ReportReason, ReportTargetType, User } from './types.js';

export type * from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error's `details`, where the server sent some (e.g. the author of a followers-only video). */
    readonly details?: unknown,
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

/**
 * An ApiError for a non-2xx response whose body was read (as JSON where it
 * was JSON), using the server's message when it sent one; anything else (a
 * proxy's HTML error page, say) falls back to the status line.
 */
export function apiErrorOf(res: Response, body: unknown): ApiError {
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null | undefined)?.error;
  if (err && typeof err.message === 'string') {
    return new ApiError(res.status, typeof err.code === 'string' ? err.code : 'http_error', err.message, err.details);
  }
  return new ApiError(res.status, 'http_error', fallbackMessage(res.status, res.statusText));
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

export type AuthMode = 'required' | 'optional' | 'none';

/** Headers for a request, with the bearer token when `auth` asks for it. */
export function authHeaders(auth: AuthMode = 'none'): Record<string, string> {
  const token = session.token;
  if (auth === 'required' && !token) throw new ApiError(401, 'unauthorized', 'Log in first.');
  return auth !== 'none' && token ? { authorization: `Bearer ${token}` } : {};
}

/** What an openapi-fetch call resolves to. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Runs one typed call with the session's token as `auth` says, and turns a
 * non-2xx answer into ApiError. A dead session (401 on a request that sent
 * the token) is forgotten, so the page stops sending it; browsing never
 * needed it, so an `optional` call is tried once more as a guest.
 */
export async function call<T>(auth: AuthMode, run: (headers: Record<string, string>) => Promise<FetchResult<T>>): Promise<T> {
  const headers = authHeaders(auth);
  const { data, error, response } = await run({ accept: 'application/json', ...headers });
  if (response.ok) return data as T;
  if (response.status === 401 && 'authorization' in headers) {
    session.clear();
    if (auth === 'optional') return call('none', run);
  }
  throw apiErrorOf(response, error);
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
const pageOf = (limit: number, cursor?: string | null) => (cursor ? { limit, cursor } : { limit });
const id = (videoId: string) => ({ id: videoId });

export const endpoints = {
  feed: (limit: number, cursor?: string | null) =>
    call('optional', (headers) => client.GET('/api/v1/feed', { params: { query: pageOf(limit, cursor) }, headers })),
  forYou: (limit: number, cursor?: string | null) =>
    call('optional', (headers) =>
      client.GET('/api/v1/feed/for-you', { params: { query: pageOf(limit, cursor) }, headers: { ...headers, ...deviceHeaders() } }),
    ),
  trending: (limit: number, cursor?: string | null) =>
    call('optional', (headers) => client.GET('/api/v1/feed/trending', { params: { query: pageOf(limit, cursor) }, headers })),
  following: (limit: number, cursor?: string | null) =>
    call('required', (headers) => client.GET('/api/v1/feed/following', { params: { query: pageOf(limit, cursor) }, headers })),
  /** `required` where only the owner's own view will do (the studio): a dead session is then an error, not a guest's answer. */
  video: (videoId: string, signal?: AbortSignal, auth: AuthMode = 'optional') =>
    call(auth, (headers) => client.GET('/api/v1/videos/{id}', { params: { path: id(videoId) }, headers, signal })),
  updateVideo: (videoId: string, patch: Schemas['UpdateVideo']) =>
    call('required', (headers) => client.PATCH('/api/v1/videos/{id}', { params: { path: id(videoId) }, body: patch, headers })),
  deleteVideo: (videoId: string) =>
    call('required', (headers) => client.DELETE('/api/v1/videos/{id}', { params: { path: id(videoId) }, headers })),

  signup: (username: string, password: string) =>
    call('none', (headers) => client.POST('/api/v1/auth/signup', { body: { username, password }, headers })),
  login: (username: string, password: string) =>
    call('none', (headers) => client.POST('/api/v1/auth/login', { body: { username, password }, headers })),
  logout: () => call('required', (headers) => client.POST('/api/v1/auth/logout', { headers })),
  logoutEverywhere: () => call('required', (headers) => client.POST('/api/v1/auth/logout-all', { headers })),
  me: () => call('required', (headers) => client.GET('/api/v1/me', { headers })),
  changePassword: (currentPassword: string, newPassword: string) =>
    call('required', (headers) => client.POST('/api/v1/me/password', { body: { currentPassword, newPassword }, headers })),
  deleteAccount: (password: string) => call('required', (headers) => client.DELETE('/api/v1/me', { body: { password }, headers })),
  /** The data export (a ZIP) as a Blob: the browser keeps a large one on disk, not in the page's memory. */
  exportData: () =>
    call<Blob>('required', (headers) =>
      client.GET('/api/v1/me/export', { headers: { ...headers, accept: 'application/zip' }, parseAs: 'blob', cache: 'no-store' }),
    ),

  // Engagement
  like: (videoId: string, on: boolean) =>
    call('required', (headers) =>
      on
        ? client.PUT('/api/v1/videos/{id}/like', { params: { path: id(videoId) }, headers })
        : client.DELETE('/api/v1/videos/{id}/like', { params: { path: id(videoId) }, headers }),
    ),
  bookmark: (videoId: string, on: boolean) =>
    call('required', (headers) =>
      on
        ? client.PUT('/api/v1/videos/{id}/bookmark', { params: { path: id(videoId) }, headers })
        : client.DELETE('/api/v1/videos/{id}/bookmark', { params: { path: id(videoId) }, headers }),
    ),
  /** "Not interested" (issue 13): a strong negative for the viewer's For You; `false` undoes it. */
  notInterested: (videoId: string, on: boolean) =>
    call('required', (headers) =>
      on
        ? client.POST('/api/v1/videos/{id}/not-interested', { params: { path: id(videoId) }, headers })
        : client.DELETE('/api/v1/videos/{id}/not-interested', { params: { path: id(videoId) }, headers }),
    ),
  share: (videoId: string) =>
    call('optional', (headers) => client.POST('/api/v1/videos/{id}/share', { params: { path: id(videoId) }, headers })),
  comments: (videoId: string, opts: { parentId?: string; cursor?: string | null; limit?: number } = {}) =>
    call('optional', (headers) =>
      client.GET('/api/v1/videos/{id}/comments', {
        params: {
          path: id(videoId),
          query: { ...pageOf(opts.limit ?? 20, opts.cursor), ...(opts.parentId ? { parentId: opts.parentId } : {}) },
        },
        headers,
      }),
    ),
  addComment: (videoId: string, text: string, parentId?: string) =>
    call('required', (headers) =>
      client.POST('/api/v1/videos/{id}/comments', {
        params: { path: id(videoId) },
        body: parentId ? { text, parentId } : { text },
        headers,
      }),
    ),
  deleteComment: (videoId: string, commentId: string) =>
    call('required', (headers) =>
      client.DELETE('/api/v1/videos/{id}/comments/{commentId}', { params: { path: { id: videoId, commentId } }, headers }),
    ),
  likeComment: (videoId: string, commentId: string, on: boolean) =>
    call('required', (headers) =>
      on
        ? client.PUT('/api/v1/videos/{id}/comments/{commentId}/like', { params: { path: { id: videoId, commentId } }, headers })
        : client.DELETE('/api/v1/videos/{id}/comments/{commentId}/like', { params: { path: { id: videoId, commentId } }, headers }),
    ),

  // People
  profile: (username: string) =>
    call('optional', (headers) => client.GET('/api/v1/users/{username}', { params: { path: { username } }, headers })),
  userVideos: (username: string, cursor?: string | null, limit = 18, signal?: AbortSignal, auth: AuthMode = 'optional') =>
    call(auth, (headers) =>
      client.GET('/api/v1/users/{username}/videos', { params: { path: { username }, query: pageOf(limit, cursor) }, headers, signal }),
    ),
  follow: (username: string, on: boolean) =>
    call('required', (headers) =>
      on
        ? client.PUT('/api/v1/users/{username}/follow', { params: { path: { username } }, headers })
        : client.DELETE('/api/v1/users/{username}/follow', { params: { path: { username } }, headers }),
    ),
  block: (username: string, on: boolean) =>
    call('required', (headers) =>
      on
        ? client.PUT('/api/v1/users/{username}/block', { params: { path: { username } }, headers })
        : client.DELETE('/api/v1/users/{username}/block', { params: { path: { username } }, headers }),
    ),
  /** The videos someone liked (their own always; others' once they made them public). */
  likedVideos: (username: string, cursor?: string | null, limit = 18) =>
    call('optional', (headers) =>
      client.GET('/api/v1/users/{username}/liked', { params: { path: { username }, query: pageOf(limit, cursor) }, headers }),
    ),
  followList: (username: string, side: 'followers' | 'following', cursor?: string | null, limit = 20) =>
    call('optional', (headers) =>
      side === 'followers'
        ? client.GET('/api/v1/users/{username}/followers', { params: { path: { username }, query: pageOf(limit, cursor) }, headers })
        : client.GET('/api/v1/users/{username}/following', { params: { path: { username }, query: pageOf(limit, cursor) }, headers }),
    ),
  bookmarks: (cursor?: string | null, limit = 18) =>
    call('required', (headers) => client.GET('/api/v1/me/bookmarks', { params: { query: pageOf(limit, cursor) }, headers })),
  updatePrivacy: (patch: Schemas['UpdatePrivacy']) =>
    call('required', (headers) => client.PATCH('/api/v1/me/privacy', { body: patch, headers })),
  updateMe: (patch: Schemas['UpdateProfile']) => call('required', (headers) => client.PATCH('/api/v1/me', { body: patch, headers })),
  /** Raw image bytes, sent as they are. */
  setAvatar: (image: Blob) =>
    call('required', (headers) =>
      client.PUT('/api/v1/me/avatar', {
        body: image as never,
        bodySerializer: (b: unknown) => b as Blob,
        headers: { ...headers, 'content-type': image.type || 'application/octet-stream' },
      }),
    ),
  report: (targetType: ReportTargetType, targetId: string, reason: ReportReason, details?: string) =>
    call('required', (headers) =>
      client.POST('/api/v1/reports', {
        body: details ? { targetType, targetId, reason, details } : { targetType, targetId, reason },
        headers,
      }),
    ),

  // Discovery
  search: (q: string, limit = 20, signal?: AbortSignal) =>
    call('optional', (headers) => client.GET('/api/v1/search', { params: { query: { q, limit } }, headers, signal })),
  suggest: (q: string, signal?: AbortSignal, limit = 5) =>
    call('optional', (headers) => client.GET('/api/v1/search/suggest', { params: { query: { q, limit } }, headers, signal })),
  searchTrending: (limit = 10) =>
    call('optional', (headers) => client.GET('/api/v1/search/trending', { params: { query: { limit } }, headers })),
  hashtag: (tag: string, cursor?: string | null, limit = 18) =>
    call('optional', (headers) =>
      client.GET('/api/v1/hashtags/{tag}/videos', { params: { path: { tag }, query: pageOf(limit, cursor) }, headers }),
    ),

  /** Playback events; `keepalive` lets a batch outlive the page (pagehide). */
  events: (events: PlaybackEvent[], keepalive = false) =>
    call('optional', (headers) =>
      client.POST('/api/v1/events', { body: { events }, headers: { ...headers, ...deviceHeaders() }, keepalive }),
    ),

  /** Processing status as Server-Sent Events (the body is the stream). */
  videoStatusStream: (videoId: string, signal: AbortSignal) =>
    client.GET('/api/v1/videos/{id}/events', {
      params: { path: id(videoId) },
      parseAs: 'stream',
      headers: { accept: 'text/event-stream', ...authHeaders('required') },
      cache: 'no-store',
      signal,
    }),

  // Uploads (the upload studio)
  uploadLimits: () => call('none', (headers) => client.GET('/api/v1/uploads/limits', { headers })),
  /** `idempotencyKey`: one per upload, the same on every retry of it, so a retry after a lost answer gets that answer, not a second video. */
  createUpload: (input: Schemas['CreateUpload'], idempotencyKey?: string) =>
    call('required', (headers) =>
      client.POST('/api/v1/uploads', {
        body: input,
        headers: idempotencyKey ? { ...headers, 'idempotency-key': idempotencyKey } : headers,
      }),
    ),
  uploadStatus: (videoId: string) =>
    call('required', (headers) => client.GET('/api/v1/uploads/{id}', { params: { path: id(videoId) }, headers })),
  completeUpload: (videoId: string, parts?: Array<{ partNumber: number; etag: string }>) =>
    call('required', (headers) =>
      client.POST('/api/v1/uploads/{id}/complete', { params: { path: id(videoId) }, body: parts ? { parts } : {}, headers }),
    ),
};
