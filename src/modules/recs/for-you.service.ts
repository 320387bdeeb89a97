import { z } from 'zod';
import { AppError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import type { Page } from '../../lib/pagination.js';
import type { Cache } from '../../ports/cache.js';
import type { PublicUser } from '../accounts/accounts.service.js';
import { DEVICE_ID_PATTERN } from '../events/events.service.js';
import type { VideoRow, VideosRepository } from '../videos/videos.repository.js';
import type { VideosService, VideoView } from '../videos/videos.service.js';
import { isDiscoverable } from '../videos/visibility.js';
import type { CatalogCache, CatalogSnapshot } from './catalog.js';
import type { LoadedModel, ModelHolder } from './model-store.js';
import {
  diversify,
  fuse,
  interleave,
  posteriorMean,
  sessionAffinity,
  thompsonOrder,
  topIndices,
  type RankItem,
  type Rng,
  type Source,
} from './ranking.js';
import type { PairRow, RecsRepository, ViewerKey } from './recs.repository.js';
import { signalWeight } from './signals.js';

export const ForYouQuery = z.object({
  limit: z.coerce.number().int().min(1).max(30).default(10),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16}\.[0-9]{1,4}$/, 'not a cursor this feed handed out')
    .optional(),
});
export type ForYouParams = z.infer<typeof ForYouQuery>;

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
};

/** How much each source's ranks count in the blend. */
export const SOURCE_WEIGHTS = Object.freeze({ personal: 1, following: 0.6, trending: 0.35, rising: 0.35, fresh: 0.15 });

/** How many of a source's best items enter the blend. */
const SOURCE_DEPTH = 300;

interface SessionState {
  served: string[];
}

/** What one request knows about the viewer. */
interface ViewerContext {
  key: string | null;
  userId: string | null;
  history: PairRow[];
  followed: ReadonlySet<string>;
  blocked: ReadonlySet<string>;
}

/**
 * The personalised "For You" feed. Each request: the viewer's latest events
 * (read now, so what they did a second ago counts) are folded into the
 * current model; candidates come from the model, followed creators, trending,
 * rising new videos and the newest uploads, blended by reciprocal-rank fusion
 * with a real-time session affinity; an exploration share of slots goes to
 * new videos on trial (Thompson sampling); then creator/hashtag diversity.
 * Never shown: what the viewer saw recently or earlier in this session, their
 * own videos, people in a block with them, and anything not public, ready and
 * un-withdrawn (re-checked against the database before serving).
 */
export class ForYouService {
  constructor(
    private readonly repo: RecsRepository,
    private readonly catalog: CatalogCache,
    private readonly models: ModelHolder,
    private readonly videos: VideosService,
    private readonly videosRepo: VideosRepository,
    private readonly cache: Cache,
    private readonly blockedIds: (viewerId: string) => Promise<ReadonlySet<string>>,
    private readonly opts: ForYouOptions = DEFAULT_FOR_YOU_OPTIONS,
    private readonly rng: Rng = Math.random,
  ) {}

  async page(user: PublicUser | null, deviceIdHeader: string | undefined, params: ForYouParams): Promise<Page<VideoView>> {
    if (deviceIdHeader !== undefined && !DEVICE_ID_PATTERN.test(deviceIdHeader)) {
      throw new AppError('validation_failed', 'X-Device-Id must be 16–64 characters of A–Z, a–z, 0–9, "_" or "-".');
    }
    const viewer: ViewerKey = { userId: user?.id ?? null, deviceId: deviceIdHeader ?? null };
    const key = viewer.userId ?? (viewer.deviceId ? `d:${viewer.deviceId}` : null);

    const [token, pageNo] = params.cursor ? splitCursor(params.cursor) : [randomId(12), 0];
    const sessionKey = `recs:fy:${key ?? 'anon'}:${token}`;
    const now = Date.now();
    const [catalog, loaded, ctx, session] = await Promise.all([
      this.catalog.get(),
      this.models.get(),
      this.viewerContext(viewer, key, now),
      params.cursor ? this.cache.get<SessionState>(sessionKey) : Promise.resolve(undefined),
    ]);

    const excluded = new Set(session?.served ?? []);
    for (const p of ctx.history) if (now - p.lastAt.getTime() < this.opts.seenWindowMs) excluded.add(p.videoId);
    const eligible = (v: RankItem | undefined): v is RankItem =>
      v !== undefined && !excluded.has(v.id) && v.ownerId !== ctx.userId && !ctx.blocked.has(v.ownerId);

    const ids = this.rank(catalog, loaded, ctx, eligible, params.limit * 3);
    const picked = diversify(
      ids.map((id) => catalog.byId.get(id)!),
      params.limit,
    );
    const rows = await this.recheck(picked.map((p) => p.id), ctx);
    const served = [...(session?.served ?? []), ...picked.map((p) => p.id)];
    const more = ids.length > picked.length;
    if (more) await this.cache.set<SessionState>(sessionKey, { served: served.slice(-2000) }, this.opts.sessionTtlMs);
    return {
      items: await this.videos.present(rows, user),
      nextCursor: more ? `${token}.${pageNo + 1}` : null,
    };
  }

