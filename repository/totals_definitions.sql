-- The totals engine's triggers and trigger functions as a migrated database
-- holds them: the current definitions, in one place (docs/TOTALS.md, "The map").
-- Written by TestTotalsDefinitionsAreTheMigratedDatabases from pg_get_functiondef
-- and pg_get_triggerdef; never run (the migrations are the schema). A migration
-- that changes one of them rewrites this file:
--   go test ./repository -run TestTotalsDefinitions -update-totals-definitions

-- totals_note_trainee
CREATE OR REPLACE FUNCTION public.totals_note_trainee()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF OLD.sex IS DISTINCT FROM NEW.sex THEN
        INSERT INTO totals_pending (trainee_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$function$;
CREATE TRIGGER totals_note_trainee AFTER UPDATE ON public.trainees FOR EACH ROW EXECUTE FUNCTION totals_note_trainee();

-- totals_note_enrollment
CREATE OR REPLACE FUNCTION public.totals_note_enrollment()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.trainee_id, OLD.course_id, OLD.status, OLD.attended_count, OLD.marks_count,
                             OLD.category, OLD.organisation_id, OLD.organisation_kind)
                            IS NOT DISTINCT FROM (NEW.trainee_id, NEW.course_id, NEW.status, NEW.attended_count, NEW.marks_count,
                                                  NEW.category, NEW.organisation_id, NEW.organisation_kind) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO totals_pending (trainee_id) VALUES (OLD.trainee_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO totals_pending (trainee_id) VALUES (NEW.trainee_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$function$;
CREATE TRIGGER totals_note_enrollment AFTER INSERT OR DELETE OR UPDATE ON public.enrollments FOR EACH ROW EXECUTE FUNCTION totals_note_enrollment();

-- totals_note_course
CREATE OR REPLACE FUNCTION public.totals_note_course()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF (OLD.programme_id, OLD.year, OLD.province_id, OLD.completion_threshold, OLD.session_count)
       IS DISTINCT FROM (NEW.programme_id, NEW.year, NEW.province_id, NEW.completion_threshold, NEW.session_count) THEN
        INSERT INTO totals_pending (trainee_id)
        SELECT trainee_id FROM enrollments WHERE course_id = NEW.id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$function$;
CREATE TRIGGER totals_note_course AFTER UPDATE OF programme_id, year, province_id, completion_threshold, session_count ON public.courses FOR EACH ROW EXECUTE FUNCTION totals_note_course();

-- totals_note_province
CREATE OR REPLACE FUNCTION public.totals_note_province()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF OLD.region_id IS DISTINCT FROM NEW.region_id THEN
        INSERT INTO totals_pending (trainee_id)
        SELECT e.trainee_id FROM enrollments e JOIN courses c ON c.id = e.course_id
         WHERE c.province_id = NEW.id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$function$;
CREATE TRIGGER totals_note_province AFTER UPDATE ON public.provinces FOR EACH ROW EXECUTE FUNCTION totals_note_province();

-- attendance_keep_counts
CREATE OR REPLACE FUNCTION public.attendance_keep_counts()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;
CREATE TRIGGER attendance_keep_counts AFTER INSERT OR DELETE OR UPDATE OF status, enrollment_id, session_id ON public.attendance FOR EACH ROW EXECUTE FUNCTION attendance_keep_counts();

-- courses_keep_session_counts
CREATE OR REPLACE FUNCTION public.courses_keep_session_counts()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;
CREATE TRIGGER courses_keep_session_counts AFTER INSERT OR DELETE OR UPDATE OF course_id, has_marks, hours, cancelled_at ON public.sessions FOR EACH ROW EXECUTE FUNCTION courses_keep_session_counts();

-- sessions_cancel_counts
CREATE OR REPLACE FUNCTION public.sessions_cancel_counts()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;
CREATE TRIGGER sessions_cancel_counts AFTER UPDATE OF cancelled_at ON public.sessions FOR EACH ROW EXECUTE FUNCTION sessions_cancel_counts();

-- totals_courses_keep
CREATE OR REPLACE FUNCTION public.totals_courses_keep()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM totals_courses_add(NEW.programme_id, NEW.year, NEW.province_id, 1, NEW.sessions_held, NEW.held_hours);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM totals_courses_add(OLD.programme_id, OLD.year, OLD.province_id, -1, -OLD.sessions_held, -OLD.held_hours);
    ELSIF (OLD.programme_id, OLD.year, OLD.province_id) = (NEW.programme_id, NEW.year, NEW.province_id) THEN
        PERFORM totals_courses_add(NEW.programme_id, NEW.year, NEW.province_id, 0,
                                   NEW.sessions_held - OLD.sessions_held, NEW.held_hours - OLD.held_hours);
    ELSIF (OLD.programme_id, OLD.year, OLD.province_id) < (NEW.programme_id, NEW.year, NEW.province_id) THEN
        PERFORM totals_courses_add(OLD.programme_id, OLD.year, OLD.province_id, -1, -OLD.sessions_held, -OLD.held_hours);
        PERFORM totals_courses_add(NEW.programme_id, NEW.year, NEW.province_id, 1, NEW.sessions_held, NEW.held_hours);
    ELSE
        PERFORM totals_courses_add(NEW.programme_id, NEW.year, NEW.province_id, 1, NEW.sessions_held, NEW.held_hours);
        PERFORM totals_courses_add(OLD.programme_id, OLD.year, OLD.province_id, -1, -OLD.sessions_held, -OLD.held_hours);
    END IF;
    RETURN NULL;
END $function$;
CREATE TRIGGER totals_courses_insert_delete AFTER INSERT OR DELETE ON public.courses FOR EACH ROW EXECUTE FUNCTION totals_courses_keep();
CREATE TRIGGER totals_courses_update AFTER UPDATE ON public.courses FOR EACH ROW WHEN ((((((old.programme_id IS DISTINCT FROM new.programme_id) OR (old.year IS DISTINCT FROM new.year)) OR (old.province_id IS DISTINCT FROM new.province_id)) OR (old.sessions_held IS DISTINCT FROM new.sessions_held)) OR (old.held_hours IS DISTINCT FROM new.held_hours))) EXECUTE FUNCTION totals_courses_keep();

-- totals_courses_add
CREATE OR REPLACE FUNCTION public.totals_courses_add(p bigint, y smallint, pv bigint, n integer, held integer, hours numeric)
 RETURNS void
 LANGUAGE sql
AS $function$
    INSERT INTO totals_courses AS t (programme_id, year, province_id, courses, sessions_held, held_hours)
    VALUES (p, y, pv, n, held, hours)
    ON CONFLICT (programme_id, year, province_id) DO UPDATE
       SET courses = t.courses + excluded.courses, sessions_held = t.sessions_held + excluded.sessions_held,
           held_hours = t.held_hours + excluded.held_hours
$function$;

-- courses_count_places
CREATE OR REPLACE FUNCTION public.courses_count_places()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;
CREATE TRIGGER enrollments_count_places_delete AFTER DELETE ON public.enrollments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION courses_count_places();
CREATE TRIGGER enrollments_count_places_insert AFTER INSERT ON public.enrollments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION courses_count_places();
CREATE TRIGGER enrollments_count_places_update AFTER UPDATE OF status, course_id ON public.enrollments FOR EACH ROW WHEN ((((old.status = 'withdrawn'::text) IS DISTINCT FROM (new.status = 'withdrawn'::text)) OR (old.course_id <> new.course_id))) EXECUTE FUNCTION courses_count_places();
