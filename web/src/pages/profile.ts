import { closeOnBackdrop } from '../auth-panel.js';
import { ApiError, endpoints, messageOf, session } from '../api.js';
import { compactCount } from '../caption.js';
import type { AppContext } from '../context.js';
import { h, icon, setText, toast } from '../dom.js';
import type { Route } from '../router.js';
import type { FollowListItem, Profile } from '../types.js';
import { avatarEl, errorState, pageHeader, VideoGrid } from './common.js';
import { formatContext } from '../grid-context.js';
import './viewer.css';

/**
 * `/@username`: avatar, name, bio, counts (followers and following open
 * their lists), follow (or edit and saved for oneself), and a grid of their
 * videos, with a Liked tab beside it for oneself and, once they made their
 * likes public, for everyone.
 */
export function mountProfile(host: HTMLElement, ctx: AppContext, route: Route): () => void {
  if (route.name !== 'profile') return () => undefined;
  const username = route.username;
  document.title = `@${username} · Curta`;
  const body = h('div', { class: 'page-body' }, h('div', { class: 'spinner page-spinner', attrs: { 'aria-hidden': 'true' } }));
  const page = h(
    'section',
    { class: 'page', attrs: { 'data-testid': 'profile-page', 'aria-label': `@${username}` } },
    pageHeader(ctx, `@${username}`),
    body,
  );
  host.append(page);
  let grid: VideoGrid | null = null;
  let gone = false;

  void endpoints.profile(username).then(
    (profile) => {
      if (gone) return;
      document.title = `${profile.displayName || profile.username} (@${profile.username}) · Curta`;
      const own = session.user?.id === profile.id;
      const gridHost = h('div', { class: 'profile-grid', attrs: { role: 'tabpanel', id: 'profile-panel' } });
      const show = (tab: 'videos' | 'liked') => {
        grid?.destroy();
        if (tab === 'videos') {
          grid = new VideoGrid(
            (cursor) => endpoints.userVideos(profile.username, cursor),
            own ? 'Your videos will show up here.' : 'No videos yet.',
            formatContext({ kind: 'user', username: profile.username }),
          );
          gridHost.replaceChildren(grid.el);
        } else {
          grid = new VideoGrid(
            (cursor) => endpoints.likedVideos(profile.username, cursor),
            own ? 'Videos you like will show up here.' : `@${profile.username} hasn't liked any videos yet.`,
          );
          gridHost.replaceChildren(likedNote(profile, own), grid.el);
        }
        gridHost.dataset.tab = tab;
        void grid.next();
      };
      const tabs = own || profile.likedVideosPublic ? profileTabs(show, own && !profile.likedVideosPublic) : null;
      body.replaceChildren(profileHead(profile, ctx), ...(tabs ? [tabs] : []), gridHost);
      show('videos');
    },
    (err: unknown) => {
      if (gone) return;
      body.replaceChildren(h('div', { class: 'page-empty', attrs: { 'data-testid': 'not-found' } }, h('p', {}, messageOf(err))));
    },
  );
  return () => {
    gone = true;
    grid?.destroy();
  };
}

