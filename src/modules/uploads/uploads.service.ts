import { AppError } from '../../errors.js';
import { randomId } from '../../lib/ids.js';
import { originalKey, parseOriginalKey } from '../../lib/storage-layout.js';
import type { Database } from '../../ports/database.js';
import { enqueueJob } from '../../jobs/job-definition.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store.js';
import type { PublicUser } from '../accounts/user.types.js';
import { processVideoJob } from '../processing/process-video.job.js';
import { publishVideoJob } from '../videos/publication.job.js';
import { publishAtFor, publishChoiceOf } from '../videos/publication.js';
import { videoFailure } from '../processing/video-lifecycle.js';
import type { VideoEvents } from '../videos/video-events.js';
import type { VideoRow } from '../videos/video.types.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import type { VideosService } from '../videos/videos.service.js';
import type { VideoView } from '../videos/videos.schema.js';
import { UploadQuota } from './upload-quota.js';
import type { CreateUploadInput, UploadInstructions } from './uploads.schema.js';

/** The type of a file whose type nobody declared; the signed upload URLs then expect this one. */
const UNTYPED = 'application/octet-stream';

/**
 * Declared types taken: the containers a phone, camera or browser produces,
 * and the generic type (or none) browsers declare for files they do not know
 * (.mkv, .mts, .m2ts on many desktops). The declared type only spares a
 * pointless upload; what the file is, is decided by its bytes
 * (src/modules/media/sniff.ts) before anything decodes it. Anything else is
 * refused before any byte is sent.
 */
export const ACCEPTED_CONTENT_TYPES = new Set([
  'video/mp4',
  'video/quicktime',
  'video/webm',
  'video/x-matroska',
  'video/3gpp',
  'video/3gpp2',
  'video/mp2t',
  // What Windows calls .mts/.m2ts.
  'video/vnd.dlna.mpeg-tts',
  'video/x-msvideo',
  'video/x-flv',
  'video/x-m4v',
  'video/ogg',
  'application/ogg',
  UNTYPED,
]);

export interface UploadsConfig {
  maxBytes: number;
  multipartThreshold: number;
  partSize: number;
  urlTtlSec: number;
  /** Daily quota per user (UTC day); 0 or absent = unlimited. */
  dailyCount?: number;
  dailyBytes?: number;
}

