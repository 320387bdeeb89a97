import { AppError } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import type { Cache } from '../../ports/cache.js';
import type { PublicUser } from '../accounts/accounts.service.js';
import { FEED_GENERATION_KEY, videoCacheKey } from './video-events.js';
import type { VideoRow, VideosRepository } from './videos.repository.js';

/** Hot metadata is invalidated on every change (VideoEvents); the TTL only bounds memory. */
const VIDEO_TTL_MS = 5 * 60_000;
/** Feed pages are keyed by a generation bumped whenever a video is published or withdrawn. */
const FEED_TTL_MS = 60_000;

export interface VideoView {
  id: string;
  status: VideoRow['status'];
  caption: string;
  visibility: VideoRow['visibility'];
  author: { id: string; username: string };
  durationMs: number | null;
  width: number | null;
  height: number | null;
  createdAt: string;
  /** 0..1 while processing. */
  progress: number;
  playback: { hls: string | null; mp4: string | null; poster: string | null } | null;
  error?: { code: string; message: string };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export class VideosService {
  constructor(
    private readonly repo: VideosRepository,
    private readonly cache: Cache,
    /** Base URL media keys are served under (the API's /media route or a CDN). */
    private readonly mediaBaseUrl: string,
  ) {}

  /** Whether `viewer` may see this video at all (in any state). */
  canView(row: VideoRow, viewer: PublicUser | null): boolean {
    if (viewer && viewer.id === row.owner_id) return true;
    return row.status === 'ready' && (row.visibility === 'public' || row.visibility === 'unlisted');
  }

  async get(id: string, viewer: PublicUser | null): Promise<VideoView> {
    return this.toView(await this.getVisibleRow(id, viewer));
  }

  async getVisibleRow(id: string, viewer: PublicUser | null): Promise<VideoRow> {
    const notFound = () => new AppError('video_not_found', `No video with id "${id}".`);
    // Single flight per id; a missing id throws inside the loader, so misses are never cached.
    const row = await this.cache.getOrLoad(videoCacheKey(id), VIDEO_TTL_MS, async () => {
      const found = await this.repo.get(id);
      if (!found) throw notFound();
      return found;
    });
    // Someone else's unpublished video looks exactly like a missing one.
    if (!this.canView(row, viewer)) throw notFound();
    return row;
  }

  async feed(limit: number, cursor?: string): Promise<Page<VideoView>> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const generation = (await this.cache.get<number>(FEED_GENERATION_KEY)) ?? 0;
    const key = `feed:${generation}:${limit}:${cursor ?? ''}`;
    return this.cache.getOrLoad(key, FEED_TTL_MS, async () => {
      const rows = await this.repo.listPublicFeed(limit + 1, after);
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      const nextCursor =
        rows.length > limit && last ? encodeCursor({ t: new Date(last.created_at).toISOString(), id: last.id }) : null;
      return { items: items.map((r) => this.toView(r)), nextCursor };
    });
  }

  toView(row: VideoRow): VideoView {
    const url = (key: string | undefined) =>
      key && row.media_prefix ? `${this.mediaBaseUrl}/${row.media_prefix}/${key}` : null;
    const view: VideoView = {
      id: row.id,
      status: row.status,
      caption: row.caption,
      visibility: row.visibility,
      author: { id: row.owner_id, username: row.owner_username },
      durationMs: row.duration_ms,
      width: row.width,
      height: row.height,
      createdAt: new Date(row.created_at).toISOString(),
      progress: row.status === 'ready' ? 1 : row.progress,
      playback:
        row.playback && (row.status === 'processing' || row.status === 'ready')
          ? { hls: url(row.playback.hls), mp4: url(row.playback.mp4), poster: url(row.playback.poster) }
          : null,
    };
    if (row.status === 'failed') {
      view.error = { code: row.error_code ?? 'processing_failed', message: row.error_message ?? 'Processing failed.' };
    }
    return view;
  }
}
