/**
 * "Your videos" and the archive: an archived video says so (and since when),
 * a restoring one says when it will be back; Restore brings one back (the
 * owner is not held to the viewers' restore limit), Pin keeps a video out of
 * the archive sweep for good (Unpin lets the policy decide again).
 */
import { call, messageOf } from '../api.js';
import { client } from '../api/client.js';
import { h, setText, toast } from '../dom.js';
import type { VideoView } from '../types.js';
import { archiveOf, etaWords, phaseWords } from './archive-model.js';
import { requestRestore } from './archived-video.js';

export const archiveApi = {
  restore: requestRestore,
  pin: (videoId: string, on: boolean) =>
    call('required', (headers) =>
      on
        ? client.PUT('/api/v1/videos/{id}/archive-pin', { params: { path: { id: videoId } }, headers })
        : client.DELETE('/api/v1/videos/{id}/archive-pin', { params: { path: { id: videoId } }, headers }),
    ),
};

/** A line under the title of an archived or restoring video; null for others. */
export function archiveNote(v: VideoView): HTMLElement | null {
  const a = archiveOf(v);
  if (!a) return null;
  const since = a.archivedAt ? new Date(a.archivedAt).toLocaleDateString(undefined, { dateStyle: 'medium' }) : null;
  const text =
    v.status === 'restoring'
      ? `${phaseWords(a.restore?.phase)} ${etaWords(a.restore?.etaAt, Date.now()) ? `Back in ${etaWords(a.restore?.etaAt, Date.now())}.` : ''}`
      : `In cold storage${since ? ` since ${since}` : ''}: poster and details stay; it plays again after a restore.`;
  return h('p', { class: 'yv-archive-note', attrs: { 'data-testid': 'your-video-archive' } }, text.trim());
}

/** Restore (archived only) and Pin/Unpin (whenever the owner's view says whether it is pinned). */
export function archiveControls(v: VideoView, title: string, refresh: () => Promise<void>): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (v.status === 'archived') {
    const restore = h(
      'button',
      {
        class: 'btn btn-small btn-primary',
        attrs: { type: 'button', 'data-testid': 'your-video-restore', 'aria-label': `Restore “${title}”` },
      },
      'Restore',
    );
    restore.addEventListener('click', () => {
      restore.disabled = true;
      void archiveApi.restore(v.id).then(
        async () => {
          toast('Restoring. It plays again as soon as it is ready.');
          await refresh();
        },
        (err: unknown) => {
          restore.disabled = false;
          toast(messageOf(err), 'error');
        },
      );
    });
    out.push(restore);
  }
  if (typeof v.archivePinned === 'boolean') {
    const pinned = v.archivePinned;
    const pin = h(
      'button',
      {
        class: 'btn btn-small',
        attrs: {
          type: 'button',
          'data-testid': 'your-video-pin',
          'aria-pressed': String(pinned),
          title: pinned ? 'Let the archive policy move it to cold storage when nobody watches it' : 'Never move it to cold storage',
        },
      },
      pinned ? 'Unpin' : 'Pin',
    );
    pin.setAttribute('aria-label', pinned ? `Unpin “${title}” (allow archiving)` : `Pin “${title}” (never archive)`);
    pin.addEventListener('click', () => {
      pin.disabled = true;
      void archiveApi.pin(v.id, !pinned).then(
        async () => {
          toast(pinned ? 'Unpinned: it may be archived when nobody watches it.' : 'Pinned: it will never be archived.');
          await refresh();
        },
        (err: unknown) => {
          pin.disabled = false;
          toast(messageOf(err), 'error');
        },
      );
    });
    out.push(pin);
  }
  return out;
}

/** The badge text: when a restoring video will be back. */
export function archiveBadge(v: VideoView, el: HTMLElement): void {
  if (v.status !== 'restoring') return;
  const eta = etaWords(archiveOf(v)?.restore?.etaAt, Date.now());
  if (eta) setText(el, `Restoring · ${eta}`);
}
