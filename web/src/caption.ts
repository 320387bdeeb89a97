import { h } from './dom.js';
import type { VideoView } from './types.js';
import './caption.css';

// The server's rules (src/modules/videos/caption.ts): a tag starts after a non-word character and
// runs over letters, digits and "_"; a mention is a username after a non-word, non-"@" character.
const TOKEN = /(^|[^\p{L}\p{N}_&#])#([\p{L}\p{N}_]+)|(^|[^\p{L}\p{N}_.@])@([A-Za-z0-9_.]+)/gu;

/**
 * A caption as text nodes and links: #hashtags the server recognised link to
 * their page, @mentions of existing accounts to the profile. Everything else
 * stays plain text (never parsed as HTML).
 */
export function captionNodes(view: Pick<VideoView, 'caption' | 'hashtags' | 'mentions'>): Node[] {
  const text = view.caption;
  const tags = new Set(view.hashtags);
  const people = new Map(view.mentions.map((m) => [m.username.toLowerCase(), m.username]));
  const out: Node[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const lead = m[1] ?? m[3] ?? '';
    const start = (m.index ?? 0) + lead.length;
    let link: HTMLAnchorElement | null = null;
    let raw = '';
    if (m[2] !== undefined) {
      raw = `#${m[2]}`;
      const tag = m[2].normalize('NFC').toLowerCase();
      if (tags.has(tag)) link = h('a', { class: 'tag-link', attrs: { href: `/tag/${encodeURIComponent(tag)}` } }, raw);
    } else if (m[4] !== undefined) {
      const name = m[4].replace(/\.+$/, '');
      raw = `@${name}`;
      const username = people.get(name.toLowerCase());
      if (username) link = h('a', { class: 'mention-link', attrs: { href: `/@${encodeURIComponent(username)}` } }, raw);
    }
    if (!link) continue;
    if (start > last) out.push(document.createTextNode(text.slice(last, start)));
    out.push(link);
    last = start + raw.length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

let captionIds = 0;

/**
 * A slide's caption: clamped to a few lines, with "more" when the clamp hides
 * something (and "less" once open). Tapping the caption or its button opens or
 * closes it and never reaches the video under it (no pause); its links still go.
 */
export function captionBlock(view: Pick<VideoView, 'caption' | 'hashtags' | 'mentions'>): HTMLElement | null {
  if (!view.caption) return null;
  const id = `caption-${++captionIds}`;
  const text = h('p', { class: 'slide-caption', attrs: { id, 'data-testid': 'caption', dir: 'auto' } }, ...captionNodes(view));
  const toggle = h(
    'button',
    {
      class: 'caption-toggle',
      attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': id, 'data-testid': 'caption-more', hidden: true },
    },
    'more',
  );
  const box = h('div', { class: 'caption-box' }, text, toggle);
  let open = false;
  const set = (next: boolean) => {
    open = next;
    box.classList.toggle('is-open', open);
    toggle.textContent = open ? 'less' : 'more';
    toggle.setAttribute('aria-expanded', String(open));
    if (!open) text.scrollTop = 0;
  };
  toggle.addEventListener('click', () => set(!open));
  text.addEventListener('click', (ev) => {
    if ((ev.target as Element | null)?.closest?.('a')) return;
    if (!toggle.hidden) set(!open);
  });
  // "more" only when the clamp hides something: measured once laid out, and again when the width changes.
  const measure = () => {
    if (!open && text.clientHeight > 0) toggle.hidden = text.scrollHeight <= text.clientHeight + 1;
  };
  if (typeof ResizeObserver === 'function') new ResizeObserver(measure).observe(text);
  return box;
}

/** 1234 → "1.2K", 1_500_000 → "1.5M". */
const PLURAL = new Intl.PluralRules('en');

/** "1 like", "2 likes", "1.2K likes": a count and its noun in the form English wants. */
export function countOf(n: number, one: string, other: string): string {
  return `${compactCount(n)} ${PLURAL.select(n) === 'one' ? one : other}`;
}

export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${trim(n / 1000)}K`;
  return `${trim(n / 1_000_000)}M`;
}
function trim(v: number): string {
  return v >= 100 ? String(Math.floor(v)) : (Math.floor(v * 10) / 10).toString();
}
