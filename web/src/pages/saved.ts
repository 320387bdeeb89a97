import { endpoints, messageOf, session } from '../api.js';
import type { AppContext } from '../context.js';
import { h, icon, toast } from '../dom.js';
import { pageHeader, VideoGrid } from './common.js';
import './viewer.css';

/** `/saved`: the videos the viewer bookmarked, newest first; the bookmark button on each removes it. */
export function mountSaved(host: HTMLElement, ctx: AppContext): () => void {
  document.title = 'Saved · Curta';
  const body = h('div', { class: 'page-body' });
  host.append(h('section', { class: 'page', attrs: { 'data-testid': 'saved-page' } }, pageHeader(ctx, 'Saved'), body));
  let grid: VideoGrid | null = null;

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
    grid = new VideoGrid(
      (cursor) => endpoints.bookmarks(cursor),
      emptyState,
      undefined,
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
