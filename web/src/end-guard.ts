/**
 * A stall at the very end of a video is its end.
 *
 * A browser fires `ended` only when playback reaches the media's duration.
 * When the tracks disagree about where the video ends (audio stops a few
 * frames before the picture, a playlist longer than its media, a last
 * segment that never completes), playback halts a fraction of a second
 * short of it: the last frame stays up with a spinner and the video never
 * loops. Curta's renditions are made so their tracks end together, but a
 * video transcoded before that, or a browser that rounds differently, must
 * still loop: no progress for a while, this close to the end, while
 * meant to be playing, counts as the end.
 */

/** How close to the duration a stall counts as the end (a few frames; more than any track mismatch seen). */
export const END_STALL_WINDOW_S = 0.35;
/** How long time must stand still there. Far below anything a viewer waits out; above timer jitter. */
export const END_STALL_MS = 500;

/** What the guard reads from a media element (an HTMLVideoElement satisfies it). */
export interface MediaClock {
  readonly currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
  readonly ended: boolean;
  readonly seeking: boolean;
}

/**
 * Fed the element's state every so often (`check`), says when playback has
 * stood still near the end for `END_STALL_MS`. Pure (the caller supplies the
 * time), so its rules are tested without a browser.
 */
export class EndStallGuard {
  private lastTime = Number.NaN;
  private still = 0;

  /** True once the element has stalled at its end; the caller treats it as `ended` (and loops). */
  check(media: MediaClock, nowMs: number): boolean {
    const d = media.duration;
    if (media.paused || media.ended || media.seeking || !Number.isFinite(d) || d <= 0) {
      this.reset();
      return false;
    }
    if (media.currentTime !== this.lastTime) {
      this.lastTime = media.currentTime;
      this.still = nowMs;
      return false;
    }
    if (d - media.currentTime > END_STALL_WINDOW_S) return false;
    if (nowMs - this.still < END_STALL_MS) return false;
    this.reset();
    return true;
  }

  /** Forget what was seen (a seek, a pause, a new source). */
  reset(): void {
    this.lastTime = Number.NaN;
    this.still = 0;
  }
}
