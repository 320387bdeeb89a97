/**
 * What storage costs: the S3 storage classes Curta uses (STANDARD for
 * everything served, one archive class for archived originals) priced per
 * GB-month, per request, per transition and per restore, with the billing
 * rules that make small objects dearer than their size says.
 *
 * Default prices: AWS list prices for US East (N. Virginia, us-east-1) from
 * https://aws.amazon.com/s3/pricing/ (Storage, Requests & data retrievals
 * tabs) as published in 2025 — the page as last read for this file; the
 * machine that wrote it has no network, so check the page before relying on
 * a figure, and set STORAGE_PRICES to your own (region, contract, another
 * S3-compatible provider). Billing rules from the S3 User Guide, "Amazon S3
 * storage classes" and "Understanding archive retrieval options":
 *
 * - GB means 2^30 bytes (AWS bills GB-months of binary gigabytes).
 * - STANDARD: $0.023/GB-month (the first 50 TB; $0.022 next 450 TB, $0.021
 *   over 500 TB: this model uses the first tier throughout, the honest
 *   figure for a bucket under 50 TB and a slight overestimate above).
 * - GLACIER_IR (Glacier Instant Retrieval): $0.004/GB-month, a 128 KB minimum
 *   billable object size (a smaller object is billed as 128 KB), 90 days
 *   minimum storage, $0.03/GB retrieved (read with a plain GET, no restore).
 * - GLACIER (Glacier Flexible Retrieval): $0.0036/GB-month, 90 days minimum;
 *   every object carries 40 KB of overhead: 32 KB billed at the GLACIER rate
 *   (its index) and 8 KB at the STANDARD rate (its name and metadata).
 *   Restore: Expedited $0.03/GB + $10.00 per 1,000 requests (1–5 min),
 *   Standard $0.01/GB + $0.05 per 1,000 (3–5 h), Bulk free (5–12 h).
 * - DEEP_ARCHIVE: $0.00099/GB-month, 180 days minimum, the same 32 KB + 8 KB
 *   overhead. Restore: Standard $0.02/GB + $0.10 per 1,000 (within 12 h),
 *   Bulk $0.0025/GB + $0.025 per 1,000 (within 48 h); no Expedited.
 * - Transitions (a lifecycle rule, or a PUT/COPY with the class: the same
 *   price) per 1,000 objects: GLACIER_IR $0.02, GLACIER $0.03, DEEP_ARCHIVE
 *   $0.05. PUT/COPY/POST/LIST into STANDARD $0.005 per 1,000; GET $0.0004.
 * - Deleting (or transitioning out of) an archive class before its minimum
 *   duration bills the remaining days at that class's rate.
 *
 * Pure functions and plain data: the report (storage-report.ts) feeds them
 * sizes from a listing and rows from the database.
 */
import { z } from 'zod';

export const S3_CLASSES = ['STANDARD', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const;
export type S3Class = (typeof S3_CLASSES)[number];
export type ArchiveClass = Exclude<S3Class, 'STANDARD'>;
export const ARCHIVE_CLASSES: readonly ArchiveClass[] = ['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];
export const RESTORE_TIERS = ['Expedited', 'Standard', 'Bulk'] as const;
export type RestoreTier = (typeof RESTORE_TIERS)[number];

/** Bytes in the GB that S3 bills by. */
export const GB = 1024 ** 3;
export const KB = 1024;
/** Days in the month the report prices (AWS prorates GB-months by hour; a 30-day month is the usual estimate). */
export const MONTH_DAYS = 30;

const price = z.number().min(0).max(1_000_000);

const RetrievalPrice = z.strictObject({
  /** Per GB retrieved. */
  perGb: price,
  /** Per 1,000 restore requests (per 1,000 GETs for GLACIER_IR). */
  per1000: price,
});
export type RetrievalPrice = z.infer<typeof RetrievalPrice>;

const ClassPrices = z.strictObject({
  /** Per GB-month of billable bytes. */
  gbMonth: price,
  /** Per 1,000 PUT/COPY/POST/LIST requests writing into the class. */
  putPer1000: price,
  /** Per 1,000 lifecycle transitions into the class (0 for STANDARD: nothing transitions into it). */
  transitionPer1000: price,
  /** A smaller object is billed as this many bytes (GLACIER_IR: 128 KB). */
  minBillableBytes: z.number().int().min(0),
  /** Extra bytes per object billed at this class's rate (GLACIER, DEEP_ARCHIVE: 32 KB of index). */
  overheadBytes: z.number().int().min(0),
  /** Extra bytes per object billed at the STANDARD rate (GLACIER, DEEP_ARCHIVE: 8 KB of name and metadata). */
  standardOverheadBytes: z.number().int().min(0),
  /** Deleted or moved out earlier: the remaining days are billed. */
  minStorageDays: z.number().int().min(0),
  /** By restore tier (null: the class has no such tier); GLACIER_IR and STANDARD are read without a restore: `Instant`. */
  retrieval: z.strictObject({
    Instant: RetrievalPrice.nullable(),
    Expedited: RetrievalPrice.nullable(),
    Standard: RetrievalPrice.nullable(),
    Bulk: RetrievalPrice.nullable(),
  }),
});
export type ClassPrices = z.infer<typeof ClassPrices>;

export const StoragePrices = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** Where the figures come from (printed with the report). */
  source: z.string().max(300),
  classes: z.strictObject({
    STANDARD: ClassPrices,
    GLACIER_IR: ClassPrices,
    GLACIER: ClassPrices,
    DEEP_ARCHIVE: ClassPrices,
  }),
});
export type StoragePrices = z.infer<typeof StoragePrices>;

