import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RENDITION_MASTER, RENDITION_MP4, RENDITION_POSTER, renditionRungFolder } from '../../lib/storage-layout.js';
import type {
  EncodePlan,
  EncodeResult,
  MediaInfo,
  MediaLogger,
  MediaSegment,
  RenditionOutput,
  RungPlan,
  Transcoder,
} from '../../ports/transcoder.js';
import { codecsFromInitSegment } from './codec-string.js';
import { buildMasterPlaylist, measureRendition, readMediaPlaylist, variantsFromPlan, variantUri, type Variant } from './hls.js';
import { posterTimeSec, progressiveRung } from './plan.js';

/**
 * The processing of one upload, from local file to published renditions.
 *
 * ffmpeg writes every rung at once; while it runs we poll the rung folders
 * and publish each finished segment, then the playlist that lists it (never
 * the other way round, so a player never asks for a segment that is not
 * there yet). Once every rung has its first segment, an early master
 * playlist goes out and the video is playable, long before the encode ends.
 * The poster is cut from the top rung as soon as the segment holding its
 * frame exists, so it is ready with the first playable master rather than
 * after the encode. At the end the playlists are final, the master is
 * rewritten with measured bitrates, and the progressive MP4 follows.
 */

export interface PublishOptions {
  contentType: string;
  cacheControl: string;
}

/** Stores a local file under a key relative to the video's prefix (the caller adds the prefix). */
export type Publish = (localPath: string, relKey: string, opts: PublishOptions) => Promise<void>;

export interface RunPipelineOptions {
  transcoder: Transcoder;
  /** The uploaded original on local disk. */
  input: string;
  /** Scratch space; the pipeline works in a fresh folder inside it and removes that folder. */
  workDir: string;
  publish: Publish;
  /** 0..1. */
  onProgress?: (fraction: number) => void;
  /** Called once, as soon as the master playlist can be played. */
  onPlayable?: (info: { master: string }) => void | Promise<void>;
  signal?: AbortSignal;
  /** How often the rung folders are checked while ffmpeg runs. */
  pollIntervalMs?: number;
  logger?: MediaLogger;
}

export interface PipelineRendition {
  name: string;
  width: number;
  height: number;
  /** Peak segment bitrate, bits/s. */
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  /** Init segment plus media segments. */
  bytes: number;
  /** Key of the media playlist. */
  playlist: string;
}

export interface PipelineResult {
  info: MediaInfo;
  plan: EncodePlan;
  renditions: PipelineRendition[];
  /** Relative keys; the caller prefixes them. */
  keys: { master: string; mp4: string; poster: string };
  durationMs: number;
  /** Size of the best rendition (upright). */
  width: number;
  height: number;
  /** Every published object, final versions. */
  totalBytes: number;
}

export const CONTENT_TYPES = {
  playlist: 'application/vnd.apple.mpegurl',
  segment: 'video/iso.segment',
  init: 'video/mp4',
  mp4: 'video/mp4',
  poster: 'image/jpeg',
} as const;

/** Renditions never change once written: keys are per video version. */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
/** Growing playlists must be revalidated. */
export const CACHE_REVALIDATE = 'no-cache';

const DEFAULT_POLL_MS = 250;
/** Share of the progress bar that the encode covers; the rest is finishing. */
const ENCODE_SHARE = 0.95;

