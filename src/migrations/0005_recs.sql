-- Recommender ("For You"): model versions and the indexes its queries need.

-- One row per trained model. The artifact itself lives in the object store
-- (object_key); API processes poll the newest version and load it in place.
CREATE TABLE recs_models (
  version      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  object_key   text NOT NULL UNIQUE,
  trained_at   timestamptz NOT NULL DEFAULT now(),
  events_read  bigint NOT NULL,
  users        integer NOT NULL,
  videos       integer NOT NULL,
  pairs        integer NOT NULL,
  train_ms     integer NOT NULL,
  -- The newest event the model saw: a scheduled run with nothing newer is skipped.
  max_event_id bigint NOT NULL DEFAULT 0,
  params       jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- A viewer's recent history is read on every For You request: signed-in
-- viewers by user_id (events_user_idx exists), anonymous ones by device.
CREATE INDEX events_device_idx ON events (device_id, received_at) WHERE device_id IS NOT NULL AND user_id IS NULL;
-- ... and their shares and comments (likes: video_likes_user_idx).
CREATE INDEX video_shares_user_idx ON video_shares (user_id, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX comments_author_idx ON comments (author_id, created_at);
