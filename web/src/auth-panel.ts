import { ApiError, endpoints, messageOf, session, type User } from './api.js';
import { h, icon, setText, toast } from './dom.js';

type Mode = 'login' | 'signup' | 'account';

/**
 * One dialog for "Log in", "Sign up" and, when signed in, the account sheet
 * with "Log out". Errors from the server are shown as they come.
 */
export class AuthPanel {
  readonly dialog: HTMLDialogElement;
  private mode: Mode = 'login';
  private readonly title: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly tabs: { login: HTMLButtonElement; signup: HTMLButtonElement };
  private readonly username: HTMLInputElement;
  private readonly password: HTMLInputElement;
  private readonly passwordHint: HTMLElement;
  private readonly error: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly account: HTMLElement;
  private readonly accountName: HTMLElement;
  private readonly profileLink: HTMLAnchorElement;
  private readonly logoutButton: HTMLButtonElement;
  private readonly accountError: HTMLElement;
  private afterSignIn: (() => void) | null = null;

  constructor() {
    this.title = h('h2', { class: 'sheet-title', attrs: { id: 'auth-title' } });
    this.notice = h('p', { class: 'sheet-notice', attrs: { hidden: true } });
    const tab = (mode: 'login' | 'signup', label: string) => {
      const b = h(
        'button',
        { class: 'segment', attrs: { type: 'button', 'data-testid': `auth-tab-${mode}`, 'aria-pressed': 'false' } },
        label,
      );
      b.addEventListener('click', () => this.setMode(mode));
      return b;
    };
    this.tabs = { login: tab('login', 'Log in'), signup: tab('signup', 'Sign up') };

    this.username = h('input', {
      class: 'input',
      attrs: {
        id: 'auth-username',
        name: 'username',
        type: 'text',
        required: true,
        minlength: 3,
        maxlength: 30,
        autocomplete: 'username',
        autocapitalize: 'none',
        spellcheck: 'false',
        'data-testid': 'auth-username',
      },
    });
    this.password = h('input', {
      class: 'input',
      attrs: {
        id: 'auth-password',
        name: 'password',
        type: 'password',
        autocomplete: 'current-password',
        required: true,
        maxlength: 256,
        'data-testid': 'auth-password',
      },
    });
    this.passwordHint = h('span', { class: 'field-hint', attrs: { id: 'auth-password-hint' } }, 'At least 8 characters.');
    this.error = h('p', { class: 'form-error', attrs: { role: 'alert', 'data-testid': 'auth-error' } });
    this.submit = h('button', { class: 'btn btn-primary btn-block', attrs: { type: 'submit', 'data-testid': 'auth-submit' } });

    this.form = h(
      'form',
      { class: 'sheet-form', attrs: { novalidate: false } },
      h('div', { class: 'segmented', attrs: { role: 'group', 'aria-label': 'Log in or sign up' } }, this.tabs.login, this.tabs.signup),
      h('label', { class: 'field', attrs: { for: 'auth-username' } }, h('span', { class: 'field-label' }, 'Username'), this.username),
      h(
        'label',
        { class: 'field', attrs: { for: 'auth-password' } },
        h('span', { class: 'field-label' }, 'Password'),
        this.password,
        this.passwordHint,
      ),
      this.error,
      this.submit,
    );
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.onSubmit();
    });

    this.accountName = h('strong', { attrs: { 'data-testid': 'account-username' } });
    this.logoutButton = h('button', { class: 'btn btn-block', attrs: { type: 'button', 'data-testid': 'logout' } }, 'Log out');
    this.logoutButton.addEventListener('click', () => void this.onLogout());
    this.accountError = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    this.profileLink = h(
      'a',
      { class: 'btn btn-block', attrs: { href: '/', 'data-testid': 'account-profile' } },
      icon('user'),
      'Your profile',
    );
    this.account = h(
      'div',
      { class: 'sheet-form' },
      h('p', { class: 'account-line' }, icon('user'), h('span', {}, 'Signed in as ', this.accountName)),
      this.profileLink,
      h('a', { class: 'btn btn-block', attrs: { href: '/saved', 'data-testid': 'account-saved' } }, icon('bookmark'), 'Saved videos'),
      h('a', { class: 'btn btn-block', attrs: { href: '/settings', 'data-testid': 'account-settings' } }, icon('settings'), 'Edit profile'),
      this.accountError,
      this.logoutButton,
    );

    const close = h('button', { class: 'round-btn sheet-close', attrs: { type: 'button', 'aria-label': 'Close' } }, icon('close'));
    close.addEventListener('click', () => this.dialog.close());
    this.dialog = h(
      'dialog',
      { class: 'sheet', attrs: { 'aria-labelledby': 'auth-title', 'data-testid': 'auth-dialog' } },
      h('div', { class: 'sheet-head' }, this.title, close),
      this.notice,
      this.form,
      this.account,
    );
    closeOnBackdrop(this.dialog);
    this.dialog.addEventListener('close', () => {
      this.afterSignIn = null;
    });
  }

  /** Opens the dialog: the account sheet when signed in, else log in (or `mode`). */
  open(opts: { mode?: 'login' | 'signup'; notice?: string; then?: () => void } = {}): void {
    const user = session.user;
    this.setMode(user ? 'account' : (opts.mode ?? 'login'));
    setText(this.notice, opts.notice ?? '');
    this.notice.hidden = !opts.notice;
    this.afterSignIn = opts.then ?? null;
    setText(this.error, '');
    setText(this.accountError, '');
    if (user) {
      setText(this.accountName, `@${user.username}`);
      this.profileLink.href = `/@${encodeURIComponent(user.username)}`;
    }
    if (!this.dialog.open) this.dialog.showModal();
    (user ? this.logoutButton : this.username.value ? this.password : this.username).focus();
  }

  private setMode(mode: Mode): void {
    this.mode = mode;
    const signup = mode === 'signup';
    this.form.hidden = mode === 'account';
    this.account.hidden = mode !== 'account';
    setText(this.title, mode === 'account' ? 'Your account' : signup ? 'Create your account' : 'Welcome back');
    setText(this.submit, signup ? 'Sign up' : 'Log in');
    this.tabs.login.setAttribute('aria-pressed', String(mode === 'login'));
    this.tabs.signup.setAttribute('aria-pressed', String(signup));
    this.password.setAttribute('autocomplete', signup ? 'new-password' : 'current-password');
    this.password.minLength = signup ? 8 : 1;
    this.passwordHint.hidden = !signup;
    if (signup) {
      this.username.setAttribute('pattern', '[A-Za-z0-9_.]+');
      this.username.title = '3–30 letters, digits, “_” or “.”';
      this.password.setAttribute('aria-describedby', 'auth-password-hint');
    } else {
      this.username.removeAttribute('pattern');
      this.username.removeAttribute('title');
      this.password.removeAttribute('aria-describedby');
    }
    setText(this.error, '');
  }

  private async onSubmit(): Promise<void> {
    if (!this.form.reportValidity()) return;
    const signup = this.mode === 'signup';
    const username = this.username.value.trim();
    const password = this.password.value;
    this.setBusy(true, signup ? 'Creating account…' : 'Logging in…');
    setText(this.error, '');
    try {
      const result = signup ? await endpoints.signup(username, password) : await endpoints.login(username, password);
      session.set(result);
      this.password.value = '';
      const then = this.afterSignIn;
      this.afterSignIn = null;
      this.dialog.close();
      toast(signup ? `Welcome to Curta, @${result.user.username}!` : `Welcome back, @${result.user.username}.`);
      then?.();
    } catch (err) {
      setText(this.error, messageOf(err));
      (err instanceof ApiError && err.code === 'username_taken' ? this.username : this.password).focus();
    } finally {
      this.setBusy(false);
    }
  }

  private async onLogout(): Promise<void> {
    this.logoutButton.disabled = true;
    setText(this.logoutButton, 'Logging out…');
    try {
      await endpoints.logout();
    } catch (err) {
      // 401: the session was already gone. Otherwise forget it here anyway, but say so.
      if (!(err instanceof ApiError && err.status === 401)) toast(`Logged out on this device. (${messageOf(err)})`, 'error');
    } finally {
      session.clear();
      this.logoutButton.disabled = false;
      setText(this.logoutButton, 'Log out');
    }
    this.dialog.close();
  }

  private setBusy(busy: boolean, label?: string): void {
    this.submit.disabled = busy;
    this.username.disabled = busy;
    this.password.disabled = busy;
    this.tabs.login.disabled = busy;
    this.tabs.signup.disabled = busy;
    setText(this.submit, busy && label ? label : this.mode === 'signup' ? 'Sign up' : 'Log in');
  }
}

/**
 * A click on the dimmed area around a modal dialog closes it, and so does
 * Escape (Chromium may swallow a second Escape "cancel" without a fresh user
 * activation; a sheet must always close with the key).
 */
export function closeOnBackdrop(dialog: HTMLDialogElement): void {
  dialog.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || ev.defaultPrevented) return;
    ev.preventDefault();
    ev.stopPropagation();
    dialog.close();
  });
  dialog.addEventListener('click', (ev) => {
    if (ev.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    const inside = ev.clientX >= r.left && ev.clientX <= r.right && ev.clientY >= r.top && ev.clientY <= r.bottom;
    if (!inside) dialog.close();
  });
}

export function userLabel(user: User | null): string {
  return user ? `@${user.username}` : 'Log in';
}
