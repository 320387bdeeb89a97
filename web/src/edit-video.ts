/**
 * The owner's edit sheet for a posted video: caption, who can watch,
 * comments on/off and the cover frame (a scrubber over the video with the
 * frame it lands on as the preview). Its own lazy chunk: the feed loads it
 * only when the owner opens "Edit" from a video's menu.
 */
import { endpoints, messageOf } from './api.js';
import { closeOnBackdrop } from './auth-panel.js';
import { h, icon, setText, toast } from './dom.js';
import './edit-video.css';
import { COVER_STEP_MS, editPatch, formatCoverTime, initialCoverMs } from './edit-video-model.js';
import type { VideoView, Visibility } from './types.js';
import { MAX_CAPTION, VISIBILITIES } from './video-options.js';
import { creatorStatsList } from './studio/creator-stats.js';
import { studioApi } from './studio/studio-api.js';

const FOCUSABLE = 'button, input, textarea, select, a[href], [tabindex]:not([tabindex="-1"])';

/** Tab and Shift+Tab go round the sheet's controls (a modal dialog alone lets focus leave for the browser's own UI). */
function trapFocus(dialog: HTMLDialogElement): void {
  dialog.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Tab') return;
    const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => !el.matches(':disabled') && el.getClientRects().length > 0,
    );
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return;
    const current = document.activeElement;
    if (ev.shiftKey && (current === first || !dialog.contains(current))) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && (current === last || !dialog.contains(current))) {
      ev.preventDefault();
      first.focus();
    }
  });
}

/**
 * Opens the sheet; `onSaved` gets the video as the server now has it. Focus
 * returns to `returnFocusTo` (else to what had it) when the sheet closes.
 */
