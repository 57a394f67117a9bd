-- +goose Up
-- Sessions have a life, courses close (issue 14, points 3 and 6).
-- docs/TOTALS.md ("Cancelled sessions", "Closed courses") has the why.

-- 1. A cancelled session is kept, with who cancelled it and why. It no
--    longer counts: not in the completion denominator, not as held, not in
--    the hours, and its marks (if any were taken) count for nobody.
ALTER TABLE sessions
    ADD COLUMN cancelled_at  timestamptz,
    ADD COLUMN cancelled_by  bigint REFERENCES users (id),
    ADD COLUMN cancel_reason text,
    ADD CONSTRAINT sessions_cancel_reason CHECK ((cancelled_at IS NULL) = (cancel_reason IS NULL)
        AND (cancel_reason IS NULL OR (btrim(cancel_reason) <> '' AND length(cancel_reason) <= 1000)));

-- The course counters (00005) count the sessions not cancelled only.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION courses_keep_session_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.course_id = NEW.course_id AND OLD.has_marks = NEW.has_marks AND OLD.hours = NEW.hours
       AND (OLD.cancelled_at IS NULL) = (NEW.cancelled_at IS NULL) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.cancelled_at IS NULL THEN
        UPDATE courses
           SET session_count = session_count - 1,
               sessions_held = sessions_held - OLD.has_marks::int,
               held_hours = held_hours - CASE WHEN OLD.has_marks THEN OLD.hours ELSE 0 END
         WHERE id = OLD.course_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.cancelled_at IS NULL THEN
        UPDATE courses
           SET session_count = session_count + 1,
               sessions_held = sessions_held + NEW.has_marks::int,
               held_hours = held_hours + CASE WHEN NEW.has_marks THEN NEW.hours ELSE 0 END
         WHERE id = NEW.course_id;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER courses_keep_session_counts ON sessions;
CREATE TRIGGER courses_keep_session_counts AFTER INSERT OR DELETE OR UPDATE OF course_id, has_marks, hours, cancelled_at
    ON sessions FOR EACH ROW EXECUTE FUNCTION courses_keep_session_counts();

-- The enrolment counters (00003) count the marks of sessions not cancelled
-- only: a session that did not take place trains nobody.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION attendance_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_counts boolean := false; -- OLD's session is not cancelled
    new_counts boolean := false;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT cancelled_at IS NULL INTO old_counts FROM sessions WHERE id = OLD.session_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT cancelled_at IS NULL INTO new_counts FROM sessions WHERE id = NEW.session_id;
    END IF;
    -- The common case: a roster changes one mark's status.
    IF TG_OP = 'UPDATE' AND NEW.enrollment_id = OLD.enrollment_id AND NEW.session_id = OLD.session_id THEN
        IF new_counts AND (NEW.status IN ('present', 'late')) <> (OLD.status IN ('present', 'late')) THEN
            UPDATE enrollments
               SET attended_count = attended_count + CASE WHEN NEW.status IN ('present', 'late') THEN 1 ELSE -1 END
             WHERE id = NEW.enrollment_id;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF old_counts THEN
            UPDATE enrollments
               SET marks_count = marks_count - 1,
                   attended_count = attended_count - (OLD.status IN ('present', 'late'))::int
             WHERE id = OLD.enrollment_id;
        END IF;
        UPDATE sessions
           SET has_marks = EXISTS (SELECT 1 FROM attendance WHERE session_id = OLD.session_id)
         WHERE id = OLD.session_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF new_counts THEN
            UPDATE enrollments
               SET marks_count = marks_count + 1,
                   attended_count = attended_count + (NEW.status IN ('present', 'late'))::int
             WHERE id = NEW.enrollment_id;
        END IF;
        UPDATE sessions SET has_marks = true WHERE id = NEW.session_id AND NOT has_marks;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Cancelling a session that has marks takes them out of their enrolments'
-- counters (and a session restored puts them back). The enrolments are
-- locked in id order first, as the roster's save does: the two cannot
-- deadlock. The counters' change notes the people for the totals (00010).
-- +goose StatementBegin
CREATE FUNCTION sessions_cancel_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d integer := CASE WHEN NEW.cancelled_at IS NULL THEN 1 ELSE -1 END;
BEGIN
    IF (OLD.cancelled_at IS NULL) = (NEW.cancelled_at IS NULL) OR NOT NEW.has_marks THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM enrollments
     WHERE id IN (SELECT enrollment_id FROM attendance WHERE session_id = NEW.id) ORDER BY id FOR UPDATE;
    UPDATE enrollments e
       SET marks_count = e.marks_count + d, attended_count = e.attended_count + d * (a.status IN ('present', 'late'))::int
      FROM attendance a
     WHERE a.session_id = NEW.id AND a.enrollment_id = e.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER sessions_cancel_counts AFTER UPDATE OF cancelled_at ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_cancel_counts();

