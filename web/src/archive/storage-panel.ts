/**
 * The admin dashboard's storage cost panel (GET /api/v1/admin/storage): what
 * each storage class holds and costs a month at the configured prices, what
 * archiving saves, and the restores of the last 30 days with their cost.
 * Mounted into /admin with one line; it loads itself, independent of the
 * dashboard's date range (a bill is per month, not per range).
 */
import './storage-panel.css';
import { ApiError, call, messageOf } from '../api.js';
import { client, type Schemas } from '../api/client.js';
import { dataTable, num, statTile, type Cell } from '../data-table.js';
import { h } from '../dom.js';

type StorageCostReport = Schemas['StorageCostReport'];

function bytes(b: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = b;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${b} B` : `${v.toFixed(1)} ${units[u]}`;
}
function money(v: number | null, currency: string): string {
  if (v === null) return '–';
  const small = v !== 0 && Math.abs(v) < 0.01;
  const text = small
    ? v.toLocaleString('en-US', { maximumSignificantDigits: 2 })
    : v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${text} ${currency}`;
}

/** Formatted figures (sizes, money) are numeric too: they start with a digit or a dash. */
const table = (caption: string, headers: string[], rows: Cell[][], testid: string) =>
  dataTable(caption, headers, rows, testid, { isNumeric: (c) => typeof c === 'number' || (typeof c === 'string' && /^[\d.,–-]/.test(c)) });

export function render(r: StorageCostReport): Node[] {
  const m = (v: number | null) => money(v, r.currency);
  const a = r.archiving;
  const x = r.restores;
  return [
    h(
      'ul',
      { class: 'sp-tiles', attrs: { 'aria-label': 'Storage cost', 'data-testid': 'sp-tiles' } },
      statTile('monthly', 'Storage per month', m(r.monthlyCost)),
      statTile('saving', 'Saved by archiving, per month', m(a.monthlySaving)),
      statTile('archived', 'Videos archived', num(a.videos), `${num(a.restoring)} restoring · ${num(a.pinned)} pinned`),
      statTile('restores', `Restores, last ${x.windowDays} days`, num(x.requests), m(x.cost)),
    ),
    table(
      'Storage by class',
      ['Class', 'Priced as', 'Objects', 'Size', 'Billed size', 'Per month'],
      r.classes.map((c) => [c.storageClass, c.pricedAs, c.objects, bytes(c.bytes), bytes(c.billableBytes), m(c.monthlyCost)]),
      'sp-classes-table',
    ),
    table(
      'What archiving saves',
      [
        'Archived videos',
        'Kept in archive',
        'Deleted renditions',
        'If kept in STANDARD',
        'Archived',
        'Saved per month',
        'Transitions (once)',
      ],
      [
        [
          num(a.videos),
          bytes(a.archiveBytes),
          bytes(a.freedBytes),
          m(a.monthlyCostIfStandard),
          m(a.monthlyCostArchived),
          m(a.monthlySaving),
          m(a.transitionCost),
        ],
      ],
      'sp-saving-table',
    ),
    table(
      `Restores in the last ${x.windowDays} days (${num(x.failed)} failed)`,
      ['Tier', 'Requests', 'Retrieved', 'Cost'],
      x.byTier.map((t) => [t.tier, t.requests, bytes(t.bytes), m(t.cost)]),
      'sp-restores-table',
    ),
    h(
      'p',
      { class: 'ad-note' },
      `Archive priced as ${r.archiveClass} on the ${r.store === 's3' ? 'S3' : 'filesystem'} store (what it would cost on S3). Prices: ${r.pricesSource}. Listed ${new Date(r.listing.measuredAt).toLocaleString()} (${r.listing.method}).`,
    ),
  ];
}

/** The panel: a section that fetches and renders the report (admins only: a 403 hides it). */
export function storageCostPanel(): HTMLElement {
  const content = h(
    'div',
    { class: 'sp-content', attrs: { 'aria-live': 'polite', 'aria-busy': 'true' } },
    h('p', { class: 'ad-note' }, 'Loading…'),
  );
  const el = h(
    'section',
    {
      class: 'ad-section sp-panel',
      attrs: { 'aria-labelledby': 'ad-h-storage-cost', 'data-testid': 'ad-storage-cost', 'data-state': 'loading' },
    },
    h('h2', { attrs: { id: 'ad-h-storage-cost' } }, 'Storage cost'),
    content,
  );
  void call('required', (headers) => client.GET('/api/v1/admin/storage', { headers })).then(
    (report) => {
      content.replaceChildren(...render(report));
      el.dataset.state = 'ready';
      content.setAttribute('aria-busy', 'false');
    },
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 403) {
        el.remove();
        return;
      }
      content.replaceChildren(h('p', { class: 'ad-note', attrs: { role: 'alert' } }, `Could not load the storage cost: ${messageOf(err)}`));
      el.dataset.state = 'error';
      content.setAttribute('aria-busy', 'false');
    },
  );
  return el;
}
