import { endpoints } from '../api.js';
import type { AppContext } from '../context.js';
import { h, icon } from '../dom.js';
import type { Route } from '../router.js';
import { formatContext } from '../grid-context.js';
import { avatarEl, errorState, gridItem, pageHeader, VideoGrid } from './common.js';

/** `/search?q=` (people, hashtags, videos) and `/tag/{tag}` (a hashtag's videos). */
export function mountDiscover(host: HTMLElement, ctx: AppContext, route: Route): () => void {
  if (route.name === 'tag') return mountTag(host, ctx, route.tag);
  if (route.name !== 'search') return () => undefined;
  document.title = route.q ? `${route.q} · Search · Curta` : 'Search · Curta';

  const input = h('input', {
    class: 'input',
    attrs: {
      type: 'search',
      name: 'q',
      placeholder: 'Search people, #hashtags, videos',
      'aria-label': 'Search',
      maxlength: 100,
      'data-testid': 'search-input',
      enterkeyhint: 'search',
    },
  });
  input.value = route.q;
  const form = h(
    'form',
    { class: 'search-form', attrs: { role: 'search' } },
    input,
    h('button', { class: 'btn btn-primary', attrs: { type: 'submit' } }, icon('search'), h('span', { class: 'visually-hidden' }, 'Search')),
  );
  const results = h('div', { class: 'search-results', attrs: { 'aria-live': 'polite', 'data-testid': 'search-results' } });
  host.append(
    h(
      'section',
      { class: 'page', attrs: { 'data-testid': 'search-page' } },
      pageHeader(ctx, 'Search'),
      h('div', { class: 'page-body' }, form, results),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (q) ctx.navigate(`/search?q=${encodeURIComponent(q)}`, { replace: true });
  });
  if (!route.q) {
    setTimeout(() => input.focus(), 0);
    return () => undefined;
  }

  let gone = false;
  const run = () => {
    results.replaceChildren(h('div', { class: 'spinner page-spinner', attrs: { 'aria-hidden': 'true' } }));
    endpoints.search(route.q).then(render, (err: unknown) => {
      // Offline or failed: say so, with a way to try again (never a blank page).
      if (!gone) results.replaceChildren(errorState(err, run));
    });
  };
  const render = (r: Awaited<ReturnType<typeof endpoints.search>>) => {
    if (gone) return;
    const sections: HTMLElement[] = [];
    if (r.users.length) {
      sections.push(
        h(
          'section',
          { class: 'result-section' },
          h('h2', {}, 'People'),
          h(
            'ul',
            { class: 'people' },
            ...r.users.map((u) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { class: 'person', attrs: { href: `/@${encodeURIComponent(u.username)}`, 'data-testid': 'search-user' } },
                  avatarEl(u, 44),
                  h(
                    'span',
                    { class: 'person-names' },
                    h('strong', { attrs: { dir: 'auto' } }, u.displayName || u.username),
                    h('span', { class: 'muted' }, `@${u.username}`),
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    }
    if (r.hashtags.length) {
      sections.push(
        h(
          'section',
          { class: 'result-section' },
          h('h2', {}, 'Hashtags'),
          h(
            'ul',
            { class: 'chips' },
            ...r.hashtags.map((t) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { class: 'chip', attrs: { href: `/tag/${encodeURIComponent(t.tag)}`, 'data-testid': 'search-tag' } },
                  `#${t.tag}`,
                  h('span', { class: 'muted' }, ` ${t.videos}`),
                ),
              ),
            ),
          ),
        ),
      );
    }
    if (r.videos.length) {
      sections.push(
        h(
          'section',
          { class: 'result-section' },
          h('h2', {}, 'Videos'),
          h(
            'ul',
            { class: 'grid', attrs: { 'data-testid': 'video-grid' } },
            ...r.videos.map((v) => gridItem(v, formatContext({ kind: 'search', q: route.q }))),
          ),
        ),
      );
    }
    results.replaceChildren(
      ...(sections.length
        ? sections
        : [h('p', { class: 'muted', attrs: { 'data-testid': 'search-empty' } }, `Nothing found for “${r.query}”.`)]),
    );
  };
  run();
  return () => {
    gone = true;
  };
}

function mountTag(host: HTMLElement, ctx: AppContext, tag: string): () => void {
  document.title = `#${tag} · Curta`;
  const grid = new VideoGrid(
    (cursor) => endpoints.hashtag(tag, cursor),
    `No videos with #${tag} yet.`,
    formatContext({ kind: 'tag', tag }),
  );
  host.append(
    h(
      'section',
      { class: 'page', attrs: { 'data-testid': 'tag-page' } },
      pageHeader(ctx, `#${tag}`),
      h('div', { class: 'page-body' }, grid.el),
    ),
  );
  void grid.next();
  return () => grid.destroy();
}
