import { endpoints } from '../api.js';
import { compactCount } from '../caption.js';
import type { AppContext } from '../context.js';
import { h, icon, setText } from '../dom.js';
import type { Route } from '../router.js';
import type { Schemas } from '../api.js';
import { formatContext } from '../grid-context.js';
import { avatarEl, errorState, gridItem, pageHeader, VideoGrid } from './common.js';
import './viewer.css';

/** How long typing pauses before suggestions are asked for. */
const SUGGEST_DEBOUNCE_MS = 180;

/**
 * `/search?q=` (people, hashtags, videos) and `/tag/{tag}` (a hashtag's
 * videos). Before anything is typed, search shows trending hashtags and
 * creators; while typing, it suggests people and hashtags.
 */
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
  const suggester = new Suggestions(input, ctx);
  const results = h('div', { class: 'search-results', attrs: { 'aria-live': 'polite', 'data-testid': 'search-results' } });
  host.append(
    h(
      'section',
      { class: 'page', attrs: { 'data-testid': 'search-page' } },
      pageHeader(ctx, 'Search'),
      h('div', { class: 'page-body' }, h('div', { class: 'search-box' }, form, suggester.list), results),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    suggester.hide();
    const q = input.value.trim();
    if (q) ctx.navigate(`/search?q=${encodeURIComponent(q)}`, { replace: true });
  });
  let gone = false;
  if (!route.q) {
    setTimeout(() => input.focus(), 0);
    const explore = () => {
      results.replaceChildren(h('div', { class: 'spinner page-spinner', attrs: { 'aria-hidden': 'true' } }));
      endpoints.searchTrending(12).then(
        (r) => {
          if (!gone) results.replaceChildren(exploreView(r));
        },
        (err: unknown) => {
          if (!gone) results.replaceChildren(errorState(err, explore));
        },
      );
    };
    explore();
    return () => {
      gone = true;
      suggester.destroy();
    };
  }

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
    suggester.destroy();
  };
}

/** Search before typing: trending hashtags and creators (or, on an empty instance, a way to start). */
function exploreView(r: Schemas['SearchTrending']): HTMLElement {
  if (r.hashtags.length === 0 && r.creators.length === 0) {
    return h(
      'div',
      { class: 'page-empty', attrs: { 'data-testid': 'explore-empty' } },
      h('h2', {}, 'Nothing to explore yet'),
      h('p', {}, 'Hashtags and creators show up here once people post videos.'),
      h('a', { class: 'btn btn-primary', attrs: { href: '/upload' } }, 'Upload the first video'),
    );
  }
  const sections: HTMLElement[] = [];
  if (r.hashtags.length) {
    sections.push(
      h(
        'section',
        { class: 'result-section', attrs: { 'data-testid': 'trending-tags' } },
        h('h2', {}, 'Trending hashtags'),
        h(
          'ul',
          { class: 'chips' },
          ...r.hashtags.map((t) =>
            h(
              'li',
              {},
              h(
                'a',
                { class: 'chip', attrs: { href: `/tag/${encodeURIComponent(t.tag)}`, 'data-testid': 'trending-tag' } },
                `#${t.tag}`,
                h('span', { class: 'muted' }, ` ${compactCount(t.videos)}`),
              ),
            ),
          ),
        ),
      ),
    );
  }
  if (r.creators.length) {
    sections.push(
      h(
        'section',
        { class: 'result-section', attrs: { 'data-testid': 'trending-creators' } },
        h('h2', {}, 'Creators'),
        h(
          'ul',
          { class: 'creators' },
          ...r.creators.map((c) =>
            h(
              'li',
              {},
              h(
                'a',
                { class: 'creator', attrs: { href: `/@${encodeURIComponent(c.username)}`, 'data-testid': 'trending-creator' } },
                avatarEl(c, 56),
                h('strong', { attrs: { dir: 'auto' } }, c.displayName || c.username),
                h('span', { class: 'muted' }, `@${c.username}`),
                h('span', { class: 'muted' }, `${compactCount(c.followerCount)} ${c.followerCount === 1 ? 'follower' : 'followers'}`),
              ),
            ),
          ),
        ),
      ),
    );
  }
  return h('div', { class: 'explore' }, ...sections);
}

/**
 * Suggestions as you type (a combobox's listbox): people and hashtags whose
 * names start with the text, asked for once typing pauses, the previous
 * question cancelled. Arrow keys move through them, Enter opens one, Escape
 * closes the list; a suggestion is a link, so a click or tap opens it.
 */