function profileHead(p: Profile, ctx: AppContext): HTMLElement {
  const own = session.user?.id === p.id;
  const followers = h('strong', { attrs: { 'data-testid': 'follower-count' } }, compactCount(p.followerCount));
  const stat = (value: Node | string, label: string) =>
    h('li', { class: 'stat' }, typeof value === 'string' ? h('strong', {}, value) : value, h('span', {}, label));
  /** A count that opens its list (who follows them, whom they follow). */
  const listStat = (value: Node | string, label: string, side: 'followers' | 'following') => {
    const btn = h(
      'button',
      {
        class: 'stat-btn',
        attrs: { type: 'button', 'data-testid': `open-${side}`, 'aria-haspopup': 'dialog', 'aria-label': `${label}: show the list` },
      },
      typeof value === 'string' ? h('strong', {}, value) : value,
      h('span', {}, label),
    );
    btn.addEventListener('click', () => openFollowList(p.username, side, ctx));
    return h('li', { class: 'stat' }, btn);
  };

  let action: HTMLElement;
  if (own) {
    action = h(
      'div',
      { class: 'profile-actions' },
      h('a', { class: 'btn', attrs: { href: '/settings', 'data-testid': 'edit-profile' } }, icon('settings'), 'Edit profile'),
      h('a', { class: 'btn', attrs: { href: '/saved', 'data-testid': 'profile-saved' } }, icon('bookmark'), 'Saved'),
    );
  } else {
    let follows = p.viewer?.follows ?? false;
    let count = p.followerCount;
    const btn = h('button', { class: 'btn btn-primary', attrs: { type: 'button', 'data-testid': 'profile-follow' } });
    const render = () => {
      setText(btn, follows ? 'Following' : 'Follow');
      btn.classList.toggle('btn-primary', !follows);
      btn.setAttribute('aria-pressed', String(follows));
      setText(followers, compactCount(count));
    };
    render();
    btn.addEventListener('click', () =>
      ctx.requireLogin(() => {
        const want = !follows;
        btn.disabled = true;
        endpoints
          .follow(p.username, want)
          .then((r) => {
            follows = r.following;
            count = r.followerCount;
            render();
          })
          .catch((err: unknown) => toast(messageOf(err), 'error'))
          .finally(() => (btn.disabled = false));
      }, `Log in to follow @${p.username}.`),
    );
    const more = h(
      'button',
      { class: 'btn', attrs: { type: 'button', 'aria-label': 'More: report or block', 'data-testid': 'profile-menu' } },
      icon('more'),
    );
    more.addEventListener('click', () => void import('../video-menu.js').then((m) => m.openUserMenu(p, ctx)));
    action = h(
      'div',
      { class: 'profile-actions' },
      p.viewer?.blocking ? h('p', { class: 'muted' }, 'You blocked this account.') : btn,
      more,
    );
  }

  return h(
    'div',
    { class: 'profile-head' },
    avatarEl(p, 96, 'avatar-lg'),
    h('h2', { class: 'profile-name', attrs: { dir: 'auto' } }, p.displayName || p.username),
    h('p', { class: 'profile-handle' }, `@${p.username}`),
    h(
      'ul',
      { class: 'stats', attrs: { 'aria-label': 'Counts' } },
      listStat(compactCount(p.followingCount), 'Following', 'following'),
      listStat(followers, 'Followers', 'followers'),
      stat(compactCount(p.likeCount), 'Likes'),
    ),
    action,
    p.bio ? h('p', { class: 'profile-bio', attrs: { dir: 'auto', 'data-testid': 'profile-bio' } }, p.bio) : null,
  );
}

/** "Videos" and "Liked" above the grid (a tab list: arrow keys move between them). */
function profileTabs(show: (tab: 'videos' | 'liked') => void, likedPrivate: boolean): HTMLElement {
  const tab = (name: 'videos' | 'liked', label: string, ...extra: Node[]) =>
    h(
      'button',
      {
        class: 'profile-tab',
        attrs: {
          type: 'button',
          role: 'tab',
          id: `profile-tab-${name}`,
          'aria-controls': 'profile-panel',
          'aria-selected': String(name === 'videos'),
          tabindex: name === 'videos' ? 0 : -1,
          'data-testid': `profile-tab-${name}`,
        },
      },
      ...extra,
      label,
    );
  const videos = tab('videos', 'Videos');
  const liked = tab('liked', 'Liked', icon('heart'));
  if (likedPrivate) liked.append(h('span', { class: 'visually-hidden' }, ' (only you can see them)'));
  const all = [videos, liked];
  const select = (btn: HTMLButtonElement, name: 'videos' | 'liked') => {
    if (btn.getAttribute('aria-selected') === 'true') return;
    for (const b of all) {
      b.setAttribute('aria-selected', String(b === btn));
      b.tabIndex = b === btn ? 0 : -1;
    }
    show(name);
  };
  videos.addEventListener('click', () => select(videos, 'videos'));
  liked.addEventListener('click', () => select(liked, 'liked'));
  const list = h('div', { class: 'profile-tabs', attrs: { role: 'tablist', 'aria-label': 'What to show' } }, videos, liked);
  list.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
    const next = document.activeElement === videos ? liked : videos;
    next.focus();
    next.click();
    ev.preventDefault();
  });
  return list;
}

