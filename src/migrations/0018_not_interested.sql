-- "Not interested": a viewer's strong negative on one video (issue 13). The video never
-- comes back to them in For You; its author and hashtags rank lower for them. Per user,
-- private, removed by undo (DELETE) or with the user or the video.
CREATE TABLE video_not_interested (
  user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  video_id   text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (user_id, video_id)
);
-- Read on every For You request of a signed-in viewer, newest first.
CREATE INDEX video_not_interested_user_idx ON video_not_interested (user_id, created_at DESC);
-- ON DELETE CASCADE from videos.
CREATE INDEX video_not_interested_video_idx ON video_not_interested (video_id);