const none = { Expedited: null, Standard: null, Bulk: null } as const;

/** AWS us-east-1 list prices (see the header for the page and the rules). */
export const DEFAULT_PRICES: StoragePrices = {
  currency: 'USD',
  source: 'AWS S3 list prices, US East (N. Virginia), https://aws.amazon.com/s3/pricing/ (2025)',
  classes: {
    STANDARD: {
      gbMonth: 0.023,
      putPer1000: 0.005,
      transitionPer1000: 0,
      minBillableBytes: 0,
      overheadBytes: 0,
      standardOverheadBytes: 0,
      minStorageDays: 0,
      retrieval: { Instant: { perGb: 0, per1000: 0.0004 }, ...none },
    },
    GLACIER_IR: {
      gbMonth: 0.004,
      putPer1000: 0.02,
      transitionPer1000: 0.02,
      minBillableBytes: 128 * KB,
      overheadBytes: 0,
      standardOverheadBytes: 0,
      minStorageDays: 90,
      retrieval: { Instant: { perGb: 0.03, per1000: 0.01 }, ...none },
    },
    GLACIER: {
      gbMonth: 0.0036,
      putPer1000: 0.03,
      transitionPer1000: 0.03,
      minBillableBytes: 0,
      overheadBytes: 32 * KB,
      standardOverheadBytes: 8 * KB,
      minStorageDays: 90,
      retrieval: {
        Instant: null,
        Expedited: { perGb: 0.03, per1000: 10 },
        Standard: { perGb: 0.01, per1000: 0.05 },
        Bulk: { perGb: 0, per1000: 0 },
      },
    },
    DEEP_ARCHIVE: {
      gbMonth: 0.00099,
      putPer1000: 0.05,
      transitionPer1000: 0.05,
      minBillableBytes: 0,
      overheadBytes: 32 * KB,
      standardOverheadBytes: 8 * KB,
      minStorageDays: 180,
      retrieval: {
        Instant: null,
        Expedited: null,
        Standard: { perGb: 0.02, per1000: 0.1 },
        Bulk: { perGb: 0.0025, per1000: 0.025 },
      },
    },
  },
};
Object.freeze(DEFAULT_PRICES);

/** A partial override (STORAGE_PRICES, JSON): any field of any class; the rest keeps the defaults. */
const ClassOverride = ClassPrices.partial().extend({ retrieval: ClassPrices.shape.retrieval.partial().optional() }).optional();
const PricesOverride = z.strictObject({
  currency: StoragePrices.shape.currency.optional(),
  source: StoragePrices.shape.source.optional(),
  classes: z
    .strictObject({ STANDARD: ClassOverride, GLACIER_IR: ClassOverride, GLACIER: ClassOverride, DEEP_ARCHIVE: ClassOverride })
    .optional(),
});

/**
 * The prices with `json` (STORAGE_PRICES) laid over the defaults. Throws an
 * Error naming the bad field for anything that is not a valid override.
 */
export function parsePrices(json: string | undefined, base: StoragePrices = DEFAULT_PRICES): StoragePrices {
  if (json === undefined || json.trim() === '') return base;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('must be a JSON object such as {"classes":{"STANDARD":{"gbMonth":0.021}}}');
  }
  const parsed = PricesOverride.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const o = parsed.data;
  const classes = { ...base.classes };
  for (const c of S3_CLASSES) {
    const over = o.classes?.[c];
    if (!over) continue;
    classes[c] = { ...base.classes[c], ...over, retrieval: { ...base.classes[c].retrieval, ...over.retrieval } };
  }
  const merged = {
    currency: o.currency ?? base.currency,
    source: o.source ?? (o.classes || o.currency ? `STORAGE_PRICES over ${base.source}` : base.source),
    classes,
  };
  return StoragePrices.parse(merged);
}

