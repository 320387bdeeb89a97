-- What the archive tells people (issue 15's loose ends):
--  * Webhooks: a video leaving the playable state for the archive is
--    `video.archived`; coming back after a restore is `video.restored` (not a
--    second `video.ready`: an integration that reacts to a new upload must not
--    see an old video as new); a restore that gave up is
--    `video.restore_failed` with the reason. Same payload as the others.
--  * Notifications: the owner is told when a restore gave up
--    (`restore_failed`), whoever started it (a viewer opening the video
--    starts most of them); at most one a video a day, so viewers retrying a
--    broken original cannot flood the inbox. A restore that succeeded tells
--    nobody: the video was ready before, and it is again.

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('like', 'comment', 'reply', 'mention', 'follow', 'video_ready', 'video_failed', 'restore_failed'));

CREATE OR REPLACE FUNCTION notify_video_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  IF NEW.status = 'ready' AND OLD.status IS DISTINCT FROM 'restoring' THEN
    PERFORM notify_user(NEW.owner_id, 'video_ready', 'ready:' || NEW.id, NULL, NEW.id, NULL);
    PERFORM notify_caption_mentions(NEW.id);
  ELSIF NEW.status = 'failed' AND NEW.error_code IS DISTINCT FROM 'upload_expired' THEN
    PERFORM notify_user(NEW.owner_id, 'video_failed', 'failed:' || NEW.id, NULL, NEW.id, NULL);
  ELSIF NEW.status = 'archived' AND OLD.status = 'restoring' AND NEW.archive_error IS NOT NULL THEN
    PERFORM notify_user(NEW.owner_id, 'restore_failed',
                        'restore_failed:' || NEW.id || ':' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'), NULL, NEW.id, NULL);
  END IF;
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION webhook_video_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind  text;
  owner text;
  data  jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    kind := 'video.deleted';
    owner := OLD.owner_id;
    data := jsonb_build_object('video', jsonb_build_object('id', OLD.id, 'ownerId', OLD.owner_id));
  ELSE
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
      RETURN NEW;
    END IF;
    IF NEW.status = 'ready' AND OLD.status = 'restoring' THEN
      kind := 'video.restored';
    ELSIF NEW.status = 'ready' THEN
      kind := 'video.ready';
    ELSIF NEW.status = 'failed' AND NEW.error_code = 'upload_expired' THEN
      kind := 'upload.expired';
    ELSIF NEW.status = 'failed' THEN
      kind := 'video.failed';
    ELSIF NEW.status = 'archived' AND OLD.status = 'restoring' THEN
      kind := 'video.restore_failed';
    ELSIF NEW.status = 'archived' THEN
      kind := 'video.archived';
    ELSE
      RETURN NEW;
    END IF;
    owner := NEW.owner_id;
    data := jsonb_build_object('video', jsonb_build_object(
      'id', NEW.id,
      'ownerId', NEW.owner_id,
      'status', NEW.status,
      'visibility', NEW.visibility,
      'durationMs', NEW.duration_ms,
      'width', NEW.width,
      'height', NEW.height,
      'error', CASE WHEN NEW.status = 'failed'
                    THEN jsonb_build_object('code', NEW.error_code, 'message', NEW.error_message)
                    WHEN kind = 'video.restore_failed'
                    THEN jsonb_build_object('code', 'restore_failed', 'message', NEW.archive_error) END));
  END IF;
  IF EXISTS (SELECT 1 FROM webhook_endpoints e
             WHERE e.enabled AND kind = ANY (e.events) AND (e.owner_id IS NULL OR e.owner_id = owner)) THEN
    INSERT INTO webhook_events (type, owner_id, data) VALUES (kind, owner, data);
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
