-- The data lake (issue 14): Kinesis Firehose's role. Every event bound for the
-- lake is first appended here, in the transaction of the change it describes
-- (a playback batch, a like, a status change), then delivered in batches as
-- Parquet files under lake/events/dt=YYYY-MM-DD/hour=HH/ in the object store.
--
-- Exactly once: a delivery first records its batch (a fixed range of
-- (xid, seq) keys, all of whose transactions have ended: below the snapshot's
-- xmin), then writes one file per partition with names that depend only on the
-- batch, then in one transaction marks the batch delivered, lists its files
-- and deletes its rows. A crash anywhere re-runs the same batch into the same
-- keys: nothing lost, nothing twice.
-- One index only, (xid, seq), which delivery reads in order and deletes by
-- range: every index more is a write more on the events route.
CREATE TABLE lake_buffer (
  seq          bigserial NOT NULL,
  -- The writing transaction's id (pg_current_xact_id) as a bigint, not xid8: PGlite 0.5 sorts
  -- xid8 as text ('1000' before '999'), which would make key ranges meaningless there.
  xid          bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
  event_id     uuid NOT NULL DEFAULT gen_random_uuid(),
  event_time   timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  kind         text NOT NULL CHECK (kind IN ('playback', 'engagement', 'pipeline')),
  type         text NOT NULL,
  video_id     text,
  creator_id   text,
  user_id      text,
  device_id    text,
  watched_ms   integer,
  duration_ms  integer,
  source       text,
  counted      boolean,
  stage        text,
  ok           boolean,
  elapsed_ms   bigint,
  bytes        bigint,
  attrs        jsonb
);
CREATE INDEX lake_buffer_order_idx ON lake_buffer (xid, seq);

-- One row per delivery batch: the key range it covers, fixed before any file is written.
CREATE TABLE lake_batches (
  id           bigserial PRIMARY KEY,
  from_xid     bigint NOT NULL,
  from_seq     bigint NOT NULL,
  to_xid       bigint NOT NULL,
  to_seq       bigint NOT NULL,
  events       integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX lake_batches_pending_idx ON lake_batches (id) WHERE delivered_at IS NULL;

-- The manifest: every Parquet file of the lake that readers should see
-- ("live"), with its partition and size. Compaction swaps a partition's small
-- files for one in a transaction here, so our readers never see both; engines
-- that list the prefix (Athena, Spark) may for the seconds until the sources
-- are deleted.
CREATE TABLE lake_files (
  key          text PRIMARY KEY,
  dt           date NOT NULL,
  hour         smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
  events       integer NOT NULL,
  bytes        bigint NOT NULL,
  min_time     timestamptz NOT NULL,
  max_time     timestamptz NOT NULL,
  batch_id     bigint,
  state        text NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'replaced')),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lake_files_partition_idx ON lake_files (dt, hour) WHERE state = 'live';

-- Compactions: a partition's small files merged into one (compactedFileKey).
-- Recorded before the merged file is written; the manifest swap (sources
-- 'replaced', merged 'live') and state 'swapped' commit together; the source
-- objects are deleted after, then 'done'. A crash anywhere is finished or
-- redone by the next run: a 'pending' one whose sources are all still live is
-- written again (same key) and swapped, a 'swapped' one has its sources'
-- objects deleted.
CREATE TABLE lake_compactions (
  id          bigserial PRIMARY KEY,
  dt          date NOT NULL,
  hour        smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
  sources     text[] NOT NULL,
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'swapped', 'done', 'abandoned')),
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX lake_compactions_open_idx ON lake_compactions (id) WHERE state IN ('pending', 'swapped');

-- Capture. Engagement: one row per like, comment, share, follow, bookmark and
-- not-interested, written by a trigger on the table itself so that no code
-- path can forget it (and a rolled-back change leaves no event). The video's
-- owner is looked up now: creator analytics filter on creator_id without a join.
CREATE FUNCTION lake_engagement_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r       jsonb := to_jsonb(NEW);
  video   text := r->>'video_id';
  actor   text := coalesce(r->>'user_id', r->>'author_id', r->>'follower_id');
  creator text := r->>'followee_id';
  attrs   jsonb;
