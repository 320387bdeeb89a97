import { archivedVideo, archiveOf, type ArchivedVideo } from './archive/archived-video.js';
import { endpoints, messageOf, session } from './api.js';
import { captionBlock, compactCount, countOf } from './caption.js';
import type { AppContext } from './context.js';
import { h, icon, setText, toast } from './dom.js';
import { WatchSession } from './events.js';
import { attachLongPress } from './long-press.js';
import { Player } from './player.js';
import type { Page, TrafficSource, VideoView } from './types.js';

/** Players kept: the current one, the previous one, and the next two (preloaded). */
const KEEP_BEHIND = 1;
const PRELOAD_AHEAD = 2;
/** Posters are set on slides this close, so far-away slides load nothing. */
const POSTER_DISTANCE = 4;
const DOUBLE_TAP_MS = 280;

export interface FeedSource {
  /** The next page (the first when `cursor` is null). */
  load(cursor: string | null): Promise<Page<VideoView>>;
  /** Where viewers found the videos it lists (sent with playback events, for creator analytics). */
  traffic?: TrafficSource;
  /** Shown when the first page is empty. */
  empty: { title: string; text: string; action?: { label: string; run: () => void } };
}

interface Slide {
  view: VideoView;
  el: HTMLElement;
  video: HTMLVideoElement;
  tapLayer: HTMLButtonElement;
  seek: HTMLInputElement;
  likeButton: HTMLButtonElement;
  likeCount: HTMLElement;
  commentCount: HTMLElement;
  shareCount: HTMLElement;
  followButton: HTMLButtonElement;
  avatar: HTMLElement;
  player: Player | null;
  /** Paused by a tap: stays paused until tapped again or scrolled away and back. */
  userPaused: boolean;
  scrubbing: boolean;
  posterSet: boolean;
  /** The viewer changed since this view was fetched (its `viewer` flags are someone else's). */
  stale: boolean;
  /** Archived or restoring: the wait shown instead of a player, until it is ready. */
  archive?: ArchivedVideo | undefined;
}

const reducedMotion = () => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;

/** Avatars by username, fetched once per page life (VideoView carries only the author's id and name). */
const avatars = new Map<string, Promise<string | null>>();
function avatarOf(username: string): Promise<string | null> {
  let p = avatars.get(username);
  if (!p) {
    p = endpoints.profile(username).then(
      (profile) => profile.avatarUrl,
      () => null,
    );
    avatars.set(username, p);
  }
  return p;
}

/** What a video is called for screen readers: its author and caption. */
function videoLabel(view: VideoView): string {
  const caption = view.caption.replace(/\s+/g, ' ').trim();
  const short = caption.length > 120 ? `${caption.slice(0, 119).trimEnd()}…` : caption;
  return short ? `Video by @${view.author.username}: ${short}` : `Video by @${view.author.username}`;
}

/**
 * Only the current video's controls are in the Tab order (every slide stays in
 * the DOM for the swipe): the others' links, buttons and seek bar get
 * tabindex -1. Elements marked `data-no-tab` (a second link to the same place)
 * never are.
 */
function setTabbable(slide: HTMLElement, on: boolean): void {
  for (const el of slide.querySelectorAll<HTMLElement>('a[href], button, input, textarea, select, [data-tabbable]')) {
    if (el.hasAttribute('data-no-tab')) continue;
    if (on) el.removeAttribute('tabindex');
    else el.tabIndex = -1;
  }
}

function captionElement(view: VideoView): HTMLElement | null {
  return captionBlock(view);
}

/**
 * The vertical, one-video-per-screen feed: a scroll-snap container of
 * slides. An IntersectionObserver decides which slide is current: it plays
 * (muted until the viewer's first gesture), the next two preload their
 * playlist and first segments, the previous one stays ready for a swipe
 * back, and every other player is torn down so memory stays flat.
 */
export class Feed {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private slides: Slide[] = [];
  private cursor: string | null = null;
  private exhausted = false;
  private loading: Promise<void> | null = null;
  private active: Slide | null = null;
  private watch: WatchSession | null = null;
  private visible = false;
  private started = false;
  private readonly ratios = new Map<Element, number>();
  private readonly io: IntersectionObserver;
  private raf = 0;
  private lastTap = 0;
  private tapTimer: ReturnType<typeof setTimeout> | null = null;
  /** The slide step() went to, while the list scrolls there. */
  private stepping: Slide | null = null;
  private steppingTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly cleanups: Array<() => void> = [];
  /** The videos the feed opened with, and where their viewers came from (a shared link, say). */
  private readonly firstIds: Set<string>;
  private readonly firstTraffic: TrafficSource | undefined;

