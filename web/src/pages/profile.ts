import { endpoints, messageOf, session } from '../api.js';
import { compactCount } from '../caption.js';
import type { AppContext } from '../context.js';
import { h, icon, setText, toast } from '../dom.js';
import type { Route } from '../router.js';
import type { Profile } from '../types.js';
import { formatContext } from '../grid-context.js';
import { avatarEl, pageHeader, VideoGrid } from './common.js';

/** `/@username`: avatar, name, bio, counts, follow (or edit for oneself), and a grid of their videos. */
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
      grid = new VideoGrid(
        (cursor) => endpoints.userVideos(profile.username, cursor),
        session.user?.id === profile.id ? 'Your videos will show up here.' : 'No videos yet.',
        formatContext({ kind: 'user', username: profile.username }),
      );
      body.replaceChildren(profileHead(profile, ctx), grid.el);
      void grid.next();
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

  let action: HTMLElement;
  if (own) {
    action = h('a', { class: 'btn', attrs: { href: '/settings', 'data-testid': 'edit-profile' } }, icon('settings'), 'Edit profile');
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
      stat(compactCount(p.followingCount), 'Following'),
      stat(followers, 'Followers'),
      stat(compactCount(p.likeCount), 'Likes'),
    ),
    action,
    p.bio ? h('p', { class: 'profile-bio', attrs: { dir: 'auto', 'data-testid': 'profile-bio' } }, p.bio) : null,
  );
}