export async function runPipeline(opts: RunPipelineOptions): Promise<PipelineResult> {
  const started = Date.now();
  const { transcoder, input, logger } = opts;
  const controller = new AbortController();
  const forwardAbort = (): void => controller.abort(opts.signal?.reason);
  if (opts.signal?.aborted) forwardAbort();
  opts.signal?.addEventListener('abort', forwardAbort, { once: true });

  await mkdir(opts.workDir, { recursive: true });
  const scratch = await mkdtemp(join(opts.workDir, 'media-'));
  const outDir = join(scratch, 'out');
  const staging = join(scratch, 'staging');
  await mkdir(staging, { recursive: true });

  const publisher = new Publisher(opts.publish, staging);
  let progress = 0;
  const report = (fraction: number): void => {
    if (fraction > progress) {
      progress = fraction;
      opts.onProgress?.(fraction);
    }
  };

  // Side work (the poster) that may still run when the encode fails.
  let poster: Promise<void> | null = null;
  // Read through a function: the poster starts inside a callback, which the compiler's narrowing does not see.
  const posterWork = (): Promise<void> | null => poster;
  try {
    controller.signal.throwIfAborted();
    await transcoder.sniff(input);
    const info = await transcoder.probe(input);
    const plan = transcoder.plan(info);
    logger?.info({ rungs: plan.rungs.map((r) => `${r.width}x${r.height}`), fps: plan.frameRate, filters: plan.filters }, 'media plan');

    // Lowest rung first: it is the one a slow connection needs soonest.
    const rungs = [...plan.rungs].reverse().map((r) => new RungPublisher(r, outDir, publisher));
    let playable = false;
    const announce = async (text: string, cacheControl: string): Promise<void> => {
      await publisher.publishText(RENDITION_MASTER, text, { contentType: CONTENT_TYPES.playlist, cacheControl });
      if (!playable) {
        playable = true;
        logger?.info({ afterMs: Date.now() - started }, 'video playable');
        await opts.onPlayable?.({ master: RENDITION_MASTER });
      }
    };

    // The poster: from the top rung (upright, SDR), started once its frame is encoded.
    const posterPath = join(scratch, 'poster.jpg');
    const topPublisher = rungs[rungs.length - 1]!;
    const startPoster = (atSec: number): void => {
      poster = transcoder
        .makePoster(topPublisher.rendition(), atSec, posterPath, { signal: controller.signal })
        .then(() =>
          publisher.publishFile(posterPath, RENDITION_POSTER, { contentType: CONTENT_TYPES.poster, cacheControl: CACHE_IMMUTABLE }),
        );
      // Awaited at the end; until then a failure must not count as unhandled.
      poster.catch(() => undefined);
    };
    // Known before the encode only when the header states a duration.
    const earlyPosterSec = plan.input.durationSec !== null ? posterTimeSec(plan.input.durationSec) : null;

    const encoding = transcoder.encode(plan, input, outDir, {
      signal: controller.signal,
      onProgress: (f) => report(f * ENCODE_SHARE),
    });
    const encodeSettled = encoding.then(
      () => undefined,
      () => undefined,
    );
    let encodeFinished = false;
    void encodeSettled.then(() => {
      encodeFinished = true;
    });

    const pollInterval = opts.pollIntervalMs ?? DEFAULT_POLL_MS;
    const polling = (async () => {
      while (!encodeFinished) {
        await Promise.all(rungs.map((r) => r.publishNew()));
        if (!playable && rungs.every((r) => r.segmentsPublished > 0)) {
          const codecs = await initCodecs(rungs);
          await announce(buildMasterPlaylist(variantsFromPlan(plan, codecs)), CACHE_REVALIDATE);
        }
        if (!poster && earlyPosterSec !== null && topPublisher.publishedDurationSec() > earlyPosterSec) {
          startPoster(earlyPosterSec);
        }
        await Promise.race([sleep(pollInterval), encodeSettled]);
      }
    })().catch((err: unknown) => {
      // A failed publish stops ffmpeg; the publish error is the one to report.
      controller.abort(err);
      throw err;
    });
    // Observed below, possibly later than it rejects: keep Node from calling it unhandled.
    polling.catch(() => undefined);

    let encoded: EncodeResult;
    try {
      encoded = await encoding;
    } catch (err) {
      await polling.catch(() => undefined);
      throw err;
    }
    await polling;

    // Whatever the last poll missed, and the final playlists (with ENDLIST).
    await Promise.all(rungs.map((r) => r.publishNew()));
    const byName = new Map(encoded.renditions.map((r) => [r.name, r]));
    const measured = await Promise.all(
      plan.rungs.map(async (rung) => {
        const rendition = byName.get(rung.name);
        const playlist = rendition ? await readMediaPlaylist(rendition.playlistPath) : null;
        if (!rendition || !playlist?.ended) throw new Error(`rendition ${rung.name} did not finish`);
        return { rung, rendition, stats: await measureRendition(rendition.dir, playlist) };
      }),
    );
    const fps = plan.frameRate.num / plan.frameRate.den;
    const variants: Variant[] = measured.map(({ rung, stats }) => ({
      uri: variantUri(rung),
      bandwidth: stats.peakBitrate,
      averageBandwidth: stats.averageBitrate,
      width: rung.width,
      height: rung.height,
      codecs: stats.codecs,
      frameRate: fps,
    }));
    await announce(buildMasterPlaylist(variants), CACHE_IMMUTABLE);
    report(0.97);

    const top = measured[0]!;
    const durationSec = top.stats.durationSec || encoded.decodedDurationSec;
    // Short clips, and streams without a stated duration: the poster waits for the real length.
    if (!poster) startPoster(posterTimeSec(durationSec));
    const small = progressiveRung(measured.map((m) => ({ ...m, shortSide: m.rung.shortSide })));
    const mp4Path = join(scratch, 'video.mp4');
    await transcoder.makeProgressiveMp4(small.rendition, mp4Path, { signal: controller.signal });
    await publisher.publishFile(mp4Path, RENDITION_MP4, { contentType: CONTENT_TYPES.mp4, cacheControl: CACHE_IMMUTABLE });
    await posterWork();
    report(1);

    return {
      info,
      plan,
      renditions: measured.map(({ rung, stats }) => ({
        name: rung.name,
        width: rung.width,
        height: rung.height,
        bandwidth: stats.peakBitrate,
        averageBandwidth: stats.averageBitrate,
        codecs: stats.codecs,
        bytes: stats.bytes,
        playlist: rung.playlistPath,
      })),
      keys: { master: RENDITION_MASTER, mp4: RENDITION_MP4, poster: RENDITION_POSTER },
      durationMs: Math.round(durationSec * 1000),
      width: top.rung.width,
      height: top.rung.height,
      totalBytes: publisher.totalBytes(),
    };
  } finally {
    opts.signal?.removeEventListener('abort', forwardAbort);
    // Nothing of ours may outlive the call: stop leftover ffmpeg runs before removing their files.
    controller.abort(new Error('pipeline finished'));
    await (poster as Promise<void> | null)?.catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Wraps `publish`, remembering the size of the latest version of every key. */
class Publisher {
  private readonly sizes = new Map<string, number>();
  private snapshots = 0;

  constructor(
    private readonly publish: Publish,
    private readonly staging: string,
  ) {}

  async publishFile(localPath: string, key: string, opts: PublishOptions, size?: number): Promise<void> {
    await this.publish(localPath, key, opts);
    this.sizes.set(key, size ?? (await stat(localPath)).size);
  }

  /** Text (a playlist) is frozen in its own file first: the source may change under us. */
  async publishText(key: string, text: string, opts: PublishOptions): Promise<void> {
    const path = join(this.staging, `${++this.snapshots}-${key.replace(/[^\w.-]+/g, '_')}`);
    await writeFile(path, text);
    await this.publishFile(path, key, opts, Buffer.byteLength(text));
  }

  totalBytes(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }
}

/** Publishes one rung's files as ffmpeg completes them. */
class RungPublisher {
  initPublished = false;
  initPath: string | null = null;
  private readonly segments: MediaSegment[] = [];
  private lastPlaylistText = '';
  private readonly dir: string;
  private readonly keyPrefix: string;

  constructor(
    readonly rung: RungPlan,
    outDir: string,
    private readonly publisher: Publisher,
  ) {
    this.dir = join(outDir, 'hls', rung.name);
    this.keyPrefix = renditionRungFolder(rung.name);
  }

  get segmentsPublished(): number {
    return this.segments.length;
  }

  /** What has been published so far, as a rendition (the poster reads it mid-encode). */
  rendition(): RenditionOutput {
    return {
      name: this.rung.name,
      width: this.rung.width,
      height: this.rung.height,
      dir: this.dir,
      playlistPath: join(this.dir, 'index.m3u8'),
      initPath: this.initPath ?? join(this.dir, `init_${this.rung.name}.mp4`),
      segments: this.segments.slice(),
    };
  }

  publishedDurationSec(): number {
    return this.segments.reduce((sum, s) => sum + s.durationSec, 0);
  }

  /** Publishes new segments, then the playlist that lists them. */
  async publishNew(): Promise<void> {
    const playlist = await readMediaPlaylist(join(this.dir, 'index.m3u8'));
    if (!playlist || playlist.text === this.lastPlaylistText) return;
    if (playlist.mapUri && !this.initPublished) {
      this.initPath = join(this.dir, safeName(playlist.mapUri));
      await this.publisher.publishFile(this.initPath, this.keyPrefix + safeName(playlist.mapUri), {
        contentType: CONTENT_TYPES.init,
        cacheControl: CACHE_IMMUTABLE,
      });
      this.initPublished = true;
    }
    for (const segment of playlist.segments.slice(this.segments.length)) {
      const name = safeName(segment.uri);
      await this.publisher.publishFile(join(this.dir, name), this.keyPrefix + name, {
        contentType: CONTENT_TYPES.segment,
        cacheControl: CACHE_IMMUTABLE,
      });
      this.segments.push(segment);
    }
    await this.publisher.publishText(`${this.keyPrefix}index.m3u8`, playlist.text, {
      contentType: CONTENT_TYPES.playlist,
      cacheControl: playlist.ended ? CACHE_IMMUTABLE : CACHE_REVALIDATE,
    });
    this.lastPlaylistText = playlist.text;
  }
}

/** ffmpeg names its files itself; still, a URI must be a plain file name in the rung folder. */
function safeName(uri: string): string {
  if (!/^[\w.-]+$/.test(uri) || uri.startsWith('.')) throw new Error(`unexpected file name in playlist: ${uri}`);
  return uri;
}

/** CODECS of each rung from its published init segment (what x264 really wrote). */
async function initCodecs(rungs: readonly RungPublisher[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    rungs.map(async (r) => {
      if (!r.initPath) return;
      const codecs = codecsFromInitSegment(await readFile(r.initPath));
      if (codecs.length > 0) out.set(r.rung.name, codecs.join(','));
    }),
  );
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
