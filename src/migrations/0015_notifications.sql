-- Notifications (src/modules/notifications): one inbox row per thing that
-- happened to a user — likes on a video (one row per video, its likers in
-- notification_actors), a comment on their video, a reply to their comment,
-- an @mention (in a comment or a caption), a new follower, their video ready
-- or failed — with a per-type mute list.
--
-- Every row is written by notify_user() below, the one place the rules live:
-- nobody is told about their own doing, nothing is written while the type is
-- muted, nor across a block (either way). The API calls it for likes,
-- comments and follows; the triggers at the end call it for what every
-- processing path goes through (the guarded status UPDATE) and for caption
-- edits. What is read back is filtered again (blocks, mutes, access to the
-- video, deleted things), so a row that became stale is hidden, not shown.

CREATE TABLE notifications (
  id           text PRIMARY KEY DEFAULT ('ntf_' || replace(gen_random_uuid()::text, '-', '')),
  recipient_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('like', 'comment', 'reply', 'mention', 'follow', 'video_ready', 'video_failed')),
  -- What makes two events one row: 'like:<video>', 'follow:<user>', 'comment:<comment>', 'ready:<video>'…
  group_key    text NOT NULL,
  -- Who did it (likes: NULL, the likers are in notification_actors); their account going takes the row with it.
  actor_id     text REFERENCES users (id) ON DELETE CASCADE,
  video_id     text REFERENCES videos (id) ON DELETE CASCADE,
  comment_id   text REFERENCES comments (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  -- Moves when more likers join a like row (which then reads as unread again); the inbox's order.
  updated_at   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  read_at      timestamptz,
  UNIQUE (recipient_id, group_key)
);
CREATE INDEX notifications_inbox_idx ON notifications (recipient_id, updated_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (recipient_id) WHERE read_at IS NULL;
CREATE INDEX notifications_actor_idx ON notifications (actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX notifications_video_idx ON notifications (video_id) WHERE video_id IS NOT NULL;
CREATE INDEX notifications_comment_idx ON notifications (comment_id) WHERE comment_id IS NOT NULL;

-- The people in a grouped (like) row. An actor joins once: unliking and liking
-- again does not move the row or make it unread again.
CREATE TABLE notification_actors (
  notification_id text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  actor_id        text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  acted_at        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  PRIMARY KEY (notification_id, actor_id)
);
CREATE INDEX notification_actors_actor_idx ON notification_actors (actor_id);
CREATE INDEX notification_actors_recent_idx ON notification_actors (notification_id, acted_at DESC);

-- Types a user does not want: not written while muted, and not shown.
CREATE TABLE notification_settings (
  user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  muted      text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Writes (or, for a like, joins) one notification; returns its id when
-- something changed for the recipient, NULL when nothing was written.
CREATE FUNCTION notify_user(p_recipient text, p_kind text, p_group text, p_actor text, p_video text, p_comment text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  nid text;
  joined integer;
BEGIN
  IF p_recipient IS NULL OR p_recipient = p_actor THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM notification_settings s WHERE s.user_id = p_recipient AND p_kind = ANY (s.muted)) THEN
    RETURN NULL;
  END IF;
  IF p_actor IS NOT NULL AND EXISTS (
       SELECT 1 FROM blocks b
       WHERE (b.blocker_id = p_recipient AND b.blocked_id = p_actor) OR (b.blocker_id = p_actor AND b.blocked_id = p_recipient)) THEN
    RETURN NULL;
  END IF;
  IF p_kind = 'like' THEN
    -- One row per video; the upsert locks it, so concurrent likers queue here.
    INSERT INTO notifications (recipient_id, kind, group_key, video_id)
    VALUES (p_recipient, p_kind, p_group, p_video)
    ON CONFLICT (recipient_id, group_key) DO UPDATE SET group_key = EXCLUDED.group_key
    RETURNING id INTO nid;
    INSERT INTO notification_actors (notification_id, actor_id) VALUES (nid, p_actor) ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS joined = ROW_COUNT;
    IF joined = 0 THEN
      RETURN NULL;
    END IF;
    UPDATE notifications SET updated_at = date_trunc('milliseconds', clock_timestamp()), read_at = NULL WHERE id = nid;
    RETURN nid;
  END IF;
  INSERT INTO notifications (recipient_id, kind, group_key, actor_id, video_id, comment_id)
  VALUES (p_recipient, p_kind, p_group, p_actor, p_video, p_comment)
  ON CONFLICT (recipient_id, group_key) DO NOTHING
  RETURNING id INTO nid;
  RETURN nid;
END
$$;

-- The people a ready video's caption mentions (each once per video, however often the caption changes).
CREATE FUNCTION notify_caption_mentions(p_video text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM notify_user(m.user_id, 'mention', 'mention:v:' || v.id, v.owner_id, v.id, NULL)
  FROM videos v JOIN video_mentions m ON m.video_id = v.id
  WHERE v.id = p_video AND v.status = 'ready';
END
$$;

-- Ready or failed, whichever path got it there (processing, the reconciler,
-- uploads): the owner hears once per video. An upload that never arrived
-- (upload_expired) is not news to anyone. Publishing tells the people the
-- caption mentions.
CREATE FUNCTION notify_video_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  IF NEW.status = 'ready' THEN
    PERFORM notify_user(NEW.owner_id, 'video_ready', 'ready:' || NEW.id, NULL, NEW.id, NULL);
    PERFORM notify_caption_mentions(NEW.id);
  ELSIF NEW.status = 'failed' AND NEW.error_code IS DISTINCT FROM 'upload_expired' THEN
    PERFORM notify_user(NEW.owner_id, 'video_failed', 'failed:' || NEW.id, NULL, NEW.id, NULL);
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER videos_notify_status
  AFTER UPDATE OF status ON videos
  FOR EACH ROW EXECUTE FUNCTION notify_video_status();

-- A caption edit re-links its mentions later in the same transaction, so
-- this runs at commit, when they are in place.
CREATE FUNCTION notify_caption_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM notify_caption_mentions(NEW.id);
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER videos_notify_caption
  AFTER UPDATE OF caption ON videos
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (OLD.caption IS DISTINCT FROM NEW.caption)
  EXECUTE FUNCTION notify_caption_edit();
