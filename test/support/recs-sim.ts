/**
 * A small world of simulated viewers with hidden tastes, for testing the
 * For You feed online (test/e2e/recs-simulation.test.ts). Everything here is
 * pure and driven by one seeded generator, so a world and every viewer's
 * reactions are reproducible; the app under test never sees the hidden
 * parts (topics of untagged videos, quality, tastes).
 */
import { seededRng } from '../../src/lib/seeded-rng.js';

export type Rng = () => number;

/** The world's own seeded generator (a separate stream from anything the app draws). */
export const rngFrom = (seed: number): Rng => seededRng(seed);

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

export function shuffled<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Index drawn with probability proportional to `weights`. */
export function weightedIndex(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

export interface WorldOptions {
  seed: number;
  topics: number;
  /** Topics whose videos sometimes carry the topic's hashtag (the rest never do). */
  taggedTopics: number;
  /** Share of a tagged topic's videos whose caption carries its hashtag. */
  tagRate: number;
  creatorsPerTopic: number;
  /** Share of a creator's videos in their own topic. */
  creatorFocus: number;
  /** Videos older than the exploration window (the established catalog). */
  oldVideos: number;
  /** Videos younger than the exploration window (on trial). */
  youngVideos: number;
  viewers: number;
  /** Share of viewers who are signed in (they can also like); the rest are anonymous devices. */
  signedInShare: number;
  /** Share of viewers with two liked topics (the others have one). */
  twoTopicShare: number;
  /** Relative popularity of each topic among viewers (length = topics). */
  topicPopularity: readonly number[];
}

export interface SimVideo {
  /** Index in the world; the app's id is filled in once seeded. */
  index: number;
  id: string;
  creator: number;
  topic: number;
  /** 0.5–1: how reliably a viewer who likes the topic watches it to the end. */
  quality: number;
  durationMs: number;
  ageMs: number;
  caption: string;
  /** Special hidden behaviour for the cold-start probes. */
  special?: 'loved' | 'disliked';
}

export interface SimViewer {
  index: number;
  name: string;
  /** Liked topics (hidden). */
  topics: number[];
  signedIn: boolean;
  /** Filled in once the viewer exists in the app. */
  token?: string;
  userId?: string;
  device?: string;
}

export interface World {
  opts: WorldOptions;
  videos: SimVideo[];
  viewers: SimViewer[];
  creators: Array<{ index: number; topic: number; name: string }>;
}

const DAY = 86_400_000;
const TOPIC_NAMES = ['skate', 'baking', 'chess', 'surf', 'origami', 'parkour', 'beatbox', 'gardening', 'knitting', 'drums'];

export function topicName(topic: number): string {
  return TOPIC_NAMES[topic % TOPIC_NAMES.length]! + (topic >= TOPIC_NAMES.length ? String(topic) : '');
}

function captionFor(rng: Rng, o: WorldOptions, topic: number, n: number): string {
  // Captions say nothing about the topic except, sometimes, its hashtag: the model must learn the rest.
  const words = ['look at this', 'new one', 'part two', 'try this', 'today', 'again', 'what do you think'];
  const tag = topic < o.taggedTopics && rng() < o.tagRate ? ` #${topicName(topic)}` : '';
  return `${pick(rng, words)} ${n}${tag}`;
}

export function makeWorld(o: WorldOptions): World {
  const rng = rngFrom(o.seed);
  const creators = Array.from({ length: o.topics * o.creatorsPerTopic }, (_, i) => ({
    index: i,
    topic: i % o.topics,
    name: `simcreator${i}`,
  }));
  const videos: SimVideo[] = [];
  const addVideo = (young: boolean) => {
    const creator = pick(rng, creators);
    const topic = rng() < o.creatorFocus ? creator.topic : Math.floor(rng() * o.topics);
    const index = videos.length;
    videos.push({
      index,
      id: '',
      creator: creator.index,
      topic,
      quality: 0.5 + 0.5 * rng(),
      durationMs: 8_000 + Math.floor(rng() * 23) * 1_000,
      // Old: 8–40 days (past the 7-day exploration window); young: 1 h – 5 days.
      ageMs: young ? 3_600_000 + Math.floor(rng() * 5 * DAY) : 8 * DAY + Math.floor(rng() * 32 * DAY),
      caption: captionFor(rng, o, topic, index),
    });
  };
  for (let i = 0; i < o.oldVideos; i++) addVideo(false);
  for (let i = 0; i < o.youngVideos; i++) addVideo(true);

  const viewers: SimViewer[] = Array.from({ length: o.viewers }, (_, i) => {
    const first = weightedIndex(rng, o.topicPopularity);
    const topics = [first];
    if (rng() < o.twoTopicShare) {
      let second = first;
      while (second === first) second = weightedIndex(rng, o.topicPopularity);
      topics.push(second);
    }
    return { index: i, name: `simviewer${i}`, topics, signedIn: rng() < o.signedInShare };
  });
  return { opts: o, videos, viewers, creators };
}

/** What one viewer did with one video: the events the player sends, and what the viewer's time was. */
export interface Reaction {
  events: Array<{ type: 'impression' | 'play' | 'progress' | 'complete' | 'skip'; videoId: string; watchedMs?: number }>;
  /** Total time watched (rewatches included). */
  watchedMs: number;
  liked: boolean;
  /** Whether the video is to the viewer's hidden taste. */
  inTaste: boolean;
}

export function likes(viewer: SimViewer, video: SimVideo): boolean {
  if (video.special === 'disliked') return false;
  return viewer.topics.includes(video.topic);
}

/**
 * The hidden response model. A video to the viewer's taste is completed with
 * probability 0.55 + 0.4·quality (sometimes watched again, sometimes liked by
 * signed-in viewers), otherwise most of it is watched; anything else is
 * skipped within two seconds, bar an occasional partial look. A "loved"
 * video is completed (and often rewatched) by everyone who likes its topic;
 * a "disliked" one is skipped at once by everyone.
 */
export function react(rng: Rng, viewer: SimViewer, video: SimVideo): Reaction {
  const id = video.id;
  const d = video.durationMs;
  const start = [
    { type: 'impression' as const, videoId: id },
    { type: 'play' as const, videoId: id },
  ];
  const inTaste = likes(viewer, video);
  if (inTaste) {
    const pComplete = video.special === 'loved' ? 1 : 0.55 + 0.4 * video.quality;
    if (rng() < pComplete) {
      const rewatch = rng() < (video.special === 'loved' ? 0.6 : 0.25 * video.quality);
      const liked = viewer.signedIn && rng() < (video.special === 'loved' ? 0.7 : 0.3 * video.quality);
      const events: Reaction['events'] = [...start, { type: 'complete', videoId: id, watchedMs: d }];
      if (rewatch) events.push({ type: 'complete', videoId: id, watchedMs: d });
      return { events, watchedMs: rewatch ? 2 * d : d, liked, inTaste };
    }
    const w = Math.round(d * (0.5 + 0.4 * rng()));
    return {
      events: [...start, { type: 'progress', videoId: id, watchedMs: w }, { type: 'skip', videoId: id, watchedMs: w }],
      watchedMs: w,
      liked: false,
      inTaste,
    };
  }
  if (video.special !== 'disliked' && rng() < 0.08) {
    const w = Math.round(d * (0.25 + 0.2 * rng()));
    return {
      events: [...start, { type: 'progress', videoId: id, watchedMs: w }, { type: 'skip', videoId: id, watchedMs: w }],
      watchedMs: w,
      liked: false,
      inTaste,
    };
  }
  const w = 400 + Math.floor(rng() * 1400);
  return { events: [...start, { type: 'skip', videoId: id, watchedMs: w }], watchedMs: w, liked: false, inTaste };
}

/** Watch time and impressions of one policy. */
export class PolicyTally {
  impressions = 0;
  watchedMs = 0;
  inTaste = 0;

  add(r: Reaction): void {
    this.impressions++;
    this.watchedMs += r.watchedMs;
    if (r.inTaste) this.inTaste++;
  }

  /** Seconds watched per impression. */
  get perImpression(): number {
    return this.impressions === 0 ? 0 : this.watchedMs / this.impressions / 1000;
  }

  get inTasteShare(): number {
    return this.impressions === 0 ? 0 : this.inTaste / this.impressions;
  }
}
