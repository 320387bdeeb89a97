import { endpoints, messageOf, session } from './api.js';
import { closeOnBackdrop } from './auth-panel.js';
import type { AppContext } from './context.js';
import { h, icon, setText, toast } from './dom.js';
import { copyText } from './feed.js';
import type { Profile, ReportReason, ReportTargetType, VideoView } from './types.js';
import './video-menu.css';

const REASONS: Array<[ReportReason, string]> = [
  ['spam', 'Spam or scam'],
  ['harassment', 'Harassment or bullying'],
  ['hate', 'Hate speech'],
  ['violence', 'Violence'],
  ['sexual', 'Sexual content'],
  ['self_harm', 'Self-harm'],
  ['misinformation', 'Misinformation'],
  ['copyright', 'Copyright'],
  ['other', 'Something else'],
];

function sheet(title: string, testId: string): { dialog: HTMLDialogElement; body: HTMLElement } {
  const body = h('div', { class: 'sheet-form' });
  const close = h('button', { class: 'round-btn sheet-close', attrs: { type: 'button', 'aria-label': 'Close' } }, icon('close'));
  const id = `${testId}-title`;
  const dialog = h(
    'dialog',
    { class: 'sheet', attrs: { 'aria-labelledby': id, 'data-testid': testId } },
    h('div', { class: 'sheet-head' }, h('h2', { class: 'sheet-title', attrs: { id } }, title), close),
    body,
  );
  close.addEventListener('click', () => dialog.close());
  closeOnBackdrop(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body };
}

function menuButton(
  label: string,
  iconName: Parameters<typeof icon>[0],
  testId: string,
  run: () => void,
  danger = false,
): HTMLButtonElement {
  const b = h(
    'button',
    { class: `menu-item${danger ? ' is-danger' : ''}`, attrs: { type: 'button', 'data-testid': testId } },
    icon(iconName),
    label,
  );
  b.addEventListener('click', run);
  return b;
}

/** The "…" sheet of a video: copy link, report, block the author; edit and delete for its owner. */
export function openVideoMenu(
  view: VideoView,
  ctx: AppContext,
  hooks: {
    onBlocked: (userId: string) => void;
    onDeleted: () => void;
    onEdited: (updated: VideoView) => void;
    /** The video leaves the feeds; returns how to put it back (undo). */
    onNotInterested: (videoId: string) => () => void;
  },
): void {
  // Where focus goes back to when a sheet opened from this menu closes (the "…" button).
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const { dialog, body } = sheet('Options', 'video-menu-sheet');
  const own = session.user?.id === view.author.id;
  const url = new URL(`/v/${encodeURIComponent(view.id)}`, location.origin).href;
  body.append(
    menuButton('Copy link', 'share', 'menu-copy', () => {
      copyText(url).then(
        () => toast('Link copied'),
        () => toast(`Copy this link: ${url}`),
      );
      dialog.close();
    }),
  );
  if (own) {
    body.append(
      menuButton('Edit video', 'edit', 'menu-edit', () => {
        dialog.close();
        // Its own chunk: only owners editing a video load it.
        void import('./edit-video.js').then(
          (m) => m.openEditVideo(view, hooks.onEdited, opener),
          (err: unknown) => toast(messageOf(err), 'error'),
        );
      }),
      menuButton(
        'Delete video',
        'trash',
        'menu-delete',
        () => {
          if (!confirm('Delete this video? This cannot be undone.')) return;
          endpoints.deleteVideo(view.id).then(
            () => {
              dialog.close();
              toast('Video deleted');
              hooks.onDeleted();
            },
            (err: unknown) => toast(messageOf(err), 'error'),
          );
        },
        true,
      ),
    );
  } else {
    body.append(
      menuButton('Not interested', 'close', 'menu-not-interested', () => {
        dialog.close();
        ctx.requireLogin(() => markNotInterested(view, hooks.onNotInterested), 'Log in to tune your For You feed.');
      }),
      menuButton(
        'Report video',
        'flag',
        'menu-report',
        () => {
          dialog.close();
          ctx.requireLogin(() => openReport('video', view.id, 'Report video'), 'Log in to report.');
        },
        true,
      ),
      menuButton(
        `Block @${view.author.username}`,
        'block',
        'menu-block',
        () => {
          dialog.close();
          ctx.requireLogin(() => confirmBlock(view.author.username, () => hooks.onBlocked(view.author.id)), 'Log in to block accounts.');
        },
        true,
      ),
    );
  }
}

/**
 * "Not interested": the video leaves the feed at once (the request runs meanwhile; a failure
 * puts it back), with an Undo in the toast that puts it back where it was and tells the server.
 */