export class UploadsService {
  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly queue: JobQueue,
    private readonly videos: VideosRepository,
    private readonly views: VideosService,
    private readonly events: VideoEvents,
    private readonly cfg: UploadsConfig,
  ) {
    this.quota = new UploadQuota({ count: cfg.dailyCount ?? 0, bytes: cfg.dailyBytes ?? 0 });
  }

  private readonly quota: UploadQuota;

  async create(user: PublicUser, declared: CreateUploadInput): Promise<{ videoId: string; upload: UploadInstructions }> {
    // A browser that does not know the file's type declares none: the same as the generic one.
    const input = { ...declared, contentType: declared.contentType || UNTYPED };
    if (!ACCEPTED_CONTENT_TYPES.has(input.contentType)) {
      throw new AppError('unsupported_media_type', `Content type "${input.contentType}" is not an accepted video type.`, {
        accepted: [...ACCEPTED_CONTENT_TYPES],
      });
    }
    if (input.size > this.cfg.maxBytes) {
      throw new AppError('upload_too_large', `The file is ${input.size} bytes; the limit is ${this.cfg.maxBytes}.`, {
        maxBytes: this.cfg.maxBytes,
      });
    }
    // A draft, a time (checked now: future, not too far), or published as soon as it is ready.
    const choice = publishChoiceOf(input);
    const publishAt = choice && !('now' in choice) ? publishAtFor(choice, Date.now()) : 'now';
    // Checked before storage is asked for anything; reserved atomically with the insert below.
    await this.quota.check(this.db, user.id, input.size);
    const videoId = randomId();
    const key = originalKey(videoId);
    const multipart = input.size > this.cfg.multipartThreshold;
    const uploadId = multipart ? (await this.store.createMultipart(key, { contentType: input.contentType })).uploadId : null;
    const expiresAt = new Date(Date.now() + this.cfg.urlTtlSec * 1000);
    const caption = input.caption ?? '';
    await this.db
      .transaction(async (tx) => {
        await this.quota.reserve(tx, user.id, input.size);
        await this.videos.insert(
          {
            id: videoId,
            ownerId: user.id,
            caption,
            visibility: input.visibility ?? 'public',
            originalKey: key,
            originalFilename: input.filename,
            contentType: input.contentType,
            declaredSize: input.size,
            multipartUploadId: uploadId,
            uploadExpiresAt: expiresAt,
            publishAt,
            requestedCoverMs: input.coverTimeMs ?? null,
          },
          tx,
        );
        await this.videos.setCaptionLinks(videoId, caption, tx);
        // At its time a worker drops the caches that would hide it a while longer (visibility itself compares the time).
        if (publishAt instanceof Date) {
          await enqueueJob(
            this.queue,
            publishVideoJob,
            { videoId, publishAt: publishAt.toISOString() },
            { runAt: publishAt, executor: tx },
          );
        }
      })
      .catch(async (err: unknown) => {
        // A concurrent upload took the last of the quota: give the multipart upload back.
        if (uploadId) await this.store.abortMultipart(key, uploadId).catch(() => undefined);
        throw err;
      });
    const row = await this.videos.get(videoId);
    return { videoId, upload: await this.instructions(row!) };
  }

  /** Where an upload stands, with fresh URLs for whatever is still missing (resume). */
  async status(user: PublicUser, videoId: string): Promise<{ video: VideoView; upload: UploadInstructions | null }> {
    const row = await this.ownedRow(user, videoId);
    if (row.status !== 'uploading') return { video: this.views.toView(row), upload: null };
    // Fresh URLs for a resumed upload come with a fresh deadline, or the reconciler
    // would expire (and abort) an upload that is still under way.
    await this.videos.extendUploadDeadline(videoId, new Date(Date.now() + this.cfg.urlTtlSec * 1000));
    return { video: this.views.toView(row), upload: await this.instructions(row) };
  }

  /**
   * The client's "I am done" call. Idempotent: once the video left `uploading`
   * it just reports the current state.
   */
  async complete(user: PublicUser, videoId: string, parts?: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<VideoView> {
    const row = await this.ownedRow(user, videoId);
    if (row.status !== 'uploading') return this.views.toView(row);
    if (row.multipart_upload_id) {
      const stored = await this.store.listParts(row.original_key, row.multipart_upload_id).catch(async (err: unknown) => {
        // Completed before, but the state change after it was lost: the object is there.
        if (err instanceof AppError && err.code === 'upload_not_found') {
          const info = await this.store.head(row.original_key);
          if (info) return info;
        }
        throw err;
      });
      if (!Array.isArray(stored)) {
        await this.onOriginalStored(stored);
        return this.views.toView((await this.videos.get(videoId))!);
      }
      const expected = this.partPlan(Number(row.declared_size));
      const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
      const missing = expected.filter((p) => byNumber.get(p.partNumber)?.size !== p.size).map((p) => p.partNumber);
      if (missing.length > 0) {
        throw new AppError('upload_incomplete', `Parts still missing: ${missing.slice(0, 20).join(', ')}.`, { missing });
      }
      const chosen = expected.map((p) => {
        const given = parts?.find((x) => x.partNumber === p.partNumber);
        const etag = byNumber.get(p.partNumber)!.etag;
        if (given && given.etag !== etag) {
          throw new AppError('validation_failed', `ETag of part ${p.partNumber} does not match what storage holds.`);
        }
        return { partNumber: p.partNumber, etag };
      });
      // Completing the multipart upload emits object-created, which may already
      // move the video on; the guarded transition below makes both paths safe.
      const info = await this.store.completeMultipart(row.original_key, row.multipart_upload_id, chosen);
      await this.onOriginalStored(info);
    } else {
      const info = await this.store.head(row.original_key);
      if (!info) throw new AppError('upload_incomplete', 'Storage has not received the file yet; PUT it to the upload URL first.');
      await this.onOriginalStored(info);
    }
    return this.views.toView((await this.videos.get(videoId))!);
  }

  /**
   * Storage's object-created event (and `complete`) land here: the original is
   * in place, so mark the video uploaded and enqueue processing in one transaction.
   */
  async onOriginalStored(info: ObjectInfo): Promise<void> {
    const videoId = parseOriginalKey(info.key);
    if (!videoId) return;
    const moved = await this.db.transaction(async (tx) => {
      const row = await this.videos.get(videoId, tx);
      if (row?.status !== 'uploading') return false;
      if (info.size !== Number(row.declared_size)) {
        const failure = videoFailure('size_mismatch', `Storage holds ${info.size} bytes but ${row.declared_size} were declared.`);
        await this.videos.fail(videoId, ['uploading'], failure, { executor: tx });
        return true;
      }
      // The ETag pins the original processing will accept: a later write to the key (a replayed
      // presigned URL on S3, where no route of ours sees the PUT) is not this upload.
      const updated = await this.videos.transition(
        videoId,
        ['uploading'],
        'uploaded',
        { uploaded_at: new Date(), original_etag: info.etag },
        { executor: tx },
      );
      if (!updated) return false;
      await enqueueJob(this.queue, processVideoJob, { videoId, ownerId: row.owner_id }, { executor: tx });
      return true;
    });
    if (moved) await this.events.changed(videoId);
  }

  /**
   * The filesystem storage route asks this before it takes (and again before
   * it keeps) the bytes of a signed PUT: only an upload still `uploading`
   * takes them, and a single-PUT upload only once. So a replayed URL cannot
   * overwrite an original after `complete` or `ready`, nor recreate one after
   * the video was deleted. One primary-key read (and a stat of the object).
   */
  async admitUploadBytes(target: { key: string; uploadId?: string }): Promise<void> {
    const videoId = parseOriginalKey(target.key);
    const row = videoId ? await this.videos.uploadState(videoId) : null;
    if (row?.original_key !== target.key) {
      throw new AppError('upload_not_found', 'No upload is waiting for this file: it was deleted, or never existed.');
    }
    const done = (): AppError =>
      new AppError('upload_state_conflict', 'This upload is already complete; storage takes no more bytes for it.', { status: row.status });
    if (row.status !== 'uploading') throw done();
    if ((target.uploadId ?? null) !== row.multipart_upload_id) {
      throw new AppError('upload_state_conflict', 'This URL belongs to another upload of the file.');
    }
    // A single PUT completes the upload (storage's event moves the video on): a second one is a replay.
    if (!target.uploadId && (await this.store.head(target.key))) throw done();
  }

  private async ownedRow(user: PublicUser, videoId: string): Promise<VideoRow> {
    const row = await this.videos.get(videoId);
    if (row?.owner_id !== user.id) throw new AppError('upload_not_found', `No upload with id "${videoId}" of yours.`);
    return row;
  }

  private partPlan(size: number): Array<{ partNumber: number; size: number }> {
    const parts: Array<{ partNumber: number; size: number }> = [];
    for (let offset = 0, n = 1; offset < size; offset += this.cfg.partSize, n++) {
      parts.push({ partNumber: n, size: Math.min(this.cfg.partSize, size - offset) });
    }
    return parts;
  }

  private async instructions(row: VideoRow): Promise<UploadInstructions> {
    const size = Number(row.declared_size);
    const expiresInSec = this.cfg.urlTtlSec;
    if (!row.multipart_upload_id) {
      const req = await this.store.presignPut(row.original_key, { contentType: row.content_type, size, expiresInSec });
      return { kind: 'single', ...req, expiresAt: req.expiresAt.toISOString() };
    }
    const uploadId = row.multipart_upload_id;
    const stored = await this.store.listParts(row.original_key, uploadId);
    const done = new Map(stored.map((p) => [p.partNumber, p]));
    const todo = this.partPlan(size).filter((p) => done.get(p.partNumber)?.size !== p.size);
    const parts = await Promise.all(
      todo.map(async (p) => {
        const req = await this.store.presignPart(row.original_key, uploadId, p.partNumber, { size: p.size, expiresInSec });
        return { partNumber: p.partNumber, size: p.size, url: req.url, headers: req.headers };
      }),
    );
    return {
      kind: 'multipart',
      method: 'PUT',
      partSize: this.cfg.partSize,
      parts,
      uploadedParts: stored.filter((p) => done.has(p.partNumber)),
      expiresAt: new Date(Date.now() + expiresInSec * 1000).toISOString(),
    };
  }
}
