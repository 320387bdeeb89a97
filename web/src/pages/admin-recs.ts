/**
 * The admin dashboard's For You panel: which ranking each kept model version
 * serves and why (its training run's self-tuning), from GET /api/v1/admin/recs.
 * Mounted by admin-dashboard.ts under the figures; loads on its own.
 */
import './admin-recs.css';
import { call, messageOf } from '../api.js';
import { client, type Schemas } from '../api/client.js';
import { statTile } from '../data-table.js';
import { h } from '../dom.js';

type AdminRecs = Schemas['AdminRecsModels'];
type Selection = NonNullable<AdminRecs['models'][number]['selection']>;

const ndcg = (v: number): string => v.toFixed(4);

export function recsPanel(): HTMLElement {
  const body = h('div', { class: 'ad-recs-body', attrs: { 'aria-busy': 'true' } }, h('p', { class: 'ad-note' }, 'Loading…'));
  const panel = h(
    'section',
    { class: 'ad-section', attrs: { 'aria-labelledby': 'ad-h-recs', 'data-testid': 'ad-recs' } },
    h('h2', { attrs: { id: 'ad-h-recs' } }, 'For You ranking'),
    body,
  );
  void call('required', (headers) => client.GET('/api/v1/admin/recs', { headers }))
    .then((r) => body.replaceChildren(...render(r)))
    .catch((err: unknown) =>
      body.replaceChildren(h('p', { class: 'ad-note', attrs: { role: 'alert' } }, `Could not load: ${messageOf(err)}`)),
    )
    .finally(() => body.setAttribute('aria-busy', 'false'));
  return panel;
}

function render(r: AdminRecs): Node[] {
  const latest = r.models[0];
  if (!latest)
    return [h('p', { class: 'ad-note', attrs: { 'data-testid': 'ad-recs-none' } }, 'No model trained yet (`curta recs train`).')];
  const sel = latest.selection;
  const out: Node[] = [
    h(
      'p',
      { class: 'ad-note', attrs: { 'data-testid': 'ad-recs-chosen' } },
      `Model v${latest.version} (${new Date(latest.trainedAt).toLocaleString()}) serves: ${sel ? sel.chosen : 'the production defaults (trained before self-tuning)'}`,
    ),
  ];
  if (sel) {
    out.push(h('p', { class: 'ad-note' }, `${sel.status === 'tuned' ? 'Self-tuned' : 'Not tuned'}: ${sel.reason}.`));
    if (sel.holdout) {
      const o = sel.holdout;
      out.push(
        h(
          'ul',
          { class: 'ad-tiles', attrs: { 'aria-label': `Holdout NDCG@${o.k}`, 'data-testid': 'ad-recs-holdout' } },
          statTile('chosen', `Chosen, holdout NDCG@${o.k}`, ndcg(o.chosenNdcg)),
          statTile('popularity', 'Popularity only', ndcg(o.popularityNdcg)),
          statTile('defaults', 'Production defaults', ndcg(o.defaultsNdcg)),
          statTile('best', 'Best candidate', ndcg(o.bestNdcg)),
          statTile('viewers', 'Holdout viewers', o.viewers.toLocaleString('en')),
        ),
        h('p', { class: 'ad-note' }, `Rule: ${sel.rule} (${sel.candidates} candidates, search ${(sel.searchMs / 1000).toFixed(1)} s).`),
      );
    }
  }
  out.push(versions(r.models));
  return out;
}

function versions(models: AdminRecs['models']): HTMLElement {
  const cell = (s: Selection | null, f: (s: Selection) => string): string => (s ? f(s) : '—');
  return h(
    'div',
    { class: 'ad-table-wrap' },
    h(
      'table',
      { class: 'ad-table', attrs: { 'data-testid': 'ad-recs-versions' } },
      h('caption', {}, 'Kept model versions'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Version', 'Trained', 'Ranking', 'Holdout NDCG', 'Popularity only', 'Viewers · videos'].map((x) =>
            h('th', { attrs: { scope: 'col' } }, x),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...models.map((m) =>
          h(
            'tr',
            {},
            h('th', { attrs: { scope: 'row' } }, `v${m.version}`),
            h('td', {}, new Date(m.trainedAt).toLocaleString()),
            h(
              'td',
              {},
              cell(m.selection, (s) => (s.kind === 'popularity' ? 'popularity only' : `model + trending ${s.blend.trending}`)),
            ),
            h(
              'td',
              { class: 'num' },
              cell(m.selection, (s) => (s.holdout ? ndcg(s.holdout.chosenNdcg) : s.status)),
            ),
            h(
              'td',
              { class: 'num' },
              cell(m.selection, (s) => (s.holdout ? ndcg(s.holdout.popularityNdcg) : '—')),
            ),
            h('td', { class: 'num' }, `${m.users.toLocaleString('en')} · ${m.videos.toLocaleString('en')}`),
          ),
        ),
      ),
    ),
  );
}
