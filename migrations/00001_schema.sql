-- +goose Up
-- The core schema. The database enforces what the domain promises: the Go
-- validation gives the friendly message, these constraints are the guarantee.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The 12 regions of Morocco (territorial division of 2015): reference data.
CREATE TABLE regions (
    id      smallint PRIMARY KEY,
    code    text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]+$'),
    name_ar text NOT NULL,
    name_fr text NOT NULL,
    name_en text NOT NULL
);

INSERT INTO regions (id, code, name_ar, name_fr, name_en) VALUES
 (1,  'tanger-tetouan-al-hoceima', 'طنجة تطوان الحسيمة', 'Tanger-Tétouan-Al Hoceïma', 'Tangier-Tetouan-Al Hoceima'),
 (2,  'oriental', 'الشرق', 'L''Oriental', 'Oriental'),
 (3,  'fes-meknes', 'فاس مكناس', 'Fès-Meknès', 'Fez-Meknes'),
 (4,  'rabat-sale-kenitra', 'الرباط سلا القنيطرة', 'Rabat-Salé-Kénitra', 'Rabat-Sale-Kenitra'),
 (5,  'beni-mellal-khenifra', 'بني ملال خنيفرة', 'Béni Mellal-Khénifra', 'Beni Mellal-Khenifra'),
 (6,  'casablanca-settat', 'الدار البيضاء سطات', 'Casablanca-Settat', 'Casablanca-Settat'),
 (7,  'marrakech-safi', 'مراكش آسفي', 'Marrakech-Safi', 'Marrakesh-Safi'),
 (8,  'draa-tafilalet', 'درعة تافيلالت', 'Drâa-Tafilalet', 'Draa-Tafilalet'),
 (9,  'souss-massa', 'سوس ماسة', 'Souss-Massa', 'Souss-Massa'),
 (10, 'guelmim-oued-noun', 'كلميم واد نون', 'Guelmim-Oued Noun', 'Guelmim-Oued Noun'),
 (11, 'laayoune-sakia-el-hamra', 'العيون الساقية الحمراء', 'Laâyoune-Sakia El Hamra', 'Laayoune-Sakia El Hamra'),
 (12, 'dakhla-oued-ed-dahab', 'الداخلة وادي الذهب', 'Dakhla-Oued Ed-Dahab', 'Dakhla-Oued Ed-Dahab');

-- Provinces and prefectures: coordinators add them (we ship no list we cannot source).
CREATE TABLE provinces (
    id        bigserial PRIMARY KEY,
    region_id smallint NOT NULL REFERENCES regions (id),
    code      text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{1,60}$'),
    name_ar   text NOT NULL CHECK (btrim(name_ar) <> ''),
    name_fr   text NOT NULL CHECK (btrim(name_fr) <> '')
);
CREATE INDEX provinces_region_idx ON provinces (region_id);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL CHECK (email LIKE '%_@_%' AND length(email) <= 254),
    name          text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    role          text NOT NULL CHECK (role IN ('admin', 'coordinator', 'trainer', 'ministry')),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    language      text NOT NULL DEFAULT 'ar' CHECK (language IN ('ar', 'fr', 'en')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE programmes (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{1,60}$'),
    name_ar    text NOT NULL CHECK (btrim(name_ar) <> ''),
    name_fr    text NOT NULL CHECK (btrim(name_fr) <> ''),
    name_en    text NOT NULL CHECK (btrim(name_en) <> ''),
    start_year smallint NOT NULL CHECK (start_year BETWEEN 2000 AND 2100),
    end_year   smallint NOT NULL CHECK (end_year BETWEEN 2000 AND 2100),
    archived   boolean NOT NULL DEFAULT false,
    CHECK (end_year >= start_year)
);

CREATE TABLE courses (
    id                   bigserial PRIMARY KEY,
    programme_id         bigint NOT NULL REFERENCES programmes (id),
    code                 text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,60}$'),
    title_ar             text NOT NULL CHECK (btrim(title_ar) <> ''),
    title_fr             text NOT NULL CHECK (btrim(title_fr) <> ''),
    year                 smallint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    province_id          bigint NOT NULL REFERENCES provinces (id),
    start_date           date NOT NULL,
    end_date             date NOT NULL,
    capacity             integer NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    completion_threshold smallint NOT NULL DEFAULT 80 CHECK (completion_threshold BETWEEN 1 AND 100),
    archived             boolean NOT NULL DEFAULT false,
    UNIQUE (programme_id, code),
    CHECK (end_date >= start_date)
);
CREATE INDEX courses_scope_idx ON courses (programme_id, year, province_id);
CREATE INDEX courses_province_idx ON courses (province_id);

CREATE TABLE course_trainers (
    course_id bigint NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_trainers_user_idx ON course_trainers (user_id);

-- Training sessions (not web sessions).
CREATE TABLE sessions (
    id        bigserial PRIMARY KEY,
    course_id bigint NOT NULL REFERENCES courses (id),
    starts_at timestamptz NOT NULL,
    ends_at   timestamptz NOT NULL,
    place     text NOT NULL DEFAULT '' CHECK (length(place) <= 300),
    hours     numeric(5, 2) NOT NULL CHECK (hours > 0 AND hours <= 24),
    CHECK (ends_at > starts_at),
    -- lets attendance reference (session, course) so a mark cannot cross courses
    UNIQUE (id, course_id)
);
CREATE INDEX sessions_course_idx ON sessions (course_id, starts_at);

CREATE TABLE organisations (
    id                  bigserial PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('institution', 'association')),
    name_ar             text,
    name_fr             text,
    province_id         bigint REFERENCES provinces (id),
    registration_number text,
    -- folded form of both names (domain.SearchKey), for search
    name_key            text NOT NULL DEFAULT '',
    CHECK (coalesce(btrim(name_ar), '') <> '' OR coalesce(btrim(name_fr), '') <> ''),
    CHECK (registration_number IS NULL OR btrim(registration_number) <> ''),
    -- lets trainees reference (organisation, kind) so the category rule is enforced here
    UNIQUE (id, kind)
);
CREATE INDEX organisations_name_key_trgm ON organisations USING gin (name_key gin_trgm_ops);
CREATE UNIQUE INDEX organisations_registration_key ON organisations (registration_number)
    WHERE registration_number IS NOT NULL;

