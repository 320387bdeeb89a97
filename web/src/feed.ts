import { endpoints, messageOf, type VideoView } from './api.js';
import { h, icon, setText } from './dom.js';
import { Player } from './player.js';

const PAGE_SIZE = 10;
/** Slides this far (or farther) from the one on screen lose their player. */
const TEARDOWN_DISTANCE = 3;

interface Slide {
  view: VideoView;
  el: HTMLElement;
  video: HTMLVideoElement;
  muteButton: HTMLButtonElement;
  tapLayer: HTMLButtonElement;
  player: Player | null;
  /** Paused by a tap: stays paused until tapped again or scrolled away and back. */
  userPaused: boolean;
}

/**
 * The vertical, one-video-per-screen feed. A scroll-snap container of slides;
 * an IntersectionObserver decides which slide is on screen: that one plays
 * (muted until the viewer unmutes), its neighbours preload, far ones are torn down.
 */
export class Feed {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly sentinel: HTMLElement;
  private slides: Slide[] = [];
  private cursor: string | null = null;
  private exhausted = false;
  private loading: Promise<void> | null = null;
  private active: Slide | null = null;
  private muted = true;
  private readonly visibility = new Map<HTMLElement, number>();
  private readonly io: IntersectionObserver;
  private readonly sentinelIo: IntersectionObserver;

