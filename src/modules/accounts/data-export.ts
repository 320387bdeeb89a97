import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import yazl from 'yazl';
import type { SqlExecutor } from '../../ports/database.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { PlaybackHistory } from '../lake/playback-history.js';
import type { PublicUser } from './user.types.js';

/** Rows read per query: what the export holds in memory at a time, whatever the account's size. */
const PAGE_ROWS = 500;
export const EXPORT_JSON_NAME = 'curta-export.json';
export const EXPORT_FORMAT = 'curta-export/1';

type Row = Record<string, unknown>;

/** One keyset column of a section: its SQL expression and the type its text form is cast back to. */
interface KeyColumn {
  sql: string;
  type: 'timestamptz' | 'text' | 'bigint';
}

/** A list in the JSON document: its rows (the account's id is `$1`), read page by page in key order. */
interface Section {
  name: string;
  /** `SELECT … FROM … WHERE …` (no ORDER BY / LIMIT). */
  select: string;
  keys: KeyColumn[];
  map(row: Row): unknown;
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string | Date).toISOString());
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** `.mp4` from `holiday clip.MP4`: a short, safe extension for the original's name in the archive (or none). */
function extensionOf(filename: string): string {
  const m = /\.([A-Za-z0-9]{1,8})$/.exec(filename);
  return m ? `.${m[1]!.toLowerCase()}` : '';
}

/**
 * A user's data export: a ZIP streamed as it is made — `curta-export.json`
 * (profile, videos with metadata, comments, likes, bookmarks, shares,
 * follows both ways, blocks, reports filed, playback history), the avatar,
 * and every original the user uploaded (`originals/<videoId>.<ext>`, stored
 * uncompressed: video is compressed already). The JSON is written from
 * pages of PAGE_ROWS rows and each original is piped from the object store
 * as the archive reaches it, so memory stays flat whatever the size of the
 * account (the client's download speed paces the reads); ZIP64 is used past
 * 4 GiB. Rows are read as the document is written, not from one snapshot.
 */
export class DataExport {
  constructor(
    private readonly db: SqlExecutor,
    private readonly store: ObjectStore,
    private readonly log: Logger,
    private readonly history: PlaybackHistory,
  ) {}

  /** The archive as a stream; destroying it (the client went away) stops every read. */
  stream(user: PublicUser): Readable {
    const zip = new yazl.ZipFile();
    const output = zip.outputStream;
    if (!(output instanceof Readable)) throw new Error("yazl's output is not a Readable");
    let current: Readable | null = null;
    let closed = false;
    const fail = (err: unknown) => {
      this.log.warn({ err, userId: user.id }, 'data export failed');
      output.destroy(err instanceof Error ? err : new Error(String(err)));
    };
    zip.on('error', fail);
    output.on('close', () => {
      closed = true;
      current?.destroy();
    });
    const lazy = (name: string, opts: { compress: boolean; size?: number }, open: () => Promise<Readable>) =>
      zip.addReadStreamLazy(name, { mtime: new Date(), ...opts }, (cb) => {
        if (closed) return;
        open().then(
          (stream) => {
            current = stream;
            stream.on('error', fail);
            cb(null, stream);
          },
          (err: unknown) => fail(err),
        );
      });

    lazy(EXPORT_JSON_NAME, { compress: true }, async () => {
      const json = Readable.from(
        this.document(user.id, lazy, () => closed),
        { objectMode: false },
      );
      // The document adds the other entries as it goes; the archive ends when it does.
      json.on('end', () => zip.end());
      return json;
    });
    return output;
  }

