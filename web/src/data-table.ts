/**
 * The accessible table behind the admin dashboard's charts and panels: a
 * caption, column headers, the first cell of each row as its row header, and
 * numeric columns right-aligned. Numbers are formatted for reading.
 */
import { h } from './dom.js';

export type Cell = string | number | Node;

export interface DataTableOptions {
  /** Whether a cell counts as numeric (a column is numeric when every row's cell is). Default: a number. */
  isNumeric?: (cell: Cell) => boolean;
  /** Shown as the only row when there are none (default: an empty body). */
  empty?: string;
}

export const num = (n: number) => n.toLocaleString('en-US');

const format = (c: Cell) => (typeof c === 'number' ? num(c) : c);

export function dataTable(caption: string, headers: string[], rows: Cell[][], testid: string, opts: DataTableOptions = {}): HTMLElement {
  const isNumeric = opts.isNumeric ?? ((c: Cell) => typeof c === 'number');
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => r[i] !== undefined && isNumeric(r[i])));
  const body =
    rows.length === 0 && opts.empty !== undefined
      ? [h('tr', {}, h('td', { attrs: { colspan: headers.length } }, opts.empty))]
      : rows.map((r) =>
          h(
            'tr',
            {},
            ...r.map((c, i) =>
              i === 0 ? h('th', { attrs: { scope: 'row' } }, format(c)) : h('td', { class: numeric[i] ? 'num' : '' }, format(c)),
            ),
          ),
        );
  return h(
    'div',
    { class: 'ad-table-wrap' },
    h(
      'table',
      { class: 'ad-table', attrs: { 'data-testid': testid } },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...headers.map((x, i) => h('th', { class: numeric[i] ? 'num' : '', attrs: { scope: 'col' } }, x)))),
      h('tbody', {}, ...body),
    ),
  );
}

/** One figure of the admin pages' tile rows: value, label and an optional note; `data-stat` names it for tests. */
export function statTile(key: string, label: string, value: string, note?: string | null): HTMLElement {
  return h(
    'li',
    { class: 'ad-tile', attrs: { 'data-stat': key } },
    h('span', { class: 'ad-tile-value' }, value),
    h('span', { class: 'ad-tile-label' }, label),
    note ? h('span', { class: 'ad-tile-note' }, note) : null,
  );
}
