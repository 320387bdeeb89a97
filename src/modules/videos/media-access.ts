import { canFetchMedia, type VideoAccessFields, type ViewerStanding } from './visibility.js';

export interface MediaAccessDeps {
  /** The video's access fields through the shared cache (dropped in every process on each change), or null when it is gone. */
  row(videoId: string): Promise<VideoAccessFields | null>;
  /** The viewer's standing towards the owner, read from the database; null when the account no longer exists. */
  standing(viewerId: string, ownerId: string): Promise<ViewerStanding | null>;
}

interface Remembered {
  expires: number;
  standing: Promise<ViewerStanding | null>;
  viewerId: string;
}

/**
 * Whether a signed media URL may still be answered for the viewer it was
 * issued to: the visibility rule (canFetchMedia) over the video's row and the
 * viewer's standing as they are now, so a takedown, a change of visibility,
 * an unfollow, a block, a ban or a deletion stops media within seconds
 * instead of when the signature expires.
 *
 * - The row is read through the shared cache on every request (one round
 *   trip on Redis, none embedded), like the plain media route does; every
 *   change to a video drops it there at once, so video-level revocations
 *   (takedown, private, deletion, the owner's ban) apply everywhere at once.
 * - The viewer's standing towards the owner (follows, blocks, banned, admin)
 *   is one indexed query, remembered in this process for `ttlMs` per
 *   (viewer, owner): an HLS player's burst of playlists and segments costs
 *   one. This process forgets it at once when it changes a follow, block,
 *   ban or role (VideoEvents.onViewersChanged); another process's change
 *   shows here within `ttlMs`.
 */
export class MediaAccess {
  private readonly standings = new Map<string, Remembered>();
  private readonly byViewer = new Map<string, Set<string>>();

  constructor(
    private readonly deps: MediaAccessDeps,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async allowed(videoId: string, viewerId: string | null): Promise<boolean> {
    const row = await this.deps.row(videoId);
    if (!row) return false;
    const standing = viewerId !== null && viewerId !== row.owner_id ? await this.standing(viewerId, row.owner_id) : null;
    return canFetchMedia(row, viewerId, standing);
  }

  /** These users' follows, blocks, ban or role changed in this process: read their standing afresh. */
  forgetViewers(userIds: readonly string[]): void {
    for (const id of userIds) for (const key of [...(this.byViewer.get(id) ?? [])]) this.remove(key);
  }

  private standing(viewerId: string, ownerId: string): Promise<ViewerStanding | null> {
    if (this.ttlMs <= 0) return this.deps.standing(viewerId, ownerId);
    const key = `${viewerId}/${ownerId}`;
    const t = this.now();
    const hit = this.standings.get(key);
    if (hit && hit.expires > t) return hit.standing;
    if (hit) this.remove(key);
    const standing = this.deps.standing(viewerId, ownerId);
    const remembered: Remembered = { expires: t + this.ttlMs, standing, viewerId };
    this.standings.set(key, remembered);
    let keys = this.byViewer.get(viewerId);
    if (!keys) this.byViewer.set(viewerId, (keys = new Set()));
    keys.add(key);
    // A failed read is not kept.
    standing.catch(() => {
      if (this.standings.get(key) === remembered) this.remove(key);
    });
    // Oldest first out (Map keeps insertion order).
    while (this.standings.size > this.maxEntries) this.remove(this.standings.keys().next().value!);
    return standing;
  }

  private remove(key: string): void {
    const remembered = this.standings.get(key);
    if (!remembered) return;
    this.standings.delete(key);
    const keys = this.byViewer.get(remembered.viewerId);
    keys?.delete(key);
    if (keys?.size === 0) this.byViewer.delete(remembered.viewerId);
  }
}
