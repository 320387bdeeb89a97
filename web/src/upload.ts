/**
 * Sending a video: client-side checks, the create call, the bytes (one PUT or
 * multipart, two parts at a time, each retried, resumable across reloads),
 * `complete`, and then following processing over Server-Sent Events.
 */
import {
  ApiError,
  authHeaders,
  endpoints,
  errorFromResponse,
  fallbackMessage,
  NETWORK_ERROR_MESSAGE,
  session,
  storage,
  type UploadInstructions,
  type UploadPart,
  type VideoView,
} from './api.js';

export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
const PART_CONCURRENCY = 2;
const PART_ATTEMPTS = 5;

/** Content types by extension, for files the browser gives no type (often .mkv, sometimes .mov). */
const TYPES_BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  qt: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  '3gp': 'video/3gpp',
  '3g2': 'video/3gpp2',
  ts: 'video/mp2t',
  mts: 'video/mp2t',
  m2ts: 'video/mp2t',
  avi: 'video/x-msvideo',
  flv: 'video/x-flv',
};

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot >= 0 ? name.slice(dot + 1).toLowerCase() : '';
}

export function contentTypeOf(file: File): string {
  if (file.type.startsWith('video/')) return file.type;
  // No type, or a generic one (application/octet-stream): go by the extension.
  return TYPES_BY_EXTENSION[extensionOf(file.name)] ?? 'video/mp4';
}

/** A message saying why this file can't be uploaded, or null when it may be. */
export function validateFile(file: File | null | undefined): string | null {
  if (!file) return 'Choose a video file first.';
  const knownExtension = extensionOf(file.name) in TYPES_BY_EXTENSION;
  if (!file.type.startsWith('video/') && !knownExtension) {
    return `“${file.name}” doesn't look like a video. Choose an MP4, MOV, WebM or another video file.`;
  }
  if (file.size <= 0) return `“${file.name}” is empty (0 bytes).`;
  if (file.size >= MAX_UPLOAD_BYTES) return `“${file.name}” is too large: videos must be under 2 GB.`;
  return null;
}

// ---------------------------------------------------------------------------
// Resume after a reload: the video id of an unfinished upload, keyed by the file.

const PENDING_KEY = 'curta.pendingUpload';

export interface PendingUpload {
  videoId: string;
  name: string;
  size: number;
  lastModified: number;
  userId: string;
}

export function pendingUpload(): PendingUpload | null {
  const raw = storage.get(PENDING_KEY);
  if (!raw) return null;
  try {
    const p = JSON.parse(raw) as PendingUpload;
    const user = session.user;
    return typeof p.videoId === 'string' && user && p.userId === user.id ? p : null;
  } catch {
    return null;
  }
}

function matchesPending(p: PendingUpload | null, file: File): p is PendingUpload {
  return !!p && p.name === file.name && p.size === file.size && p.lastModified === file.lastModified;
}

export function forgetPendingUpload(): void {
  storage.remove(PENDING_KEY);
}

// ---------------------------------------------------------------------------

export interface UploadHooks {
  onCreated?(videoId: string, resumed: boolean): void;
  /** Bytes storage has acknowledged or is receiving, of `total`. */
  onProgress(sent: number, total: number): void;
}

/** Creates (or resumes) the upload, sends the file and completes it. */
export async function uploadVideo(file: File, caption: string, hooks: UploadHooks, signal: AbortSignal): Promise<VideoView> {
  const problem = validateFile(file);
  if (problem) throw new Error(problem);
  const user = session.user;
  if (!user) throw new ApiError(401, 'unauthorized', 'Log in to upload.');

  let videoId: string | null = null;
  let upload: UploadInstructions | null = null;
  const pending = pendingUpload();
  if (matchesPending(pending, file)) {
    try {
      const st = await endpoints.uploadStatus(pending.videoId);
      if (st.video.status === 'uploading' && st.upload) {
        videoId = pending.videoId;
        upload = st.upload;
      } else if (st.video.status !== 'failed') {
        // Storage already has it: only `complete` (idempotent) is left.
        videoId = pending.videoId;
      }
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
    }
  }
  const resumed = videoId !== null;
  if (!videoId) {
    forgetPendingUpload();
    const created = await endpoints.createUpload({
      filename: file.name,
      contentType: contentTypeOf(file),
      size: file.size,
      ...(caption ? { caption } : {}),
    });
    videoId = created.videoId;
    upload = created.upload;
    storage.set(
      PENDING_KEY,
      JSON.stringify({ videoId, name: file.name, size: file.size, lastModified: file.lastModified, userId: user.id } satisfies PendingUpload),
    );
  }
  hooks.onCreated?.(videoId, resumed);

  let view: VideoView;
  if (!upload) {
    hooks.onProgress(file.size, file.size);
    view = await endpoints.completeUpload(videoId);
  } else if (upload.kind === 'single') {
    await putWithRetry(upload.url, upload.headers, file, (loaded) => hooks.onProgress(loaded, file.size), signal);
    hooks.onProgress(file.size, file.size);
    view = await endpoints.completeUpload(videoId);
  } else {
    const parts = await sendParts(videoId, file, upload, hooks, signal);
    view = await endpoints.completeUpload(videoId, parts);
  }
  forgetPendingUpload();
  return view;
}

