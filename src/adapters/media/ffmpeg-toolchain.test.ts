import { describe, expect, it } from 'vitest';
import { lastMeaningfulLine, missingCodecs, missingDemuxers, missingFilters, queryTool } from './ffmpeg-toolchain.js';

describe('lastMeaningfulLine', () => {
  it('skips aftermath lines, strips context prefixes and hides server paths', () => {
    const stderr = [
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d0c0] moov atom not found',
      'file:/srv/curta/work/media-x/upload.mp4: Invalid data found when processing input',
      'Conversion failed!',
      '',
    ].join('\n');
    expect(lastMeaningfulLine(stderr)).toBe('input: Invalid data found when processing input');
    expect(lastMeaningfulLine('[h264 @ 0xabc] decode_slice_header error\n    Last message repeated 3 times\n')).toBe(
      'decode_slice_header error',
    );
    expect(lastMeaningfulLine('')).toBe('');
  });
});

describe('toolchain listings', () => {
  // Excerpts of ffmpeg 5.1's -encoders, -filters and -demuxers output.
  const encoders = [
    'Encoders:',
    ' V..... = Video',
    ' ------',
    ' VFS... mjpeg                MJPEG (Motion JPEG)',
    ' V....D mjpeg_vaapi          MJPEG (VAAPI) (codec mjpeg)',
    ' A....D aac                  AAC (Advanced Audio Coding)',
  ].join('\n');
  const filters = [
    'Filters:',
    '  T.. = Timeline support',
    ' ..C scale             V->V       Scale the input video size.',
    ' TSC overlay           VV->V      Overlay a video source on top of the input.',
    ' ..C color             |->V       Provide an uniformly colored input.',
  ].join('\n');
  const demuxers = [
    'Demuxers:',
    ' D. = Demuxing supported',
    ' --',
    ' D  jpeg_pipe       piped jpeg sequence',
    ' DE mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV',
    ' D  png_pipe        piped png sequence',
  ].join('\n');

  it('finds a name only where it is listed as one (not as a prefix of another)', () => {
    expect(missingCodecs(encoders, ['mjpeg', 'aac', 'libx264'])).toEqual(['libx264']);
    expect(missingCodecs(encoders.replace(' VFS... mjpeg ', ' VFS... mjpegx '), ['mjpeg'])).toEqual(['mjpeg']);
    expect(missingFilters(filters, ['scale', 'overlay', 'color', 'crop'])).toEqual(['crop']);
    expect(missingDemuxers(demuxers, ['jpeg_pipe', 'png_pipe', 'webp_pipe', 'mp4'])).toEqual(['webp_pipe']);
    expect(missingDemuxers(demuxers, ['Demuxing'])).toEqual(['Demuxing']);
  });

  it('names the variable to set when the tool is missing or failing', async () => {
    await expect(queryTool('/nonexistent/ffprobe', ['-version'], 'FFPROBE_PATH')).rejects.toThrow(
      "ffprobe not found at /nonexistent/ffprobe: install Debian's ffmpeg (apt-get install ffmpeg) or set FFPROBE_PATH",
    );
    await expect(queryTool('false', [], 'FFMPEG_PATH')).rejects.toThrow(/^ffmpeg at false failed \(exit 1\): .* or set FFMPEG_PATH$/);
  });
});