-- 2. A closed course: its report is done. Writes on it (marks, enrolments,
--    sessions, the course itself) need a correction reason, which the
--    application sets for its transaction (takaffoul.correction_reason,
--    repository/lifecycle.go) only for a coordinator who gave one.
ALTER TABLE courses
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN closed_by bigint REFERENCES users (id),
    ADD CONSTRAINT courses_closed_by CHECK (closed_at IS NOT NULL OR closed_by IS NULL);

-- Each closing, with the figures as the totals computed them at that
-- moment (domain.FigureKeys → value): the course's own, and those of the
-- scopes reported figures are about (its programme; its programme in its
-- year), for the reported-vs-recorded panel. A reopening is kept on it.
CREATE TABLE course_closings (
    id                     bigserial PRIMARY KEY,
    course_id              bigint NOT NULL REFERENCES courses (id),
    closed_at              timestamptz NOT NULL DEFAULT now(),
    closed_by              bigint REFERENCES users (id),
    figures                jsonb NOT NULL,
    programme_figures      jsonb NOT NULL,
    programme_year_figures jsonb NOT NULL,
    reopened_at            timestamptz,
    reopened_by            bigint REFERENCES users (id),
    reopen_reason          text,
    CONSTRAINT course_closings_reopen_reason CHECK ((reopened_at IS NULL) = (reopen_reason IS NULL)
        AND (reopen_reason IS NULL OR (btrim(reopen_reason) <> '' AND length(reopen_reason) <= 1000)))
);
-- At most one closing in force per course.
CREATE UNIQUE INDEX course_closings_in_force ON course_closings (course_id) WHERE reopened_at IS NULL;

