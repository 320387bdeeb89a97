import { PageQuery } from '../../lib/http/api-schemas.js';
import { defineRoute, type AnyRoute } from '../../lib/http/route.js';
import { VideoPage } from '../videos/videos.schema.js';
import {
  HashtagPage,
  SearchQuery,
  SearchResult,
  SearchSuggestions,
  SearchTrending,
  SuggestQuery,
  TagParams,
  TrendingQuery,
} from './discovery.schema.js';
import type { DiscoveryService } from './discovery.service.js';

// Anonymous answers are the same for every anonymous viewer: a shared cache may keep them briefly.
export function discoveryRoutes(discovery: DiscoveryService): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/search',
      operationId: 'search',
      tag: 'discovery',
      summary: 'Search people, videos and hashtags',
      description: 'Prefix matches on usernames and display names, words in captions, and hashtags; only what you may see.',
      auth: 'optional',
      rateLimit: 'search',
      query: SearchQuery,
      response: SearchResult,
      cache: 'public-for-anonymous',
      handler: async (request) => discovery.search(request.user, request.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/search/suggest',
      operationId: 'suggestSearch',
      tag: 'discovery',
      summary: 'Suggestions while typing',
      description:
        'People whose username or a word of whose name starts with `q` (a leading "@" asks for people only) and hashtags ' +
        'starting with it (a leading "#" asks for hashtags only). A prefix, never a pattern: "%" and "_" match themselves. ' +
        'Counted against the search rate limit.',
      auth: 'optional',
      rateLimit: 'search',
      query: SuggestQuery,
      response: SearchSuggestions,
      cache: 'public-for-anonymous',
      handler: async (request) => discovery.suggest(request.user, request.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/search/trending',
      operationId: 'searchTrending',
      tag: 'discovery',
      summary: 'Trending hashtags and creators',
      description:
        'What search shows before anything is typed: hashtags and people whose public videos drew the most engagement in the ' +
        'last 72 h, then the most used tags and most followed people; minus anyone in a block with a signed-in viewer.',
      auth: 'optional',
      query: TrendingQuery,
      response: SearchTrending,
      cache: 'public-for-anonymous',
      handler: async (request) => discovery.trendingTopics(request.user, request.query.limit),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/hashtags/:tag/videos',
      operationId: 'listHashtagVideos',
      tag: 'discovery',
      summary: 'Videos with a hashtag',
      description: 'Newest first; the tag is normalised as captions are (case, Unicode form).',
      auth: 'optional',
      params: TagParams,
      query: PageQuery,
      response: HashtagPage,
      cache: 'public-for-anonymous',
      handler: async (request) => discovery.hashtagVideos(request.params.tag, request.user, request.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/feed/trending',
      operationId: 'listTrending',
      tag: 'feeds',
      summary: 'Most engagement in the last 72 h',
      description: 'One ranking shared by everyone for a short while (so pages stay stable), minus blocked accounts.',
      auth: 'optional',
      query: PageQuery,
      response: VideoPage,
      cache: 'public-for-anonymous',
      handler: async (request) => discovery.trending(request.user, request.query),
    }),
  ];
}
