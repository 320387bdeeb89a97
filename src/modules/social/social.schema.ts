import { z } from 'zod';
import { count, isoTime, page, PageQuery } from '../../lib/http/api-schemas.js';
import { requestSchema, responseSchema } from '../../lib/http/schema-registry.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { cleanText } from '../../lib/text.js';
import { UserSummary } from '../accounts/accounts.schema.js';

export const FollowResult = responseSchema('FollowResult', z.object({ following: z.boolean(), followerCount: count() }));
const FollowListItem = UserSummary.extend({
  followedAt: isoTime,
  viewer: z
    .object({ follows: z.boolean() })
    .optional()
    .describe('Present for a signed-in viewer: whether they follow this person (for a follow button beside each)'),
});
export type FollowListItem = z.infer<typeof FollowListItem>;
export const FollowPage = responseSchema('FollowPage', page(FollowListItem));

export const LikeResult = responseSchema('LikeResult', z.object({ liked: z.boolean(), likes: count() }));
export const BookmarkResult = responseSchema('BookmarkResult', z.object({ bookmarked: z.boolean() }));
export const ShareResult = responseSchema(
  'ShareResult',
  z.object({ url: z.string().describe("The video's page in the web app"), shares: count() }),
);

export const Comment = responseSchema(
  'Comment',
  z.object({
    id: z.string(),
    videoId: z.string(),
    parentId: z.string().nullable().describe('The top-level comment this one replies to; null for a top-level comment'),
    author: UserSummary,
    text: z.string().describe('Plain text, exactly as stored; never render it as HTML'),
    likeCount: count(),
    replyCount: count(),
    createdAt: isoTime,
    viewer: z.object({ liked: z.boolean() }).optional().describe('Present for a signed-in viewer'),
  }),
);
export type CommentView = z.infer<typeof Comment>;
export const CommentPage = responseSchema('CommentPage', page(Comment));

export const MAX_COMMENT_LENGTH = 1000;

export const CreateComment = requestSchema(
  'CreateComment',
  z
    .object({
      text: z
        .string()
        .max(MAX_COMMENT_LENGTH, `must be at most ${MAX_COMMENT_LENGTH} characters`)
        .transform((s) => cleanText(s, { multiline: true }))
        .pipe(z.string().min(1, 'must not be empty')),
      parentId: z.string().regex(ID_PATTERN, 'not a comment id').optional().describe('Reply to this comment'),
    })
    .strict(),
);
export type CreateCommentInput = z.infer<typeof CreateComment>;

export const CommentsQuery = PageQuery.extend({
  parentId: z.string().regex(ID_PATTERN, 'not a comment id').optional().describe("List this comment's replies instead"),
});
