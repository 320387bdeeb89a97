/**
 * "Your videos": the signed-in person's unfinished, processing and failed
 * videos (with the reason in plain words), their drafts and scheduled ones
 * (publish now, schedule, reschedule, back to draft), then the most recent
 * published ones, each with its stats (views, likes, comments, shares,
 * average watch time). Refreshed while something is still processing, and
 * whenever the studio's own upload moves on.
 */
import { archiveBadge, archiveControls, archiveNote } from '../archive/studio-archive.js';
import { messageOf, session } from '../api.js';
import { h, icon, percent, setText, toast } from '../dom.js';
import { creatorStatsList } from './creator-stats.js';
import { formatAge } from './format.js';
import { defaultScheduleTime, formatWhen, fromLocalInput, scheduleProblem, toLocalInput } from './publish-model.js';
import { failureReason } from './reasons.js';
import { studioApi, type CreatorStats, type StudioVideo } from './studio-api.js';
import { forgetPendingUpload, pendingUpload, uploadJob } from './upload-job.js';

const RECENT_READY = 6;
const POLL_MS = 4000;

const VISIBILITY_LABEL: Record<string, string> = {
  public: 'Public',
  unlisted: 'Unlisted',
  followers: 'Followers',
  private: 'Private',
};

export class YourVideos {
  readonly el: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly status: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private loading: AbortController | null = null;
  private destroyed = false;
  private videos: StudioVideo[] = [];
  private readonly stats = new Map<string, CreatorStats>();

  constructor(private readonly onOpenVideo: (id: string) => void) {
    this.list = h('ul', { class: 'yv-list', attrs: { 'data-testid': 'your-videos-list' } });
    this.status = h('p', { class: 'yv-status', attrs: { role: 'status' } });
    const refresh = h(
      'button',
      { class: 'btn btn-small', attrs: { type: 'button', 'data-testid': 'your-videos-refresh' } },
      icon('refresh'),
      'Refresh',
    );
    refresh.addEventListener('click', () => void this.load());
    this.el = h(
      'section',
      { class: 'studio-card yv', attrs: { 'aria-labelledby': 'yv-title', 'data-testid': 'your-videos' } },
      h(
        'div',
        { class: 'yv-head' },
        h('h2', { class: 'studio-h2', attrs: { id: 'yv-title' } }, 'Your videos'),
        h(
          'div',
          { class: 'yv-head-actions' },
          h('a', { class: 'btn btn-small', attrs: { href: '/studio/analytics', 'data-testid': 'open-analytics' } }, 'Analytics'),
          refresh,
        ),
      ),
      this.status,
      this.list,
    );
  }

  async load(): Promise<void> {
    clearTimeout(this.timer);
    const user = session.user;
    if (!user || this.destroyed) return;
    this.loading?.abort();
    const controller = new AbortController();
    this.loading = controller;
    if (this.videos.length === 0) setText(this.status, 'Loading…');
    try {
      const page = await studioApi.ownVideos(30, controller.signal);
      if (controller.signal.aborted || this.destroyed) return;
      this.stats.clear();
      for (const v of page.items) this.stats.set(v.id, v.creatorStats);
      this.videos = page.items;
      this.render();
    } catch (err) {
      if (controller.signal.aborted || this.destroyed) return;
      setText(this.status, `Couldn't load your videos: ${messageOf(err)}`);
    }
    if (this.destroyed) return;
    // Keep following while something is on its way (or about to go out).
    const soon = this.videos.some((v) => v.publication === 'scheduled' && v.publishAt && Date.parse(v.publishAt) - Date.now() < 60_000);
    if (soon || this.videos.some((v) => v.status === 'processing' || v.status === 'uploaded' || v.status === 'restoring')) {
      this.timer = setTimeout(() => void this.load(), POLL_MS);
    }
  }

  destroy(): void {
    this.destroyed = true;
    clearTimeout(this.timer);
    this.loading?.abort();
  }

