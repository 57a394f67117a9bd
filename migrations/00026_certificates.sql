-- +goose Up
-- Certificates (issue 19, point 3): one per enrolment the totals count as
-- completed and that is not withdrawn, issued in bulk by a coordinator
-- (repository/certificates.go). A certificate keeps what it says (the
-- holder's names and category as enrolled, the course's titles, dates and
-- hours) as it was printed: a correction that changes any of it revokes
-- the certificate and issues a new one with a new number.
--
-- No foreign key to enrollments or trainees, on purpose: a merge of
-- duplicates deletes an enrolment and repoints every key that names a
-- person (docs/DUPLICATES.md); a certificate is a record of what was
-- printed and stays as it was, revoked ("merged"), when its enrolment goes.
CREATE SEQUENCE certificate_numbers;

CREATE TABLE certificates (
    id              bigserial PRIMARY KEY,
    enrollment_id   bigint NOT NULL,
    course_id       bigint NOT NULL REFERENCES courses (id),
    trainee_id      bigint NOT NULL,
    -- what is printed under the title: TKF-<course year>-<6 digits>
    number          text NOT NULL CHECK (number ~ '^TKF-[0-9]{4}-[0-9]{6,}$'),
    -- what the QR code's /verify/<code> holds: 24 random characters (120 bits)
    code            text NOT NULL CHECK (code ~ '^[2-9A-HJ-NP-Z]{24}$'),
    -- what the certificate says, as printed (NULL name: the number is shown)
    holder_name_ar    text,
    holder_name_latin text,
    holder_initials   text NOT NULL,
    category        text NOT NULL CHECK (category IN ('institutional_actor', 'associative_actor', 'child_parliamentarian')),
    course_title_ar text NOT NULL,
    course_title_fr text NOT NULL,
    start_date      date NOT NULL,
    end_date        date NOT NULL,
    hours           numeric(8, 2) NOT NULL CHECK (hours >= 0),
    issued_at       timestamptz NOT NULL DEFAULT now(),
    issued_by       bigint REFERENCES users (id),
    revoked_at      timestamptz,
    revoked_by      bigint REFERENCES users (id),
    revoke_reason   text CHECK (revoke_reason IN ('not_completed', 'merged', 'changed')),
    replaced_by     bigint REFERENCES certificates (id),
    CONSTRAINT certificates_number_key UNIQUE (number),
    CONSTRAINT certificates_code_key UNIQUE (code),
    CONSTRAINT certificates_revoked_with_reason CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
);
-- one valid certificate per enrolment: a second bulk issue cannot double one
CREATE UNIQUE INDEX certificates_one_valid ON certificates (enrollment_id) WHERE revoked_at IS NULL;
CREATE INDEX certificates_course_idx ON certificates (course_id);
CREATE INDEX certificates_trainee_idx ON certificates (trainee_id);

-- +goose Down
DROP TABLE certificates;
DROP SEQUENCE certificate_numbers;
