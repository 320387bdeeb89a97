/**
 * The one upload the studio runs at a time, kept at module level so it goes on
 * while the studio is not on screen (the router unmounts it) and is still
 * there, with its progress, when the person comes back.
 *
 * Sending survives a network drop: any transient failure (connection lost, a
 * 5xx, an expired signed URL) puts the job in `reconnecting`; when the browser
 * is back online (or after a back-off) it asks the server which parts storage
 * already holds and sends only the rest. A reload loses the File object, so the
 * video id is remembered in localStorage and choosing the same file again resumes.
 */
import { ApiError, apiErrorOf, endpoints, messageOf, session, storage, type UploadInstructions } from '../api.js';
import { contentTypeOf } from './checks.js';
import { failureReason } from './reasons.js';
import { studioApi, type PublishSettings, type StudioVideo, type VideoSettings } from './studio-api.js';

/** What an upload is created with: the video's settings, and when it goes out and its cover. */
export type UploadSettings = VideoSettings & PublishSettings;
import { abortError, isAbort, isTransient, knownOffline, putBlob, readSse, sleep, waitForNetwork } from './transfer.js';

export type Phase = 'idle' | 'uploading' | 'reconnecting' | 'processing' | 'ready' | 'failed';

export interface JobState {
  phase: Phase;
  fileName: string;
  videoId: string | null;
  /** Bytes storage holds or is receiving, of `total`. */
  sent: number;
  total: number;
  /** 0..1 once processing has started; null before. */
  processing: number | null;
  /** A first rendition is out: the video can already be watched. */
  playable: boolean;
  /** What is going on, for the status line. */
  message: string;
  /** Set in `failed`: why, in plain words (a headline, then details), and whether trying again can help. */
  error: { title: string; text: string; canRetry: boolean } | null;
  /** Continued an upload started before (after a drop or a reload). */
  resumed: boolean;
  video: StudioVideo | null;
}

const IDLE: JobState = {
  phase: 'idle',
  fileName: '',
  videoId: null,
  sent: 0,
  total: 0,
  processing: null,
  playable: false,
  message: '',
  error: null,
  resumed: false,
  video: null,
};

// ---------------------------------------------------------------------------
// Resume after a reload: which video an unfinished upload was for, by file.

const PENDING_KEY = 'curta.pendingUpload';

export interface PendingUpload {
  videoId: string;
  name: string;
  size: number;
  lastModified: number;
  userId: string;
  /** The settings chosen then, to fill the form again. */
  settings?: VideoSettings;
  /** Bytes sent when last seen, for the "resume" notice. */
  sent?: number;
}

export function pendingUpload(): PendingUpload | null {
  const raw = storage.get(PENDING_KEY);
  if (!raw) return null;
  try {
    const p = JSON.parse(raw) as PendingUpload;
    const user = session.user;
    return typeof p.videoId === 'string' && user !== null && p.userId === user.id ? p : null;
  } catch {
    return null;
  }
}

export function matchesPending(p: PendingUpload | null, file: File): p is PendingUpload {
  return !!p && p.name === file.name && p.size === file.size && p.lastModified === file.lastModified;
}

export function forgetPendingUpload(): void {
  storage.remove(PENDING_KEY);
}

function rememberPending(p: PendingUpload): void {
  storage.set(PENDING_KEY, JSON.stringify(p));
}

// ---------------------------------------------------------------------------

const PART_CONCURRENCY = 2;
/** Failures of one part (5xx and the like) before the whole attempt backs off. */
const PART_ATTEMPTS = 3;
/** Transient failures in a row, without any progress between them, before giving up. */
const MAX_STALLED_RETRIES = 12;
/** An attempt with no byte acknowledged for this long is abandoned and retried. */
const STALL_MS = 45_000;

type Listener = (s: JobState) => void;

class UploadJob {
  private s: JobState = IDLE;
  private readonly listeners = new Set<Listener>();
  private abort: AbortController | null = null;
  private file: File | null = null;
  private settings: UploadSettings | null = null;
  private userId: string | null = null;