  /**
   * The studio's own upload moved on (its status stream is live; this list
   * polls): its row shows the same status and progress as the main card.
   */
  sync(v: StudioVideo): void {
    const i = this.videos.findIndex((x) => x.id === v.id);
    if (i < 0 || this.destroyed) return;
    const merged = fresher(this.videos[i]!, v);
    if (merged === this.videos[i]) return;
    this.videos[i] = merged;
    const old = this.list.querySelector<HTMLElement>(`[data-testid="your-video"][data-video-id="${CSS.escape(v.id)}"]`);
    // Only its row changes while it processes (a delete being confirmed on another row stays open).
    if (merged.status === 'processing' && old?.dataset.status === 'processing') old.replaceWith(this.item(merged));
    else this.render();
  }

  private render(): void {
    // A poll answered after the live stream moved on must not take the studio's own video backwards.
    const live = uploadJob.state.video;
    if (live) this.videos = this.videos.map((v) => (v.id === live.id ? fresher(v, live) : v));
    // Everything not out yet (processing, failed, drafts, scheduled), then the latest published ones.
    const unfinished = this.videos.filter((v) => v.status !== 'ready' || v.publication !== undefined);
    const ready = this.videos.filter((v) => v.status === 'ready' && v.publication === undefined).slice(0, RECENT_READY);
    const shown = [...unfinished, ...ready];
    this.el.dataset.count = String(shown.length);
    setText(this.status, shown.length === 0 ? 'Nothing here yet — your uploads will show up here while they process.' : '');
    this.list.replaceChildren(...shown.map((v) => this.item(v)));
  }

  private item(v: StudioVideo): HTMLElement {
    const sendingNow = v.status === 'uploading' && uploadJob.busy && uploadJob.state.videoId === v.id;
    const title = v.caption.trim() || 'Untitled video';
    const thumb = v.playback?.poster
      ? h('img', { class: 'yv-thumb', attrs: { src: v.playback.poster, alt: '', loading: 'lazy', width: 54, height: 96 } })
      : h('span', { class: 'yv-thumb yv-thumb-empty', attrs: { 'aria-hidden': 'true' } }, icon(v.status === 'failed' ? 'alert' : 'play'));
    const badge = h(
      'span',
      { class: `yv-badge yv-${v.status}`, attrs: { 'data-testid': 'your-video-status' } },
      sendingNow ? 'Uploading now' : statusLabel(v),
    );
    const body = h(
      'div',
      { class: 'yv-body' },
      h('p', { class: 'yv-title' }, title),
      h('p', { class: 'yv-meta' }, badge, h('span', {}, formatAge(v.createdAt))),
    );
    const li = h(
      'li',
      {
        class: 'yv-item',
        attrs: {
          'data-testid': 'your-video',
          'data-video-id': v.id,
          'data-status': v.status,
          'data-publication': v.publication ?? 'published',
        },
      },
      thumb,
      body,
    );
    archiveBadge(v, badge);
    body.append(archiveNote(v) ?? '');
    if (v.publication) {
      const when = v.publication === 'scheduled' && v.publishAt ? `Scheduled · ${formatWhen(v.publishAt)}` : 'Draft · only you can see it';
      body
        .querySelector('.yv-meta')
        ?.prepend(h('span', { class: `yv-badge yv-${v.publication}`, attrs: { 'data-testid': 'your-video-publication' } }, when));
    }

    if (v.status === 'processing' || v.status === 'uploaded') {
      const bar = h('progress', {
        class: 'bar bar-processing',
        attrs: { max: 100, 'aria-label': `Processing “${title}”`, 'data-testid': 'your-video-progress' },
      });
      if (v.status === 'processing') bar.value = percent(v.progress);
      body.append(bar);
    }
    if (v.status === 'failed') {
      const r = failureReason(v.error);
      body.append(
        h(
          'p',
          { class: 'yv-reason', attrs: { 'data-testid': 'your-video-reason' } },
          h('strong', {}, r.title),
          r.detail && r.detail !== r.title ? ` ${r.detail}` : '',
          r.advice ? ` ${r.advice}` : '',
        ),
      );
    }
    if (v.status === 'uploading' && !sendingNow) {
      const pending = pendingUpload();
      body.append(
        h(
          'p',
          { class: 'yv-reason yv-reason-soft' },
          pending?.videoId === v.id
            ? 'Choose the same file above to finish sending it.'
            : 'The upload stopped before the whole file arrived.',
        ),
      );
    }

    const actions = h('div', { class: 'yv-actions' });
    if (v.status === 'ready') {
      const open = h(
        'a',
        { class: 'btn btn-small', attrs: { href: `/v/${encodeURIComponent(v.id)}`, 'data-testid': 'your-video-open' } },
        'Open',
      );
      open.setAttribute('aria-label', `Open “${title}”`);
      open.addEventListener('click', (ev) => {
        if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
        ev.preventDefault();
        this.onOpenVideo(v.id);
      });
      const stats = h(
        'a',
        { class: 'btn btn-small', attrs: { href: `/studio/analytics/${encodeURIComponent(v.id)}`, 'data-testid': 'your-video-analytics' } },
        'Analytics',
      );
      stats.setAttribute('aria-label', `Analytics of “${title}”`);
      actions.append(open, stats);
    }
    actions.append(...archiveControls(v, title, () => this.load()));
    if (v.publication && v.status !== 'failed') actions.append(...this.publishControls(v, title));
    if (v.status === 'failed' || v.publication === 'draft' || (v.status === 'uploading' && !sendingNow))
      actions.append(this.deleteControl(v, title));
    if (actions.childElementCount > 0) body.append(actions);
    // The numbers run the row's whole width (five figures fit a phone).
    const stats = this.stats.get(v.id);
    if (stats && v.status === 'ready') li.append(creatorStatsList(stats));
    return li;
  }

