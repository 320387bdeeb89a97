import type { ModelVersionRow, PairRow, RecsRepository } from './recs.repository.js';

/** What a training run read: the pairs, how many playback events made them, and the mark the model records. */
export interface TrainingHistory {
  pairs: PairRow[];
  /** Counted playback events in the window. */
  eventsRead: number;
  /** Recorded with the model: the newest history it saw (see TrainingSource.upToDate). */
  mark: { maxEventId: number; lakeBatchId: number | null };
}

/**
 * Where the recommender's history comes from: the Parquet lake (the default,
 * lake-training.ts) or, with the lake disabled, the OLTP events table.
 */
export interface TrainingSource {
  /** Short name for logs and the CLI ("lake", "database"). */
  readonly name: string;
  /** Whether `latest` already saw everything this source holds (a scheduled run is then skipped). */
  upToDate(latest: ModelVersionRow): Promise<boolean>;
  /** Every (viewer, video) pair with signals since `since`. */
  history(since: Date): Promise<TrainingHistory>;
}

/**
 * The OLTP path (LAKE_ENABLED=false): TRAINING_PAIRS_SQL over the events
 * table and the likes, shares, comments and "Not interested" tables.
 */
export class DatabaseTrainingSource implements TrainingSource {
  readonly name = 'database';

  constructor(private readonly repo: RecsRepository) {}

  async upToDate(latest: ModelVersionRow): Promise<boolean> {
    return latest.maxEventId >= (await this.repo.maxEventId());
  }

  async history(since: Date): Promise<TrainingHistory> {
    const { pairs, eventsRead, maxEventId } = await this.repo.trainingPairs(since);
    return { pairs, eventsRead, mark: { maxEventId, lakeBatchId: null } };
  }
}
