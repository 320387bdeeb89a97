import { storage } from './api.js';
import type { EventQueue } from './events.js';
import type { VideoView } from './types.js';

/** What feeds and pages get from the shell (main.ts): no module reaches for globals. */
export interface AppContext {
  events: EventQueue;
  sound: Sound;
  navigate(path: string, opts?: { replace?: boolean }): void;
  /** Runs `then` now when signed in, else after the viewer logs in or signs up. */
  requireLogin(then: () => void, notice?: string): void;
  /** The comments drawer; `onCount` hears the new total after the viewer comments. */
  openComments(view: VideoView, onCount: (comments: number) => void): void;
  /** Report the video, block its author. */
  openVideoMenu(view: VideoView): void;
}

const SOUND_KEY = 'curta.sound';
type Listener = (muted: boolean) => void;

/**
 * Sound: videos autoplay muted (browsers refuse sound before a gesture); the
 * viewer's first interaction turns sound on unless they chose "muted" before,
 * and the choice is remembered across visits.
 */
export class Sound {
  private listeners = new Set<Listener>();
  private current = true;
  private interacted = false;
  private unmutedByGestureAt = 0;

  constructor() {
    this.listenForGesture();
  }

  private listenForGesture(): void {
    const first = (ev: Event) => {
      if (!ev.isTrusted) return;
      document.removeEventListener('pointerdown', first, true);
      document.removeEventListener('keydown', first, true);
      this.interacted = true;
      if (storage.get(SOUND_KEY) !== 'off' && this.current) {
        this.unmutedByGestureAt = performance.now();
        this.set(false, false);
      }
    };
    document.addEventListener('pointerdown', first, true);
    document.addEventListener('keydown', first, true);
  }

  /**
   * The browser refused sound (that gesture did not count as one, e.g. a Tab key):
   * muted again, and the next gesture tries once more.
   */
  refused(): void {
    this.set(true, false);
    this.listenForGesture();
  }

  get muted(): boolean {
    return this.current;
  }

  /** Whether the page has had a user gesture (sound may play). */
  get unlocked(): boolean {
    return this.interacted;
  }

  /**
   * True once, for the tap that turned sound on by being the first gesture:
   * that tap means "let me hear it", not "pause".
   */
  consumeUnlockTap(): boolean {
    const recent = this.unmutedByGestureAt > 0 && performance.now() - this.unmutedByGestureAt < 1500;
    this.unmutedByGestureAt = 0;
    return recent;
  }

  /** `remember`: the viewer chose it (the m key, the speaker button). */
  set(muted: boolean, remember = true): void {
    if (remember) storage.set(SOUND_KEY, muted ? 'off' : 'on');
    if (muted === this.current) return;
    this.current = muted;
    for (const fn of this.listeners) fn(muted);
  }

  toggle(): void {
    this.set(!this.current);
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