async function sendParts(
  videoId: string,
  file: File,
  upload: Extract<UploadInstructions, { kind: 'multipart' }>,
  hooks: UploadHooks,
  outer: AbortSignal,
): Promise<Array<{ partNumber: number; etag: string }>> {
  const etags = new Map<number, string>(upload.uploadedParts.map((p) => [p.partNumber, p.etag]));
  let doneBytes = upload.uploadedParts.reduce((n, p) => n + p.size, 0);
  const inFlight = new Map<number, number>();
  const report = () => {
    let sending = 0;
    for (const n of inFlight.values()) sending += n;
    hooks.onProgress(Math.min(file.size, doneBytes + sending), file.size);
  };
  report();

  // One failed part stops the others: abort them together.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', onOuterAbort);
  const queue = upload.parts.filter((p) => !etags.has(p.partNumber));

  const sendOne = async (initial: UploadPart): Promise<void> => {
    let part = initial;
    const start = (part.partNumber - 1) * upload.partSize;
    const blob = file.slice(start, start + part.size);
    for (let attempt = 1; ; attempt++) {
      try {
        const { etag } = await putBlob(part.url, part.headers, blob, (loaded) => {
          inFlight.set(part.partNumber, loaded);
          report();
        }, controller.signal);
        if (!etag) throw new ApiError(0, 'missing_etag', 'Storage did not return an ETag for a part.');
        etags.set(part.partNumber, etag);
        return;
      } catch (err) {
        inFlight.delete(part.partNumber);
        report();
        if (controller.signal.aborted || attempt >= PART_ATTEMPTS || !isRetryable(err)) throw err;
        await sleep(500 * 2 ** (attempt - 1), controller.signal);
        if (err instanceof ApiError && err.status === 403) {
          // Most likely an expired URL: ask for fresh ones; the part may even be stored already.
          const fresh = await endpoints.uploadStatus(videoId);
          const up = fresh.upload;
          if (!up || up.kind !== 'multipart') throw err;
          const stored = up.uploadedParts.find((p) => p.partNumber === part.partNumber);
          if (stored) {
            etags.set(stored.partNumber, stored.etag);
            return;
          }
          part = up.parts.find((p) => p.partNumber === part.partNumber) ?? part;
        }
      } finally {
        inFlight.delete(part.partNumber);
      }
    }
  };

  const worker = async () => {
    for (let part = queue.shift(); part; part = queue.shift()) {
      await sendOne(part);
      doneBytes += part.size;
      report();
    }
  };
  let firstError: unknown = null;
  try {
    await Promise.all(
      Array.from({ length: Math.min(PART_CONCURRENCY, queue.length) }, () =>
        worker().catch((err: unknown) => {
          firstError ??= err;
          controller.abort(err);
        }),
      ),
    );
  } finally {
    outer.removeEventListener('abort', onOuterAbort);
  }
  if (firstError !== null) throw firstError;
  if (outer.aborted) throw abortError();
  return [...etags].sort((a, b) => a[0] - b[0]).map(([partNumber, etag]) => ({ partNumber, etag }));
}

function isRetryable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  return err.status === 0 || err.status === 403 || err.status === 408 || err.status === 429 || err.status >= 500;
}

async function putWithRetry(
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: (loaded: number) => void,
  signal: AbortSignal,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await putBlob(url, headers, body, onProgress, signal);
      return;
    } catch (err) {
      const retryable = err instanceof ApiError && (err.status === 0 || err.status >= 500 || err.status === 429);
      if (signal.aborted || attempt >= 3 || !retryable) throw err;
      onProgress(0);
      await sleep(1000 * attempt, signal);
    }
  }
}

