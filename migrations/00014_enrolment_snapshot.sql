-- +goose Up
-- What a person was when enrolled is kept with the enrolment (issue 14):
-- their category and organisation (and so their association). Every figure
-- counts from these columns, never from the person's current row, so that
-- reclassifying a person (a child parliamentarian who came of age becomes an
-- associative actor) or moving them to another organisation changes their
-- future enrolments only, and the figures about the past do not move.
-- Sex stays the person's: a change of sex is the correction of a fact.
--
-- The columns are plain values, filled at insert from the person's row (the
-- trigger below) unless the writer sets them: a coordinator's correction
-- (Store.CorrectEnrollment) or a merge of duplicates updates them like any
-- column, e.g. UPDATE enrollments SET organisation_id = $new,
-- organisation_kind = 'association' WHERE organisation_id = $old.

ALTER TABLE enrollments
    ADD COLUMN category          text,
    ADD COLUMN organisation_id   bigint,
    ADD COLUMN organisation_kind text;

-- Today's values: the best knowledge of the past there is.
UPDATE enrollments e
   SET category = t.category, organisation_id = t.organisation_id, organisation_kind = t.organisation_kind
  FROM trainees t
 WHERE t.id = e.trainee_id;

-- The category rules of 00001's trainees, for the row they describe: the
-- person as enrolled.
ALTER TABLE enrollments
    ALTER COLUMN category SET NOT NULL,
    ADD CONSTRAINT enrollments_category_valid
        CHECK (category IN ('institutional_actor', 'associative_actor', 'child_parliamentarian')),
    ADD CONSTRAINT enrollments_organisation_fkey
        FOREIGN KEY (organisation_id, organisation_kind) REFERENCES organisations (id, kind),
    ADD CONSTRAINT enrollments_organisation_kind CHECK ((organisation_id IS NULL) = (organisation_kind IS NULL)),
    ADD CONSTRAINT enrollments_institutional_actor CHECK (category <> 'institutional_actor' OR organisation_kind = 'institution'),
    ADD CONSTRAINT enrollments_associative_actor CHECK (category <> 'associative_actor' OR organisation_kind = 'association');

-- An organisation's enrolments (a merge of duplicates moves them; the
-- foreign key's checks on organisations use it).
CREATE INDEX enrollments_organisation_idx ON enrollments (organisation_id) WHERE organisation_id IS NOT NULL;

-- One trigger before an enrolment is written, one look-up of the person:
-- fill what the writer left empty from the person's current row, then apply
-- the minor's rule to the enrolment's own category (a child parliamentarian
-- must be a minor in the course year). A person reclassified as an adult
-- is no longer held to it for new enrolments; their enrolments as a child
-- still are, should one be moved or corrected.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enrollments_check_minor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    person_category text;
    person_org      bigint;
    person_kind     text;
    person_birth    smallint;
    course_year     smallint;
BEGIN
    SELECT category, organisation_id, organisation_kind, birth_year
      INTO person_category, person_org, person_kind, person_birth
      FROM trainees WHERE id = NEW.trainee_id;
    IF TG_OP = 'INSERT' AND NEW.category IS NULL THEN
        NEW.category := person_category;
        NEW.organisation_id := person_org;
        NEW.organisation_kind := person_kind;
    END IF;
    IF NEW.category = 'child_parliamentarian' THEN
        SELECT year INTO course_year FROM courses WHERE id = NEW.course_id;
        IF course_year - person_birth >= 18 THEN
            RAISE EXCEPTION 'a child parliamentarian must be a minor in the course year'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_child_is_minor';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER enrollments_check_minor ON enrollments;
CREATE TRIGGER enrollments_check_minor BEFORE INSERT OR UPDATE OF trainee_id, course_id, category ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollments_check_minor();

-- The noting triggers (current definitions; 00010 has the others): a
-- person's cells now move with the category and organisation of their
-- enrolments, and no longer with those of their row (only their sex).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_enrollment() RETURNS trigger LANGUAGE plpgsql AS $$
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
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_trainee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sex IS DISTINCT FROM NEW.sex THEN
        INSERT INTO totals_pending (trainee_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- A person's cells: one per course cell, category and association they
-- were enrolled as (two courses of one cell may have seen them in two
-- categories). The stored cells are today's, as the backfill made the
-- enrolments: nothing to rebuild.
ALTER TABLE totals_person_cells DROP CONSTRAINT totals_person_cells_pkey;
ALTER TABLE totals_person_cells ADD PRIMARY KEY (trainee_id, programme_id, year, province_id, category, association_id);

-- +goose Down
ALTER TABLE totals_person_cells DROP CONSTRAINT totals_person_cells_pkey;
-- (cells that differ only by category or association would collide: rebuild)
TRUNCATE totals_person_cells, totals_cube, totals_assoc_cells, totals_assoc_cube;
ALTER TABLE totals_person_cells ADD PRIMARY KEY (trainee_id, programme_id, year, province_id);
INSERT INTO totals_pending (trainee_id) SELECT DISTINCT trainee_id FROM enrollments ON CONFLICT DO NOTHING;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_trainee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.category, OLD.sex, OLD.organisation_id, OLD.organisation_kind)
       IS DISTINCT FROM (NEW.category, NEW.sex, NEW.organisation_id, NEW.organisation_kind) THEN
        INSERT INTO totals_pending (trainee_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_enrollment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.trainee_id, OLD.course_id, OLD.status, OLD.attended_count, OLD.marks_count)
                            IS NOT DISTINCT FROM (NEW.trainee_id, NEW.course_id, NEW.status, NEW.attended_count, NEW.marks_count) THEN
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
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enrollments_check_minor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    trainee_category text;
    trainee_birth    smallint;
    course_year      smallint;
BEGIN
    SELECT category, birth_year INTO trainee_category, trainee_birth FROM trainees WHERE id = NEW.trainee_id;
    IF trainee_category = 'child_parliamentarian' THEN
        SELECT year INTO course_year FROM courses WHERE id = NEW.course_id;
        IF course_year - trainee_birth >= 18 THEN
            RAISE EXCEPTION 'a child parliamentarian must be a minor in the course year'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_child_is_minor';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER enrollments_check_minor ON enrollments;
CREATE TRIGGER enrollments_check_minor BEFORE INSERT OR UPDATE OF trainee_id, course_id ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollments_check_minor();
DROP INDEX enrollments_organisation_idx;
ALTER TABLE enrollments DROP COLUMN category, DROP COLUMN organisation_id, DROP COLUMN organisation_kind;
