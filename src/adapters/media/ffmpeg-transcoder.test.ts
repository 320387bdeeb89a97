import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFMPEG, FFPROBE } from '../../../test/support/media-helpers.js';
import { FfmpegTranscoder } from './ffmpeg-transcoder.js';

const transcoder = (ffmpegPath: string, ffprobePath: string) =>
  new FfmpegTranscoder({ ffmpegPath, ffprobePath, maxDurationSec: 600, timeoutSec: 60 });

describe('FfmpegTranscoder.check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in ffmpeg that prints `encoders` for -encoders and a full filter list for -filters. */
  const fakeFfmpeg = async (name: string, encoders: string[]): Promise<string> => {
    const path = join(dir, name);
    const filters = ['zscale', 'tonemap', 'bwdif', 'fps', 'split', 'asplit', 'apad'].map((f) => ` ... ${f}  V->V  x`).join('\n');
    const list = encoders.map((e) => ` V..... ${e}  x`).join('\n');
    await writeFile(
      path,
      `#!/bin/sh\ncase "$*" in\n  *-encoders*) printf '%s\\n' 'Encoders:' ' ------' '${list}' ;;\n  *-filters*) printf '%s\\n' 'Filters:' '${filters}' ;;\nesac\n`,
    );
    await chmod(path, 0o755);
    return path;
  };

  it('passes on the real toolchain', async () => {
    await expect(transcoder(FFMPEG, FFPROBE).check()).resolves.toBeUndefined();
  });

  it('says how to fix a missing ffmpeg', async () => {
    await expect(transcoder('/nonexistent/ffmpeg', FFPROBE).check()).rejects.toThrow(
      "ffmpeg not found at /nonexistent/ffmpeg: install Debian's ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH",
    );
  });

  it('says how to fix a missing ffprobe', async () => {
    await expect(transcoder(FFMPEG, '/nonexistent/ffprobe').check()).rejects.toThrow(
      "ffprobe not found at /nonexistent/ffprobe: install Debian's ffmpeg (apt-get install ffmpeg) or set FFPROBE_PATH",
    );
  });

  it('refuses an ffmpeg without libx264 or without the aac encoder', async () => {
    await expect(transcoder(await fakeFfmpeg('no-x264', ['libx265', 'aac']), FFPROBE).check()).rejects.toThrow(/lacks the libx264 encoder/);
    await expect(transcoder(await fakeFfmpeg('no-aac', ['libx264', 'libopus']), FFPROBE).check()).rejects.toThrow(/lacks the aac encoder/);
  });
});