CREATE TABLE trainees (
    id                bigserial PRIMARY KEY,
    category          text NOT NULL CHECK (category IN ('institutional_actor', 'associative_actor', 'child_parliamentarian')),
    full_name_ar      text CHECK (length(full_name_ar) <= 200),
    full_name_latin   text CHECK (length(full_name_latin) <= 200),
    -- lower-cased, accent- and diacritic-free form of both names, computed by domain.NameKey
    name_key          text NOT NULL,
    sex               text NOT NULL CHECK (sex IN ('female', 'male')),
    birth_year        smallint CHECK (birth_year BETWEEN 1900 AND 2100),
    organisation_id   bigint,
    organisation_kind text,
    province_id       bigint REFERENCES provinces (id),
    phone             text CHECK (phone ~ '^\+?[0-9]{6,15}$'),
    email             text CHECK (email LIKE '%_@_%' AND length(email) <= 254),
    national_id       text CHECK (national_id ~ '^[A-Z]{1,2}[0-9]{1,7}$'),
    guardian_consent  boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT trainees_organisation_fkey FOREIGN KEY (organisation_id, organisation_kind) REFERENCES organisations (id, kind),
    CONSTRAINT trainees_name_present CHECK (coalesce(btrim(full_name_ar), '') <> '' OR coalesce(btrim(full_name_latin), '') <> ''),
    CONSTRAINT trainees_organisation_kind CHECK ((organisation_id IS NULL) = (organisation_kind IS NULL)),
    CONSTRAINT trainees_institutional_actor CHECK (category <> 'institutional_actor' OR organisation_kind = 'institution'),
    CONSTRAINT trainees_associative_actor CHECK (category <> 'associative_actor' OR organisation_kind = 'association'),
    -- a child parliamentarian is a minor: the least personal data, and a guardian's consent
    CONSTRAINT trainees_child_minimal_data CHECK (category <> 'child_parliamentarian'
        OR (phone IS NULL AND email IS NULL AND national_id IS NULL AND guardian_consent AND birth_year IS NOT NULL))
);
CREATE UNIQUE INDEX trainees_national_id_key ON trainees (national_id) WHERE national_id IS NOT NULL;
CREATE INDEX trainees_name_key_trgm ON trainees USING gin (name_key gin_trgm_ops);
CREATE INDEX trainees_phone_idx ON trainees (phone) WHERE phone IS NOT NULL;
CREATE INDEX trainees_organisation_idx ON trainees (organisation_id);

CREATE TABLE enrollments (
    id           bigserial PRIMARY KEY,
    trainee_id   bigint NOT NULL REFERENCES trainees (id),
    course_id    bigint NOT NULL REFERENCES courses (id),
    status       text NOT NULL DEFAULT 'enrolled' CHECK (status IN ('enrolled', 'completed', 'withdrawn')),
    enrolled_by  bigint REFERENCES users (id),
    enrolled_at  timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz,
    CONSTRAINT enrollments_trainee_course_key UNIQUE (trainee_id, course_id),
    UNIQUE (id, course_id)
);
CREATE INDEX enrollments_course_idx ON enrollments (course_id, status);

-- A child parliamentarian must be a minor in the year of the course they enrol in.
-- +goose StatementBegin
CREATE FUNCTION enrollments_check_minor() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER enrollments_check_minor BEFORE INSERT OR UPDATE OF trainee_id, course_id ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollments_check_minor();

CREATE TABLE attendance (
    id            bigserial PRIMARY KEY,
    enrollment_id bigint NOT NULL,
    session_id    bigint NOT NULL,
    course_id     bigint NOT NULL,
    status        text NOT NULL CHECK (status IN ('present', 'late', 'excused', 'absent')),
    marked_by     bigint REFERENCES users (id),
    marked_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendance_enrollment_session_key UNIQUE (enrollment_id, session_id),
    -- both references carry the course: a mark for another course's session is impossible
    CONSTRAINT attendance_enrollment_fkey FOREIGN KEY (enrollment_id, course_id) REFERENCES enrollments (id, course_id),
    CONSTRAINT attendance_session_fkey FOREIGN KEY (session_id, course_id) REFERENCES sessions (id, course_id)
);
CREATE INDEX attendance_session_idx ON attendance (session_id);

CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    actor_id  bigint REFERENCES users (id),
    action    text NOT NULL,
    entity    text NOT NULL,
    entity_id bigint,
    before    jsonb,
    after     jsonb,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);

-- +goose Down
DROP TABLE audit_log, attendance, enrollments, trainees, organisations, sessions,
    course_trainers, courses, programmes, users, provinces, regions;
DROP FUNCTION enrollments_check_minor();
