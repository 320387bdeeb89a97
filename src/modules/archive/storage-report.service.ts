import type { Cache } from '../../ports/cache.js';
import type { Database } from '../../ports/database.js';
import type { ObjectStore, StorageClass } from '../../ports/object-store.js';
import {
  archiveSaving,
  ClassTally,
  RESTORE_TIERS,
  restoreCost,
  transitionCost,
  type ArchiveClass,
  type RestoreTier,
  type S3Class,
  type StoragePrices,
} from './cost.js';
import { DEFAULT_RESTORE_WINDOW_DAYS, type StorageCostReport } from './storage-report.schema.js';

/** The last listing's per-class tallies, shared through the cache by every API process. */
export const LISTING_CACHE_KEY = 'archive:storage-listing:v1';

interface ClassListing {
  storageClass: StorageClass;
  objects: number;
  bytes: number;
  billedAtClass: number;
  billedAtStandard: number;
}
interface Listing {
  classes: ClassListing[];
  measuredAt: string;
}

export interface StorageReportOptions {
  prices: StoragePrices;
  /** What the store's ARCHIVE class is priced as. */
  archiveClass: ArchiveClass;
  /** How long a listing is reused (ms). */
  listingTtlMs: number;
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/**
 * The operator's storage bill: bytes and objects per storage class from a
 * paged listing of the whole store (a LIST per 1,000 keys on S3, each key's
 * class in the listing itself: no per-object HEAD), priced with the cost
 * model; what archiving saved, from the archived videos' own columns (the
 * bytes archiving deleted no longer exist to be listed); and the restores
 * requested in a window, from archive_restores.
 */
export class StorageReportService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly cache: Cache,
    private readonly opts: StorageReportOptions,
  ) {}

  async report(opts: { days?: number; fresh?: boolean } = {}, now = new Date()): Promise<StorageCostReport> {
    const { prices, archiveClass } = this.opts;
    const days = opts.days ?? DEFAULT_RESTORE_WINDOW_DAYS;
    const [listing, archived, restores] = await Promise.all([
      opts.fresh ? this.refreshListing() : this.listing(),
      this.archivedFigures(),
      this.restoreFigures(days, now),
    ]);

    const classes = (['STANDARD', 'ARCHIVE'] as const).map((storageClass) => {
      const l = listing.classes.find((c) => c.storageClass === storageClass);
      const pricedAs: S3Class = storageClass === 'STANDARD' ? 'STANDARD' : archiveClass;
      const tally = new ClassTally(prices, pricedAs);
      Object.assign(
        tally,
        l ? { objects: l.objects, bytes: l.bytes, billedAtClass: l.billedAtClass, billedAtStandard: l.billedAtStandard } : {},
      );
      return {
        storageClass,
        pricedAs,
        objects: tally.objects,
        bytes: tally.bytes,
        billableBytes: tally.billedAtClass + tally.billedAtStandard,
        monthlyCost: tally.monthlyCost(),
      };
    });

    const saving = archiveSaving(prices, archiveClass, archived);
    const byTier = RESTORE_TIERS.map((tier) => {
      const r = restores.byTier.get(tier) ?? { requests: 0, bytes: 0 };
      return { tier, requests: r.requests, bytes: r.bytes, cost: restoreCost(prices, archiveClass, tier, r) };
    });
    return {
      generatedAt: now.toISOString(),
      currency: prices.currency,
      pricesSource: prices.source,
      store: this.store.kind,
      archiveClass,
      listing: {
        measuredAt: listing.measuredAt,
        method:
          'a paged listing of the whole store (1,000 keys a page; each key carries its storage class), cached; archived videos from their database columns',
      },
      classes,
      monthlyCost: classes.reduce((s, c) => s + c.monthlyCost, 0),
      archiving: {
        videos: archived.videos,
        restoring: archived.restoring,
        pinned: archived.pinned,
        archiveBytes: archived.archiveBytes,
        freedBytes: archived.freedBytes,
        monthlyCostIfStandard: saving.keptInStandard,
        monthlyCostArchived: saving.archived,
        monthlySaving: saving.saving,
        transitionCost: transitionCost(prices, archiveClass, archived.videos),
      },
      restores: {
        windowDays: days,
        requests: byTier.reduce((s, t) => s + t.requests, 0),
        failed: restores.failed,
        bytes: byTier.reduce((s, t) => s + t.bytes, 0),
        cost: byTier.reduce((s, t) => s + (t.cost ?? 0), 0),
        byTier,
      },
    };
  }

  /** The last listing, or a new one when none is younger than the TTL (concurrent callers share one). */
  listing(): Promise<Listing> {
    return this.cache.getOrLoad(LISTING_CACHE_KEY, this.opts.listingTtlMs, () => this.list());
  }

  /** Lists now and keeps the result for the next requests. */
  async refreshListing(): Promise<Listing> {
    const listing = await this.list();
    await this.cache.set(LISTING_CACHE_KEY, listing, this.opts.listingTtlMs);
    return listing;
  }

  private async list(): Promise<Listing> {
    const { prices, archiveClass } = this.opts;
    const tallies = { STANDARD: new ClassTally(prices, 'STANDARD'), ARCHIVE: new ClassTally(prices, archiveClass) };
    let cursor: string | undefined;
    do {
      const page = await this.store.listPage('', cursor === undefined ? {} : { cursor });
      for (const k of page.keys) tallies[k.storageClass].add(k.size);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return {
      classes: (['STANDARD', 'ARCHIVE'] as const).map((storageClass) => {
        const t = tallies[storageClass];
        return { storageClass, objects: t.objects, bytes: t.bytes, billedAtClass: t.billedAtClass, billedAtStandard: t.billedAtStandard };
      }),
      measuredAt: new Date().toISOString(),
    };
  }

  private async archivedFigures(): Promise<{
    videos: number;
    restoring: number;
    pinned: number;
    archiveBytes: number;
    freedBytes: number;
  }> {
    const { rows } = await this.db.query(
      `SELECT count(*) FILTER (WHERE status IN ('archived', 'restoring')) AS videos,
              count(*) FILTER (WHERE status = 'restoring') AS restoring,
              count(*) FILTER (WHERE archive_pinned) AS pinned,
              coalesce(sum(archive_bytes) FILTER (WHERE status IN ('archived', 'restoring')), 0) AS archive_bytes,
              coalesce(sum(archive_freed_bytes) FILTER (WHERE status IN ('archived', 'restoring')), 0) AS freed_bytes
       FROM videos`,
    );
    const r = rows[0] ?? {};
    return {
      videos: n(r.videos),
      restoring: n(r.restoring),
      pinned: n(r.pinned),
      archiveBytes: n(r.archive_bytes),
      freedBytes: n(r.freed_bytes),
    };
  }

  private async restoreFigures(
    days: number,
    now: Date,
  ): Promise<{ byTier: Map<RestoreTier, { requests: number; bytes: number }>; failed: number }> {
    const since = new Date(now.getTime() - days * 86_400_000);
    const { rows } = await this.db.query<{ tier: string; requests: unknown; bytes: unknown; failed: unknown }>(
      `SELECT tier, count(*) AS requests, coalesce(sum(bytes), 0) AS bytes, count(*) FILTER (WHERE state = 'failed') AS failed
       FROM archive_restores WHERE requested_at >= $1 GROUP BY tier`,
      [since],
    );
    const byTier = new Map<RestoreTier, { requests: number; bytes: number }>();
    let failed = 0;
    for (const r of rows) {
      failed += n(r.failed);
      if ((RESTORE_TIERS as readonly string[]).includes(r.tier))
        byTier.set(r.tier as RestoreTier, { requests: n(r.requests), bytes: n(r.bytes) });
    }
    return { byTier, failed };
  }
}
