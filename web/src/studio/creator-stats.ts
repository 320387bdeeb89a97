/**
 * A video's numbers as its owner sees them ("Your videos", the edit sheet):
 * views, likes, comments, shares and average watch time, each labelled for
 * screen readers.
 */
import './creator-stats.css';
import { h } from '../dom.js';
import { formatCount, formatWatch } from './publish-model.js';
import type { CreatorStats } from './studio-api.js';

export function creatorStatsList(s: CreatorStats): HTMLElement {
  const item = (key: string, value: string, label: string, spoken: string) =>
    h(
      'li',
      { class: 'cs-item', attrs: { 'data-stat': key, 'aria-label': spoken } },
      h('span', { class: 'cs-value', attrs: { 'aria-hidden': 'true' } }, value),
      h('span', { class: 'cs-label', attrs: { 'aria-hidden': 'true' } }, label),
    );
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  return h(
    'ul',
    { class: 'cs-list', attrs: { 'data-testid': 'creator-stats', 'aria-label': 'Stats' } },
    item('views', formatCount(s.views), 'Views', plural(s.views, 'view')),
    item('likes', formatCount(s.likes), 'Likes', plural(s.likes, 'like')),
    item('comments', formatCount(s.comments), 'Comments', plural(s.comments, 'comment')),
    item('shares', formatCount(s.shares), 'Shares', plural(s.shares, 'share')),
    item(
      'watch',
      formatWatch(s.averageWatchMs),
      'Avg. watch',
      s.averageWatchMs === null ? 'No watch time yet' : `Average watch time ${formatWatch(s.averageWatchMs)}`,
    ),
  );
}
