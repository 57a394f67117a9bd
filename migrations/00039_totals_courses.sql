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

INSERT INTO totals_courses (programme_id, year, province_id, courses, sessions_held, held_hours)
SELECT programme_id, year, province_id, count(*), sum(sessions_held), sum(held_hours)
  FROM courses GROUP BY programme_id, year, province_id;

-- +goose StatementBegin
-- A course counts in its cell: -1 where it was (an update or a deletion),
-- +1 where it is (an insertion or an update).
CREATE FUNCTION totals_courses_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE totals_courses
           SET courses = courses - 1, sessions_held = sessions_held - OLD.sessions_held,
               held_hours = held_hours - OLD.held_hours
         WHERE (programme_id, year, province_id) = (OLD.programme_id, OLD.year, OLD.province_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO totals_courses AS t (programme_id, year, province_id, courses, sessions_held, held_hours)
        VALUES (NEW.programme_id, NEW.year, NEW.province_id, 1, NEW.sessions_held, NEW.held_hours)
        ON CONFLICT (programme_id, year, province_id) DO UPDATE
           SET courses = t.courses + 1, sessions_held = t.sessions_held + excluded.sessions_held,
               held_hours = t.held_hours + excluded.held_hours;
    END IF;
    RETURN NULL;
END $$;
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
DROP TABLE totals_courses;
