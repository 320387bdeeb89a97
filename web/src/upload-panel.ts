import { ApiError, messageOf, session, type VideoView } from './api.js';
import { closeOnBackdrop } from './auth-panel.js';
import { formatBytes, h, icon, percent, setText } from './dom.js';
import { followProcessing, forgetPendingUpload, pendingUpload, uploadVideo, validateFile } from './upload.js';

export type UploadStage = 'idle' | 'uploading' | 'processing' | 'ready' | 'failed';

export interface UploadActivity {
  stage: UploadStage;
  /** Short text for the top bar while the dialog is closed. */
  label: string;
}

/**
 * The upload dialog: pick a file and a caption, then watch the bytes go up and
 * the video get processed. The work goes on when the dialog is closed; the
 * top bar shows where it stands (see `onActivity`).
 */
export class UploadPanel {
  readonly dialog: HTMLDialogElement;
  private stage: UploadStage = 'idle';
  private file: File | null = null;
  private abort: AbortController | null = null;
  private videoId: string | null = null;
  private readyView: VideoView | null = null;

  private readonly root: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly fileInput: HTMLInputElement;
  private readonly fileLabel: HTMLElement;
  private readonly fileHint: HTMLElement;
  private readonly resumeNotice: HTMLElement;
  private readonly caption: HTMLTextAreaElement;
  private readonly captionCount: HTMLElement;
  private readonly formError: HTMLElement;
  private readonly submit: HTMLButtonElement;

  private readonly progressView: HTMLElement;
  private readonly progressTitle: HTMLElement;
  private readonly uploadBar: HTMLProgressElement;
  private readonly uploadText: HTMLElement;
  private readonly processingRow: HTMLElement;
  private readonly processingBar: HTMLProgressElement;
  private readonly processingText: HTMLElement;
  private readonly statusLine: HTMLElement;
  private readonly progressError: HTMLElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly watchLink: HTMLAnchorElement;
  private readonly againButton: HTMLButtonElement;
  private readonly retryButton: HTMLButtonElement;

  constructor(
    private readonly hooks: {
      onWatch(view: VideoView): void;
      onActivity(activity: UploadActivity): void;
      requireLogin(then: () => void): void;
    },
  ) {
    // --- the form
    this.fileInput = h('input', {
      class: 'visually-hidden',
      attrs: { id: 'upload-file', type: 'file', accept: 'video/*', 'data-testid': 'upload-file', 'aria-describedby': 'upload-file-hint' },
    });
    this.fileLabel = h('span', { class: 'drop-title' }, 'Choose a video');
    this.fileHint = h('span', { class: 'drop-hint', attrs: { id: 'upload-file-hint' } }, 'MP4, MOV or WebM · vertical looks best · under 2 GB');
    const drop = h(
      'label',
      { class: 'drop', attrs: { for: 'upload-file' } },
      this.fileInput,
      h('span', { class: 'drop-icon', attrs: { 'aria-hidden': 'true' } }, icon('plus')),
      this.fileLabel,
      this.fileHint,
    );
    this.fileInput.addEventListener('change', () => this.onFileChosen(this.fileInput.files?.[0] ?? null));
    drop.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      drop.classList.add('is-over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('is-over'));
    drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('is-over');
      const f = ev.dataTransfer?.files[0];
      if (f) this.onFileChosen(f);
    });

