import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Database } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { runOfflineEval } from './offline/offline-eval.js';
import type { LakeReader } from '../lake/lake-reader.js';
import { LakeTrainingSource } from './lake-training.js';
import { RecsRepository } from './recs.repository.js';
import { RecsTrainer } from './trainer.js';
import type { ModelSelection } from './tuning/self-tune.js';

export const RECS_USAGE = `Usage: curta recs train [--force]
         fit the For You model on the history in the Parquet lake (events of
         the last RECS_TRAIN_WINDOW_DAYS, delivered from the buffer first) and
         publish a new version (API processes load it without a restart);
         --force trains even when no event arrived since the current model
       curta recs eval --dataset <dir> [--split test|valid]
         offline evaluation on a "user item label" split (train/valid/test
         files, e.g. ../shared/data/kuairand): the served For You ranking,
         self-tuned on the dataset's own valid split as a training run tunes
         on its holdout, next to popularity and EASE, in one run: Recall@20,
         NDCG@20, catalog coverage, Gini, novelty`;

const SPLIT_FILES = ['train.txt', 'valid.txt', 'test.txt'];

export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`);

/** `curta recs train`: one training run with its progress and what it fitted. */
export async function recsTrainCommand(
  db: Database,
  store: ObjectStore,
  opts: {
    windowDays: number;
    tuneMaxViewers?: number;
    tuneEaseMaxItems?: number;
    force: boolean;
    lake: { reader: LakeReader; flush?: () => Promise<unknown> };
  },
  io: CommandIo,
): Promise<number> {
  const repo = new RecsRepository(db);
  const source = new LakeTrainingSource(opts.lake.reader, repo, opts.lake.flush);
  const trainer = RecsTrainer.forWindow(repo, source, store, opts.windowDays, opts.tuneMaxViewers, opts.tuneEaseMaxItems);
  let lastPhase = '';
  const outcome = await trainer.train({
    force: opts.force,
    onProgress: (p) => {
      if (p.phase === 'read') io.out('reading events from the lake…');
      else if (p.phase !== lastPhase || p.iteration === p.of) io.out(`${p.phase} ${p.iteration}/${p.of}`);
      lastPhase = p.phase;
    },
  });
  if (!outcome.trained) {
    io.out(`nothing trained: ${outcome.reason}`);
    return 0;
  }
  const s = outcome.summary;
  io.out(
    [
      `model v${s.version} trained in ${fmtMs(s.totalMs)} (read ${fmtMs(s.readMs)}, search ${fmtMs(s.searchMs)}, fit ${fmtMs(s.fitMs)})`,
      ...selectionLines(s.selection),
      `  events read ${s.eventsRead.toLocaleString('en')} · viewer/video pairs ${s.pairs.toLocaleString('en')}`,
      `  viewers ${s.users.toLocaleString('en')} · videos ${s.videos.toLocaleString('en')}`,
      `  stored at ${s.objectKey}`,
    ].join('\n'),
  );
  return 0;
}

/** The self-tuning outcome as `curta recs train` prints it. */
export function selectionLines(sel: ModelSelection): string[] {
  const lines = [`  ranking: ${sel.chosen}`, `    ${sel.status === 'tuned' ? 'self-tuned' : 'not tuned'}: ${sel.reason}`];
  const h = sel.holdout;
  if (h) {
    lines.push(
      `    holdout NDCG@${h.k} (${h.viewers} viewers, most recent 20% of each history): chosen ${h.chosenNdcg.toFixed(4)} · popularity only ${h.popularityNdcg.toFixed(4)} · production defaults ${h.defaultsNdcg.toFixed(4)} · best ${h.bestNdcg.toFixed(4)}`,
      `    rule: ${sel.rule} (${sel.candidates} candidates)`,
    );
  }
  return lines;
}

export function parseRecsArgs(
  args: readonly string[],
): { command: 'train'; force: boolean } | { command: 'eval'; dataset: string; split: 'test' | 'valid' } | { error: string } {
  const [sub, ...rest] = args;
  try {
    if (sub === 'train') {
      const { values } = parseArgs({ args: rest, options: { force: { type: 'boolean', default: false } }, strict: true });
      return { command: 'train', force: values.force ?? false };
    }
    if (sub === 'eval') {
      const { values } = parseArgs({
        args: rest,
        options: { dataset: { type: 'string' }, split: { type: 'string', default: 'test' } },
        strict: true,
      });
      if (!values.dataset) return { error: '--dataset <dir> is required' };
      if (values.split !== 'test' && values.split !== 'valid') return { error: '--split must be test or valid' };
      return { command: 'eval', dataset: values.dataset, split: values.split };
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { error: sub ? `unknown recs command "${sub}"` : 'missing recs command' };
}

/** `curta recs eval`: the offline evaluation (src/modules/recs/offline), printed as it goes. */
export async function recsEvalCommand(o: { dataset: string; split: 'test' | 'valid' }, io: CommandIo): Promise<number> {
  const missing = SPLIT_FILES.filter((f) => !existsSync(join(o.dataset, f)));
  if (missing.length > 0) {
    io.err(`recs eval: ${o.dataset} lacks ${missing.join(', ')} (expected train.txt, valid.txt and test.txt with "user item label" lines)`);
    return 66; // EX_NOINPUT
  }
  try {
    await runOfflineEval({ dataset: o.dataset, split: o.split }, io.out);
    return 0;
  } catch (err) {
    io.err(`recs eval: ${(err as Error).message}`);
    return 66; // EX_NOINPUT: missing or malformed dataset
  }
}
