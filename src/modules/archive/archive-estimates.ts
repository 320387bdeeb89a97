import type { RestoreTier } from '../../ports/object-store.js';

/** Which archive tier a store puts originals in: what a restore costs in time. */
export type ArchiveTier = { kind: 'fs'; restoreDelaySec: number } | { kind: 's3'; storageClass: 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE' };

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * How long the store takes to bring an original back, by AWS's documented
 * retrieval times (upper ends): GLACIER (Flexible Retrieval) Expedited 1–5 min,
 * Standard 3–5 h, Bulk 5–12 h; DEEP_ARCHIVE Standard within 12 h, Bulk within
 * 48 h (no Expedited: Standard is used); GLACIER_IR reads in milliseconds (no restore).
 */
export function retrievalEstimateMs(tier: ArchiveTier, restoreTier: RestoreTier): number {
  if (tier.kind === 'fs') return tier.restoreDelaySec * 1000;
  switch (tier.storageClass) {
    case 'GLACIER_IR':
      return 0;
    case 'GLACIER':
      return restoreTier === 'Expedited' ? 5 * MIN : restoreTier === 'Standard' ? 5 * HOUR : 12 * HOUR;
    case 'DEEP_ARCHIVE':
      return restoreTier === 'Bulk' ? 48 * HOUR : 12 * HOUR;
  }
}

/** The tier actually asked for: DEEP_ARCHIVE has no Expedited retrieval. */
export function effectiveRestoreTier(tier: ArchiveTier, restoreTier: RestoreTier): RestoreTier {
  return tier.kind === 's3' && tier.storageClass === 'DEEP_ARCHIVE' && restoreTier === 'Expedited' ? 'Standard' : restoreTier;
}

/** Re-processing a short video: a fixed start-up plus about twice its duration (the ladder encodes in parallel). */
export function processingEstimateMs(durationMs: number | null): number {
  return 30_000 + 2 * Math.max(0, durationMs ?? 60_000);
}

/** How often a restore in the retrieving phase asks again: the configured interval, or sooner for a short embedded delay. */
export function pollIntervalMs(tier: ArchiveTier, pollSec: number): number {
  if (tier.kind === 'fs') return Math.min(pollSec * 1000, Math.max(250, Math.ceil((tier.restoreDelaySec * 1000) / 4)));
  return pollSec * 1000;
}