  constructor(
    private readonly source: FeedSource,
    private readonly ctx: AppContext,
    opts: { label: string; heading?: string; testId?: string; first?: VideoView[]; firstTraffic?: TrafficSource } = { label: 'Video feed' },
  ) {
    this.firstIds = new Set((opts.first ?? []).map((v) => v.id));
    this.firstTraffic = opts.firstTraffic;
    this.list = h('div', { class: 'feed-list' });
    this.status = h('div', { class: 'feed-status', attrs: { 'aria-live': 'polite' } });
    this.el = h(
      'section',
      { class: 'feed', attrs: { 'data-testid': opts.testId ?? 'feed', 'aria-label': opts.label, tabindex: -1 } },
      // Every page has a heading; the feed's is for screen readers (the tabs say it on screen).
      h('h1', { class: 'visually-hidden' }, opts.heading ?? opts.label),
      this.list,
      this.status,
    );
    this.io = new IntersectionObserver((entries) => this.onIntersect(entries), {
      root: this.el,
      threshold: [0, 0.25, 0.5, 0.6, 0.75, 1],
    });
    for (const view of opts.first ?? []) this.addSlide(view);

    const onVisibility = () => {
      if (!this.visible) return;
      if (document.hidden) {
        this.active?.video.pause();
      } else if (this.active) void this.play(this.active);
    };
    document.addEventListener('visibilitychange', onVisibility);
    const onKey = (ev: KeyboardEvent) => this.onKey(ev);
    document.addEventListener('keydown', onKey);
    const unsubscribeSound = ctx.sound.subscribe((muted) => {
      for (const s of this.slides) this.renderMuted(s, muted);
      // Sound on is a user gesture: a paused current video may start now.
      if (!muted && this.active && this.active.video.paused && !this.active.userPaused) void this.play(this.active);
    });
    let viewerId = session.user?.id ?? null;
    const unsubscribeSession = session.subscribe((user) => {
      // The same viewer again (a session check at start-up): nothing to fetch again.
      if ((user?.id ?? null) === viewerId) return;
      viewerId = user?.id ?? null;
      // Likes and follows were the previous viewer's: fetched again as each slide comes up.
      for (const s of this.slides) {
        s.stale = true;
        this.renderFollow(s);
      }
      if (this.active) void this.refresh(this.active);
    });
    this.cleanups.push(
      () => document.removeEventListener('visibilitychange', onVisibility),
      () => document.removeEventListener('keydown', onKey),
      unsubscribeSound,
      unsubscribeSession,
    );
  }

  /** The feed is on screen: load the first page if needed, play the current video. */
  show(): void {
    this.visible = true;
    this.el.hidden = false;
    if (!this.started) {
      this.started = true;
      if (this.slides.length > 0) {
        this.setActive(this.slides[0]!);
        this.showStatus(null);
      }
      void this.loadMore();
    } else if (this.active) {
      this.setActive(this.active, true);
    }
  }

  /** Another page covers the feed: pause, end the watch session, free all but the current player. */
  hide(): void {
    this.visible = false;
    this.el.hidden = true;
    this.endWatch();
    cancelAnimationFrame(this.raf);
    for (const s of this.slides) {
      s.archive?.deactivate();
      if (s === this.active) s.video.pause();
      else s.player?.detach();
    }
  }

  destroy(): void {
    this.hide();
    if (this.steppingTimer) clearTimeout(this.steppingTimer);
    for (const s of this.slides) {
      s.player?.detach();
      s.archive?.destroy();
    }
    this.io.disconnect();
    for (const fn of this.cleanups) fn();
    this.el.remove();
  }

  /** Slides of this author leave the feed (the viewer blocked them). */
  removeAuthor(userId: string): void {
    const gone = this.slides.filter((s) => s.view.author.id === userId);
    if (gone.length === 0) return;
    const wasActive = this.active && gone.includes(this.active);
    for (const s of gone) {
      s.player?.detach();
      s.archive?.deactivate();
      this.io.unobserve(s.el);
      s.el.remove();
    }
    this.slides = this.slides.filter((s) => !gone.includes(s));
    if (wasActive) {
      this.endWatch();
      this.active = null;
      const next = this.slides[0];
      if (next && this.visible) this.setActive(next);
    }
    if (this.slides.length === 0 && this.exhausted) this.showStatus('empty');
  }

