/**
 * An archived (or restoring) video where a video would play: its slide on
 * the video's page and in a grid's feed. It shows the poster (the slide
 * behind it) with "Archived — restoring, ready in about …"; when the viewer
 * opens it (the slide becomes current) it asks for a restore (one per video
 * on the server: a second request joins the first), follows the video's
 * status stream for the phase and the estimate, and hands the ready video
 * back so the feed can start playing it. A 429 restore_rate_limited (a
 * viewer's or an address's restores per hour) says when to try again and
 * tries by itself then, while the video is still on screen.
 */
import './archive.css';
import { ApiError, apiErrorOf, authHeaders, deviceId, messageOf, session } from '../api.js';
import { client } from '../api/client.js';
import { h, icon, setText } from '../dom.js';
import { readSse } from '../studio/transfer.js';
import type { VideoView } from '../types.js';
import { archiveHeadline, archiveOf, phaseWords, retryAfterSec, waitWords } from './archive-model.js';

export { archiveOf } from './archive-model.js';

/** Starts (or joins) the restore of a video. `retryAfterSec` is set on a 429. */
export async function requestRestore(videoId: string): Promise<VideoView> {
  const headers = { accept: 'application/json', 'x-device-id': deviceId(), ...authHeaders('optional') };
  const { data, error, response } = await client.POST('/api/v1/videos/{id}/restore', { params: { path: { id: videoId } }, headers });
  if (response.ok && data) return data;
  const err = apiErrorOf(response, error);
  if (response.status === 429)
    (err as ApiError & { retryAfterSec?: number }).retryAfterSec = retryAfterSec(response.headers.get('retry-after'), Date.now());
  throw err;
}

export interface ArchivedVideo {
  el: HTMLElement;
  /** The viewer opened it (its slide is current): restore, follow. */
  activate(): void;
  /** Another slide is current: stop following (the restore goes on). */
  deactivate(): void;
  destroy(): void;
}

const TICK_MS = 15_000;

export function archivedVideo(initial: VideoView, onReady: (view: VideoView) => void): ArchivedVideo {
  let view = initial;
  let active = false;
  let gone = false;
  let requested = false;
  let stream: AbortController | null = null;
  let tick: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const headline = h('p', { class: 'arc-headline', attrs: { 'data-testid': 'archive-headline' } });
  const detail = h('p', { class: 'arc-detail', attrs: { 'data-testid': 'archive-detail' } });
  const again = h(
    'button',
    { class: 'btn btn-small arc-retry', attrs: { type: 'button', hidden: true, 'data-testid': 'archive-retry' } },
    'Try again',
  );
  const el = h(
    'div',
    { class: 'arc-card', attrs: { role: 'status', 'aria-live': 'polite', 'data-testid': 'archive-state' } },
    h('span', { class: 'arc-icon', attrs: { 'aria-hidden': 'true' } }, icon('refresh', 'icon')),
    headline,
    detail,
    again,
  );
  again.addEventListener('click', () => {
    again.hidden = true;
    requested = false;
    void start();
  });

  const render = () => {
    const a = archiveOf(view);
    el.dataset.status = view.status;
    el.dataset.phase = a?.restore?.phase ?? '';
    if (!el.dataset.limited) setText(headline, archiveHeadline(view, Date.now()));
    if (view.status === 'restoring') setText(detail, `${phaseWords(a?.restore?.phase)} It starts playing here when it is ready.`);
    else if (!requested) setText(detail, 'This video was moved to cold storage because nobody had watched it for a while.');
  };

  const problem = (text: string, canRetry: boolean) => {
    setText(detail, text);
    again.hidden = !canRetry;
  };

  /** Asks for the restore once per activation while archived, then follows the stream. */
  async function start(): Promise<void> {
    if (gone || !active) return;
    if (view.status === 'archived' && !requested) {
      requested = true;
      setText(detail, 'Asking for it back…');
      try {
        view = await requestRestore(view.id);
        if (gone) return;
        render();
      } catch (err) {
        if (gone) return;
        if (err instanceof ApiError && err.status === 429) {
          const wait = (err as ApiError & { retryAfterSec?: number }).retryAfterSec ?? 60;
          el.dataset.limited = 'true';
          setText(headline, `Archived — can be restored in about ${waitWords(wait)}`);
          problem('Lots of archived videos were opened from here lately; this page tries again by itself then.', false);
          clearTimeout(retry);
          retry = setTimeout(() => {
            delete el.dataset.limited;
            requested = false;
            void start();
          }, wait * 1000);
          return;
        }
        if (err instanceof ApiError && err.code === 'not_archived') {
          // Restored (or restoring) already: the stream says which.
        } else {
          requested = false;
          problem(`Couldn't start the restore: ${messageOf(err)}`, true);
          return;
        }
      }
    }
    follow();
  }

  /** The status stream: phases and estimates, then ready. Reconnects after a drop while active. */
  function follow(): void {
    if (stream || gone || !active) return;
    const controller = new AbortController();
    stream = controller;
    void (async () => {
      let failures = 0;
      while (!controller.signal.aborted) {
        try {
          const { data, error, response } = await client.GET('/api/v1/videos/{id}/events', {
            params: { path: { id: view.id } },
            parseAs: 'stream',
            headers: { accept: 'text/event-stream', ...authHeaders('optional') },
            cache: 'no-store',
            signal: controller.signal,
          });
          if (!response.ok) {
            if (response.status === 401) session.clear();
            throw apiErrorOf(response, error);
          }
          if (!data) throw new ApiError(0, 'no_stream', 'No event stream.');
          for await (const ev of readSse(data)) {
            if (ev.event === 'gone') {
              problem('This video is no longer available.', false);
              return;
            }
            if (ev.event !== 'status') continue;
            failures = 0;
            const next = JSON.parse(ev.data) as VideoView;
            const failedBack = view.status === 'restoring' && next.status === 'archived';
            view = next;
            if (next.status === 'ready') {
              el.dataset.status = 'ready';
              setText(headline, 'Restored');
              setText(detail, 'Starting playback…');
              onReady(next);
              return;
            }
            render();
            if (failedBack) {
              requested = false;
              problem("The restore didn't finish. Try again in a moment.", true);
            }
          }
        } catch (err) {
          if (controller.signal.aborted) return;
          if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
            problem('This video is no longer available.', false);
            return;
          }
        }
        failures++;
        await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** Math.min(failures, 4), 15_000)));
      }
    })().finally(() => {
      if (stream === controller) stream = null;
    });
  }

  render();
  return {
    el,
    activate() {
      if (gone || active) return;
      active = true;
      clearInterval(tick);
      tick = setInterval(render, TICK_MS);
      void start();
    },
    deactivate() {
      active = false;
      clearInterval(tick);
      clearTimeout(retry);
      stream?.abort();
      stream = null;
    },
    destroy() {
      this.deactivate();
      gone = true;
      el.remove();
    },
  };
}
