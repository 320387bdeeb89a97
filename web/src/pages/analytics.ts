/**
 * Creator analytics (`/studio/analytics`, `/studio/analytics/{videoId}`):
 * your videos together (with your top videos) or one video — the key figures,
 * a daily chart, the retention curve and traffic sources (withheld below the
 * server's minimum number of viewers), a 7/28/90-day range picker and CSV
 * downloads. Charts come from web/src/charts (uPlot, loaded on first draw).
 */
import './analytics.css';
import { call, messageOf, session, type Schemas } from '../api.js';
import { client } from '../api/client.js';
import { chart, type Chart } from '../charts/charts.js';
import type { AppContext } from '../context.js';
import { h, icon, toast } from '../dom.js';
import type { Route } from '../router.js';
import { errorState, pageHeader } from './common.js';
import {
  formatDurationMs,
  formatPercent,
  formatWatchTime,
  RANGES,
  rangeOf,
  shortDate,
  SOURCE_LABELS,
  type RangeDays,
} from './analytics-model.js';

type VideoAnalytics = Schemas['VideoAnalytics'];
type AccountAnalytics = Schemas['AccountAnalytics'];
type Figures = VideoAnalytics | AccountAnalytics;

const api = {
  video: (id: string, range: { from: string; to: string }, signal: AbortSignal) =>
    call<VideoAnalytics>('required', (headers) =>
      client.GET('/api/v1/analytics/videos/{id}', { params: { path: { id }, query: range }, headers, signal }),
    ),
  account: (range: { from: string; to: string }, signal: AbortSignal) =>
    call<AccountAnalytics>('required', (headers) => client.GET('/api/v1/analytics/account', { params: { query: range }, headers, signal })),
  csv: (videoId: string | undefined, range: { from: string; to: string }) =>
    call<Blob>('required', (headers) =>
      videoId
        ? client.GET('/api/v1/analytics/videos/{id}', {
            params: { path: { id: videoId }, query: { ...range, format: 'csv' } },
            headers: { ...headers, accept: 'text/csv' },
            parseAs: 'blob',
          })
        : client.GET('/api/v1/analytics/account', {
            params: { query: { ...range, format: 'csv' } },
            headers: { ...headers, accept: 'text/csv' },
            parseAs: 'blob',
          }),
    ),
};

const count = (n: number) => n.toLocaleString('en-US');

