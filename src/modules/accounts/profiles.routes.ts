import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { requireUser } from '../../http/auth.js';
import { cachePubliclyForAnonymous } from '../../http/cache-control.js';
import { sendStoredObject } from '../../http/media.routes.js';
import { PageQuery } from '../../lib/pagination.js';
import { avatarKeyAt, parseAvatarKey } from '../../lib/storage-layout.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { AVATAR_CONTENT_TYPES, AVATAR_MAX_BYTES } from './avatar-image.js';
import { UpdateProfileSchema, type ProfilesService } from './profiles.service.js';

const UsernameParams = z.object({ username: z.string().max(200) });

export function profilesRoutes(app: FastifyInstance, profiles: ProfilesService, store: ObjectStore): void {
  // Anonymous answers are the same for every anonymous viewer: a shared cache may keep them briefly.
  app.get('/api/v1/users/:username', async (request, reply) => {
    const { username } = UsernameParams.parse(request.params);
    const profile = await profiles.profile(username, request.user);
    cachePubliclyForAnonymous(request, reply);
    return profile;
  });

  app.get('/api/v1/users/:username/videos', async (request, reply) => {
    const { username } = UsernameParams.parse(request.params);
    const page = await profiles.videosOf(username, request.user, PageQuery.parse(request.query));
    cachePubliclyForAnonymous(request, reply);
    return page;
  });

  app.patch('/api/v1/me', async (request) => {
    const user = requireUser(request);
    return profiles.update(user, UpdateProfileSchema.parse(request.body));
  });

  // The one route that takes raw image bytes: its own body parsers, in their own scope.
  void app.register(async (scope) => {
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
    // Refuse anonymous uploads before reading up to 5 MiB of body.
    scope.addHook('preParsing', async (request) => {
      requireUser(request);
    });
    scope.put('/api/v1/me/avatar', async (request) => {
      const user = requireUser(request);
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
        throw new AppError('invalid_image', 'The request body is empty; send the image bytes.');
      }
      return profiles.setAvatar(user, request.body);
    });
  });

  avatarRoutes(app, store);
}

/**
 * Avatars straight from the object store with the same semantics as /media:
 * ETag, If-None-Match, Range, and the Cache-Control stored with the object
 * (immutable: a new avatar gets a new key).
 */
function avatarRoutes(app: FastifyInstance, store: ObjectStore): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = avatarKeyAt((request.params as { '*': string })['*']);
    if (!parseAvatarKey(key)) throw new AppError('object_not_found', 'No such avatar.');
    const info = await store.head(key);
    if (!info) throw new AppError('object_not_found', 'No such avatar.');
    return sendStoredObject(request, reply, store, key, info, { cacheControl: info.cacheControl ?? 'public, max-age=60' });
  };
  app.route({ method: ['GET', 'HEAD'], url: '/avatars/*', handler });
}
