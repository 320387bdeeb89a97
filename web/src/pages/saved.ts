import { endpoints, messageOf, session } from '../api.js';
import type { AppContext } from '../context.js';
import { h, icon, toast } from '../dom.js';
import type { Page, VideoView } from '../types.js';
import { errorState, gridItem, pageHeader } from './common.js';
import './viewer.css';

/**
 * A paged poster grid whose items can be removed in place: Saved (each
 * poster has an "unsave" button). Loads the next page when its end comes
 * into view; when the last item goes, the empty state shows.
 */
export class RemovableGrid {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly more: HTMLElement;
  private cursor: string | null = null;
  private done = false;
  private busy = false;
  private readonly io: IntersectionObserver;

  constructor(
    private readonly load: (cursor: string | null) => Promise<Page<VideoView>>,
    private readonly decorate: (li: HTMLElement, v: VideoView, remove: () => void) => void,
    private readonly empty: () => HTMLElement,
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
        const li = gridItem(v);
        this.decorate(li, v, () => {
          li.remove();
          this.checkEmpty();
        });
        this.grid.append(li);
      }
      this.cursor = page.nextCursor;
      this.done = !page.nextCursor;
      this.more.replaceChildren();
      this.checkEmpty();
    } catch (err) {
      this.more.replaceChildren(errorState(err, () => void this.next()));
    } finally {
      this.busy = false;
    }
  }

  private checkEmpty(): void {
    if (this.done && this.grid.childElementCount === 0) this.more.replaceChildren(this.empty());
  }
}

/** `/saved`: the videos the viewer bookmarked, newest first; the bookmark button on each removes it. */
export function mountSaved(host: HTMLElement, ctx: AppContext): () => void {
  document.title = 'Saved · Curta';
  const body = h('div', { class: 'page-body' });
  host.append(h('section', { class: 'page', attrs: { 'data-testid': 'saved-page' } }, pageHeader(ctx, 'Saved'), body));
  let grid: RemovableGrid | null = null;

  const emptyState = () => {
    const browse = h('a', { class: 'btn btn-primary', attrs: { href: '/', 'data-testid': 'saved-browse' } }, 'Find videos to save');
    return h(
      'div',
      { class: 'page-empty', attrs: { 'data-testid': 'saved-empty' } },
      icon('bookmark', 'icon'),
      h('h2', {}, 'No saved videos yet'),
      h('p', {}, 'Tap the bookmark on any video to keep it here. Only you can see what you save.'),
      browse,
    );
  };

  const render = () => {
    grid?.destroy();
    grid = null;
    if (!session.user) {
      const login = h('button', { class: 'btn btn-primary', attrs: { type: 'button', 'data-testid': 'saved-login' } }, 'Log in');
      login.addEventListener('click', () => ctx.requireLogin(render, 'Log in to see the videos you saved.'));
      body.replaceChildren(
        h('div', { class: 'page-empty' }, h('h2', {}, 'Your saved videos'), h('p', {}, 'Log in to see the videos you saved.'), login),
      );
      return;
    }
    grid = new RemovableGrid(
      (cursor) => endpoints.bookmarks(cursor),
      (li, v, remove) => {
        li.classList.add('saved-item');
        const label = v.caption ? v.caption.slice(0, 60) : `video by @${v.author.username}`;
        const unsave = h(
          'button',
          {
            class: 'unsave-btn',
            attrs: { type: 'button', 'aria-label': `Remove from Saved: ${label}`, title: 'Remove from Saved', 'data-testid': 'unsave' },
          },
          icon('bookmark', 'icon icon-fill'),
        );
        unsave.addEventListener('click', () => {
          unsave.disabled = true;
          li.classList.add('is-busy');
          endpoints.bookmark(v.id, false).then(
            () => {
              remove();
              toast('Removed from Saved');
            },
            (err: unknown) => {
              unsave.disabled = false;
              li.classList.remove('is-busy');
              toast(messageOf(err), 'error');
            },
          );
        });
        li.append(unsave);
      },
      emptyState,
    );
    body.replaceChildren(grid.el);
    void grid.next();
  };

  render();
  const unsubscribe = session.subscribe(() => render());
  return () => {
    grid?.destroy();
    unsubscribe();
  };
}
