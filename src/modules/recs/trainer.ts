import type { ObjectStore } from '../../ports/object-store.js';
import { randomId } from '../../lib/ids.js';
import { recModelKey } from '../../lib/storage-layout.js';
import type { ModelParams, TrainingData, TrainProgress } from './model/index.js';
import { encodeArtifact } from './model-store.js';
import type { PairRow, RecsRepository } from './recs.repository.js';
import { signalWeight } from './signals.js';
import type { TrainingSource } from './training-source.js';
import { timeSplit } from './tuning/holdout.js';
import { DEFAULT_SELF_TUNE, refitChosen, selfTune, type ModelSelection } from './tuning/self-tune.js';

export interface TrainSummary {
  version: number;
  objectKey: string;
  eventsRead: number;
  pairs: number;
  users: number;
  videos: number;
  /** Where the history came from: "lake" (Parquet through DuckDB) or "database" (the events table, lake disabled). */
  source: string;
  /** Reading and aggregating the history. */
  readMs: number;
  /** Fitting the model on the whole history (after the search). */
  fitMs: number;
  /** The self-tuning search (its own fit on the holdout's older part, then every candidate scored). */
  searchMs: number;
  totalMs: number;
  /** What the search chose and why (recorded with the version). */
  selection: ModelSelection;
}

export type TrainOutcome = { trained: true; summary: TrainSummary } | { trained: false; reason: string };

export interface TrainerOptions {
  /** How far back events count. */
  windowMs: number;
  /** Model versions kept in the store (older ones deleted). */
  keepVersions: number;
  /** Graph parameters every candidate shares (the search chooses the fold-in and the blend). */
  params?: Partial<ModelParams>;
  /** Holdout viewers the self-tuning search scores at most; 0 = no search (production defaults). */
  tuneMaxViewers: number;
  /** The EASE-graph candidates join the search on catalogs of at most this many items (RECS_TUNE_EASE_MAX_ITEMS; 0: never). */
  tuneEaseMaxItems?: number;
}

/** Pairs with a non-zero signal as the model's training triplets, with the ids behind each index and each pair's time. */
export function buildTrainingData(pairs: readonly PairRow[]): {
  data: TrainingData;
  userIds: string[];
  itemIds: string[];
  at: Float64Array;
} {
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const u: number[] = [];
  const it: number[] = [];
  const w: number[] = [];
  const at: number[] = [];
  for (const p of pairs) {
    const weight = signalWeight(p);
    if (weight === 0) continue;
    let ui = users.get(p.viewer);
    if (ui === undefined) users.set(p.viewer, (ui = users.size));
    let ii = items.get(p.videoId);
    if (ii === undefined) items.set(p.videoId, (ii = items.size));
    u.push(ui);
    it.push(ii);
    w.push(weight);
    at.push(p.lastAt.getTime());
  }
  return {
    data: { nUsers: users.size, nItems: items.size, users: Int32Array.from(u), items: Int32Array.from(it), weights: Float32Array.from(w) },
    userIds: [...users.keys()],
    itemIds: [...items.keys()],
    at: Float64Array.from(at),
  };
}

/**
 * One training run: history (the lake's events, or the OLTP tables with the
 * lake disabled: a TrainingSource) → signals per (viewer, video) → model → a
 * new versioned artifact in the object store. Skipped when nothing happened
 * since the current model (unless forced).
 */
export class RecsTrainer {
  private running: Promise<TrainOutcome> | null = null;

  constructor(
    private readonly repo: RecsRepository,
    private readonly source: TrainingSource,
    private readonly store: ObjectStore,
    private readonly opts: TrainerOptions,
  ) {}

  /** The trainer workers and `curta recs train` use: events of the last `windowDays`, three versions kept. */
  static forWindow(
    repo: RecsRepository,
    source: TrainingSource,
    store: ObjectStore,
    windowDays: number,
    tuneMaxViewers = DEFAULT_SELF_TUNE.maxViewers,
    tuneEaseMaxItems = DEFAULT_SELF_TUNE.easeMaxItems,
  ): RecsTrainer {
    return new RecsTrainer(repo, source, store, { windowMs: windowDays * 86_400_000, keepVersions: 3, tuneMaxViewers, tuneEaseMaxItems });
  }

  /** One run at a time per process; a second caller shares the running one. */
  train(o: { force?: boolean; onProgress?: (p: TrainProgress) => void } = {}): Promise<TrainOutcome> {
    this.running ??= this.run(o).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(o: { force?: boolean; onProgress?: (p: TrainProgress) => void }): Promise<TrainOutcome> {
    const started = Date.now();
    if (!o.force) {
      const latest = await this.repo.latestModel();
      if (latest && (await this.source.upToDate(latest))) return { trained: false, reason: 'no new events since the current model' };
    }
    o.onProgress?.({ phase: 'read', iteration: 0, of: 1 });
    const { pairs, eventsRead, mark } = await this.source.history(new Date(started - this.opts.windowMs));
    const { data, userIds, itemIds, at } = buildTrainingData(pairs);
    const readMs = Date.now() - started;
    if (data.nItems === 0) return { trained: false, reason: 'no viewing signals yet' };
    // Self-tuning: the most recent slice of every viewer's history held out, candidates fitted on the rest and
    // scored as served, one chosen with the overfitting guard; then the refit on everything with its settings.
    const searchStarted = Date.now();
    const tuned = await selfTune(
      timeSplit(data, at),
      {
        base: this.opts.params ?? {},
        maxViewers: this.opts.tuneMaxViewers,
        easeMaxItems: this.opts.tuneEaseMaxItems ?? DEFAULT_SELF_TUNE.easeMaxItems,
      },
      o.onProgress,
    );
    const searchMs = Date.now() - searchStarted;
    const fitStarted = Date.now();
    // The chosen family and settings (the RP3β model, or the EASE graph) on the whole history.
    const model = await refitChosen(data, tuned, o.onProgress);
    const fitMs = Date.now() - fitStarted;

    const trainedAt = new Date();
    const objectKey = recModelKey(trainedAt, randomId(6));
    await this.store.put(objectKey, encodeArtifact(model, itemIds, trainedAt), { contentType: 'application/octet-stream' });
    const row = await this.repo.recordModel(
      {
        objectKey,
        eventsRead,
        users: userIds.length,
        videos: itemIds.length,
        pairs: data.users.length,
        trainMs: Date.now() - started,
        ...mark,
        selection: tuned.selection,
      },
      tuned.params,
    );
    for (const key of await this.repo.pruneModels(this.opts.keepVersions)) await this.store.delete(key).catch(() => undefined);
    return {
      trained: true,
      summary: {
        version: row.version,
        objectKey,
        eventsRead,
        pairs: data.users.length,
        users: userIds.length,
        videos: itemIds.length,
        source: this.source.name,
        readMs,
        fitMs,
        searchMs,
        totalMs: Date.now() - started,
        selection: tuned.selection,
      },
    };
  }
}
