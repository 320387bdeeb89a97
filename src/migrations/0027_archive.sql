-- The cold archive (issue 15): ready → archived → restoring → ready.
-- An archived video keeps its row, poster and metadata; its original sits in
-- the store's archive tier and its renditions are gone until a restore
-- re-processes it (src/modules/archive).
ALTER TABLE videos ADD COLUMN archive_pinned boolean NOT NULL DEFAULT false;
ALTER TABLE videos ADD COLUMN archived_at timestamptz;
-- Bytes kept in the archive tier (the original) and bytes of renditions/MP4 deleted by archiving.
ALTER TABLE videos ADD COLUMN archive_bytes bigint CHECK (archive_bytes >= 0);
ALTER TABLE videos ADD COLUMN archive_freed_bytes bigint CHECK (archive_freed_bytes >= 0);
-- Set in the UPDATE that marks a video archived, cleared once its original is in
-- the archive tier and its renditions are deleted: a sweep killed in between
-- finishes the job on its next run (no half-archived video).
ALTER TABLE videos ADD COLUMN archive_pending boolean NOT NULL DEFAULT false;
-- The restore in flight, denormalised onto the row every reader already has
-- (video JSON, SSE): its phase, when it was asked for, when it should be ready.
ALTER TABLE videos ADD COLUMN restore_phase text CHECK (restore_phase IN ('retrieving', 'processing'));
ALTER TABLE videos ADD COLUMN restore_requested_at timestamptz;
ALTER TABLE videos ADD COLUMN restore_eta_at timestamptz;
-- Why the last restore failed (shown to the owner; cleared by the next restore).
ALTER TABLE videos ADD COLUMN archive_error text;

-- What the sweep scans: ready, unpinned videos, oldest first.
CREATE INDEX videos_archive_candidates_idx ON videos (created_at, id) WHERE status = 'ready' AND NOT archive_pinned;
CREATE INDEX videos_archive_pending_idx ON videos (id) WHERE archive_pending;

-- "Last viewed", known cheaply: stamped on the counter row that every counted
-- view already updates (video_views rows are pruned by retention, so they
-- cannot tell a year later). A trigger keeps it out of the ingestion code.
ALTER TABLE video_stats ADD COLUMN last_viewed_at timestamptz;
UPDATE video_stats s SET last_viewed_at = (SELECT max(v.created_at) FROM video_views v WHERE v.video_id = s.video_id);

CREATE FUNCTION video_stats_last_view() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.views > 0 THEN
      NEW.last_viewed_at := now();
    END IF;
  ELSIF NEW.views > OLD.views THEN
    NEW.last_viewed_at := now();
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER video_stats_last_view
  BEFORE INSERT OR UPDATE OF views ON video_stats
  FOR EACH ROW EXECUTE FUNCTION video_stats_last_view();

-- One row per restore that started (the cost report reads tier, bytes,
-- requested_at and state). No foreign key: the row outlives its video.
CREATE TABLE archive_restores (
  id            bigserial PRIMARY KEY,
  video_id      text NOT NULL,
  requested_by  text,
  requester     text NOT NULL CHECK (requester IN ('owner', 'admin', 'viewer', 'system')),
  tier          text NOT NULL CHECK (tier IN ('Expedited', 'Standard', 'Bulk')),
  state         text NOT NULL DEFAULT 'retrieving' CHECK (state IN ('retrieving', 'processing', 'done', 'failed', 'cancelled')),
  attempts      integer NOT NULL DEFAULT 0,
  error         text,
  -- Bytes retrieved from the archive tier (the original's size).
  bytes         bigint,
  -- The rendition prefix of the processing attempt in flight (removed if that attempt is abandoned).
  attempt_prefix text,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  retrieved_at  timestamptz,
  finished_at   timestamptz
);
-- One restore per video at a time, whatever the concurrency.
CREATE UNIQUE INDEX archive_restores_active_idx ON archive_restores (video_id) WHERE state IN ('retrieving', 'processing');
CREATE INDEX archive_restores_requested_idx ON archive_restores (requested_at);

-- Viewer-started restores, for the per-account/device and per-address limits.
CREATE INDEX archive_restores_requester_idx ON archive_restores (requested_by, requested_at) WHERE requester = 'viewer';

-- Deleting a video (its owner, an account deletion) cancels its restore in
-- the same statement, whichever path deletes it; the restore job then only
-- removes what its attempt wrote.
CREATE FUNCTION archive_restores_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE archive_restores SET state = 'cancelled', finished_at = now()
   WHERE video_id = OLD.id AND state IN ('retrieving', 'processing');
  RETURN OLD;
END
$$;

CREATE TRIGGER videos_archive_restores_cancel
  AFTER DELETE ON videos
  FOR EACH ROW EXECUTE FUNCTION archive_restores_cancel();
