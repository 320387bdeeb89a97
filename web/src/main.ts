import { ApiError, endpoints, messageOf, session, type User } from './api.js';
import { AuthPanel, userLabel } from './auth-panel.js';
import { Sound, type AppContext } from './context.js';
import { h, icon, toast } from './dom.js';
import { EventQueue } from './events.js';
import { Feed, type FeedSource } from './feed.js';
import { gridSource, parseContext, type GridContext } from './grid-context.js';
import { errorState, pageHeader } from './pages/common.js';
import { preloadHls } from './player.js';
import { interceptLinks, parseRoute, type Route } from './router.js';
import type { TrafficSource, VideoView } from './types.js';

/** A page other than a feed: mounted into the page host, returns its cleanup. */
export type PageMount = (host: HTMLElement, ctx: AppContext, route: Route) => () => void;

const PAGE_SIZE = 8;

function start(root: HTMLElement): void {
  // hls.js loads while the first feed page is fetched, not after it.
  void preloadHls();

  const auth = new AuthPanel();
  const events = new EventQueue();
  const sound = new Sound();
  const feeds = new Set<Feed>();
  /** Videos the viewer said "Not interested" in this visit: For You's trending tail leaves them out too. */
  const notInterested = new Set<string>();

  const requireLogin = (then: () => void, notice?: string) => {
    if (session.user) then();
    else auth.open({ mode: 'signup', notice: notice ?? 'Sign up or log in to continue.', then });
  };

  const ctx: AppContext = {
    events,
    sound,
    navigate: (path, opts) => navigate(path, opts?.replace),
    requireLogin,
    openComments: (view, onCount) => {
      void import('./comments.js').then(
        (m) => m.openComments(view, ctx, onCount),
        (err: unknown) => toast(messageOf(err), 'error'),
      );
    },
    openVideoMenu: (view) => {
      void import('./video-menu.js').then(
        (m) =>
          m.openVideoMenu(view, ctx, {
            onBlocked: (userId) => {
              for (const f of feeds) f.removeAuthor(userId);
            },
            onDeleted: () => navigate('/', true),
            onEdited: (updated) => {
              for (const f of feeds) f.updateVideo(updated);
            },
            // "Not interested": out of every feed (and of For You's trending tail) until undone.
            onNotInterested: (videoId) => {
              notInterested.add(videoId);
              const undos = [...feeds].map((f) => f.removeVideo(videoId));
              return () => {
                notInterested.delete(videoId);
                for (const undo of undos) undo?.();
              };
            },
          }),
        (err: unknown) => toast(messageOf(err), 'error'),
      );
    },
  };

  // --- top bar
  const tabFor = (href: string, label: string, testId: string) => h('a', { class: 'tab', attrs: { href, 'data-testid': testId } }, label);
  const forYouTab = tabFor('/', 'For You', 'tab-for-you');
  const followingTab = tabFor('/following', 'Following', 'tab-following');
  const tabs = h('nav', { class: 'tabs', attrs: { 'aria-label': 'Feeds' } }, followingTab, forYouTab);
  const accountButton = h('button', { class: 'chip account-btn', attrs: { type: 'button', 'data-testid': 'open-auth' } });
  // The bell: signed-in only; its badge follows the live notification stream (a lazy chunk).
  const inboxBadge = h('span', { class: 'bell-badge', attrs: { 'data-testid': 'inbox-badge', hidden: true } });
  const inboxLink = h(
    'a',
    {
      class: 'round-btn bell-btn',
      attrs: { href: '/inbox', 'aria-label': 'Inbox', title: 'Inbox', 'data-testid': 'open-inbox', hidden: true },
    },
    icon('bell'),
    inboxBadge,
  );
  const showUnread = (n: number) => {
    inboxBadge.hidden = n === 0;
    inboxBadge.textContent = n > 99 ? '99+' : String(n);
    inboxLink.setAttribute('aria-label', n > 0 ? `Inbox, ${n} unread` : 'Inbox');
  };
  let liveLoaded = false;
  let inboxLiveBound = false;
  const syncInbox = (user: User | null) => {
    inboxLink.hidden = !user;
    if (!user && !liveLoaded) return;
    liveLoaded = true;
    void import('./notifications.js').then(
      ({ live }) => {
        if (!inboxLiveBound) {
          inboxLiveBound = true;
          live.subscribe({ unread: showUnread });
        }
        live.sync();
      },
      () => undefined,
    );
  };
  const topbar = h(
    'header',
    { class: 'topbar' },
    h(
      'a',
      { class: 'brand', attrs: { href: '/', 'aria-label': 'Curta home' } },
      h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'brand-name' }, 'Curta'),
    ),
    tabs,
    h(
      'div',
      { class: 'topbar-actions' },
      h(
        'a',
        { class: 'round-btn', attrs: { href: '/search', 'aria-label': 'Search', title: 'Search', 'data-testid': 'open-search' } },
        icon('search'),
      ),
      inboxLink,
      h(
        'a',
        {
          class: 'round-btn upload-btn',
          attrs: { href: '/upload', 'aria-label': 'Upload a video', title: 'Upload a video', 'data-testid': 'open-upload' },
        },
        icon('plus'),
      ),
      accountButton,
    ),
  );
  accountButton.addEventListener('click', () => auth.open());
  const renderUser = (user: User | null) => {
    accountButton.replaceChildren(icon('user'), h('span', {}, userLabel(user)));
    accountButton.setAttribute('aria-label', user ? `Account: @${user.username}` : 'Log in or sign up');
    accountButton.classList.toggle('is-signed-in', !!user);
  };
  renderUser(session.user);
  syncInbox(session.user);

  const views = h('main', { class: 'views', attrs: { id: 'main', tabindex: -1 } });
  const pageHost = h('div', { class: 'page-host', attrs: { hidden: true } });
  views.append(pageHost);
  // The feed on screen (For You, Following or a video's page); null on other pages.
  let currentFeed: Feed | null = null;
  const skipLink = h('a', { class: 'skip-link', attrs: { href: '#main', 'data-testid': 'skip-link' } }, 'Skip to content');
  skipLink.addEventListener('click', (ev) => {
    // Into the feed: the current video, whose buttons come next in the Tab order; on a page, its heading.
    ev.preventDefault();
    if (currentFeed) currentFeed.focusCurrent();
    else (pageHost.querySelector<HTMLElement>('h1') ?? views).focus();
  });
  // Desktop (CSS shows them from 1024 px): previous and next video beside the column.
  const stepButton = (by: number, label: string, testId: string) => {
    const b = h(
      'button',
      { class: 'round-btn feed-step', attrs: { type: 'button', 'aria-label': label, title: label, 'data-testid': testId } },
      icon('back'),
    );
    b.addEventListener('click', () => currentFeed?.step(by));
    return b;
  };
  const feedNav = h(
    'nav',
    { class: 'feed-nav', attrs: { 'aria-label': 'Videos', 'data-testid': 'feed-nav' } },
    stepButton(-1, 'Previous video', 'feed-prev'),
    stepButton(1, 'Next video', 'feed-next'),
  );
  root.replaceChildren(skipLink, h('div', { class: 'app' }, topbar, views), feedNav, auth.dialog);

  // --- feeds
  // For You never runs dry: when the recommender has nothing more (the viewer saw it all),
  // trending carries on (the feed drops videos it already has).
  const forYouSource: FeedSource = {
    load: async (cursor) => {
      if (cursor === null || cursor.startsWith('fy:')) {
        const page = await endpoints.forYou(PAGE_SIZE, cursor?.slice(3) ?? null);
        return { items: page.items, nextCursor: page.nextCursor ? `fy:${page.nextCursor}` : 'tr:' };
      }
      const page = await endpoints.trending(PAGE_SIZE, cursor.slice(3) || null);
      const items = page.items.filter((v) => !notInterested.has(v.id));
      return { items, nextCursor: page.nextCursor ? `tr:${page.nextCursor}` : null };
    },
    traffic: 'for_you',
    // An empty instance: the first thing to do is upload, so say so with a real button.
    empty: {
      title: 'No videos yet',
      text: 'Nobody has posted here yet. Be the first: upload a short video.',
      action: { label: 'Upload the first video', run: () => navigate('/upload') },
    },
  };
  const followingSource: FeedSource = {
    traffic: 'following',
    load: (cursor) => (session.user ? endpoints.following(PAGE_SIZE, cursor) : Promise.resolve({ items: [], nextCursor: null })),
    get empty() {
      return session.user
        ? {
            title: 'Nothing here yet',
            text: 'Videos from people you follow show up here.',
            action: { label: 'Find people', run: () => navigate('/search') },
          }
        : {
            title: 'Follow people you like',
            text: 'Log in to see videos from the accounts you follow.',
            action: { label: 'Log in', run: () => auth.open({ mode: 'login', then: () => navigate('/following', true) }) },
          };
    },
  };
  let forYou: Feed | null = null;
  let following: Feed | null = null;
  let videoFeed: Feed | null = null;
  const makeFeed = (
    source: FeedSource,
    label: string,
    testId: string,
    first?: VideoView[],
    heading?: string,
    firstTraffic?: TrafficSource,
  ) => {
    const f = new Feed(source, ctx, { label, heading, testId, first, firstTraffic });
    f.el.hidden = true;
    views.append(f.el);
    feeds.add(f);
    return f;
  };
  const dropFeed = (f: Feed | null) => {
    if (!f) return;
    f.destroy();
    feeds.delete(f);
  };

  // --- routing
  let current: Route = { name: 'not-found' };
  let pageCleanup: (() => void) | null = null;
  let renderToken = 0;
  /** The URL (path + query) of the page mounted in pageHost, if any. */
  let pageKey: string | null = null;
  /**
   * A grid page left for one of its videos: kept alive, detached, so going back shows it as it
   * was (its loaded pages, scrolled where it was) instead of loading it again from the top.
   */
  let parked: { key: string; nodes: Node[]; cleanup: (() => void) | null; scrollTop: number; title: string } | null = null;
  let contextBack: HTMLElement | null = null;

  const show = async (route: Route) => {
    const token = ++renderToken;
    current = route;
    const isFeed = route.name === 'for-you' || route.name === 'following' || route.name === 'video';
    const context = route.name === 'video' ? parseContext(route.from) : null;
    // A video in a grid's context has a back button instead of the feed tabs.
    topbar.hidden = !isFeed || !!context;
    feedNav.hidden = !isFeed;
    currentFeed = null;
    contextBack?.remove();
    contextBack = null;
    forYouTab.setAttribute('aria-current', route.name === 'for-you' ? 'page' : 'false');
    followingTab.setAttribute('aria-current', route.name === 'following' ? 'page' : 'false');
    for (const f of feeds) f.hide();
    if (context && pageKey !== null) {
      parked?.cleanup?.();
      parked = {
        key: pageKey,
        nodes: [...pageHost.childNodes],
        cleanup: pageCleanup,
        scrollTop: pageHost.scrollTop,
        title: document.title,
      };
    } else pageCleanup?.();
    pageCleanup = null;
    pageKey = null;
    pageHost.replaceChildren();
    pageHost.hidden = isFeed;
    if (parked && route.name !== 'video' && parked.key !== location.pathname + location.search) {
      parked.cleanup?.();
      parked = null;
    }
    if (route.name !== 'video') {
      dropFeed(videoFeed);
      videoFeed = null;
    }

    if (route.name === 'for-you') {
      document.title = 'Curta';
      forYou ??= makeFeed(forYouSource, 'For You', 'feed');
      forYou.show();
      currentFeed = forYou;
      forYou.el.focus({ preventScroll: true });
      return;
    }
    if (route.name === 'following') {
      document.title = 'Following · Curta';
      following ??= makeFeed(followingSource, 'Following', 'feed-following');
      following.show();
      currentFeed = following;
      following.el.focus({ preventScroll: true });
      return;
    }
    if (route.name === 'video') {
      let view: VideoView;
      try {
        view = await endpoints.video(route.id);
      } catch (err) {
        if (token !== renderToken) return;
        topbar.hidden = true;
        feedNav.hidden = true;
        pageHost.hidden = false;
        pageHost.replaceChildren(videoRefused(err, route));
        return;
      }
      if (token !== renderToken) return;
      document.title = view.caption ? `${view.caption.slice(0, 60)} · Curta` : `@${view.author.username} · Curta`;
      dropFeed(videoFeed);
      // This video, then the grid it was opened from (in the grid's order), or For You after it.
      const heading = `Video by @${view.author.username}`;
      videoFeed = context
        ? makeFeed(gridSource(context, view.id), contextLabel(context), 'feed-video-page', [view], heading)
        : // Opened by its link (shared, pasted, from outside): that video came by a share, the ones after from For You.
          makeFeed(forYouSource, 'Video', 'feed-video-page', [view], heading, 'share');
      if (context) {
        contextBack = contextBackButton(context);
        views.append(contextBack);
      }
      videoFeed.show();
      currentFeed = videoFeed;
      videoFeed.el.focus({ preventScroll: true });
      // `?comments` (a notification about a comment): its comments open over it.
      if (new URLSearchParams(location.search).has('comments')) ctx.openComments(view, () => undefined);
      return;
    }
    if (route.name === 'not-found') {
      document.title = 'Not found · Curta';
      pageHost.replaceChildren(notFound('This page does not exist.'));
      return;
    }
    if (parked?.key === location.pathname + location.search) {
      // Back from a video of this grid: the page as it was.
      const p = parked;
      parked = null;
      document.title = p.title;
      pageHost.replaceChildren(...p.nodes);
      pageHost.scrollTop = p.scrollTop;
      pageCleanup = p.cleanup;
      pageKey = p.key;
      (pageHost.querySelector('h1') as HTMLElement | null)?.focus({ preventScroll: true });
      return;
    }
    const mount = await loadPage(route).catch((err: unknown) => {
      // The page's code did not arrive (offline): say so where the page would be, with a retry.
      if (token === renderToken) pageHost.replaceChildren(errorState(err, () => void show(route), { page: true }));
      return null;
    });
    if (!mount || token !== renderToken) return;
    pageCleanup = mount(pageHost, ctx, route);
    pageKey = location.pathname + location.search;
    (pageHost.querySelector('h1') as HTMLElement | null)?.focus({ preventScroll: true });
    const saved = (history.state as { pageScroll?: unknown } | null)?.pageScroll;
    if (typeof saved === 'number' && saved > 0) restoreScroll(saved, token);
  };

  /**
   * Back to a page that was mounted again (after a reload): scrolled where it was, once its
   * content is there (a grid loads its next pages as its end comes into view), for a few
   * seconds at most, and never against the viewer's own scrolling.
   */
  const restoreScroll = (target: number, token: number) => {
    const deadline = performance.now() + 5000;
    let stopped = false;
    const stop = () => (stopped = true);
    for (const type of ['wheel', 'pointerdown', 'keydown', 'touchstart'] as const)
      pageHost.addEventListener(type, stop, { once: true, passive: true });
    const step = () => {
      if (stopped || token !== renderToken) return;
      pageHost.scrollTop = target;
      if (Math.abs(pageHost.scrollTop - target) > 1 && performance.now() < deadline) requestAnimationFrame(step);
    };
    step();
  };

  const navigate = (path: string, replace = false) => {
    const target = new URL(path, location.href);
    if (target.pathname + target.search === location.pathname + location.search && !replace) {
      // Tapping the tab you're on: back to the top of it.
      void show(parseRoute(location));
      return;
    }
    // The page being left remembers how far it was scrolled (pages scroll in pageHost, not the window), for back.
    if (!replace && pageKey !== null && !pageHost.hidden) {
      history.replaceState({ ...(history.state as object | null), pageScroll: pageHost.scrollTop }, '');
    }
    if (replace) history.replaceState(history.state, '', path);
    else history.pushState({ curta: true }, '', path);
    window.scrollTo(0, 0);
    void show(parseRoute(location));
  };

  interceptLinks(document.body, (path) => {
    // Any open sheet closes when a link inside it is followed.
    for (const d of document.querySelectorAll<HTMLDialogElement>('dialog[open]')) d.close();
    navigate(path);
  });
  window.addEventListener('popstate', () => void show(parseRoute(location)));
  // Escape closes the top sheet wherever focus is (a sheet's own handler runs first when focus is inside).
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || ev.defaultPrevented) return;
    const open = [...document.querySelectorAll<HTMLDialogElement>('dialog[open]')].at(-1);
    if (!open) return;
    ev.preventDefault();
    open.close();
  });

  // --- session
  let lastUserId = session.user?.id ?? null;
  session.subscribe((user) => {
    renderUser(user);
    syncInbox(user);
    const id = user?.id ?? null;
    if (id === lastUserId) return;
    lastUserId = id;
    // Another viewer: the Following feed and per-viewer flags change.
    dropFeed(following);
    following = null;
    if (current.name === 'following') void show(current);
  });
  window.addEventListener('storage', (ev) => {
    if (ev.key === 'curta.token' || ev.key === 'curta.user') {
      renderUser(session.user);
      syncInbox(session.user);
    }
  });
  // Check a remembered session is still alive (a 401 clears it).
  if (session.token) {
    endpoints
      .me()
      .then((r) => session.updateUser(r.user))
      .catch(() => undefined);
  }

  async function loadPage(route: Route): Promise<PageMount> {
    switch (route.name) {
      case 'profile':
        return (await import('./pages/profile.js')).mountProfile;
      case 'tag':
      case 'search':
        return (await import('./pages/discover.js')).mountDiscover;
      case 'settings':
        return (await import('./pages/settings.js')).mountSettings;
      case 'saved':
        return (await import('./pages/saved.js')).mountSaved;
      case 'analytics':
        return (await import('./pages/analytics.js')).mountAnalytics;
      case 'inbox':
        return (await import('./pages/inbox.js')).mountInbox;
      case 'admin':
        return (await import('./pages/admin-dashboard.js')).mountAdminDashboard;
      case 'upload':
        return mountUpload;
      default:
        throw new Error('No such page.');
    }
  }

  const mountUpload: PageMount = (host, c) => {
    document.title = 'Upload · Curta';
    let cleanup: (() => void) | null = null;
    let gone = false;
    const box = h('div', { class: 'studio-host' });
    host.append(h('section', { class: 'page', attrs: { 'aria-label': 'Upload' } }, pageHeader(c, 'Upload'), box));
    void import('./studio/studio.js').then(({ mountStudio }) => {
      if (gone) return;
      cleanup = mountStudio(box, {
        requireLogin: (then) => c.requireLogin(then, 'Sign up or log in to upload videos.'),
        onOpenVideo: (videoId) => c.navigate(`/v/${encodeURIComponent(videoId)}`),
      });
    });
    return () => {
      gone = true;
      cleanup?.();
    };
  };

  /** Back from a video opened from a grid: to the grid (history when the app pushed it, else its page). */
  const contextBackButton = (c: GridContext): HTMLElement => {
    const back = h(
      'button',
      {
        class: 'round-btn context-back',
        attrs: { type: 'button', 'aria-label': `Back to ${contextLabel(c)}`, 'data-testid': 'context-back' },
      },
      icon('back'),
    );
    back.addEventListener('click', () => {
      if ((history.state as { curta?: boolean } | null)?.curta) history.back();
      else
        navigate(
          c.kind === 'user'
            ? `/@${encodeURIComponent(c.username)}`
            : c.kind === 'tag'
              ? `/tag/${encodeURIComponent(c.tag)}`
              : `/search?q=${encodeURIComponent(c.q)}`,
        );
    });
    return back;
  };

  /** Why a video's page can't show it: for followers only (with a follow button), offline, or not there. */
  const videoRefused = (err: unknown, route: Route): HTMLElement => {
    const author = err instanceof ApiError && err.code === 'followers_only' ? authorOf(err.details) : null;
    if (author) {
      document.title = `For @${author}'s followers · Curta`;
      const follow = h(
        'button',
        { class: 'btn btn-primary', attrs: { type: 'button', 'data-testid': 'followers-only-follow' } },
        `Follow @${author}`,
      );
      follow.addEventListener('click', () =>
        requireLogin(() => {
          follow.disabled = true;
          endpoints.follow(author, true).then(
            () => void show(route),
            (e: unknown) => {
              // Logged in as its author: nothing to follow, the video is theirs to see.
              if (e instanceof ApiError && e.code === 'cannot_follow_self') return void show(route);
              follow.disabled = false;
              toast(messageOf(e), 'error');
            },
          );
        }, `Log in to follow @${author} and watch this video.`),
      );
      return h(
        'section',
        { class: 'page page-empty', attrs: { 'data-testid': 'followers-only' } },
        h('h1', { attrs: { tabindex: -1 } }, 'For followers only'),
        h('p', {}, `This video is for @${author}'s followers. Follow @${author} to watch it.`),
        follow,
        h('a', { class: 'btn', attrs: { href: `/@${encodeURIComponent(author)}` } }, `See @${author}'s profile`),
      );
    }
    if (err instanceof ApiError && err.status === 404) {
      document.title = 'Not found · Curta';
      return notFound('This video was removed, is private, or the link is wrong.');
    }
    return errorState(err, () => void show(route), { page: true });
  };

  void show(parseRoute(location));
}

function contextLabel(c: GridContext): string {
  if (c.kind === 'user') return `@${c.username}'s videos`;
  return c.kind === 'tag' ? `#${c.tag}` : `Search: ${c.q}`;
}

function authorOf(details: unknown): string | null {
  const username = (details as { author?: { username?: unknown } } | null | undefined)?.author?.username;
  return typeof username === 'string' && username ? username : null;
}

function notFound(message: string): HTMLElement {
  return h(
    'section',
    { class: 'page page-empty', attrs: { 'data-testid': 'not-found' } },
    h('h1', { attrs: { tabindex: -1 } }, 'Nothing to see here'),
    h('p', {}, message),
    h('a', { class: 'btn btn-primary', attrs: { href: '/' } }, 'Back to For You'),
  );
}

const root = document.getElementById('app');
if (root) start(root);

// Installable, and the app shell opens offline (web/src/sw.ts, built to /sw.js). After the page has
// loaded, so the worker's first downloads never compete with the first video.
// Built pages only: `vite` (dev) has no /sw.js (web/vite.config.ts defines __CURTA_SW__).
declare const __CURTA_SW__: boolean;
if (__CURTA_SW__ && 'serviceWorker' in navigator) {
  const register = () => {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined);
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
