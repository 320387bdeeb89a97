import { assertValidSignature, sign } from '../../lib/url-signing.js';
import { AppError } from '../../errors.js';
import { parseRenditionPrefix, pathBelowMedia, renditionFolder, renditionObjectKey } from '../../lib/storage-layout.js';
import { isWithdrawn, type VideoAccessFields } from './visibility.js';

/** Expiries are rounded up to this step so a viewer's URLs stay stable (and browser-cacheable) for a while. */
const EXPIRY_STEP_SEC = 900;

/**
 * Whether a video's renditions may be fetched by anyone holding the plain URL
 * (and cached by a CDN). A video withdrawn by moderation (taken down, owner
 * banned) is not, when the row carries those fields (cached rows do).
 */
export function isPubliclyServable(
  row: Pick<VideoAccessFields, 'status' | 'visibility'> & Partial<Pick<VideoAccessFields, 'taken_down_at' | 'owner_banned'>>,
): boolean {
  return row.status === 'ready' && (row.visibility === 'public' || row.visibility === 'unlisted') && !isWithdrawn(row);
}

/**
 * Rendition URLs. Ready public and unlisted videos get plain, immutable URLs
 * a CDN may cache forever. Everything else (followers-only, private, or not
 * yet published) gets URLs signed for the whole rendition prefix:
 * `<base>/media/s/<expires>/<sig>/<id>/<rev>/hls/master.m3u8`. The signature
 * sits in the path, so the relative URIs inside HLS playlists (variant
 * playlists, init and media segments) inherit it.
 */
export class MediaUrls {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    private readonly ttlSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Maps keys relative to `mediaPrefix` (`media/<id>/<rev>`) to URLs. */
  forPrefix(mediaPrefix: string, publicly: boolean): (key: string) => string {
    if (publicly) return (key) => `${this.baseUrl}/${renditionObjectKey(mediaPrefix, key)}`;
    const expires = Math.ceil((this.now() / 1000 + this.ttlSec) / EXPIRY_STEP_SEC) * EXPIRY_STEP_SEC;
    const sig = sign(this.secret, { method: 'GET', path: renditionFolder(mediaPrefix), expires });
    const rest = pathBelowMedia(mediaPrefix);
    return (key) => `${this.baseUrl}/media/s/${expires}/${sig}/${rest}/${key}`;
  }

  /** Checks a signed path's prefix; throws signature_invalid / signature_expired. Returns the seconds left. */
  verify(mediaPrefix: string, expiresRaw: string, sig: string): number {
    const expires = Number(expiresRaw);
    if (!parseRenditionPrefix(mediaPrefix) || !/^\d{1,12}$/.test(expiresRaw)) {
      throw new AppError('signature_invalid', 'Malformed signed media URL.');
    }
    assertValidSignature(this.secret, { method: 'GET', path: renditionFolder(mediaPrefix), expires }, sig, this.now());
    return Math.max(0, expires - Math.floor(this.now() / 1000));
  }
}
