-- +goose Up
-- Credentials follow the account, and login limits count before they hash
-- (issue 12, docs/SECURITY.md "Login limits").

-- A login attempt is written, succeeded NULL, before its password is checked
-- (the reservation that concurrent attempts cannot all pass), then marked
-- true or false. One left NULL (the process died during the check) counts
-- as a failure until it leaves the window.
ALTER TABLE login_attempts ALTER COLUMN succeeded DROP NOT NULL;
-- The per-account queries ask for one address of the account.
CREATE INDEX login_attempts_pair_idx ON login_attempts (email_hash, ip, at);

-- A signed-in web session names its user, so that a password reset or a
-- deactivation deletes every session of that user at once. Sessions opened
-- before this migration have none: the password fingerprint and the active
-- flag they carry still end them at their next request.
ALTER TABLE web_sessions ADD COLUMN user_id bigint REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id) WHERE user_id IS NOT NULL;

-- +goose Down
DROP INDEX web_sessions_user_idx;
ALTER TABLE web_sessions DROP COLUMN user_id;
DROP INDEX login_attempts_pair_idx;
DELETE FROM login_attempts WHERE succeeded IS NULL;
ALTER TABLE login_attempts ALTER COLUMN succeeded SET NOT NULL;
