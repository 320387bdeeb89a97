import { messageOf, session } from '../api.js';
import type { AppContext } from '../context.js';
import { h, icon, type IconName } from '../dom.js';
import { live, notificationHref, notificationsApi, type NotificationView } from '../notifications.js';
import { avatarEl, errorState, pageHeader } from './common.js';
import './inbox.css';

const TYPE_ICONS: Record<NotificationView['type'], IconName> = {
  like: 'heart',
  comment: 'comment',
  reply: 'comment',
  mention: 'user',
  follow: 'user',
  video_ready: 'check',
  video_failed: 'alert',
  restore_failed: 'alert',
};

/** "3 min", "2 h", "5 d": how long ago, short. */
function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return 'now';
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} d`;
  return new Date(iso).toLocaleDateString();
}

function row(n: NotificationView): HTMLElement {
  const first = n.actors[0];
  const lead = first
    ? avatarEl(first, 44, 'inbox-avatar')
    : h('span', { class: `inbox-avatar inbox-glyph inbox-glyph-${n.type}`, attrs: { 'aria-hidden': 'true' } }, icon(TYPE_ICONS[n.type]));
  const detail =
    n.comment?.text ??
    (n.type === 'video_failed' || n.type === 'restore_failed'
      ? (n.video?.error?.message ?? '')
      : n.video?.caption
        ? n.video.caption.slice(0, 80)
        : '');
  const poster = n.video?.posterUrl
    ? h('img', { class: 'inbox-poster', attrs: { src: n.video.posterUrl, alt: '', loading: 'lazy', width: 40, height: 54 } })
    : null;
  return h(
    'li',
    { class: n.read ? 'inbox-item' : 'inbox-item is-unread', attrs: { 'data-id': n.id } },
    h(
      'a',
      {
        class: 'inbox-link',
        attrs: { href: notificationHref(n), 'data-testid': 'inbox-item', 'data-type': n.type, 'data-read': String(n.read) },
      },
      lead,
      h(
        'span',
        { class: 'inbox-text' },
        h('span', { class: 'inbox-sentence' }, n.text),
        detail ? h('span', { class: 'inbox-detail' }, detail) : null,
        h('time', { class: 'inbox-time', attrs: { datetime: n.updatedAt } }, ago(n.updatedAt)),
      ),
      h('span', { class: 'inbox-type', attrs: { 'aria-hidden': 'true' } }, icon(TYPE_ICONS[n.type])),
      poster,
      n.read ? null : h('span', { class: 'visually-hidden' }, ' (unread)'),
    ),
  );
}

/** `/inbox`: your notifications, newest first; viewing them marks them read; new ones arrive live. */
export function mountInbox(host: HTMLElement, ctx: AppContext): () => void {
  document.title = 'Inbox · Curta';
  const list = h('ul', { class: 'inbox-list', attrs: { 'data-testid': 'inbox-list', 'aria-label': 'Notifications' } });
  const more = h('div', { class: 'grid-more' });
  const body = h('div', { class: 'inbox-body' });
  const readAll = h('button', { class: 'chip', attrs: { type: 'button', 'data-testid': 'inbox-read-all', hidden: true } }, 'Mark all read');
  const settings = h(
    'a',
    { class: 'round-btn', attrs: { href: '/settings#notifications', 'aria-label': 'Notification settings' } },
    icon('settings'),
  );
  host.append(
    h(
      'section',
      { class: 'page inbox-page', attrs: { 'data-testid': 'inbox-page' } },
      pageHeader(ctx, 'Inbox', h('div', { class: 'inbox-actions' }, readAll, settings)),
      body,
    ),
  );
  let gone = false;
  let cursor: string | null = null;
  let done = false;
  let busy = false;
  const rows = new Map<string, HTMLElement>();

  const put = (n: NotificationView, atTop: boolean) => {
    const el = row(n);
    const old = rows.get(n.id);
    rows.set(n.id, el);
    if (old && !atTop) old.replaceWith(el);
    else {
      old?.remove();
      if (atTop) list.prepend(el);
      else list.append(el);
    }
  };

  /** Seen here: mark what is unread read (the rows keep their unread look until the next visit). */
  const markSeen = () => {
    if (gone || document.visibilityState !== 'visible') return;
    notificationsApi.markAllRead().then(
      (r) => live.setUnread(r.unread),
      () => undefined,
    );
  };

  const empty = () =>
    h(
      'div',
      { class: 'page-empty', attrs: { 'data-testid': 'inbox-empty' } },
      icon('bell'),
      h('h2', {}, 'No notifications yet'),
      h('p', {}, 'Likes, comments, mentions and new followers show up here.'),
    );

  const next = async () => {
    if (busy || done || gone) return;
    busy = true;
    more.replaceChildren(h('div', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }));
    try {
      const page = await notificationsApi.list(cursor);
      if (gone) return;
      for (const n of page.items) if (!rows.has(n.id)) put(n, false);
      cursor = page.nextCursor;
      done = !cursor;
      more.replaceChildren();
      if (rows.size === 0) body.replaceChildren(empty(), list, more);
      readAll.hidden = rows.size === 0;
      if (page.items.some((n) => !n.read)) markSeen();
    } catch (err) {
      if (gone) return;
      if (rows.size === 0) body.replaceChildren(errorState(err, () => void start()));
      else {
        const retry = h('button', { class: 'btn', attrs: { type: 'button' } }, 'Try again');
        retry.addEventListener('click', () => void next());
        more.replaceChildren(h('p', { class: 'form-error', attrs: { role: 'alert' } }, messageOf(err)), retry);
      }
    } finally {
      busy = false;
    }
  };

  const io = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) void next();
  });

  const start = async () => {
    rows.clear();
    list.replaceChildren();
    cursor = null;
    done = false;
    if (!session.user) {
      const login = h('button', { class: 'btn btn-primary', attrs: { type: 'button' } }, 'Log in');
      login.addEventListener('click', () => ctx.requireLogin(() => void start(), 'Log in to see your notifications.'));
      body.replaceChildren(h('div', { class: 'page-empty' }, h('p', {}, 'Log in to see your notifications.'), login));
      return;
    }
    body.replaceChildren(list, more);
    io.observe(more);
    await next();
  };

  readAll.addEventListener('click', () => {
    readAll.disabled = true;
    notificationsApi
      .markAllRead()
      .then((r) => {
        live.setUnread(r.unread);
        for (const el of list.querySelectorAll('.inbox-item.is-unread')) el.classList.remove('is-unread');
        for (const a of list.querySelectorAll('[data-read="false"]')) a.setAttribute('data-read', 'true');
      })
      .catch(() => undefined)
      .finally(() => (readAll.disabled = false));
  });

  // New and changed notifications while the page is open: on top, and read since they are seen.
  const unsubscribe = live.subscribe({
    notification: (n) => {
      if (gone) return;
      if (rows.size === 0) body.replaceChildren(list, more);
      put(n, true);
      readAll.hidden = false;
      if (!n.read) markSeen();
    },
  });
  const onVisible = () => markSeen();
  document.addEventListener('visibilitychange', onVisible);
  let userId = session.user?.id ?? null;
  const unsubscribeSession = session.subscribe((user) => {
    if ((user?.id ?? null) === userId) return;
    userId = user?.id ?? null;
    void start();
  });
  void start();

  return () => {
    gone = true;
    io.disconnect();
    unsubscribe();
    unsubscribeSession();
    document.removeEventListener('visibilitychange', onVisible);
  };
}
