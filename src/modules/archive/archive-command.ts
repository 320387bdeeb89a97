import { parseArgs } from 'node:util';
import type { ArchiveService } from './archive.service.js';

export const ARCHIVE_USAGE = `Usage: curta archive sweep [--dry-run]
         run the archive sweep now: finish videos a stopped sweep left
         half-way, then archive what the policy selects (ready, not pinned,
         older than ARCHIVE_MIN_AGE_DAYS, no view for ARCHIVE_IDLE_DAYS), at
         most ARCHIVE_SWEEP_MAX_PER_RUN; --dry-run lists them and moves nothing
       curta archive video <id>
         archive one ready video now, whatever the policy says (not a pinned one)
       curta archive restore <id>
         start the restore of an archived video (workers retrieve and
         re-process it; GET /api/v1/videos/<id>/events follows it)`;

export interface ArchiveIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export type ArchiveCommand = { command: 'sweep'; dryRun: boolean } | { command: 'video' | 'restore'; id: string };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseArchiveArgs(args: readonly string[]): ArchiveCommand | { error: string } {
  const [sub, ...rest] = args;
  try {
    if (sub === 'sweep') {
      const { values } = parseArgs({ args: [...rest], options: { 'dry-run': { type: 'boolean', default: false } }, strict: true });
      return { command: 'sweep', dryRun: values['dry-run'] ?? false };
    }
    if (sub === 'video' || sub === 'restore') {
      if (rest.length !== 1) return { error: `curta archive ${sub} needs one video id` };
      if (!ID.test(rest[0]!)) return { error: `not a video id: "${rest[0]}"` };
      return { command: sub, id: rest[0]! };
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { error: sub ? `unknown archive command "${sub}"` : 'missing archive command (sweep, video or restore)' };
}

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** Runs a parsed `curta archive` command against a service; returns the exit status. */
export async function runArchiveCommand(service: ArchiveService, cmd: ArchiveCommand, io: ArchiveIo): Promise<number> {
  switch (cmd.command) {
    case 'sweep': {
      const r = await service.sweep({ dryRun: cmd.dryRun });
      for (const v of r.videos)
        io.out(`${cmd.dryRun ? 'would archive' : 'archived'} ${v.id}: original ${mb(v.archiveBytes)}, renditions ${mb(v.freedBytes)}`);
      io.out(
        `${cmd.dryRun ? 'dry run: ' : ''}${r.archived} video(s) ${cmd.dryRun ? 'to archive' : 'archived'}, ` +
          `${mb(r.archiveBytes)} to the archive tier, ${mb(r.freedBytes)} of renditions ${cmd.dryRun ? 'to delete' : 'deleted'}` +
          (r.finished ? `; ${r.finished} left half-way by an earlier sweep finished` : '') +
          (r.skipped ? `; ${r.skipped} skipped (changed meanwhile or failed: see the log)` : ''),
      );
      return 0;
    }
    case 'video': {
      const r = await service.archiveNow(cmd.id);
      io.out(`archived ${cmd.id}: original ${mb(r.archiveBytes)} in the archive tier, ${mb(r.freedBytes)} of renditions deleted`);
      return 0;
    }
    case 'restore': {
      const r = await service.restoreNow(cmd.id);
      io.out(r.started ? `restore of ${cmd.id} started; workers bring it back` : `${cmd.id} is already being restored`);
      return 0;
    }
  }
}
