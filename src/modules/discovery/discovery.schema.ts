import { z } from 'zod';
import { count, page } from '../../lib/http/api-schemas.js';
import { responseSchema } from '../../lib/http/schema-registry.js';
import { UserSummary } from '../accounts/accounts.schema.js';
import { Video } from '../videos/videos.schema.js';

export const SearchQuery = z.object({
  q: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').describe('Words, @username or #hashtag'),
  limit: z.coerce.number().int().min(1).max(50).default(10).describe('At most this many of each kind'),
});
export type SearchParams = z.infer<typeof SearchQuery>;

export const TagParams = z.object({ tag: z.string().max(200).describe('Hashtag, with or without "#"') });

export const SearchResult = responseSchema(
  'SearchResult',
  z.object({
    query: z.string(),
    users: z.array(UserSummary),
    videos: z.array(Video),
    hashtags: z.array(z.object({ tag: z.string(), videos: count() })),
  }),
);
export type SearchResult = z.infer<typeof SearchResult>;

export const HashtagPage = responseSchema('HashtagPage', page(Video).extend({ tag: z.string() }));
