-- Idempotency-Key on creating POSTs (src/http/idempotency.ts): the first
-- answer to a (caller, key), kept for a day, so a retried request gets it again
-- instead of creating a second upload, comment or report.
CREATE TABLE idempotency_keys (
  -- `user:<id>` or `device:<X-Device-Id>`: keys are the caller's own.
  scope           text NOT NULL,
  key             text NOT NULL,
  -- SHA-256 of the method, the route and the canonical JSON body: the same key for another request is refused.
  fingerprint     text NOT NULL,
  state           text NOT NULL CHECK (state IN ('in_flight', 'done')),
  response_status integer,
  response_type   text,
  response_body   text,
  -- While in flight: after this, a crashed request's key may be taken again.
  locked_until    timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
