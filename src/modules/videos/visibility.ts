import type { VideoRow } from './video.types.js';

/**
 * Who may see a video: the one rule, in two forms that must agree — a pure
 * function for a single row (`canView`) and SQL fragments for lists.
 *
 * - the owner sees their own videos in every state (taken down included, with the reason);
 * - nobody else sees a video before it is ready, before it is published (a
 *   draft, or scheduled for a later time: `isPublished`), once it is taken
 *   down, or while its owner is banned;
 * - nobody sees the videos of someone they blocked or who blocked them;
 * - public: anyone; unlisted: anyone with the id, but it is never listed;
 * - followers: the owner's followers; private: the owner only.
 *
 * A refusal looks exactly like a missing video, with one exception: the
 * video's own answer to someone whose one obstacle is not following the
 * owner says whose followers it is for (`followersOnlyFor`).
 *
 * Comments, mentions and people follow the same two relations (bans and
 * blocks): see `commentVisibleSql`, `mentionLinkedSql` and `userVisibleSql`.
 */

/** What the rule needs to know about the viewer's relation to the owner. */
export interface ViewerRelation {
  followsOwner: boolean;
  /** A block between the viewer and the owner, in either direction. */
  blocked: boolean;
}

export const NO_RELATION: ViewerRelation = Object.freeze({ followsOwner: false, blocked: false });

export type VideoAccessFields = Pick<VideoRow, 'owner_id' | 'status' | 'visibility' | 'taken_down_at' | 'owner_banned'> &
  Partial<Pick<VideoRow, 'publish_at'>>;

/** Where a video stands with its publication (its owner's choice; orthogonal to processing and visibility). */
export type Publication = 'draft' | 'scheduled' | 'published';

/**
 * Drafts (`publish_at` null) and scheduled videos (`publish_at` later than
 * now) are published for nobody but their owner; from `publish_at` on, the
 * video is published. Decided against the clock on every read (here and in
 * `publishedSql`), so a scheduled video appears at its time in every process
 * with nothing to flip. (Rows cached before migration 0016 lack the column:
 * published.)
 */
export function publicationOf(row: Partial<Pick<VideoRow, 'publish_at'>>, now: number = Date.now()): Publication {
  if (row.publish_at === undefined) return 'published';
  if (row.publish_at === null) return 'draft';
  return new Date(row.publish_at).getTime() <= now ? 'published' : 'scheduled';
}

export function isPublished(row: Partial<Pick<VideoRow, 'publish_at'>>, now: number = Date.now()): boolean {
  return publicationOf(row, now) === 'published';
}

/**
 * Withdrawn by moderation: taken down by an admin, or its owner banned.
 * (Rows cached before these columns existed lack them: not withdrawn.)
 */
export function isWithdrawn(row: Partial<Pick<VideoAccessFields, 'taken_down_at' | 'owner_banned'>>): boolean {
  return Boolean(row.taken_down_at) || row.owner_banned === true;
}

/**
 * Statuses in which others may see a video: ready, and archived or restoring
 * (its page and profile grids show the poster and metadata; it is never
 * playable nor in discovery feeds, and its media answer 409 video_archived).
 */
export const SHOWN_STATUSES: ReadonlyArray<VideoAccessFields['status']> = ['ready', 'archived', 'restoring'];

/** Archived, or being restored: shown with its poster, never playable. */
export function isArchivedStatus(status: VideoAccessFields['status']): boolean {
  return status === 'archived' || status === 'restoring';
}

const shown = (row: Pick<VideoAccessFields, 'status'>): boolean => SHOWN_STATUSES.includes(row.status);

export function canView(row: VideoAccessFields, viewerId: string | null, relation: ViewerRelation | null): boolean {
  if (viewerId !== null && viewerId === row.owner_id) return true;
  if (!shown(row) || !isPublished(row) || isWithdrawn(row)) return false;
  if (relation?.blocked) return false;
  switch (row.visibility) {
    case 'public':
    case 'unlisted':
      return true;
    case 'followers':
      return viewerId !== null && relation?.followsOwner === true;
    case 'private':
      return false;
  }
}

/**
 * Whether the one thing keeping `viewerId` from this video is not following
 * its owner: a ready followers-only video, not withdrawn, no block between
 * them. A link to such a video may say so (403 `followers_only`, naming the
 * author and nothing of the video) so the viewer can follow; every other
 * refusal — private, not ready, not published yet, taken down, blocked — still looks exactly
 * like a missing video. `relation` is needed for a signed-in viewer
 * (`needsRelation`).
 */
export function followersOnlyFor(row: VideoAccessFields, viewerId: string | null, relation: ViewerRelation | null): boolean {
  if (viewerId !== null && viewerId === row.owner_id) return false;
  if (!shown(row) || !isPublished(row) || isWithdrawn(row) || row.visibility !== 'followers') return false;
  if (viewerId !== null && (!relation || relation.blocked)) return false;
  return !(viewerId !== null && relation?.followsOwner === true);
}

/**
 * Whether `canView` needs the viewer's relation to the owner for this row:
 * for any signed-in viewer but the owner of a video that is otherwise
 * visible (a block hides even public videos).
 */
export function needsRelation(row: VideoAccessFields, viewerId: string | null): boolean {
  return (
    viewerId !== null && viewerId !== row.owner_id && shown(row) && isPublished(row) && !isWithdrawn(row) && row.visibility !== 'private'
  );
}

/**
 * What signed media re-checks about the viewer a URL was issued to. A URL
 * outlives the session that asked for it, so the viewer's own ban (or a
 * deleted account) counts here, and admins — who are handed signed URLs in
 * the report queue — keep seeing what they review.
 */