  /**
   * One video leaves the feed (the viewer is "Not interested"): the next one takes its place.
   * Returns how to put it back where it was (undo), or null when the feed does not hold it.
   */
  removeVideo(videoId: string): (() => void) | null {
    const index = this.slides.findIndex((s) => s.view.id === videoId);
    if (index < 0) return null;
    const slide = this.slides[index]!;
    const wasActive = slide === this.active;
    slide.player?.detach();
    slide.archive?.deactivate();
    this.io.unobserve(slide.el);
    this.ratios.delete(slide.el);
    slide.el.remove();
    this.slides.splice(index, 1);
    if (wasActive) {
      this.endWatch();
      this.active = null;
      const next = this.slides[index] ?? this.slides[index - 1];
      if (next && this.visible) this.setActive(next);
    }
    if (this.slides.length === 0) {
      if (this.exhausted) this.showStatus('empty');
      else void this.loadMore();
    }
    return () => {
      if (this.slides.includes(slide) || this.slides.some((s) => s.view.id === videoId)) return;
      const at = Math.min(index, this.slides.length);
      this.list.insertBefore(slide.el, this.slides[at]?.el ?? null);
      this.slides.splice(at, 0, slide);
      this.io.observe(slide.el);
      this.showStatus(null);
      if (wasActive && this.visible) {
        slide.el.scrollIntoView({ block: 'start' });
        this.setActive(slide);
      }
    };
  }

  /** Its owner edited a video: caption, cover and playback URLs (visibility decides plain or signed) change in place. */
  updateVideo(updated: VideoView): void {
    for (const s of this.slides) {
      if (s.view.id !== updated.id) continue;
      const before = s.view;
      s.view = { ...updated, stats: updated.stats ?? before.stats, viewer: updated.viewer ?? before.viewer };
      const meta = s.el.querySelector('.slide-meta');
      meta?.querySelector('.caption-box')?.remove();
      const caption = captionElement(updated);
      if (caption) meta?.append(caption);
      s.el.setAttribute('aria-label', videoLabel(s.view));
      s.video.setAttribute('aria-label', videoLabel(s.view));
      setTabbable(s.el, s === this.active);
      const playback = updated.playback;
      if (!playback) continue;
      if (playback.poster && playback.poster !== before.playback?.poster && s.posterSet) {
        s.el.style.setProperty('--poster', `url(${JSON.stringify(playback.poster)})`);
        if (!s.el.classList.contains('has-frame')) s.video.poster = playback.poster;
      }
      s.player?.update(playback);
      // New media URLs (made private: the plain ones stop answering): load from them.
      if (s.player?.attached && (playback.hls !== before.playback?.hls || playback.mp4 !== before.playback?.mp4)) {
        const at = s.video.currentTime;
        s.player.detach();
        if (s === this.active) {
          void this.play(s).then(() => {
            if (at > 0 && Number.isFinite(at)) s.video.currentTime = at;
          });
        }
      }
    }
  }

  /**
   * Goes to the video `by` places after (before, when negative) the current one (keys, the
   * desktop buttons). It becomes current at once — its warm player presents while the list
   * scrolls — rather than when the scroll has brought it into view; until the scroll lands
   * (or a second has passed), the slide it leaves cannot take the turn back.
   */
  step(by: number): void {
    if (!this.visible) return;
    const index = this.active ? this.slides.indexOf(this.active) : -1;
    const s = this.slides[index + by];
    if (!s) return;
    s.el.scrollIntoView({ block: 'start', behavior: reducedMotion() ? 'auto' : 'smooth' });
    this.stepping = s;
    if (this.steppingTimer) clearTimeout(this.steppingTimer);
    this.steppingTimer = setTimeout(() => {
      this.stepping = null;
      this.onIntersect([]); // whatever the scroll came to rest on
    }, 1000);
    if (s !== this.active) this.setActive(s);
  }

  /** Keyboard focus to the current video (the skip link); the feed itself while none is there. */
  focusCurrent(): void {
    (this.active?.el ?? this.el).focus({ preventScroll: true });
  }

  /** The current video's id (tests, the benchmark). */
  get currentId(): string | null {
    return this.active?.view.id ?? null;
  }