// Headers XHR may not set (the browser computes them); sending them only logs warnings.
const FORBIDDEN_HEADERS = new Set(['content-length', 'host', 'connection', 'expect', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'origin', 'referer', 'cookie', 'date']);

/** PUT with XMLHttpRequest, for its upload progress events (fetch has none). */
function putBlob(
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: (loaded: number) => void,
  signal: AbortSignal,
): Promise<{ etag: string | null }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) {
      if (!FORBIDDEN_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (ev) => onProgress(ev.loaded);
    const onAbort = () => xhr.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = () => signal.removeEventListener('abort', onAbort);
    xhr.onload = () => {
      finish();
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(body.size);
        resolve({ etag: xhr.getResponseHeader('ETag') });
      } else {
        reject(errorFromXhr(xhr));
      }
    };
    xhr.onerror = () => {
      finish();
      reject(new ApiError(0, 'network_error', NETWORK_ERROR_MESSAGE));
    };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => {
      finish();
      reject(abortError());
    };
    xhr.send(body);
  });
}

function errorFromXhr(xhr: XMLHttpRequest): ApiError {
  try {
    const body = JSON.parse(xhr.responseText) as { error?: { code?: string; message?: string } };
    if (body.error?.message) return new ApiError(xhr.status, body.error.code ?? 'http_error', body.error.message);
  } catch {
    // S3 answers XML; fall through
  }
  return new ApiError(xhr.status, 'http_error', `Storage refused the upload: ${fallbackMessage(xhr.status, xhr.statusText)}`);
}

function abortError(): DOMException {
  return new DOMException('The upload was cancelled.', 'AbortError');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---------------------------------------------------------------------------
// Processing progress: `GET /api/v1/videos/{id}/events` as Server-Sent Events,
// read with fetch() because EventSource cannot send the Authorization header.

export interface SseEvent {
  event: string;
  data: string;
}

/** Parses a text/event-stream body (WHATWG HTML § 9.2) into events. */
export async function* readSse(body: ReadableStream<Uint8Array>, onRetry?: (ms: number) => void): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buffer);
        if (!m) break;
        // A lone CR at the very end may be the first half of CRLF: wait for more.
        if (m[0] === '\r' && m.index === buffer.length - 1 && !done) break;
        const line = buffer.slice(0, m.index);
        buffer = buffer.slice(m.index + m[0].length);
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'retry' && /^\d+$/.test(value)) onRetry?.(Number(value));
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

function isFinal(v: VideoView): boolean {
  return v.status === 'ready' || v.status === 'failed';
}

/**
 * Follows a video until it is ready or failed, calling `onUpdate` with every
 * state. Reconnects when the stream drops; falls back to polling where a
 * response body can't be streamed.
 */
export async function followProcessing(videoId: string, onUpdate: (v: VideoView) => void, signal: AbortSignal): Promise<VideoView> {
  let retryMs = 2000;
  let failures = 0;
  for (;;) {
    try {
      const res = await fetch(`/api/v1/videos/${encodeURIComponent(videoId)}/events`, {
        headers: { accept: 'text/event-stream', ...authHeaders('required') },
        cache: 'no-store',
        signal,
      });
      if (!res.ok) {
        const err = await errorFromResponse(res);
        if (res.status === 401) session.clear();
        throw err;
      }
      if (!res.body) return await pollProcessing(videoId, onUpdate, signal);
      for await (const ev of readSse(res.body, (ms) => (retryMs = ms))) {
        if (ev.event === 'status') {
          const view = JSON.parse(ev.data) as VideoView;
          failures = 0;
          onUpdate(view);
          if (isFinal(view)) return view;
        } else if (ev.event === 'gone') {
          throw new ApiError(404, 'video_not_found', 'This video is no longer available.');
        }
      }
      failures++; // the stream ended early (server restart, proxy timeout): reconnect
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) throw err;
      failures++;
      if (failures > 10) throw err;
    }
    await sleep(Math.min(retryMs * failures, 15_000), signal);
  }
}

async function pollProcessing(videoId: string, onUpdate: (v: VideoView) => void, signal: AbortSignal): Promise<VideoView> {
  for (;;) {
    const view = await endpoints.video(videoId);
    onUpdate(view);
    if (isFinal(view)) return view;
    await sleep(2000, signal);
  }
}