export function mountAnalytics(host: HTMLElement, ctx: AppContext, route: Route): () => void {
  const videoId = route.name === 'analytics' ? route.videoId : undefined;
  const initialDays = route.name === 'analytics' ? route.days : undefined;
  document.title = videoId ? 'Video analytics · Curta' : 'Analytics · Curta';
  let days: RangeDays = (RANGES as readonly number[]).includes(initialDays ?? 0) ? (initialDays as RangeDays) : 28;
  const body = h('div', {
    class: 'page-body an-body',
    attrs: { 'data-testid': 'analytics-body', 'aria-live': 'polite', 'aria-busy': 'true' },
  });
  const picker = h('div', { class: 'an-range', attrs: { role: 'group', 'aria-label': 'Date range' } });
  const download = h(
    'button',
    { class: 'btn btn-small', attrs: { type: 'button', 'data-testid': 'analytics-csv', title: 'Download the daily figures as CSV' } },
    'CSV',
  );
  download.setAttribute('aria-label', 'Download the daily figures as CSV');
  const toolbar = h('div', { class: 'an-toolbar' }, picker, download);
  host.append(
    h(
      'section',
      { class: 'page an-page', attrs: { 'data-testid': videoId ? 'video-analytics-page' : 'analytics-page' } },
      pageHeader(ctx, videoId ? 'Video analytics' : 'Analytics'),
      toolbar,
      body,
    ),
  );
  let charts: Chart[] = [];
  let abort: AbortController | null = null;

  const buttons = RANGES.map((d) => {
    const b = h(
      'button',
      { class: 'an-range-btn', attrs: { type: 'button', 'data-days': d, 'aria-pressed': String(d === days) } },
      `${d} days`,
    );
    b.addEventListener('click', () => {
      if (d === days) return;
      days = d;
      for (const x of buttons) x.setAttribute('aria-pressed', String(x === b));
      const url = new URL(location.href);
      url.searchParams.set('days', String(d));
      history.replaceState(history.state, '', url.pathname + url.search);
      load();
    });
    return b;
  });
  picker.append(...buttons);

  download.addEventListener('click', () => {
    download.disabled = true;
    const range = rangeOf(days);
    api
      .csv(videoId, range)
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        const a = h('a', {
          attrs: { href: url, download: `curta-${videoId ? `video-${videoId}` : 'account'}-${range.from}-${range.to}.csv` },
        });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      })
      .catch((err: unknown) => toast(messageOf(err), 'error'))
      .finally(() => {
        download.disabled = false;
      });
  });

  const clearCharts = () => {
    for (const c of charts) c.destroy();
    charts = [];
  };

  const load = () => {
    abort?.abort();
    clearCharts();
    if (!session.user) {
      toolbar.hidden = true;
      const login = h('button', { class: 'btn btn-primary', attrs: { type: 'button', 'data-testid': 'analytics-login' } }, 'Log in');
      login.addEventListener('click', () => ctx.requireLogin(load, 'Log in to see the analytics of your videos.'));
      body.replaceChildren(
        h('div', { class: 'page-empty' }, h('h2', {}, 'Your analytics'), h('p', {}, 'Log in to see how your videos do.'), login),
      );
      body.setAttribute('aria-busy', 'false');
      return;
    }
    toolbar.hidden = false;
    const controller = new AbortController();
    abort = controller;
    body.setAttribute('aria-busy', 'true');
    body.replaceChildren(h('p', { class: 'an-loading' }, 'Loading…'));
    const range = rangeOf(days);
    const request: Promise<Figures> = videoId ? api.video(videoId, range, controller.signal) : api.account(range, controller.signal);
    request.then(
      (a) => {
        if (controller.signal.aborted) return;
        render(a);
        body.setAttribute('aria-busy', 'false');
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        body.replaceChildren(errorState(err, load));
        body.setAttribute('aria-busy', 'false');
      },
    );
  };

  const stat = (key: string, label: string, value: string) =>
    h('div', { class: 'an-stat', attrs: { 'data-stat': key } }, h('dt', {}, label), h('dd', {}, value));

  const render = (a: Figures) => {
    clearCharts();
    const parts: HTMLElement[] = [];
    if ('caption' in a) {
      parts.push(h('h2', { class: 'an-caption', attrs: { 'data-testid': 'analytics-caption' } }, a.caption || 'Untitled video'));
    }
    parts.push(
      h(
        'p',
        { class: 'an-meta' },
        `${shortDate(a.from)} – ${shortDate(a.to)}`,
        a.through ? ` · data through ${new Date(a.through).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' })}` : '',
      ),
    );
    if (a.plays === 0 && a.likes + a.comments + a.shares + a.follows + a.bookmarks === 0) {
      parts.push(
        h(
          'div',
          { class: 'page-empty', attrs: { 'data-testid': 'analytics-empty' } },
          icon('play', 'icon'),
          h('h2', {}, 'No views in this range yet'),
          h('p', {}, 'When people watch, the figures show up here (the lake is updated about every minute).'),
        ),
      );
      body.replaceChildren(...parts);
      return;
    }
    parts.push(
      h(
        'dl',
        { class: 'an-stats', attrs: { 'data-testid': 'analytics-stats' } },
        stat('views', 'Views', count(a.views)),
        stat('viewers', 'Unique viewers', count(a.uniqueViewers)),
        stat('watch', 'Watch time', formatWatchTime(a.watchTimeMs)),
        stat('avg', 'Avg. view duration', a.averageViewDurationMs === null ? '–' : formatDurationMs(a.averageViewDurationMs)),
        stat('completion', 'Completion rate', formatPercent(a.completionRate)),
        stat('rewatch', 'Rewatch rate', formatPercent(a.rewatchRate)),
        stat('likes', 'Likes', count(a.likes)),
        stat('comments', 'Comments', count(a.comments)),
        stat('shares', 'Shares', count(a.shares)),
        stat('follows', 'Follows', count(a.follows)),
        stat('bookmarks', 'Bookmarks', count(a.bookmarks)),
      ),
    );
    const grid = h('div', { class: 'an-charts' });
    const daily = chart({
      kind: 'area',
      id: 'daily',
      title: 'Views per day',
      xLabel: 'Day',
      x: a.daily.map((d) => shortDate(d.date)),
      series: [{ label: 'Views', values: a.daily.map((d) => d.views) }],
      format: (v) => count(Math.round(v)),
    });
    charts.push(daily);
    grid.append(daily.el);
    if (a.withheld) {
      grid.append(
        h(
          'div',
          { class: 'an-withheld', attrs: { 'data-testid': 'analytics-withheld', role: 'note' } },
          icon('alert', 'icon'),
          h(
            'p',
            {},
            `Retention and traffic sources appear once at least ${a.minimumViewers} different people have watched in this range. ` +
              'Below that, a breakdown could point to individual viewers, so it is not shown.',
          ),
        ),
      );
    } else {
      if ('retention' in a && a.retention && a.retention.length > 0) {
        const retention = chart({
          kind: 'area',
          id: 'retention',
          title: 'Audience retention',
          xLabel: 'Second',
          x: a.retention.map((_, s) => formatDurationMs(s * 1000)),
          series: [{ label: 'Still watching', values: a.retention }],
          yRange: [0, 1],
          format: (v) => formatPercent(v),
        });
        charts.push(retention);
        grid.append(retention.el);
      }
      if (a.trafficSources) {
        const sources = chart({
          kind: 'bar',
          id: 'sources',
          title: 'Traffic sources',
          xLabel: 'Source',
          valueLabel: 'Share of plays',
          categories: a.trafficSources.map((s) => SOURCE_LABELS[s.source] ?? s.source),
          values: a.trafficSources.map((s) => s.share),
          format: (v) => formatPercent(v),
        });
        charts.push(sources);
        grid.append(sources.el);
      }
    }
    parts.push(grid);
    if ('topVideos' in a && a.topVideos.length > 0) {
      parts.push(
        h(
          'section',
          { class: 'an-top', attrs: { 'aria-label': 'Top videos' } },
          h('h2', {}, 'Top videos'),
          h(
            'ol',
            { attrs: { 'data-testid': 'analytics-top' } },
            ...a.topVideos.map((v) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { attrs: { href: `/studio/analytics/${encodeURIComponent(v.videoId)}?days=${days}` } },
                  v.caption || 'Untitled video',
                ),
                h('span', { class: 'an-top-figures' }, `${count(v.views)} views · ${formatWatchTime(v.watchTimeMs)}`),
              ),
            ),
          ),
        ),
      );
    }
    body.replaceChildren(...parts);
  };

  load();
  return () => {
    abort?.abort();
    clearCharts();
  };
}