  /** A draft or scheduled video: publish now, (re)schedule, or (scheduled) back to draft. */
  private publishControls(v: StudioVideo, title: string): HTMLElement[] {
    const publishNow = h(
      'button',
      {
        class: 'btn btn-small btn-primary',
        attrs: { type: 'button', 'data-testid': 'your-video-publish', 'aria-label': `Publish “${title}” now` },
      },
      'Publish now',
    );
    const scheduleBtn = h(
      'button',
      { class: 'btn btn-small', attrs: { type: 'button', 'data-testid': 'your-video-schedule', 'aria-expanded': 'false' } },
      v.publication === 'scheduled' ? 'Reschedule' : 'Schedule',
    );
    const controls: HTMLElement[] = [publishNow, scheduleBtn];
    const input = h('input', {
      class: 'input',
      attrs: { type: 'datetime-local', 'aria-label': `When to publish “${title}”`, 'data-testid': 'your-video-schedule-at' },
    });
    const save = h(
      'button',
      { class: 'btn btn-small btn-primary', attrs: { type: 'submit', 'data-testid': 'your-video-schedule-save' } },
      'Save',
    );
    const error = h('p', { class: 'yv-schedule-error', attrs: { role: 'alert' } });
    const form = h('form', { class: 'yv-schedule', attrs: { hidden: true, novalidate: true } }, input, save, error);
    const busy = (on: boolean) => {
      for (const b of [publishNow, scheduleBtn, save]) b.disabled = on;
    };
    const run = async (patch: { draft: boolean } | { publishAt: string }, done: string): Promise<void> => {
      busy(true);
      try {
        await studioApi.publish(v.id, patch);
        toast(done);
        await this.load();
      } catch (err) {
        busy(false);
        setText(error, messageOf(err));
        if (form.hidden) toast(messageOf(err), 'error');
      }
    };
    publishNow.addEventListener('click', () => void run({ draft: false }, 'Published. Everyone who can watch it sees it now.'));
    scheduleBtn.addEventListener('click', () => {
      form.hidden = !form.hidden;
      scheduleBtn.setAttribute('aria-expanded', String(!form.hidden));
      if (form.hidden) return;
      const now = Date.now();
      input.min = toLocalInput(now);
      input.value = toLocalInput(v.publishAt ? Date.parse(v.publishAt) : defaultScheduleTime(now));
      input.focus();
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const at = fromLocalInput(input.value);
      const problem = scheduleProblem(at, Date.now());
      if (problem) {
        setText(error, problem);
        return;
      }
      setText(error, '');
      void run({ publishAt: new Date(at!).toISOString() }, `Scheduled for ${formatWhen(new Date(at!).toISOString())}.`);
    });
    if (v.publication === 'scheduled') {
      const unschedule = h(
        'button',
        { class: 'btn btn-small', attrs: { type: 'button', 'data-testid': 'your-video-unschedule' } },
        'Keep as draft',
      );
      unschedule.addEventListener('click', () => void run({ draft: true }, 'Schedule cancelled: saved as a draft.'));
      controls.push(unschedule);
    }
    controls.push(form);
    return controls;
  }

