/**
 * The upload studio, rendered by the router at `/upload`: choose or drop a
 * video (checked here first: type, size, length), see it, write a caption with
 * hashtag suggestions, choose who can watch and whether comments are on, pick
 * the cover frame on a scrubber over the local file, post now, schedule it or
 * save it as a draft, then follow the upload (which survives a network drop) and the processing (live,
 * over SSE) until the video is ready. Below: your own videos that are still
 * processing or failed, with the reason.
 *
 * The upload itself lives in a module-level job (upload-job.ts): leaving the
 * page unmounts the view, not the upload; coming back shows it where it is.
 */
import './studio.css';
import { session } from '../api.js';
import { formatBytes, h, icon, percent, setText, toast } from '../dom.js';
import { ACCEPT_ATTRIBUTE, checkFile, formatDuration, LIMITS, loadServerLimits, type CheckResult } from './checks.js';
import { HashtagSuggest } from './hashtag-suggest.js';
import { studioApi, type Visibility, type VideoSettings } from './studio-api.js';
import { forgetPendingUpload, matchesPending, pendingUpload, uploadJob, type JobState } from './upload-job.js';
import { COVER_STEP_MS, formatCoverTime } from '../edit-video-model.js';
import {
  defaultScheduleTime,
  formatWhen,
  fromLocalInput,
  MAX_SCHEDULE_AHEAD_MS,
  publishFields,
  scheduleProblem,
  toLocalInput,
  type PublishMode,
} from './publish-model.js';
import { YourVideos } from './your-videos.js';
import { MAX_CAPTION, VISIBILITIES } from '../video-options.js';

export interface StudioContext {
  /** Asks the person to log in or sign up, then calls `then`. */
  requireLogin: (then: () => void) => void;
  /** Shows a video (its page is `/v/{id}`). */
  onOpenVideo: (videoId: string) => void;
}

/** What was chosen in the form; kept across visits like the upload itself. */
interface Draft {
  file: File | null;
  previewUrl: string | null;
  check: CheckResult | null;
  caption: string;
  visibility: Visibility;
  commentsEnabled: boolean;
  /** Post now, at a time, or save as a draft. */
  publishMode: PublishMode;
  scheduledAt: number | null;
  /** The cover frame picked on the scrubber (ms), or null: the automatic one. */
  coverMs: number | null;
}

/** What a new video starts with. */
const DEFAULT_SETTINGS: Readonly<VideoSettings> = { caption: '', visibility: 'public', commentsEnabled: true };
const DEFAULT_PUBLISHING = { publishMode: 'now' as PublishMode, scheduledAt: null, coverMs: null };

const draft: Draft = { file: null, previewUrl: null, check: null, ...DEFAULT_SETTINGS, ...DEFAULT_PUBLISHING };
/** Whose draft it is: another account signing in on this tab starts from a clean form. */
let draftOwner: string | null = null;

function clearDraftFile(): void {
  if (draft.previewUrl) URL.revokeObjectURL(draft.previewUrl);
  draft.file = null;
  draft.previewUrl = null;
  draft.check = null;
  // A cover belongs to its file.
  draft.coverMs = null;
}

/** Mounts the studio into `container`; the cleanup unmounts it (an upload in flight keeps going). */
export function mountStudio(container: HTMLElement, ctx: StudioContext): () => void {
  const view = new StudioView(ctx);
  container.replaceChildren(view.el);
  view.start();
  return () => {
    view.destroy();
    view.el.remove();
  };
}

let checkSeq = 0;

class StudioView {
  readonly el: HTMLElement;
  private readonly cleanups: Array<() => void> = [];
  private yourVideos: YourVideos | null = null;

