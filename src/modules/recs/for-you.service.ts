import { randomId } from '../../lib/ids.js';
import type { Page } from '../../lib/pagination.js';
import type { Cache } from '../../ports/cache.js';
import type { Viewer } from '../../lib/http/viewer.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { ForYouParams } from './recs.schema.js';
import type { VideoRow } from '../videos/video.types.js';
import type { VideosService } from '../videos/videos.service.js';
import type { VideoView } from '../videos/videos.schema.js';
import { isDiscoverable } from '../videos/visibility.js';
import type { CatalogCache, CatalogSnapshot } from './catalog.js';
import type { LoadedModel, ModelHolder } from './model-store.js';
import { ExplorationIndex, topicAwareOrder } from './exploration.js';
import { diversify, interleave, notInterestedPenalty, sessionAffinity, topIndices, type Rng } from './ranking.js';
import { blendWeights, DEFAULT_BLEND, servedRanking, type ServedSources } from './served-ranking.js';
import { viewerKeyOf, type CatalogVideo, type NotInterestedMark, type RecsRepository, type ViewerKey } from './recs.repository.js';
import { aggregateHistory, signalWeight, type HistoryPair } from './signals.js';
import { similarNegativePenalty, tasteProfile } from './taste.js';

export interface ForYouOptions {
  /** Events older than this are not part of the viewer's live history. */
  historyWindowMs: number;
  /** At most this many of the viewer's newest events are folded in per request. */
  historyMaxEvents: number;
  /** A video the viewer saw within this window is not shown again. */
  seenWindowMs: number;
  /** Share of slots given to the exploration pool (new videos on trial). */
  exploreShare: number;
  /** Videos younger than this are on trial (the exploration pool); the catalog gathers their exposure. */
  exploreWindowMs: number;
  /** A young video leaves the exploration pool after this many distinct viewers. */
  exploreGraduateViewers: number;
  /** How long the pages of one For You session remember what they served. */
  sessionTtlMs: number;
  /** Weight of the real-time session affinity (authors/hashtags just watched or skipped). */
  affinityStrength: number;
  /** Followed creators' videos younger than this are a source. */
  followingWindowMs: number;
  /** The viewer's newest "Not interested" marks read per request (each video hidden for good, its author and hashtags down-weighted). */
  notInterestedMax: number;
  /** How strongly a trial video's fit with the viewer's recent taste orders their exploration slots (exploration.ts); 0 = topic-blind. */
  exploreTopicWeight: number;
  /** At most this much is taken off the model neighbours of what the viewer recently skipped or marked (taste.ts). */
  negativeSimilarStrength: number;
}

export const DEFAULT_FOR_YOU_OPTIONS: ForYouOptions = {
  historyWindowMs: 30 * 24 * 3600_000,
  historyMaxEvents: 1000,
  seenWindowMs: 24 * 3600_000,
  exploreShare: 0.15,
  exploreWindowMs: 7 * 24 * 3600_000,
  exploreGraduateViewers: 200,
  sessionTtlMs: 30 * 60_000,
  affinityStrength: 0.04,
  followingWindowMs: 14 * 24 * 3600_000,
  notInterestedMax: 1000,
  exploreTopicWeight: 1.5,
  negativeSimilarStrength: 0.03,
};

/** How much each source's ranks count in the blend by default (served-ranking.ts; the trainer may choose personal and trending). */
export const SOURCE_WEIGHTS = DEFAULT_BLEND;

/** How many of a source's best items enter the blend, at least (more when a page needs more candidates). */
const MIN_SOURCE_DEPTH = 60;

interface SessionState {
  served: string[];
}

/** What one request knows about the viewer. */
interface ViewerContext {
  userId: string | null;
  history: HistoryPair[];
  followed: ReadonlySet<string>;
  blocked: ReadonlySet<string>;
  /** Videos the viewer said "Not interested" in, newest first. */
  notInterested: readonly NotInterestedMark[];
}

