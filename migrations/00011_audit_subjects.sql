-- +goose Up
-- Every change on the record, and readable (issue 14, point 5): each audit
-- entry names the person, the course and the training session it is about,
-- when it is about one, so that the audit page filters by them and a
-- person's or a session's page shows its history with one index read.
-- No foreign keys: the record of a change outlives the row it is about (a
-- deleted session, a merged person).
ALTER TABLE audit_log
    ADD COLUMN trainee_id bigint,
    ADD COLUMN course_id  bigint,
    ADD COLUMN session_id bigint;

-- Entries written before: their subjects from the entity and its rows.
UPDATE audit_log SET trainee_id = entity_id WHERE entity = 'trainee' AND entity_id IS NOT NULL;
UPDATE audit_log SET course_id = entity_id WHERE entity = 'course' AND entity_id IS NOT NULL;
UPDATE audit_log a SET trainee_id = e.trainee_id, course_id = e.course_id
  FROM enrollments e WHERE a.entity = 'enrollment' AND e.id = a.entity_id;
UPDATE audit_log a SET trainee_id = e.trainee_id, course_id = m.course_id, session_id = m.session_id
  FROM attendance m JOIN enrollments e ON e.id = m.enrollment_id
 WHERE a.entity = 'attendance' AND m.id = a.entity_id;

-- The audit page's filters, newest first (ORDER BY id DESC).
CREATE INDEX audit_log_trainee_idx ON audit_log (trainee_id, id) WHERE trainee_id IS NOT NULL;
CREATE INDEX audit_log_course_idx ON audit_log (course_id, id) WHERE course_id IS NOT NULL;
CREATE INDEX audit_log_session_idx ON audit_log (session_id, id) WHERE session_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
-- The page's list of actions, walked one probe per action (AuditActions).
CREATE INDEX audit_log_action_idx ON audit_log (action, id);

-- +goose Down
DROP INDEX audit_log_trainee_idx, audit_log_course_idx, audit_log_session_idx, audit_log_actor_idx, audit_log_action_idx;
ALTER TABLE audit_log DROP COLUMN trainee_id, DROP COLUMN course_id, DROP COLUMN session_id;
