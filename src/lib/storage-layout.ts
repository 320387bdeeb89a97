/**
 * Where everything lives in the object store. Keys end up in the database
 * (videos.original_key and media_prefix, users.avatar_key,
 * rec_models.object_key) and in URLs that players and CDNs cache, so this
 * layout is a stored format: a change needs a migration of existing data.
 *
 *   originals/<videoId>                      the uploaded file, as sent
 *   media/<videoId>/<revision>/…             one processing attempt's renditions
 *   avatars/<userId>/<nonce>.jpg             one avatar version
 *   recs/models/<trainedAt>-<nonce>.bin      one trained recommender
 *
 * Builders only format: they take ids this server generated (randomId).
 * A key made from a request or a storage event must pass a parser before it
 * is used; parsers refuse whatever does not fit, so a `/` or `..` cannot
 * smuggle a key under another prefix.
 *
 * Media and avatar objects are served at the URL path equal to their key
 * (`<base>/media/…`, `<base>/avatars/…`).
 */

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MEDIA_ROOT = 'media/';
const AVATAR_ROOT = 'avatars/';

// ---- originals -------------------------------------------------------------

/** The folder of every original (a prefix to list). */
export const ORIGINALS_FOLDER = 'originals/';

export function originalKey(videoId: string): string {
  return `originals/${videoId}`;
}

/** The video an original's key belongs to, or null for any other key. */
export function parseOriginalKey(key: string): string | null {
  const match = /^originals\/([A-Za-z0-9_-]+)$/.exec(key);
  return match ? match[1]! : null;
}

// ---- renditions ------------------------------------------------------------

/** Every object of a video's renditions, all revisions (a prefix to list or delete). */
export function videoMediaFolder(videoId: string): string {
  return `${MEDIA_ROOT}${videoId}/`;
}

/** The folder holding every video's media folder (a prefix to list with a '/' delimiter). */
export const MEDIA_FOLDER = MEDIA_ROOT;

/** The video a `media/<videoId>/` folder belongs to, or null for anything else. */
export function parseVideoMediaFolder(folder: string): string | null {
  const match = /^media\/([A-Za-z0-9_-]+)\/$/.exec(folder);
  return match ? match[1]! : null;
}

/**
 * One processing attempt's renditions (`media/<id>/<revision>`, no trailing
 * slash: the form stored in videos.media_prefix). A new revision per attempt
 * keeps every rendition URL immutable.
 */
export function renditionPrefix(videoId: string, revision: string): string {
  return `${MEDIA_ROOT}${videoId}/${revision}`;
}

/** The video and revision a stored rendition prefix names, or null when it is not one. */
export function parseRenditionPrefix(prefix: string): { videoId: string; revision: string } | null {
  if (!prefix.startsWith(MEDIA_ROOT)) return null;
  const parts = prefix.slice(MEDIA_ROOT.length).split('/');
  if (parts.length !== 2 || !parts.every((p) => SEGMENT.test(p))) return null;
  return { videoId: parts[0]!, revision: parts[1]! };
}

/** The folder form of a rendition prefix, for listing or deleting what it holds. */
export function renditionFolder(prefix: string): string {
  return `${prefix}/`;
}

/** An object inside a rendition prefix, from its key relative to it (e.g. RENDITION_MASTER). */
export function renditionObjectKey(prefix: string, relativeKey: string): string {
  return `${prefix}/${relativeKey}`;
}

/** Keys relative to a rendition prefix. Stored in videos.playback. */
export const RENDITION_MASTER = 'hls/master.m3u8';
export const RENDITION_MP4 = 'video.mp4';
export const RENDITION_POSTER = 'poster.jpg';

/** The folder of one HLS rung (its playlist, init and media segments), relative to the rendition prefix. */
export function renditionRungFolder(rungName: string): string {
  return `hls/${rungName}/`;
}

/** The key of the media object at URL path `/media/<path>`. */
export function mediaKeyAt(path: string): string {
  return `${MEDIA_ROOT}${path}`;
}

/** A key's path below `media/` (what signed media URLs carry after their signature). */
export function pathBelowMedia(keyOrPrefix: string): string {
  return keyOrPrefix.startsWith(MEDIA_ROOT) ? keyOrPrefix.slice(MEDIA_ROOT.length) : keyOrPrefix;
}

/** The video a media key belongs to, or null when the key is no servable rendition object. */
export function parseMediaKey(key: string): { videoId: string; revision: string } | null {
  const match = /^media\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)\/[A-Za-z0-9_./-]+$/.exec(key);
  if (!match || key.includes('..')) return null;
  return { videoId: match[1]!, revision: match[2]! };
}

// ---- avatars ---------------------------------------------------------------

export function avatarKey(userId: string, nonce: string): string {
  return `${AVATAR_ROOT}${userId}/${nonce}.jpg`;
}

/** Every avatar version of a user (a prefix to delete when the account goes). */
export function avatarFolder(userId: string): string {
  return `${AVATAR_ROOT}${userId}/`;
}

/** The key of the avatar at URL path `/avatars/<path>`. */
export function avatarKeyAt(path: string): string {
  return `${AVATAR_ROOT}${path}`;
}

/** The owner and nonce of an avatar key, or null when the key is no avatar. */
export function parseAvatarKey(key: string): { userId: string; nonce: string } | null {
  const match = /^avatars\/([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,64})\.jpg$/.exec(key);
  return match ? { userId: match[1]!, nonce: match[2]! } : null;
}

// ---- recommender models ----------------------------------------------------

/** A trained model's key: sortable by training time, unique by nonce. */
export function recModelKey(trainedAt: Date, nonce: string): string {
  return `recs/models/${trainedAt.toISOString().replace(/[:.]/g, '-')}-${nonce}.bin`;
}
