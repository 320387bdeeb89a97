import { assertValidSignature, sign, type SignedRequestFields } from '../../lib/url-signing.js';
import { AppError } from '../../errors.js';
import { parseRenditionPrefix, pathBelowMedia, renditionFolder, renditionObjectKey } from '../../lib/storage-layout.js';
import { isPublished, isWithdrawn, type VideoAccessFields } from './visibility.js';

/** Expiries are rounded up to this step so a viewer's URLs stay stable (and browser-cacheable) for a while. */
const EXPIRY_STEP_SEC = 900;

/**
 * Whether a video's renditions may be fetched by anyone holding the plain URL
 * (and cached by a CDN): not before it is published (drafts, scheduled). A video withdrawn by moderation (taken down, owner
 * banned) is not, when the row carries those fields (cached rows do).
 */
export function isPubliclyServable(
  row: Pick<VideoAccessFields, 'status' | 'visibility'> & Partial<Pick<VideoAccessFields, 'taken_down_at' | 'owner_banned' | 'publish_at'>>,
): boolean {
  return row.status === 'ready' && (row.visibility === 'public' || row.visibility === 'unlisted') && isPublished(row) && !isWithdrawn(row);
}

/** What stands for "no viewer" in a signed URL's viewer segment (user ids are longer and never this). */
export const NO_VIEWER = '-';
const VIEWER_SEGMENT = /^(?:-|[A-Za-z0-9_-]{1,64})$/;

/**
 * Rendition URLs. Ready public and unlisted videos get plain, immutable URLs
 * a CDN may cache (revalidating every few seconds, see withSharedMaxAge).
 * Everything else (followers-only, private, or not yet published) gets URLs
 * signed for the whole rendition prefix and for the viewer they are issued to:
 * `<base>/media/s/<expires>/<sig>/<viewer>/<id>/<rev>/hls/master.m3u8`. The
 * signature and the viewer sit in the path, so the relative URIs inside HLS
 * playlists (variant playlists, init and media segments) inherit them. The
 * signature only says who the URL was issued to and until when; whether that
 * viewer may still watch is checked on every request (MediaAccess).
 */
export class MediaUrls {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    private readonly ttlSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Maps keys relative to `mediaPrefix` (`media/<id>/<rev>`) to URLs; signed
   * ones are bound to `viewerId` (null: nobody signed in).
   */
  forPrefix(mediaPrefix: string, publicly: boolean, viewerId: string | null): (key: string) => string {
    if (publicly) return (key) => `${this.baseUrl}/${renditionObjectKey(mediaPrefix, key)}`;
    const expires = Math.ceil((this.now() / 1000 + this.ttlSec) / EXPIRY_STEP_SEC) * EXPIRY_STEP_SEC;
    const viewer = viewerId ?? NO_VIEWER;
    const sig = sign(this.secret, this.fields(mediaPrefix, expires, viewer));
    const rest = pathBelowMedia(mediaPrefix);
    return (key) => `${this.baseUrl}/media/s/${expires}/${sig}/${viewer}/${rest}/${key}`;
  }

  /**
   * Checks a signed path's prefix and viewer segment; throws signature_invalid /
   * signature_expired. Returns the viewer it was issued to (null: nobody signed in)
   * and the seconds left.
   */
  verify(mediaPrefix: string, expiresRaw: string, sig: string, viewer: string): { viewerId: string | null; secondsLeft: number } {
    const expires = Number(expiresRaw);
    if (!parseRenditionPrefix(mediaPrefix) || !/^\d{1,12}$/.test(expiresRaw) || !VIEWER_SEGMENT.test(viewer)) {
      throw new AppError('signature_invalid', 'Malformed signed media URL.');
    }
    assertValidSignature(this.secret, this.fields(mediaPrefix, expires, viewer), sig, this.now());
    return { viewerId: viewer === NO_VIEWER ? null : viewer, secondsLeft: Math.max(0, expires - Math.floor(this.now() / 1000)) };
  }

  private fields(mediaPrefix: string, expires: number, viewer: string): SignedRequestFields {
    return { method: 'GET', path: renditionFolder(mediaPrefix), expires, params: { viewer } };
  }
}

/**
 * The Cache-Control of a plain media answer: browsers keep what the object
 * says (a year, immutable, for finished renditions), while shared caches (the
 * nginx proxy cache, a CDN) are told by `s-maxage` to revalidate after
 * `sharedMaxAgeSec`. A video made private, taken down or deleted then stops
 * being served from the proxy that soon (the origin answers 404), and a
 * still-public one costs a 304. Answers that are not public, or already
 * shorter, are left as they are.
 */
export function withSharedMaxAge(cacheControl: string, sharedMaxAgeSec: number): string {
  const directives = cacheControl.split(',').map((d) => d.trim());
  if (!directives.includes('public') || directives.some((d) => d.startsWith('s-maxage='))) return cacheControl;
  const at = directives.findIndex((d) => /^max-age=\d+$/.test(d));
  if (at < 0 || Number(directives[at]!.slice('max-age='.length)) <= sharedMaxAgeSec) return cacheControl;
  directives.splice(at + 1, 0, `s-maxage=${sharedMaxAgeSec}`);
  return directives.join(', ');
}
