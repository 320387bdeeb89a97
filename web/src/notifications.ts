/**
 * Notifications on the page: the inbox endpoints, and one live stream per
 * signed-in tab (`GET /api/v1/me/notifications/stream`, read with fetch so
 * the bearer token travels in a header) that keeps the bell's badge and an
 * open inbox current. A lazy chunk: the feed's first load does not carry it.
 */
import { apiErrorOf, authHeaders, call, session, type Schemas } from './api.js';
import { client } from './api/client.js';

export type NotificationView = Schemas['Notification'];
export type NotificationType = NotificationView['type'];

/** What each type is called in settings, in the server's order. */
export const TYPE_LABELS: Record<NotificationType, string> = {
  like: 'Likes on your videos',
  comment: 'Comments on your videos',
  reply: 'Replies to your comments',
  mention: 'Mentions of you',
  follow: 'New followers',
  video_ready: 'Your video is ready',
  video_failed: 'Your video could not be processed',
  restore_failed: 'Your archived video could not be restored',
};

export const notificationsApi = {
  list: (cursor?: string | null, limit = 20) =>
    call('required', (headers) =>
      client.GET('/api/v1/me/notifications', { params: { query: cursor ? { limit, cursor } : { limit } }, headers }),
    ),
  unread: () => call('required', (headers) => client.GET('/api/v1/me/notifications/unread-count', { headers })),
  markRead: (id: string) =>
    call('required', (headers) => client.POST('/api/v1/me/notifications/{id}/read', { params: { path: { id } }, headers })),
  markAllRead: () => call('required', (headers) => client.POST('/api/v1/me/notifications/read-all', { headers })),
  settings: () => call('required', (headers) => client.GET('/api/v1/me/notification-settings', { headers })),
  updateSettings: (muted: NotificationType[]) =>
    call('required', (headers) => client.PUT('/api/v1/me/notification-settings', { body: { muted }, headers })),
};

/** Where a notification leads: the person for a follow, the video's comments for a comment, else the video. */
export function notificationHref(n: NotificationView): string {
  if (n.type === 'follow' && n.actors[0]) return `/@${encodeURIComponent(n.actors[0].username)}`;
  if (n.video) return `/v/${encodeURIComponent(n.video.id)}${n.comment ? '?comments' : ''}`;
  return '/inbox';
}

interface SseEvent {
  event: string;
  data: string;
}

/** The events of an SSE body, as they arrive. */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length > 0) yield { event, data: data.join('\n') };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

type Listener = { unread?: (n: number) => void; notification?: (n: NotificationView) => void };

/**
 * The tab's live connection while someone is signed in: reconnects through
 * drops (backing off, waiting for the network), stops on sign-out.
 */
export class NotificationLive {
  private readonly listeners = new Set<Listener>();
  private controller: AbortController | null = null;
  private userId: string | null = null;
  unread = 0;

  /** Follows whoever is signed in now (call on every session change). */
  sync(): void {
    const id = session.user?.id ?? null;
    if (id === this.userId) return;
    this.stop();
    this.userId = id;
    this.setUnread(0);
    if (id) this.start();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** A count learned outside the stream (an inbox that marked everything read). */
  setUnread(n: number): void {
    this.unread = n;
    for (const l of this.listeners) l.unread?.(n);
  }

  private stop(): void {
    this.controller?.abort();
    this.controller = null;
  }

  private start(): void {
    const controller = new AbortController();
    this.controller = controller;
    void this.run(controller.signal);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let waitMs = 2000;
      try {
        const {
          data: body,
          error,
          response,
        } = await client.GET('/api/v1/me/notifications/stream', {
          parseAs: 'stream',
          headers: { accept: 'text/event-stream', ...authHeaders('required') },
          cache: 'no-store',
          signal,
        });
        if (!response.ok) {
          if (response.status === 401) {
            session.clear();
            return;
          }
          const retry = Number(response.headers.get('retry-after'));
          if (retry > 0) waitMs = retry * 1000;
          throw apiErrorOf(response, error);
        }
        if (!body) return;
        for await (const ev of readEvents(body)) {
          failures = 0;
          if (ev.event === 'unread') this.setUnread((JSON.parse(ev.data) as { unread: number }).unread);
          else if (ev.event === 'notification') {
            const n = JSON.parse(ev.data) as NotificationView;
            for (const l of this.listeners) l.notification?.(n);
          }
        }
      } catch {
        if (signal.aborted) return;
      }
      failures++;
      await sleep(Math.min(waitMs * failures, 30_000), signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, navigator.onLine ? ms : Math.max(ms, 5000));
    signal.addEventListener('abort', done);
  });
}

/** The one live connection of this tab. */
export const live = new NotificationLive();