class Suggestions {
  readonly list: HTMLUListElement;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: AbortController | null = null;
  private items: HTMLLIElement[] = [];
  private active = -1;
  private lastAsked = '';

  constructor(
    private readonly input: HTMLInputElement,
    private readonly ctx: AppContext,
  ) {
    this.list = h('ul', {
      class: 'suggest-list',
      attrs: { id: 'search-suggestions', role: 'listbox', 'aria-label': 'Suggestions', hidden: true, 'data-testid': 'suggestions' },
    });
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', 'search-suggestions');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('autocomplete', 'off');
    input.addEventListener('input', this.onInput);
    input.addEventListener('keydown', this.onKey);
    input.addEventListener('focusout', this.onFocusOut);
    this.list.addEventListener('focusout', this.onFocusOut);
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.inflight?.abort();
  }

  hide(): void {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    this.active = -1;
  }

  private readonly onInput = () => {
    if (this.timer) clearTimeout(this.timer);
    const q = this.input.value.trim();
    if (!q) {
      this.inflight?.abort();
      this.lastAsked = '';
      this.hide();
      return;
    }
    this.timer = setTimeout(() => void this.ask(q), SUGGEST_DEBOUNCE_MS);
  };

  private async ask(q: string): Promise<void> {
    if (q === this.lastAsked && !this.list.hidden) return;
    this.lastAsked = q;
    this.inflight?.abort();
    const ctl = new AbortController();
    this.inflight = ctl;
    try {
      const r = await endpoints.suggest(q, ctl.signal, 5);
      if (ctl.signal.aborted || this.input.value.trim() !== q) return;
      this.render(r);
    } catch {
      // Suggestions are a help, not the search: offline or rate-limited, the list just stays away.
      if (!ctl.signal.aborted) this.hide();
    }
  }

  private render(r: Schemas['SearchSuggestions']): void {
    const item = (i: number, href: string, testId: string, ...children: Array<Node | string>) => {
      const a = h('a', { attrs: { href, tabindex: -1, 'data-testid': testId } }, ...children);
      return h('li', { class: 'suggest-item', attrs: { id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false' } }, a);
    };
    let i = 0;
    this.items = [
      ...r.users.map((u) =>
        item(
          i++,
          `/@${encodeURIComponent(u.username)}`,
          'suggest-user',
          avatarEl(u, 32),
          h(
            'span',
            { class: 'person-names' },
            h('strong', { attrs: { dir: 'auto' } }, u.displayName || u.username),
            h('span', { class: 'muted' }, `@${u.username}`),
          ),
        ),
      ),
      ...r.hashtags.map((t) =>
        item(
          i++,
          `/tag/${encodeURIComponent(t.tag)}`,
          'suggest-tag',
          h('span', { class: 'suggest-tag-mark', attrs: { 'aria-hidden': 'true' } }, '#'),
          h('strong', {}, `#${t.tag}`),
          h('span', { class: 'muted' }, `${compactCount(t.videos)} ${t.videos === 1 ? 'video' : 'videos'}`),
        ),
      ),
    ];
    this.active = -1;
    this.input.removeAttribute('aria-activedescendant');
    if (this.items.length === 0) {
      const none = h('li', { class: 'suggest-item muted', attrs: { role: 'option', 'aria-disabled': 'true' } });
      setText(none, `Press Enter to search for “${r.query}”`);
      this.list.replaceChildren(none);
    } else {
      this.list.replaceChildren(...this.items);
    }
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  private readonly onKey = (ev: KeyboardEvent) => {
    if (this.list.hidden) return;
    if (ev.key === 'Escape') {
      this.hide();
      ev.preventDefault();
      ev.stopPropagation();
      return;
    }
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (this.items.length === 0) return;
      const n = this.items.length;
      this.active = ev.key === 'ArrowDown' ? (this.active + 1) % n : (this.active - 1 + n) % n;
      this.items.forEach((li, j) => {
        li.classList.toggle('is-active', j === this.active);
        li.setAttribute('aria-selected', String(j === this.active));
      });
      this.input.setAttribute('aria-activedescendant', `suggestion-${this.active}`);
      ev.preventDefault();
      return;
    }
    if (ev.key === 'Enter' && this.active >= 0) {
      const href = this.items[this.active]?.querySelector('a')?.getAttribute('href');
      if (href) {
        ev.preventDefault();
        this.hide();
        this.ctx.navigate(href);
      }
    }
  };

  private readonly onFocusOut = (ev: FocusEvent) => {
    const to = ev.relatedTarget as Node | null;
    if (to && (to === this.input || this.list.contains(to))) return;
    this.hide();
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