/** What the Liked tab says above its grid: to its owner, who else can see it. */
function likedNote(p: Profile, own: boolean): HTMLElement | string {
  if (!own) return '';
  return p.likedVideosPublic
    ? h(
        'p',
        { class: 'tab-note', attrs: { 'data-testid': 'liked-note' } },
        'Everyone can see the videos you liked. ',
        h('a', { attrs: { href: '/settings#privacy' } }, 'Change'),
      )
    : h(
        'p',
        { class: 'tab-note', attrs: { 'data-testid': 'liked-note' } },
        'Only you can see the videos you liked. ',
        h('a', { attrs: { href: '/settings#privacy' } }, 'Show them on your profile'),
      );
}

/** A sheet listing who follows `username` (or whom they follow), a page at a time, with a follow button beside each. */
export function openFollowList(username: string, side: 'followers' | 'following', ctx: AppContext): void {
  const title = side === 'followers' ? 'Followers' : 'Following';
  const list = h('ul', { class: 'people', attrs: { 'data-testid': 'follow-list' } });
  const more = h('div', { class: 'grid-more', attrs: { 'aria-live': 'polite' } });
  const scroll = h('div', { class: 'follow-scroll' }, list, more);
  const close = h('button', { class: 'round-btn sheet-close', attrs: { type: 'button', 'aria-label': 'Close' } }, icon('close'));
  const dialog = h(
    'dialog',
    { class: 'sheet follow-sheet', attrs: { 'aria-labelledby': 'follow-title', 'data-testid': `${side}-sheet` } },
    h('div', { class: 'sheet-head' }, h('h2', { class: 'sheet-title', attrs: { id: 'follow-title' } }, `${title} · @${username}`), close),
    scroll,
  );
  let cursor: string | null = null;
  let done = false;
  let busy = false;
  let count = 0;
  const io = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) void next();
    },
    { root: scroll, rootMargin: '200px' },
  );
  const next = async (): Promise<void> => {
    if (busy || done) return;
    busy = true;
    more.replaceChildren(h('div', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }));
    try {
      const page = await endpoints.followList(username, side, cursor);
      for (const u of page.items) list.append(followRow(u, ctx));
      count += page.items.length;
      cursor = page.nextCursor;
      done = !cursor;
      more.replaceChildren(
        count === 0
          ? h(
              'p',
              { class: 'muted', attrs: { 'data-testid': 'follow-empty' } },
              side === 'followers' ? `Nobody follows @${username} yet.` : `@${username} doesn't follow anyone yet.`,
            )
          : '',
      );
    } catch (err) {
      more.replaceChildren(errorState(err, () => void next()));
    } finally {
      busy = false;
    }
  };
  close.addEventListener('click', () => dialog.close());
  closeOnBackdrop(dialog);
  dialog.addEventListener('close', () => {
    io.disconnect();
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
  io.observe(more);
  void next();
}

function followRow(u: FollowListItem, ctx: AppContext): HTMLElement {
  const person = h(
    'a',
    { class: 'person', attrs: { href: `/@${encodeURIComponent(u.username)}`, 'data-testid': 'follow-person' } },
    avatarEl(u, 40),
    h(
      'span',
      { class: 'person-names' },
      h('strong', { attrs: { dir: 'auto' } }, u.displayName || u.username),
      h('span', { class: 'muted' }, `@${u.username}`),
    ),
  );
  if (session.user?.id === u.id) return h('li', { class: 'follow-row' }, person, h('span', { class: 'muted' }, 'You'));
  let follows = u.viewer?.follows ?? false;
  const btn = h('button', { class: 'btn', attrs: { type: 'button', 'data-testid': 'follow-row-btn' } });
  const render = () => {
    setText(btn, follows ? 'Following' : 'Follow');
    btn.classList.toggle('btn-primary', !follows);
    btn.setAttribute('aria-pressed', String(follows));
    btn.setAttribute('aria-label', `${follows ? 'Following' : 'Follow'} @${u.username}`);
  };
  render();
  btn.addEventListener('click', () =>
    ctx.requireLogin(() => {
      btn.disabled = true;
      endpoints
        .follow(u.username, !follows)
        .then((r) => {
          follows = r.following;
          render();
        })
        .catch((err: unknown) => {
          if (err instanceof ApiError && err.code === 'cannot_follow_self') btn.remove();
          else toast(messageOf(err), 'error');
        })
        .finally(() => (btn.disabled = false));
    }, `Log in to follow @${u.username}.`),
  );
  return h('li', { class: 'follow-row' }, person, btn);
}
