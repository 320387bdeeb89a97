/**
 * `/admin`: the operator's dashboard (admins only). Range picker, key
 * figures, and a section per subject: audience, uploads, processing by
 * stage, queues, storage, top videos, reports. Every chart (web/src/charts,
 * uPlot loaded on first draw) has its data as a table behind a toggle, and
 * the figures that are lists are tables outright.
 */
import './admin-dashboard.css';
import { ApiError, call, messageOf, session } from '../api.js';
import { client, type Schemas } from '../api/client.js';
import { chart, type Chart, type ChartSpec } from '../charts/charts.js';
import type { AppContext } from '../context.js';
import { dataTable as table, num, statTile, type Cell } from '../data-table.js';
import { h } from '../dom.js';
import type { Route } from '../router.js';
import { pageHeader } from './common.js';

type AdminAnalytics = Schemas['AdminAnalytics'];

const dataTable = (caption: string, headers: string[], rows: Cell[][], testid: string) =>
  table(caption, headers, rows, testid, { empty: 'Nothing in this range.' });
const DAY_MS = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const pct = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(1)}%`);
const ms = (v: number | null) => (v === null ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${num(v)} ms`);
export function bytes(b: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = b;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${b} B` : `${v.toFixed(1)} ${units[u]}`;
}
function duration(msTotal: number): string {
  const s = Math.round(msTotal / 1000);
  const hours = Math.floor(s / 3600);
  const mins = Math.floor((s % 3600) / 60);
  return hours > 0 ? `${num(hours)} h ${mins} min` : mins > 0 ? `${mins} min ${s % 60} s` : `${s} s`;
}

function fetchAnalytics(from: string, to: string): Promise<AdminAnalytics> {
  return call('required', (headers) => client.GET('/api/v1/admin/analytics', { params: { query: { from, to } }, headers }));
}

/** A plain table with a caption; numeric columns right-aligned. */

export function mountAdminDashboard(host: HTMLElement, ctx: AppContext, route: Route): () => void {
  const range = route.name === 'admin' ? route : undefined;
  document.title = 'Admin dashboard · Curta';
  document.body.classList.add('admin-wide');
  const body = h('div', { class: 'page-body ad-body' });
  host.append(h('section', { class: 'page ad-page', attrs: { 'data-testid': 'admin-dashboard' } }, pageHeader(ctx, 'Dashboard'), body));
  let charts: Chart[] = [];
  let gone = false;
  let seq = 0;
  let to = range?.to && DATE.test(range.to) ? range.to : today();
  let from = range?.from && DATE.test(range.from) ? range.from : addDays(to, -27);

  const clearCharts = () => {
    for (const c of charts) c.destroy();
    charts = [];
  };
  const addChart = (spec: ChartSpec): HTMLElement => {
    const c = chart(spec);
    charts.push(c);
    return c.el;
  };

  const message = (testid: string, title: string, text: string, ...actions: Node[]) =>
    h('div', { class: 'page-empty', attrs: { 'data-testid': testid } }, h('h2', {}, title), h('p', {}, text), ...actions);

  const adminsOnly = () =>
    message(
      'admin-only',
      'Admins only',
      'This dashboard shows platform-wide figures to administrators. Ask an admin to run `curta admin grant <your username>` if you need it.',
      h('a', { class: 'btn btn-primary', attrs: { href: '/' } }, 'Back to videos'),
    );

  // ---- range picker
  const fromInput = h('input', { attrs: { type: 'date', id: 'ad-from', name: 'from', required: true, 'data-testid': 'ad-from' } });
  const toInput = h('input', { attrs: { type: 'date', id: 'ad-to', name: 'to', required: true, 'data-testid': 'ad-to' } });
  const rangeError = h('p', { class: 'ad-range-error', attrs: { role: 'alert', 'data-testid': 'ad-range-error', hidden: true } });
  const preset = (days: number) =>
    h(
      'button',
      {
        class: 'chip',
        attrs: { type: 'button', 'data-testid': `ad-preset-${days}` },
        on: {
          click: () => {
            to = today();
            from = addDays(to, -(days - 1));
            void load();
          },
        },
      },
      `${days} days`,
    );
  const form = h(
    'form',
    { class: 'ad-range', attrs: { 'aria-label': 'Date range', 'data-testid': 'ad-range' } },
    h('label', { attrs: { for: 'ad-from' } }, 'From', fromInput),
    h('label', { attrs: { for: 'ad-to' } }, 'To', toInput),
    h('button', { class: 'btn btn-primary', attrs: { type: 'submit', 'data-testid': 'ad-apply' } }, 'Apply'),
    h('div', { class: 'ad-presets' }, preset(7), preset(28), preset(90)),
    rangeError,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = fromInput.value;
    const t = toInput.value;
    const problem =
      !DATE.test(f) || !DATE.test(t)
        ? 'Pick both dates.'
        : f > t
          ? 'The start date is after the end date.'
          : (Date.parse(t) - Date.parse(f)) / DAY_MS + 1 > 365
            ? 'Pick at most 365 days.'
            : null;
    if (problem) {
      showRangeError(problem);
      return;
    }
    from = f;
    to = t;
    void load();
  });
  const showRangeError = (text: string) => {
    rangeError.textContent = text;
    rangeError.hidden = false;
  };

  const content = h('div', { class: 'ad-content', attrs: { 'aria-live': 'polite', 'aria-busy': 'false' } });

  async function load(): Promise<void> {
    const mine = ++seq;
    rangeError.hidden = true;
    fromInput.value = from;
    toInput.value = to;
    history.replaceState(history.state, '', `/admin?from=${from}&to=${to}`);
    content.setAttribute('aria-busy', 'true');
    content.dataset.state = 'loading';
    try {
      const a = await fetchAnalytics(from, to);
      if (gone || mine !== seq) return;
      clearCharts();
      content.replaceChildren(...render(a));
      content.dataset.state = 'ready';
      await Promise.all(charts.map((c) => c.ready));
      if (!gone && mine === seq) content.dataset.charts = 'drawn';
    } catch (err) {
      if (gone || mine !== seq) return;
      clearCharts();
      if (err instanceof ApiError && err.status === 403) {
        body.replaceChildren(adminsOnly());
        return;
      }
      if (err instanceof ApiError && err.status === 400) showRangeError(err.message);
      content.replaceChildren(message('ad-error', 'Could not load the figures', messageOf(err)));
      content.dataset.state = 'error';
    } finally {
      content.setAttribute('aria-busy', 'false');
    }
  }

  function render(a: AdminAnalytics): Node[] {
    const section = (id: string, title: string, ...children: Array<Node | null>) =>
      h(
        'section',
        { class: 'ad-section', attrs: { 'aria-labelledby': `ad-h-${id}`, 'data-testid': `ad-${id}` } },
        h('h2', { attrs: { id: `ad-h-${id}` } }, title),
        ...children,
      );
    const dates = a.daily.map((d) => d.date.slice(5));
    const storageTotal = bytes(a.storage.totalBytes);
    return [
      h(
        'p',
        { class: 'ad-meta' },
        `${a.range.from} to ${a.range.to} (${a.range.days} days, UTC) · lake: ${num(a.lake.files)} files, ${num(a.lake.events)} events · computed ${new Date(a.lake.computedAt).toLocaleString()}`,
      ),
      h(
        'ul',
        { class: 'ad-tiles', attrs: { 'aria-label': 'Key figures', 'data-testid': 'ad-tiles' } },
        statTile('viewers', 'Active viewers', num(a.totals.activeViewers)),
        statTile('creators', 'Active creators', num(a.totals.activeCreators)),
        statTile('uploads', 'Uploads', num(a.totals.uploads)),
        statTile('views', 'Views', num(a.totals.views)),
        statTile('watch', 'Watch time', duration(a.totals.watchTimeMs)),
        statTile('success', 'Processing success', pct(a.totals.processingSuccessRate), `${num(a.totals.processingRuns)} runs`),
        statTile('dead', 'Dead jobs', num(a.deadJobs)),
        statTile('reports', 'Reports to review', num(a.reports.open)),
        statTile('storage', 'Storage', storageTotal),
      ),
      section(
        'audience',
        'Audience',
        addChart({
          kind: 'line',
          id: 'ad-active',
          title: 'Daily active viewers and creators',
          x: dates,
          xLabel: 'Day',
          series: [
            { label: 'Active viewers', values: a.daily.map((d) => d.activeViewers) },
            { label: 'Active creators', values: a.daily.map((d) => d.activeCreators) },
            { label: 'Views', values: a.daily.map((d) => d.views) },
          ],
        }),
      ),
      section(
        'uploads',
        'Uploads',
        addChart({
          kind: 'bar',
          id: 'ad-uploads',
          title: 'Uploads per day',
          categories: dates,
          xLabel: 'Day',
          valueLabel: 'Uploads',
          values: a.daily.map((d) => d.uploads),
        }),
      ),
      section(
        'processing',
        'Processing',
        a.stages.length > 0
          ? addChart({
              kind: 'bar',
              id: 'ad-p95',
              title: 'p95 duration per stage (ms)',
              categories: a.stages.map((s) => s.stage),
              xLabel: 'Stage',
              valueLabel: 'p95 (ms)',
              values: a.stages.map((s) => s.p95Ms ?? 0),
            })
          : null,
        dataTable(
          'Processing by stage',
          ['Stage', 'Runs', 'Failed', 'Success', 'p50', 'p95'],
          a.stages.map((s) => [s.stage, s.runs, s.failed, pct(s.successRate), ms(s.p50Ms), ms(s.p95Ms)]),
          'ad-stages-table',
        ),
      ),
      section(
        'queues',
        'Job queues (now)',
        h(
          'p',
          { class: 'ad-note' },
          `${num(a.deadJobs)} dead ${a.deadJobs === 1 ? 'job' : 'jobs'}: \`curta jobs\` lists and retries them.`,
        ),
        dataTable(
          'Queue depth',
          ['Queue', 'Queued', 'Running', 'Dead', 'Oldest wait'],
          a.queues.map((q) => [q.queue, q.queued, q.running, q.dead, `${Math.round(q.oldestDueSec)} s`]),
          'ad-queues-table',
        ),
      ),
      section(
        'storage',
        'Storage',
        addChart({
          kind: 'bar',
          id: 'ad-storage',
          title: 'Storage by kind (bytes)',
          categories: a.storage.items.map((s) => s.kind),
          xLabel: 'Kind',
          valueLabel: 'Bytes',
          values: a.storage.items.map((s) => s.bytes),
          format: bytes,
        }),
        dataTable(
          'Storage by kind',
          ['Kind', 'Objects', 'Size'],
          a.storage.items.map((s) => [s.kind, s.objects, bytes(s.bytes)]),
          'ad-storage-table',
        ),
        h(
          'p',
          { class: 'ad-note' },
          `Total ${storageTotal}, measured ${new Date(a.storage.measuredAt).toLocaleString()} (${a.storage.method}).`,
        ),
      ),
      section(
        'top',
        'Top videos',
        dataTable(
          'Most viewed in the range',
          ['Video', 'Creator', 'Views', 'Viewers', 'Watch time'],
          a.topVideos.map((v) => [
            h('a', { attrs: { href: `/v/${encodeURIComponent(v.videoId)}` } }, v.caption.trim() || v.videoId),
            v.creator ? h('a', { attrs: { href: `/@${encodeURIComponent(v.creator)}` } }, `@${v.creator}`) : '(deleted)',
            v.views,
            v.uniqueViewers,
            duration(v.watchTimeMs),
          ]),
          'ad-top-table',
        ),
      ),
      section(
        'reports',
        'Reports',
        h(
          'p',
          { attrs: { 'data-testid': 'ad-reports-open' } },
          a.reports.open === 0
            ? 'No reports awaiting review.'
            : `${num(a.reports.open)} ${a.reports.open === 1 ? 'report' : 'reports'} awaiting review, the oldest from ${new Date(a.reports.oldestOpenAt ?? '').toLocaleString()}.`,
        ),
      ),
    ];
  }

  const start = () => {
    const user = session.user;
    if (!user) {
      const login = h('button', { class: 'btn btn-primary', attrs: { type: 'button', 'data-testid': 'ad-login' } }, 'Log in');
      login.addEventListener('click', () => ctx.requireLogin(start, 'Log in as an admin to see the dashboard.'));
      body.replaceChildren(message('ad-signed-out', 'Admin dashboard', 'Log in as an admin to see the platform’s figures.', login));
      return;
    }
    if (user.role !== 'admin') {
      body.replaceChildren(adminsOnly());
      return;
    }
    body.replaceChildren(form, content);
    void import('./admin-recs.js').then((m) => body.append(m.recsPanel()));
    void import('../archive/storage-panel.js').then((panel) => body.append(panel.storageCostPanel()));
    void load();
  };
  start();

  return () => {
    gone = true;
    clearCharts();
    document.body.classList.remove('admin-wide');
  };
}