  private async viewerContext(viewer: ViewerKey, key: string | null, now: number): Promise<ViewerContext> {
    if (!key) return { key, userId: null, history: [], followed: new Set(), blocked: new Set() };
    const [history, followed, blocked] = await Promise.all([
      this.repo.viewerPairs(viewer, new Date(now - this.opts.historyWindowMs), this.opts.historyMaxEvents),
      viewer.userId ? this.repo.followedAuthors(viewer.userId) : Promise.resolve(new Set<string>()),
      viewer.userId ? this.blockedIds(viewer.userId) : Promise.resolve(new Set<string>()),
    ]);
    return { key, userId: viewer.userId, history, followed, blocked };
  }

  /** Candidate ids, best first, `length` of them at most (before diversity). */
  private rank(
    catalog: CatalogSnapshot,
    loaded: LoadedModel | null,
    ctx: ViewerContext,
    eligible: (v: RankItem | undefined) => v is RankItem,
    length: number,
  ): string[] {
    const pool = catalog.videos.filter(eligible);
    const sources: Source[] = [
      { name: 'personal', ids: this.personal(pool, loaded, ctx.history), weight: SOURCE_WEIGHTS.personal },
      { name: 'trending', ids: catalog.trending.filter((id) => eligible(catalog.byId.get(id))).slice(0, SOURCE_DEPTH), weight: SOURCE_WEIGHTS.trending },
      { name: 'fresh', ids: pool.slice(0, SOURCE_DEPTH).map((v) => v.id), weight: SOURCE_WEIGHTS.fresh },
    ];
    if (ctx.followed.size > 0) {
      const since = Date.now() - this.opts.followingWindowMs;
      const following = pool.filter((v) => ctx.followed.has(v.ownerId) && v.createdAt > since).slice(0, SOURCE_DEPTH);
      sources.push({ name: 'following', ids: following.map((v) => v.id), weight: SOURCE_WEIGHTS.following });
    }
    // New videos on trial: those that proved themselves rise in the blend; all get exploration slots.
    const arms = pool
      .filter((v) => {
        const s = catalog.explore.get(v.id);
        return Date.now() - v.createdAt < this.opts.exploreWindowMs && (s?.viewers ?? 0) < this.opts.exploreGraduateViewers;
      })
      .map((v) => ({ id: v.id, viewers: catalog.explore.get(v.id)?.viewers ?? 0, engaged: catalog.explore.get(v.id)?.engaged ?? 0 }));
    const rising = arms.filter((a) => a.viewers >= 5).sort((a, b) => posteriorMean(b) - posteriorMean(a));
    sources.push({ name: 'rising', ids: rising.slice(0, SOURCE_DEPTH).map((a) => a.id), weight: SOURCE_WEIGHTS.rising });

    const recent = ctx.history.slice(0, 30).flatMap((p) => {
      const v = catalog.byId.get(p.videoId);
      const weight = signalWeight(p);
      return weight === 0 ? [] : [{ ownerId: p.ownerId, tag: v?.tag ?? null, weight }];
    });
    const affinity = sessionAffinity(recent, this.opts.affinityStrength);
    const ranked = fuse(sources, (id) => affinity(catalog.byId.get(id)!));
    return interleave(ranked, thompsonOrder(arms, this.rng), this.opts.exploreShare, length, this.rng);
  }

  /** The model's ranking of the pool for this viewer: fold-in of their history, or the prior when they have none. */
  private personal(pool: readonly RankItem[], loaded: LoadedModel | null, history: readonly PairRow[]): string[] {
    if (!loaded) return [];
    const folded: Array<{ item: number; weight: number }> = [];
    for (const p of history) {
      const item = loaded.index.get(p.videoId);
      const weight = signalWeight(p);
      if (item !== undefined && weight !== 0) folded.push({ item, weight });
    }
    const scores = folded.length > 0 ? loaded.model.scoreAll(loaded.model.userVector(folded)) : loaded.model.itemPrior;
    const candidates: number[] = [];
    for (const v of pool) {
      const i = loaded.index.get(v.id);
      if (i !== undefined) candidates.push(i);
    }
    return topIndices(scores, candidates, SOURCE_DEPTH).map((i) => loaded.itemIds[i]!);
  }

  /** The rows for these ids, in order, dropping any that stopped being discoverable since the snapshot. */
  private async recheck(ids: readonly string[], ctx: ViewerContext): Promise<VideoRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.videosRepo.listByIds(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids
      .map((id) => byId.get(id))
      .filter((r): r is VideoRow => r !== undefined && isDiscoverable(r) && r.owner_id !== ctx.userId && !ctx.blocked.has(r.owner_id));
  }
}

function splitCursor(cursor: string): [string, number] {
  const [token, n] = cursor.split('.');
  return [token!, Number(n)];
}
