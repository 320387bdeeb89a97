import { endpoints, messageOf, session, type User } from './api.js';
import { AuthPanel } from './auth-panel.js';
import { h, icon, setText, toast } from './dom.js';
import { Feed } from './feed.js';
import { UploadPanel, type UploadActivity } from './upload-panel.js';

function start(root: HTMLElement): void {
  const feed = new Feed();
  const auth = new AuthPanel();

  const activity = h('button', { class: 'chip activity', attrs: { type: 'button', hidden: true, 'data-testid': 'upload-activity' } });
  const uploadButton = h(
    'button',
    { class: 'round-btn upload-btn', attrs: { type: 'button', 'aria-label': 'Upload a video', title: 'Upload a video', 'data-testid': 'open-upload' } },
    icon('plus'),
  );
  const accountButton = h('button', { class: 'chip account-btn', attrs: { type: 'button', 'data-testid': 'open-auth' } });

  const upload = new UploadPanel({
    onWatch: (view) => {
      history.pushState(null, '', `/?v=${encodeURIComponent(view.id)}`);
      feed.show(view);
    },
    onActivity: (a: UploadActivity) => {
      activity.hidden = a.stage === 'idle' || upload.dialog.open;
      activity.dataset.stage = a.stage;
      setText(activity, a.label);
    },
    requireLogin: (then) => auth.open({ mode: 'signup', notice: 'Sign up or log in to upload videos.', then }),
  });
  upload.dialog.addEventListener('close', () => {
    // Ready/failed were just seen in the dialog; only work still going on stays in the top bar.
    activity.hidden = upload.currentStage !== 'uploading' && upload.currentStage !== 'processing';
  });

  activity.addEventListener('click', () => {
    activity.hidden = true;
    upload.open();
  });
  uploadButton.addEventListener('click', () => upload.open());
  accountButton.addEventListener('click', () => auth.open());

  const renderUser = (user: User | null) => {
    accountButton.replaceChildren(icon('user'), h('span', {}, user ? `@${user.username}` : 'Log in'));
    accountButton.setAttribute('aria-label', user ? `Account: @${user.username}` : 'Log in or sign up');
    accountButton.classList.toggle('is-signed-in', !!user);
  };
  let lastUserId = session.user?.id ?? null;
  renderUser(session.user);
  session.subscribe((user) => {
    renderUser(user);
    if (lastUserId && user?.id !== lastUserId) upload.signedOut();
    lastUserId = user?.id ?? null;
  });
  // Another tab logged in or out.
  window.addEventListener('storage', (ev) => {
    if (ev.key === 'curta.token' || ev.key === 'curta.user') renderUser(session.user);
  });

  const topbar = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', attrs: { href: '/', 'aria-label': 'Curta home' } }, h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }), 'Curta'),
    h('div', { class: 'topbar-actions' }, activity, uploadButton, accountButton),
  );

  root.replaceChildren(h('div', { class: 'app' }, topbar, feed.el), auth.dialog, upload.dialog);

  // Check a remembered session is still alive (a 401 clears it).
  if (session.token) {
    endpoints
      .me()
      .then((r) => session.updateUser(r.user))
      .catch(() => undefined);
  }

  // `/?v=<id>`: that video first, then the feed.
  const showFromUrl = async () => {
    const id = new URLSearchParams(location.search).get('v');
    if (id) {
      try {
        feed.show(await endpoints.video(id));
      } catch (err) {
        toast(messageOf(err), 'error');
      }
    }
  };
  void (async () => {
    await showFromUrl();
    await feed.loadMore();
  })();
  window.addEventListener('popstate', () => void showFromUrl());
}

const root = document.getElementById('app');
if (root) start(root);
