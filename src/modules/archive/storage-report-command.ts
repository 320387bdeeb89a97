import { parseArgs } from 'node:util';
import { fmtBytes, table } from '../analytics/admin-analytics-command.js';
import { formatMoney } from './cost.js';
import { DEFAULT_RESTORE_WINDOW_DAYS, MAX_RESTORE_WINDOW_DAYS, type StorageCostReport } from './storage-report.schema.js';
import type { StorageReportService } from './storage-report.service.js';

export const STORAGE_USAGE = `Usage: curta storage report [--days N] [--json]
         the storage bill: bytes and objects per storage class (a paged
         listing of the whole store: one LIST per 1,000 keys on S3), their
         monthly cost at the configured prices (STORAGE_PRICES; defaults:
         AWS us-east-1 list prices), what archiving saves a month against
         keeping the archived videos in STANDARD, and the restores requested
         in the last N days (default ${DEFAULT_RESTORE_WINDOW_DAYS}, at most ${MAX_RESTORE_WINDOW_DAYS}) with their retrieval cost.

  --json prints the same document as GET /api/v1/admin/storage.`;

export interface StorageArgs {
  days: number;
  json: boolean;
}

export function parseStorageArgs(args: string[]): StorageArgs | { error: string } {
  if (args[0] !== 'report')
    return { error: args.length === 0 ? 'curta storage needs a subcommand: report' : `unknown subcommand "${args[0]}"` };
  let values;
  try {
    ({ values } = parseArgs({
      args: args.slice(1),
      options: { days: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  let days = DEFAULT_RESTORE_WINDOW_DAYS;
  if (values.days !== undefined) {
    if (!/^\d{1,3}$/.test(values.days) || Number(values.days) < 1 || Number(values.days) > MAX_RESTORE_WINDOW_DAYS)
      return { error: `--days must be a whole number from 1 to ${MAX_RESTORE_WINDOW_DAYS} (got "${values.days}")` };
    days = Number(values.days);
  }
  return { days, json: values.json ?? false };
}

/** The report as terminal tables. */
export function formatStorageReport(r: StorageCostReport): string[] {
  const money = (v: number | null) => (v === null ? '–' : formatMoney(v, r.currency));
  const out = [
    `Curta storage report (${r.store} store; archive priced as ${r.archiveClass}; listed ${r.listing.measuredAt})`,
    `Prices: ${r.pricesSource}`,
    '',
  ];
  out.push(
    ...table(
      ['class', 'priced as', 'objects', 'size', 'billed size', 'per month'],
      [
        ...r.classes.map((c) => [
          c.storageClass,
          c.pricedAs,
          c.objects,
          fmtBytes(c.bytes),
          fmtBytes(c.billableBytes),
          money(c.monthlyCost),
        ]),
        [
          'total',
          '',
          r.classes.reduce((s, c) => s + c.objects, 0),
          fmtBytes(r.classes.reduce((s, c) => s + c.bytes, 0)),
          '',
          money(r.monthlyCost),
        ],
      ],
    ),
  );
  const a = r.archiving;
  out.push('', `Archiving (${a.videos} videos archived, ${a.restoring} restoring; ${a.pinned} pinned)`);
  out.push(
    ...table(
      ['kept in archive', 'deleted (renditions)', 'if kept in STANDARD', 'archived', 'saved per month', 'transitions (once)'],
      [
        [
          fmtBytes(a.archiveBytes),
          fmtBytes(a.freedBytes),
          money(a.monthlyCostIfStandard),
          money(a.monthlyCostArchived),
          money(a.monthlySaving),
          money(a.transitionCost),
        ],
      ],
    ),
  );
  const x = r.restores;
  out.push('', `Restores (last ${x.windowDays} days: ${x.requests} requested, ${x.failed} failed, ${money(x.cost)})`);
  out.push(
    ...table(
      ['tier', 'requests', 'retrieved', 'cost'],
      x.byTier.map((t) => [t.tier, t.requests, fmtBytes(t.bytes), money(t.cost)]),
    ),
  );
  return out;
}

/** Runs `curta storage report`. */
export async function runStorageReport(
  parsed: StorageArgs,
  service: StorageReportService,
  io: { out: (l: string) => void },
): Promise<number> {
  const report = await service.report({ days: parsed.days, fresh: true });
  for (const line of parsed.json ? [JSON.stringify(report, null, 2)] : formatStorageReport(report)) io.out(line);
  return 0;
}
