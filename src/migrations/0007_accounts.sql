-- Account security: session pruning, and usernames of deleted accounts held back.

-- Dead sessions (expired, or revoked by a logout or a ban) are pruned in
-- batches when someone signs in; these indexes find them.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- The username of a deleted account stays unavailable until held_until
-- (DELETED_USERNAME_HOLD_DAYS), so nobody can take it over at once and be
-- mistaken for its former owner by their followers or old links.
CREATE TABLE held_usernames (
  -- lower(username), as users_username_key compares.
  username_key text PRIMARY KEY,
  held_until   timestamptz NOT NULL
);

-- A deleted account's view-dedupe rows ('u:<userId>') are found by viewer.
CREATE INDEX video_views_viewer_idx ON video_views (viewer_key);
