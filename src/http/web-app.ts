import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { ID_PATTERN } from '../lib/ids.js';
import type { VideoView } from '../modules/videos/videos.schema.js';
import { setWebPageRenderer } from './server.js';

export interface WebAppDeps {
  /** A video as an anonymous viewer sees it; throws when it is missing or hidden from them. */
  video: (id: string) => Promise<VideoView>;
  /** Absolute origin (and path prefix) of this service, for og:url and absolute media URLs. */
  publicBaseUrl: string;
}

const VIDEO_PAGE = /^\/v\/([^/?#]+)\/?(?:\?.*)?$/;
const TITLE_MAX = 100;
const DESCRIPTION_MAX = 200;

/**
 * Server-side parts of the web app. `/v/{id}` is the app's page (index.html,
 * the client routes it) with Open Graph and Twitter Card tags in its head, so
 * a shared link previews as the video — only for a video that anyone may see
 * (public or unlisted, ready, not taken down, nobody banned): anything else
 * gets the plain page, which says nothing about it.
 *
 * These are not API routes: they hook the SPA fallback rather than register a
 * route, so the API document (every registered route) stays the API's alone.
 */
export function webAppRoutes(app: FastifyInstance, deps: WebAppDeps): void {
  setWebPageRenderer(app, async (request, indexHtml) => {
    const m = VIDEO_PAGE.exec(request.url);
    if (!m) return null;
    let id: string;
    try {
      id = decodeURIComponent(m[1]!);
    } catch {
      return null;
    }
    if (!ID_PATTERN.test(id)) return null;
    const view = await visibleVideo(deps, id, request);
    if (!view) return null;
    return { html: withVideoMeta(indexHtml, view, deps.publicBaseUrl), cacheControl: 'public, max-age=5' };
  });
}

async function visibleVideo(deps: WebAppDeps, id: string, request: FastifyRequest): Promise<VideoView | null> {
  try {
    // Always as an anonymous viewer: link-preview crawlers are anonymous, and the page must not
    // carry what only the signed-in requester may see into a shared cache.
    const view = await deps.video(id);
    if (view.status !== 'ready' || !(view.visibility === 'public' || view.visibility === 'unlisted') || view.takedown) return null;
    return view;
  } catch (err) {
    // Missing or hidden: the plain page. Anything else is worth a line in the log, not a failed page.
    if (!(err instanceof AppError)) request.log.warn({ err }, 'video page: metadata lookup failed');
    return null;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function absolute(url: string, base: string): string | null {
  try {
    const u = new URL(url, base.endsWith('/') ? base : `${base}/`);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function clip(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1).trimEnd()}…` : one;
}

/** index.html with the video's title and preview tags (every value escaped). */
function withVideoMeta(indexHtml: string, view: VideoView, publicBaseUrl: string): string {
  const author = `@${view.author.username}`;
  const title = view.caption.trim() ? clip(view.caption, TITLE_MAX) : `Video by ${author}`;
  const description = view.caption.trim() ? `${clip(view.caption, DESCRIPTION_MAX)} — ${author} on Curta` : `${author} on Curta`;
  const pageUrl = absolute(`v/${encodeURIComponent(view.id)}`, publicBaseUrl);
  const poster = view.playback?.poster ? absolute(view.playback.poster, publicBaseUrl) : null;
  const mp4 = view.playback?.mp4 ? absolute(view.playback.mp4, publicBaseUrl) : null;

  const tags: Array<[string, string, string | number | null | undefined]> = [
    ['property', 'og:site_name', 'Curta'],
    ['property', 'og:type', 'video.other'],
    ['property', 'og:title', title],
    ['property', 'og:description', description],
    ['property', 'og:url', pageUrl],
    ['property', 'og:image', poster],
    ['property', 'og:image:alt', poster ? `Video by ${author}` : null],
    ['property', 'og:video', mp4],
    ['property', 'og:video:secure_url', mp4?.startsWith('https:') ? mp4 : null],
    ['property', 'og:video:type', mp4 ? 'video/mp4' : null],
    ['property', 'og:video:width', mp4 ? view.width : null],
    ['property', 'og:video:height', mp4 ? view.height : null],
    ['property', 'video:duration', view.durationMs ? Math.round(view.durationMs / 1000) : null],
    ['name', 'twitter:card', poster ? 'summary_large_image' : 'summary'],
    ['name', 'twitter:title', title],
    ['name', 'twitter:description', description],
    ['name', 'twitter:image', poster],
    ['name', 'description', description],
  ];
  const lines = tags
    .filter(([, , value]) => value !== null && value !== undefined && value !== '')
    .map(([attr, key, value]) => `<meta ${attr}="${escapeHtml(key)}" content="${escapeHtml(String(value))}" />`);
  if (pageUrl) lines.push(`<link rel="canonical" href="${escapeHtml(pageUrl)}" />`);
  // Unlisted: shareable by link, never listed — search engines included.
  if (view.visibility !== 'public') lines.push('<meta name="robots" content="noindex" />');

  // Function replacements: a `$&` in a caption must not be read as a replacement pattern.
  let html = indexHtml.replace(/<meta name="description"[^>]*>\s*/i, '');
  html = html.replace(/<title>[^<]*<\/title>/i, () => `<title>${escapeHtml(`${title} · Curta`)}</title>`);
  return html.replace(/<\/head>/i, () => `    ${lines.join('\n    ')}\n  </head>`);
}