  constructor() {
    this.list = h('div', { class: 'feed-list' });
    this.status = h('div', { class: 'feed-status', attrs: { 'aria-live': 'polite' } });
    this.sentinel = h('div', { class: 'feed-sentinel', attrs: { 'aria-hidden': 'true' } });
    this.el = h('main', { class: 'feed', attrs: { 'data-testid': 'feed', 'aria-label': 'Video feed', tabindex: -1 } }, this.list, this.status, this.sentinel);

    this.io = new IntersectionObserver((entries) => this.onIntersect(entries), {
      root: this.el,
      threshold: [0, 0.25, 0.5, 0.6, 0.75, 1],
    });
    this.sentinelIo = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void this.loadMore();
      },
      { root: this.el, rootMargin: '0px 0px 200% 0px' },
    );
    this.sentinelIo.observe(this.sentinel);

    document.addEventListener('visibilitychange', () => {
      if (document.hidden) this.active?.video.pause();
      else if (this.active) void this.play(this.active);
    });
    document.addEventListener('keydown', (ev) => this.onKey(ev));
  }

  /** Loads the next page (the first one on the first call). */
  loadMore(): Promise<void> {
    if (this.loading) return this.loading;
    if (this.exhausted) return Promise.resolve();
    this.loading = (async () => {
      if (this.slides.length === 0) this.showStatus('loading');
      try {
        const page = await endpoints.feed(PAGE_SIZE, this.cursor);
        for (const view of page.items) this.addSlide(view);
        this.cursor = page.nextCursor;
        this.exhausted = !page.nextCursor;
        this.showStatus(this.slides.length === 0 ? 'empty' : null);
      } catch (err) {
        this.showStatus('error', messageOf(err));
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** Puts a video at the top of the feed (or finds it there) and scrolls to it. */
  show(view: VideoView): void {
    let slide = this.slides.find((s) => s.view.id === view.id);
    if (!slide) slide = this.addSlide(view, true);
    this.showStatus(null);
    slide.el.scrollIntoView({ block: 'start' });
    this.setActive(slide);
    this.el.focus({ preventScroll: true });
  }

  private addSlide(view: VideoView, atTop = false): Slide {
    const existing = this.slides.find((s) => s.view.id === view.id);
    if (existing) return existing;

    const video = h('video', {
      class: 'slide-video',
      attrs: {
        playsinline: true,
        'webkit-playsinline': true,
        muted: true,
        loop: true,
        preload: 'none',
        disablepictureinpicture: true,
        'data-testid': 'feed-video',
      },
    });
    video.muted = true;
    if (view.playback?.poster) video.poster = view.playback.poster;
    const portrait = !view.width || !view.height || view.height >= view.width;
    video.classList.add(portrait ? 'fit-cover' : 'fit-contain');

    const tapLayer = h('button', { class: 'tap-layer', attrs: { type: 'button', 'aria-label': 'Pause video' } });
    const muteButton = h(
      'button',
      { class: 'round-btn mute-btn', attrs: { type: 'button', 'data-testid': 'mute-toggle', 'aria-pressed': 'true', 'aria-label': 'Unmute' } },
      icon('muted', 'icon icon-muted'),
      icon('sound', 'icon icon-sound'),
    );
    const author = h('div', { class: 'slide-author', attrs: { 'data-testid': 'author' } }, `@${view.author.username}`);
    const caption = view.caption ? h('p', { class: 'slide-caption', attrs: { 'data-testid': 'caption', dir: 'auto' } }, view.caption) : null;
    const message = h('div', { class: 'slide-message', attrs: { role: 'status' } });
    const timeline = h('div', { class: 'slide-timeline', attrs: { 'aria-hidden': 'true' } });

    const el = h(
      'article',
      {
        class: 'slide is-muted',
        attrs: {
          'data-testid': 'feed-item',
          'data-video-id': view.id,
          'aria-label': `Video by @${view.author.username}`,
        },
      },
      h('div', { class: 'slide-poster-bg', attrs: { 'aria-hidden': 'true' } }),
      video,
      tapLayer,
      h('div', { class: 'slide-paused', attrs: { 'aria-hidden': 'true' } }, icon('play', 'icon icon-fill')),
      h('div', { class: 'slide-spinner', attrs: { 'aria-hidden': 'true' } }),
      message,
      h('div', { class: 'slide-shade', attrs: { 'aria-hidden': 'true' } }),
      h('div', { class: 'slide-meta' }, author, caption),
      h('div', { class: 'slide-actions' }, muteButton),
      timeline,
    );
    if (view.playback?.poster) {
      // Blurred backdrop for letterboxed (landscape) videos; CSS url() escaping via JSON string quoting.
      el.style.setProperty('--poster', `url(${JSON.stringify(view.playback.poster)})`);
    }

    const slide: Slide = { view, el, video, muteButton, tapLayer, player: null, userPaused: false };
    if (view.playback && (view.playback.hls || view.playback.mp4)) {
      slide.player = new Player(video, view.playback, (msg) => {
        setText(message, msg);
        el.classList.add('has-error');
      });
    } else {
      setText(message, view.status === 'failed' ? (view.error?.message ?? 'Processing failed.') : 'This video is still processing…');
      el.classList.add('has-error');
    }

    tapLayer.addEventListener('click', () => this.togglePause(slide));
    muteButton.addEventListener('click', () => this.setMuted(!this.muted));
    video.addEventListener('playing', () => el.classList.remove('is-buffering', 'is-paused'));
    video.addEventListener('pause', () => {
      if (slide.userPaused) el.classList.add('is-paused');
    });
    video.addEventListener('waiting', () => el.classList.add('is-buffering'));
    video.addEventListener('canplay', () => el.classList.remove('is-buffering'));
    video.addEventListener('loadeddata', () => el.classList.add('has-frame'));
    video.addEventListener('timeupdate', () => {
      const d = video.duration;
      timeline.style.setProperty('--played', Number.isFinite(d) && d > 0 ? String(video.currentTime / d) : '0');
    });
    video.addEventListener('emptied', () => el.classList.remove('has-frame', 'is-buffering'));

    if (atTop) {
      this.slides.unshift(slide);
      this.list.prepend(el);
    } else {
      this.slides.push(slide);
      this.list.append(el);
    }
    this.io.observe(el);
    return slide;
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) this.visibility.set(e.target as HTMLElement, e.isIntersecting ? e.intersectionRatio : 0);
    let best: Slide | null = null;
    let bestRatio = 0;
    for (const s of this.slides) {
      const r = this.visibility.get(s.el) ?? 0;
      if (r > bestRatio) {
        best = s;
        bestRatio = r;
      }
    }
    if (best && bestRatio >= 0.6 && best !== this.active) this.setActive(best);
  }

  private setActive(slide: Slide): void {
    const changed = this.active !== slide;
    this.active = slide;
    if (changed) slide.userPaused = false;
    const index = this.slides.indexOf(slide);
    this.slides.forEach((s, i) => {
      const distance = Math.abs(i - index);
      s.el.classList.toggle('is-active', distance === 0);
      if (distance === 0) {
        void this.play(s);
      } else {
        s.video.pause();
        s.el.classList.remove('is-paused');
        if (distance === 1) void s.player?.attach(); // preload the neighbours
        else if (distance >= TEARDOWN_DISTANCE) s.player?.detach();
      }
    });
    if (index >= this.slides.length - 3) void this.loadMore();
  }

  private async play(slide: Slide): Promise<void> {
    if (!slide.player || slide.userPaused || document.hidden) return;
    slide.video.muted = this.muted;
    await slide.player.attach();
    if (this.active !== slide || slide.userPaused) return;
    try {
      await slide.video.play();
    } catch (err) {
      if (err instanceof DOMException && err.name === 'NotAllowedError' && !slide.video.muted) {
        // The browser refuses sound without a gesture: play muted instead.
        this.setMuted(true);
        await slide.video.play().catch(() => undefined);
      }
      // AbortError: a pause() or a new source interrupted play(); nothing to do.
    }
  }

  private togglePause(slide: Slide): void {
    if (slide !== this.active) this.setActive(slide);
    if (slide.video.paused) {
      slide.userPaused = false;
      slide.el.classList.remove('is-paused');
      slide.tapLayer.setAttribute('aria-label', 'Pause video');
      void this.play(slide);
    } else {
      slide.userPaused = true;
      slide.el.classList.add('is-paused');
      slide.tapLayer.setAttribute('aria-label', 'Play video');
      slide.video.pause();
    }
  }

  private setMuted(muted: boolean): void {
    this.muted = muted;
    for (const s of this.slides) {
      s.video.muted = muted;
      s.el.classList.toggle('is-muted', muted);
      s.muteButton.setAttribute('aria-pressed', String(muted));
      s.muteButton.setAttribute('aria-label', muted ? 'Unmute' : 'Mute');
    }
    // Unmuting is a user gesture: a paused active video may start now.
    if (!muted && this.active && this.active.video.paused && !this.active.userPaused) void this.play(this.active);
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement) return;
    if (document.querySelector('dialog[open]')) return;
    const index = this.active ? this.slides.indexOf(this.active) : -1;
    const go = (i: number) => {
      const s = this.slides[i];
      if (s) s.el.scrollIntoView({ block: 'start', behavior: 'smooth' });
    };
    switch (ev.key) {
      case 'ArrowDown':
      case 'PageDown':
      case 'j':
        go(index + 1);
        break;
      case 'ArrowUp':
      case 'PageUp':
      case 'k':
        go(index - 1);
        break;
      case ' ':
        if (ev.target instanceof HTMLButtonElement) return;
        if (this.active) this.togglePause(this.active);
        break;
      case 'm':
        this.setMuted(!this.muted);
        break;
      default:
        return;
    }
    ev.preventDefault();
  }

  private showStatus(kind: 'loading' | 'empty' | 'error' | null, message?: string): void {
    this.status.replaceChildren();
    this.status.className = 'feed-status';
    if (kind === null) return;
    this.status.classList.add(`is-${kind}`);
    if (kind === 'loading') {
      this.status.append(h('div', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }), h('p', {}, 'Loading videos…'));
    } else if (kind === 'empty') {
      this.status.append(
        h('div', { class: 'feed-status-card', attrs: { 'data-testid': 'feed-empty' } },
          h('h2', {}, 'No videos yet'),
          h('p', {}, 'Be the first: tap + to upload a short video.'),
        ),
      );
    } else {
      const retry = h('button', { class: 'btn', attrs: { type: 'button' } }, icon('refresh'), 'Try again');
      retry.addEventListener('click', () => void this.loadMore());
      this.status.append(
        h('div', { class: 'feed-status-card', attrs: { 'data-testid': 'feed-error', role: 'alert' } },
          h('h2', {}, "Couldn't load the feed"),
          h('p', {}, message ?? ''),
          retry,
        ),
      );
      // A failed page later in the feed: let the next scroll try again.
      if (this.slides.length > 0) this.status.classList.add('is-inline');
    }
  }
}
