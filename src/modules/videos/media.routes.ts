import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { WildcardParams } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { sendStoredObject } from '../../lib/http/send-object.js';
import { mediaKeyAt, parseMediaKey, renditionPrefix } from '../../lib/storage-layout.js';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store.js';
import { isPubliclyServable, withSharedMaxAge, type MediaUrls } from './media-urls.js';
import type { VideoRow } from './video.types.js';
import { isArchivedStatus, type VideoAccessFields } from './visibility.js';

const DEFAULT_CACHE_CONTROL = 'public, max-age=60';

const SignedMediaParams = z.object({
  expires: z
    .string()
    .regex(/^\d{1,12}$/)
    .describe('Expiry, Unix seconds'),
  sig: z.string().describe('HMAC signature of the rendition prefix, the expiry and the viewer'),
  '*': z
    .string()
    .describe('`<viewer>/<videoId>/<revision>/<key>`: the user the URL was issued to (`-`: nobody signed in), then the object'),
});

const MEDIA_BYTES = { contentType: 'application/octet-stream', description: 'Playlist, segment, MP4 or poster bytes' };

export interface MediaRouteDeps {
  store: ObjectStore;
  /**
   * Set when a front proxy serves the files itself (nginx `X-Accel-Redirect`
   * to an `internal` location aliased to the object folder): Curta still
   * decides access and headers, the proxy sends the bytes (zero-copy, Range).
   */
  accelRedirect?: {
    prefix: string;
    locate: (key: string) => Promise<{ relativePath: string; info: ObjectInfo } | null>;
  };
  urls: MediaUrls;
  /** `s-maxage` of plain media answers: how long a proxy or CDN serves them before revalidating. */
  sharedMaxAgeSec: number;
  /** The video's access fields (cached), or null when it does not exist. */
  videoAccess: (
    videoId: string,
  ) => Promise<(Pick<VideoAccessFields, 'status' | 'visibility'> & Partial<Pick<VideoRow, 'media_prefix' | 'playback'>>) | null>;
  /** Whether the viewer a signed URL was issued to may still watch the video (MediaAccess). */
  mayFetchSigned: (videoId: string, viewerId: string | null) => Promise<boolean>;
}

/**
 * Renditions, posters and playlists, straight from the object store with the
 * semantics a CDN relies on: Range, ETag/If-None-Match, Cache-Control stored
 * with each object (immutable for versioned renditions), CORS for players.
 *
 * Plain URLs (`/media/<id>/<rev>/…`) serve only ready public or unlisted
 * videos, with an `s-maxage` that makes shared caches revalidate every few
 * seconds. Everything else needs the signed form
 * (`/media/s/<exp>/<sig>/<viewer>/<id>/<rev>/…`, see MediaUrls), answered
 * only while that viewer may still watch the video and marked `private` so no
 * shared cache keeps it. Either way a withdrawn video stops at once here.
 */
