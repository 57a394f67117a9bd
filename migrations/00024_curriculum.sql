-- +goose Up
-- The curriculum (issue 19, point 1): a programme declares ordered modules
-- (year 1 to 3 of the path, expected hours); a course belongs to at most one
-- module of its own programme. Programme completion is counted from these
-- and the enrolments' counters per request (repository/curriculum.go,
-- docs/TOTALS.md "Programme completion"): no trigger, no cube.
CREATE TABLE programme_modules (
    id             bigserial PRIMARY KEY,
    programme_id   bigint NOT NULL REFERENCES programmes (id),
    position       smallint NOT NULL CHECK (position BETWEEN 1 AND 100),
    year           smallint NOT NULL CHECK (year BETWEEN 1 AND 3),
    name_ar        text NOT NULL CHECK (btrim(name_ar) <> ''),
    name_fr        text NOT NULL CHECK (btrim(name_fr) <> ''),
    expected_hours numeric(6, 1) NOT NULL CHECK (expected_hours > 0 AND expected_hours <= 2000),
    CONSTRAINT programme_modules_position_key UNIQUE (programme_id, position),
    -- the target of courses' (module_id, programme_id): a course's module is of its programme
    CONSTRAINT programme_modules_id_programme_key UNIQUE (id, programme_id)
);

-- NULL: a course of a programme without modules, or outside the path (a follow-up).
ALTER TABLE courses ADD COLUMN module_id bigint;
ALTER TABLE courses ADD CONSTRAINT courses_module_fkey
    FOREIGN KEY (module_id, programme_id) REFERENCES programme_modules (id, programme_id);
CREATE INDEX courses_module_idx ON courses (module_id) WHERE module_id IS NOT NULL;

-- Knowledge scores and satisfaction (issue 19, point 2): one row per
-- enrolment, entered by a trainer of its course. Every part may be missing
-- (a pre-test without its post-test yet); the figures use only complete pairs.
CREATE TABLE enrollment_scores (
    enrollment_id  bigint PRIMARY KEY,
    course_id      bigint NOT NULL,
    pre_score      smallint CHECK (pre_score BETWEEN 0 AND 100),
    post_score     smallint CHECK (post_score BETWEEN 0 AND 100),
    satisfaction_1 smallint CHECK (satisfaction_1 BETWEEN 1 AND 5),
    satisfaction_2 smallint CHECK (satisfaction_2 BETWEEN 1 AND 5),
    satisfaction_3 smallint CHECK (satisfaction_3 BETWEEN 1 AND 5),
    entered_by     bigint REFERENCES users (id),
    entered_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT enrollment_scores_enrollment_fkey FOREIGN KEY (enrollment_id, course_id)
        REFERENCES enrollments (id, course_id) ON DELETE CASCADE
);
CREATE INDEX enrollment_scores_course_idx ON enrollment_scores (course_id);

-- +goose Down
DROP TABLE enrollment_scores;
ALTER TABLE courses DROP COLUMN module_id;
DROP TABLE programme_modules;
