-- Profiles, the follow graph, engagement (likes, comments, bookmarks, shares,
-- views), playback events for the recommender, and caption links (hashtags,
-- mentions). Counters are maintained in the same statement or transaction as
-- the row that causes them, so they stay exact under concurrent requests.

-- Profiles ------------------------------------------------------------------
ALTER TABLE users
  ADD COLUMN display_name    text NOT NULL DEFAULT '',
  ADD COLUMN bio             text NOT NULL DEFAULT '',
  -- Object key of the current avatar (avatars/{userId}/{random}.jpg): a new
  -- upload gets a new key, so every avatar URL can be cached forever.
  ADD COLUMN avatar_key      text,
  ADD COLUMN follower_count  integer NOT NULL DEFAULT 0 CHECK (follower_count >= 0),
  ADD COLUMN following_count integer NOT NULL DEFAULT 0 CHECK (following_count >= 0);

-- Full-text search over people ('simple': no stemming, captions and names come in every language).
CREATE INDEX users_search_idx ON users USING gin (to_tsvector('simple', username || ' ' || display_name));
CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops);

-- Videos: comments switch and caption search --------------------------------
ALTER TABLE videos ADD COLUMN comments_enabled boolean NOT NULL DEFAULT true;
-- Only discoverable videos are searched, so the index only holds those.
CREATE INDEX videos_caption_search_idx ON videos USING gin (to_tsvector('simple', caption))
  WHERE status = 'ready' AND visibility = 'public';

CREATE TABLE video_hashtags (
  video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  -- Normalised (NFC, lower case, no '#').
  tag      text NOT NULL,
  position smallint NOT NULL,
  PRIMARY KEY (video_id, tag)
);
CREATE INDEX video_hashtags_tag_idx ON video_hashtags (tag text_pattern_ops, video_id);

-- @mentions that resolved to an existing account when the caption was saved.
CREATE TABLE video_mentions (
  video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  position smallint NOT NULL,
  PRIMARY KEY (video_id, user_id)
);
CREATE INDEX video_mentions_user_idx ON video_mentions (user_id);

-- Follow graph ---------------------------------------------------------------
CREATE TABLE follows (
  follower_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  followee_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Millisecond precision so the keyset cursor (an ISO timestamp) round-trips exactly.
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (follower_id, followee_id),
  CHECK (follower_id <> followee_id)
);
CREATE INDEX follows_followers_idx ON follows (followee_id, created_at DESC, follower_id DESC);
CREATE INDEX follows_following_idx ON follows (follower_id, created_at DESC, followee_id DESC);

-- Engagement -----------------------------------------------------------------
-- One counter row per video, apart from the (cached) video row, so a like does
-- not invalidate the cached metadata and counters are always read fresh.
CREATE TABLE video_stats (
  video_id text PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
  views    bigint NOT NULL DEFAULT 0 CHECK (views >= 0),
  likes    bigint NOT NULL DEFAULT 0 CHECK (likes >= 0),
  comments bigint NOT NULL DEFAULT 0 CHECK (comments >= 0),
  shares   bigint NOT NULL DEFAULT 0 CHECK (shares >= 0)
);

CREATE TABLE video_likes (
  video_id   text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (video_id, user_id)
);
CREATE INDEX video_likes_recent_idx ON video_likes (created_at);
CREATE INDEX video_likes_user_idx ON video_likes (user_id, created_at DESC);

CREATE TABLE bookmarks (
  user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  video_id   text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (user_id, video_id)
);
CREATE INDEX bookmarks_user_idx ON bookmarks (user_id, created_at DESC, video_id DESC);

-- Every share is a row (trending needs when it happened); video_stats.shares is its count.
CREATE TABLE video_shares (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  video_id   text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  user_id    text REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX video_shares_recent_idx ON video_shares (created_at);
CREATE INDEX video_shares_video_idx ON video_shares (video_id);

CREATE TABLE comments (
  id          text PRIMARY KEY,
  video_id    text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  author_id   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Always a top-level comment: replies are one level deep.
  parent_id   text REFERENCES comments (id) ON DELETE CASCADE,
  text        text NOT NULL,
  like_count  integer NOT NULL DEFAULT 0 CHECK (like_count >= 0),
  reply_count integer NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX comments_top_idx ON comments (video_id, created_at DESC, id DESC) WHERE parent_id IS NULL;
CREATE INDEX comments_replies_idx ON comments (parent_id, created_at, id) WHERE parent_id IS NOT NULL;
CREATE INDEX comments_recent_idx ON comments (created_at);

CREATE TABLE comment_likes (
  comment_id text NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
  user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (comment_id, user_id)
);

-- Views: one row per (video, viewer, period). The primary key is what makes a
-- view count once per viewer per period even under concurrent requests.
CREATE TABLE video_views (
  video_id   text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  -- 'u:<userId>' for signed-in viewers, 'd:<deviceId>' for anonymous ones.
  viewer_key text NOT NULL,
  -- Days since the Unix epoch (UTC) of the server's receive time.
  period     integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (video_id, viewer_key, period)
);
CREATE INDEX video_views_recent_idx ON video_views (created_at);

-- Playback events ------------------------------------------------------------
-- The durable log the recommender reads. No foreign keys: it is an append-only
-- record that outlives deleted videos and must be cheap to write.
CREATE TABLE events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type        text NOT NULL CHECK (type IN ('impression', 'play', 'progress', 'complete', 'skip')),
  video_id    text NOT NULL,
  user_id     text,
  device_id   text,
  watched_ms  integer CHECK (watched_ms >= 0),
  -- The client's timestamp, clamped to [received_at - 24 h, received_at].
  client_at   timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  CHECK (user_id IS NOT NULL OR device_id IS NOT NULL)
);
CREATE INDEX events_received_idx ON events (received_at);
CREATE INDEX events_video_idx ON events (video_id, received_at);
CREATE INDEX events_user_idx ON events (user_id, received_at) WHERE user_id IS NOT NULL;