    this.resumeNotice = h('p', { class: 'sheet-notice', attrs: { hidden: true, 'data-testid': 'upload-resume' } });
    this.caption = h('textarea', {
      class: 'input textarea',
      attrs: { id: 'upload-caption', name: 'caption', rows: 3, maxlength: 2200, placeholder: 'Say something about it…', 'data-testid': 'upload-caption' },
    });
    this.captionCount = h('span', { class: 'field-hint counter', attrs: { 'aria-live': 'off' } }, '0 / 2200');
    this.caption.addEventListener('input', () => setText(this.captionCount, `${this.caption.value.length} / 2200`));
    this.formError = h('p', { class: 'form-error', attrs: { role: 'alert', 'data-testid': 'upload-error' } });
    this.submit = h('button', { class: 'btn btn-primary btn-block', attrs: { type: 'submit', disabled: true, 'data-testid': 'upload-submit' } }, 'Upload');
    this.form = h(
      'form',
      { class: 'sheet-form' },
      this.resumeNotice,
      drop,
      h('label', { class: 'field', attrs: { for: 'upload-caption' } }, h('span', { class: 'field-label' }, 'Caption (optional)'), this.caption, this.captionCount),
      this.formError,
      this.submit,
    );
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.start();
    });

    // --- progress
    this.progressTitle = h('p', { class: 'progress-title' });
    this.uploadBar = h('progress', { class: 'bar', attrs: { max: 100, value: 0, 'data-testid': 'upload-progress', 'aria-labelledby': 'upload-bar-label' } });
    this.uploadText = h('span', { class: 'progress-value' });
    this.processingBar = h('progress', {
      class: 'bar',
      attrs: { max: 100, value: 0, 'data-testid': 'processing-progress', 'aria-labelledby': 'processing-bar-label' },
    });
    this.processingText = h('span', { class: 'progress-value' });
    this.processingRow = h(
      'div',
      { class: 'progress-row is-pending' },
      h('div', { class: 'progress-head' }, h('span', { attrs: { id: 'processing-bar-label' } }, 'Processing'), this.processingText),
      this.processingBar,
    );
    this.statusLine = h('p', { class: 'status-line', attrs: { role: 'status', 'data-testid': 'upload-status' } });
    this.progressError = h('p', { class: 'form-error', attrs: { role: 'alert', 'data-testid': 'upload-failure' } });
    this.cancelButton = h('button', { class: 'btn btn-block', attrs: { type: 'button', 'data-testid': 'upload-cancel' } }, 'Cancel upload');
    this.cancelButton.addEventListener('click', () => this.abort?.abort());
    this.watchLink = h('a', { class: 'btn btn-primary btn-block', attrs: { href: '/', 'data-testid': 'upload-watch' } }, icon('play', 'icon icon-fill'), 'Watch it');
    this.watchLink.addEventListener('click', (ev) => {
      if (ev.metaKey || ev.ctrlKey || ev.shiftKey || !this.readyView) return; // new tab: follow the link
      ev.preventDefault();
      const view = this.readyView;
      this.dialog.close();
      this.hooks.onWatch(view);
    });
    this.againButton = h('button', { class: 'btn btn-block', attrs: { type: 'button', 'data-testid': 'upload-another' } }, 'Upload another');
    this.againButton.addEventListener('click', () => this.reset());
    this.retryButton = h('button', { class: 'btn btn-primary btn-block', attrs: { type: 'button', 'data-testid': 'upload-retry' } }, 'Try again');
    this.retryButton.addEventListener('click', () => this.toForm());

    this.progressView = h(
      'div',
      { class: 'sheet-form progress-view', attrs: { hidden: true } },
      this.progressTitle,
      h(
        'div',
        { class: 'progress-row' },
        h('div', { class: 'progress-head' }, h('span', { attrs: { id: 'upload-bar-label' } }, 'Upload'), this.uploadText),
        this.uploadBar,
      ),
      this.processingRow,
      this.statusLine,
      this.progressError,
      this.cancelButton,
      this.watchLink,
      this.retryButton,
      this.againButton,
    );

    const close = h('button', { class: 'round-btn sheet-close', attrs: { type: 'button', 'aria-label': 'Close' } }, icon('close'));
    close.addEventListener('click', () => this.dialog.close());
    this.root = h('div', { class: 'upload-panel', attrs: { 'data-testid': 'upload-panel' } }, this.form, this.progressView);
    this.dialog = h(
      'dialog',
      { class: 'sheet', attrs: { 'aria-labelledby': 'upload-title', 'data-testid': 'upload-dialog' } },
      h('div', { class: 'sheet-head' }, h('h2', { class: 'sheet-title', attrs: { id: 'upload-title' } }, 'Upload a video'), close),
      this.root,
    );
    closeOnBackdrop(this.dialog);
    this.setStage('idle');
  }

  open(): void {
    if (!session.user) {
      this.hooks.requireLogin(() => this.open());
      return;
    }
    if (this.stage === 'idle') this.showResumeNotice();
    if (!this.dialog.open) this.dialog.showModal();
    if (this.stage === 'idle') this.fileInput.focus();
  }

  private showResumeNotice(): void {
    const p = pendingUpload();
    this.resumeNotice.hidden = !p;
    if (p) setText(this.resumeNotice, `Your upload of “${p.name}” didn't finish. Choose the same file to resume where it stopped.`);
  }

  private onFileChosen(file: File | null): void {
    this.file = file;
    setText(this.formError, '');
    if (!file) {
      setText(this.fileLabel, 'Choose a video');
      this.submit.disabled = true;
      return;
    }
    setText(this.fileLabel, file.name);
    setText(this.fileHint, `${formatBytes(file.size)} · tap to choose another`);
    const problem = validateFile(file);
    if (problem) setText(this.formError, problem);
    this.submit.disabled = problem !== null;
  }

  private async start(): Promise<void> {
    const file = this.file;
    const problem = validateFile(file);
    if (problem || !file) {
      setText(this.formError, problem ?? 'Choose a video file first.');
      return;
    }
    if (!session.user) {
      this.hooks.requireLogin(() => this.open());
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.readyView = null;
    this.videoId = null;
    delete this.root.dataset.videoId;
    setText(this.progressTitle, file.name);
    this.setUploadProgress(0, file.size);
    this.setProcessing(null);
    setText(this.progressError, '');
    this.setStage('uploading');
    setText(this.statusLine, 'Uploading…');

    let uploaded: VideoView;
    try {
      uploaded = await uploadVideo(
        file,
        this.caption.value.trim(),
        {
          onCreated: (id, resumed) => {
            this.videoId = id;
            this.root.dataset.videoId = id;
            if (resumed) setText(this.statusLine, 'Resuming your upload…');
          },
          onProgress: (sent, total) => this.setUploadProgress(sent, total),
        },
        abort.signal,
      );
    } catch (err) {
      if (abort.signal.aborted) {
        // Parts already sent stay in storage: choosing the same file resumes.
        this.toForm();
        this.showResumeNotice();
        return;
      }
      if (err instanceof ApiError && err.status === 401) {
        this.toForm();
        this.hooks.requireLogin(() => this.open());
        return;
      }
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) {
        // Refused as asked (type, size, …): back to the form with the server's reason.
        this.toForm();
        setText(this.formError, err.message);
        return;
      }
      this.fail(messageOf(err), 'The upload failed.', true);
      return;
    }
    this.setUploadProgress(file.size, file.size);
    this.setStage('processing');
    this.onVideoUpdate(uploaded);
    if (uploaded.status === 'ready' || uploaded.status === 'failed') return;
    try {
      await followProcessing(uploaded.id, (v) => this.onVideoUpdate(v), abort.signal);
    } catch (err) {
      if (abort.signal.aborted) return;
      this.fail(messageOf(err), "Couldn't follow the processing.", false);
    }
  }

  private onVideoUpdate(v: VideoView): void {
    if (this.stage !== 'processing') return;
    if (v.status === 'failed') {
      this.setProcessing(v.progress);
      this.fail(v.error?.message ?? 'Processing failed.', 'Processing failed.', false);
      return;
    }
    if (v.status === 'ready') {
      this.setProcessing(1);
      this.readyView = v;
      this.watchLink.href = `/?v=${encodeURIComponent(v.id)}`;
      setText(this.statusLine, 'Ready! Your video is live.');
      this.setStage('ready');
      return;
    }
    this.setProcessing(v.status === 'processing' ? v.progress : null);
    if (v.playback?.hls) {
      this.root.dataset.playable = 'true';
      setText(this.statusLine, 'Playable now — finishing the other qualities…');
    } else if (v.status === 'processing') {
      setText(this.statusLine, 'Processing your video…');
    } else {
      setText(this.statusLine, 'Uploaded. Waiting for processing to start…');
    }
  }

  private setUploadProgress(sent: number, total: number): void {
    const pct = total > 0 ? percent(sent / total) : 0;
    this.uploadBar.value = pct;
    this.root.dataset.uploadProgress = String(pct);
    setText(this.uploadText, `${pct}% · ${formatBytes(sent)} of ${formatBytes(total)}`);
    if (this.stage === 'uploading') this.emitActivity();
  }

  /** `null`: processing hasn't started (indeterminate bar). */
  private setProcessing(fraction: number | null): void {
    this.processingRow.classList.toggle('is-pending', fraction === null && this.stage !== 'processing');
    if (fraction === null) {
      this.processingBar.removeAttribute('value'); // indeterminate
      this.root.dataset.processingProgress = '0';
      setText(this.processingText, this.stage === 'processing' ? 'Waiting…' : '');
    } else {
      const pct = percent(fraction);
      this.processingBar.value = pct;
      this.root.dataset.processingProgress = String(pct);
      setText(this.processingText, `${pct}%`);
    }
    if (this.stage === 'processing') this.emitActivity();
  }

  /** `canRetry`: the bytes didn't all get there, so sending the same file again can work (it resumes). */
  private fail(message: string, summary: string, canRetry: boolean): void {
    this.setStage('failed');
    this.retryButton.hidden = !canRetry;
    setText(this.statusLine, summary);
    setText(this.progressError, message);
  }

  private setStage(stage: UploadStage): void {
    this.stage = stage;
    this.root.dataset.stage = stage;
    if (stage !== 'processing' && stage !== 'ready' && stage !== 'failed') delete this.root.dataset.playable;
    const inForm = stage === 'idle';
    this.form.hidden = !inForm;
    this.progressView.hidden = inForm;
    this.cancelButton.hidden = stage !== 'uploading';
    this.watchLink.hidden = stage !== 'ready';
    this.againButton.hidden = stage !== 'ready' && stage !== 'failed';
    this.retryButton.hidden = stage !== 'failed';
    this.processingRow.classList.toggle('is-pending', stage === 'uploading');
    this.progressView.dataset.stage = stage;
    this.emitActivity();
  }

  private emitActivity(): void {
    let label = '';
    if (this.stage === 'uploading') label = `Uploading ${this.uploadBar.value}%`;
    else if (this.stage === 'processing') label = this.processingBar.hasAttribute('value') ? `Processing ${this.processingBar.value}%` : 'Processing…';
    else if (this.stage === 'ready') label = 'Ready';
    else if (this.stage === 'failed') label = 'Upload failed';
    this.hooks.onActivity({ stage: this.stage, label });
  }

  /** Back to the form, keeping the chosen file and caption (after a failure or a cancel). */
  private toForm(): void {
    this.abort = null;
    this.setStage('idle');
    if (this.file) this.onFileChosen(this.file);
  }

  /** A fresh form for the next video. */
  private reset(): void {
    this.abort?.abort();
    this.abort = null;
    this.file = null;
    this.fileInput.value = '';
    this.caption.value = '';
    setText(this.captionCount, '0 / 2200');
    setText(this.fileHint, 'MP4, MOV or WebM · vertical looks best · under 2 GB');
    this.onFileChosen(null);
    this.setStage('idle');
    this.showResumeNotice();
    this.fileInput.focus();
  }

  /** Logging out mid-upload: stop, and forget the resume point (it belongs to that account). */
  signedOut(): void {
    if (this.stage === 'uploading' || this.stage === 'processing') this.abort?.abort();
    forgetPendingUpload();
    this.reset();
    if (this.dialog.open) this.dialog.close();
  }

  get currentVideoId(): string | null {
    return this.videoId;
  }

  get currentStage(): UploadStage {
    return this.stage;
  }
}
