import { EventEmitter } from 'node:events';
import type { Cache } from '../../ports/cache.js';

export const videoCacheKey = (id: string) => `video:${id}`;
/** The decorated answer an anonymous viewer gets (row + counters); dropped on every change. */
export const anonymousViewKey = (id: string) => `video:anon:${id}`;
export const FEED_GENERATION_KEY = 'feed:gen';
/** Local event name; video ids never contain ':'. */
const FEED_CHANGED = 'feed:changed';
const ANY_VIDEO_CHANGED = 'video:changed';
const VIEWERS_CHANGED = 'viewers:changed';

/**
 * "Video X changed" — called after every committed change to a video. It
 * drops the cached copy (shared across processes when the cache is Redis),
 * bumps the feed generation when the public feed may have changed, and wakes
 * this process's SSE streams at once (streams also re-read the database on an
 * interval, so changes made by a worker in another process still arrive).
 */
export class VideoEvents {
  private readonly emitter = new EventEmitter();

  constructor(private readonly cache?: Cache) {
    this.emitter.setMaxListeners(0);
  }

  async changed(videoId: string, opts: { feed?: boolean } = {}): Promise<void> {
    this.emitter.emit(ANY_VIDEO_CHANGED, videoId);
    if (this.cache) {
      await Promise.all([this.cache.delete(videoCacheKey(videoId)), this.cache.delete(anonymousViewKey(videoId))]);
      if (opts.feed) await this.cache.incr(FEED_GENERATION_KEY);
      // Again: a request that read the shared cache before the delete landed may have kept the old answer locally.
      this.emitter.emit(ANY_VIDEO_CHANGED, videoId);
    }
    if (opts.feed) this.emitter.emit(FEED_CHANGED);
    this.emitter.emit(videoId);
  }

  /** This process published or withdrew a video (other processes learn it from the feed generation). */
  onFeedChanged(listener: () => void): () => void {
    this.emitter.on(FEED_CHANGED, listener);
    return () => this.emitter.off(FEED_CHANGED, listener);
  }

  /** Any video changed in this process (before the shared cache is told). */
  onVideoChanged(listener: (videoId: string) => void): () => void {
    this.emitter.on(ANY_VIDEO_CHANGED, listener);
    return () => this.emitter.off(ANY_VIDEO_CHANGED, listener);
  }

  /**
   * "What these users may watch changed": a follow or unfollow, a block or
   * unblock, a ban or unban between or of them. Local only: what other
   * processes cached about them (signed-media decisions) lapses within seconds.
   */
  viewersChanged(...userIds: string[]): void {
    this.emitter.emit(VIEWERS_CHANGED, userIds);
  }

  onViewersChanged(listener: (userIds: readonly string[]) => void): () => void {
    this.emitter.on(VIEWERS_CHANGED, listener);
    return () => this.emitter.off(VIEWERS_CHANGED, listener);
  }

  subscribe(videoId: string, listener: () => void): () => void {
    this.emitter.on(videoId, listener);
    return () => this.emitter.off(videoId, listener);
  }
}
