import { endpoints, messageOf, session } from '../api.js';
import type { AppContext } from '../context.js';
import { h, setText, toast } from '../dom.js';
import type { Profile } from '../types.js';
import { notificationsApi, TYPE_LABELS, type NotificationType } from '../notifications.js';
import { avatarEl, pageHeader } from './common.js';
import './viewer.css';

const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
const AVATAR_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** `/settings`: display name, bio and avatar; password, sessions, data export and account deletion. */
export function mountSettings(host: HTMLElement, ctx: AppContext): () => void {
  document.title = 'Settings · Curta';
  const body = h('div', { class: 'page-body' });
  host.append(h('section', { class: 'page', attrs: { 'data-testid': 'settings-page' } }, pageHeader(ctx, 'Edit profile'), body));
  let gone = false;

  const render = () => {
    const user = session.user;
    if (!user) {
      const login = h('button', { class: 'btn btn-primary', attrs: { type: 'button' } }, 'Log in');
      login.addEventListener('click', () => ctx.requireLogin(render, 'Log in to edit your profile.'));
      body.replaceChildren(h('div', { class: 'page-empty' }, h('p', {}, 'Log in to edit your profile.'), login));
      return;
    }
    body.replaceChildren(h('div', { class: 'spinner page-spinner', attrs: { 'aria-hidden': 'true' } }));
    endpoints.profile(user.username).then(
      (p) => {
        if (gone) return;
        body.replaceChildren(form(p), privacySection(p), notificationSection(), ...adminSection(), accountSection(p));
        // The inbox's settings button leads here.
        if (location.hash === '#notifications') document.getElementById('notifications')?.scrollIntoView();
      },
      (err: unknown) => {
        if (!gone) body.replaceChildren(h('p', { class: 'form-error', attrs: { role: 'alert' } }, messageOf(err)));
      },
    );
  };

  const form = (p: Profile): HTMLElement => {
    let avatar = avatarEl(p, 96, 'avatar-lg');
    const avatarBox = h('div', { class: 'avatar-edit' }, avatar);
    const file = h('input', {
      class: 'visually-hidden',
      attrs: { id: 'avatar-file', type: 'file', accept: AVATAR_TYPES.join(','), 'data-testid': 'avatar-file' },
    });
    const avatarError = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      file.value = '';
      if (!f) return;
      setText(avatarError, '');
      if (!AVATAR_TYPES.includes(f.type)) {
        setText(avatarError, 'Choose a JPEG, PNG or WebP image.');
        return;
      }
      if (f.size > AVATAR_MAX_BYTES) {
        setText(avatarError, 'That image is over 5 MB.');
        return;
      }
      avatarBox.classList.add('is-busy');
      endpoints
        .setAvatar(f)
        .then((updated) => {
          const next = avatarEl(updated, 96, 'avatar-lg');
          avatar.replaceWith(next);
          avatar = next;
          toast('Photo updated');
        })
        .catch((err: unknown) => setText(avatarError, messageOf(err)))
        .finally(() => avatarBox.classList.remove('is-busy'));
    });

    const name = h('input', {
      class: 'input',
      attrs: { id: 'settings-name', maxlength: 50, autocomplete: 'nickname', 'data-testid': 'settings-name' },
    });
    name.value = p.displayName;
    const bio = h('textarea', {
      class: 'input textarea',
      attrs: { id: 'settings-bio', maxlength: 160, rows: 3, 'data-testid': 'settings-bio' },
    });
    bio.value = p.bio;
    const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    const save = h('button', { class: 'btn btn-primary btn-block', attrs: { type: 'submit', 'data-testid': 'settings-save' } }, 'Save');
    const f = h(
      'form',
      { class: 'sheet-form settings-form' },
      h('div', { class: 'avatar-row' }, avatarBox, h('label', { class: 'btn', attrs: { for: 'avatar-file' } }, 'Change photo'), file),
      avatarError,
      h('label', { class: 'field', attrs: { for: 'settings-name' } }, h('span', { class: 'field-label' }, 'Name'), name),
      h(
        'label',
        { class: 'field', attrs: { for: 'settings-bio' } },
        h('span', { class: 'field-label' }, 'Bio'),
        bio,
        h('span', { class: 'field-hint' }, 'Up to 160 characters.'),
      ),
      error,
      save,
      h('a', { class: 'btn btn-block', attrs: { href: `/@${encodeURIComponent(p.username)}` } }, 'View profile'),
    );
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      save.disabled = true;
      setText(error, '');
      endpoints
        .updateMe({ displayName: name.value, bio: bio.value })
        .then((updated) => {
          name.value = updated.displayName;
          bio.value = updated.bio;
          toast('Profile saved');
        })
        .catch((err: unknown) => setText(error, messageOf(err)))
        .finally(() => (save.disabled = false));
    });
    return f;
  };

  /** Privacy: whether others see the videos you liked (saved as soon as it is switched). */
  const privacySection = (p: Profile): HTMLElement => {
    const box = h('input', {
      class: 'switch-input',
      attrs: { id: 'liked-public', type: 'checkbox', role: 'switch', 'data-testid': 'liked-public' },
    });
    box.checked = p.likedVideosPublic;
    const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    box.addEventListener('change', () => {
      const want = box.checked;
      box.disabled = true;
      setText(error, '');
      endpoints
        .updatePrivacy({ likedVideosPublic: want })
        .then((r) => {
          box.checked = r.likedVideosPublic;
          toast(r.likedVideosPublic ? 'Everyone can now see the videos you liked' : 'Your liked videos are private again');
        })
        .catch((err: unknown) => {
          box.checked = !want;
          setText(error, messageOf(err));
        })
        .finally(() => (box.disabled = false));
    });
    return h(
      'section',
      {
        class: 'sheet-form settings-form',
        attrs: { id: 'privacy', 'aria-labelledby': 'privacy-title', 'data-testid': 'settings-privacy' },
      },
      h('h2', { class: 'settings-title', attrs: { id: 'privacy-title' } }, 'Privacy'),
      h(
        'label',
        { class: 'switch-row', attrs: { for: 'liked-public' } },
        h(
          'span',
          { class: 'field' },
          h('span', {}, 'Show the videos I liked on my profile'),
          h('span', { class: 'field-hint' }, 'Off: only you see your Liked tab. On: anyone who can see your profile can.'),
        ),
        box,
      ),
      error,
    );
  };

  /** Admins: the way to the dashboard (/admin). */
  const adminSection = (): HTMLElement[] =>
    session.user?.role === 'admin'
      ? [
          h(
            'section',
            {
              class: 'sheet-form settings-form',
              attrs: { id: 'admin', 'aria-labelledby': 'admin-title', 'data-testid': 'settings-admin' },
            },
            h('h2', { class: 'settings-title', attrs: { id: 'admin-title' } }, 'Administration'),
            h('a', { class: 'btn', attrs: { href: '/admin', 'data-testid': 'open-admin-dashboard' } }, 'Admin dashboard'),
          ),
        ]
      : [];

  /** Which notification types to get: one switch per type; a change is saved at once. */
  const notificationSection = (): HTMLElement => {
    const list = h('div', { class: 'notification-switches' }, h('div', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }));
    const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    notificationsApi.settings().then(
      (s) => {
        if (gone) return;
        const boxes = new Map<NotificationType, HTMLInputElement>();
        const save = () => {
          const muted = s.types.filter((t) => !boxes.get(t)!.checked);
          for (const b of boxes.values()) b.disabled = true;
          setText(error, '');
          notificationsApi
            .updateSettings(muted)
            .then(() => toast('Notification settings saved'))
            .catch((err: unknown) => setText(error, messageOf(err)))
            .finally(() => {
              for (const b of boxes.values()) b.disabled = false;
            });
        };
        list.replaceChildren(
          ...s.types.map((t) => {
            const box = h('input', {
              class: 'switch-input',
              attrs: { type: 'checkbox', role: 'switch', id: `notify-${t}`, 'data-testid': `notify-${t}` },
            });
            box.checked = !s.muted.includes(t);
            box.addEventListener('change', save);
            boxes.set(t, box);
            return h('label', { class: 'switch-row notify-row', attrs: { for: `notify-${t}` } }, h('span', {}, TYPE_LABELS[t]), box);
          }),
        );
      },
      (err: unknown) => {
        if (!gone) list.replaceChildren(h('p', { class: 'form-error', attrs: { role: 'alert' } }, messageOf(err)));
      },
    );
    return h(
      'section',
      {
        class: 'sheet-form settings-form',
        attrs: { id: 'notifications', 'aria-labelledby': 'notifications-title', 'data-testid': 'settings-notifications' },
      },
      h('h2', { class: 'settings-title', attrs: { id: 'notifications-title' } }, 'Notifications'),
      h('p', { class: 'field-hint' }, 'Turned-off types are not sent to you and are hidden from your inbox.'),
      list,
      error,
    );
  };

  /** Password, sessions, data export and deletion: each its own small form with its own message line. */
  const accountSection = (p: Profile): HTMLElement => {
    const passwordInput = (id: string, label: string, autocomplete: string, hint?: string) => {
      const input = h('input', {
        class: 'input',
        attrs: { id, type: 'password', autocomplete, minlength: 8, maxlength: 256, required: true, 'data-testid': id },
      });
      const field = h(
        'label',
        { class: 'field', attrs: { for: id } },
        h('span', { class: 'field-label' }, label),
        input,
        hint ? h('span', { class: 'field-hint' }, hint) : null,
      );
      return { input, field };
    };

    // Change password.
    const current = passwordInput('current-password', 'Current password', 'current-password');
    current.input.minLength = 1;
    const next = passwordInput(
      'new-password',
      'New password',
      'new-password',
      'At least 8 characters. Your other devices will be logged out.',
    );
    const passwordError = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    const changeButton = h(
      'button',
      { class: 'btn btn-block', attrs: { type: 'submit', 'data-testid': 'change-password' } },
      'Change password',
    );
    const passwordForm = h(
      'form',
      { class: 'sheet-form settings-form', attrs: { 'aria-labelledby': 'password-title' } },
      h('h2', { class: 'settings-title', attrs: { id: 'password-title' } }, 'Password'),
      current.field,
      next.field,
      passwordError,
      changeButton,
    );
    passwordForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      setText(passwordError, '');
      changeButton.disabled = true;
      endpoints
        .changePassword(current.input.value, next.input.value)
        .then(() => {
          passwordForm.reset();
          toast('Password changed; your other devices were logged out');
        })
        .catch((err: unknown) => setText(passwordError, messageOf(err)))
        .finally(() => (changeButton.disabled = false));
    });

    // Sessions and data.
    const accountError = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    const everywhere = h(
      'button',
      { class: 'btn btn-block', attrs: { type: 'button', 'data-testid': 'logout-everywhere' } },
      'Log out everywhere',
    );
    everywhere.addEventListener('click', () => {
      everywhere.disabled = true;
      setText(accountError, '');
      endpoints
        .logoutEverywhere()
        .then(() => {
          session.clear();
          toast('Logged out on every device');
        })
        .catch((err: unknown) => setText(accountError, messageOf(err)))
        .finally(() => (everywhere.disabled = false));
    });
    const download = h('button', { class: 'btn btn-block', attrs: { type: 'button', 'data-testid': 'download-data' } }, 'Download my data');
    download.addEventListener('click', () => {
      download.disabled = true;
      setText(accountError, '');
      setText(download, 'Preparing your archive…');
      endpoints
        .exportData()
        .then((zip) => {
          const url = URL.createObjectURL(zip);
          const a = h('a', { attrs: { href: url, download: `curta-${p.username}-${new Date().toISOString().slice(0, 10)}.zip` } });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
        })
        .catch((err: unknown) => setText(accountError, messageOf(err)))
        .finally(() => {
          download.disabled = false;
          setText(download, 'Download my data');
        });
    });

    // Delete the account, behind a confirmation that asks for the password.
    const deleteError = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    const confirmPassword = passwordInput('delete-password', 'Your password', 'current-password');
    confirmPassword.input.minLength = 1;
    const confirmButton = h(
      'button',
      { class: 'btn btn-danger btn-block', attrs: { type: 'submit', 'data-testid': 'confirm-delete' } },
      'Delete my account forever',
    );
    const cancel = h('button', { class: 'btn btn-block', attrs: { type: 'button', 'data-testid': 'cancel-delete' } }, 'Cancel');
    const confirmForm = h(
      'form',
      { class: 'sheet-form settings-form danger-zone', attrs: { hidden: true, 'data-testid': 'delete-confirm' } },
      h(
        'p',
        { class: 'field-hint' },
        `This deletes @${p.username} and everything you made on Curta: your videos, comments, likes, follows and history. ` +
          'It cannot be undone. Download your data first if you want to keep a copy.',
      ),
      confirmPassword.field,
      deleteError,
      confirmButton,
      cancel,
    );
    const deleteButton = h(
      'button',
      { class: 'btn btn-danger btn-block', attrs: { type: 'button', 'data-testid': 'delete-account' } },
      'Delete account',
    );
    deleteButton.addEventListener('click', () => {
      confirmForm.hidden = false;
      deleteButton.hidden = true;
      confirmPassword.input.focus();
    });
    cancel.addEventListener('click', () => {
      confirmForm.reset();
      setText(deleteError, '');
      confirmForm.hidden = true;
      deleteButton.hidden = false;
    });
    confirmForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      setText(deleteError, '');
      confirmButton.disabled = true;
      endpoints
        .deleteAccount(confirmPassword.input.value)
        .then(() => {
          session.clear();
          toast('Your account was deleted');
          ctx.navigate('/', { replace: true });
        })
        .catch((err: unknown) => {
          setText(deleteError, messageOf(err));
          confirmButton.disabled = false;
        });
    });

    return h(
      'div',
      { class: 'settings-account', attrs: { 'data-testid': 'settings-account' } },
      passwordForm,
      h(
        'section',
        { class: 'sheet-form settings-form', attrs: { 'aria-labelledby': 'account-title' } },
        h('h2', { class: 'settings-title', attrs: { id: 'account-title' } }, 'Account'),
        everywhere,
        download,
        accountError,
        deleteButton,
        confirmForm,
      ),
    );
  };

  render();
  const unsubscribe = session.subscribe(() => render());
  return () => {
    gone = true;
    unsubscribe();
  };
}