BEGIN
  -- A restore (curta restore) re-inserts rows: not new events.
  IF current_setting('curta.restoring', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF video IS NOT NULL THEN
    SELECT owner_id INTO creator FROM videos WHERE id = video;
  END IF;
  IF TG_TABLE_NAME = 'comments' THEN
    attrs := jsonb_build_object('commentId', r->>'id', 'reply', r->>'parent_id' IS NOT NULL);
  END IF;
  INSERT INTO lake_buffer (event_time, kind, type, video_id, creator_id, user_id, attrs)
  VALUES (coalesce((r->>'created_at')::timestamptz, now()), 'engagement', TG_ARGV[0], video, creator, actor, attrs);
  RETURN NULL;
END
$$;
CREATE TRIGGER video_likes_lake AFTER INSERT ON video_likes FOR EACH ROW EXECUTE FUNCTION lake_engagement_event('like');
CREATE TRIGGER comments_lake AFTER INSERT ON comments FOR EACH ROW EXECUTE FUNCTION lake_engagement_event('comment');
CREATE TRIGGER video_shares_lake AFTER INSERT ON video_shares FOR EACH ROW EXECUTE FUNCTION lake_engagement_event('share');
CREATE TRIGGER follows_lake AFTER INSERT ON follows FOR EACH ROW EXECUTE FUNCTION lake_engagement_event('follow');
CREATE TRIGGER bookmarks_lake AFTER INSERT ON bookmarks FOR EACH ROW EXECUTE FUNCTION lake_engagement_event('bookmark');
CREATE TRIGGER video_not_interested_lake AFTER INSERT ON video_not_interested
  FOR EACH ROW EXECUTE FUNCTION lake_engagement_event('not_interested');

-- Pipeline: from the videos row, which every path (uploads, processing, the
-- reconciler) changes through guarded status updates. Stages and what
-- elapsed_ms measures:
--   upload_created      stage 'upload'      bytes = declared size
--   upload_completed    stage 'upload'      created → uploaded (ok false: the upload expired)
--   processing_started  stage 'queue'       uploaded → this attempt started (a retry: previous attempt's start → this one)
--   processing_finished stage 'processing'  attempt started → ready (attrs.playableMs: → first playable)
--   processing_failed   stage 'processing'  attempt started → failed (attrs.errorCode)
ALTER TABLE videos ADD COLUMN processing_started_at timestamptz;

CREATE FUNCTION lake_video_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t   text;
  stg text;
  ok_ boolean;
  ms  bigint;
  a   jsonb;
BEGIN
  IF current_setting('curta.restoring', true) = 'on' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO lake_buffer (event_time, kind, type, video_id, creator_id, user_id, stage, bytes, attrs)
    VALUES (now(), 'pipeline', 'upload_created', NEW.id, NEW.owner_id, NEW.owner_id, 'upload', NEW.declared_size,
            jsonb_build_object('contentType', NEW.content_type));
    RETURN NEW;
  END IF;
  IF NEW.status IS NOT DISTINCT FROM OLD.status AND NEW.media_prefix IS NOT DISTINCT FROM OLD.media_prefix THEN
    RETURN NEW;
  END IF;
  IF OLD.status = 'uploading' AND NEW.status = 'uploaded' THEN
    t := 'upload_completed'; stg := 'upload'; ok_ := true;
    ms := (extract(epoch FROM now() - OLD.created_at) * 1000)::bigint;
  ELSIF OLD.status = 'uploading' AND NEW.status = 'failed' THEN
    t := 'upload_completed'; stg := 'upload'; ok_ := false;
    ms := (extract(epoch FROM now() - OLD.created_at) * 1000)::bigint;
    a := jsonb_build_object('errorCode', NEW.error_code);
  ELSIF NEW.status = 'processing' THEN
    t := 'processing_started'; stg := 'queue';
    ms := (extract(epoch FROM now() - coalesce(OLD.processing_started_at, OLD.uploaded_at, OLD.created_at)) * 1000)::bigint;
    a := jsonb_build_object('retry', OLD.status = 'processing');
    NEW.processing_started_at := now();
  ELSIF OLD.status = 'processing' AND NEW.status IN ('ready', 'failed') THEN
    t := CASE NEW.status WHEN 'ready' THEN 'processing_finished' ELSE 'processing_failed' END;
    stg := 'processing'; ok_ := NEW.status = 'ready';
    ms := (extract(epoch FROM now() - coalesce(OLD.processing_started_at, OLD.updated_at)) * 1000)::bigint;
    a := CASE WHEN NEW.status = 'ready'
              THEN jsonb_build_object('playableMs', (extract(epoch FROM NEW.playable_at - OLD.processing_started_at) * 1000)::bigint,
                                      'width', NEW.width, 'height', NEW.height)
              ELSE jsonb_build_object('errorCode', NEW.error_code) END;
  ELSE
    RETURN NEW;
  END IF;
  INSERT INTO lake_buffer (event_time, kind, type, video_id, creator_id, user_id, duration_ms, stage, ok, elapsed_ms, bytes, attrs)
  VALUES (now(), 'pipeline', t, NEW.id, NEW.owner_id, NEW.owner_id, NEW.duration_ms, stg, ok_, ms, NEW.declared_size, a);
  RETURN NEW;
END
$$;
CREATE TRIGGER videos_lake BEFORE INSERT OR UPDATE OF status, media_prefix ON videos
  FOR EACH ROW EXECUTE FUNCTION lake_video_event();
