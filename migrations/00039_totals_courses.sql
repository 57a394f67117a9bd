-- +goose Up
-- The course figures of a read (courses, sessions held, training hours)
-- summed per programme, year and province, kept by the courses' changes in
-- their own transaction: a read adds up a few hundred of these rows rather
-- than every course (20,000 in the bench's full dataset: a sequential scan,
-- two thirds of a national read's time in the database; the covering index
-- courses_figures could not be read alone, each enrolment updating its
-- course's places_taken). docs/TOTALS.md, "Who writes what".
CREATE TABLE totals_courses (
    programme_id  bigint NOT NULL,
    year          smallint NOT NULL,
    province_id   bigint NOT NULL,
    courses       integer NOT NULL,
    sessions_held integer NOT NULL,
    held_hours    numeric NOT NULL,
    PRIMARY KEY (programme_id, year, province_id)
);

-- No course changes between the sums and the triggers below (the
-- migration's transaction holds the lock until it commits).
LOCK TABLE courses IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO totals_courses (programme_id, year, province_id, courses, sessions_held, held_hours)
SELECT programme_id, year, province_id, count(*), sum(sessions_held), sum(held_hours)
  FROM courses GROUP BY programme_id, year, province_id;

-- +goose StatementBegin
-- A course counts in its cell: -1 where it was (an update or a deletion),
-- +1 where it is (an insertion or an update). A course that moves changes
-- two cells, locked in the order of their keys, so that two courses moving
-- opposite ways at once cannot each wait for the other.
CREATE FUNCTION totals_courses_keep() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION totals_courses_add(p bigint, y smallint, pv bigint, n integer, held integer, hours numeric)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO totals_courses AS t (programme_id, year, province_id, courses, sessions_held, held_hours)
    VALUES (p, y, pv, n, held, hours)
    ON CONFLICT (programme_id, year, province_id) DO UPDATE
       SET courses = t.courses + excluded.courses, sessions_held = t.sessions_held + excluded.sessions_held,
           held_hours = t.held_hours + excluded.held_hours
$$;
-- +goose StatementEnd

CREATE TRIGGER totals_courses_insert_delete AFTER INSERT OR DELETE ON courses
    FOR EACH ROW EXECUTE FUNCTION totals_courses_keep();
-- Only the changes that move a figure: an enrolment updates its course's
-- places_taken, and must not pay for this.
CREATE TRIGGER totals_courses_update AFTER UPDATE ON courses
    FOR EACH ROW
    WHEN ((OLD.programme_id, OLD.year, OLD.province_id, OLD.sessions_held, OLD.held_hours)
          IS DISTINCT FROM (NEW.programme_id, NEW.year, NEW.province_id, NEW.sessions_held, NEW.held_hours))
    EXECUTE FUNCTION totals_courses_keep();

-- The index the read used to sum the courses by.
DROP INDEX courses_figures;

-- +goose Down
CREATE INDEX courses_figures ON courses (programme_id, year, province_id) INCLUDE (sessions_held, held_hours);
DROP TRIGGER totals_courses_update ON courses;
DROP TRIGGER totals_courses_insert_delete ON courses;
DROP FUNCTION totals_courses_keep();
DROP FUNCTION totals_courses_add(bigint, smallint, bigint, integer, integer, numeric);
DROP TABLE totals_courses;
