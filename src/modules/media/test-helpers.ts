import type { MediaInfo, VideoStreamInfo } from '../../ports/transcoder.js';

/** A MediaInfo for planner tests: a plain 1080x1920 30 fps portrait phone clip unless overridden. */
export function mediaInfo(video: Partial<VideoStreamInfo> = {}, rest: Partial<MediaInfo> = {}): MediaInfo {
  const codedWidth = video.codedWidth ?? 1080;
  const codedHeight = video.codedHeight ?? 1920;
  return {
    family: 'isobmff',
    demuxer: 'mov',
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 1_000_000,
    durationSec: 10,
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
    ...rest,
    video: {
      index: 0,
      codec: 'h264',
      profile: 'High',
      pixFmt: 'yuv420p',
      bitDepth: 8,
      codedWidth,
      codedHeight,
      sampleAspectRatio: 1,
      displayWidth: codedWidth,
      displayHeight: codedHeight,
      orientation: { rotation: 0, mirrored: false },
      realFrameRate: 30,
      avgFrameRate: 30,
      frameCount: 300,
      durationSec: 10,
      fullRange: false,
      matrix: 'bt709',
      wideGamut: false,
      hdr: null,
      interlaced: false,
      dolbyVision: null,
      ...video,
    },
  };
}
