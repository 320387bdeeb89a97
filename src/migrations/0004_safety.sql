-- Safety: roles, bans, video takedowns, blocks, reports and daily upload quotas.

-- Roles and bans ---------------------------------------------------------------
-- 'admin' is granted and revoked with `curta admin grant|revoke <username>`.
ALTER TABLE users
  ADD COLUMN role       text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  -- A banned account cannot sign in, and its videos and comments are hidden everywhere.
  ADD COLUMN banned_at  timestamptz,
  ADD COLUMN ban_reason text,
  ADD COLUMN banned_by  text REFERENCES users (id) ON DELETE SET NULL;

-- Takedowns --------------------------------------------------------------------
-- A flag beside the processing status (which keeps its own life): a taken-down
-- video is hidden from everyone but its owner, who sees it with the reason.
ALTER TABLE videos
  ADD COLUMN taken_down_at   timestamptz,
  ADD COLUMN takedown_reason text,
  ADD COLUMN taken_down_by   text REFERENCES users (id) ON DELETE SET NULL;

-- Blocks -------------------------------------------------------------------------
-- One row per direction; the visibility rule looks both ways.
CREATE TABLE blocks (
  blocker_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Millisecond precision so the keyset cursor (an ISO timestamp) round-trips exactly.
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (blocker_id, blocked_id),
  CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id, blocker_id);
CREATE INDEX blocks_list_idx ON blocks (blocker_id, created_at DESC, blocked_id DESC);

-- Reports --------------------------------------------------------------------------
-- No foreign key to the target: a report outlives the video, comment or
-- account it is about (the queue then shows the target as gone).
CREATE TABLE reports (
  id            text PRIMARY KEY,
  reporter_id   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  target_type   text NOT NULL CHECK (target_type IN ('video', 'comment', 'user')),
  target_id     text NOT NULL,
  reason        text NOT NULL CHECK (reason IN ('spam', 'harassment', 'hate', 'violence', 'sexual', 'self_harm',
                                                'misinformation', 'copyright', 'other')),
  details       text NOT NULL DEFAULT '',
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  closed_at     timestamptz,
  closed_by     text REFERENCES users (id) ON DELETE SET NULL,
  resolution_note text NOT NULL DEFAULT ''
);
-- One open report per reporter per target: the unique index is the rule, so
-- concurrent duplicates cannot both get in.
CREATE UNIQUE INDEX reports_one_open_idx ON reports (reporter_id, target_type, target_id) WHERE status = 'open';
CREATE INDEX reports_queue_idx ON reports (status, created_at, id);
CREATE INDEX reports_target_idx ON reports (target_type, target_id) WHERE status = 'open';

-- Daily upload quotas -----------------------------------------------------------------
-- Reserved in the transaction that creates the upload, with a guarded upsert,
-- so concurrent uploads cannot overshoot; deleting a video gives nothing back.
CREATE TABLE upload_usage (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Days since the Unix epoch (UTC).
  day     integer NOT NULL,
  uploads integer NOT NULL DEFAULT 0,
  bytes   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day)
);
