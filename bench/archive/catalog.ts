/**
 * A synthetic long-tail catalog for bench/archive: video rows whose
 * popularity follows a Zipf law and whose views come in a burst after
 * publishing then trickle (short video's shape), with realistic sizes for
 * phone-shot vertical clips and the ladder Curta encodes. Nothing is
 * stored: the bytes are numbers.
 *
 * - Lifetime views of the video at popularity rank r (a random permutation):
 *   TOP_VIEWS / r^ZIPF_S (2,000,000 for the first, ~6 for the 100,000th).
 * - Views decay after publishing with a mean life of BURST_DAYS: the burst's
 *   last view comes about BURST_DAYS × ln(views) days after publishing; an
 *   evergreen trickle of EVERGREEN_SHARE × views a day goes on after it, so
 *   the time since the last view is the smaller of "since the burst ended"
 *   and an exponential gap at that rate.
 * - Published uniformly over the last CATALOG_DAYS days.
 * - Duration uniform 8–60 s; the original's bitrate log-normal around 8 Mbit/s
 *   (phone H.264/HEVC); renditions ≈ 6.2 Mbit/s for the HLS ladder (1080/720/540/360
 *   averaging ~75 % of their caps), 1.3 Mbit/s for the progressive MP4, 120 KB poster;
 *   objects: 2-s segments per rung, a playlist and an init per rung, master, MP4, poster.
 */
import { seededRng } from '../../src/lib/seeded-rng.js';

export const DAY_MS = 86_400_000;
const TOP_VIEWS = 2_000_000;
const ZIPF_S = 1.1;
const BURST_DAYS = 10;
const EVERGREEN_SHARE = 2e-4;
export const CATALOG_DAYS = 3 * 365;
const RUNGS = 4;

export interface CatalogVideo {
  id: string;
  createdAt: Date;
  /** null: never viewed. */
  lastViewedAt: Date | null;
  views: number;
  durationMs: number;
  originalBytes: number;
  renditionBytes: number;
  renditionObjects: number;
}

/** A standard normal draw (Box–Muller). */
function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function syntheticCatalog(count: number, now: Date, seed = 15): CatalogVideo[] {
  const rng = seededRng(seed);
  const ranks = Array.from({ length: count }, (_, i) => i + 1);
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [ranks[i], ranks[j]] = [ranks[j]!, ranks[i]!];
  }
  const out: CatalogVideo[] = [];
  for (let i = 0; i < count; i++) {
    const rank = ranks[i]!;
    const views = Math.floor(TOP_VIEWS / rank ** ZIPF_S);
    const ageDays = rng() * CATALOG_DAYS;
    let sinceLastDays: number | null;
    if (views === 0) sinceLastDays = null;
    else {
      const burstEnd = Math.min(ageDays, BURST_DAYS * Math.log(Math.max(views, 1)));
      const sinceBurst = ageDays - burstEnd;
      const rate = views * EVERGREEN_SHARE;
      const gap = -Math.log(Math.max(rng(), 1e-12)) / rate;
      sinceLastDays = Math.min(sinceBurst, gap);
    }
    const durationMs = Math.round((8 + rng() * 52) * 1000);
    const sec = durationMs / 1000;
    const originalBps = 8e6 * Math.exp(0.45 * normal(rng));
    const segments = Math.ceil(sec / 2);
    out.push({
      id: `bench${String(i).padStart(6, '0')}`,
      createdAt: new Date(now.getTime() - ageDays * DAY_MS),
      lastViewedAt: sinceLastDays === null ? null : new Date(now.getTime() - sinceLastDays * DAY_MS),
      views,
      durationMs,
      originalBytes: Math.round((sec * originalBps) / 8),
      renditionBytes: Math.round((sec * 6.2e6) / 8 + (sec * 1.3e6) / 8 + 120_000),
      renditionObjects: segments * RUNGS + RUNGS * 2 + 3,
    });
  }
  return out;
}
