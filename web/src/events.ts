import { endpoints } from './api.js';
import type { PlaybackEvent, TrafficSource } from './types.js';

const FLUSH_EVERY_MS = 5000;
const MAX_BATCH = 100;
/** Events kept while the API is unreachable; beyond this the oldest go (they are statistics, not data). */
const MAX_QUEUED = 500;

/**
 * Playback events, sent in batches: every few seconds, when a batch is full,
 * and when the page is hidden or left (`fetch(…, {keepalive})`: sendBeacon
 * cannot send the X-Device-Id header). A failed batch is put back once.
 */
export class EventQueue {
  private queue: PlaybackEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sending = false;
  /** Total events handed to the API (for tests and the benchmark). */
  sent = 0;

  constructor() {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.flush(true);
    });
    window.addEventListener('pagehide', () => this.flush(true));
  }

  push(event: Omit<PlaybackEvent, 'at'>): void {
    this.queue.push({ ...event, at: Date.now() });
    if (this.queue.length > MAX_QUEUED) this.queue.splice(0, this.queue.length - MAX_QUEUED);
    if (this.queue.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS);
  }

  /** Sends what is queued now. `leaving`: the page may be going away, so the request must outlive it. */
  flush(leaving = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length === 0 || (this.sending && !leaving)) return;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.send(batch, leaving);
      if (!leaving) break;
    }
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), 0);
  }

  private send(batch: PlaybackEvent[], keepalive: boolean): void {
    this.sending = !keepalive;
    endpoints
      .events(batch, keepalive)
      .then(() => {
        this.sent += batch.length;
      })
      .catch((err: unknown) => {
        // 4xx: the batch itself is refused; resending would fail again.
        const status = (err as { status?: number }).status ?? 0;
        if (!keepalive && (status === 0 || status >= 500 || status === 429)) {
          this.queue.unshift(...batch.map((e) => ({ ...e })));
          this.queue.splice(MAX_QUEUED);
        }
      })
      .finally(() => {
        if (!keepalive) this.sending = false;
        if (this.queue.length > 0) this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS);
      });
  }
}

const SKIP_BEFORE = 0.5;
const PROGRESS_EVERY_MS = 5000;

/**
 * Turns one video's playback into the recommender's events: `impression`
 * when it becomes the current video, `play` when it starts, `progress` every
 * few seconds with the cumulative watched time, `complete` on every full
 * play-through (a loop is a rewatch), and `skip` when the viewer leaves
 * before half of it (and before any complete).
 */
export class WatchSession {
  private watchedMs = 0;
  private lastTime: number | null = null;
  private lastProgressAt = 0;
  private played = false;
  private completes = 0;
  private ended = false;

  constructor(
    private readonly queue: EventQueue,
    readonly videoId: string,
    private readonly durationMs: number | null,
    /** Where the viewer found the video (For You, a profile, a shared link…); sent with every event. */
    private readonly source?: TrafficSource,
  ) {
    this.push({ type: 'impression', videoId });
  }

  private push(event: Omit<PlaybackEvent, 'at' | 'source'>): void {
    this.queue.push(this.source ? { ...event, source: this.source } : event);
  }

  /** The video element reported 'playing'. */
  onPlaying(currentTime: number): void {
    if (this.ended) return;
    this.lastTime = currentTime;
    if (!this.played) {
      this.played = true;
      this.push({ type: 'play', videoId: this.videoId });
    }
  }

  /** 'timeupdate': counts real playback only (seeks and loops jump, they don't count). */
  onTime(currentTime: number, playing: boolean): void {
    if (this.ended) return;
    if (this.lastTime !== null && playing) {
      const delta = currentTime - this.lastTime;
      if (delta > 0 && delta < 1.5) this.watchedMs += delta * 1000;
    }
    this.lastTime = currentTime;
    if (playing && this.watchedMs - this.lastProgressAt >= PROGRESS_EVERY_MS) {
      this.lastProgressAt = this.watchedMs;
      this.push({ type: 'progress', videoId: this.videoId, watchedMs: Math.round(this.watchedMs) });
    }
  }

  /** A seek (scrubbing): the next time update starts from here. */
  onSeek(currentTime: number): void {
    this.lastTime = currentTime;
  }

  /** The video reached its end (it will loop). */
  onComplete(): void {
    if (this.ended) return;
    this.completes++;
    this.lastTime = 0;
    this.push({ type: 'complete', videoId: this.videoId, watchedMs: Math.round(this.watchedMs) });
  }

  /** The viewer moved on (another video became current, or the feed left the screen). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const watchedMs = Math.round(this.watchedMs);
    const fraction = this.durationMs ? watchedMs / this.durationMs : 0;
    if (this.completes === 0 && fraction < SKIP_BEFORE) this.push({ type: 'skip', videoId: this.videoId, watchedMs });
    else if (watchedMs > this.lastProgressAt) this.push({ type: 'progress', videoId: this.videoId, watchedMs });
  }

  get watched(): number {
    return this.watchedMs;
  }
}
