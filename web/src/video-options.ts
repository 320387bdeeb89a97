import type { Visibility } from './types.js';

/** The server's caption limit (characters), shown as a counter where captions are written. */
export const MAX_CAPTION = 2200;

/** Who can see a video: the choices the studio and the edit sheet offer, in this order. */
export const VISIBILITIES: ReadonlyArray<{ value: Visibility; label: string; hint: string }> = [
  { value: 'public', label: 'Public', hint: 'Everyone, in the feed and search' },
  { value: 'unlisted', label: 'Unlisted', hint: 'Anyone with the link' },
  { value: 'followers', label: 'Followers', hint: 'People who follow you' },
  { value: 'private', label: 'Private', hint: 'Only you' },
];