  /** Loads the next page (the first one on the first call). */
  loadMore(): Promise<void> {
    if (this.loading) return this.loading;
    if (this.exhausted) return Promise.resolve();
    this.loading = (async () => {
      if (this.slides.length === 0) this.showStatus('loading');
      try {
        // A page may bring only videos the feed already has (For You handing over to trending):
        // then the next one, a few times at most.
        for (let tries = 0; tries < 4; tries++) {
          const page = await this.source.load(this.cursor);
          const fresh = page.items.filter((v) => !this.slides.some((s) => s.view.id === v.id));
          for (const view of fresh) this.addSlide(view);
          this.cursor = page.nextCursor;
          this.exhausted = !page.nextCursor;
          if (fresh.length > 0 || this.exhausted) break;
        }
        this.showStatus(this.slides.length === 0 ? 'empty' : null);
        if (!this.active && this.visible && this.slides[0]) this.setActive(this.slides[0]);
        else if (this.active) this.updateWindow();
      } catch (err) {
        this.showStatus('error', messageOf(err));
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** An archived video came back: it gets its player, and plays if it is the current one. */
  private restored(slide: Slide, view: VideoView): void {
    slide.archive?.destroy();
    slide.archive = undefined;
    slide.el.classList.remove('is-archived');
    slide.view = { ...view, stats: view.stats ?? slide.view.stats, viewer: view.viewer ?? slide.view.viewer };
    if (!view.playback || !(view.playback.hls || view.playback.mp4)) return;
    slide.el.classList.remove('has-error');
    slide.player = new Player(slide.video, view.playback, (msg) => {
      setText(slide.el.querySelector('.slide-message')!, msg);
      slide.el.classList.add('has-error');
    });
    if (slide === this.active) void this.play(slide);
    else this.updateWindow();
  }

  private addSlide(view: VideoView): Slide {
    const video = h('video', {
      class: 'slide-video',
      attrs: {
        playsinline: true,
        'webkit-playsinline': true,
        muted: true,
        preload: 'none',
        disablepictureinpicture: true,
        'data-testid': 'feed-video',
      },
    });
    video.muted = this.ctx.sound.muted;
    const portrait = !view.width || !view.height || view.height >= view.width;
    video.classList.add(portrait ? 'fit-cover' : 'fit-contain');

    const username = view.author.username;
    const tapLayer = h('button', {
      class: 'tap-layer',
      attrs: { type: 'button', 'aria-label': 'Pause video', 'data-testid': 'tap-layer' },
    });
    const message = h('div', { class: 'slide-message', attrs: { role: 'status' } });
    const hearts = h('div', { class: 'slide-hearts', attrs: { 'aria-hidden': 'true' } });

    const avatar = h('span', { class: 'avatar avatar-rail', attrs: { 'aria-hidden': 'true' } }, username.slice(0, 1).toUpperCase());
    const followButton = h(
      'button',
      { class: 'rail-follow', attrs: { type: 'button', 'data-testid': 'follow', 'aria-label': `Follow @${username}` } },
      icon('plus', 'icon'),
    );
    const likeCount = h('span', { class: 'rail-count', attrs: { 'data-testid': 'like-count' } });
    const likeButton = h(
      'button',
      { class: 'rail-btn like-btn', attrs: { type: 'button', 'data-testid': 'like', 'aria-pressed': 'false', 'aria-label': 'Like' } },
      h('span', { class: 'rail-icon' }, icon('heart', 'icon icon-heart')),
      likeCount,
    );
    const commentCount = h('span', { class: 'rail-count', attrs: { 'data-testid': 'comment-count' } });
    const commentButton = h(
      'button',
      { class: 'rail-btn', attrs: { type: 'button', 'data-testid': 'comments-open', 'aria-label': 'Comments' } },
      h('span', { class: 'rail-icon' }, icon('comment')),
      commentCount,
    );
    const shareCount = h('span', { class: 'rail-count', attrs: { 'data-testid': 'share-count' } });
    const shareButton = h(
      'button',
      { class: 'rail-btn', attrs: { type: 'button', 'data-testid': 'share', 'aria-label': 'Share' } },
      h('span', { class: 'rail-icon' }, icon('share')),
      shareCount,
    );
    const moreButton = h(
      'button',
      { class: 'rail-btn', attrs: { type: 'button', 'data-testid': 'video-menu', 'aria-label': 'More options' } },
      h('span', { class: 'rail-icon' }, icon('more')),
    );
    const muteButton = h(
      'button',
      {
        class: 'rail-btn mute-btn',
        attrs: { type: 'button', 'data-testid': 'mute-toggle', 'aria-pressed': 'true', 'aria-label': 'Unmute' },
      },
      h('span', { class: 'rail-icon' }, icon('muted', 'icon icon-muted'), icon('sound', 'icon icon-sound')),
    );
    const seek = h('input', {
      class: 'slide-seek',
      attrs: { type: 'range', min: 0, max: 1000, step: 1, value: 0, 'aria-label': 'Seek', 'data-testid': 'seek' },
    });

    const caption = captionElement(view);
    const el = h(
      'article',
      {
        class: 'slide',
        // tabindex -1: the skip link puts focus here, and Tab goes on to this video's buttons.
        attrs: { 'data-testid': 'feed-item', 'data-video-id': view.id, 'aria-label': videoLabel(view), tabindex: -1 },
      },
      h('div', { class: 'slide-poster-bg', attrs: { 'aria-hidden': 'true' } }),
      video,
      tapLayer,
      hearts,
      h('div', { class: 'slide-paused', attrs: { 'aria-hidden': 'true' } }, icon('play', 'icon icon-fill')),
      h('div', { class: 'slide-spinner', attrs: { 'aria-hidden': 'true' } }),
      message,
      h('div', { class: 'slide-shade', attrs: { 'aria-hidden': 'true' } }),
      h(
        'div',
        { class: 'slide-meta' },
        h('a', { class: 'slide-author', attrs: { href: `/@${encodeURIComponent(username)}`, 'data-testid': 'author' } }, `@${username}`),
        caption,
      ),
      h(
        'div',
        { class: 'slide-rail' },
        h(
          'div',
          { class: 'rail-author' },
          h(
            'a',
            // The author's name links there too: one tab stop is enough.
            {
              class: 'rail-avatar-link',
              attrs: { href: `/@${encodeURIComponent(username)}`, 'aria-label': `@${username}'s profile`, tabindex: -1, 'data-no-tab': '' },
            },
            avatar,
          ),
          followButton,
        ),
        likeButton,
        commentButton,
        shareButton,
        moreButton,
        muteButton,
      ),
      seek,
    );

    const slide: Slide = {
      view,
      el,
      video,
      tapLayer,
      seek,
      likeButton,
      likeCount,
      commentCount,
      shareCount,
      followButton,
      avatar,
      player: null,
      userPaused: false,
      scrubbing: false,
      posterSet: false,
      stale: false,
    };
    this.renderStats(slide);
    this.renderFollow(slide);
    this.renderMuted(slide, this.ctx.sound.muted);
    video.setAttribute('aria-label', videoLabel(view));
    setTabbable(el, false);
    if (view.playback && (view.playback.hls || view.playback.mp4)) {
      slide.player = new Player(video, view.playback, (msg) => {
        setText(message, msg);
        el.classList.add('has-error');
      });
    } else if (archiveOf(view)) {
      slide.archive = archivedVideo(view, (ready) => this.restored(slide, ready));
      el.classList.add('is-archived');
      el.append(slide.archive.el);
    } else {
      setText(message, view.status === 'failed' ? (view.error?.message ?? 'Processing failed.') : 'This video is still processing…');
      el.classList.add('has-error');
    }

    tapLayer.addEventListener('click', (ev) => this.onTap(slide, ev));
    // Long-press (touch or mouse): the video's options ("Not interested" first); that press neither pauses nor likes.
    attachLongPress(tapLayer, () => this.ctx.openVideoMenu(slide.view));
    muteButton.addEventListener('click', () => this.ctx.sound.toggle());
    likeButton.addEventListener('click', () => this.toggleLike(slide));
    followButton.addEventListener('click', () => this.follow(slide));
    commentButton.addEventListener('click', () => this.openComments(slide));
    shareButton.addEventListener('click', () => void this.share(slide));
    moreButton.addEventListener('click', () => this.ctx.openVideoMenu(slide.view));

    video.addEventListener('playing', () => {
      el.classList.remove('is-buffering', 'is-paused');
      el.classList.add('has-frame');
      if (this.active === slide) this.watch?.onPlaying(video.currentTime);
    });
    video.addEventListener('pause', () => {
      if (slide.userPaused) el.classList.add('is-paused');
    });
    video.addEventListener('waiting', () => el.classList.add('is-buffering'));
    video.addEventListener('canplay', () => el.classList.remove('is-buffering'));
    video.addEventListener('loadeddata', () => {
      el.classList.add('has-frame');
      // The decoded first frame replaces the poster: a preloaded video scrolls in showing the real
      // picture, and starting it swaps nothing on screen.
      video.removeAttribute('poster');
    });
    video.addEventListener('timeupdate', () => {
      if (this.active === slide && this.watch?.videoId === view.id) this.watch.onTime(video.currentTime, !video.paused);
    });
    video.addEventListener('seeked', () => {
      if (this.active === slide) this.watch?.onSeek(video.currentTime);
    });
    // No `loop` attribute: each end is a `complete` (a rewatch), then it starts over.
    video.addEventListener('ended', () => {
      if (this.active !== slide) return;
      this.watch?.onComplete();
      video.currentTime = 0;
      void this.play(slide);
    });
    video.addEventListener('emptied', () => {
      el.classList.remove('has-frame', 'is-buffering');
      // slide.view, not view: the owner may have chosen another cover since.
      if (slide.posterSet && slide.view.playback?.poster) video.poster = slide.view.playback.poster;
    });

    seek.addEventListener('pointerdown', () => (slide.scrubbing = true));
    seek.addEventListener('pointerup', () => (slide.scrubbing = false));
    seek.addEventListener('pointercancel', () => (slide.scrubbing = false));
    seek.addEventListener('input', () => {
      const d = video.duration;
      if (Number.isFinite(d) && d > 0) video.currentTime = (Number(seek.value) / 1000) * d;
    });

    this.slides.push(slide);
    this.list.append(el);
    this.io.observe(el);
    return slide;
  }

  private openComments(slide: Slide): void {
    this.ctx.openComments(slide.view, (n) => {
      slide.view = { ...slide.view, stats: slide.view.stats ? { ...slide.view.stats, comments: n } : undefined };
      this.renderStats(slide);
    });
  }

  private async refresh(s: Slide): Promise<void> {
    s.stale = false;
    const before = s.view;
    try {
      const fresh = await endpoints.video(s.view.id);
      if (s.view !== before) return; // the viewer acted meanwhile (liked, followed): theirs is newer
      s.view = { ...s.view, stats: fresh.stats, viewer: fresh.viewer };
      this.renderStats(s);
      this.renderFollow(s);
    } catch {
      // Gone or hidden now: it stays as it was until the feed moves on.
    }
  }

  private renderStats(s: Slide): void {
    const stats = s.view.stats;
    const liked = s.view.viewer?.liked ?? false;
    setText(s.likeCount, stats ? compactCount(stats.likes) : '');
    setText(s.commentCount, stats ? compactCount(stats.comments) : '');
    setText(s.shareCount, stats ? compactCount(stats.shares) : '');
    s.likeButton.setAttribute('aria-pressed', String(liked));
    s.likeButton.setAttribute('aria-label', `${liked ? 'Unlike' : 'Like'}${stats ? ` (${countOf(stats.likes, 'like', 'likes')})` : ''}`);
    s.likeButton.classList.toggle('is-on', liked);
  }

  private renderFollow(s: Slide): void {
    const me = session.user;
    const own = me?.id === s.view.author.id;
    s.followButton.hidden = own || (!!me && (s.view.viewer?.followsAuthor ?? false));
  }

  private renderMuted(s: Slide, muted: boolean): void {
    s.video.muted = muted;
    s.el.classList.toggle('is-muted', muted);
    const b = s.el.querySelector('.mute-btn');
    b?.setAttribute('aria-pressed', String(muted));
    b?.setAttribute('aria-label', muted ? 'Unmute' : 'Mute');
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) this.ratios.set(e.target, e.isIntersecting ? e.intersectionRatio : 0);
    if (!this.visible) return;
    let best: Slide | null = null;
    let bestRatio = 0;
    for (const s of this.slides) {
      const r = this.ratios.get(s.el) ?? 0;
      if (r > bestRatio) {
        best = s;
        bestRatio = r;
      }
    }
    if (this.stepping) {
      if (best !== this.stepping) return; // still scrolling to the slide step() chose
      this.stepping = null;
    }
    if (best && bestRatio >= 0.6 && best !== this.active) this.setActive(best);
  }

  private setActive(slide: Slide, resumed = false): void {
    const changed = this.active !== slide;
    if (changed || resumed) {
      this.endWatch();
      const prev = this.active;
      if (prev && prev !== slide) {
        prev.archive?.deactivate();
        prev.video.pause();
        prev.el.classList.remove('is-paused', 'is-active');
        setTabbable(prev.el, false);
      }
      this.active = slide;
      slide.userPaused = false;
      slide.el.classList.remove('is-paused');
      const traffic = (this.firstIds.has(slide.view.id) ? this.firstTraffic : undefined) ?? this.source.traffic;
      this.watch = new WatchSession(this.ctx.events, slide.view.id, slide.view.durationMs, traffic);
    }
    slide.el.classList.add('is-active');
    setTabbable(slide.el, true);
    slide.archive?.activate();
    // Marks for the benchmark's breakdown (bench/web): when a video became current, when play() was called.
    performance.mark(`curta:active:${slide.view.id}`);
    if (slide.stale) void this.refresh(slide);
    // Comments docked beside the video (desktop) follow the current video.
    if (changed && document.body.classList.contains('comments-docked')) this.openComments(slide);
    void this.play(slide);
    this.updateWindow();
    this.loop();
    if (this.slides.indexOf(slide) >= this.slides.length - 4) void this.loadMore();
    if (!slide.el.dataset.avatar) {
      slide.el.dataset.avatar = 'loading';
      void this.loadAvatars(this.slides.indexOf(slide));
    }
  }

  /** Which players live: the current one, one behind, two ahead (preloading); posters near by. */
  private updateWindow(): void {
    const index = this.active ? this.slides.indexOf(this.active) : 0;
    this.slides.forEach((s, i) => {
      const d = i - index;
      if (Math.abs(d) <= POSTER_DISTANCE && !s.posterSet && s.view.playback?.poster) {
        s.posterSet = true;
        s.video.poster = s.view.playback.poster;
        // Blurred backdrop for letterboxed (landscape) videos; CSS url() escaping via JSON string quoting.
        s.el.style.setProperty('--poster', `url(${JSON.stringify(s.view.playback.poster)})`);
      }
      if (d === 0) return;
      if (d > 0 && d <= PRELOAD_AHEAD) void s.player?.attach({ preload: true });
      else if (d < 0 && d >= -KEEP_BEHIND) {
        if (s.player?.attached) void s.player.attach({ preload: true });
      } else s.player?.detach();
    });
  }

  private async loadAvatars(index: number): Promise<void> {
    for (const s of this.slides.slice(Math.max(0, index - 1), index + 3)) {
      if (s.el.dataset.avatarLoaded) continue;
      s.el.dataset.avatarLoaded = '1';
      const url = await avatarOf(s.view.author.username);
      if (url) {
        const img = h('img', { class: 'avatar avatar-rail', attrs: { src: url, alt: '', width: 48, height: 48 } });
        s.avatar.replaceWith(img);
        s.avatar = img;
      }
    }
  }

  private endWatch(): void {
    this.watch?.end();
    this.watch = null;
  }

  private loop(): void {
    cancelAnimationFrame(this.raf);
    const tick = () => {
      const s = this.active;
      if (!s || !this.visible) return;
      const d = s.video.duration;
      if (!s.scrubbing && Number.isFinite(d) && d > 0) {
        s.seek.value = String(Math.round((s.video.currentTime / d) * 1000));
        s.seek.style.setProperty('--played', String(s.video.currentTime / d));
      }
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  private async play(slide: Slide): Promise<void> {
    if (!slide.player || slide.userPaused || document.hidden || !this.visible) return;
    slide.video.muted = this.ctx.sound.muted;
    await slide.player.attach({ preload: false });
    if (this.active !== slide || slide.userPaused || !this.visible) return;
    performance.mark(`curta:play:${slide.view.id}`);
    try {
      await slide.video.play();
    } catch (err) {
      if (err instanceof DOMException && err.name === 'NotAllowedError' && !slide.video.muted) {
        // The browser refuses sound without a gesture: play muted until the next one.
        this.ctx.sound.refused();
        this.renderMuted(slide, true);
        await slide.video.play().catch(() => undefined);
      }
      // AbortError: a pause() or a new source interrupted play(); nothing to do.
    }
  }

  private onTap(slide: Slide, ev: MouseEvent): void {
    if (this.ctx.sound.consumeUnlockTap()) return; // the first tap turned sound on
    const now = performance.now();
    if (now - this.lastTap < DOUBLE_TAP_MS) {
      // Double tap: like (never unlike), with a heart where the finger is.
      this.lastTap = 0;
      if (this.tapTimer) clearTimeout(this.tapTimer);
      this.tapTimer = null;
      this.burst(slide, ev);
      if (!(slide.view.viewer?.liked ?? false)) this.toggleLike(slide);
      return;
    }
    this.lastTap = now;
    // A keyboard "click" (Enter/Space) has no double: act at once.
    if (ev.detail === 0) {
      this.togglePause(slide);
      return;
    }
    this.tapTimer = setTimeout(() => {
      this.tapTimer = null;
      this.togglePause(slide);
    }, DOUBLE_TAP_MS);
  }

  private burst(slide: Slide, ev: MouseEvent): void {
    const box = slide.el.getBoundingClientRect();
    const x = ev.clientX ? ev.clientX - box.left : box.width / 2;
    const y = ev.clientY ? ev.clientY - box.top : box.height / 2;
    const heart = h('span', { class: 'heart-burst', attrs: { 'data-testid': 'heart-burst' } }, icon('heart', 'icon icon-fill'));
    heart.style.left = `${x}px`;
    heart.style.top = `${y}px`;
    slide.el.querySelector('.slide-hearts')?.append(heart);
    setTimeout(() => heart.remove(), reducedMotion() ? 400 : 900);
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

  private toggleLike(slide: Slide): void {
    this.ctx.requireLogin(() => {
      const before = slide.view;
      const on = !(before.viewer?.liked ?? false);
      const stats = before.stats ? { ...before.stats, likes: Math.max(0, before.stats.likes + (on ? 1 : -1)) } : undefined;
      const viewer = { liked: on, bookmarked: before.viewer?.bookmarked ?? false, followsAuthor: before.viewer?.followsAuthor ?? false };
      slide.view = { ...before, stats, viewer };
      this.renderStats(slide);
      endpoints
        .like(before.id, on)
        .then((r) => {
          slide.view = { ...slide.view, stats: slide.view.stats ? { ...slide.view.stats, likes: r.likes } : undefined };
          this.renderStats(slide);
        })
        .catch((err: unknown) => {
          slide.view = before;
          this.renderStats(slide);
          toast(messageOf(err), 'error');
        });
    }, 'Log in to like videos.');
  }

  private follow(slide: Slide): void {
    const author = slide.view.author;
    this.ctx.requireLogin(() => {
      if (session.user?.id === author.id) return;
      const mark = (follows: boolean) => {
        for (const s of this.slides) {
          if (s.view.author.id !== author.id) continue;
          s.view = {
            ...s.view,
            viewer: { liked: s.view.viewer?.liked ?? false, bookmarked: s.view.viewer?.bookmarked ?? false, followsAuthor: follows },
          };
          this.renderFollow(s);
        }
      };
      mark(true);
      endpoints
        .follow(author.username, true)
        .then(() => toast(`Following @${author.username}`))
        .catch((err: unknown) => {
          mark(false);
          toast(messageOf(err), 'error');
        });
    }, `Log in to follow @${author.username}.`);
  }

  private async share(slide: Slide): Promise<void> {
    const url = new URL(`/v/${encodeURIComponent(slide.view.id)}`, location.origin).href;
    const counted = endpoints
      .share(slide.view.id)
      .then((r) => {
        slide.view = { ...slide.view, stats: slide.view.stats ? { ...slide.view.stats, shares: r.shares } : undefined };
        this.renderStats(slide);
      })
      .catch(() => undefined);
    const title = slide.view.caption || `Video by @${slide.view.author.username}`;
    try {
      if (typeof navigator.share === 'function' && (navigator.canShare?.({ url }) ?? true)) {
        await navigator.share({ title, url });
      } else {
        await copyText(url);
        toast('Link copied');
      }
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return; // the share sheet was closed
      toast(`Copy this link: ${url}`);
    }
    await counted;
  }

  private onKey(ev: KeyboardEvent): void {
    if (!this.visible || ev.defaultPrevented || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const t = ev.target;
    if (t instanceof HTMLInputElement && t.type !== 'range') return;
    if (t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || (t instanceof HTMLElement && t.isContentEditable)) return;
    // A modal sheet takes the keys; the comments panel docked beside the video on a desktop does not.
    if (document.querySelector('dialog[open]:modal')) return;
    switch (ev.key) {
      case 'ArrowDown':
      case 'PageDown':
      case 'j':
        if (t instanceof HTMLInputElement) return; // the seek bar uses arrows
        this.step(1);
        break;
      case 'ArrowUp':
      case 'PageUp':
      case 'k':
        if (t instanceof HTMLInputElement) return;
        this.step(-1);
        break;
      case ' ':
        if (t instanceof HTMLButtonElement && t !== this.active?.tapLayer) return;
        if (t instanceof HTMLAnchorElement) return;
        if (this.active) this.togglePause(this.active);
        break;
      case 'm':
        this.ctx.sound.toggle();
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
      const { title, text, action } = this.source.empty;
      let button: HTMLButtonElement | null = null;
      if (action) {
        button = h('button', { class: 'btn btn-primary', attrs: { type: 'button' } }, action.label);
        button.addEventListener('click', action.run);
      }
      this.status.append(
        h('div', { class: 'feed-status-card', attrs: { 'data-testid': 'feed-empty' } }, h('h2', {}, title), h('p', {}, text), button),
      );
    } else {
      const retry = h('button', { class: 'btn', attrs: { type: 'button' } }, icon('refresh'), 'Try again');
      retry.addEventListener('click', () => void this.loadMore());
      this.status.append(
        h(
          'div',
          { class: 'feed-status-card', attrs: { 'data-testid': 'feed-error', role: 'alert' } },
          h('h2', {}, "Couldn't load videos"),
          h('p', {}, message ?? ''),
          retry,
        ),
      );
      if (this.slides.length > 0) this.status.classList.add('is-inline');
    }
  }
}

export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Not allowed here (no permission, not focused): the selection-copy fallback below.
    }
  }
  const area = h('textarea', { class: 'visually-hidden', attrs: { readonly: true } });
  area.value = text;
  document.body.append(area);
  area.select();
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the fallback for browsers without the Clipboard API
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy failed');
}