  /** Delete, confirmed in place (a second, explicit button) rather than with a blocking dialog. */
  private deleteControl(v: StudioVideo, title: string): HTMLElement {
    const wrap = h('div', { class: 'yv-delete' });
    const ask = h(
      'button',
      {
        class: 'btn btn-small btn-danger',
        attrs: { type: 'button', 'data-testid': 'your-video-delete', 'aria-label': `Delete “${title}”` },
      },
      'Delete',
    );
    const confirm = h(
      'button',
      { class: 'btn btn-small btn-danger', attrs: { type: 'button', 'data-testid': 'your-video-delete-confirm' } },
      'Delete for good',
    );
    const keep = h('button', { class: 'btn btn-small', attrs: { type: 'button' } }, 'Keep');
    const confirmRow = h('div', { class: 'yv-confirm', attrs: { hidden: true } }, confirm, keep);
    ask.addEventListener('click', () => {
      ask.hidden = true;
      confirmRow.hidden = false;
      confirm.focus();
    });
    keep.addEventListener('click', () => {
      confirmRow.hidden = true;
      ask.hidden = false;
      ask.focus();
    });
    const remove = async (): Promise<void> => {
      confirm.disabled = true;
      keep.disabled = true;
      try {
        await studioApi.deleteVideo(v.id);
        if (pendingUpload()?.videoId === v.id) forgetPendingUpload();
        this.videos = this.videos.filter((x) => x.id !== v.id);
        this.render();
        toast('Video deleted.');
        (
          this.list.querySelector<HTMLElement>('button, a') ?? this.el.querySelector<HTMLElement>('[data-testid="your-videos-refresh"]')
        )?.focus();
      } catch (err) {
        confirm.disabled = false;
        keep.disabled = false;
        toast(messageOf(err), 'error');
      }
    };
    confirm.addEventListener('click', () => void remove());
    wrap.append(ask, confirmRow);
    return wrap;
  }
}

const STAGE: Record<string, number> = { uploading: 0, uploaded: 1, processing: 2, ready: 3, failed: 3 };

/** Of two answers about the same video, the one further along (a later status, or more progress). */
function fresher(a: StudioVideo, b: StudioVideo): StudioVideo {
  const sa = STAGE[a.status] ?? 3;
  const sb = STAGE[b.status] ?? 3;
  if (sa !== sb) return sb > sa ? b : a;
  return b.progress > a.progress ? b : a;
}

function statusLabel(v: StudioVideo): string {
  switch (v.status) {
    case 'uploading':
      return 'Upload not finished';
    case 'uploaded':
      return 'Waiting to process';
    case 'processing':
      return `Processing ${percent(v.progress)}%`;
    case 'failed':
      return 'Failed';
    case 'ready':
      if (v.publication) return `Ready · ${VISIBILITY_LABEL[v.visibility] ?? v.visibility}`;
      return v.visibility ? `Posted · ${VISIBILITY_LABEL[v.visibility] ?? v.visibility}` : 'Posted';
    case 'archived':
      return 'Archived';
    case 'restoring':
      return 'Restoring';
    default:
      return v.status;
  }
}
