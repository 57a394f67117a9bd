-- +goose Up
-- Check-in codes (issue 17, point 5): each enrolment's badge carries an
-- opaque random code, scanned by the trainer's phone as a QR code or typed
-- in its short form. Neither says anything about the person: both are drawn
-- at random in Go (domain/checkin.go), never derived from an id or a name.
-- docs/SECURITY.md ("Check-in codes") says why they are as long as they are.
--
-- Codes are made for an enrolment when its course's sheet or badges are
-- first printed (repository/checkin.go, CheckinCodes), not by the
-- enrolment itself: the enrolment stays the one statement it is.
CREATE TABLE enrollment_codes (
    id            bigserial PRIMARY KEY,
    enrollment_id bigint NOT NULL,
    course_id     bigint NOT NULL,
    -- what the QR code holds: "TK1" and 16 characters of the alphabet (80 bits)
    token         text NOT NULL CHECK (token ~ '^TK1[2-9A-HJ-NP-Z]{16}$'),
    -- what a trainer types instead: 6 characters of the same alphabet
    short_code    text NOT NULL CHECK (short_code ~ '^[2-9A-HJ-NP-Z]{6}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT enrollment_codes_token_key UNIQUE (token),
    -- unique in the course for ever: a code printed for someone who left is
    -- never given to someone else of the course
    CONSTRAINT enrollment_codes_short_key UNIQUE (course_id, short_code),
    -- the course is the enrolment's (a merge moves a code with its enrolment)
    CONSTRAINT enrollment_codes_enrollment_fkey FOREIGN KEY (enrollment_id, course_id)
        REFERENCES enrollments (id, course_id)
);
CREATE INDEX enrollment_codes_enrollment_idx ON enrollment_codes (enrollment_id);

-- +goose Down
DROP TABLE enrollment_codes;