  // sign-in
  private readonly signIn: HTMLElement;
  private readonly main: HTMLElement;
  // form
  private readonly form: HTMLFormElement;
  private readonly resume: HTMLElement;
  private readonly resumeText: HTMLElement;
  private readonly fileInput: HTMLInputElement;
  private readonly drop: HTMLElement;
  private readonly dropTitle: HTMLElement;
  private readonly fileError: HTMLElement;
  private readonly fileWarning: HTMLElement;
  private readonly preview: HTMLElement;
  private readonly previewVideo: HTMLVideoElement;
  private readonly previewMeta: HTMLElement;
  private readonly caption: HTMLTextAreaElement;
  private readonly captionCount: HTMLElement;
  private readonly suggest: HashtagSuggest;
  private readonly comments: HTMLInputElement;
  private readonly cover: HTMLElement;
  private readonly coverVideo: HTMLVideoElement;
  private readonly coverRange: HTMLInputElement;
  private readonly coverTime: HTMLOutputElement;
  private readonly whenTime: HTMLElement;
  private readonly whenInput: HTMLInputElement;
  private readonly whenError: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly formError: HTMLElement;
  // job
  private readonly job: HTMLElement;
  private readonly jobTitle: HTMLElement;
  private readonly uploadBar: HTMLProgressElement;
  private readonly uploadText: HTMLElement;
  private readonly processingRow: HTMLElement;
  private readonly processingBar: HTMLProgressElement;
  private readonly processingText: HTMLElement;
  private readonly statusLine: HTMLElement;
  private readonly jobError: HTMLElement;
  private readonly cancelBtn: HTMLButtonElement;
  private readonly retryBtn: HTMLButtonElement;
  private readonly watchLink: HTMLAnchorElement;
  private readonly anotherBtn: HTMLButtonElement;
  private lastPhase: JobState['phase'] | null = null;
  private lastVideoId: string | null = null;

