import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { WildcardParams } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { sendStoredObject } from '../../lib/http/send-object.js';
import { mediaKeyAt, parseMediaKey, renditionPrefix } from '../../lib/storage-layout.js';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store.js';
import { isPubliclyServable, type MediaUrls } from './media-urls.js';
import type { VideoAccessFields } from './visibility.js';

const DEFAULT_CACHE_CONTROL = 'public, max-age=60';

const SignedMediaParams = z.object({
  expires: z
    .string()
    .regex(/^\d{1,12}$/)
    .describe('Expiry, Unix seconds'),
  sig: z.string().describe('HMAC signature of the rendition prefix'),
  '*': z.string().describe('`<videoId>/<revision>/<key>`'),
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
  /** The video's access fields (cached), or null when it does not exist. */
  videoAccess: (videoId: string) => Promise<Pick<VideoAccessFields, 'status' | 'visibility'> | null>;
}

/**
 * Renditions, posters and playlists, straight from the object store with the
 * semantics a CDN relies on: Range, ETag/If-None-Match, Cache-Control stored
 * with each object (immutable for versioned renditions), CORS for players.
 *
 * Plain URLs (`/media/<id>/<rev>/…`) serve only ready public or unlisted
 * videos. Everything else needs the signed form (`/media/s/<exp>/<sig>/<id>/<rev>/…`,
 * see MediaUrls), answered `private` so no shared cache keeps it.
 */
export function mediaRoutes(deps: MediaRouteDeps): AnyRoute[] {
  const { store, urls, videoAccess, accelRedirect } = deps;

  const serve = async (request: FastifyRequest, reply: FastifyReply, key: string, cacheControl?: string) => {
    if (!parseMediaKey(key)) throw new AppError('object_not_found', 'No such media object.');
    // One metadata read either way: the proxy's file path comes with it when the proxy sends the bytes.
    const located = accelRedirect ? await accelRedirect.locate(key) : null;
    const info = located ? located.info : accelRedirect ? null : await store.head(key);
    if (!info) throw new AppError('object_not_found', 'No such media object.');

    return sendStoredObject(request, reply, store, key, info, {
      cacheControl: cacheControl ?? info.cacheControl ?? DEFAULT_CACHE_CONTROL,
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
      description: 'Handed out in `playback`; answered with a private Cache-Control that ends with the signature.',
      auth: 'none',
      params: SignedMediaParams,
      response: MEDIA_BYTES,
      errors: [403, 404, 416],
      handler: async (request, reply) => {
        const { expires, sig, '*': rest } = request.params;
        const [id = '', rev = ''] = rest.split('/', 2);
        const secondsLeft = urls.verify(renditionPrefix(id, rev), expires, sig);
        return serve(request, reply, mediaKeyAt(rest), `private, max-age=${Math.min(secondsLeft, 86_400)}`);
      },
    }),
    defineRoute({
      method: ['GET', 'HEAD'],
      url: '/media/*',
      operationId: 'getMedia',
      tag: 'media',
      summary: 'Renditions of ready public or unlisted videos',
      description: 'Use the URLs in `playback`. Range, ETag/If-None-Match; immutable Cache-Control.',
      auth: 'none',
      params: WildcardParams,
      response: MEDIA_BYTES,
      errors: [404, 416],
      handler: async (request, reply) => {
        const key = mediaKeyAt(request.params['*']);
        const media = parseMediaKey(key);
        const row = media && (await videoAccess(media.videoId));
        // Restricted or unpublished renditions are only reachable through signed URLs.
        if (!row || !isPubliclyServable(row)) throw new AppError('object_not_found', 'No such media object.');
        return serve(request, reply, key);
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
