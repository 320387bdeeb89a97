/**
 * The pure parts of the creator's publishing controls and stats (studio,
 * "Your videos", the edit sheet): when a video goes out, and how its numbers
 * read. No DOM here, so they are unit-tested in Node.
 */

/** The server refuses a schedule further ahead than this (src/modules/videos/publication.ts). */
export const MAX_SCHEDULE_AHEAD_MS = 90 * 86_400_000;

export type PublishMode = 'now' | 'schedule' | 'draft';

const pad = (n: number) => String(n).padStart(2, '0');

/** A time as a `<input type="datetime-local">` value, in the browser's time zone ("2026-12-03T18:30"). */
export function toLocalInput(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (local time) as an instant, or null when it is not one. */
export function fromLocalInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return null;
  const [y, mo, d, hh, mm, ss] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const t = new Date(y, mo - 1, d, hh, mm, ss).getTime();
  return Number.isFinite(t) ? t : null;
}

/** Where the schedule picker starts: the next whole hour at least 30 minutes away. */
export function defaultScheduleTime(now: number): number {
  const d = new Date(now + 30 * 60_000);
  d.setMinutes(0, 0, 0);
  return d.getTime() + 3_600_000;
}

/** Why a chosen publish time cannot be used, in words, or null when it can. */
export function scheduleProblem(t: number | null, now: number): string | null {
  if (t === null) return 'Choose a date and time.';
  if (t <= now) return 'That time has passed. Choose a time in the future.';
  if (t - now > MAX_SCHEDULE_AHEAD_MS) return 'Schedule at most 90 days ahead.';
  return null;
}

/** What the upload is created with for each choice. */
export function publishFields(mode: PublishMode, scheduledAt: number | null): { draft?: true; publishAt?: string } {
  if (mode === 'draft') return { draft: true };
  if (mode === 'schedule' && scheduledAt !== null) return { publishAt: new Date(scheduledAt).toISOString() };
  return {};
}

/** "Tue 3 Dec, 18:30" in the browser's language and zone. */
export function formatWhen(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return new Date(t).toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** 999, 1.2K, 15K, 3.4M: counts as people read them in a small space. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  const units: Array<[number, string]> = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) {
      const v = n / size;
      return `${v >= 10 ? Math.floor(v) : Math.floor(v * 10) / 10}${unit}`;
    }
  }
  return String(n);
}

/** An average watch time: "—" before anyone watched, "4.2 s", "1:05". */
export function formatWatch(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}
