-- Whether others may see the videos a user liked (the "Liked" tab on their
-- profile, GET /api/v1/users/{username}/liked). Private unless the user
-- turns it on in settings (PATCH /api/v1/me/privacy).
ALTER TABLE users ADD COLUMN liked_videos_public boolean NOT NULL DEFAULT false;
