/** Pure helpers of the analytics page (tested without a browser). */

export const RANGES = [7, 28, 90] as const;
export type RangeDays = (typeof RANGES)[number];

/** The `from`/`to` (YYYY-MM-DD, UTC) of the last `days` days, today included. */
export function rangeOf(days: number, now = Date.now()): { from: string; to: string } {
  const to = new Date(now).toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}

/** 83_000 → "1:23"; 3_725_000 → "1:02:05". */
export function formatDurationMs(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

/** Watch time in hours or minutes ("12.5 h", "42 min"). */
export function formatWatchTime(ms: number): string {
  const min = ms / 60_000;
  return min >= 60 ? `${(min / 60).toLocaleString('en-US', { maximumFractionDigits: 1 })} h` : `${Math.round(min)} min`;
}

export function formatPercent(share: number | null): string {
  return share === null ? '–' : `${(share * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;
}

/** "2026-03-04" → "Mar 4". */
export function shortDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export const SOURCE_LABELS: Record<string, string> = {
  for_you: 'For You',
  following: 'Following',
  profile: 'Profile',
  search: 'Search',
  hashtag: 'Hashtag',
  share: 'Share link',
  other: 'Other',
};
