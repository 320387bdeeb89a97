import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A real little H.264/AAC clip made with ffmpeg's test sources. */
export async function makeClip(
  path: string,
  opts: { width?: number; height?: number; seconds?: number; fps?: number; audio?: boolean; extra?: string[] } = {},
): Promise<void> {
  const { width = 360, height = 640, seconds = 3, fps = 30, audio = true, extra = [] } = opts;
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`];
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', 'aac', '-shortest');
  args.push(...extra, path);
  await run('ffmpeg', args);
}
