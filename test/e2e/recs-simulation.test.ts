/**
 * Online simulation of the For You feed: simulated viewers
 * with hidden tastes use the live API of a real app — they fetch For You
 * pages and watch, rewatch, like and skip through /api/v1/events — while the
 * model is retrained as the scheduled job would. Then:
 *
 * 1. over the same viewers, watch time per impression from the For You feed
 *    beats a popularity-only feed (the trending ranking, minus what the
 *    viewer has already seen) and a random feed (random discoverable videos
 *    the viewer has not seen) by clear margins;
 * 2. a brand-new video that every viewer of its topic loves reaches a
 *    meaningful share of that topic's viewers within a bounded number of
 *    impressions, while a brand-new video everyone skips gets clearly fewer;
 * 3. new videos of a niche topic by its creators land on that topic's fans
 *    far more with topic-aware exploration than with topic-blind Thompson
 *    sampling — both measured in this run, page by page over the same
 *    viewers (a new cohort that has not exhausted its topics) and videos;
 * 4. a viewer who quickly skips (and, signed in, marks "Not interested") the
 *    videos of a topic they used to watch gets clearly less of that topic,
 *    while viewers who keep watching as before do not.
 *
 * The world (topics, creators, videos with a hidden topic and quality,
 * viewers with one or two hidden liked topics) and every reaction come from
 * one seeded generator (test/support/recs-sim.ts); only a few topics ever
 * carry a hashtag, so the feed has to learn tastes from behaviour. The
 * service's own sampling (exploration, interleaving) uses Math.random, so
 * the margins asserted are far below the figures measured over several runs
 * (see MARGINS). The figures are printed for CI logs.
 *
 * Diagnosis (never in CI; these reach into the service's internals):
 *   RECS_SIM_SEED=<n>           another world and other reactions;
 *   RECS_SIM_OPTS='{…}'         overrides ForYouOptions of the running service;
 *   RECS_SIM_MODEL_PARAMS='{…}' trains with these ModelParams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeWorld,
  PolicyTally,
  react,
  rngFrom,
  shuffled,
  topicName,
  type Reaction,
  type SimVideo,
  type SimViewer,
  type World,
} from '../support/recs-sim.js';
import { seededRng } from '../../src/lib/seeded-rng.js';
import { seedVideo, signup, type Api, type TestUser } from '../support/social.js';
import { apiClient, startTestApp, type TestApp } from '../support/test-app.js';

const SEED = Number(process.env['RECS_SIM_SEED'] ?? 20261126);
const PAGE = 10;
/** Past viewers whose events make the platform's history (one impression each of this many established videos). */
const PAST_VIEWERS = 150;
const PAST_IMPRESSIONS = 25;
/** Warm-up rounds (each: one For You page per viewer, then the model is retrained). */
const WARMUP_ROUNDS = 3;
/** Evaluation rounds (each: one page per viewer per policy). */
const EVAL_ROUNDS = 2;
/** Rounds after the cold-start probes are published (retraining after each). */
const COLD_ROUNDS = 4;
/** New niche-topic videos published for the exploration comparison. */
const NICHE_PROBES = 4;
/** Unwatched pages requested per viewer per exploration mode while they are on trial. */
const NICHE_PAGES = 6;
const NICHE_WARMUP_ROUNDS = 1;
/** Established videos each viewer of a niche cohort watched before (a random sample: some of every topic). */
const NICHE_BROWSED = 30;
/** Rounds in which the treated viewers quickly skip one of their topics (after the cohort's warm-up). */
const NEGATIVE_WARMUP_ROUNDS = 2;
const NEGATIVE_ROUNDS = 2;

