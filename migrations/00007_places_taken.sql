-- +goose Up
-- Places taken per course (its enrolments not withdrawn), kept by triggers
-- in the same transaction as the enrolments (issue 7). Enrolling checks the
-- capacity under the course's row lock: reading one counter instead of
-- counting the course's enrolments doubled the enrolments per second
-- PostgreSQL could take for courses of a few thousand (pgbench, 8 clients).
ALTER TABLE courses ADD COLUMN places_taken integer NOT NULL DEFAULT 0;
UPDATE courses c SET places_taken = e.n
  FROM (SELECT course_id, count(*) AS n FROM enrollments WHERE status <> 'withdrawn' GROUP BY course_id) e
 WHERE c.id = e.course_id;

-- Inserts and deletes are counted per statement (an import enrolling
-- thousands updates each course once, not once per person); a change of
-- status or course per row, only when it moves a place (see WHEN below).
-- +goose StatementBegin
CREATE FUNCTION courses_count_places() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE courses c SET places_taken = c.places_taken + n.k
          FROM (SELECT course_id, count(*) AS k FROM new_rows WHERE status <> 'withdrawn' GROUP BY course_id) n
         WHERE c.id = n.course_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE courses c SET places_taken = c.places_taken - o.k
          FROM (SELECT course_id, count(*) AS k FROM old_rows WHERE status <> 'withdrawn' GROUP BY course_id) o
         WHERE c.id = o.course_id;
    ELSE
        IF OLD.status <> 'withdrawn' THEN
            UPDATE courses SET places_taken = places_taken - 1 WHERE id = OLD.course_id;
        END IF;
        IF NEW.status <> 'withdrawn' THEN
            UPDATE courses SET places_taken = places_taken + 1 WHERE id = NEW.course_id;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER enrollments_count_places_insert AFTER INSERT ON enrollments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION courses_count_places();
CREATE TRIGGER enrollments_count_places_delete AFTER DELETE ON enrollments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION courses_count_places();
-- The WHEN is checked without calling the function: the attendance
-- trigger's updates of the mark counters cost nothing here.
CREATE TRIGGER enrollments_count_places_update AFTER UPDATE OF status, course_id ON enrollments
    FOR EACH ROW WHEN ((OLD.status = 'withdrawn') IS DISTINCT FROM (NEW.status = 'withdrawn') OR OLD.course_id <> NEW.course_id)
    EXECUTE FUNCTION courses_count_places();

-- The totals only care about a course's place, time, threshold and number
-- of sessions: a place taken must not call totals_note_course().
DROP TRIGGER totals_note_course ON courses;
CREATE TRIGGER totals_note_course AFTER UPDATE OF programme_id, year, province_id, completion_threshold, session_count ON courses
    FOR EACH ROW EXECUTE FUNCTION totals_note_course();

-- +goose Down
DROP TRIGGER totals_note_course ON courses;
CREATE TRIGGER totals_note_course AFTER UPDATE ON courses
    FOR EACH ROW EXECUTE FUNCTION totals_note_course();
DROP TRIGGER enrollments_count_places_update ON enrollments;
DROP TRIGGER enrollments_count_places_delete ON enrollments;
DROP TRIGGER enrollments_count_places_insert ON enrollments;
DROP FUNCTION courses_count_places();
ALTER TABLE courses DROP COLUMN places_taken;
