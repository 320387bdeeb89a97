import { endpoints, messageOf, session } from './api.js';
import { closeOnBackdrop } from './auth-panel.js';
import { compactCount, countOf } from './caption.js';
import type { AppContext } from './context.js';
import { h, icon, setText, toast } from './dom.js';
import { avatarEl } from './pages/common.js';
import type { CommentView, VideoView } from './types.js';

let drawer: CommentsDrawer | null = null;

/** Wide screens: the comments dock beside the video (a non-modal panel) instead of covering it (styles.css). */
const DOCKED = window.matchMedia('(min-width: 1024px)');

/** Opens the comments drawer for a video (one drawer, reused). */
export function openComments(view: VideoView, ctx: AppContext, onCount: (n: number) => void): void {
  drawer ??= new CommentsDrawer(ctx);
  drawer.open(view, onCount);
}

/**
 * Comments as a bottom sheet (on a desktop, a panel docked beside the video,
 * which keeps playing and answering keys): top-level comments newest first, each with
 * its replies behind "View replies"; a composer that replies to whichever
 * comment was picked. Comment text is always plain text.
 *
 * The count in the title is the video's `stats.comments`, which counts
 * replies too (as the counter on the video does): posting a reply adds one,
 * deleting a comment takes away it and its replies.
 */
class CommentsDrawer {
  readonly dialog: HTMLDialogElement;
  private readonly title: HTMLElement;
  private readonly list: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly form: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly replyingTo: HTMLElement;
  private readonly error: HTMLElement;
  private view: VideoView | null = null;
  private onCount: (n: number) => void = () => undefined;
  private cursor: string | null = null;
  private parent: { id: string; username: string; replies: HTMLElement } | null = null;
  private total = 0;
  private generation = 0;