/**
 * What is asserted. Measured on a 2-core machine shared with other work,
 * 2026-11-26, with the model defaults of commit 6b690ed (skips are not
 * exposure; preference graph on), seeds 1, 2, 3, 4 and 20261126:
 * For You ÷ popularity 4.0–5.6 and ÷ random 2.4–2.8 (default seed: 5.6 and
 * 2.7); the loved video reached half its topic's viewers after 607–2004
 * impressions (default seed 769–992); the disliked one was shown 38–61 times
 * against the loved one's 80. With the defaults before that commit (skips
 * counted as exposure, preference graph at 0.1) For You ÷ random was
 * 0.87–1.46 and the disliked video was shown to every viewer: the test
 * failed on them, as it should. With graded watching, topic-aware
 * exploration and negatives reaching model neighbours (2026-12-03, default
 * seed, a loaded machine): ÷ popularity 6.8–7.8, ÷ random 2.9–3.4; disliked
 * 25–32 against loved 72–77; niche videos on fans 21–60 % topic-aware
 * against 8–12 % topic-blind (× 1.9–4.9); the skipped topic 74–81 % → 6–8 %
 * of a page against 78–83 % → 58–67 % for viewers who kept watching.
 * CI on a fresh clone (2026-12-04, the whole suite in parallel): disliked 48
 * against loved 76 (0.63) — the reason for the 0.75 below. For You's draws
 * were Math.random then (35–48 against 71–76 over three runs); seeded from
 * the simulation's seed since (two runs, 2026-12-04): disliked 29–31 against
 * loved 75, ÷ popularity 7.15–7.73, ÷ random 3.08–3.36, niche × 2.35–2.45.
 */
const MARGINS = {
  /** For You watch time per impression ÷ popularity-only. */
  overPopularity: 2,
  /** For You watch time per impression ÷ random. */
  overRandom: 1.5,
  /** Share of the loved video's topic viewers it must reach… */
  coldReach: 0.5,
  /** …within this many For You impressions (all videos, all viewers) after it was published. */
  coldImpressionBudget: 2_400,
  /** The disliked new video's impressions ÷ the loved one's, at most (measured 0.33–0.63). */
  dislikedOverLoved: 0.75,
  /** Share of niche probes' impressions on their topic's fans: topic-aware ÷ topic-blind, at least. */
  nicheFansAwareOverBlind: 1.5,
  /** Treated viewers' share of the skipped topic (after ÷ before) ÷ the control group's, at most. */
  skippedTopicAfterOverBefore: 0.5,
};

const world: World = makeWorld({
  seed: SEED,
  topics: 8,
  taggedTopics: 3,
  tagRate: 0.5,
  creatorsPerTopic: 3,
  creatorFocus: 0.85,
  oldVideos: 240,
  youngVideos: 40,
  viewers: 80,
  signedInShare: 0.3,
  twoTopicShare: 0.35,
  topicPopularity: [1.6, 1.4, 1.2, 1, 1, 0.8, 0.6, 0.5],
});