  constructor(private readonly ctx: StudioContext) {
    // ----- signed out
    const loginBtn = h(
      'button',
      { class: 'btn btn-primary', attrs: { type: 'button', 'data-testid': 'studio-login' } },
      'Log in or sign up',
    );
    loginBtn.addEventListener('click', () => this.ctx.requireLogin(() => this.renderSession()));
    this.signIn = h(
      'div',
      { class: 'studio-card studio-signin', attrs: { hidden: true } },
      h('p', {}, 'Log in to post videos. It takes a few seconds to sign up.'),
      loginBtn,
    );

    // ----- resume notice
    this.resumeText = h('span', {});
    const discard = h('button', { class: 'btn btn-small', attrs: { type: 'button', 'data-testid': 'studio-resume-discard' } }, 'Discard');
    discard.addEventListener('click', () => void this.discardPending());
    this.resume = h(
      'div',
      { class: 'studio-notice', attrs: { hidden: true, 'data-testid': 'studio-resume', role: 'status' } },
      icon('refresh'),
      this.resumeText,
      discard,
    );

    // ----- file
    this.fileInput = h('input', {
      class: 'visually-hidden',
      attrs: {
        id: 'studio-file',
        type: 'file',
        accept: ACCEPT_ATTRIBUTE,
        'data-testid': 'studio-file',
        'aria-describedby': 'studio-file-hint studio-file-error studio-file-warning',
      },
    });
    this.fileInput.addEventListener('change', () => {
      const f = this.fileInput.files?.[0];
      if (f) void this.choose(f);
    });
    this.dropTitle = h('span', { class: 'drop-title' }, 'Choose a video or drop it here');
    const hintText = () =>
      `MP4, MOV, WebM or MKV · up to ${formatDuration(LIMITS.maxDurationSec)} and ${formatBytes(LIMITS.maxBytes)} · vertical looks best`;
    const hint = h('span', { class: 'drop-hint', attrs: { id: 'studio-file-hint' } }, hintText());
    void loadServerLimits().then(() => setText(hint, hintText()));
    this.drop = h(
      'label',
      { class: 'drop studio-drop', attrs: { for: 'studio-file', 'data-testid': 'studio-drop' } },
      this.fileInput,
      h('span', { class: 'drop-icon', attrs: { 'aria-hidden': 'true' } }, icon('plus')),
      this.dropTitle,
      hint,
    );
    this.drop.addEventListener('dragenter', (ev) => {
      ev.preventDefault();
      this.drop.classList.add('is-over');
    });
    this.drop.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy';
      this.drop.classList.add('is-over');
    });
    this.drop.addEventListener('dragleave', (ev) => {
      if (!this.drop.contains(ev.relatedTarget as Node | null)) this.drop.classList.remove('is-over');
    });
    this.drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      this.drop.classList.remove('is-over');
      const f = ev.dataTransfer?.files[0];
      if (f) void this.choose(f);
    });
    this.fileError = h('p', { class: 'form-error', attrs: { id: 'studio-file-error', role: 'alert', 'data-testid': 'studio-file-error' } });
    this.fileWarning = h('p', {
      class: 'studio-warning',
      attrs: { id: 'studio-file-warning', role: 'status', 'data-testid': 'studio-file-warning' },
    });

    // ----- preview
    this.previewVideo = h('video', {
      class: 'studio-preview-video',
      attrs: {
        muted: true,
        playsinline: true,
        controls: true,
        preload: 'metadata',
        'aria-label': 'Preview of the chosen video',
        'data-testid': 'studio-preview',
      },
    });
    this.previewVideo.muted = true;
    this.previewMeta = h('figcaption', { class: 'studio-preview-meta', attrs: { 'data-testid': 'studio-file-meta' } });
    const change = h(
      'button',
      { class: 'btn btn-small', attrs: { type: 'button', 'data-testid': 'studio-change-file' } },
      'Choose another',
    );
    change.addEventListener('click', () => this.fileInput.click());
    const remove = h('button', { class: 'btn btn-small', attrs: { type: 'button', 'data-testid': 'studio-remove-file' } }, 'Remove');
    remove.addEventListener('click', () => {
      clearDraftFile();
      this.fileInput.value = '';
      this.renderFile();
      this.fileInput.focus();
    });
    this.preview = h(
      'figure',
      { class: 'studio-preview', attrs: { hidden: true } },
      h('div', { class: 'studio-preview-frame' }, this.previewVideo),
      h('div', { class: 'studio-preview-side' }, this.previewMeta, h('div', { class: 'studio-preview-actions' }, change, remove)),
    );

    // ----- caption
    this.caption = h('textarea', {
      class: 'input textarea',
      attrs: {
        id: 'studio-caption',
        name: 'caption',
        rows: 3,
        maxlength: MAX_CAPTION,
        placeholder: 'Describe your video. Add #hashtags and @mentions',
        'aria-describedby': 'studio-caption-hint',
        'data-testid': 'studio-caption',
      },
    });
    this.caption.value = draft.caption;
    this.captionCount = h('span', { class: 'field-hint counter', attrs: { 'aria-live': 'off' } });
    this.caption.addEventListener('input', () => {
      draft.caption = this.caption.value;
      this.renderCount();
    });
    this.suggest = new HashtagSuggest(this.caption);
    const captionField = h(
      'div',
      { class: 'field' },
      h('label', { class: 'field-label', attrs: { for: 'studio-caption' } }, 'Caption'),
      h('div', { class: 'studio-combo' }, this.caption, ...this.suggest.elements),
      h(
        'div',
        { class: 'studio-caption-foot' },
        h('span', { class: 'field-hint', attrs: { id: 'studio-caption-hint' } }, 'Type # for hashtag suggestions'),
        this.captionCount,
      ),
    );

    // ----- privacy and comments
    const radios = VISIBILITIES.map((v) => {
      const input = h('input', {
        class: 'studio-radio-input',
        attrs: {
          type: 'radio',
          name: 'visibility',
          value: v.value,
          id: `studio-vis-${v.value}`,
          'data-testid': `studio-visibility-${v.value}`,
        },
      });
      input.checked = draft.visibility === v.value;
      input.addEventListener('change', () => {
        if (input.checked) draft.visibility = v.value;
      });
      return h(
        'label',
        { class: 'studio-radio', attrs: { for: `studio-vis-${v.value}` } },
        input,
        h('span', { class: 'studio-radio-label' }, v.label),
        h('span', { class: 'studio-radio-hint' }, v.hint),
      );
    });
    const privacy = h(
      'fieldset',
      { class: 'studio-fieldset' },
      h('legend', { class: 'field-label' }, 'Who can watch'),
      h('div', { class: 'studio-radios' }, ...radios),
    );
    this.comments = h('input', {
      class: 'studio-switch-input',
      attrs: { type: 'checkbox', id: 'studio-comments', 'data-testid': 'studio-comments' },
    });
    this.comments.checked = draft.commentsEnabled;
    this.comments.addEventListener('change', () => (draft.commentsEnabled = this.comments.checked));
    const commentsRow = h(
      'label',
      { class: 'studio-switch', attrs: { for: 'studio-comments' } },
      h(
        'span',
        {},
        h('span', { class: 'studio-switch-title' }, 'Allow comments'),
        h('span', { class: 'studio-radio-hint' }, 'You can change this later'),
      ),
      this.comments,
      h('span', { class: 'studio-switch-track', attrs: { 'aria-hidden': 'true' } }),
    );

    // ----- cover: a scrubber over the local file, the frame it lands on beside it
    this.coverVideo = h('video', {
      attrs: { muted: true, playsinline: true, preload: 'auto', 'aria-hidden': 'true', 'data-testid': 'studio-cover-preview' },
    });
    this.coverVideo.muted = true;
    this.coverTime = h('output', { class: 'field-hint', attrs: { for: 'studio-cover', 'data-testid': 'studio-cover-time' } });
    this.coverRange = h('input', {
      class: 'studio-cover-range',
      attrs: {
        type: 'range',
        id: 'studio-cover',
        min: 0,
        step: COVER_STEP_MS,
        'aria-labelledby': 'studio-cover-label',
        'data-testid': 'studio-cover',
      },
    });
    this.coverRange.addEventListener('input', () => {
      draft.coverMs = Number(this.coverRange.value);
      this.renderCover();
    });
    this.coverVideo.addEventListener('loadedmetadata', () => this.renderCover());
    this.coverVideo.addEventListener(
      'seeked',
      () => (this.coverVideo.dataset.frameAt = String(Math.round(this.coverVideo.currentTime * 1000))),
    );
    const coverReset = h('button', { class: 'btn btn-small', attrs: { type: 'button', 'data-testid': 'studio-cover-reset' } }, 'Automatic');
    coverReset.addEventListener('click', () => {
      draft.coverMs = null;
      this.renderCover();
    });
    this.cover = h(
      'div',
      { class: 'field studio-cover', attrs: { hidden: true, 'data-testid': 'studio-cover-picker' } },
      h('span', { class: 'field-label', attrs: { id: 'studio-cover-label' } }, 'Cover'),
      h(
        'div',
        { class: 'studio-cover-row' },
        h('div', { class: 'studio-cover-frame' }, this.coverVideo),
        h(
          'div',
          { class: 'studio-cover-controls' },
          this.coverRange,
          h(
            'div',
            { class: 'studio-cover-foot' },
            h('span', { class: 'field-hint' }, 'Slide to pick the frame people see first'),
            this.coverTime,
          ),
          h('div', {}, coverReset),
        ),
      ),
    );

    // ----- when: now, at a time, or a draft
    const modes: Array<{ value: PublishMode; label: string; hint: string }> = [
      { value: 'now', label: 'Post now', hint: 'As soon as it is processed' },
      { value: 'schedule', label: 'Schedule', hint: 'Goes out at the time you choose' },
      { value: 'draft', label: 'Save as draft', hint: 'Only you can see it until you publish it' },
    ];
    const whenRadios = modes.map((m) => {
      const input = h('input', {
        class: 'studio-radio-input',
        attrs: {
          type: 'radio',
          name: 'publish-mode',
          value: m.value,
          id: `studio-when-${m.value}`,
          'data-testid': `studio-when-${m.value}`,
        },
      });
      input.checked = draft.publishMode === m.value;
      input.addEventListener('change', () => {
        if (!input.checked) return;
        draft.publishMode = m.value;
        if (m.value === 'schedule' && draft.scheduledAt === null) draft.scheduledAt = defaultScheduleTime(Date.now());
        this.renderWhen();
        if (m.value === 'schedule') this.whenInput.focus();
      });
      return h(
        'label',
        { class: 'studio-radio', attrs: { for: `studio-when-${m.value}` } },
        input,
        h('span', { class: 'studio-radio-label' }, m.label),
        h('span', { class: 'studio-radio-hint' }, m.hint),
      );
    });
    this.whenInput = h('input', {
      class: 'input',
      attrs: { type: 'datetime-local', id: 'studio-when-at', 'data-testid': 'studio-when-at', 'aria-describedby': 'studio-when-error' },
    });
    this.whenInput.addEventListener('input', () => {
      draft.scheduledAt = fromLocalInput(this.whenInput.value);
      setText(this.whenError, '');
    });
    this.whenError = h('p', { class: 'form-error', attrs: { id: 'studio-when-error', role: 'alert', 'data-testid': 'studio-when-error' } });
    this.whenTime = h(
      'div',
      { class: 'studio-when-time', attrs: { hidden: true } },
      h('label', { class: 'field-label', attrs: { for: 'studio-when-at' } }, 'Publish at'),
      this.whenInput,
      this.whenError,
    );
    const when = h(
      'fieldset',
      { class: 'studio-fieldset studio-when' },
      h('legend', { class: 'field-label' }, 'When'),
      h('div', { class: 'studio-radios' }, ...whenRadios),
      this.whenTime,
    );

    this.formError = h('p', { class: 'form-error', attrs: { role: 'alert', 'data-testid': 'studio-form-error' } });
    this.submit = h('button', { class: 'btn btn-primary btn-block', attrs: { type: 'submit', 'data-testid': 'studio-submit' } }, 'Post');
    this.form = h(
      'form',
      { class: 'studio-card studio-form', attrs: { 'aria-label': 'New video', novalidate: true } },
      this.resume,
      this.drop,
      this.fileError,
      this.fileWarning,
      this.preview,
      this.cover,
      captionField,
      privacy,
      commentsRow,
      when,
      this.formError,
      this.submit,
    );
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.post();
    });

    // ----- the upload in progress
    this.jobTitle = h('h2', { class: 'studio-h2 studio-job-title', attrs: { tabindex: -1, 'data-testid': 'studio-job-title' } });
    this.uploadBar = h('progress', {
      class: 'bar',
      attrs: { max: 100, value: 0, 'aria-labelledby': 'studio-upload-label', 'data-testid': 'studio-upload-progress' },
    });
    this.uploadText = h('span', { class: 'progress-value', attrs: { 'data-testid': 'studio-upload-text' } });
    this.processingBar = h('progress', {
      class: 'bar bar-processing',
      attrs: { max: 100, 'aria-labelledby': 'studio-processing-label', 'data-testid': 'studio-processing-progress' },
    });
    this.processingText = h('span', { class: 'progress-value' });
    this.processingRow = h(
      'div',
      { class: 'progress-row' },
      h('div', { class: 'progress-head' }, h('span', { attrs: { id: 'studio-processing-label' } }, 'Processing'), this.processingText),
      this.processingBar,
    );
    this.statusLine = h('p', { class: 'status-line', attrs: { role: 'status', 'data-testid': 'studio-status' } });
    this.jobError = h('p', { class: 'form-error studio-job-error', attrs: { role: 'alert', 'data-testid': 'studio-error' } });
    this.cancelBtn = h('button', { class: 'btn btn-block', attrs: { type: 'button', 'data-testid': 'studio-cancel' } }, 'Cancel upload');
    this.cancelBtn.addEventListener('click', () => uploadJob.cancel());
    this.retryBtn = h(
      'button',
      { class: 'btn btn-primary btn-block', attrs: { type: 'button', 'data-testid': 'studio-retry' } },
      icon('refresh'),
      'Try again',
    );
    this.retryBtn.addEventListener('click', () => uploadJob.retry());
    this.watchLink = h(
      'a',
      { class: 'btn btn-primary btn-block', attrs: { href: '/', 'data-testid': 'studio-watch' } },
      icon('play', 'icon icon-fill'),
      'Watch your video',
    );
    this.watchLink.addEventListener('click', (ev) => {
      const id = uploadJob.state.videoId;
      if (!id || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return; // new tab: follow the link
      ev.preventDefault();
      this.ctx.onOpenVideo(id);
    });
    this.anotherBtn = h(
      'button',
      { class: 'btn btn-block', attrs: { type: 'button', 'data-testid': 'studio-another' } },
      'Post another video',
    );
    this.anotherBtn.addEventListener('click', () => {
      uploadJob.reset();
      // A new video starts from a clean form: what was typed and chosen for the last one
      // stays with it (left in place, the next caption ran into the old one).
      this.clearForm();
      this.fileInput.focus();
    });
    this.job = h(
      'section',
      { class: 'studio-card studio-job', attrs: { hidden: true, 'aria-labelledby': 'studio-job-title', 'data-testid': 'studio-job' } },
      this.jobTitle,
      h(
        'div',
        { class: 'progress-row' },
        h('div', { class: 'progress-head' }, h('span', { attrs: { id: 'studio-upload-label' } }, 'Upload'), this.uploadText),
        this.uploadBar,
      ),
      this.processingRow,
      this.statusLine,
      this.jobError,
      h('div', { class: 'studio-job-actions' }, this.watchLink, this.retryBtn, this.cancelBtn, this.anotherBtn),
    );
    this.jobTitle.id = 'studio-job-title';

    this.main = h('div', { class: 'studio-main' }, this.job, this.form);
    this.el = h(
      'div',
      // The router's page supplies the header (back, title); this is the page's body.
      { class: 'studio', attrs: { 'data-testid': 'studio' } },
      h('div', { class: 'studio-inner' }, this.signIn, this.main),
    );
    // A file dropped beside the zone must not make the browser navigate away to it.
    const swallow = (ev: DragEvent) => {
      if (ev.dataTransfer?.types.includes('Files')) ev.preventDefault();
    };
    this.el.addEventListener('dragover', swallow);
    this.el.addEventListener('drop', swallow);
  }

  start(): void {
    this.cleanups.push(uploadJob.subscribe((s) => this.renderJob(s)));
    this.cleanups.push(session.subscribe(() => this.renderSession()));
    this.renderSession();
    this.renderFile();
    this.renderCount();
    this.renderWhen();
    this.renderJob(uploadJob.state);
  }

  destroy(): void {
    for (const fn of this.cleanups.splice(0)) fn();
    this.yourVideos?.destroy();
    this.yourVideos = null;
    this.suggest.close();
    this.previewVideo.pause();
    this.previewVideo.removeAttribute('src');
    this.coverVideo.removeAttribute('src');
  }

  private renderSession(): void {
    const user = session.user;
    if (user && draftOwner !== user.id) {
      if (draftOwner !== null) this.clearForm();
      draftOwner = user.id;
    }
    this.signIn.hidden = !!user;
    this.main.hidden = !user;
    this.el.dataset.signedIn = String(!!user);
    if (user && !this.yourVideos) {
      this.yourVideos = new YourVideos((id) => this.ctx.onOpenVideo(id));
      this.main.append(this.yourVideos.el);
      void this.yourVideos.load();
    } else if (!user && this.yourVideos) {
      this.yourVideos.destroy();
      this.yourVideos.el.remove();
      this.yourVideos = null;
    }
    this.renderResume();
  }

  private clearForm(): void {
    clearDraftFile();
    this.fileInput.value = '';
    this.suggest.close();
    setText(this.formError, '');
    this.applySettings({ ...DEFAULT_SETTINGS });
    Object.assign(draft, DEFAULT_PUBLISHING);
    const now = this.form.querySelector<HTMLInputElement>('input[name="publish-mode"][value="now"]');
    if (now) now.checked = true;
    this.renderWhen();
    this.renderFile();
  }

  private renderCount(): void {
    setText(this.captionCount, `${this.caption.value.length} / ${MAX_CAPTION}`);
  }

  private renderResume(): void {
    const p = session.user && !uploadJob.busy ? pendingUpload() : null;
    this.resume.hidden = !p;
    if (!p) return;
    const pct = p.sent ? ` (${percent(p.sent / p.size)}% sent)` : '';
    if (draft.file && matchesPending(p, draft.file)) {
      setText(this.resumeText, `That's the file from your unfinished upload${pct}: posting it continues where it stopped.`);
    } else {
      setText(this.resumeText, `Your upload of “${p.name}”${pct} didn't finish. Choose the same file to continue where it stopped.`);
    }
  }

  private async discardPending(): Promise<void> {
    const p = pendingUpload();
    forgetPendingUpload();
    this.renderResume();
    if (!p) return;
    try {
      await studioApi.deleteVideo(p.videoId);
    } catch {
      // Already gone, or the server will expire the unfinished upload itself.
    }
    void this.yourVideos?.load();
  }

  /** A file was picked or dropped: check it, show it. */
  private async choose(file: File): Promise<void> {
    clearDraftFile();
    draft.file = file;
    draft.previewUrl = URL.createObjectURL(file);
    setText(this.formError, '');
    // Picking the file of an unfinished upload brings back what was chosen for it.
    const p = pendingUpload();
    if (matchesPending(p, file) && p.settings && !this.caption.value.trim()) this.applySettings(p.settings);
    this.renderFile();
    const seq = ++checkSeq;
    const result = await checkFile(file, draft.previewUrl);
    if (seq !== checkSeq || draft.file !== file) return; // another file was chosen meanwhile
    draft.check = result;
    this.renderFile();
  }

  private applySettings(s: VideoSettings): void {
    draft.caption = s.caption;
    draft.visibility = s.visibility;
    draft.commentsEnabled = s.commentsEnabled;
    this.caption.value = s.caption;
    this.comments.checked = s.commentsEnabled;
    const radio = this.form.querySelector<HTMLInputElement>(`input[name="visibility"][value="${s.visibility}"]`);
    if (radio) radio.checked = true;
    this.renderCount();
  }

  private renderFile(): void {
    const { file, check } = draft;
    const checking = !!file && !check;
    const ok = !!file && check?.ok === true;
    this.el.dataset.fileState = !file ? 'none' : checking ? 'checking' : ok ? 'ok' : 'refused';
    setText(this.fileError, check && !check.ok ? check.error : '');
    setText(this.fileWarning, check?.ok && check.warning ? check.warning : '');
    this.fileWarning.hidden = !(check?.ok && check.warning);
    this.drop.hidden = ok;
    setText(this.dropTitle, file && !ok ? 'Choose another video or drop it here' : 'Choose a video or drop it here');
    this.preview.hidden = !ok;
    if (ok && file && draft.previewUrl) {
      if (this.previewVideo.getAttribute('src') !== draft.previewUrl) this.previewVideo.src = draft.previewUrl;
      const info = check.ok ? check.info : null;
      const bits = [formatBytes(file.size)];
      if (info?.durationSec) bits.push(formatDuration(info.durationSec));
      if (info && info.width > 0) bits.push(`${info.width}×${info.height}`);
      this.previewMeta.replaceChildren(h('strong', { class: 'studio-file-name' }, file.name), h('span', {}, bits.join(' · ')));
      // Nothing to show for a file this browser can't read, or whose picture it can't decode: just what is known.
      this.preview.classList.toggle('is-unplayable', !info || info.width === 0);
    } else if (this.previewVideo.hasAttribute('src')) {
      this.previewVideo.removeAttribute('src');
      this.previewVideo.load();
    }
    // The cover picker needs a picture this browser decodes and a known length.
    const info = ok && check.ok ? check.info : null;
    const coverable = !!info && info.width > 0 && !!info.durationSec && info.durationSec > 0 && !!draft.previewUrl;
    this.cover.hidden = !coverable;
    if (coverable) {
      this.coverRange.max = String(Math.max(0, Math.floor(info.durationSec! * 1000) - 1));
      if (this.coverVideo.getAttribute('src') !== draft.previewUrl) this.coverVideo.src = draft.previewUrl!;
      this.renderCover();
    } else {
      draft.coverMs = null;
      if (this.coverVideo.hasAttribute('src')) {
        this.coverVideo.removeAttribute('src');
        this.coverVideo.load();
      }
    }
    this.submit.disabled = !ok;
    setText(this.submit, checking ? 'Checking the file…' : this.submitLabel());
    this.renderResume();
  }

  private submitLabel(): string {
    return draft.publishMode === 'draft' ? 'Save draft' : draft.publishMode === 'schedule' ? 'Schedule' : 'Post';
  }

  /** The frame the scrubber is on: its time, and the small preview seeked there. */
  private renderCover(): void {
    const max = Number(this.coverRange.max) || 0;
    // Until a frame is picked, the scrubber sits where processing would take the automatic cover.
    const auto = max >= 2000 ? 1000 : Math.floor(max / 2);
    const ms = Math.min(draft.coverMs ?? auto, max);
    this.coverRange.value = String(ms);
    const label = draft.coverMs === null ? `Automatic (${formatCoverTime(ms)})` : formatCoverTime(ms);
    setText(this.coverTime, label);
    this.coverRange.setAttribute('aria-valuetext', label);
    this.cover.dataset.chosen = String(draft.coverMs !== null);
    if (this.coverVideo.readyState >= HTMLMediaElement.HAVE_METADATA) this.coverVideo.currentTime = ms / 1000;
  }

  private renderWhen(): void {
    this.whenTime.hidden = draft.publishMode !== 'schedule';
    const now = Date.now();
    this.whenInput.min = toLocalInput(now);
    this.whenInput.max = toLocalInput(now + MAX_SCHEDULE_AHEAD_MS);
    if (draft.publishMode === 'schedule' && draft.scheduledAt !== null) this.whenInput.value = toLocalInput(draft.scheduledAt);
    setText(this.whenError, '');
    if (!this.submit.disabled) setText(this.submit, this.submitLabel());
  }

  private post(): void {
    if (!session.user) {
      this.ctx.requireLogin(() => this.renderSession());
      return;
    }
    const { file, check } = draft;
    if (!file || !check?.ok) {
      setText(this.formError, file ? 'This file can’t be posted; choose another.' : 'Choose a video first.');
      return;
    }
    if (uploadJob.busy) return;
    if (draft.publishMode === 'schedule') {
      const problem = scheduleProblem(draft.scheduledAt, Date.now());
      if (problem) {
        setText(this.whenError, problem);
        this.whenInput.focus();
        return;
      }
    }
    this.suggest.close();
    uploadJob.start(file, {
      caption: this.caption.value.trim(),
      visibility: draft.visibility,
      commentsEnabled: this.comments.checked,
      ...publishFields(draft.publishMode, draft.scheduledAt),
      ...(draft.coverMs !== null ? { coverTimeMs: draft.coverMs } : {}),
    });
    if (draft.publishMode === 'schedule' && draft.scheduledAt !== null)
      toast(`Will be published ${formatWhen(new Date(draft.scheduledAt).toISOString())}.`);
    this.jobTitle.focus();
  }

  private renderJob(s: JobState): void {
    const active = s.phase !== 'idle';
    this.job.hidden = !active;
    this.form.hidden = active;
    const d = this.job.dataset;
    d.phase = s.phase;
    if (s.videoId) d.videoId = s.videoId;
    else delete d.videoId;
    const upPct = s.total > 0 ? percent(s.sent / s.total) : 0;
    d.uploadProgress = String(upPct);
    d.processingProgress = String(s.processing === null ? 0 : percent(s.processing));
    d.playable = String(s.playable);
    d.resumed = String(s.resumed);

    setText(this.jobTitle, s.fileName);
    this.uploadBar.value = upPct;
    setText(this.uploadText, s.total > 0 ? `${upPct}% · ${formatBytes(s.sent)} of ${formatBytes(s.total)}` : '');
    const processingStarted = s.phase === 'processing' || s.phase === 'ready' || (s.phase === 'failed' && !!s.video);
    this.processingRow.classList.toggle('is-pending', !processingStarted);
    if (s.processing === null) {
      this.processingBar.removeAttribute('value'); // indeterminate
      setText(this.processingText, s.phase === 'processing' ? 'Waiting…' : '');
      if (!processingStarted) this.processingBar.value = 0;
    } else {
      this.processingBar.value = percent(s.processing);
      setText(this.processingText, `${percent(s.processing)}%`);
    }
    setText(this.statusLine, s.message);
    this.statusLine.classList.toggle('is-warning', s.phase === 'reconnecting');
    if (s.error) this.jobError.replaceChildren(h('strong', {}, s.error.title), s.error.text ? ` ${s.error.text}` : '');
    else this.jobError.replaceChildren();

    this.cancelBtn.hidden = s.phase !== 'uploading' && s.phase !== 'reconnecting';
    this.retryBtn.hidden = !(s.phase === 'failed' && s.error?.canRetry);
    this.watchLink.hidden = s.phase !== 'ready';
    if (s.videoId) this.watchLink.href = `/v/${encodeURIComponent(s.videoId)}`;
    this.anotherBtn.hidden = s.phase !== 'ready' && s.phase !== 'failed';

    // The list shows the new video as soon as it exists, with the progress shown here.
    if (s.video) this.yourVideos?.sync(s.video);
    if (s.videoId && s.videoId !== this.lastVideoId) void this.yourVideos?.load();
    this.lastVideoId = s.videoId;
    if (s.phase !== this.lastPhase) {
      const was = this.lastPhase;
      this.lastPhase = s.phase;
      // ...and where it ended up.
      if (was !== null && (s.phase === 'processing' || s.phase === 'ready' || s.phase === 'failed')) void this.yourVideos?.load();
      if ((was === 'uploading' || was === 'reconnecting') && s.phase === 'idle') {
        toast('Upload cancelled. Choose the same file to continue it later.');
        void this.yourVideos?.load();
      }
      if (s.phase === 'idle') this.renderResume();
      if (was !== null && s.phase === 'ready') this.watchLink.focus({ preventScroll: false });
    }
  }
}