  constructor(private readonly ctx: AppContext) {
    this.title = h('h2', { class: 'sheet-title', attrs: { id: 'comments-title' } }, 'Comments');
    this.list = h('ul', { class: 'comments', attrs: { 'data-testid': 'comments-list' } });
    this.more = h('button', { class: 'btn btn-block', attrs: { type: 'button', hidden: true } }, 'More comments');
    this.more.addEventListener('click', () => void this.loadPage());
    this.input = h('textarea', {
      class: 'input comment-input',
      attrs: {
        rows: 1,
        maxlength: 1000,
        required: true,
        'aria-label': 'Add a comment',
        placeholder: 'Add a comment…',
        'data-testid': 'comment-input',
      },
    });
    this.replyingTo = h('div', { class: 'replying-to', attrs: { hidden: true } });
    this.error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    const send = h('button', { class: 'btn btn-primary', attrs: { type: 'submit', 'data-testid': 'comment-submit' } }, 'Post');
    this.form = h('form', { class: 'comment-form' }, this.replyingTo, h('div', { class: 'comment-compose' }, this.input, send), this.error);
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit(send);
    });
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        this.form.requestSubmit();
      }
    });
    const close = h('button', { class: 'round-btn sheet-close', attrs: { type: 'button', 'aria-label': 'Close comments' } }, icon('close'));
    close.addEventListener('click', () => this.dialog.close());
    this.dialog = h(
      'dialog',
      { class: 'sheet comments-sheet', attrs: { 'aria-labelledby': 'comments-title', 'data-testid': 'comments-drawer' } },
      h('div', { class: 'sheet-head' }, this.title, close),
      h('div', { class: 'comments-scroll' }, this.list, this.more),
      this.form,
    );
    closeOnBackdrop(this.dialog);
    this.dialog.addEventListener('close', () => document.body.classList.remove('comments-docked'));
    // Crossing the breakpoint: a docked panel would be a non-modal sheet over the video (or the reverse).
    DOCKED.addEventListener('change', () => {
      if (this.dialog.open) this.dialog.close();
    });
    // Back/forward to another page: a docked panel (not modal, so still open) leaves with its video.
    window.addEventListener('popstate', () => {
      if (this.dialog.open && this.dialog.classList.contains('is-docked')) this.dialog.close();
    });
    document.body.append(this.dialog);
  }

  open(view: VideoView, onCount: (n: number) => void): void {
    const docked = DOCKED.matches;
    if (docked && this.dialog.open && this.view?.id === view.id) {
      // The comment button again: the panel closes, as a toggle.
      this.dialog.close();
      return;
    }
    // Already open (docked, following the feed to another video): focus stays where the viewer is.
    const wasOpen = this.dialog.open;
    this.view = view;
    this.dialog.dataset.videoId = view.id;
    this.onCount = onCount;
    this.total = view.stats?.comments ?? 0;
    this.cursor = null;
    this.generation++;
    this.setParent(null);
    this.renderTitle();
    this.list.replaceChildren();
    setText(this.error, '');
    const canWrite = view.commentsEnabled;
    this.form.hidden = !canWrite;
    this.dialog.classList.toggle('is-docked', docked);
    if (!this.dialog.open) {
      if (docked) this.dialog.show();
      else this.dialog.showModal();
    }
    document.body.classList.toggle('comments-docked', docked);
    if (!canWrite) this.list.append(h('li', { class: 'muted comment-off' }, 'Comments are turned off for this video.'));
    void this.loadPage();
    if (!wasOpen) (canWrite ? this.input : this.dialog.querySelector<HTMLElement>('.sheet-close')!).focus();
  }

  private renderTitle(): void {
    setText(this.title, this.total ? countOf(this.total, 'comment', 'comments') : 'Comments');
  }

  private async loadPage(): Promise<void> {
    const view = this.view;
    if (!view) return;
    const gen = this.generation;
    this.more.disabled = true;
    try {
      const page = await endpoints.comments(view.id, { cursor: this.cursor });
      if (gen !== this.generation) return;
      for (const c of page.items) this.list.append(this.item(c));
      this.cursor = page.nextCursor;
      this.more.hidden = !page.nextCursor;
      if (this.list.childElementCount === 0)
        this.list.append(
          h('li', { class: 'muted comment-empty', attrs: { 'data-testid': 'comments-empty' } }, 'No comments yet. Say something nice.'),
        );
    } catch (err) {
      if (gen === this.generation) setText(this.error, messageOf(err));
    } finally {
      this.more.disabled = false;
    }
  }

  private item(c: CommentView, reply = false): HTMLElement {
    const replies = h('ul', { class: 'replies' });
    let liked = c.viewer?.liked ?? false;
    let likes = c.likeCount;
    const likeCount = h('span', {}, likes ? compactCount(likes) : '');
    const like = h(
      'button',
      { class: 'comment-like', attrs: { type: 'button', 'aria-pressed': String(liked), 'aria-label': 'Like comment' } },
      icon('heart', 'icon icon-heart'),
      likeCount,
    );
    const renderLike = () => {
      like.setAttribute('aria-pressed', String(liked));
      like.classList.toggle('is-on', liked);
      setText(likeCount, likes ? compactCount(likes) : '');
    };
    renderLike();
    like.addEventListener('click', () =>
      this.ctx.requireLogin(() => {
        liked = !liked;
        likes += liked ? 1 : -1;
        renderLike();
        endpoints.likeComment(c.videoId, c.id, liked).then(
          (r) => {
            likes = r.likes;
            renderLike();
          },
          (err: unknown) => {
            liked = !liked;
            likes += liked ? 1 : -1;
            renderLike();
            toast(messageOf(err), 'error');
          },
        );
      }, 'Log in to like comments.'),
    );

    const actions = h('div', { class: 'comment-actions' });
    const topId = c.parentId ?? c.id;
    if (this.view?.commentsEnabled) {
      const replyBtn = h('button', { class: 'link-btn', attrs: { type: 'button', 'data-testid': 'comment-reply' } }, 'Reply');
      replyBtn.addEventListener('click', () => {
        const holder = reply ? this.list.querySelector<HTMLElement>(`[data-comment-id="${CSS.escape(topId)}"] > .replies`) : replies;
        this.setParent({ id: topId, username: c.author.username, replies: holder ?? replies });
        this.input.focus();
      });
      actions.append(replyBtn);
    }
    if (!reply && c.replyCount > 0) {
      const show = h(
        'button',
        { class: 'link-btn', attrs: { type: 'button', 'data-testid': 'comment-show-replies' } },
        `View ${countOf(c.replyCount, 'reply', 'replies')}`,
      );
      show.addEventListener('click', () => {
        show.disabled = true;
        endpoints.comments(c.videoId, { parentId: c.id, limit: 50 }).then(
          (page) => {
            replies.replaceChildren(...page.items.map((r) => this.item(r, true)));
            show.remove();
          },
          (err: unknown) => {
            show.disabled = false;
            toast(messageOf(err), 'error');
          },
        );
      });
      actions.append(show);
    }
    const me = session.user;
    if (me && (me.id === c.author.id || me.id === this.view?.author.id)) {
      const del = h('button', { class: 'link-btn', attrs: { type: 'button' } }, 'Delete');
      del.addEventListener('click', () => {
        if (!confirm('Delete this comment?')) return;
        endpoints.deleteComment(c.videoId, c.id).then(
          () => {
            li.remove();
            // A top-level comment goes with its replies (the server deletes them too).
            const gone = reply ? 1 : 1 + Number(li.dataset.replies ?? c.replyCount);
            if (reply) {
              const top = this.list.querySelector<HTMLElement>(`[data-comment-id="${CSS.escape(topId)}"]`);
              if (top) top.dataset.replies = String(Math.max(0, Number(top.dataset.replies ?? 0) - 1));
            }
            this.changeTotal(-gone);
          },
          (err: unknown) => toast(messageOf(err), 'error'),
        );
      });
      actions.append(del);
    }

    const li = h(
      'li',
      {
        class: reply ? 'comment is-reply' : 'comment',
        attrs: { 'data-testid': reply ? 'reply' : 'comment', 'data-comment-id': c.id, ...(reply ? {} : { 'data-replies': c.replyCount }) },
      },
      h(
        'a',
        { class: 'comment-avatar', attrs: { href: `/@${encodeURIComponent(c.author.username)}`, 'aria-label': `@${c.author.username}` } },
        avatarEl(c.author, 32),
      ),
      h(
        'div',
        { class: 'comment-main' },
        h(
          'a',
          { class: 'comment-author', attrs: { href: `/@${encodeURIComponent(c.author.username)}` } },
          c.author.displayName || c.author.username,
        ),
        h('p', { class: 'comment-text', attrs: { dir: 'auto', 'data-testid': 'comment-text' } }, c.text),
        h('div', { class: 'comment-meta' }, h('time', { attrs: { datetime: c.createdAt } }, ago(c.createdAt)), actions),
        reply ? null : replies,
      ),
      like,
    );
    return li;
  }

  /** Replies count like comments: the title and the video's counter move together. */
  private changeTotal(by: number): void {
    this.total = Math.max(0, this.total + by);
    this.renderTitle();
    this.onCount(this.total);
  }

  private setParent(parent: CommentsDrawer['parent']): void {
    this.parent = parent;
    this.replyingTo.hidden = !parent;
    if (!parent) return;
    const cancel = h('button', { class: 'link-btn', attrs: { type: 'button', 'aria-label': 'Cancel reply' } }, icon('close'));
    cancel.addEventListener('click', () => this.setParent(null));
    this.replyingTo.replaceChildren(h('span', {}, `Replying to @${parent.username}`), cancel);
  }

  private async submit(send: HTMLButtonElement): Promise<void> {
    const view = this.view;
    const text = this.input.value.trim();
    if (!view || !text) return;
    this.ctx.requireLogin(() => {
      // Not `disabled`: a disabled button drops focus out of the sheet (and Escape with it).
      if (send.getAttribute('aria-busy') === 'true') return;
      send.setAttribute('aria-busy', 'true');
      setText(this.error, '');
      const parent = this.parent;
      endpoints
        .addComment(view.id, text, parent?.id)
        .then((c) => {
          this.input.value = '';
          this.list.querySelector('.comment-empty')?.remove();
          if (parent) {
            parent.replies.append(this.item(c, true));
            const top = this.list.querySelector<HTMLElement>(`[data-comment-id="${CSS.escape(parent.id)}"]`);
            if (top) top.dataset.replies = String(Number(top.dataset.replies ?? 0) + 1);
            this.setParent(null);
          } else {
            this.list.prepend(this.item(c));
          }
          this.changeTotal(1);
        })
        .catch((err: unknown) => setText(this.error, messageOf(err)))
        .finally(() => {
          send.removeAttribute('aria-busy');
          if (this.dialog.open) this.input.focus();
        });
    }, 'Log in to comment.');
  }
}

function ago(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return 'now';
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  if (s < 86400 * 7) return `${Math.floor(s / 86400)}d`;
  return new Date(iso).toLocaleDateString();
}
