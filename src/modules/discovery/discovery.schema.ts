import { z } from 'zod';
import { count, page } from '../../lib/http/api-schemas.js';
import { responseSchema } from '../../lib/http/schema-registry.js';
import { cleanText } from '../../lib/text.js';
import { UserSummary } from '../accounts/accounts.schema.js';
import { Video } from '../videos/videos.schema.js';

export const SearchQuery = z.object({
  q: z
    .string()
    .max(100, 'must be at most 100 characters')
    // As for suggestions: a NUL would make the database refuse the query (a 500), control and bidi characters mean nothing here.
    .transform((s) => cleanText(s, { multiline: false }))
    .pipe(z.string().min(1, 'must not be empty'))
    .describe('Words, @username or #hashtag'),
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

const HashtagCount = z.object({ tag: z.string(), videos: count().describe('Discoverable videos with this tag') });

export const SuggestQuery = z.object({
  q: z
    .string()
    .max(100, 'must be at most 100 characters')
    // Control characters (NUL included, which the database refuses in text) and bidi marks are no part of a name.
    .transform((s) => cleanText(s, { multiline: false }))
    .pipe(z.string().min(1, 'must not be empty'))
    .describe('What has been typed so far: a name, @username or #hashtag prefix'),
  limit: z.coerce.number().int().min(1).max(10).default(5).describe('At most this many of each kind'),
});
export type SuggestParams = z.infer<typeof SuggestQuery>;

export const SearchSuggestions = responseSchema(
  'SearchSuggestions',
  z.object({
    query: z.string(),
    users: z.array(UserSummary).describe('Usernames or display names starting with the text, the exact username first'),
    hashtags: z.array(HashtagCount).describe('Hashtags starting with the text, the most used first'),
  }),
);
export type SearchSuggestions = z.infer<typeof SearchSuggestions>;

export const TrendingQuery = z.object({
  limit: z.coerce.number().int().min(1).max(20).default(10).describe('At most this many of each kind'),
});

const TrendingCreator = UserSummary.extend({ followerCount: count() });
export type TrendingCreator = z.infer<typeof TrendingCreator>;

export const SearchTrending = responseSchema(
  'SearchTrending',
  z.object({
    hashtags: z.array(HashtagCount).describe('Hashtags of the videos with the most engagement lately, then the most used'),
    creators: z.array(TrendingCreator).describe('People whose public videos drew the most engagement lately, then the most followed'),
  }),
);
export type SearchTrending = z.infer<typeof SearchTrending>;