/**
 * The personalised "For You" feed. Each request: the viewer's latest events
 * (read now, so what they did a second ago counts) are folded into the
 * current model; candidates come from the model, followed creators, trending,
 * rising new videos and the newest uploads, blended by reciprocal-rank fusion
 * with a real-time session affinity; an exploration share of slots goes to
 * new videos on trial (Thompson sampling); then creator/hashtag diversity.
 * Never shown: what the viewer saw recently or earlier in this session, what
 * they said "Not interested" in (its author and hashtags rank lower), their
 * own videos, people in a block with them, and anything not public, ready and
 * un-withdrawn (re-checked against the database before serving).
 */
export class ForYouService {
  private joined: {
    catalog: CatalogSnapshot;
    model: LoadedModel;
    items: ReadonlyArray<CatalogVideo | undefined>;
    indices: number[];
  } | null = null;

  constructor(
    private readonly repo: RecsRepository,
    private readonly catalog: CatalogCache,
    private readonly models: ModelHolder,
    private readonly videos: VideosService,
    private readonly cache: Cache,
    private readonly opts: ForYouOptions = DEFAULT_FOR_YOU_OPTIONS,
    private readonly rng: Rng = Math.random,
  ) {}

  /** `deviceId` was validated with the request (DeviceHeader). */
  async page({ user, deviceId }: Viewer, params: ForYouParams): Promise<Page<VideoView>> {
    const viewer: ViewerKey = { userId: user?.id ?? null, deviceId };
    const key = viewerKeyOf(viewer);

    const [token, pageNo] = params.cursor ? splitCursor(params.cursor) : [randomId(12), 0];
    const sessionKey = `recs:fy:${key ?? 'anon'}:${token}`;
    const now = Date.now();
    // One snapshot for the whole request: the history's facts and the ranking read the same pool.
    const snapshot = this.catalog.get();
    const [catalog, loaded, ctx, session] = await Promise.all([
      snapshot,
      this.models.get(),
      this.viewerContext(viewer, key, snapshot, now),
      params.cursor ? this.cache.get<SessionState>(sessionKey) : Promise.resolve(undefined),
    ]);

    const excluded = new Set(session?.served ?? []);
    for (const p of ctx.history) if (now - p.lastAt < this.opts.seenWindowMs) excluded.add(p.videoId);
    for (const m of ctx.notInterested) excluded.add(m.videoId);
    const eligible = (v: CatalogVideo | undefined): v is CatalogVideo =>
      v !== undefined && !excluded.has(v.id) && v.ownerId !== ctx.userId && !ctx.blocked.has(v.ownerId);

    const ids = this.rank(catalog, loaded, ctx, eligible, params.limit * 3);
    const { picked, rows, present } = await this.pick(ids, catalog, ctx, params.limit, user);
    const served = [...(session?.served ?? []), ...picked.map((p) => p.id)];
    const more = ids.length > picked.length;
    if (more) await this.cache.set<SessionState>(sessionKey, { served: served.slice(-2000) }, this.opts.sessionTtlMs);
    return {
      items: await present(rows),
      nextCursor: more ? `${token}.${pageNo + 1}` : null,
    };
  }

  private async viewerContext(
    viewer: ViewerKey,
    key: string | null,
    catalog: Promise<CatalogSnapshot>,
    now: number,
  ): Promise<ViewerContext> {
    if (!key) return { userId: null, history: [], followed: new Set(), blocked: new Set(), notInterested: [] };
    // One statement for the history, follows, blocks and "Not interested" marks (repository).
    const [raw, snapshot] = await Promise.all([
      this.repo.viewerReads(viewer, new Date(now - this.opts.historyWindowMs), this.opts.historyMaxEvents, this.opts.notInterestedMax),
      catalog,
    ]);
    const { followed, blocked, notInterested } = raw;
    // Owner and duration from the catalog; the few history videos it lacks (unlisted, private, withdrawn) from the database.
    const missing = new Set<string>();
    for (const e of raw.events) if (!snapshot.byId.has(e.videoId)) missing.add(e.videoId);
    for (const a of raw.actions) if (!snapshot.byId.has(a.videoId)) missing.add(a.videoId);
    const extra = await this.repo.videoFacts([...missing]);
    const history = aggregateHistory(raw.events, raw.actions, (id) => snapshot.byId.get(id) ?? extra.get(id), followed);
    return { userId: viewer.userId, history, followed, blocked, notInterested };
  }

