/**
 * Curta's service worker (built to /sw.js by web/vite.config.ts, which fills
 * in the shell's file list and a version from the build).
 *
 * What it keeps, and nothing else:
 * - the app shell: `/` (index.html), the entry's hashed JS and CSS, the
 *   manifest and icons, fetched at install into `curta-shell-<version>`;
 *   other hashed files under /assets/ (lazy pages) as they are used;
 * - posters of public videos (`/media/<id>/<rev>/poster….jpg`, immutable
 *   URLs), in a bounded `curta-posters` cache.
 *
 * Never kept: playlists and segments (the rest of /media/, and every signed
 * `/media/s/…` URL, which names its viewer), API answers (/api/, per viewer),
 * uploads (/storage/), avatars, and anything that is not a GET.
 *
 * Navigations go to the network first (the server renders per-video tags);
 * offline, they get the cached shell, which then says it is offline itself.
 * A new build is a new version: it takes over at once (`skipWaiting`) and
 * deletes the previous shell caches. It does not claim pages already open
 * (they keep loading from the network until their next load).
 */

/** Replaced at build time (vite.config.ts): the shell's URLs and the build's version. */
const SHELL: readonly string[] = JSON.parse('__CURTA_SW_SHELL__') as string[];
const VERSION = '__CURTA_SW_VERSION__';

const SHELL_CACHE = `curta-shell-${VERSION}`;
const POSTER_CACHE = 'curta-posters';
const MAX_POSTERS = 200;
/** A public video's poster: `/media/<id>/<rev>/poster.jpg` or a chosen cover `poster-<id>.jpg`; never a signed `/media/s/…`. */
const PUBLIC_POSTER = /^\/media\/(?!s\/)[A-Za-z0-9_-]+\/[A-Za-z0-9_.-]+\/poster(?:-[A-Za-z0-9_-]+)?\.jpg$/;

interface SwExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface SwFetchEvent extends SwExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface SwScope {
  addEventListener(type: 'install' | 'activate', listener: (event: SwExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: SwFetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly location: Location;
}
const sw = self as unknown as SwScope;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // Through the HTTP cache: hashed files are immutable and the page and manifest are
      // revalidated (no-cache), so what the page just loaded is not downloaded twice.
      await cache.addAll(SHELL);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('curta-shell-') && name !== SHELL_CACHE) await caches.delete(name);
      }
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const sameOrigin = url.origin === sw.location.origin;

  if (request.mode === 'navigate' && sameOrigin && !/^\/(?:api|media|storage|avatars)\//.test(url.pathname)) {
    event.respondWith(navigation(request));
    return;
  }
  if (PUBLIC_POSTER.test(url.pathname) && !url.search && (request.destination === 'image' || request.destination === '')) {
    event.respondWith(poster(request));
    return;
  }
  if (!sameOrigin) return;
  if (url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname)) {
    event.respondWith(shellFile(request, url.pathname.startsWith('/assets/')));
  }
  // Everything else (the API, media, uploads, avatars) goes to the network untouched.
});

async function navigation(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (err) {
    const shell = await caches.match('/', { cacheName: SHELL_CACHE });
    if (shell) return shell;
    throw err;
  }
}

/** Hashed assets never change under one name: the cache first; lazy ones are kept as they arrive. */
async function shellFile(request: Request, keep: boolean): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (keep && response.ok && response.type === 'basic') await cache.put(request, response.clone());
  return response;
}

async function poster(request: Request): Promise<Response> {
  const cache = await caches.open(POSTER_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  // Only a readable, complete answer (a cross-origin poster without CORS is opaque: not kept).
  if (response.ok && response.status === 200 && (response.type === 'basic' || response.type === 'cors')) {
    await cache.put(request, response.clone());
    const keys = await cache.keys();
    // Oldest first: keep the newest MAX_POSTERS.
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_POSTERS))) await cache.delete(old);
  }
  return response;
}
