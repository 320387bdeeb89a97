/**
 * Hashtag suggestions for the caption: typing `#pre` asks the server for tags
 * starting with "pre" and shows them in a listbox under the field (WAI-ARIA
 * combobox pattern: the caption keeps focus; ↑/↓ move, Enter or Tab picks,
 * Escape closes). Picking replaces the typed fragment with the whole tag.
 */
import { formatCount } from './format.js';
import { h, setText } from '../dom.js';
import { studioApi, type HashtagSuggestion } from './studio-api.js';

// The fragment being typed: '#' after a non-word character (or at the start), then tag characters up to the caret.
const FRAGMENT = /(?:^|[^\p{L}\p{N}_&#])#([\p{L}\p{N}_]{1,100})$/u;
const DEBOUNCE_MS = 150;

let nextId = 0;

export class HashtagSuggest {
  readonly listbox: HTMLUListElement;
  private readonly live: HTMLElement;
  private items: HashtagSuggestion[] = [];
  private active = -1;
  /** Where the fragment (after '#') starts, and its text. */
  private fragment: { start: number; text: string } | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | null = null;
  private readonly id = `tag-suggest-${++nextId}`;

  constructor(
    private readonly field: HTMLTextAreaElement,
    private readonly onPicked: () => void = () => undefined,
  ) {
    this.listbox = h('ul', {
      class: 'tag-suggest',
      attrs: { id: this.id, role: 'listbox', 'aria-label': 'Hashtag suggestions', hidden: true, 'data-testid': 'hashtag-suggestions' },
    });
    this.live = h('span', { class: 'visually-hidden', attrs: { 'aria-live': 'polite' } });
    field.setAttribute('role', 'combobox');
    field.setAttribute('aria-autocomplete', 'list');
    field.setAttribute('aria-controls', this.id);
    field.setAttribute('aria-expanded', 'false');
    field.addEventListener('input', () => this.schedule());
    field.addEventListener('click', () => this.schedule());
    field.addEventListener('keydown', (ev) => this.onKey(ev));
    field.addEventListener('blur', () => {
      // Let a click on an option land first.
      setTimeout(() => this.close(), 120);
    });
    // pointerdown, not click: picking must not take focus from the caption.
    this.listbox.addEventListener('pointerdown', (ev) => {
      const li = (ev.target as Element).closest<HTMLElement>('[role="option"]');
      if (!li) return;
      ev.preventDefault();
      this.pick(Number(li.dataset.index));
    });
  }

  /** The listbox and its live region, to place right after the field. */
  get elements(): HTMLElement[] {
    return [this.listbox, this.live];
  }

  get open(): boolean {
    return !this.listbox.hidden;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const caret = this.field.selectionStart ?? this.field.value.length;
    const before = this.field.value.slice(0, caret);
    const m = FRAGMENT.exec(before);
    if (!m || this.field.selectionEnd !== this.field.selectionStart) {
      this.fragment = null;
      this.close();
      return;
    }
    const text = m[1]!;
    this.fragment = { start: caret - text.length, text };
    this.timer = setTimeout(() => void this.load(text), DEBOUNCE_MS);
  }

  private async load(prefix: string): Promise<void> {
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    try {
      const found = await studioApi.hashtags(prefix.toLowerCase(), controller.signal);
      if (controller.signal.aborted || this.fragment?.text !== prefix) return;
      // The exact tag already typed needs no suggestion of itself alone.
      const items = found.filter((s) => s.tag !== prefix.toLowerCase() || found.length > 1);
      this.show(items);
    } catch {
      // Suggestions are a nicety: a failed look-up just shows none.
      if (!controller.signal.aborted) this.close();
    }
  }

  private show(items: HashtagSuggestion[]): void {
    this.items = items;
    this.active = -1;
    if (items.length === 0) {
      this.close();
      return;
    }
    this.listbox.replaceChildren(
      ...items.map((s, i) =>
        h(
          'li',
          {
            class: 'tag-option',
            attrs: {
              id: `${this.id}-${i}`,
              role: 'option',
              'aria-selected': 'false',
              'data-index': i,
              'data-tag': s.tag,
              'data-testid': 'hashtag-option',
            },
          },
          h('span', { class: 'tag-name' }, `#${s.tag}`),
          h('span', { class: 'tag-count' }, `${formatCount(s.videos)} ${s.videos === 1 ? 'video' : 'videos'}`),
        ),
      ),
    );
    this.listbox.hidden = false;
    this.field.setAttribute('aria-expanded', 'true');
    this.field.removeAttribute('aria-activedescendant');
    setText(this.live, `${items.length} hashtag ${items.length === 1 ? 'suggestion' : 'suggestions'}; use the arrow keys to choose.`);
  }

  close(): void {
    this.inFlight?.abort();
    this.inFlight = null;
    clearTimeout(this.timer);
    if (this.listbox.hidden) return;
    this.listbox.hidden = true;
    this.listbox.replaceChildren();
    this.items = [];
    this.active = -1;
    this.field.setAttribute('aria-expanded', 'false');
    this.field.removeAttribute('aria-activedescendant');
  }

  private setActive(i: number): void {
    const options = this.listbox.querySelectorAll<HTMLElement>('[role="option"]');
    options.forEach((o, j) => o.setAttribute('aria-selected', String(j === i)));
    this.active = i;
    const el = options[i];
    if (el) {
      this.field.setAttribute('aria-activedescendant', el.id);
      el.scrollIntoView({ block: 'nearest' });
    }
  }

  private onKey(ev: KeyboardEvent): void {
    if (!this.open || ev.isComposing) return;
    const n = this.items.length;
    if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      this.setActive((this.active + 1) % n);
    } else if (ev.key === 'ArrowUp') {
      ev.preventDefault();
      this.setActive(this.active <= 0 ? n - 1 : this.active - 1);
    } else if ((ev.key === 'Enter' || ev.key === 'Tab') && this.active >= 0) {
      ev.preventDefault();
      this.pick(this.active);
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      this.close();
    }
  }

  private pick(i: number): void {
    const item = this.items[i];
    const frag = this.fragment;
    if (!item || !frag) return;
    const v = this.field.value;
    const end = frag.start + frag.text.length;
    const after = v.slice(end);
    const insert = after.startsWith(' ') ? item.tag : `${item.tag} `;
    this.field.value = v.slice(0, frag.start) + insert + after;
    const caret = frag.start + insert.length + (after.startsWith(' ') ? 1 : 0);
    this.field.setSelectionRange(caret, caret);
    this.fragment = null;
    this.close();
    setText(this.live, `#${item.tag} added.`);
    this.field.dispatchEvent(new Event('input', { bubbles: true }));
    this.onPicked();
  }
}
