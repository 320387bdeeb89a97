import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireUser } from '../../http/auth.js';
import { cachePubliclyForAnonymous } from '../../http/cache-control.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { PageQuery } from '../../lib/pagination.js';
import { CreateCommentSchema, type CommentsService } from './comments.service.js';
import type { SocialService } from './social.service.js';

const UsernameParams = z.object({ username: z.string().max(200) });
const VideoParams = z.object({ id: z.string().regex(ID_PATTERN, 'not a video id') });
export const CommentParams = VideoParams.extend({ commentId: z.string().regex(ID_PATTERN, 'not a comment id') });
/** Liking and unliking (videos and comments) count against the `like` rate limits. */
const LIKE = { config: { rateLimit: 'like' as const } };
export const CommentsQuery = PageQuery.extend({ parentId: z.string().regex(ID_PATTERN, 'not a comment id').optional() });

export function socialRoutes(app: FastifyInstance, social: SocialService, comments: CommentsService): void {
  // Follow graph
  app.put('/api/v1/users/:username/follow', async (request) => {
    const user = requireUser(request);
    return social.follow(user, UsernameParams.parse(request.params).username);
  });
  app.delete('/api/v1/users/:username/follow', async (request) => {
    const user = requireUser(request);
    return social.unfollow(user, UsernameParams.parse(request.params).username);
  });
  app.get('/api/v1/users/:username/followers', async (request, reply) => {
    const page = await social.followers(UsernameParams.parse(request.params).username, PageQuery.parse(request.query));
    cachePubliclyForAnonymous(request, reply);
    return page;
  });
  app.get('/api/v1/users/:username/following', async (request, reply) => {
    const page = await social.following(UsernameParams.parse(request.params).username, PageQuery.parse(request.query));
    cachePubliclyForAnonymous(request, reply);
    return page;
  });
  app.get('/api/v1/feed/following', async (request) => social.followingFeed(requireUser(request), PageQuery.parse(request.query)));

  // Likes, bookmarks, shares
  app.put('/api/v1/videos/:id/like', LIKE, async (request) => {
    const user = requireUser(request);
    return social.like(user, VideoParams.parse(request.params).id);
  });
  app.delete('/api/v1/videos/:id/like', LIKE, async (request) => {
    const user = requireUser(request);
    return social.unlike(user, VideoParams.parse(request.params).id);
  });
  app.put('/api/v1/videos/:id/bookmark', async (request) => {
    const user = requireUser(request);
    return social.bookmark(user, VideoParams.parse(request.params).id);
  });
  app.delete('/api/v1/videos/:id/bookmark', async (request) => {
    const user = requireUser(request);
    return social.unbookmark(user, VideoParams.parse(request.params).id);
  });
  app.get('/api/v1/me/bookmarks', async (request) => social.bookmarks(requireUser(request), PageQuery.parse(request.query)));
  app.post('/api/v1/videos/:id/share', { config: { rateLimit: 'share' } }, async (request) => social.share(request.user, VideoParams.parse(request.params).id));

  // Comments
  app.get('/api/v1/videos/:id/comments', async (request, reply) => {
    const { id } = VideoParams.parse(request.params);
    const q = CommentsQuery.parse(request.query);
    const page = await comments.list(request.user, id, q.parentId, q);
    cachePubliclyForAnonymous(request, reply);
    return page;
  });
  app.post('/api/v1/videos/:id/comments', { config: { rateLimit: 'comment' } }, async (request, reply) => {
    const user = requireUser(request);
    const { id } = VideoParams.parse(request.params);
    return reply.status(201).send(await comments.create(user, id, CreateCommentSchema.parse(request.body)));
  });
  app.delete('/api/v1/videos/:id/comments/:commentId', async (request, reply) => {
    const user = requireUser(request);
    const { id, commentId } = CommentParams.parse(request.params);
    await comments.delete(user, id, commentId);
    return reply.status(204).send();
  });
  app.put('/api/v1/videos/:id/comments/:commentId/like', LIKE, async (request) => {
    const user = requireUser(request);
    const { id, commentId } = CommentParams.parse(request.params);
    return comments.like(user, id, commentId);
  });
  app.delete('/api/v1/videos/:id/comments/:commentId/like', LIKE, async (request) => {
    const user = requireUser(request);
    const { id, commentId } = CommentParams.parse(request.params);
    return comments.unlike(user, id, commentId);
  });
}
