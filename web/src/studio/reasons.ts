/**
 * Processing failures in plain words. The server's message says what exactly
 * went wrong; the title here says what it means for the person and what to do.
 */
const TITLES: Record<string, string> = {
  empty_file: 'The file was empty.',
  unrecognized_format: "This file isn't a video Curta can read.",
  unsupported_container: "This video's file format isn't supported.",
  playlist_not_allowed: 'Playlists and links to other files can’t be posted — upload the video file itself.',
  no_video_stream: 'There is no picture in this file.',
  unsupported_codec: "This video was recorded in a format Curta can't convert.",
  corrupt_media: 'The video file is damaged.',
  truncated_media: 'The video file is incomplete — it was probably cut off while recording or copying.',
  dimensions_too_large: 'The picture is too large.',
  dimensions_invalid: "The picture size doesn't make sense.",
  pixel_rate_too_high: 'The resolution and frame rate together are too high.',
  pixel_budget_exceeded: 'The video is too long for its resolution.',
  duration_too_long: 'The video is too long.',
  duration_invalid: "The video's length couldn't be worked out.",
  transcode_failed: 'Converting the video failed.',
  transcode_timeout: 'Converting the video took too long.',
  processing_failed: 'Something went wrong while processing.',
  upload_expired: "The upload wasn't finished in time.",
  original_changed: 'The file was replaced after the upload finished.',
};

/** Advice after the title; the server's own message follows it as the detail. */
const ADVICE: Record<string, string> = {
  corrupt_media: 'Try exporting it again from your camera or editor.',
  truncated_media: 'Copy or export the file again, then post it once more.',
  unsupported_codec: 'Export it as H.264 MP4 and try again.',
  unsupported_container: 'Export it as MP4 and try again.',
  unrecognized_format: 'Choose an MP4, MOV, WebM or MKV file.',
  duration_too_long: 'Trim it and try again.',
  pixel_rate_too_high: 'Export it at a lower resolution or frame rate and try again.',
  pixel_budget_exceeded: 'Export it at a lower resolution, or trim it, and try again.',
  transcode_failed: 'Try again, or export the video as H.264 MP4.',
  transcode_timeout: 'Try a shorter or smaller video.',
  processing_failed: 'Try posting it again.',
  original_changed: 'Post the video again.',
};

export interface Reason {
  title: string;
  advice: string;
  detail: string;
}

export function failureReason(error: { code: string; message: string } | undefined): Reason {
  const code = error?.code ?? 'processing_failed';
  return {
    title: TITLES[code] ?? "Curta couldn't process this video.",
    advice: ADVICE[code] ?? '',
    detail: error?.message ?? '',
  };
}
