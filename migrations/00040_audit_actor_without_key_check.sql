-- +goose Up
-- The audit log names what an entry is about by id, without foreign keys
-- (00011: the record of a change outlives the row it is about). Its actor
-- was the one column with a key check, paid by every audited change: a
-- look-up and a share lock of the user's row per entry — 0.23 s of the
-- 1.0 s a 100,000-row import spends writing its people's entries
-- (docs/BENCHMARKS.md, "The audit's actor without a key check").
--
-- What the check guaranteed, that an entry's actor is a user, holds
-- because users are never deleted: an account is deactivated (active =
-- false) and keeps its history. The trigger below makes that a rule of
-- the database rather than a habit of the code.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION refuse_user_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'users are deactivated, never deleted: user % keeps the history it signed', OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_never_deleted BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION refuse_user_delete();
-- A TRUNCATE fires no row trigger (and, the key gone, no longer reaches
-- audit_log through CASCADE): refused too.
-- +goose StatementBegin
CREATE FUNCTION refuse_users_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'users are deactivated, never deleted: users cannot be truncated'
        USING ERRCODE = 'restrict_violation';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_never_truncated BEFORE TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_users_truncate();

-- +goose Down
DROP TRIGGER users_never_truncated ON users;
DROP FUNCTION refuse_users_truncate();
DROP TRIGGER users_never_deleted ON users;
DROP FUNCTION refuse_user_delete();
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES users(id);
