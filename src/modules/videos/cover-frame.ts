import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../errors.js';
import type { BoundedSemaphore } from '../../lib/bounded-semaphore.js';
import { randomId } from '../../lib/ids.js';
import { ownedName } from '../../lib/scratch.js';
import { renditionObjectKey, renditionRungFolder } from '../../lib/storage-layout.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { Transcoder } from '../../ports/transcoder.js';
import { readMediaPlaylist } from '../media/hls.js';
import { CACHE_IMMUTABLE, CONTENT_TYPES } from '../media/pipeline.js';
import type { RenditionRecord } from './videos.repository.js';

/** What a seconds-long Retry-After says when every decode slot is taken. */
const BUSY_RETRY_AFTER_SEC = 5;
/** A playlist's own URIs are plain file names; anything else is refused rather than resolved. */
const SAFE_URI = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Every rung's media playlist, inside its folder (pipeline.ts publishes it under this name). */
const RUNG_PLAYLIST = 'index.m3u8';

/** The poster object of one cover choice: a new name each time, so its URL (and every cache of it) is new. */
export function coverPosterKey(): string {
  return `poster-${randomId(10)}.jpg`;
}

export interface CoverFrameDeps {
  store: ObjectStore;
  transcoder: Pick<Transcoder, 'makePoster'>;
  /** Scratch space: each cut works in a fresh folder inside it (owner-tagged, see lib/scratch.ts) and removes it. */
  workDir: string;
  /** Decode slots shared with the process's other picture work (avatars): a few at once, the rest told to come back. */
  slots: BoundedSemaphore;
}

/**
 * Cuts a new poster for a ready video from its stored best rendition: reads
 * that rung's media playlist, fetches its init segment and the one media
 * segment holding the chosen time, and has ffmpeg decode one frame (the same
 * step processing uses for the automatic poster). Bounded work whatever the
 * video's length: one segment (a few seconds of one rung), one frame, inside
 * a shared decode slot.
 */
export class CoverFrames {
  constructor(private readonly deps: CoverFrameDeps) {}

  /**
   * Publishes a poster taken `atMs` into the video whose renditions live
   * under `mediaPrefix`; returns its key relative to that prefix.
   */
  async cut(mediaPrefix: string, best: RenditionRecord, atMs: number): Promise<string> {
    return this.deps.slots.run(
      () => this.cutNow(mediaPrefix, best, atMs),
      () => {
        throw new AppError('image_processing_busy', `Too many pictures are being processed; try again in ${BUSY_RETRY_AFTER_SEC} s.`, {
          retryAfter: BUSY_RETRY_AFTER_SEC,
        });
      },
    );
  }

  private async cutNow(mediaPrefix: string, best: RenditionRecord, atMs: number): Promise<string> {
    const dir = join(this.deps.workDir, ownedName(`cover-${randomId(6)}`));
    await mkdir(dir, { recursive: true });
    try {
      return await this.cutIn(dir, mediaPrefix, best, atMs);
    } catch (err) {
      // Its renditions went (deleted, or replaced by a new processing attempt) while we read them.
      if (err instanceof AppError && err.code === 'object_not_found') {
        throw new AppError('video_not_ready', "The video's media is being replaced; choose its cover once it is ready.");
      }
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async cutIn(dir: string, mediaPrefix: string, best: RenditionRecord, atMs: number): Promise<string> {
    const { store, transcoder } = this.deps;
    const folder = renditionRungFolder(best.name);
    const playlistPath = join(dir, RUNG_PLAYLIST);
    await store.getToFile(renditionObjectKey(mediaPrefix, `${folder}${RUNG_PLAYLIST}`), playlistPath);
    const playlist = await readMediaPlaylist(playlistPath);
    if (!playlist?.mapUri || playlist.segments.length === 0) throw new Error(`the ${best.name} playlist of ${mediaPrefix} has no media`);

    const atSec = atMs / 1000;
    let start = 0;
    let index = 0;
    // The segment holding `atSec`: the last one when the time lies in the playlist's rounding past the end.
    while (index < playlist.segments.length - 1 && start + playlist.segments[index]!.durationSec <= atSec) {
      start += playlist.segments[index]!.durationSec;
      index++;
    }
    const segment = playlist.segments[index]!;
    for (const uri of [playlist.mapUri, segment.uri]) {
      if (!SAFE_URI.test(uri)) throw new Error(`unexpected URI in the ${best.name} playlist of ${mediaPrefix}: ${uri}`);
    }
    const initPath = join(dir, 'init.mp4');
    await Promise.all([
      store.getToFile(renditionObjectKey(mediaPrefix, `${folder}${playlist.mapUri}`), initPath),
      store.getToFile(renditionObjectKey(mediaPrefix, `${folder}${segment.uri}`), join(dir, 'segment.m4s')),
    ]);

    const posterPath = join(dir, 'poster.jpg');
    await transcoder.makePoster(
      {
        name: best.name,
        width: best.width,
        height: best.height,
        dir,
        playlistPath,
        initPath,
        segments: [{ uri: 'segment.m4s', durationSec: segment.durationSec }],
      },
      Math.max(0, atSec - start),
      posterPath,
    );
    const key = coverPosterKey();
    await store.putFile(renditionObjectKey(mediaPrefix, key), posterPath, {
      contentType: CONTENT_TYPES.poster,
      cacheControl: CACHE_IMMUTABLE,
    });
    return key;
  }
}