-- The audit entries written in a correction's transaction carry its reason
-- (every writer's entries, the SQL ones included, without knowing of it).
ALTER TABLE audit_log ADD COLUMN reason text
    DEFAULT nullif(current_setting('takaffoul.correction_reason', true), '');

-- The guard. The course row is read FOR KEY SHARE: closing takes it FOR
-- UPDATE, so a write and a closing of the same course are one after the
-- other, never interleaved (a closing's figures miss no write committed
-- beside it). The counters' own updates (has_marks, attended_count…) are
-- not guarded: the write that caused them was.
-- +goose StatementBegin
CREATE FUNCTION refuse_writes_on_closed_course() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed timestamptz;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT closed_at INTO closed FROM courses WHERE id = OLD.course_id FOR KEY SHARE;
    END IF;
    IF closed IS NULL AND TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT closed_at INTO closed FROM courses WHERE id = NEW.course_id FOR KEY SHARE;
    END IF;
    IF closed IS NOT NULL AND coalesce(current_setting('takaffoul.correction_reason', true), '') = '' THEN
        RAISE EXCEPTION 'the course is closed'
            USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'course_closed';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- Marks are written by the roster's save, many in one statement: their
-- guard runs once per statement, over its rows (a row trigger's lookup per
-- mark cost a third more time on a mass update).
-- +goose StatementBegin
CREATE FUNCTION attendance_refuse_closed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    courses_touched bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT course_id) INTO courses_touched FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT course_id) INTO courses_touched FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT course_id) INTO courses_touched
          FROM (SELECT course_id FROM new_rows UNION SELECT course_id FROM old_rows) r;
    END IF;
    IF courses_touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM courses WHERE id = ANY (courses_touched) ORDER BY id FOR KEY SHARE;
    IF coalesce(current_setting('takaffoul.correction_reason', true), '') = ''
       AND EXISTS (SELECT 1 FROM courses WHERE id = ANY (courses_touched) AND closed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'the course is closed'
            USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'course_closed';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER attendance_refuse_closed_insert AFTER INSERT ON attendance
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_refuse_closed();
CREATE TRIGGER attendance_refuse_closed_update AFTER UPDATE ON attendance
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_refuse_closed();
CREATE TRIGGER attendance_refuse_closed_delete AFTER DELETE ON attendance
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_refuse_closed();
CREATE TRIGGER enrollments_refuse_closed BEFORE INSERT OR DELETE OR UPDATE OF status, course_id
    ON enrollments FOR EACH ROW EXECUTE FUNCTION refuse_writes_on_closed_course();
CREATE TRIGGER sessions_refuse_closed BEFORE INSERT OR DELETE OR UPDATE OF course_id, starts_at, ends_at, place, hours, cancelled_at, cancel_reason
    ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_writes_on_closed_course();

-- A closed course's own fields: closing and reopening change closed_at,
-- which is not among the guarded columns.
-- +goose StatementBegin
CREATE FUNCTION courses_refuse_closed_edits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.closed_at IS NOT NULL AND coalesce(current_setting('takaffoul.correction_reason', true), '') = '' THEN
        RAISE EXCEPTION 'the course is closed'
            USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'course_closed';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER courses_refuse_closed_edits BEFORE UPDATE OF programme_id, code, title_ar, title_fr, year, province_id,
    start_date, end_date, capacity, completion_threshold, archived ON courses
    FOR EACH ROW EXECUTE FUNCTION courses_refuse_closed_edits();

-- +goose Down
DROP TRIGGER courses_refuse_closed_edits ON courses;
DROP FUNCTION courses_refuse_closed_edits();
DROP TRIGGER sessions_refuse_closed ON sessions;
DROP TRIGGER enrollments_refuse_closed ON enrollments;
DROP TRIGGER attendance_refuse_closed_insert ON attendance;
DROP TRIGGER attendance_refuse_closed_update ON attendance;
DROP TRIGGER attendance_refuse_closed_delete ON attendance;
DROP FUNCTION attendance_refuse_closed();
DROP FUNCTION refuse_writes_on_closed_course();
ALTER TABLE audit_log DROP COLUMN reason;
DROP TABLE course_closings;
ALTER TABLE courses DROP COLUMN closed_at, DROP COLUMN closed_by;
DROP TRIGGER sessions_cancel_counts ON sessions;
DROP FUNCTION sessions_cancel_counts();
-- Cancelled sessions go with their columns: their marks count again.
DROP TRIGGER courses_keep_session_counts ON sessions;
ALTER TABLE sessions DROP COLUMN cancelled_at, DROP COLUMN cancelled_by, DROP COLUMN cancel_reason;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION courses_keep_session_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.course_id = NEW.course_id AND OLD.has_marks = NEW.has_marks AND OLD.hours = NEW.hours THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE courses
           SET session_count = session_count - 1,
               sessions_held = sessions_held - OLD.has_marks::int,
               held_hours = held_hours - CASE WHEN OLD.has_marks THEN OLD.hours ELSE 0 END
         WHERE id = OLD.course_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE courses
           SET session_count = session_count + 1,
               sessions_held = sessions_held + NEW.has_marks::int,
               held_hours = held_hours + CASE WHEN NEW.has_marks THEN NEW.hours ELSE 0 END
         WHERE id = NEW.course_id;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER courses_keep_session_counts AFTER INSERT OR DELETE OR UPDATE OF course_id, has_marks, hours
    ON sessions FOR EACH ROW EXECUTE FUNCTION courses_keep_session_counts();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION attendance_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.enrollment_id = OLD.enrollment_id AND NEW.session_id = OLD.session_id THEN
        IF (NEW.status IN ('present', 'late')) <> (OLD.status IN ('present', 'late')) THEN
            UPDATE enrollments
               SET attended_count = attended_count + CASE WHEN NEW.status IN ('present', 'late') THEN 1 ELSE -1 END
             WHERE id = NEW.enrollment_id;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE enrollments
           SET marks_count = marks_count - 1,
               attended_count = attended_count - (OLD.status IN ('present', 'late'))::int
         WHERE id = OLD.enrollment_id;
        UPDATE sessions
           SET has_marks = EXISTS (SELECT 1 FROM attendance WHERE session_id = OLD.session_id)
         WHERE id = OLD.session_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE enrollments
           SET marks_count = marks_count + 1,
               attended_count = attended_count + (NEW.status IN ('present', 'late'))::int
         WHERE id = NEW.enrollment_id;
        UPDATE sessions SET has_marks = true WHERE id = NEW.session_id AND NOT has_marks;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
UPDATE enrollments e
   SET attended_count = coalesce(a.attended, 0), marks_count = coalesce(a.marks, 0)
  FROM enrollments e2
  LEFT JOIN (SELECT enrollment_id, count(*) FILTER (WHERE status IN ('present', 'late')) AS attended, count(*) AS marks
               FROM attendance GROUP BY enrollment_id) a ON a.enrollment_id = e2.id
 WHERE e.id = e2.id AND (e.attended_count, e.marks_count) IS DISTINCT FROM (coalesce(a.attended, 0), coalesce(a.marks, 0));
UPDATE courses c
   SET session_count = coalesce(s.n, 0), sessions_held = coalesce(s.held, 0), held_hours = coalesce(s.hours, 0)
  FROM courses c2
  LEFT JOIN (SELECT course_id, count(*) AS n, count(*) FILTER (WHERE has_marks) AS held,
                    sum(hours) FILTER (WHERE has_marks) AS hours
               FROM sessions GROUP BY course_id) s ON s.course_id = c2.id
 WHERE c.id = c2.id
   AND (c.session_count, c.sessions_held, c.held_hours) IS DISTINCT FROM (coalesce(s.n, 0), coalesce(s.held, 0), coalesce(s.hours, 0));
