import { ApiError, messageOf } from '../api.js';
import { compactCount } from '../caption.js';
import type { AppContext } from '../context.js';
import { h, icon } from '../dom.js';
import { videoHref } from '../grid-context.js';
import type { Page, VideoView } from '../types.js';

/** A page's header: back (history, or home when this is the first page), title, optional actions. */
export function pageHeader(ctx: AppContext, title: string, ...actions: Array<Node | null>): HTMLElement {
  const back = h('button', { class: 'round-btn', attrs: { type: 'button', 'aria-label': 'Back', 'data-testid': 'back' } }, icon('back'));
  back.addEventListener('click', () => {
    // Pages this app pushed carry a state; a page opened directly has nowhere in-app to go back to.
    if ((history.state as { curta?: boolean } | null)?.curta) history.back();
    else ctx.navigate('/');
  });
  return h(
    'header',
    { class: 'page-head' },
    back,
    h('h1', { class: 'page-title', attrs: { tabindex: -1 } }, title),
    h('div', { class: 'page-actions' }, ...actions),
  );
}

/** Whether `err` is the network being away (fetch and import() reject with a TypeError), not an answer. */
export function isOffline(err: unknown): boolean {
  return !navigator.onLine || err instanceof TypeError || (err instanceof ApiError && err.status === 0);
}

/**
 * What a page shows when what it needs could not be had: offline (or the
 * server out of reach) or another failure, in words, with a way to try again.
 * `page`: it stands for the whole page (its heading is the page's h1).
 */
export function errorState(err: unknown, retry: () => void, opts: { page?: boolean } = {}): HTMLElement {
  const offline = isOffline(err);
  const again = h('button', { class: 'btn btn-primary', attrs: { type: 'button', 'data-testid': 'retry' } }, icon('refresh'), 'Try again');
  again.addEventListener('click', retry);
  return h(
    'div',
    {
      class: opts.page ? 'page page-empty error-state' : 'page-empty error-state',
      attrs: { role: 'alert', 'data-testid': 'error-state', 'data-offline': String(offline) },
    },
    h(opts.page ? 'h1' : 'h2', { attrs: { tabindex: -1 } }, offline ? "You're offline" : "Couldn't load this"),
    h('p', {}, offline ? 'Check your connection, then try again.' : messageOf(err)),
    again,
    // A whole page that failed has no header of its own to leave by.
    opts.page ? h('a', { class: 'btn', attrs: { href: '/' } }, 'Back to For You') : null,
  );
}

/** A user's avatar, or their initial on a coloured disc. */
export function avatarEl(user: { username: string; avatarUrl: string | null }, size: number, cls = ''): HTMLElement {
  if (user.avatarUrl) {
    return h('img', { class: `avatar ${cls}`, attrs: { src: user.avatarUrl, alt: '', width: size, height: size, loading: 'lazy' } });
  }
  const el = h('span', { class: `avatar ${cls}`, attrs: { 'aria-hidden': 'true' } }, user.username.slice(0, 1).toUpperCase());
  el.style.width = el.style.height = `${size}px`;
  el.style.fontSize = `${Math.round(size * 0.42)}px`;
  return el;
}

/**
 * A grid of video posters (fixed 9:16 boxes, so nothing moves as images
 * arrive), paged with "load more" when the end comes into view. `decorate`
 * may add controls to each item, with a `remove()` that takes it out in place
 * (Saved's "unsave"); when the last one goes, the empty state shows.
 */
export class VideoGrid {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly more: HTMLElement;
  private cursor: string | null = null;
  private done = false;
  private busy = false;
  private readonly io: IntersectionObserver;

  constructor(
    private readonly load: (cursor: string | null) => Promise<Page<VideoView>>,
    /** What an empty grid says: a line of text, or a whole empty state. */
    private readonly empty: string | (() => HTMLElement),
    /** The grid its videos open in (grid-context.ts): the feed then swipes through this grid. */
    private readonly from?: string,
    private readonly decorate?: (li: HTMLElement, v: VideoView, remove: () => void) => void,
  ) {
    this.grid = h('ul', { class: 'grid', attrs: { 'data-testid': 'video-grid' } });
    this.more = h('div', { class: 'grid-more', attrs: { 'aria-live': 'polite' } });
    this.el = h('div', { class: 'grid-wrap' }, this.grid, this.more);
    this.io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void this.next();
      },
      { rootMargin: '400px' },
    );
    this.io.observe(this.more);
  }

  destroy(): void {
    this.io.disconnect();
  }

  async next(): Promise<void> {
    if (this.busy || this.done) return;
    this.busy = true;
    this.more.replaceChildren(h('div', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }));
    try {
      const page = await this.load(this.cursor);
      for (const v of page.items) {
        const li = gridItem(v, this.from);
        this.decorate?.(li, v, () => {
          li.remove();
          this.showEmpty();
        });
        this.grid.append(li);
      }
      this.cursor = page.nextCursor;
      this.done = !page.nextCursor;
      this.more.replaceChildren();
      this.showEmpty();
    } catch (err) {
      const retry = h('button', { class: 'btn', attrs: { type: 'button' } }, 'Try again');
      retry.addEventListener('click', () => void this.next());
      this.more.replaceChildren(h('p', { class: 'form-error', attrs: { role: 'alert' } }, messageOf(err)), retry);
    } finally {
      this.busy = false;
    }
  }

  private showEmpty(): void {
    if (!this.done || this.grid.childElementCount > 0) return;
    const empty = this.empty;
    this.more.replaceChildren(
      typeof empty === 'string' ? h('p', { class: 'muted', attrs: { 'data-testid': 'grid-empty' } }, empty) : empty(),
    );
  }
}

export function gridItem(v: VideoView, from?: string): HTMLElement {
  const poster = v.playback?.poster;
  const label = v.caption ? v.caption.slice(0, 80) : `Video by @${v.author.username}`;
  return h(
    'li',
    { class: 'grid-item' },
    h(
      'a',
      {
        class: 'grid-link',
        attrs: { href: videoHref(v.id, from), 'aria-label': label, 'data-testid': 'grid-video', 'data-video-id': v.id },
      },
      poster
        ? h('img', { class: 'grid-poster', attrs: { src: poster, alt: '', loading: 'lazy' } })
        : h('span', { class: 'grid-placeholder' }, v.status === 'ready' ? '' : v.status),
      v.stats ? h('span', { class: 'grid-views' }, icon('play', 'icon icon-fill'), compactCount(v.stats.views)) : null,
    ),
  );
}