function markNotInterested(view: VideoView, remove: (videoId: string) => () => void): void {
  const restore = remove(view.id);
  let undone = false;
  const saved = endpoints.notInterested(view.id, true).then(
    () => true,
    (err: unknown) => {
      if (!undone) {
        undone = true;
        restore();
        toast(messageOf(err), 'error');
      }
      return false;
    },
  );
  actionToast("Got it: you'll see fewer videos like this.", 'Undo', () => {
    if (undone) return;
    undone = true;
    restore();
    void saved.then((ok) => {
      if (ok) endpoints.notInterested(view.id, false).catch((err: unknown) => toast(messageOf(err), 'error'));
    });
  });
}

/** A toast with one action button (Undo); it stays a little longer than a plain one, and goes when used. */
function actionToast(message: string, label: string, run: () => void): void {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { attrs: { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' } });
    document.body.appendChild(region);
  }
  const button = h('button', { class: 'toast-action', attrs: { type: 'button', 'data-testid': 'toast-undo' } }, label);
  const t = h('div', { class: 'toast toast-with-action', attrs: { 'data-testid': 'toast' } }, h('span', {}, message), button);
  button.addEventListener('click', () => {
    run();
    t.remove();
  });
  region.appendChild(t);
  setTimeout(() => t.classList.add('toast-out'), 6500);
  setTimeout(() => t.remove(), 7000);
}

/** The "…" sheet of a profile: report or block (or unblock) the account. */
export function openUserMenu(p: Profile, ctx: AppContext): void {
  const { dialog, body } = sheet(`@${p.username}`, 'user-menu-sheet');
  const blocking = p.viewer?.blocking ?? false;
  body.append(
    menuButton(
      'Report account',
      'flag',
      'menu-report',
      () => {
        dialog.close();
        ctx.requireLogin(() => openReport('user', p.id, `Report @${p.username}`), 'Log in to report.');
      },
      true,
    ),
    menuButton(
      blocking ? `Unblock @${p.username}` : `Block @${p.username}`,
      'block',
      'menu-block',
      () => {
        dialog.close();
        ctx.requireLogin(() => {
          if (blocking) {
            endpoints.block(p.username, false).then(
              () => {
                toast(`Unblocked @${p.username}`);
                ctx.navigate(`/@${encodeURIComponent(p.username)}`, { replace: true });
              },
              (err: unknown) => toast(messageOf(err), 'error'),
            );
          } else confirmBlock(p.username, () => ctx.navigate(`/@${encodeURIComponent(p.username)}`, { replace: true }));
        }, 'Log in to block accounts.');
      },
      true,
    ),
  );
}

function confirmBlock(username: string, done: () => void): void {
  if (!confirm(`Block @${username}? You won't see each other's videos or comments, and follows between you end.`)) return;
  endpoints.block(username, true).then(
    () => {
      toast(`Blocked @${username}`);
      done();
    },
    (err: unknown) => toast(messageOf(err), 'error'),
  );
}

export function openReport(targetType: ReportTargetType, targetId: string, title: string): void {
  const { dialog, body } = sheet(title, 'report-sheet');
  const form = h('form', { class: 'report-form' });
  const list = h('fieldset', { class: 'reasons' }, h('legend', { class: 'field-label' }, 'Why are you reporting this?'));
  REASONS.forEach(([value, label], i) => {
    const id = `reason-${value}`;
    list.append(
      h(
        'label',
        { class: 'reason', attrs: { for: id } },
        h('input', { attrs: { type: 'radio', name: 'reason', id, value, required: i === 0, 'data-testid': `reason-${value}` } }),
        label,
      ),
    );
  });
  const details = h('textarea', {
    class: 'input textarea',
    attrs: { id: 'report-details', maxlength: 1000, rows: 3, 'data-testid': 'report-details' },
  });
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const submit = h(
    'button',
    { class: 'btn btn-primary btn-block', attrs: { type: 'submit', 'data-testid': 'report-submit' } },
    'Send report',
  );
  form.append(
    list,
    h(
      'label',
      { class: 'field', attrs: { for: 'report-details' } },
      h('span', { class: 'field-label' }, 'Details (needed for “Something else”)'),
      details,
    ),
    error,
    submit,
  );
  body.append(form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const reason = form.querySelector<HTMLInputElement>('input[name="reason"]:checked')?.value as ReportReason | undefined;
    if (!reason) {
      setText(error, 'Pick a reason.');
      return;
    }
    const text = details.value.trim();
    if (reason === 'other' && !text) {
      setText(error, 'Tell us what is wrong.');
      return;
    }
    submit.disabled = true;
    endpoints.report(targetType, targetId, reason, text || undefined).then(
      () => {
        dialog.close();
        toast('Thanks, we will take a look.');
      },
      (err: unknown) => {
        submit.disabled = false;
        setText(error, messageOf(err));
      },
    );
  });
}
