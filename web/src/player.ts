import type Hls from 'hls.js';
import { EndStallGuard } from './end-guard.js';
import type { Playback } from './types.js';

type HlsClass = typeof Hls;

// hls.js's light build (ABR, fMP4; no subtitles, alternate audio or DRM, which Curta never
// produces) is its own chunk. `preloadHls()` starts fetching it as the page boots, alongside
// the first feed page, so it is never on the critical path twice.
let hlsModule: Promise<HlsClass | null> | null = null;
export function preloadHls(): Promise<HlsClass | null> {
  hlsModule ??= import('hls.js/light').then(
    (m) => m.default,
    () => {
      hlsModule = null; // let a later attach try again
      return null;
    },
  );
  return hlsModule;
}

export type PlayerMode = 'hls.js' | 'native-hls' | 'mp4';

/** Buffer ahead while a video waits its turn (preloaded next in the feed) vs. while it plays. */
const PRELOAD_BUFFER_S = 4;
const PLAYING_BUFFER_S = 20;
/** How often a playing video's clock is checked for a stall at its end. */
const END_CHECK_MS = 250;
/** How often a warm-up checks whether its video's clock has moved; how long it waits at most. */
const WARM_POLL_MS = 8;
/** How far a warm-up plays: past the frames a starting pipeline drops (about three at 30 fps). */
const WARM_RUN_S = 0.1;
const WARM_GIVE_UP_MS = 3000;

/**
 * One <video> and its source. `attach()` starts loading (hls.js when the
 * browser has MSE, native HLS on Safari, else the MP4); a player attached
 * in `preload` mode fetches the playlist and the first segments only.
 * `detach()` frees the decoder and buffers so a long feed keeps only a few
 * players alive. A video that stalls a hair before its end (see end-guard.ts)
 * gets an `ended` event all the same, so whoever loops it on `ended` does.
 *
 * A preloaded player is also *warmed*: once its first frame is decoded it
 * plays silently (volume 0, off screen) for about 0.1 s and pauses there
 * (`data-warm="true"` on the video then). In Chromium a media pipeline that
 * has never run pays its start-up on its first play() (the first frames
 * after its clock starts are dropped: the first new picture comes ~0.1 s of
 * media later, 100–150 ms after the swipe); one that has run and was paused
 * resumes at once, and a seek back to 0 would undo the warming. So a swipe to
 * a warm player only presents, from 0.1 s in (when it loops, it starts at 0).
 * Warming is bounded by whoever attaches players (the feed keeps four: one
 * behind, the current one, two ahead); it costs three decoded frames each.
 */
export class Player {
  private hls: Hls | null = null;
  private generation = 0;
  private networkRetries = 0;
  private mediaRecoveries = 0;
  private preload = true;
  private readonly endGuard = new EndStallGuard();
  private endTimer: ReturnType<typeof setInterval> | null = null;
  /** cold: never started; warming: playing silently for WARM_RUN_S; warm: has run (warmed or played). */
  private warmth: 'cold' | 'warming' | 'warm' = 'cold';
  private warmTimer: ReturnType<typeof setTimeout> | null = null;
  private warmVolume = 1;
  mode: PlayerMode | null = null;

  constructor(
    readonly video: HTMLVideoElement,
    private playback: Playback,
    private readonly onFatal: (message: string) => void,
  ) {
    video.addEventListener('error', () => {
      // hls.js reports through its own events; a native source error is final unless an MP4 remains.
      if (this.mode === null || this.mode === 'hls.js' || !video.error) return;
      if (this.mode === 'native-hls' && this.playback.mp4) this.useMp4();
      else this.onFatal("This video can't be played in this browser.");
    });
    // Watch for a stall at the end only while playing: no timer runs for paused or preloaded players.
    video.addEventListener('playing', () => {
      this.watchEnd();
      if (this.warmth === 'cold') this.warmth = 'warm'; // played for real: nothing to warm
    });
    for (const type of ['pause', 'ended', 'emptied'] as const) video.addEventListener(type, () => this.unwatchEnd());
    // A preloaded player warms up as soon as its first frame is decoded.
    video.addEventListener('loadeddata', () => this.warmUp());
  }

  /**
   * Plays a preloaded, never-started video silently until its clock moves, then
   * pauses it there (see the class comment). Not while it is the one to play,
   * nor in a hidden page.
   */
  private warmUp(): void {
    const v = this.video;
    if (this.warmth !== 'cold' || !this.preload || this.mode === null || document.hidden) return;
    if (v.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !v.paused || v.ended) return;
    this.warmth = 'warming';
    this.warmVolume = v.volume;
    v.volume = 0;
    const gen = this.generation;
    const from = v.currentTime;
    const giveUpAt = performance.now() + WARM_GIVE_UP_MS;
    const check = () => {
      this.warmTimer = null;
      if (this.warmth !== 'warming' || gen !== this.generation) return;
      if (v.currentTime >= from + WARM_RUN_S || v.paused || performance.now() > giveUpAt) {
        this.endWarmUp(true);
        return;
      }
      this.warmTimer = setTimeout(check, WARM_POLL_MS);
    };
    v.play().then(check, () => {
      if (gen === this.generation) this.endWarmUp(false); // not a warm-up of a source attached since
    });
  }

