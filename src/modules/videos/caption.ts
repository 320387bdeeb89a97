/**
 * Captions carry #hashtags and @mentions. Parsing is a pure function of the
 * text; the repository stores its result (hashtags as normalised tags,
 * mentions linked to the accounts that exist) whenever a caption is saved.
 */

import { z } from 'zod';
import { cleanText } from '../../lib/text.js';

export const MAX_CAPTION_LENGTH = 2200;

/** A caption as clients send it (upload, edit): plain text, control characters dropped, markup kept as typed. */
export const CaptionSchema = z
  .string()
  .max(MAX_CAPTION_LENGTH, `must be at most ${MAX_CAPTION_LENGTH} characters`)
  .transform((s) => cleanText(s, { multiline: true }));

export const VisibilitySchema = z.enum(['public', 'unlisted', 'followers', 'private']);
export const MAX_HASHTAGS = 30;
export const MAX_MENTIONS = 20;
export const MAX_TAG_LENGTH = 100;

// A tag starts after a non-word character (so "a#b" and "&#38;" are not tags) and
// runs over letters, digits and "_" in any script.
const HASHTAG = /(?:^|[^\p{L}\p{N}_&#])#([\p{L}\p{N}_]+)/gu;
// Usernames are [A-Za-z0-9_.]{3,30}; "email@host" is not a mention.
const MENTION = /(?:^|[^\p{L}\p{N}_.@])@([A-Za-z0-9_.]+)/gu;
const USERNAME = /^[A-Za-z0-9_.]{3,30}$/;
const TAG = /^[\p{L}\p{N}_]+$/u;

export interface ParsedCaption {
  /** Normalised tags (NFC, lower case, no '#'), first occurrence order, unique. */
  hashtags: string[];
  /** Lower-cased usernames, first occurrence order, unique. */
  mentions: string[];
}

/** The canonical form of a tag, or null when `raw` (with or without '#') is not one. */
export function normalizeTag(raw: string): string | null {
  const tag = raw.replace(/^#/, '').normalize('NFC').toLowerCase();
  return tag.length > 0 && tag.length <= MAX_TAG_LENGTH && TAG.test(tag) ? tag : null;
}

export function parseCaption(caption: string): ParsedCaption {
  const hashtags: string[] = [];
  for (const m of caption.matchAll(HASHTAG)) {
    const tag = normalizeTag(m[1]!);
    if (tag && !hashtags.includes(tag)) hashtags.push(tag);
    if (hashtags.length >= MAX_HASHTAGS) break;
  }
  const mentions: string[] = [];
  for (const m of caption.matchAll(MENTION)) {
    // A sentence may end right after a mention: "thanks @alice."
    const name = m[1]!.replace(/\.+$/, '').toLowerCase();
    if (USERNAME.test(name) && !mentions.includes(name)) mentions.push(name);
    if (mentions.length >= MAX_MENTIONS) break;
  }
  return { hashtags, mentions };
}
