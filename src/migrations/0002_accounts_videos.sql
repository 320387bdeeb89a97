-- Accounts, sessions and the video metadata/status table (the seed's DynamoDB + Aurora roles).

CREATE TABLE users (
  id            text PRIMARY KEY,
  username      text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Bearer tokens are stored hashed: a leaked table does not leak sessions.
CREATE TABLE sessions (
  token_hash  text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE videos (
  id                text PRIMARY KEY,
  owner_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status            text NOT NULL CHECK (status IN ('uploading', 'uploaded', 'processing', 'ready', 'failed', 'archived', 'restoring')),
  caption           text NOT NULL DEFAULT '',
  visibility        text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted', 'followers', 'private')),
  original_key      text NOT NULL,
  original_filename text NOT NULL,
  content_type      text NOT NULL,
  declared_size     bigint NOT NULL CHECK (declared_size > 0),
  multipart_upload_id text,
  upload_expires_at timestamptz NOT NULL,
  uploaded_at       timestamptz,
  -- Versioned prefix of this video's renditions: a new processing attempt writes a new one,
  -- so every published object can be cached forever.
  media_prefix      text,
  progress          real NOT NULL DEFAULT 0,
  duration_ms       integer,
  width             integer,
  height            integer,
  playback          jsonb,
  playable_at       timestamptz,
  ready_at          timestamptz,
  error_code        text,
  error_message     text,
  -- Millisecond precision so the keyset cursor (an ISO timestamp) round-trips exactly.
  created_at        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX videos_public_feed_idx ON videos (created_at DESC, id DESC) WHERE status = 'ready' AND visibility = 'public';
CREATE INDEX videos_owner_idx ON videos (owner_id, created_at DESC);
CREATE INDEX videos_pending_upload_idx ON videos (upload_expires_at) WHERE status = 'uploading';

CREATE TABLE renditions (
  video_id          text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  name              text NOT NULL,
  width             integer NOT NULL,
  height            integer NOT NULL,
  bandwidth         integer NOT NULL,
  average_bandwidth integer NOT NULL,
  codecs            text NOT NULL,
  bytes             bigint NOT NULL,
  PRIMARY KEY (video_id, name)
);
