-- +goose Up
-- The ministry's totals (issue 6): per-enrolment and per-session attendance
-- counters kept in step by a trigger, and the figures that published reports state.
--
-- Why counters: "trained" and "completed" are questions about attendance
-- marks. At national scale (about ten million marks) scanning the marks for
-- every dashboard view is far too slow; reading one small row per enrolment
-- is not. The counters are maintained by a row trigger on attendance, so
-- every writer (the roster's upsert, an import, a correction by hand in psql)
-- keeps them right, in the same transaction, from the row's real OLD and NEW
-- values (a counter computed in the writing statement itself would read a
-- stale snapshot when two trainers save the same roster at once).
-- CHECK constraints make any drift fail loudly rather than publish a wrong figure.

ALTER TABLE enrollments
    ADD COLUMN attended_count integer NOT NULL DEFAULT 0,  -- marks 'present' or 'late'
    ADD COLUMN marks_count    integer NOT NULL DEFAULT 0,  -- marks of any status
    ADD CONSTRAINT enrollments_counts_valid CHECK (attended_count >= 0 AND marks_count >= attended_count);

-- A session is "held" when at least one mark was recorded for it.
ALTER TABLE sessions ADD COLUMN has_marks boolean NOT NULL DEFAULT false;

-- Existing data: fill the counters once.
UPDATE enrollments e
   SET attended_count = a.attended, marks_count = a.marks
  FROM (SELECT enrollment_id,
               count(*) FILTER (WHERE status IN ('present', 'late')) AS attended,
               count(*) AS marks
          FROM attendance GROUP BY enrollment_id) a
 WHERE a.enrollment_id = e.id;
UPDATE sessions s SET has_marks = true WHERE EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id);

-- +goose StatementBegin
CREATE FUNCTION attendance_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The common case: a roster changes one mark's status.
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
CREATE TRIGGER attendance_keep_counts AFTER INSERT OR DELETE OR UPDATE OF status, enrollment_id, session_id
    ON attendance FOR EACH ROW EXECUTE FUNCTION attendance_keep_counts();

-- The figures a published report states, to show beside the recorded ones.
-- Scope: a programme and optionally a year; the figure key names what is
-- counted (the keys of domain.FigureKeys).
CREATE TABLE reported_figures (
    id           bigserial PRIMARY KEY,
    figure       text NOT NULL CHECK (figure IN (
                     'local_actors.enrolled', 'local_actors.trained', 'local_actors.completed',
                     'by_category.institutional_actor.enrolled', 'by_category.institutional_actor.trained',
                     'by_category.institutional_actor.completed',
                     'by_category.associative_actor.enrolled', 'by_category.associative_actor.trained',
                     'by_category.associative_actor.completed',
                     'by_category.child_parliamentarian.enrolled', 'by_category.child_parliamentarian.trained',
                     'by_category.child_parliamentarian.completed',
                     'associations.enrolled', 'associations.trained',
                     'courses', 'sessions_held')),
    programme_id bigint NOT NULL REFERENCES programmes (id),
    year         smallint CHECK (year BETWEEN 2000 AND 2100),
    value        integer NOT NULL CHECK (value >= 0),
    source       text NOT NULL CHECK (btrim(source) <> '' AND length(source) <= 1000),
    -- the date of the report, when the source states it (a press item may not)
    reported_on  date,
    created_by   bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- One value per figure, scope and source: the same report cannot say two things.
CREATE UNIQUE INDEX reported_figures_key ON reported_figures (programme_id, coalesce(year, 0), figure, md5(source));

-- +goose Down
DROP TABLE reported_figures;
DROP TRIGGER attendance_keep_counts ON attendance;
DROP FUNCTION attendance_keep_counts();
ALTER TABLE sessions DROP COLUMN has_marks;
ALTER TABLE enrollments DROP CONSTRAINT enrollments_counts_valid,
    DROP COLUMN attended_count, DROP COLUMN marks_count;
