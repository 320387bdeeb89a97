import { endpoints, messageOf, session } from '../api.js';
import type { AppContext } from '../context.js';
import { h, setText, toast } from '../dom.js';
import type { Profile } from '../types.js';
import { avatarEl, pageHeader } from './common.js';

const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
const AVATAR_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** `/settings`: display name, bio and avatar; log out. */
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
        if (!gone) body.replaceChildren(form(p));
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

  render();
  const unsubscribe = session.subscribe(() => render());
  return () => {
    gone = true;
    unsubscribe();
  };
}
