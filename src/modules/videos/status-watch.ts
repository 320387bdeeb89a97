import type { VideoRow } from './video.types.js';

/** At most this many ids per query; a process rarely watches more. */
const CHUNK = 500;

export interface StatusWatchLogger {
  warn(obj: object, msg: string): void;
}

/**
 * The database side of the processing-status streams: a worker in another
 * process changes a video without telling this one, so open streams must
 * re-read it. One timer per process reads every watched video in one query
 * per tick and hands each stream its row, so N open streams cost one query a
 * second — not N (100 streams polling on their own kept PGlite, a single
 * connection, busy enough that new connections waited seconds).
 */
export class VideoStatusWatch {
  private readonly watchers = new Map<string, Set<(row: VideoRow | null) => void>>();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(
    private readonly load: (ids: readonly string[]) => Promise<VideoRow[]>,
    private readonly intervalMs: number,
    private readonly log?: StatusWatchLogger,
  ) {}

  /** Number of videos watched now. */
  get size(): number {
    return this.watchers.size;
  }

  /** Calls `listener` with the video's row every tick (null once it is gone) until the returned function is called. */
  watch(videoId: string, listener: (row: VideoRow | null) => void): () => void {
    let set = this.watchers.get(videoId);
    if (!set) this.watchers.set(videoId, (set = new Set()));
    set.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      const current = this.watchers.get(videoId);
      if (!current?.delete(listener)) return;
      if (current.size === 0) this.watchers.delete(videoId);
      if (this.watchers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** One read of every watched video; a tick that finds the last one still running is skipped. */
  async tick(): Promise<void> {
    if (this.reading || this.watchers.size === 0) return;
    this.reading = true;
    try {
      const ids = [...this.watchers.keys()];
      const rows = new Map<string, VideoRow>();
      for (let i = 0; i < ids.length; i += CHUNK) {
        for (const row of await this.load(ids.slice(i, i + CHUNK))) rows.set(row.id, row);
      }
      for (const id of ids) {
        for (const listener of this.watchers.get(id) ?? []) listener(rows.get(id) ?? null);
      }
    } catch (err) {
      this.log?.warn({ err }, 'reading watched videos failed; next tick retries');
    } finally {
      this.reading = false;
    }
  }
}
