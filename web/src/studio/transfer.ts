/**
 * Low-level pieces of sending a file and following its processing: a PUT with
 * upload progress, waiting for the network to come back, and a reader for
 * Server-Sent Events (fetched, because EventSource can't send a bearer token).
 */
import { ApiError, fallbackMessage, NETWORK_ERROR_MESSAGE } from '../api.js';

// Headers XHR may not set (the browser computes them); sending them only logs warnings.
const FORBIDDEN_HEADERS = new Set([
  'content-length',
  'host',
  'connection',
  'expect',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'origin',
  'referer',
  'cookie',
  'date',
]);

export function abortError(message = 'The upload was cancelled.'): DOMException {
  return new DOMException(message, 'AbortError');
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** An error a retry can fix: the network, the server having a moment, an expired signed URL. */
export function isTransient(err: unknown): boolean {
  if (err instanceof TypeError) return true; // fetch() on a network failure
  if (!(err instanceof ApiError)) return false;
  // 409 upload_in_progress: an earlier try of this very PUT (a stalled connection) still holds the URL until storage cuts it.
  if (err.code === 'upload_in_progress') return true;
  return err.status === 0 || err.status === 403 || err.status === 408 || err.status === 429 || err.status >= 500;
}

/** PUT with XMLHttpRequest, for its upload progress events (fetch has none). */
export function putBlob(
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: (loaded: number) => void,
  signal: AbortSignal,
): Promise<{ etag: string | null }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : abortError());
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
      // The signal's reason says why (cancelled, or the connection went away).
      reject(signal.reason instanceof Error ? signal.reason : abortError());
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

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

/**
 * True only when the browser says it is offline: `onLine` is missing outside
 * browsers, and there an unknown state must not read as offline.
 */
export function knownOffline(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare -- `onLine` may be undefined at run time
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

/**
 * Waits before trying again: until the browser says it is back online when it
 * knows it is offline, otherwise `ms` (cut short by an `online` event).
 */
export function waitForNetwork(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const onOnline = () => {
      cleanup();
      resolve();
    };
    const onAbort = () => {
      cleanup();
      reject(abortError());
    };
    // navigator.onLine can be wrong in the hopeful direction only; still look again now and then.
    const timer = setTimeout(onOnline, knownOffline() ? Math.max(ms, 30_000) : ms);
    const cleanup = () => {
      clearTimeout(timer);
      window.removeEventListener('online', onOnline);
      signal.removeEventListener('abort', onAbort);
    };
    window.addEventListener('online', onOnline);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

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
