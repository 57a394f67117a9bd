-- +goose Up
-- Accounts: web sessions, API tokens and the login attempts that throttling
-- counts. Everything lives in PostgreSQL so that any number of app instances
-- behind a load balancer share it (the application keeps no state of its own).

-- Server-side web sessions (the table "sessions" holds TRAINING sessions).
-- The primary key is the SHA-256 of the session id, so that a copy of this
-- table does not hand out live session cookies.
CREATE TABLE web_sessions (
    id_hash    bytea PRIMARY KEY,
    data       bytea NOT NULL,
    expires_at timestamptz          -- NULL: does not expire (fiber.Storage's exp = 0)
);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- API tokens for scripts: only the SHA-256 of the token is stored; the
-- prefix identifies a token to its owner (list, revoke) without revealing it.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    prefix       text NOT NULL CHECK (prefix ~ '^[A-Za-z0-9_-]{8}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Failed and successful logins, counted per account and per client address
-- over a sliding window. The account is kept as the SHA-256 of its normalised
-- e-mail address: enough to count, no address in clear.
CREATE TABLE login_attempts (
    id         bigserial PRIMARY KEY,
    email_hash bytea NOT NULL,
    ip         text NOT NULL CHECK (length(ip) <= 64),
    succeeded  boolean NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email_hash, at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, at);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);

CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose Down
DROP INDEX audit_log_at_idx;
DROP TABLE login_attempts, api_tokens, web_sessions;
