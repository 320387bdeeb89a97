import { endpoints } from './api.js';
import type { FeedSource } from './feed.js';
import type { Page, VideoView } from './types.js';

/**
 * Where a video was opened from (issue 13, "context"): a profile, hashtag or
 * search grid. Carried in the video's URL (`/v/{id}?from=@ana`, `from=tag:cats`,
 * `from=search:dogs`), so a reload or a shared link still swipes through the same
 * grid, in its order, loading its further pages — not into For You.
 */
export type GridContext = { kind: 'user'; username: string } | { kind: 'tag'; tag: string } | { kind: 'search'; q: string };

export function formatContext(c: GridContext): string {
  if (c.kind === 'user') return `@${c.username}`;
  return c.kind === 'tag' ? `tag:${c.tag}` : `search:${c.q}`;
}

/** The `from` parameter as a context; null for anything else (an unknown or empty one: the feed falls back to For You). */
export function parseContext(raw: string | null | undefined): GridContext | null {
  if (!raw || raw.length > 200) return null;
  if (raw.startsWith('@') && raw.length > 1) return { kind: 'user', username: raw.slice(1) };
  if (raw.startsWith('tag:') && raw.length > 4) return { kind: 'tag', tag: raw.slice(4) };
  if (raw.startsWith('search:') && raw.trim().length > 7) return { kind: 'search', q: raw.slice(7) };
  return null;
}

/** A grid item's link: the video's page, with the grid it belongs to. */
export function videoHref(videoId: string, from?: string | null): string {
  const path = `/v/${encodeURIComponent(videoId)}`;
  return from ? `${path}?from=${encodeURIComponent(from)}` : path;
}

/** Pages read through to find where the opened video sits in its grid, at most. */
const MAX_SCAN_PAGES = 20;

/** One page of the grid's list, as the grid itself loads it (same endpoint, same page size, same order). */
function listOf(c: GridContext): (cursor: string | null) => Promise<Page<VideoView>> {
  if (c.kind === 'user') return (cursor) => endpoints.userVideos(c.username, cursor);
  if (c.kind === 'tag') return (cursor) => endpoints.hashtag(c.tag, cursor);
  // Search answers one page (no cursor): the videos the results grid shows.
  return async () => ({ items: (await endpoints.search(c.q)).videos, nextCursor: null });
}

/**
 * The feed after a video opened from a grid: the grid's videos that come after
 * it, page by page. The first call reads the list up to the opened video (it is
 * the feed's first slide already); when the video is not in the list (it left the
 * grid, or the link was edited), the grid from its start.
 */
export function gridSource(c: GridContext, openedId: string): FeedSource {
  const list = listOf(c);
  let located = false;
  return {
    load: async (cursor) => {
      if (located) return list(cursor);
      located = true;
      let first: Page<VideoView> | null = null;
      let next: string | null = cursor;
      for (let i = 0; i < MAX_SCAN_PAGES; i++) {
        const page = await list(next);
        first ??= page;
        const at = page.items.findIndex((v) => v.id === openedId);
        if (at >= 0) return { items: page.items.slice(at + 1), nextCursor: page.nextCursor };
        next = page.nextCursor;
        if (!next) break;
      }
      return first ?? { items: [], nextCursor: null };
    },
    empty: { title: 'Nothing here', text: 'This grid has no videos any more.' },
    traffic: c.kind === 'user' ? 'profile' : c.kind === 'tag' ? 'hashtag' : 'search',
  };
}