describe('For You online simulation (simulated viewers with hidden tastes, live API)', () => {
  let t: TestApp;
  let api: Api;
  const byId = new Map<string, SimVideo>();
  /** What each viewer has been shown by the live feed (what the app knows they saw). */
  const seen = new Map<number, Set<string>>();
  const reactRng = rngFrom(SEED ^ 0x5eed);
  const policyRng = rngFrom(SEED ^ 0xbeef);
  const warmupTallies: PolicyTally[] = [];
  /** The world's creators as the app knows them. */
  const creatorUsers: TestUser[] = [];

  /**
   * Each simulated viewer speaks from its own address (TRUST_PROXY is on), as
   * people do: trending counts anonymous viewers by distinct address.
   */
  const headers = (v: SimViewer): Record<string, string> => ({
    'x-forwarded-for': `198.18.${v.index >> 8}.${v.index & 255}`,
    ...(v.device ? { 'x-device-id': v.device } : {}),
  });

  async function forYouPage(v: SimViewer): Promise<SimVideo[]> {
    const r = await api('GET', `/api/v1/feed/for-you?limit=${PAGE}`, { token: v.token, headers: headers(v) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const page = (r.body.items as Array<{ id: string }>).map((item) => {
      const video = byId.get(item.id);
      if (!video) throw new Error(`For You served a video the simulation does not know: ${item.id}`);
      return video;
    });
    return page;
  }

  /** The viewer watches a page of the live feed: reactions sent as the player would, likes through the API. */
  async function watch(
    v: SimViewer,
    page: readonly SimVideo[],
    tally: PolicyTally,
    reactTo: (video: SimVideo) => Reaction = (video) => react(reactRng, v, video),
  ): Promise<Reaction[]> {
    const reactions = page.map(reactTo);
    if (reactions.length === 0) return reactions;
    const r = await api('POST', '/api/v1/events', {
      token: v.token,
      headers: headers(v),
      body: { events: reactions.flatMap((x) => x.events) },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.dropped).toBe(0);
    const mine = seen.get(v.index) ?? new Set<string>();
    seen.set(v.index, mine);
    for (const [i, x] of reactions.entries()) {
      tally.add(x);
      mine.add(page[i]!.id);
      if (x.liked) {
        const like = await api('PUT', `/api/v1/videos/${page[i]!.id}/like`, { token: v.token });
        expect(like.status, JSON.stringify(like.body)).toBe(200);
      }
    }
    return reactions;
  }

  /** What the scheduled training job does, run at once. */
  async function retrain(): Promise<void> {
    const outcome = await t.app.services.recs.trainer.train({ force: true });
    expect(outcome.trained, JSON.stringify(outcome)).toBe(true);
    await t.app.services.recs.models.refresh();
    t.app.services.recs.catalog.invalidate();
  }

  /** The trending ranking as any client sees it (every page of it, up to 200 ids). */
  async function trendingIds(): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: any } = await api('GET', `/api/v1/feed/trending?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      ids.push(...(r.body.items as Array<{ id: string }>).map((i) => i.id));
      cursor = r.body.nextCursor;
    } while (cursor && ids.length < 200);
    return ids;
  }

  /**
   * The platform's past: viewers who came and went (same hidden taste model) watched the established
   * catalog over the last weeks. Their events are written straight into the lake's buffer with past
   * timestamps, as the player would have sent them then; the first model is trained on them.
   */
  async function seedHistory(): Promise<void> {
    const rng = rngFrom(SEED ^ 0x9a57);
    const rows: Array<{ type: string; videoId: string; device: string; watchedMs: number | null; at: Date }> = [];
    const pastViewers = makeWorld({ ...world.opts, seed: SEED ^ 0x9a57, viewers: PAST_VIEWERS }).viewers;
    const old = world.videos.filter((x) => x.ageMs > 7 * 86_400_000);
    for (const v of pastViewers) {
      const device = `simpast-${SEED}-${String(v.index).padStart(4, '0')}`;
      for (const video of shuffled(rng, old).slice(0, PAST_IMPRESSIONS)) {
        // Sometime between the video's publication and a week ago.
        const at = new Date(Date.now() - 7 * 86_400_000 - Math.floor(rng() * (video.ageMs - 7 * 86_400_000)));
        for (const e of react(rng, v, video).events)
          rows.push({ type: e.type, videoId: e.videoId, device, watchedMs: e.watchedMs ?? null, at });
      }
    }
    // Into the lake's buffer (history lives in the lake; training delivers the buffer first), with the video's owner as capture records it.
    // Client times at noon of their day (arrival times exact): one lake partition a day, not one per hour of seven weeks.
    await t.app.db.query(
      `INSERT INTO lake_buffer (event_time, received_at, kind, type, video_id, creator_id, device_id, watched_ms, duration_ms, counted)
       SELECT date_trunc('day', x.at) + interval '12 hours', x.at, 'playback', x.type, x.video_id, v.owner_id, x.device_id, x.watched_ms, v.duration_ms, true
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[]) AS x(type, video_id, device_id, watched_ms, at)
       JOIN videos v ON v.id = x.video_id`,
      [rows.map((r) => r.type), rows.map((r) => r.videoId), rows.map((r) => r.device), rows.map((r) => r.watchedMs), rows.map((r) => r.at)],
    );
    console.log(`[recs-sim] history: ${PAST_VIEWERS} past viewers, ${rows.length} events over ${old.length} established videos`);
  }

  beforeAll(async () => {
    const started = Date.now();
    // Catalog refreshed often, so the exploration statistics follow the simulation closely.
    t = await startTestApp({ RECS_CATALOG_TTL_MS: '500', RECS_TRAIN_INTERVAL_SEC: '0', TRUST_PROXY: 'true' }, { workers: false });
    api = apiClient(t.baseUrl);
    // For You's own draws (trial order, exploration slots) from the simulation's seed as well, instead of
    // Math.random: a run's outcome then varies only with what the seed does not fix (ids, refresh timing).
    (t.app.services.recs.forYou as unknown as { rng: () => number }).rng = seededRng(SEED + 1);
    // Diagnosis only (never set in CI): override ranking options of the running service.
    if (process.env['RECS_SIM_OPTS']) {
      const svc = t.app.services.recs.forYou as any;
      svc.opts = { ...svc.opts, ...JSON.parse(process.env['RECS_SIM_OPTS']) };
      console.log(`[recs-sim debug] For You options overridden: ${process.env['RECS_SIM_OPTS']}`);
    }
    if (process.env['RECS_SIM_MODEL_PARAMS']) {
      const trainer = t.app.services.recs.trainer as any;
      trainer.opts = { ...trainer.opts, params: JSON.parse(process.env['RECS_SIM_MODEL_PARAMS']) };
      console.log(`[recs-sim debug] model parameters overridden: ${process.env['RECS_SIM_MODEL_PARAMS']}`);
    }

    for (const c of world.creators) creatorUsers.push(await signup(api, c.name));
    for (const video of world.videos) {
      video.id = await seedVideo(t, creatorUsers[video.creator]!, {
        caption: video.caption,
        ageMs: video.ageMs,
        durationMs: video.durationMs,
      });
      byId.set(video.id, video);
    }
    for (const v of world.viewers) {
      if (v.signedIn) ({ token: v.token, id: v.userId } = await signup(api, v.name));
      else v.device = `simdevice-${SEED}-${String(v.index).padStart(4, '0')}`;
    }
    await seedHistory();
    await retrain();

    const viewersPerTopic = Array.from({ length: world.opts.topics }, (_, k) => world.viewers.filter((v) => v.topics.includes(k)).length);
    console.log(
      `[recs-sim] seed ${SEED}: ${world.videos.length} videos (${world.opts.youngVideos} young), ${world.creators.length} creators, ` +
        `${world.viewers.length} viewers (${world.viewers.filter((v) => v.signedIn).length} signed in); viewers per topic ${viewersPerTopic.join('/')}`,
    );

    // Warm-up: the feed as it is (no model yet, then retrained after every round).
    for (let round = 1; round <= WARMUP_ROUNDS; round++) {
      const tally = new PolicyTally();
      for (const v of world.viewers) await watch(v, await forYouPage(v), tally);
      await retrain();
      warmupTallies.push(tally);
      console.log(
        `[recs-sim] warm-up round ${round}: For You ${tally.perImpression.toFixed(2)} s watched per impression, ` +
          `${(100 * tally.inTasteShare).toFixed(0)}% to taste (${tally.impressions} impressions)`,
      );
    }
    console.log(`[recs-sim] world + warm-up took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);

  afterAll(async () => {
    await t?.close();
  });

  it('For You gives clearly more watch time per impression than popularity-only and random feeds', async () => {
    const forYou = new PolicyTally();
    const popularity = new PolicyTally();
    const random = new PolicyTally();
    const all = world.videos.map((v) => v.id);
    for (let round = 1; round <= EVAL_ROUNDS; round++) {
      const trending = await trendingIds();
      for (const v of world.viewers) {
        // Each policy offers a page of what this viewer has not seen yet; only the For You page is really watched
        // (sent as events), the others are what the same viewer would have done with them.
        const mine = seen.get(v.index) ?? new Set<string>();
        const popular = trending.filter((id) => !mine.has(id)).slice(0, PAGE);
        const randomPage = shuffled(
          policyRng,
          all.filter((id) => !mine.has(id)),
        ).slice(0, PAGE);
        for (const id of popular) popularity.add(react(policyRng, v, byId.get(id)!));
        for (const id of randomPage) random.add(react(policyRng, v, byId.get(id)!));
        await watch(v, await forYouPage(v), forYou);
      }
    }
    const row = (name: string, p: PolicyTally) =>
      `  ${name.padEnd(16)} ${p.perImpression.toFixed(2).padStart(6)} s/impression  ${(100 * p.inTasteShare).toFixed(0).padStart(3)}% to taste  ${p.impressions} impressions`;
    const overPopularity = forYou.perImpression / popularity.perImpression;
    const overRandom = forYou.perImpression / random.perImpression;
    console.log(
      [
        `[recs-sim] evaluation (seed ${SEED}, ${EVAL_ROUNDS} page(s) of ${PAGE} per viewer per policy, after ${WARMUP_ROUNDS} warm-up rounds):`,
        row('For You', forYou),
        row('popularity-only', popularity),
        row('random', random),
        `  (For You in the warm-up rounds: ${warmupTallies.map((w) => w.perImpression.toFixed(2)).join(', ')} s/impression)`,
        `  For You ÷ popularity ${overPopularity.toFixed(2)} (asserted ≥ ${MARGINS.overPopularity}), ` +
          `For You ÷ random ${overRandom.toFixed(2)} (asserted ≥ ${MARGINS.overRandom})`,
      ].join('\n'),
    );
    // Every viewer got full pages from every policy: the comparison is over the same viewers and counts.
    expect(forYou.impressions).toBe(world.viewers.length * EVAL_ROUNDS * PAGE);
    expect(random.impressions).toBe(forYou.impressions);
    // The trending ranking only holds videos watched in the last 72 h, less what each viewer has seen: shorter pages.
    expect(popularity.impressions).toBeGreaterThan(0.5 * forYou.impressions);
    expect(overPopularity).toBeGreaterThanOrEqual(MARGINS.overPopularity);
    expect(overRandom).toBeGreaterThanOrEqual(MARGINS.overRandom);
  }, 150_000);

  it('puts a brand-new video its topic loves in front of most of that topic’s viewers, and a disliked one less', async () => {
    // The topic with the most viewers; both probes are untagged and by creators nobody has seen.
    const counts = Array.from({ length: world.opts.topics }, (_, k) => world.viewers.filter((v) => v.topics.includes(k)).length);
    const topic = counts.indexOf(Math.max(...counts));
    const fans = world.viewers.filter((v) => v.topics.includes(topic));
    const probes: Record<'loved' | 'disliked', SimVideo> = {} as never;
    for (const special of ['loved', 'disliked'] as const) {
      const creator = await signup(api, `simnewcomer${special}`);
      const video: SimVideo = {
        index: world.videos.length,
        id: '',
        creator: -1,
        topic,
        quality: special === 'loved' ? 1 : 0,
        durationMs: 15_000,
        ageMs: 0,
        caption: special === 'loved' ? 'my first video' : 'hello everyone',
        special,
      };
      video.id = await seedVideo(t, creator, { caption: video.caption, durationMs: video.durationMs });
      byId.set(video.id, video);
      probes[special] = video;
    }
    t.app.services.recs.catalog.invalidate();

    const shown = { loved: 0, disliked: 0 };
    const fansReached = new Set<number>();
    let impressions = 0;
    let reachedAt: number | null = null;
    const tally = new PolicyTally();
    for (let round = 1; round <= COLD_ROUNDS; round++) {
      for (const v of world.viewers) {
        const page = await forYouPage(v);
        for (const video of page) {
          impressions++;
          if (video === probes.loved) {
            shown.loved++;
            if (v.topics.includes(topic)) fansReached.add(v.index);
            if (reachedAt === null && fansReached.size >= MARGINS.coldReach * fans.length) reachedAt = impressions;
          }
          if (video === probes.disliked) shown.disliked++;
        }
        await watch(v, page, tally);
      }
      await retrain();
      console.log(
        `[recs-sim] cold start round ${round}: loved video shown ${shown.loved}× (${fansReached.size}/${fans.length} of its topic's viewers), ` +
          `disliked video shown ${shown.disliked}×, ${impressions} impressions since publishing; For You ${tally.perImpression.toFixed(2)} s/impression so far`,
      );
    }
    console.log(
      `[recs-sim] cold start (topic ${topicName(topic)}, ${fans.length} viewers like it): loved video reached ` +
        `${((100 * fansReached.size) / fans.length).toFixed(0)}% of them (${fansReached.size}) — ${MARGINS.coldReach * 100}% after ` +
        `${reachedAt ?? 'never'} of ${impressions} impressions (budget ${MARGINS.coldImpressionBudget}); ` +
        `shown ${shown.loved}× in all vs ${shown.disliked}× for the disliked one`,
    );
    expect(fans.length).toBeGreaterThanOrEqual(10);
    expect(reachedAt, 'the loved video never reached enough of its topic’s viewers').not.toBeNull();
    expect(reachedAt!).toBeLessThanOrEqual(MARGINS.coldImpressionBudget);
    expect(shown.disliked).toBeLessThanOrEqual(MARGINS.dislikedOverLoved * shown.loved);
  }, 150_000);

  /**
   * A new cohort of viewers with the world's taste model (the same hidden tastes for the same `seed`), new to the
   * platform: unlike the main viewers, who have watched most of their topics by now, they still have their topics
   * ahead of them. Each first watches `browsed` established videos found elsewhere (links, search, profiles: a random
   * sample, sent as the player would), then `warmup` For You pages (retrained after each round), so the feed knows them.
   */
  async function cohort(label: string, offset: number, seed: number, warmup: number, browsed = 0): Promise<SimViewer[]> {
    const viewers = makeWorld({ ...world.opts, seed }).viewers.map((v) => ({
      ...v,
      index: v.index + offset,
      name: `sim${label}${v.index}`,
    }));
    const rng = rngFrom(seed ^ 0xb0b);
    const old = world.videos.filter((x) => x.ageMs > 7 * 86_400_000);
    const tally = new PolicyTally();
    for (const v of viewers) {
      if (v.signedIn) ({ token: v.token, id: v.userId } = await signup(api, v.name));
      else v.device = `sim${label}-${SEED}-${String(v.index).padStart(4, '0')}`;
      if (browsed > 0) await watch(v, shuffled(rng, old).slice(0, browsed), tally);
    }
    for (let round = 1; round <= warmup; round++) {
      for (const v of viewers) await watch(v, await forYouPage(v), tally);
      await retrain();
    }
    return viewers;
  }

  it('sends a niche topic’s new videos to that topic’s fans far more with topic-aware exploration than topic-blind', async () => {
    const svc = t.app.services.recs.forYou as unknown as { opts: { exploreTopicWeight: number } };
    const configured = svc.opts.exploreTopicWeight;
    expect(configured).toBeGreaterThan(0);
    const cohortSeed = SEED ^ 0xc0de;
    // The least watched topic of the cohort that still has fans enough to count.
    const tastes = makeWorld({ ...world.opts, seed: cohortSeed }).viewers;
    const counts = Array.from({ length: world.opts.topics }, (_, k) => tastes.filter((v) => v.topics.includes(k)).length);
    const topic = counts.reduce((best, n, k) => (n >= 8 && (best < 0 || n < counts[best]!) ? k : best), -1);
    expect(topic).toBeGreaterThanOrEqual(0);
    const viewers = await cohort('niche', 1000, cohortSeed, NICHE_WARMUP_ROUNDS, NICHE_BROWSED);
    const fans = new Set(viewers.filter((v) => v.topics.includes(topic)).map((v) => v.index));
    // New videos by the topic's own creators: their earlier videos are in the catalog and in its fans' histories.
    const creators = world.creators.filter((c) => c.topic === topic);
    const probes = new Set<SimVideo>();
    for (let i = 0; i < NICHE_PROBES; i++) {
      const creator = creators[i % creators.length]!;
      const video: SimVideo = {
        index: -1,
        id: '',
        creator: creator.index,
        topic,
        quality: 0.8,
        durationMs: 15_000,
        ageMs: 0,
        caption: `niche ${i}`,
      };
      video.id = await seedVideo(t, creatorUsers[creator.index]!, { caption: video.caption, durationMs: video.durationMs });
      byId.set(video.id, video);
      probes.add(video);
    }
    t.app.services.recs.catalog.invalidate();
    // Both modes over the same viewers, the same new videos and the same state: each viewer's pages are requested in
    // turn with the running service's option topic-blind (RECS_EXPLORE_TOPIC_WEIGHT=0) and as configured. The pages are
    // not watched (no events), so neither mode's pages change what the other sees: what is counted is whom each mode
    // serves the new videos to while they are on trial.
    const tally = { blind: { impressions: 0, onFans: 0 }, aware: { impressions: 0, onFans: 0 } };
    try {
      for (let i = 0; i < NICHE_PAGES; i++) {
        for (const v of viewers) {
          for (const mode of ['blind', 'aware'] as const) {
            svc.opts.exploreTopicWeight = mode === 'blind' ? 0 : configured;
            for (const video of await forYouPage(v)) {
              if (!probes.has(video)) continue;
              tally[mode].impressions++;
              if (fans.has(v.index)) tally[mode].onFans++;
            }
          }
        }
      }
    } finally {
      svc.opts.exploreTopicWeight = configured;
    }
    const share = (m: { impressions: number; onFans: number }) => (m.impressions ? m.onFans / m.impressions : 0);
    const line = (name: string, m: { impressions: number; onFans: number }) =>
      `  ${name.padEnd(12)} ${m.impressions} impressions of the ${NICHE_PROBES} new videos, ${m.onFans} on the topic's fans (${(100 * share(m)).toFixed(0)}%)`;
    console.log(
      [
        `[recs-sim] niche topic ${topicName(topic)}: ${fans.size} of ${viewers.length} viewers of a new cohort are fans ` +
          `(${(100 * (fans.size / viewers.length)).toFixed(0)}%); ${NICHE_BROWSED} videos browsed and ${NICHE_WARMUP_ROUNDS} For You page(s) each, ` +
          `then ${NICHE_PAGES} page(s) per viewer per mode while ${NICHE_PROBES} new videos of the topic are on trial:`,
        line('topic-blind', tally.blind),
        line('topic-aware', tally.aware),
        `  share on fans: topic-aware ÷ topic-blind ${(share(tally.aware) / Math.max(share(tally.blind), 1e-9)).toFixed(2)} ` +
          `(asserted ≥ ${MARGINS.nicheFansAwareOverBlind})`,
      ].join('\n'),
    );
    expect(tally.blind.impressions).toBeGreaterThanOrEqual(20);
    expect(tally.aware.impressions).toBeGreaterThanOrEqual(20);
    expect(share(tally.aware)).toBeGreaterThanOrEqual(MARGINS.nicheFansAwareOverBlind * share(tally.blind));
  }, 300_000);

  it('quick skips and "Not interested" take a topic out of that viewer’s feed, not out of others’', async () => {
    const viewers = await cohort('neg', 3000, SEED ^ 0x0ff, NEGATIVE_WARMUP_ROUNDS);
    // Each viewer's most served liked topic on a fresh page (not watched: no events sent for it).
    const topicShare = (page: readonly SimVideo[], topic: number) =>
      page.length ? page.filter((x) => x.topic === topic).length / page.length : 0;
    const subjects: Array<{ v: SimViewer; topic: number; before: number; treated: boolean }> = [];
    for (const v of viewers) {
      const page = await forYouPage(v);
      const liked = v.topics.map((k) => ({ k, n: page.filter((x) => x.topic === k).length })).sort((a, b) => b.n - a.n)[0]!;
      if (liked.n >= 2) subjects.push({ v, topic: liked.k, before: topicShare(page, liked.k), treated: subjects.length % 2 === 0 });
    }
    const tally = new PolicyTally();
    let marked = 0;
    for (let round = 1; round <= NEGATIVE_ROUNDS; round++) {
      for (const s of subjects) {
        const page = await forYouPage(s.v);
        if (!s.treated) {
          await watch(s.v, page, tally);
          continue;
        }
        // The treated viewer went off the topic: its videos are left within a second, the rest watched as before.
        await watch(s.v, page, tally, (video) =>
          video.topic === s.topic
            ? {
                events: [
                  { type: 'impression', videoId: video.id },
                  { type: 'play', videoId: video.id },
                  { type: 'skip', videoId: video.id, watchedMs: 600 },
                ],
                watchedMs: 600,
                liked: false,
                inTaste: false,
              }
            : react(reactRng, s.v, video),
        );
        const first = page.find((x) => x.topic === s.topic);
        if (s.v.token && first && round === 1) {
          const r = await api('POST', `/api/v1/videos/${first.id}/not-interested`, { token: s.v.token, headers: headers(s.v) });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          marked++;
        }
      }
      await retrain();
    }
    const after = new Map<number, number>();
    for (const s of subjects) after.set(s.v.index, topicShare(await forYouPage(s.v), s.topic));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    const group = (treated: boolean) => {
      const g = subjects.filter((s) => s.treated === treated);
      const before = mean(g.map((s) => s.before));
      const afterShare = mean(g.map((s) => after.get(s.v.index)!));
      return { n: g.length, before, after: afterShare, ratio: afterShare / Math.max(before, 1e-9) };
    };
    const treated = group(true);
    const control = group(false);
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    console.log(
      `[recs-sim] negative feedback (new cohort, ${NEGATIVE_WARMUP_ROUNDS} warm-up + ${NEGATIVE_ROUNDS} rounds, ${marked} "Not interested" marks): ` +
        `share of the viewer's top topic on a fresh page — treated (quick-skip it) ${pct(treated.before)} → ${pct(treated.after)} ` +
        `(${treated.n} viewers), control (watch as before) ${pct(control.before)} → ${pct(control.after)} (${control.n} viewers); ` +
        `after ÷ before: treated ${treated.ratio.toFixed(2)} (asserted ≤ ${MARGINS.skippedTopicAfterOverBefore} × control's ${control.ratio.toFixed(2)})`,
    );
    expect(treated.n).toBeGreaterThanOrEqual(10);
    expect(control.n).toBeGreaterThanOrEqual(10);
    expect(treated.ratio).toBeLessThanOrEqual(MARGINS.skippedTopicAfterOverBefore * control.ratio);
  }, 300_000);
});