  /** The JSON document, in chunks; adds the avatar and originals to the archive as it meets them. */
  private async *document(
    userId: string,
    add: (name: string, opts: { compress: boolean; size?: number }, open: () => Promise<Readable>) => void,
    closed: () => boolean,
  ): AsyncGenerator<string> {
    const profile = (await this.db.query<Row>('SELECT * FROM users WHERE id = $1', [userId])).rows[0];
    if (!profile) throw new Error('the account no longer exists');
    let avatar: string | null = null;
    const avatarKey = profile.avatar_key as string | null;
    const avatarInfo = avatarKey ? await this.store.head(avatarKey) : null;
    if (avatarKey && avatarInfo) {
      avatar = 'avatar.jpg';
      add(avatar, { compress: false, size: avatarInfo.size }, async () => (await this.store.get(avatarKey)).body);
    }
    const muted =
      (await this.db.query<{ muted: string[] }>('SELECT muted FROM notification_settings WHERE user_id = $1', [userId])).rows[0]?.muted ??
      [];
    yield `{"format":${JSON.stringify(EXPORT_FORMAT)},"exportedAt":${JSON.stringify(new Date().toISOString())},"profile":${JSON.stringify({
      id: profile.id,
      username: profile.username,
      displayName: profile.display_name,
      bio: profile.bio,
      role: profile.role,
      createdAt: iso(profile.created_at),
      followerCount: profile.follower_count,
      followingCount: profile.following_count,
      avatar,
      likedVideosPublic: profile.liked_videos_public,
      mutedNotifications: muted,
    })}`;

    const videos: Section = {
      name: 'videos',
      select: `SELECT v.*, COALESCE(s.views, 0) AS views, COALESCE(s.likes, 0) AS likes, COALESCE(s.comments, 0) AS comment_count,
                      COALESCE(s.shares, 0) AS shares,
                      ARRAY(SELECT h.tag FROM video_hashtags h WHERE h.video_id = v.id ORDER BY h.position) AS hashtags
               FROM videos v LEFT JOIN video_stats s ON s.video_id = v.id WHERE v.owner_id = $1`,
      keys: [
        { sql: 'v.created_at', type: 'timestamptz' },
        { sql: 'v.id', type: 'text' },
      ],
      map: (v) => ({
        id: v.id,
        caption: v.caption,
        visibility: v.visibility,
        status: v.status,
        commentsEnabled: v.comments_enabled,
        createdAt: iso(v.created_at),
        readyAt: iso(v.ready_at),
        publishAt: iso(v.publish_at),
        durationMs: v.duration_ms,
        width: v.width,
        height: v.height,
        hashtags: v.hashtags,
        stats: { views: num(v.views), likes: num(v.likes), comments: num(v.comment_count), shares: num(v.shares) },
        original: { filename: v.original_filename, contentType: v.content_type, size: num(v.declared_size), file: null as string | null },
        ...(v.taken_down_at ? { takedown: { reason: v.takedown_reason, at: iso(v.taken_down_at) } } : {}),
        ...(v.error_code ? { error: { code: v.error_code, message: v.error_message } } : {}),
      }),
    };
    yield* this.section(userId, videos, closed, async (row, item) => {
      // The original, where storage holds it (not for an upload that never finished, nor an archived one).
      const key = row.original_key as string;
      const info = row.status === 'uploading' ? null : await this.store.head(key);
      if (!info || info.storageClass === 'ARCHIVE') return;
      // Bytes written over it after the upload completed (a replayed presigned URL on S3) are not what the owner uploaded.
      if (row.original_etag && info.etag !== row.original_etag) return;
      const name = `originals/${row.id as string}${extensionOf(row.original_filename as string)}`;
      (item as { original: { file: string | null } }).original.file = name;
      add(name, { compress: false, size: info.size }, async () => (await this.store.get(key)).body);
    });

    const people = (name: string, table: string, self: string, other: string, at: string): Section => ({
      name,
      select: `SELECT u.id, u.username, x.created_at FROM ${table} x JOIN users u ON u.id = x.${other} WHERE x.${self} = $1`,
      keys: [
        { sql: 'x.created_at', type: 'timestamptz' },
        { sql: 'u.id', type: 'text' },
      ],
      map: (r) => ({ userId: r.id, username: r.username, [at]: iso(r.created_at) }),
    });
    const sections: Section[] = [
      {
        name: 'comments',
        select: 'SELECT c.* FROM comments c WHERE c.author_id = $1',
        keys: [
          { sql: 'c.created_at', type: 'timestamptz' },
          { sql: 'c.id', type: 'text' },
        ],
        map: (c) => ({
          id: c.id,
          videoId: c.video_id,
          parentId: c.parent_id,
          text: c.text,
          createdAt: iso(c.created_at),
          likeCount: c.like_count,
          replyCount: c.reply_count,
        }),
      },
      {
        name: 'likes',
        select: 'SELECT l.video_id, l.created_at FROM video_likes l WHERE l.user_id = $1',
        keys: [
          { sql: 'l.created_at', type: 'timestamptz' },
          { sql: 'l.video_id', type: 'text' },
        ],
        map: (r) => ({ videoId: r.video_id, likedAt: iso(r.created_at) }),
      },
      {
        name: 'commentLikes',
        select: 'SELECT l.comment_id, l.created_at FROM comment_likes l WHERE l.user_id = $1',
        keys: [
          { sql: 'l.created_at', type: 'timestamptz' },
          { sql: 'l.comment_id', type: 'text' },
        ],
        map: (r) => ({ commentId: r.comment_id, likedAt: iso(r.created_at) }),
      },
      {
        name: 'bookmarks',
        select: 'SELECT b.video_id, b.created_at FROM bookmarks b WHERE b.user_id = $1',
        keys: [
          { sql: 'b.created_at', type: 'timestamptz' },
          { sql: 'b.video_id', type: 'text' },
        ],
        map: (r) => ({ videoId: r.video_id, bookmarkedAt: iso(r.created_at) }),
      },
      {
        name: 'shares',
        select: 'SELECT s.id, s.video_id, s.created_at FROM video_shares s WHERE s.user_id = $1',
        keys: [{ sql: 's.id', type: 'bigint' }],
        map: (r) => ({ videoId: r.video_id, sharedAt: iso(r.created_at) }),
      },
      {
        name: 'notInterested',
        select: 'SELECT n.video_id, n.created_at FROM video_not_interested n WHERE n.user_id = $1',
        keys: [
          { sql: 'n.created_at', type: 'timestamptz' },
          { sql: 'n.video_id', type: 'text' },
        ],
        map: (r) => ({ videoId: r.video_id, markedAt: iso(r.created_at) }),
      },
      people('following', 'follows', 'follower_id', 'followee_id', 'followedAt'),
      people('followers', 'follows', 'followee_id', 'follower_id', 'followedAt'),
      people('blocks', 'blocks', 'blocker_id', 'blocked_id', 'blockedAt'),
      {
        name: 'reportsFiled',
        select: 'SELECT r.* FROM reports r WHERE r.reporter_id = $1',
        keys: [
          { sql: 'r.created_at', type: 'timestamptz' },
          { sql: 'r.id', type: 'text' },
        ],
        map: (r) => ({
          id: r.id,
          targetType: r.target_type,
          targetId: r.target_id,
          reason: r.reason,
          details: r.details,
          status: r.status,
          createdAt: iso(r.created_at),
          closedAt: iso(r.closed_at),
        }),
      },
    ];
    for (const s of sections) yield* this.section(userId, s, closed);
    yield* this.playback(userId, new Date(profile.created_at as string | Date), closed);
    yield '}\n';
  }

