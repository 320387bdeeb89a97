import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import { PageQuery, UsernameParams, WildcardParams } from '../../lib/http/api-schemas.js';
import { defineRoute, registerRoutes, type AnyRoute } from '../../lib/http/route.js';
import { sendStoredObject } from '../../lib/http/send-object.js';
import { avatarKeyAt, parseAvatarKey } from '../../lib/storage-layout.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { withSharedMaxAge } from '../videos/media-urls.js';
import { VideoPage } from '../videos/videos.schema.js';
import { Profile, UpdateProfile } from './accounts.schema.js';
import { AVATAR_CONTENT_TYPES, AVATAR_MAX_BYTES } from './avatar-image.js';
import { Privacy, UpdatePrivacy } from './profiles.schema.js';
import type { ProfilesService } from './profiles.service.js';

/** `sharedMaxAgeSec`: how long a proxy or CDN keeps an avatar before asking again (MEDIA_SHARED_MAX_AGE_SEC). */
export function profilesRoutes(profiles: ProfilesService, store: ObjectStore, sharedMaxAgeSec: number): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:username',
      operationId: 'getProfile',
      tag: 'profiles',
      summary: 'A profile',
      description:
        "Counts, bio and avatar; with `viewer` for a signed-in caller (whether they follow and whether they blocked this user — the blocker needs the profile to unblock). Banned accounts answer 404; across a block the profile's videos, likes and follow lists are not shown.",
      auth: 'optional',
      params: UsernameParams,
      response: Profile,
      errors: [404],
      cache: 'public-for-anonymous',
      handler: async (request) => profiles.profile(request.params.username, request.user),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:username/videos',
      operationId: 'listProfileVideos',
      tag: 'profiles',
      summary: "A profile's videos",
      description: 'Newest first; the owner also sees private, processing and failed ones, followers see followers-only ones.',
      auth: 'optional',
      params: UsernameParams,
      query: PageQuery,
      response: VideoPage,
      errors: [404],
      cache: 'public-for-anonymous',
      handler: async (request) => profiles.videosOf(request.params.username, request.user, request.query),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/me',
      operationId: 'updateMe',
      tag: 'profiles',
      summary: 'Edit display name and bio',
      description: 'Plain text; control characters are dropped.',
      auth: 'user',
      body: UpdateProfile,
      response: Profile,
      handler: async (request) => profiles.update(request.user, request.body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/privacy',
      operationId: 'getPrivacy',
      tag: 'profiles',
      summary: 'Your privacy settings',
      description: 'Who sees what of your activity; each setting is off (private) until you turn it on.',
      auth: 'user',
      response: Privacy,
      handler: async (request) => profiles.privacy(request.user),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/me/privacy',
      operationId: 'updatePrivacy',
      tag: 'profiles',
      summary: 'Change your privacy settings',
      description: '`likedVideosPublic`: whether others see the videos you liked (the Liked tab on your profile).',
      auth: 'user',
      body: UpdatePrivacy,
      response: Privacy,
      handler: async (request) => profiles.updatePrivacy(request.user, request.body),
    }),
    defineRoute({
      method: ['GET', 'HEAD'],
      url: '/avatars/*',
      operationId: 'getAvatar',
      tag: 'media',
      summary: 'An avatar image (immutable; Range and ETag supported)',
      description: 'Straight from the object store with the semantics of /media; a new avatar gets a new key.',
      auth: 'none',
      params: WildcardParams,
      response: { contentType: 'image/jpeg', description: 'JPEG bytes' },
      errors: [404, 416],
      handler: async (request, reply) => {
        const key = avatarKeyAt(request.params['*']);
        if (!parseAvatarKey(key)) throw new AppError('object_not_found', 'No such avatar.');
        const info = await store.head(key);
        if (!info) throw new AppError('object_not_found', 'No such avatar.');
        // Shared caches revalidate every few seconds, so a deleted account's avatar stops coming out of them.
        const cacheControl = withSharedMaxAge(info.cacheControl ?? 'public, max-age=60', sharedMaxAgeSec);
        return sendStoredObject(request, reply, store, key, info, { cacheControl });
      },
    }),
  ];
}

/** The one route that takes raw image bytes: its own body parsers, in their own scope. */
export async function registerAvatarUpload(app: FastifyInstance, profiles: ProfilesService): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...AVATAR_CONTENT_TYPES], { parseAs: 'buffer', bodyLimit: AVATAR_MAX_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    scope.addContentTypeParser('*', (_request, _payload, done) =>
      done(
        new AppError('unsupported_media_type', `Send the image bytes with Content-Type ${AVATAR_CONTENT_TYPES.join(', ')}.`, {
          accepted: [...AVATAR_CONTENT_TYPES],
        }),
      ),
    );
    registerRoutes(scope, [
      defineRoute({
        method: 'PUT',
        url: '/api/v1/me/avatar',
        operationId: 'setAvatar',
        tag: 'profiles',
        summary: 'Upload an avatar',
        description:
          'Raw image bytes (≤ 5 MiB); stored as a 256×256 JPEG. Anonymous uploads are refused before the body is read. ' +
          'A picture larger than AVATAR_MAX_PIXELS / AVATAR_MAX_SIDE (by its header) is refused with 413 `image_dimensions_too_large` ' +
          'before it is decoded; when too many pictures are being decoded the answer is 503 `image_processing_busy` with Retry-After.',
        auth: 'user',
        rateLimit: 'avatar',
        rawBody: { contentTypes: [...AVATAR_CONTENT_TYPES], description: 'The image' },
        response: Profile,
        errors: [413, 415, 422, 503],
        handler: async (request) => {
          const body: unknown = request.body;
          if (!Buffer.isBuffer(body) || body.length === 0) {
            throw new AppError('invalid_image', 'The request body is empty; send the image bytes.');
          }
          return profiles.setAvatar(request.user, body);
        },
      }),
    ]);
  });
}