  /** Ends a warm-up: paused where it got to, the volume as it was. */
  private endWarmUp(ran: boolean): void {
    if (this.warmth !== 'warming') return;
    if (this.warmTimer !== null) clearTimeout(this.warmTimer);
    this.warmTimer = null;
    this.video.pause();
    this.video.volume = this.warmVolume;
    // Refused (a browser that allows no silent play): it stays cold, and plays cold when its turn comes.
    this.warmth = ran ? 'warm' : 'cold';
    this.video.dataset.warm = String(ran);
  }

  private watchEnd(): void {
    if (this.endTimer !== null) return;
    this.endGuard.reset();
    this.endTimer = setInterval(() => {
      if (!this.endGuard.check(this.video, performance.now())) return;
      this.unwatchEnd();
      // Counted for tests and diagnostics: a rendition that needs this is worth knowing about.
      this.video.dataset.endStalls = String(Number(this.video.dataset.endStalls ?? 0) + 1);
      this.video.dispatchEvent(new Event('ended'));
    }, END_CHECK_MS);
  }

  private unwatchEnd(): void {
    if (this.endTimer === null) return;
    clearInterval(this.endTimer);
    this.endTimer = null;
  }

  get attached(): boolean {
    return this.mode !== null;
  }

  /** The rendition playing now (hls.js), e.g. "720p", for tests and diagnostics. */
  get level(): { index: number; height: number; bitrate: number } | null {
    const hls = this.hls;
    if (!hls) return null;
    const index = hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel;
    const level = hls.levels[index];
    return level ? { index, height: level.height, bitrate: level.bitrate } : null;
  }

  update(playback: Playback): void {
    this.playback = playback;
  }

  /** Start loading. `preload`: only the start (the video is next in line, not on screen). */
  async attach(opts: { preload?: boolean } = {}): Promise<void> {
    this.setPreload(opts.preload ?? false);
    if (this.mode !== null) return;
    const gen = ++this.generation;
    this.video.preload = 'auto';
    const { hls: hlsUrl, mp4 } = this.playback;
    if (hlsUrl) {
      const HlsCtor = await preloadHls();
      if (gen !== this.generation) return; // detached meanwhile
      if (HlsCtor?.isSupported()) {
        this.startHlsJs(HlsCtor, hlsUrl);
        return;
      }
      if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
        this.mode = 'native-hls';
        this.video.src = hlsUrl;
        return;
      }
    }
    if (mp4) {
      this.useMp4();
      return;
    }
    this.onFatal("This video can't be played in this browser.");
  }

  private setPreload(preload: boolean): void {
    this.preload = preload;
    // Its turn to play: a warm-up still running stops here (paused, volume back), so the
    // caller's play() is a real start, with its `playing` event.
    if (!preload && this.warmth === 'warming') this.endWarmUp(true);
    if (this.hls) {
      this.hls.config.maxBufferLength = preload ? PRELOAD_BUFFER_S : PLAYING_BUFFER_S;
      this.hls.config.maxMaxBufferLength = preload ? PRELOAD_BUFFER_S : 60;
    }
  }

  detach(): void {
    this.generation++;
    if (this.mode === null) return;
    this.mode = null;
    this.unwatchEnd();
    this.endWarmUp(false);
    this.warmth = 'cold';
    delete this.video.dataset.warm;
    this.hls?.destroy();
    this.hls = null;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load(); // drops buffers; the poster shows again
  }

  private useMp4(): void {
    this.hls?.destroy();
    this.hls = null;
    if (!this.playback.mp4) {
      this.mode = null;
      this.onFatal("This video can't be played right now.");
      return;
    }
    this.mode = 'mp4';
    this.video.src = this.playback.mp4;
  }

  private startHlsJs(HlsCtor: HlsClass, url: string): void {
    this.mode = 'hls.js';
    const hls = new HlsCtor({
      // Playlists of a video still processing are EVENT playlists (they grow):
      // hls.js would treat them as live and jump to the edge; start at the beginning.
      startPosition: 0,
      capLevelToPlayerSize: true,
      maxBufferLength: this.preload ? PRELOAD_BUFFER_S : PLAYING_BUFFER_S,
      maxMaxBufferLength: this.preload ? PRELOAD_BUFFER_S : 60,
      backBufferLength: 10,
      // Short videos: start on a rung that loads fast and let ABR climb.
      testBandwidth: false,
      startFragPrefetch: true,
    });
    this.hls = hls;
    this.networkRetries = 0;
    this.mediaRecoveries = 0;
    hls.on(HlsCtor.Events.ERROR, (_event, data) => {
      if (!data.fatal || this.hls !== hls) return;
      if (data.type === HlsCtor.ErrorTypes.NETWORK_ERROR && this.networkRetries < 3) {
        this.networkRetries++;
        setTimeout(() => {
          if (this.hls === hls) hls.startLoad();
        }, 1000 * this.networkRetries);
        return;
      }
      if (data.type === HlsCtor.ErrorTypes.MEDIA_ERROR && this.mediaRecoveries < 2) {
        this.mediaRecoveries++;
        hls.recoverMediaError();
        return;
      }
      // Give up on HLS; the progressive MP4 is the last resort.
      this.useMp4();
    });
    hls.on(HlsCtor.Events.LEVEL_SWITCHED, (_e, data) => {
      const level = hls.levels[data.level];
      if (level) this.video.dataset.level = `${Math.min(level.width, level.height)}p`;
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }
}
