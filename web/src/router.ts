/** The app's URLs (History API: every page is a real, shareable URL). */
export type Route =
  | { name: 'for-you' }
  | { name: 'following' }
  /** `from`: the grid it was opened from (grid-context.ts), so the feed swipes through that grid. */
  | { name: 'video'; id: string; from?: string }
  | { name: 'profile'; username: string }
  | { name: 'tag'; tag: string }
  | { name: 'search'; q: string }
  | { name: 'settings' }
  | { name: 'inbox' }
  | { name: 'upload' }
  | { name: 'saved' }
  /** The admin dashboard; `from`/`to`: its range (YYYY-MM-DD). */
  | { name: 'admin'; from?: string; to?: string }
  /** Creator analytics: the account, or one video (`videoId`); `days`: the range picked (7, 28, 90). */
  | { name: 'analytics'; videoId?: string; days?: number }
  | { name: 'not-found' };

const decode = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

export function parseRoute(loc: { pathname: string; search: string }): Route {
  const path = loc.pathname.replace(/\/+$/, '') || '/';
  const params = new URLSearchParams(loc.search);
  if (path === '/') {
    // Old links: `/?v=<id>`.
    const v = params.get('v');
    return v ? { name: 'video', id: v } : { name: 'for-you' };
  }
  if (path === '/following') return { name: 'following' };
  if (path === '/search') return { name: 'search', q: params.get('q') ?? '' };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/inbox') return { name: 'inbox' };
  if (path === '/upload') return { name: 'upload' };
  if (path === '/saved') return { name: 'saved' };
  if (path === '/admin') {
    const from = params.get('from');
    const to = params.get('to');
    return { name: 'admin', ...(from ? { from } : {}), ...(to ? { to } : {}) };
  }
  if (path === '/studio/analytics' || /^\/studio\/analytics\/[^/]+$/.test(path)) {
    const days = Number(params.get('days'));
    const range = [7, 28, 90].includes(days) ? { days } : {};
    if (path === '/studio/analytics') return { name: 'analytics', ...range };
    const videoId = decode(path.slice('/studio/analytics/'.length));
    return videoId ? { name: 'analytics', videoId, ...range } : { name: 'not-found' };
  }
  let m = /^\/v\/([^/]+)$/.exec(path);
  if (m) {
    const id = decode(m[1]!);
    const from = params.get('from');
    return id ? { name: 'video', id, ...(from ? { from } : {}) } : { name: 'not-found' };
  }
  m = /^\/@([^/]+)$/.exec(path) ?? /^\/u\/([^/]+)$/.exec(path);
  if (m) {
    const username = decode(m[1]!);
    return username ? { name: 'profile', username } : { name: 'not-found' };
  }
  m = /^\/tag\/([^/]+)$/.exec(path);
  if (m) {
    const tag = decode(m[1]!);
    return tag ? { name: 'tag', tag } : { name: 'not-found' };
  }
  return { name: 'not-found' };
}

/**
 * Same-origin link clicks become pushState navigations (modifier clicks,
 * new-tab targets, downloads and API/media links are left to the browser).
 */
export function interceptLinks(root: HTMLElement, navigate: (path: string) => void): void {
  root.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.('a');
    if (!a || !(a instanceof HTMLAnchorElement) || a.target || a.hasAttribute('download')) return;
    if ((a.getAttribute('href') ?? '').startsWith('#')) return; // in-page (the skip link)
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    if (/^\/(api|media|storage|avatars)\//.test(url.pathname)) return;
    ev.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}