  /** Candidate ids, best first, `length` of them at most (before diversity). */
  private rank(
    catalog: CatalogSnapshot,
    loaded: LoadedModel | null,
    ctx: ViewerContext,
    eligible: (v: CatalogVideo | undefined) => v is CatalogVideo,
    length: number,
  ): string[] {
    // Reciprocal-rank fusion barely moves an item past a source's first few dozen: that deep is enough.
    const depth = Math.max(MIN_SOURCE_DEPTH, length);
    const firstEligible = (ids: readonly string[]): string[] => {
      const out: string[] = [];
      for (let i = 0; i < ids.length && out.length < depth; i++) if (eligible(catalog.byId.get(ids[i]!))) out.push(ids[i]!);
      return out;
    };
    // The blend the trainer chose with this model (self-tuning), or the defaults.
    const weights = blendWeights(loaded?.selection?.blend);
    const sources: ServedSources = {
      personal: weights.personal > 0 ? this.personal(catalog, loaded, ctx.history, eligible, depth) : [],
      trending: firstEligible(catalog.trending),
      fresh: firstEligible(catalog.newest),
      // New videos that proved themselves on trial rise in the blend.
      rising: firstEligible(catalog.rising),
    };
    if (ctx.followed.size > 0) {
      const since = Date.now() - this.opts.followingWindowMs;
      const following = [...ctx.followed]
        .flatMap((owner) => catalog.byOwner.get(owner) ?? [])
        .filter((v) => v.createdAt > since)
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((v) => v.id);
      sources.following = firstEligible(following);
    }
    const recent = ctx.history.slice(0, 30).flatMap((p) => {
      const weight = signalWeight(p);
      return weight === 0 ? [] : [{ ownerId: p.ownerId, tag: catalog.byId.get(p.videoId)?.tag ?? null, weight }];
    });
    const affinity = sessionAffinity(recent, this.opts.affinityStrength);
    const penalty = notInterestedPenalty(ctx.notInterested);
    // The viewer's recent taste (signals.ts weights): their negatives sink the model neighbours of what they
    // rejected in every source, and it orders their exploration slots (exploration.ts, taste.ts).
    const explore = ExplorationIndex.of(catalog, loaded);
    const itemOf = (id: string) => loaded?.index.get(id);
    const taste = tasteProfile(ctx.history, ctx.notInterested, (id) => catalog.byId.get(id)?.tag ?? null, itemOf);
    const similar = similarNegativePenalty(taste, explore.neighbours, itemOf, this.opts.negativeSimilarStrength);
    const fit = explore.trialFit(taste, this.opts.exploreTopicWeight);
    // Only the best 2 × length are selected (not the whole blend sorted): interleave takes `length` at most from the ranked
    // list, skipping those an exploration slot already took (`length` at most).
    const ranked = servedRanking(
      sources,
      weights,
      (id) => {
        const item = catalog.byId.get(id)!;
        return affinity(item) + penalty(item) + similar(item) + fit(item);
      },
      2 * length,
    );
    // Every video on trial may take an exploration slot, ordered by a fresh Thompson draw weighted by its fit with the
    // viewer's taste: not those of an author or hashtag the viewer said "Not interested" to (they keep their lowered place).
    const arms = explore.candidates(taste, this.rng).filter((a) => {
      const v = catalog.byId.get(a.id);
      return eligible(v) && penalty(v) === 0;
    });
    // As many as the page's slots could take, and as many again for those the ranked list already placed.
    const order = topicAwareOrder(arms, (id) => explore.match(id, taste), this.opts.exploreTopicWeight, this.rng, 2 * length);
    return interleave(ranked, order, this.opts.exploreShare, length, this.rng);
  }