  /**
   * `,"playbackHistory":[…]`: every playback event of the account, from the
   * lake (playback-history.ts; the events table keeps only a short window of
   * what serving reads), oldest first, PAGE_ROWS items per chunk.
   */
  private async *playback(userId: string, createdAt: Date, closed: () => boolean): AsyncGenerator<string> {
    yield ',"playbackHistory":[';
    let parts: string[] = [];
    let first = true;
    const flush = () => {
      const chunk = (first ? '' : ',') + parts.join(',');
      first = false;
      parts = [];
      return chunk;
    };
    for await (const e of this.history.read(userId, createdAt)) {
      if (closed()) return;
      parts.push(JSON.stringify(e));
      if (parts.length === PAGE_ROWS) yield flush();
    }
    if (parts.length > 0) yield flush();
    yield ']';
  }

  /** `,"name":[…]` from pages of rows in key order; `each` may amend an item before it is written. */
  private async *section(
    userId: string,
    s: Section,
    closed: () => boolean,
    each?: (row: Row, item: unknown) => Promise<void>,
  ): AsyncGenerator<string> {
    const keyList = s.keys.map((k) => k.sql).join(', ');
    const keyText = s.keys.map((k, i) => `(${k.sql})::text AS k${i}`).join(', ');
    const after = s.keys.map((k, i) => `$${i + 2}::${k.type}`).join(', ');
    const limit = `$${s.keys.length + 2}`;
    const select = s.select.replace(/^SELECT /, `SELECT ${keyText}, `);
    const firstPage = `${select} ORDER BY ${keyList} LIMIT $2`;
    const nextPage = `${select} AND (${keyList}) > (${after}) ORDER BY ${keyList} LIMIT ${limit}`;
    let cursor: string[] | null = null;
    let first = true;
    yield `,${JSON.stringify(s.name)}:[`;
    for (;;) {
      if (closed()) return;
      const params: unknown[] = cursor ? [userId, ...cursor, PAGE_ROWS] : [userId, PAGE_ROWS];
      const rows: Row[] = (await this.db.query<Row>(cursor ? nextPage : firstPage, params)).rows;
      const parts: string[] = [];
      for (const row of rows) {
        const item = s.map(row);
        if (each) await each(row, item);
        parts.push(JSON.stringify(item));
      }
      if (parts.length > 0) {
        yield (first ? '' : ',') + parts.join(',');
        first = false;
      }
      if (rows.length < PAGE_ROWS) break;
      const last: Row = rows[rows.length - 1]!;
      cursor = s.keys.map((_k, i): string => last[`k${i}`] as string);
    }
    yield ']';
  }
}
