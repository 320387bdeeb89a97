import { z } from 'zod';
import { count, isoTime } from '../../lib/http/api-schemas.js';
import { responseSchema } from '../../lib/http/schema-registry.js';
import { ARCHIVE_CLASSES, RESTORE_TIERS, S3_CLASSES } from './cost.js';

export const DEFAULT_RESTORE_WINDOW_DAYS = 30;
export const MAX_RESTORE_WINDOW_DAYS = 365;

export const StorageReportQuery = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_RESTORE_WINDOW_DAYS)
    .optional()
    .describe(`Restores requested in the last this many days (default ${DEFAULT_RESTORE_WINDOW_DAYS})`),
});

const money = z.number().describe('Per month unless said otherwise, in `currency`');

const ClassFigures = z.object({
  storageClass: z.enum(['STANDARD', 'ARCHIVE']).describe("The store's class (ARCHIVE: the archive tier)"),
  pricedAs: z.enum(S3_CLASSES).describe('The S3 class whose prices apply'),
  objects: count(),
  bytes: count().describe('Bytes as listed'),
  billableBytes: count().describe('Bytes as billed: the 128 KB GLACIER_IR minimum and the 40 KB per-object archive overhead included'),
  monthlyCost: money,
});

const TierFigures = z.object({
  tier: z.enum(RESTORE_TIERS),
  requests: count(),
  bytes: count().describe('Bytes retrieved (recorded when the retrieval finished)'),
  cost: z.number().nullable().describe('Retrieval cost; null when the archive class has no such tier (DEEP_ARCHIVE has no Expedited)'),
});

export const StorageCostReport = responseSchema(
  'StorageCostReport',
  z.object({
    generatedAt: isoTime,
    currency: z.string(),
    pricesSource: z.string().describe('Where the prices come from (STORAGE_PRICES overrides the AWS us-east-1 list prices)'),
    store: z.enum(['fs', 's3']),
    archiveClass: z
      .enum(ARCHIVE_CLASSES)
      .describe('What the archive tier is priced as (S3_ARCHIVE_STORAGE_CLASS; on the filesystem store, what it would cost on S3)'),
    listing: z.object({
      measuredAt: isoTime.describe('When the store was listed (cached for ADMIN_STORAGE_SWEEP_SEC)'),
      method: z.string(),
    }),
    classes: z.array(ClassFigures),
    monthlyCost: money.describe('Storage per month, every class'),
    archiving: z.object({
      videos: count().describe('Videos archived or restoring now'),
      restoring: count(),
      pinned: count().describe('Videos pinned as never archived'),
      archiveBytes: count().describe('Bytes those videos keep in the archive tier (videos.archive_bytes)'),
      freedBytes: count().describe('Bytes of renditions and MP4 archiving deleted (videos.archive_freed_bytes)'),
      monthlyCostIfStandard: money.describe('Those videos kept in STANDARD, original and renditions'),
      monthlyCostArchived: money.describe('Their originals in the archive class'),
      monthlySaving: money,
      transitionCost: z.number().describe('One-time: moving those originals into the archive class (per-object transition fees)'),
    }),
    restores: z.object({
      windowDays: count(),
      requests: count().describe('Restores started in the window (archive_restores)'),
      failed: count(),
      bytes: count(),
      cost: z.number().describe('Retrieval cost of those restores at the archive class (tiers without a price count 0)'),
      byTier: z.array(TierFigures),
    }),
  }),
);
export type StorageCostReport = z.infer<typeof StorageCostReport>;
