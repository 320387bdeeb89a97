import { createObjectStore } from '../adapters/factory.js';
import { resolveSigningSecret } from '../config/signing-secret.js';
import { LakeBackfill } from '../modules/lake/lake-backfill.js';
import { LakeMaintenance } from '../modules/lake/lake-compaction.js';
import { bufferHints } from '../modules/lake/batching.js';
import { LakeDelivery } from '../modules/lake/lake-delivery.js';
import { LakeErasure } from '../modules/lake/lake-erasure.js';
import type { Database } from '../ports/database.js';
import { CliUsageError, EXIT, type CliCommand, type CliContext } from './command.js';
import { withDatabase } from './tool-commands.js';

export const LAKE_USAGE = `Usage: curta lake status [--json]
       curta lake backfill
       curta lake erase

  status    the lake's buffer, files, pending erasures (deleted accounts
            whose events are still in lake files) and the backfill of
            pre-lake history (events recorded before the lake existed).
  backfill  copies every pre-lake event still to copy into the lake buffer
            and delivers it (exactly once: a chunk and its cursor commit
            together; running it again adds nothing). Workers do the same
            on their own, LAKE_BACKFILL_BATCH_EVENTS per delivery run.
  erase     runs the pending erasures now (delivery first): rewrites the
            lake files that hold a deleted account's events. The lake
            maintenance job does the same on its own.

  Opens the database and the store directly: on the embedded profile, stop
  a running server first (PGlite allows one process).`;

async function status(db: Database, json: boolean, ctx: CliContext): Promise<number> {
  const r = await db.query<{ buffer_rows: string; files: string; events: string; erasures: string; erasures_done: string }>(
    `SELECT (SELECT count(*) FROM lake_buffer)::text AS buffer_rows,
            (SELECT count(*) FROM lake_files WHERE state = 'live')::text AS files,
            (SELECT coalesce(sum(events), 0) FROM lake_files WHERE state = 'live')::text AS events,
            (SELECT count(*) FROM lake_erasures WHERE state = 'pending')::text AS erasures,
            (SELECT count(*) FROM lake_erasures WHERE state = 'done')::text AS erasures_done`,
  );
  const row = r.rows[0]!;
  const backfill = await new LakeBackfill(db).state();
  const out = {
    bufferRows: Number(row.buffer_rows),
    liveFiles: Number(row.files),
    lakeEvents: Number(row.events),
    erasuresPending: Number(row.erasures),
    erasuresDone: Number(row.erasures_done),
    backfill: backfill && {
      done: backfill.done,
      copied: backfill.events,
      remaining: backfill.done
        ? 0
        : Number(
            (
              await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM events WHERE id > $1::bigint AND id <= $2::bigint`, [
                backfill.nextId,
                backfill.uptoId,
              ])
            ).rows[0]!.n,
          ),
    },
  };
  if (json) ctx.io.out(JSON.stringify(out, null, 2));
  else {
    ctx.io.out(`buffer rows          ${out.bufferRows}`);
    ctx.io.out(`live files           ${out.liveFiles} (${out.lakeEvents} events)`);
    ctx.io.out(`erasures pending     ${out.erasuresPending} (done ${out.erasuresDone})`);
    ctx.io.out(
      `pre-lake backfill    ${out.backfill === null ? 'n/a' : out.backfill.done ? `done (${out.backfill.copied} events)` : `${out.backfill.copied} copied, ${out.backfill.remaining} to go`}`,
    );
  }
  return EXIT.ok;
}

export const lakeCliCommand: CliCommand = {
  name: 'lake',
  summary: 'data lake: curta lake status [--json] | backfill | erase',
  usage: LAKE_USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === 'status') {
      if (rest.some((a) => a !== '--json')) throw new CliUsageError(`curta lake status takes only --json (got "${rest.join(' ')}")`);
      return withDatabase(ctx, (db) => status(db, rest.includes('--json'), ctx));
    }
    if ((sub !== 'backfill' && sub !== 'erase') || rest.length > 0) {
      throw new CliUsageError(sub === undefined ? 'curta lake needs a subcommand' : `unknown arguments "${args.join(' ')}"`);
    }
    const config = await resolveSigningSecret(ctx.config(), ctx.log());
    return withDatabase(ctx, async (db) => {
      const log = ctx.log();
      const store = createObjectStore(config);
      const { lake } = config;
      const delivery = new LakeDelivery(db, store, bufferHints(lake), log);
      if (sub === 'backfill') {
        const backfill = new LakeBackfill(db, log);
        let total = 0;
        for (;;) {
          const r = await backfill.run({ maxEvents: lake.batchMaxEvents });
          total += r.events;
          await delivery.flush();
          if (r.done || r.events === 0) break;
        }
        ctx.io.out(`backfilled ${total} pre-lake events into the lake`);
        return EXIT.ok;
      }
      await delivery.flush();
      const erasure = new LakeErasure(db, store, new LakeMaintenance(db, store, log), log);
      const r = await erasure.run();
      ctx.io.out(`erasures done ${r.done}, waiting ${r.waiting}; ${r.files} files rewritten, ${r.events} events erased`);
      return r.waiting > 0 ? EXIT.failure : EXIT.ok;
    });
  },
};