/** Bytes of one object as billed: at the class's rate, and (archive overhead) at the STANDARD rate. */
export function billableBytes(prices: StoragePrices, cls: S3Class, size: number): { atClass: number; atStandard: number } {
  const p = prices.classes[cls];
  return { atClass: Math.max(size, p.minBillableBytes) + p.overheadBytes, atStandard: p.standardOverheadBytes };
}

/** Objects of one class, added one at a time (a listing), with their billed bytes. */
export class ClassTally {
  objects = 0;
  bytes = 0;
  billedAtClass = 0;
  billedAtStandard = 0;

  constructor(
    private readonly prices: StoragePrices,
    readonly cls: S3Class,
  ) {}

  add(size: number): void {
    const b = billableBytes(this.prices, this.cls, size);
    this.objects += 1;
    this.bytes += size;
    this.billedAtClass += b.atClass;
    this.billedAtStandard += b.atStandard;
  }

  /** Adds `objects` objects totalling `bytes`, each assumed at least the minimum billable size (aggregates from the database). */
  addMany(objects: number, bytes: number): void {
    if (objects <= 0) return;
    const p = this.prices.classes[this.cls];
    this.objects += objects;
    this.bytes += bytes;
    this.billedAtClass += Math.max(bytes, objects * p.minBillableBytes) + objects * p.overheadBytes;
    this.billedAtStandard += objects * p.standardOverheadBytes;
  }

  /** Per month at the class's price (and STANDARD's for the overhead billed there). */
  monthlyCost(): number {
    return monthlyStorageCost(this.prices, this.cls, this.billedAtClass, this.billedAtStandard);
  }
}

/** A month of `billedAtClass` bytes at the class's price plus `billedAtStandard` at STANDARD's. */
export function monthlyStorageCost(prices: StoragePrices, cls: S3Class, billedAtClass: number, billedAtStandard = 0): number {
  return (billedAtClass / GB) * prices.classes[cls].gbMonth + (billedAtStandard / GB) * prices.classes.STANDARD.gbMonth;
}

/** Moving `objects` objects into `cls` (a lifecycle transition or a PUT/COPY with the class): one-time. */
export function transitionCost(prices: StoragePrices, cls: ArchiveClass, objects: number): number {
  return (objects / 1000) * prices.classes[cls].transitionPer1000;
}

/**
 * Reading back `bytes` in `requests` objects from `cls` with `tier`
 * (GLACIER_IR: a GET, whatever the tier; null when the class has no such tier,
 * as DEEP_ARCHIVE has no Expedited).
 */
export function restoreCost(
  prices: StoragePrices,
  cls: ArchiveClass,
  tier: RestoreTier,
  usage: { requests: number; bytes: number },
): number | null {
  const r = prices.classes[cls].retrieval;
  const p = cls === 'GLACIER_IR' ? r.Instant : r[tier];
  if (!p) return null;
  return (usage.bytes / GB) * p.perGb + (usage.requests / 1000) * p.per1000;
}

/** What deleting (or moving out) an object of `size` bytes stored `daysStored` days costs on top: the remaining minimum days. */
export function earlyDeletionCost(prices: StoragePrices, cls: S3Class, size: number, daysStored: number): number {
  const p = prices.classes[cls];
  const remaining = Math.max(0, p.minStorageDays - Math.max(0, daysStored));
  if (remaining === 0) return 0;
  const b = billableBytes(prices, cls, size);
  return monthlyStorageCost(prices, cls, b.atClass, b.atStandard) * (remaining / MONTH_DAYS);
}

/**
 * A month of archived videos, priced both ways: kept in STANDARD (the
 * original and the renditions/MP4 that archiving deleted) against now (the
 * original alone, in the archive class, one object per video).
 */
export function archiveSaving(
  prices: StoragePrices,
  cls: ArchiveClass,
  archived: { videos: number; archiveBytes: number; freedBytes: number },
): { keptInStandard: number; archived: number; saving: number } {
  const standard = new ClassTally(prices, 'STANDARD');
  standard.addMany(archived.videos, archived.archiveBytes + archived.freedBytes);
  const cold = new ClassTally(prices, cls);
  cold.addMany(archived.videos, archived.archiveBytes);
  const keptInStandard = standard.monthlyCost();
  const now = cold.monthlyCost();
  return { keptInStandard, archived: now, saving: keptInStandard - now };
}

/** Money for display: cents, or two significant digits under a cent (a small catalog's bill is fractions of one). */
export function formatMoney(amount: number, currency: string): string {
  const small = amount !== 0 && Math.abs(amount) < 0.01;
  const text = small
    ? amount.toLocaleString('en-US', { maximumSignificantDigits: 2 })
    : amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${text} ${currency}`;
}
