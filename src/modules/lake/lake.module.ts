import { enqueueJob } from '../../jobs/job-definition.js';
import { scheduleJob } from '../../jobs/schedule.js';
import type { Platform } from '../../lib/module.js';
import { join } from 'node:path';
import { LakeBackfill } from './lake-backfill.js';
import { LakeMaintenance, type CompactionHooks } from './lake-compaction.js';
import { bufferHints } from './batching.js';
import { LakeDelivery, type BufferDepth, type DeliveryHooks } from './lake-delivery.js';
import { LakeErasure } from './lake-erasure.js';
import { deliverLakeJob, maintainLakeJob } from './lake.jobs.js';

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/**
 * Crash tests only (NODE_ENV=test): CURTA_TEST_LAKE_PAUSE=<point>:<ms> holds
 * a run at a point (after-files: batch files written, not committed;
 * after-merge: merged file written, not swapped; after-swap: swapped, sources
 * not deleted) and says so on stdout, for the test to SIGKILL it there.
 */
function testHooks(env: string): DeliveryHooks & CompactionHooks {
  const spec = env === 'test' ? process.env.CURTA_TEST_LAKE_PAUSE : undefined;
  if (!spec) return {};
  const [point, ms] = spec.split(':');
  const pause = (at: string, id: number) => async () => {
    if (point !== at) return;
    process.stdout.write(`LAKE_PAUSED ${at} ${id}\n`);
    await sleep(Number(ms ?? 60_000));
  };
  return {
    afterFilesWritten: (b) => pause('after-files', b.id)(),
    afterMergedWritten: (id) => pause('after-merge', id)(),
    afterSwap: (id) => pause('after-swap', id)(),
  };
}

/**
 * The data lake (Firehose → S3): events are captured into lake_buffer by the
 * code and triggers that make them (see migration 0019), delivered as Parquet
 * by workers, compacted and expired here. Queried by lake-reader.ts.
 */
export function createLakeModule(p: Platform) {
  const log = p.log.child({ module: 'lake' });
  const { lake } = p.config;
  const hooks = testHooks(p.config.env);
  const delivery = new LakeDelivery(p.db, p.store, bufferHints(lake), log, undefined, hooks);
  const maintenance = new LakeMaintenance(p.db, p.store, log, undefined, hooks);
  const erasure = new LakeErasure(p.db, p.store, maintenance, log, join(p.config.analytics.cacheDir, 'files'));
  const backfill = new LakeBackfill(p.db, log);
  /** Known done in this process: no more look-ups per delivery run. */
  let backfillDone = false;
  let buffered = 0;
  let depthInFlight: Promise<BufferDepth> | null = null;
  const requestDelivery = () => {
    enqueueJob(p.queue, deliverLakeJob, {}).catch((err: unknown) => log.warn({ err }, 'lake: could not ask for a delivery'));
  };
  return {
    delivery,
    maintenance,
    erasure,
    backfill,
    /**
     * Told how many events a request buffered: once this process has buffered
     * a batch's worth, a delivery is asked for now rather than at the next
     * interval (Firehose's size trigger), so the buffer stays bounded under load.
     */
    noteBuffered(n: number): void {
      if (lake.deliveryIntervalSec <= 0) return;
      buffered += n;
      if (buffered < lake.batchMaxEvents) return;
      buffered = 0;
      requestDelivery();
    },
    /** The buffer's depth, one query for concurrent callers (metrics scrapes). */
    depth(): Promise<BufferDepth> {
      return (depthInFlight ??= delivery.depth().finally(() => (depthInFlight = null)));
    },
    /** The handler of deliverLakeJob. */
    async runDelivery(signal?: AbortSignal): Promise<void> {
      const report = await delivery.run(signal ? { signal } : {});
      let depth = await delivery.depth();
      // History from before the lake (migration 0028), a batch's worth per run while the buffer is shallow.
      if (!backfillDone && lake.backfillBatchEvents > 0 && depth.events < lake.batchMaxEvents && !signal?.aborted) {
        const filled = await backfill.run({ maxEvents: lake.backfillBatchEvents, ...(signal ? { signal } : {}) });
        backfillDone = filled.done;
        if (filled.events > 0) {
          await delivery.run({ force: true, ...(signal ? { signal } : {}) });
          depth = await delivery.depth();
        }
      }
      if (depth.oldestSec > Math.max(5 * lake.maxAgeSec, 300) || depth.events > 10 * lake.batchMaxEvents) {
        log.warn({ ...depth, delivered: report }, 'lake: delivery lags behind the buffer');
      }
    },
    /** The handler of maintainLakeJob: compaction, then retention. */
    async runMaintenance(signal?: AbortSignal): Promise<void> {
      const opts = signal ? { signal } : {};
      // Erasures first (deleted accounts' rows out of the lake), again at the end for those asked for meanwhile.
      await erasure.run(opts);
      const compacted = await maintenance.compact(opts);
      if (compacted.failed > 0) log.error(compacted, 'lake: some compactions failed (see the errors above)');
      await maintenance.prune(lake.retentionDays, opts);
      if ((await erasure.pending()) > 0) {
        const again = await erasure.run(opts);
        if (again.waiting > 0) log.info(again, 'lake: erasures wait for a delivery; the next maintenance run finishes them');
      }
    },
    /** Scheduled delivery and maintenance in worker processes; returns the stoppers. */
    schedule(): Array<() => Promise<void>> {
      const stoppers: Array<() => Promise<void>> = [];
      if (lake.deliveryIntervalSec > 0) {
        stoppers.push(scheduleJob(p.queue, deliverLakeJob, {}, lake.deliveryIntervalSec * 1000, log));
      }
      if (lake.compactIntervalSec > 0) {
        stoppers.push(scheduleJob(p.queue, maintainLakeJob, {}, lake.compactIntervalSec * 1000, log));
      }
      return stoppers;
    },
  };
}
export type LakeModule = ReturnType<typeof createLakeModule>;