  /** The model's best eligible videos for this viewer: fold-in of their history, or the prior when they have none. */
  private personal(
    catalog: CatalogSnapshot,
    loaded: LoadedModel | null,
    history: readonly HistoryPair[],
    eligible: (v: CatalogVideo | undefined) => v is CatalogVideo,
    depth: number,
  ): string[] {
    if (!loaded) return [];
    const folded: Array<{ item: number; weight: number }> = [];
    for (const p of history) {
      const item = loaded.index.get(p.videoId);
      const weight = signalWeight(p);
      if (item !== undefined && weight !== 0) folded.push({ item, weight });
    }
    // Scores written over the user vector itself: one array of the model's size per request, not two.
    const user = folded.length > 0 ? loaded.model.userVector(folded) : null;
    const scores = user ? loaded.model.scoreAll(user, user) : loaded.model.itemPrior;
    // The best discoverable items first, then the viewer's exclusions: a few more than needed covers what they drop.
    const { indices, items } = this.modelItems(catalog, loaded);
    const best = topIndices(scores, indices, depth * 2 + 50);
    const out: string[] = [];
    for (const i of best) {
      if (eligible(items[i])) out.push(loaded.itemIds[i]!);
      if (out.length >= depth) return out;
    }
    if (best.length === indices.length) return out;
    // Exclusions took most of them (a viewer blocking prolific creators): rank every eligible item.
    return topIndices(
      scores,
      indices.filter((i) => eligible(items[i])),
      depth,
    ).map((i) => loaded.itemIds[i]!);
  }

  /** Model item index → catalog video, and the indices of those discoverable now: once per (snapshot, model) pair. */
  private modelItems(catalog: CatalogSnapshot, loaded: LoadedModel): { indices: number[]; items: ReadonlyArray<CatalogVideo | undefined> } {
    const j = this.joined;
    if (j?.catalog === catalog && j.model === loaded) return j;
    const items = loaded.itemIds.map((id) => catalog.byId.get(id));
    const indices: number[] = [];
    items.forEach((v, i) => v && indices.push(i));
    this.joined = { catalog, model: loaded, items, indices };
    return this.joined;
  }

  /**
   * The page: `limit` of the candidates in diversity order, with their rows
   * and what presents them (the rows and their counters come in one
   * statement). A candidate that stopped being discoverable since the snapshot
   * (taken down, made private, deleted) is dropped by the re-check and the
   * page is refilled from the remaining candidates, re-checked too, so a stale
   * snapshot does not make it short.
   */
  private async pick(
    ids: readonly string[],
    catalog: CatalogSnapshot,
    ctx: ViewerContext,
    limit: number,
    viewer: PublicUser | null,
  ): Promise<Picked> {
    const picked = diversify(
      ids.map((id) => catalog.byId.get(id)!),
      limit,
    );
    const first = await this.recheck(
      picked.map((p) => p.id),
      ctx,
      viewer,
    );
    if (first.rows.length === picked.length || picked.length === ids.length) return { picked, ...first };
    const taken = new Set(picked.map((p) => p.id));
    const more = await this.recheck(
      ids.filter((id) => !taken.has(id)),
      ctx,
      viewer,
    );
    const alive = new Map([...first.rows, ...more.rows].map((r) => [r.id, r]));
    const refilled = diversify(
      ids.filter((id) => alive.has(id)).map((id) => catalog.byId.get(id)!),
      limit,
    );
    // Rows from two reads (rare): presented with one more query for their counters.
    return { picked: refilled, rows: refilled.map((p) => alive.get(p.id)!), present: (rows) => this.videos.present(rows, viewer) };
  }

  /** The rows for these ids, in order, dropping any that stopped being discoverable since the snapshot. */
  private async recheck(ids: readonly string[], ctx: ViewerContext, viewer: PublicUser | null): Promise<Omit<Picked, 'picked'>> {
    if (ids.length === 0) return { rows: [], present: async () => [] };
    const { rows, present } = await this.videos.rowsToPresent(ids, viewer);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return {
      rows: ids
        .map((id) => byId.get(id))
        .filter((r): r is VideoRow => r !== undefined && isDiscoverable(r) && r.owner_id !== ctx.userId && !ctx.blocked.has(r.owner_id)),
      present,
    };
  }
}

/** A page's videos: the candidates picked, their re-checked rows in that order, and what presents those rows. */
interface Picked {
  picked: CatalogVideo[];
  rows: VideoRow[];
  present: (rows: readonly VideoRow[]) => Promise<VideoView[]>;
}

function splitCursor(cursor: string): [string, number] {
  const [token, n] = cursor.split('.');
  return [token!, Number(n)];
}
