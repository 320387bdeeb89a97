import { CommentParams, PageQuery, UsernameParams, VideoIdParams } from '../../lib/http/api-schemas.js';
import { cachePubliclyForAnonymous } from '../../lib/http/cache-control.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { VideoPage } from '../videos/videos.schema.js';
import type { CommentsService } from './comments.service.js';
import { BookmarkResult, Comment, CommentPage, CommentsQuery, CreateComment, FollowPage, FollowResult, LikeResult, ShareResult } from './social.schema.js';
import type { SocialService } from './social.service.js';

export function socialRoutes(social: SocialService, comments: CommentsService): AnyRoute[] {
  return [
    // Follow graph
    defineRoute({
      method: 'PUT',
      url: '/api/v1/users/:username/follow',
      operationId: 'followUser',
      tag: 'social',
      summary: 'Follow (idempotent)',
      description: '403 `user_blocked` when a block stands between you; 400 `cannot_follow_self` for yourself.',
      auth: 'user',
      params: UsernameParams,
      response: FollowResult,
      errors: [403, 404],
      handler: async (request) => social.follow(request.user, request.params.username),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/users/:username/follow',
      operationId: 'unfollowUser',
      tag: 'social',
      summary: 'Unfollow (idempotent)',
      description: 'Answers the new follower count.',
      auth: 'user',
      params: UsernameParams,
      response: FollowResult,
      errors: [404],
      handler: async (request) => social.unfollow(request.user, request.params.username),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:username/followers',
      operationId: 'listFollowers',
      tag: 'social',
      summary: 'Followers',
      description: 'Most recent follows first.',
      auth: 'optional',
      params: UsernameParams,
      query: PageQuery,
      response: FollowPage,
      errors: [404],
      handler: async (request, reply) => {
        const result = await social.followers(request.params.username, request.query);
        cachePubliclyForAnonymous(request, reply);
        return result;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:username/following',
      operationId: 'listFollowing',
      tag: 'social',
      summary: 'Following',
      description: 'Most recent follows first.',
      auth: 'optional',
      params: UsernameParams,
      query: PageQuery,
      response: FollowPage,
      errors: [404],
      handler: async (request, reply) => {
        const result = await social.following(request.params.username, request.query);
        cachePubliclyForAnonymous(request, reply);
        return result;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/feed/following',
      operationId: 'listFollowingFeed',
      tag: 'feeds',
      summary: 'Videos from people you follow',
      description: 'Newest first, the videos your follows let you see (followers-only included).',
      auth: 'user',
      query: PageQuery,
      response: VideoPage,
      handler: async (request) => social.followingFeed(request.user, request.query),
    }),

    // Likes, bookmarks, shares
    defineRoute({
      method: 'PUT',
      url: '/api/v1/videos/:id/like',
      operationId: 'likeVideo',
      tag: 'social',
      summary: 'Like (idempotent)',
      description: 'Answers the new like count.',
      auth: 'user',
      rateLimit: 'like',
      params: VideoIdParams,
      response: LikeResult,
      errors: [404],
      handler: async (request) => social.like(request.user, request.params.id),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/videos/:id/like',
      operationId: 'unlikeVideo',
      tag: 'social',
      summary: 'Unlike (idempotent)',
      description: 'Answers the new like count.',
      auth: 'user',
      rateLimit: 'like',
      params: VideoIdParams,
      response: LikeResult,
      errors: [404],
      handler: async (request) => social.unlike(request.user, request.params.id),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/videos/:id/bookmark',
      operationId: 'bookmarkVideo',
      tag: 'social',
      summary: 'Bookmark (idempotent)',
      description: 'Bookmarks are private: only you see your list.',
      auth: 'user',
      params: VideoIdParams,
      response: BookmarkResult,
      errors: [404],
      handler: async (request) => social.bookmark(request.user, request.params.id),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/videos/:id/bookmark',
      operationId: 'unbookmarkVideo',
      tag: 'social',
      summary: 'Remove a bookmark (idempotent)',
      description: 'Works even when the video is no longer visible to you.',
      auth: 'user',
      params: VideoIdParams,
      response: BookmarkResult,
      handler: async (request) => social.unbookmark(request.user, request.params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me/bookmarks',
      operationId: 'listBookmarks',
      tag: 'social',
      summary: 'Your bookmarks',
      description: 'Most recently bookmarked first; videos you can no longer see are left out.',
      auth: 'user',
      query: PageQuery,
      response: VideoPage,
      handler: async (request) => social.bookmarks(request.user, request.query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/videos/:id/share',
      operationId: 'shareVideo',
      tag: 'social',
      summary: 'Count a share and get a link',
      description: "The link is the video's page in the web app (with preview tags for public videos).",
      auth: 'optional',
      rateLimit: 'share',
      params: VideoIdParams,
      response: ShareResult,
      errors: [404],
      handler: async (request) => social.share(request.user, request.params.id),
    }),

    // Comments
    defineRoute({
      method: 'GET',
      url: '/api/v1/videos/:id/comments',
      operationId: 'listComments',
      tag: 'social',
      summary: 'Comments (or, with parentId, replies)',
      description:
        "Newest first. Comments of banned accounts, of people in a block with you, and of people the video's owner blocked are left out.",
      auth: 'optional',
      params: VideoIdParams,
      query: CommentsQuery,
      response: CommentPage,
      errors: [404],
      handler: async (request, reply) => {
        const { parentId, ...pageParams } = request.query;
        const result = await comments.list(request.user, request.params.id, parentId, pageParams);
        cachePubliclyForAnonymous(request, reply);
        return result;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/videos/:id/comments',
      operationId: 'createComment',
      tag: 'social',
      summary: 'Comment or reply',
      description: 'A reply to a reply joins the thread of its top-level comment. 403 `comments_disabled` when the owner turned them off.',
      auth: 'user',
      rateLimit: 'comment',
      params: VideoIdParams,
      body: CreateComment,
      status: 201,
      response: Comment,
      errors: [403, 404],
      handler: async (request) => comments.create(request.user, request.params.id, request.body),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/videos/:id/comments/:commentId',
      operationId: 'deleteComment',
      tag: 'social',
      summary: "Delete a comment (its author, or the video's owner)",
      description: 'Deleting a top-level comment deletes its replies.',
      auth: 'user',
      params: CommentParams,
      status: 204,
      response: null,
      errors: [403, 404],
      handler: async (request) => {
        await comments.delete(request.user, request.params.id, request.params.commentId);
        return undefined;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/videos/:id/comments/:commentId/like',
      operationId: 'likeComment',
      tag: 'social',
      summary: 'Like a comment (idempotent)',
      description: 'Answers the new like count.',
      auth: 'user',
      rateLimit: 'like',
      params: CommentParams,
      response: LikeResult,
      errors: [403, 404],
      handler: async (request) => comments.like(request.user, request.params.id, request.params.commentId),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/videos/:id/comments/:commentId/like',
      operationId: 'unlikeComment',
      tag: 'social',
      summary: 'Unlike a comment (idempotent)',
      description: 'Answers the new like count.',
      auth: 'user',
      rateLimit: 'like',
      params: CommentParams,
      response: LikeResult,
      errors: [404],
      handler: async (request) => comments.unlike(request.user, request.params.id, request.params.commentId),
    }),
  ];
}