export function mediaRoutes(deps: MediaRouteDeps): AnyRoute[] {
  const { store, urls, videoAccess, mayFetchSigned, sharedMaxAgeSec, accelRedirect } = deps;

  /**
   * An archived (or restoring) video keeps only its poster: anything else of it answers
   * 409 video_archived, never a stale or missing object, so a player can offer the restore.
   */
  const refuseArchived = async (videoId: string, key: string, row?: Awaited<ReturnType<typeof videoAccess>>) => {
    const current = row === undefined ? await videoAccess(videoId) : row;
    if (!current || !isArchivedStatus(current.status)) return;
    const poster = current.media_prefix && current.playback?.poster ? `${current.media_prefix}/${current.playback.poster}` : null;
    if (key !== poster)
      throw new AppError('video_archived', 'This video is archived; restore it to watch it (POST /api/v1/videos/{id}/restore).');
  };

  const serve = async (request: FastifyRequest, reply: FastifyReply, key: string, cacheControl: (stored: string) => string) => {
    if (!parseMediaKey(key)) throw new AppError('object_not_found', 'No such media object.');
    // One metadata read either way: the proxy's file path comes with it when the proxy sends the bytes.
    const located = accelRedirect ? await accelRedirect.locate(key) : null;
    const info = located ? located.info : accelRedirect ? null : await store.head(key);
    if (!info) throw new AppError('object_not_found', 'No such media object.');

    return sendStoredObject(request, reply, store, key, info, {
      cacheControl: cacheControl(info.cacheControl ?? DEFAULT_CACHE_CONTROL),
      ...(accelRedirect && located ? { accelRedirect: `${accelRedirect.prefix}${located.relativePath}` } : {}),
    });
  };

  return [
    defineRoute({
      method: ['GET', 'HEAD'],
      url: '/media/s/:expires/:sig/*',
      operationId: 'getSignedMedia',
      tag: 'media',
      summary: 'Signed, expiring rendition URLs (followers-only, private, unpublished videos)',
      description:
        'Handed out in `playback`, bound to the viewer they were issued to; answered with a private Cache-Control that ends with the signature, ' +
        'and only while that viewer may still watch the video (a takedown, visibility change, unfollow, block, ban or deletion ends it within seconds: 404).',
      auth: 'none',
      params: SignedMediaParams,
      response: MEDIA_BYTES,
      errors: [403, 404, 409, 416],
      handler: async (request, reply) => {
        const { expires, sig, '*': rest } = request.params;
        const [viewer = '', id = '', rev = ''] = rest.split('/', 3);
        const { viewerId, secondsLeft } = urls.verify(renditionPrefix(id, rev), expires, sig, viewer);
        // Access withdrawn looks like a missing object, as a hidden video looks like a missing one.
        if (!(await mayFetchSigned(id, viewerId))) throw new AppError('object_not_found', 'No such media object.');
        const privately = `private, max-age=${Math.min(secondsLeft, 86_400)}`;
        const key = mediaKeyAt(rest.slice(viewer.length + 1));
        await refuseArchived(id, key);
        return serve(request, reply, key, () => privately);
      },
    }),
    defineRoute({
      method: ['GET', 'HEAD'],
      url: '/media/*',
      operationId: 'getMedia',
      tag: 'media',
      summary: 'Renditions of ready public or unlisted videos',
      description:
        'Use the URLs in `playback`. Range, ETag/If-None-Match; immutable Cache-Control for browsers, with an `s-maxage` of a few seconds ' +
        'so shared caches revalidate (a 304 while the video stays public, a 404 once it does not).',
      auth: 'none',
      params: WildcardParams,
      response: MEDIA_BYTES,
      errors: [404, 409, 416],
      handler: async (request, reply) => {
        const key = mediaKeyAt(request.params['*']);
        const media = parseMediaKey(key);
        const row = media && (await videoAccess(media.videoId));
        // An archived public video: its poster, or 409 for the renditions it no longer has.
        if (row && media && isArchivedStatus(row.status) && isPubliclyServable({ ...row, status: 'ready' })) {
          await refuseArchived(media.videoId, key, row);
          return serve(request, reply, key, (stored) => withSharedMaxAge(stored, sharedMaxAgeSec));
        }
        // Restricted or unpublished renditions are only reachable through signed URLs.
        if (!row || !isPubliclyServable(row)) throw new AppError('object_not_found', 'No such media object.');
        return serve(request, reply, key, (stored) => withSharedMaxAge(stored, sharedMaxAgeSec));
      },
    }),
    defineRoute({
      method: 'OPTIONS',
      url: '/media/*',
      operationId: 'preflightMedia',
      tag: 'media',
      summary: 'CORS preflight',
      description: 'Players on other origins may GET and HEAD media with Range and conditional headers.',
      auth: 'none',
      params: WildcardParams,
      status: 204,
      response: null,
      handler: async (_request, reply) =>
        reply
          .header('access-control-allow-origin', '*')
          .header('access-control-allow-methods', 'GET, HEAD')
          .header('access-control-allow-headers', 'Range, If-None-Match, If-Range')
          .header('access-control-max-age', '86400')
          .status(204)
          .send(),
    }),
  ];
}