  constructor() {
    session.subscribe((user) => {
      // Signed out (or another account): stop, and forget the resume point, which belongs to that account.
      if (this.userId && user?.id !== this.userId) {
        this.abort?.abort();
        forgetPendingUpload();
        this.file = null;
        this.set({ ...IDLE });
      }
      this.userId = user?.id ?? null;
    });
    this.userId = session.user?.id ?? null;
  }

  get state(): JobState {
    return this.s;
  }

  get busy(): boolean {
    return this.s.phase === 'uploading' || this.s.phase === 'reconnecting' || this.s.phase === 'processing';
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<JobState>): void {
    this.s = { ...this.s, ...patch };
    for (const fn of this.listeners) fn(this.s);
  }

  /** Starts sending `file` (resuming when it is the file of an unfinished upload). */
  start(file: File, settings: UploadSettings): void {
    if (this.busy) return;
    this.abort = new AbortController();
    this.file = file;
    this.settings = settings;
    this.userId = session.user?.id ?? null;
    this.set({ ...IDLE, phase: 'uploading', fileName: file.name, total: file.size, message: 'Starting upload…' });
    void this.run(file, settings, this.abort.signal);
  }

  /** After a failure that sending again can fix: same file, same settings, from where it stopped. */
  retry(): void {
    if (this.file && this.settings && this.s.phase === 'failed' && this.s.error?.canRetry) this.start(this.file, this.settings);
  }

  /** Stops sending. What storage holds stays there: choosing the same file again resumes. */
  cancel(): void {
    this.abort?.abort();
  }

  /** Back to nothing (after ready or failed, for the next video). */
  reset(): void {
    if (this.busy) return;
    this.file = null;
    this.set({ ...IDLE });
  }

  private async run(file: File, settings: UploadSettings, signal: AbortSignal): Promise<void> {
    let videoId: string | null = null;
    try {
      const { id, upload, resumed } = await this.createOrResume(file, settings, signal);
      videoId = id;
      if (upload) await this.send(id, file, upload, signal);
      this.set({ sent: file.size, phase: 'uploading', message: 'Finishing upload…' });
      const view = await this.retrying(() => studioApi.completeUpload(id), signal);
      forgetPendingUpload();
      this.set({ phase: 'processing', message: resumed ? 'Upload resumed and finished.' : 'Uploaded.' });
      this.onVideo(view);
      if (view.status !== 'ready' && view.status !== 'failed') {
        try {
          await this.follow(id, signal);
        } catch (err) {
          if (signal.aborted || isAbort(err)) throw err;
          // The bytes are all there; only following went wrong. The video goes on without us.
          this.set({
            phase: 'failed',
            message: '',
            error: {
              title: "Couldn't follow the processing.",
              text: `${messageOf(err)} If the video still exists it is being processed — “Your videos” below shows where it stands.`,
              canRetry: false,
            },
          });
          return;
        }
      }
    } catch (err) {
      if (signal.aborted || isAbort(err)) {
        // Cancelled: parts already sent stay; the same file resumes.
        this.set({ ...IDLE });
        return;
      }
      this.failTransfer(err, videoId);
    }
  }

