-- +goose Up
-- Exports and imports (issue 5).

-- The attendance export filters sessions by date across courses
-- (?from=&to=); sessions_course_idx only serves one course at a time.
CREATE INDEX sessions_starts_at_idx ON sessions (starts_at);

-- An import reuses a person without a national ID (a child parliamentarian)
-- when the same name, category, sex, birth year, organisation and province
-- are on record: this index finds the candidates by name.
CREATE INDEX trainees_identity_idx ON trainees (name_key) WHERE national_id IS NULL;

-- +goose Down
DROP INDEX trainees_identity_idx;
DROP INDEX sessions_starts_at_idx;
