import type { VideoRow } from './videos.repository.js';

/**
 * Who may see a video: the one rule, in two forms that must agree — a pure
 * function for a single row (`canView`) and SQL fragments for lists. When
 * blocks arrive they join `ViewerRelation` and both forms.
 *
 * - the owner sees their own videos in every state;
 * - nobody else sees a video before it is ready;
 * - public: anyone; unlisted: anyone with the id, but it is never listed;
 * - followers: the owner's followers; private: the owner only.
 */

/** What the rule needs to know about the viewer's relation to the owner. */
export interface ViewerRelation {
  followsOwner: boolean;
}

export type VideoAccessFields = Pick<VideoRow, 'owner_id' | 'status' | 'visibility'>;

export function canView(row: VideoAccessFields, viewerId: string | null, relation: ViewerRelation | null): boolean {
  if (viewerId !== null && viewerId === row.owner_id) return true;
  if (row.status !== 'ready') return false;
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

/** Whether `canView` needs the viewer's relation to the owner for this row (saves a query otherwise). */
export function needsRelation(row: VideoAccessFields, viewerId: string | null): boolean {
  return viewerId !== null && viewerId !== row.owner_id && row.status === 'ready' && row.visibility === 'followers';
}

const follows = (v: string, viewer: string) =>
  `EXISTS (SELECT 1 FROM follows vis_f WHERE vis_f.follower_id = ${viewer}::text AND vis_f.followee_id = ${v}.owner_id)`;

/**
 * SQL twin of `canView`: `v` is the videos alias, `viewer` a placeholder
 * ($n) holding the viewer's id or NULL.
 */
export function viewableSql(v: string, viewer: string): string {
  return `(${v}.owner_id = ${viewer}::text OR (${v}.status = 'ready' AND (${v}.visibility IN ('public', 'unlisted')
    OR (${v}.visibility = 'followers' AND ${follows(v, viewer)}))))`;
}

/**
 * What a profile's video list and the following feed show: everything of the
 * viewer's own, and of others what the viewer may see except unlisted videos.
 */
export function listedSql(v: string, viewer: string): string {
  return `(${v}.owner_id = ${viewer}::text OR (${v}.status = 'ready' AND (${v}.visibility = 'public'
    OR (${v}.visibility = 'followers' AND ${follows(v, viewer)}))))`;
}

/** Discovery surfaces (public feed, search, hashtags, trending) list only ready public videos. */
export function discoverableSql(v: string): string {
  return `(${v}.status = 'ready' AND ${v}.visibility = 'public')`;
}