  private async createOrResume(
    file: File,
    settings: UploadSettings,
    signal: AbortSignal,
  ): Promise<{ id: string; upload: UploadInstructions | null; resumed: boolean }> {
    const user = session.user;
    if (!user) throw new ApiError(401, 'unauthorized', 'Log in to upload.');
    const pending = pendingUpload();
    if (matchesPending(pending, file)) {
      try {
        const st = await this.retrying(() => studioApi.uploadStatus(pending.videoId), signal);
        if (st.video.status !== 'failed') {
          this.set({ videoId: pending.videoId, resumed: true, message: 'Resuming your upload…' });
          // Settings may have been changed in the form since: the video takes the current ones.
          const { caption, visibility, commentsEnabled } = settings;
          await this.retrying(() => studioApi.updateVideo(pending.videoId, { caption, visibility, commentsEnabled }), signal);
          rememberPending({ ...pending, settings: { caption, visibility, commentsEnabled } });
          return { id: pending.videoId, upload: st.video.status === 'uploading' ? st.upload : null, resumed: true };
        }
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 404) throw err;
      }
      forgetPendingUpload();
    }
    const contentType = contentTypeOf(file) ?? 'video/mp4';
    // getRandomValues, not randomUUID: the latter needs a secure context, and self-hosted pages may be plain http.
    const idempotencyKey = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
    const created = await this.retrying(
      () =>
        studioApi.createUpload(
          {
            filename: file.name,
            contentType,
            size: file.size,
            caption: settings.caption,
            visibility: settings.visibility,
            // A draft, a publish time, the cover picked before posting: applied by the server as processing ends.
            ...(settings.draft ? { draft: true } : {}),
            ...(settings.publishAt ? { publishAt: settings.publishAt } : {}),
            ...(settings.coverTimeMs !== undefined ? { coverTimeMs: settings.coverTimeMs } : {}),
          },
          idempotencyKey,
        ),
      signal,
    );
    const id = created.videoId;
    const remembered: VideoSettings = {
      caption: settings.caption,
      visibility: settings.visibility,
      commentsEnabled: settings.commentsEnabled,
    };
    rememberPending({
      videoId: id,
      name: file.name,
      size: file.size,
      lastModified: file.lastModified,
      userId: user.id,
      settings: remembered,
      sent: 0,
    });
    this.set({ videoId: id, message: 'Uploading…' });
    // The create call takes caption and visibility; comments are switched off with an edit, before anyone can see it.
    if (!settings.commentsEnabled) await this.retrying(() => studioApi.updateVideo(id, { commentsEnabled: false }), signal);
    return { id, upload: created.upload, resumed: false };
  }

  /**
   * Sends what storage doesn't hold yet. A transient failure waits for the
   * network (or backs off), asks the server what is still missing, and goes on.
   */
  private async send(videoId: string, file: File, first: UploadInstructions, signal: AbortSignal): Promise<void> {
    let upload: UploadInstructions | null = first;
    let stalled = 0;
    let lastSent = -1;
    for (;;) {
      try {
        if (!upload) {
          const st = await studioApi.uploadStatus(videoId);
          if (st.video.status !== 'uploading' || !st.upload) return; // storage has it all
          upload = st.upload;
        }
        this.set({ phase: 'uploading', message: this.s.resumed ? 'Resuming your upload…' : 'Uploading…' });
        if (upload.kind === 'single') {
          const single = upload;
          await this.attempt(signal, (attemptSignal, touch) =>
            putBlob(
              single.url,
              single.headers,
              file,
              (loaded) => {
                touch();
                this.progress(loaded, file.size);
              },
              attemptSignal,
            ).then(() => undefined),
          );
        } else {
          const parts = upload;
          await this.attempt(signal, (attemptSignal, touch) => this.sendParts(file, parts, attemptSignal, touch));
        }
        this.progress(file.size, file.size);
        return;
      } catch (err) {
        if (signal.aborted) throw abortError();
        if (!isTransient(err) && !isConnectionLoss(err)) throw err;
        if (this.s.sent > lastSent) {
          stalled = 0;
          lastSent = this.s.sent;
        }
        // Time spent offline is not the upload's fault: only tries while online count.
        if (!knownOffline() && ++stalled > MAX_STALLED_RETRIES) throw err;
        this.set({ phase: 'reconnecting', resumed: true, message: connectionMessage(err) });
        await waitForNetwork(Math.min(1000 * 2 ** Math.max(0, stalled - 1), 15_000), signal);
        upload = null; // ask again: which parts are stored, fresh URLs for the rest
      }
    }
  }

  /**
   * One try at sending, abandoned at once when the browser goes offline and
   * when nothing has moved for STALL_MS (a connection that hangs instead of failing).
   */
  private async attempt(signal: AbortSignal, body: (attemptSignal: AbortSignal, touch: () => void) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(abortError());
    const onOffline = () => controller.abort(new ConnectionLost('Connection lost'));
    let last = Date.now();
    const touch = () => {
      last = Date.now();
    };
    const watchdog = setInterval(() => {
      if (Date.now() - last > STALL_MS) controller.abort(new ConnectionLost('The connection stalled'));
    }, 5000);
    signal.addEventListener('abort', onAbort, { once: true });
    window.addEventListener('offline', onOffline);
    try {
      await body(controller.signal, touch);
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', onAbort);
      window.removeEventListener('offline', onOffline);
    }
  }

  private async sendParts(
    file: File,
    upload: Extract<UploadInstructions, { kind: 'multipart' }>,
    signal: AbortSignal,
    touch: () => void,
  ): Promise<void> {
    let doneBytes = upload.uploadedParts.reduce((n, p) => n + p.size, 0);
    const inFlight = new Map<number, number>();
    const report = () => {
      let sending = 0;
      for (const n of inFlight.values()) sending += n;
      this.progress(doneBytes + sending, file.size);
    };
    report();
    const queue = [...upload.parts];

    const sendOne = async (part: (typeof queue)[number]) => {
      const start = (part.partNumber - 1) * upload.partSize;
      const blob = file.slice(start, start + part.size);
      for (let attempt = 1; ; attempt++) {
        try {
          // No ETags kept: `complete` reads them back from storage (an S3 bucket's CORS
          // rules may not even expose the header).
          await putBlob(
            part.url,
            part.headers,
            blob,
            (loaded) => {
              touch();
              inFlight.set(part.partNumber, loaded);
              report();
            },
            signal,
          );
          return;
        } catch (err) {
          inFlight.delete(part.partNumber);
          report();
          // A lost connection (status 0) or an expired URL (403) goes to the caller, which waits
          // for the network and asks for fresh URLs; a server hiccup is retried here a few times.
          const handBack = err instanceof ApiError && (err.status === 0 || err.status === 403);
          if (signal.aborted || handBack || attempt >= PART_ATTEMPTS || !isTransient(err)) throw err;
          await sleep(500 * 2 ** (attempt - 1), signal);
        } finally {
          inFlight.delete(part.partNumber);
        }
      }
    };
    // After a failure no new part starts, but parts already on their way may finish:
    // whatever storage holds is kept for the next try.
    let failure: { err: unknown } | undefined;
    const worker = async () => {
      for (let part = queue.shift(); part && !failure; part = queue.shift()) {
        try {
          await sendOne(part);
        } catch (err) {
          failure ??= { err };
          return;
        }
        doneBytes += part.size;
        report();
        const pending = pendingUpload();
        if (pending) rememberPending({ ...pending, sent: doneBytes });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, queue.length) }, worker));
    if (failure) throw failure.err;
  }

  private progress(sent: number, total: number): void {
    const clamped = Math.max(0, Math.min(total, sent));
    if (clamped !== this.s.sent || total !== this.s.total) this.set({ sent: clamped, total });
  }

  /** Runs `fn`, and again after transient failures (waiting for the network), a bounded number of times. */
  private async retrying<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const phase = this.s.phase;
    const message = this.s.message;
    let failures = 0;
    for (;;) {
      try {
        const result = await fn();
        if (this.s.phase === 'reconnecting') this.set({ phase, message });
        return result;
      } catch (err) {
        if (signal.aborted) throw abortError();
        if (!isTransient(err) || (err instanceof ApiError && err.status === 403)) throw err; // a 403 here is a refusal
        // Only tries while online count (see send()).
        if (!knownOffline() && ++failures >= MAX_STALLED_RETRIES) throw err;
        this.set({ phase: 'reconnecting', message: connectionMessage(err) });
        await waitForNetwork(Math.min(1000 * 2 ** Math.max(0, failures - 1), 15_000), signal);
      }
    }
  }

  /** Follows processing over SSE until ready or failed; reconnects through drops. */
  private async follow(videoId: string, signal: AbortSignal): Promise<void> {
    let retryMs = 2000;
    let failures = 0;
    for (;;) {
      try {
        const { data: stream, error, response: res } = await endpoints.videoStatusStream(videoId, signal);
        if (!res.ok) {
          const err = apiErrorOf(res, error);
          if (res.status === 401) session.clear();
          throw err;
        }
        if (this.s.phase === 'reconnecting') this.set({ phase: 'processing' });
        if (!stream) {
          // No streaming here: poll.
          for (;;) {
            const v = await studioApi.video(videoId);
            this.onVideo(v);
            if (v.status === 'ready' || v.status === 'failed') return;
            await sleep(2000, signal);
          }
        }
        for await (const ev of readSse(stream, (ms) => (retryMs = ms))) {
          if (ev.event === 'status') {
            failures = 0;
            const view = JSON.parse(ev.data) as StudioVideo;
            this.onVideo(view);
            if (view.status === 'ready' || view.status === 'failed') return;
          } else if (ev.event === 'gone') {
            throw new ApiError(404, 'video_not_found', 'This video was deleted.');
          }
        }
        failures++; // the stream ended early (server restart, proxy timeout): reconnect
      } catch (err) {
        if (signal.aborted) throw abortError();
        if (!isTransient(err) || (err instanceof ApiError && err.status === 403)) throw err;
        if (!knownOffline() && ++failures > 20) throw err;
        this.set({ phase: 'reconnecting', message: 'Connection lost — reconnecting to follow processing…' });
      }
      await waitForNetwork(Math.min(retryMs * Math.max(1, failures), 15_000), signal);
    }
  }

  private onVideo(v: StudioVideo): void {
    if (v.status === 'failed') {
      const reason = failureReason(v.error);
      this.set({
        phase: 'failed',
        video: v,
        message: 'Processing failed.',
        error: {
          title: reason.title,
          text: [reason.detail !== reason.title ? reason.detail : '', reason.advice].filter(Boolean).join(' '),
          canRetry: false,
        },
      });
      return;
    }
    if (v.status === 'ready') {
      const message =
        v.publication === 'draft'
          ? 'Ready! Saved as a draft: only you can see it. Publish it from Your videos.'
          : v.publication === 'scheduled' && v.publishAt
            ? `Ready! It will be published ${new Date(v.publishAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}.`
            : 'Ready! Your video is posted.';
      this.set({ phase: 'ready', video: v, processing: 1, playable: true, message });
      return;
    }
    const playable = !!v.playback?.hls;
    this.set({
      phase: 'processing',
      video: v,
      processing: v.status === 'processing' ? v.progress : null,
      playable,
      message: playable
        ? 'Watchable now — finishing the sharper versions…'
        : v.status === 'processing'
          ? 'Processing your video…'
          : 'Uploaded. Waiting for processing to start…',
    });
  }

  private failTransfer(err: unknown, videoId: string | null): void {
    let text = messageOf(err);
    let canRetry = isTransient(err) || isConnectionLoss(err);
    if (err instanceof ApiError) {
      if (err.code === 'upload_too_large') text = 'This file is larger than this server accepts.';
      else if (err.code === 'unsupported_media_type') text = "This server doesn't accept this kind of video file.";
      else if (err.status === 401) text = 'Your session ended. Log in again, then choose the same file to resume.';
      if (err.code === 'upload_quota_exceeded' || err.code === 'rate_limited') canRetry = false;
    }
    this.set({
      phase: 'failed',
      videoId,
      message: '',
      error: { title: canRetry ? "The upload couldn't finish." : 'The upload was refused.', text, canRetry },
    });
  }
}

class ConnectionLost extends Error {
  override readonly name = 'ConnectionLost';
}

function isConnectionLoss(err: unknown): boolean {
  return err instanceof ConnectionLost;
}

function connectionMessage(err: unknown): string {
  if (err instanceof ApiError && err.status >= 500) return 'The server had a hiccup — retrying…';
  if (err instanceof ApiError && err.status === 429) return 'Busy right now — retrying in a moment…';
  if (knownOffline()) return 'Connection lost — retrying when you’re back online…';
  return 'Connection lost — retrying…';
}

/** The studio's upload, shared by every mount of the studio. */
export const uploadJob = new UploadJob();
