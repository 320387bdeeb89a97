import type Hls from 'hls.js';
import type { Playback } from './api.js';

type HlsModule = typeof import('hls.js');

// hls.js is big; it is fetched once, the first time a video needs it.
let hlsModule: Promise<HlsModule> | null = null;
function loadHls(): Promise<HlsModule> {
  hlsModule ??= import('hls.js');
  hlsModule.catch(() => {
    hlsModule = null; // let a later attach try again
  });
  return hlsModule;
}

export type PlayerMode = 'hls.js' | 'native-hls' | 'mp4';

/**
 * One <video> and its source. `attach()` starts loading (hls.js when the
 * browser has MSE, native HLS on Safari, else the MP4); `detach()` frees the
 * decoder and buffers so a long feed keeps only a few players alive.
 */
export class Player {
  private hls: Hls | null = null;
  private generation = 0;
  private networkRetries = 0;
  private mediaRecoveries = 0;
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
  }

  get attached(): boolean {
    return this.mode !== null;
  }

  update(playback: Playback): void {
    this.playback = playback;
  }

  async attach(): Promise<void> {
    if (this.mode !== null) return;
    const gen = ++this.generation;
    this.video.preload = 'auto';
    const { hls: hlsUrl, mp4 } = this.playback;
    if (hlsUrl) {
      let mod: HlsModule | null = null;
      try {
        mod = await loadHls();
      } catch {
        mod = null;
      }
      if (gen !== this.generation) return; // detached meanwhile
      const HlsClass = mod?.default;
      if (HlsClass?.isSupported()) {
        this.startHlsJs(HlsClass, hlsUrl);
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

  detach(): void {
    this.generation++;
    if (this.mode === null) return;
    this.mode = null;
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

  private startHlsJs(HlsClass: typeof Hls, url: string): void {
    this.mode = 'hls.js';
    const hls = new HlsClass({
      // Playlists of a video still processing are EVENT playlists (they grow):
      // hls.js would treat them as live and jump to the edge; start at the beginning.
      startPosition: 0,
      capLevelToPlayerSize: true,
      maxBufferLength: 20,
      backBufferLength: 10,
    });
    this.hls = hls;
    this.networkRetries = 0;
    this.mediaRecoveries = 0;
    hls.on(HlsClass.Events.ERROR, (_event, data) => {
      if (!data.fatal || this.hls !== hls) return;
      if (data.type === HlsClass.ErrorTypes.NETWORK_ERROR && this.networkRetries < 3) {
        this.networkRetries++;
        setTimeout(() => {
          if (this.hls === hls) hls.startLoad();
        }, 1000 * this.networkRetries);
        return;
      }
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && this.mediaRecoveries < 2) {
        this.mediaRecoveries++;
        hls.recoverMediaError();
        return;
      }
      // Give up on HLS; the progressive MP4 is the last resort.
      this.useMp4();
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }
}