export interface ViewerStanding extends ViewerRelation {
  /** Banned, or the account no longer exists. */
  banned: boolean;
  admin: boolean;
}

/**
 * Whether a signed media URL issued to `viewerId` may still be answered:
 * `canView` as it stands now, minus banned viewers, plus admins. `standing`
 * is needed for every viewer but the owner (whose ban is the row's
 * `owner_banned`) and nobody (null).
 */
export function canFetchMedia(row: VideoAccessFields, viewerId: string | null, standing: ViewerStanding | null): boolean {
  if (viewerId !== null && viewerId === row.owner_id) return !row.owner_banned;
  if (viewerId !== null && (!standing || standing.banned)) return false;
  if (standing?.admin) return true;
  return canView(row, viewerId, standing);
}

/** Discovery surfaces (public feed, search, hashtags, trending) list only these; the pure twin of `discoverableSql`. */
export function isDiscoverable(row: VideoAccessFields): boolean {
  return row.status === 'ready' && row.visibility === 'public' && isPublished(row) && !isWithdrawn(row);
}

// ---------------------------------------------------------------- SQL forms
// `viewer` is a placeholder ($n) holding the viewer's id or NULL; a NULL viewer
// follows nobody and blocks nobody.

/** A block between the users `a` and `b` (SQL text expressions), either way. */
export function blockedBetweenSql(a: string, b: string): string {
  return `(EXISTS (SELECT 1 FROM blocks vis_b WHERE vis_b.blocker_id = ${a} AND vis_b.blocked_id = ${b})
    OR EXISTS (SELECT 1 FROM blocks vis_b WHERE vis_b.blocker_id = ${b} AND vis_b.blocked_id = ${a}))`;
}

const follows = (v: string, viewer: string) =>
  `EXISTS (SELECT 1 FROM follows vis_f WHERE vis_f.follower_id = ${viewer}::text AND vis_f.followee_id = ${v}.owner_id)`;

const bannedUser = (id: string) => `EXISTS (SELECT 1 FROM users vis_u WHERE vis_u.id = ${id} AND vis_u.banned_at IS NOT NULL)`;

/** SQL twin of `isWithdrawn`. */
export function withdrawnSql(v: string): string {
  return `(${v}.taken_down_at IS NOT NULL OR ${bannedUser(`${v}.owner_id`)})`;
}

/** SQL twin of `isPublished`: neither a draft nor scheduled for later than now (the database's clock). */
export function publishedSql(v: string): string {
  return `(${v}.publish_at IS NOT NULL AND ${v}.publish_at <= now())`;
}

/** What others may see at all: ready (or archived: poster and metadata), published, not withdrawn, no block with the viewer. */
const openTo = (v: string, viewer: string) =>
  `${v}.status IN ('ready', 'archived', 'restoring') AND ${publishedSql(v)} AND NOT ${withdrawnSql(v)} AND NOT ${blockedBetweenSql(`${viewer}::text`, `${v}.owner_id`)}`;

/** SQL twin of `canView`: `v` is the videos alias. */
export function viewableSql(v: string, viewer: string): string {
  return `(${v}.owner_id = ${viewer}::text OR (${openTo(v, viewer)} AND (${v}.visibility IN ('public', 'unlisted')
    OR (${v}.visibility = 'followers' AND ${follows(v, viewer)}))))`;
}

/**
 * What a profile's video list and the following feed show: everything of the
 * viewer's own, and of others what the viewer may see except unlisted videos.
 */
export function listedSql(v: string, viewer: string): string {
  return `(${v}.owner_id = ${viewer}::text OR (${openTo(v, viewer)} AND (${v}.visibility = 'public'
    OR (${v}.visibility = 'followers' AND ${follows(v, viewer)}))))`;
}

/**
 * Discovery surfaces (public feed, search, hashtags, trending, For You) list
 * only ready, published public videos that are not withdrawn; with a viewer,
 * also none of people in a block with them.
 */
export function discoverableSql(v: string, viewer?: string): string {
  const blocks = viewer ? ` AND NOT ${blockedBetweenSql(`${viewer}::text`, `${v}.owner_id`)}` : '';
  return `(${v}.status = 'ready' AND ${v}.visibility = 'public' AND ${publishedSql(v)} AND NOT ${withdrawnSql(v)}${blocks})`;
}

/**
 * A comment (alias `c`) is shown to the viewer unless its author is banned,
 * in a block with the viewer, or blocked by the video's owner (on their own
 * videos, the comments of people they blocked are hidden from everyone).
 */
export function commentVisibleSql(c: string, viewer: string): string {
  return `(NOT ${bannedUser(`${c}.author_id`)} AND NOT ${blockedBetweenSql(`${viewer}::text`, `${c}.author_id`)}
    AND NOT EXISTS (SELECT 1 FROM videos vis_cv JOIN blocks vis_cb ON vis_cb.blocker_id = vis_cv.owner_id
                    WHERE vis_cv.id = ${c}.video_id AND vis_cb.blocked_id = ${c}.author_id))`;
}

/**
 * An @mention of user `mu` (alias of users) in a caption by `ownerId` is
 * linked unless the mentioned account is banned or a block stands between
 * the two (mentions from someone you blocked, or who blocked you, are plain text).
 */
export function mentionLinkedSql(mu: string, ownerId: string): string {
  return `(${mu}.banned_at IS NULL AND NOT ${blockedBetweenSql(`${mu}.id`, ownerId)})`;
}

/** People listed to a viewer (search, follower lists): not banned; with a viewer, not in a block with them. */
export function userVisibleSql(u: string, viewer?: string): string {
  const blocks = viewer ? ` AND NOT ${blockedBetweenSql(`${viewer}::text`, `${u}.id`)}` : '';
  return `(${u}.banned_at IS NULL${blocks})`;
}
