-- +goose Up
-- Consent is a record (issue 18): who asserted it (the user), for whom,
-- when, how, which wording, for what, an optional scan of the signed form,
-- and its withdrawal. trainees.guardian_consent goes: "has consent" is
-- derived from these rows (an active consent for training).
CREATE TABLE consents (
    id              bigserial PRIMARY KEY,
    trainee_id      bigint NOT NULL REFERENCES trainees (id),
    scope           text NOT NULL CHECK (scope IN ('training', 'photographs', 'certificate_name')),
    -- before_records: the consent a person had when consent records began
    method          text NOT NULL CHECK (method IN ('signed_form', 'oral_guardian_present', 'import_list', 'before_records')),
    wording_version text NOT NULL CHECK (length(btrim(wording_version)) BETWEEN 1 AND 40),
    given_on        date NOT NULL,
    recorded_by     bigint REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    -- the scan of the signed form: type checked by its content in Go, the
    -- type and the size cap (5 MiB) guaranteed here
    scan            bytea CHECK (octet_length(scan) BETWEEN 1 AND 5242880),
    scan_type       text CHECK (scan_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    scan_removed_at timestamptz,
    withdrawn_at    timestamptz,
    withdrawn_by    bigint REFERENCES users (id),
    CONSTRAINT consents_scan_typed CHECK ((scan IS NULL) = (scan_type IS NULL)),
    CONSTRAINT consents_asserted_by CHECK (recorded_by IS NOT NULL OR method = 'before_records'),
    CONSTRAINT consents_withdrawal CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
CREATE INDEX consents_trainee_idx ON consents (trainee_id, scope) WHERE withdrawn_at IS NULL;
CREATE INDEX consents_person_idx ON consents (trainee_id);
CREATE INDEX consents_scan_idx ON consents (given_on) WHERE scan IS NOT NULL;

-- Every consent ticked until now: recorded before consent records existed.
INSERT INTO consents (trainee_id, scope, method, wording_version, given_on, recorded_at)
SELECT id, 'training', 'before_records', 'before-records', (created_at AT TIME ZONE 'Africa/Casablanca')::date, created_at
  FROM trainees WHERE guardian_consent;

-- An anonymised person (issue 18) keeps no name: the name rule is for the others.
ALTER TABLE trainees
    ADD COLUMN anonymised_at timestamptz,
    DROP CONSTRAINT trainees_child_minimal_data,
    DROP CONSTRAINT trainees_name_present,
    DROP COLUMN guardian_consent;
ALTER TABLE trainees
    -- a child parliamentarian is a minor: the least personal data (their
    -- consent is in consents; it may be withdrawn, the person stays)
    ADD CONSTRAINT trainees_child_minimal_data CHECK (category <> 'child_parliamentarian'
        OR (phone IS NULL AND email IS NULL AND national_id IS NULL AND birth_year IS NOT NULL)),
    ADD CONSTRAINT trainees_name_present CHECK (anonymised_at IS NOT NULL
        OR coalesce(btrim(full_name_ar), '') <> '' OR coalesce(btrim(full_name_latin), '') <> ''),
    ADD CONSTRAINT trainees_anonymised_empty CHECK (anonymised_at IS NULL
        OR (full_name_ar IS NULL AND full_name_latin IS NULL AND name_key = '' AND phone IS NULL
            AND email IS NULL AND national_id IS NULL));

-- The enrolment trigger of 00014, with two more rules on a new enrolment
-- (an insert, or a withdrawn enrolment made current again): a child
-- parliamentarian needs an active consent for training, and an anonymised
-- person is enrolled no more. The consent row is read FOR SHARE: a
-- withdrawal at the same moment waits for the enrolment, or the enrolment
-- sees the withdrawal — never both committed.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enrollments_check_minor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    person_category   text;
    person_org        bigint;
    person_kind       text;
    person_birth      smallint;
    person_anonymised timestamptz;
    course_year       smallint;
BEGIN
    SELECT category, organisation_id, organisation_kind, birth_year, anonymised_at
      INTO person_category, person_org, person_kind, person_birth, person_anonymised
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
    IF TG_OP = 'INSERT' OR (OLD.status = 'withdrawn' AND NEW.status <> 'withdrawn') THEN
        IF person_anonymised IS NOT NULL THEN
            RAISE EXCEPTION 'an anonymised person is not enrolled'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_person_anonymised';
        END IF;
        IF NEW.category = 'child_parliamentarian' THEN
            PERFORM 1 FROM consents
              WHERE trainee_id = NEW.trainee_id AND scope = 'training' AND withdrawn_at IS NULL
              LIMIT 1 FOR SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'a child parliamentarian needs an active consent for training'
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'enrollments_child_consent';
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER enrollments_check_minor ON enrollments;
CREATE TRIGGER enrollments_check_minor BEFORE INSERT OR UPDATE OF trainee_id, course_id, category, status ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollments_check_minor();

-- +goose Down
-- (00014's function and trigger)
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
ALTER TABLE trainees ADD COLUMN guardian_consent boolean NOT NULL DEFAULT false;
UPDATE trainees t SET guardian_consent = true
 WHERE EXISTS (SELECT 1 FROM consents c WHERE c.trainee_id = t.id AND c.scope = 'training' AND c.withdrawn_at IS NULL);
ALTER TABLE trainees DROP CONSTRAINT trainees_anonymised_empty, DROP CONSTRAINT trainees_name_present,
    DROP CONSTRAINT trainees_child_minimal_data;
ALTER TABLE trainees ADD CONSTRAINT trainees_name_present
        CHECK (coalesce(btrim(full_name_ar), '') <> '' OR coalesce(btrim(full_name_latin), '') <> ''),
    ADD CONSTRAINT trainees_child_minimal_data CHECK (category <> 'child_parliamentarian'
        OR (phone IS NULL AND email IS NULL AND national_id IS NULL AND guardian_consent AND birth_year IS NOT NULL)) NOT VALID,
    DROP COLUMN anonymised_at;
DROP TABLE consents;