export function openEditVideo(view: VideoView, onSaved: (updated: VideoView) => void, returnFocusTo?: HTMLElement | null): void {
  const opener = returnFocusTo ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
  const titleId = 'edit-video-title';
  const close = h('button', { class: 'round-btn sheet-close', attrs: { type: 'button', 'aria-label': 'Close' } }, icon('close'));
  const form = h('form', { class: 'sheet-form edit-video', attrs: { novalidate: true } });
  const dialog = h(
    'dialog',
    { class: 'sheet edit-sheet', attrs: { 'aria-labelledby': titleId, 'data-testid': 'edit-video-sheet' } },
    h('div', { class: 'sheet-head' }, h('h2', { class: 'sheet-title', attrs: { id: titleId } }, 'Edit video'), close),
    form,
  );

  // ----- caption
  const caption = h('textarea', {
    class: 'input textarea',
    attrs: { id: 'edit-caption', maxlength: MAX_CAPTION, rows: 3, 'data-testid': 'edit-caption', 'aria-describedby': 'edit-caption-count' },
  });
  caption.value = view.caption;
  const count = h('span', { class: 'field-hint counter', attrs: { id: 'edit-caption-count', 'aria-live': 'polite' } });
  const renderCount = () => setText(count, `${caption.value.length}/${MAX_CAPTION}`);
  renderCount();
  caption.addEventListener('input', renderCount);

  // ----- who can watch
  const radios = VISIBILITIES.map((v) => {
    const id = `edit-vis-${v.value}`;
    const input = h('input', {
      attrs: { type: 'radio', name: 'visibility', value: v.value, id, 'data-testid': `edit-visibility-${v.value}` },
    });
    input.checked = view.visibility === v.value;
    return h(
      'label',
      { class: 'reason edit-choice', attrs: { for: id } },
      input,
      h(
        'span',
        { class: 'edit-choice-text' },
        h('span', { class: 'edit-choice-label' }, v.label),
        h('span', { class: 'field-hint' }, v.hint),
      ),
    );
  });
  const comments = h('input', { attrs: { type: 'checkbox', id: 'edit-comments', 'data-testid': 'edit-comments' } });
  comments.checked = view.commentsEnabled;

  // ----- cover
  const duration = view.durationMs ?? 0;
  const source = view.playback?.mp4 ?? null;
  const canPickCover = view.status === 'ready' && source !== null && duration > 0;
  let coverChosen = false;
  const coverField = h('div', { class: 'field' }, h('span', { class: 'field-label', attrs: { id: 'edit-cover-label' } }, 'Cover'));
  let preview: HTMLVideoElement | null = null;
  let scrubber: HTMLInputElement | null = null;
  if (canPickCover) {
    const start = initialCoverMs(view);
    preview = h('video', {
      class: 'edit-cover-preview',
      attrs: { muted: true, playsinline: true, preload: 'auto', 'aria-hidden': 'true', 'data-testid': 'edit-cover-preview' },
    });
    preview.muted = true;
    if (view.playback?.poster) preview.poster = view.playback.poster;
    const time = h(
      'output',
      { class: 'field-hint', attrs: { for: 'edit-cover', 'data-testid': 'edit-cover-time' } },
      formatCoverTime(start),
    );
    scrubber = h('input', {
      class: 'edit-cover-range',
      attrs: {
        type: 'range',
        id: 'edit-cover',
        min: 0,
        max: Math.max(0, duration - 1),
        step: COVER_STEP_MS,
        value: start,
        'aria-labelledby': 'edit-cover-label',
        'aria-valuetext': formatCoverTime(start),
        'data-testid': 'edit-cover',
      },
    });
    const seekPreview = () => {
      const ms = Number(scrubber!.value);
      setText(time, formatCoverTime(ms));
      scrubber!.setAttribute('aria-valuetext', formatCoverTime(ms));
      if (preview!.readyState >= HTMLMediaElement.HAVE_METADATA) preview!.currentTime = ms / 1000;
    };
    preview.addEventListener('loadedmetadata', seekPreview, { once: true });
    preview.addEventListener('seeked', () => (preview!.dataset.frameAt = String(Math.round(preview!.currentTime * 1000))));
    scrubber.addEventListener('input', () => {
      coverChosen = true;
      seekPreview();
    });
    preview.src = source;
    coverField.append(
      h('div', { class: 'edit-cover-frame' }, preview),
      scrubber,
      h('div', { class: 'edit-cover-foot' }, h('span', { class: 'field-hint' }, 'Slide to pick the frame people see first'), time),
    );
  } else {
    coverField.append(h('p', { class: 'field-hint' }, 'You can pick a cover once the video is ready.'));
  }

  // ----- the owner's numbers (read fresh; the sheet works without them)
  const statsField = h(
    'div',
    { class: 'field', attrs: { 'data-testid': 'edit-stats' } },
    h('span', { class: 'field-label' }, view.publication === 'draft' ? 'Stats · draft, only you can see it' : 'Stats'),
  );
  const statsLoading = new AbortController();
  if (view.status === 'ready') {
    studioApi.stats(view.id, statsLoading.signal).then(
      (s) => statsField.append(creatorStatsList(s)),
      () => statsField.remove(),
    );
  } else {
    statsField.remove();
  }

  const error = h('p', { class: 'form-error', attrs: { role: 'alert', 'data-testid': 'edit-error' } });
  const cancel = h('button', { class: 'btn', attrs: { type: 'button', 'data-testid': 'edit-cancel' } }, 'Cancel');
  const save = h('button', { class: 'btn btn-primary', attrs: { type: 'submit', 'data-testid': 'edit-save' } }, 'Save');
  form.append(
    statsField,
    h('div', { class: 'field' }, h('label', { class: 'field-label', attrs: { for: 'edit-caption' } }, 'Caption'), caption, count),
    h('fieldset', { class: 'reasons' }, h('legend', { class: 'field-label' }, 'Who can watch'), ...radios),
    h(
      'label',
      { class: 'reason edit-switch', attrs: { for: 'edit-comments' } },
      comments,
      h('span', { class: 'edit-choice-text' }, h('span', { class: 'edit-choice-label' }, 'Allow comments')),
    ),
    coverField,
    error,
    h('div', { class: 'edit-actions' }, cancel, save),
  );

  close.addEventListener('click', () => dialog.close());
  cancel.addEventListener('click', () => dialog.close());
  closeOnBackdrop(dialog);
  trapFocus(dialog);
  dialog.addEventListener('close', () => {
    statsLoading.abort();
    if (preview) {
      preview.removeAttribute('src');
      preview.load();
    }
    dialog.remove();
    if (opener?.isConnected) opener.focus({ preventScroll: true });
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const visibility = (form.querySelector<HTMLInputElement>('input[name="visibility"]:checked')?.value ?? view.visibility) as Visibility;
    const patch = editPatch(view, {
      caption: caption.value.trim(),
      visibility,
      commentsEnabled: comments.checked,
      coverTimeMs: coverChosen && scrubber ? Number(scrubber.value) : null,
    });
    if (!patch) {
      dialog.close();
      return;
    }
    setText(error, '');
    save.disabled = true;
    setText(save, patch.coverTimeMs !== undefined ? 'Saving cover…' : 'Saving…');
    dialog.setAttribute('aria-busy', 'true');
    endpoints.updateVideo(view.id, patch).then(
      (updated) => {
        onSaved(updated);
        dialog.close();
        toast('Changes saved');
      },
      (err: unknown) => {
        save.disabled = false;
        setText(save, 'Save');
        dialog.removeAttribute('aria-busy');
        setText(error, messageOf(err));
      },
    );
  });

  document.body.append(dialog);
  dialog.showModal();
  caption.focus({ preventScroll: true });
}
