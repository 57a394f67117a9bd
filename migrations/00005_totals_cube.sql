-- +goose Up
-- The ministry's totals at national scale (issue 7): a pre-aggregated cube of
-- distinct-person counts, kept exact in the same transactions as the records.
-- docs/TOTALS.md explains the design and the measurements.
--
-- Why: exact distinct counts do not add up across cells (someone trained in
-- two provinces is one person nationally), so they cannot be summed from a
-- per-course aggregate, and counting them per request takes 20 s nationally
-- at 1,000,000 trainees. Category and sex are attributes of the person, so
-- distinctness only matters across the course dimensions (programme, year,
-- region/province). Each person contributes 0 or 1 to a handful of cube cells:
-- programme ∈ {p, all} × year ∈ {y, all} × place ∈ {(region, province),
-- (region, all), all}, for each course cell they have an enrolment in. We
-- keep each person's base cells (totals_person_cells) so that a change is
-- applied exactly: cube += rollup(new cells) − rollup(stored cells). The same
-- for associations (distinct organisations with a member in scope).
--
-- "All" is 0 for ids and years, '' for category and sex.

-- 1. Per-course counters, so that "completed" is computable from an
--    enrolment's row and its course, and the course figures (sessions held,
--    hours) need not read the sessions.
ALTER TABLE courses
    ADD COLUMN session_count integer NOT NULL DEFAULT 0,        -- all sessions (the completion denominator)
    ADD COLUMN sessions_held integer NOT NULL DEFAULT 0,        -- sessions with at least one mark
    ADD COLUMN held_hours    numeric(14, 2) NOT NULL DEFAULT 0; -- hours of the sessions held

-- +goose StatementBegin
CREATE FUNCTION courses_keep_session_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.course_id = NEW.course_id AND OLD.has_marks = NEW.has_marks AND OLD.hours = NEW.hours THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE courses
           SET session_count = session_count - 1,
               sessions_held = sessions_held - OLD.has_marks::int,
               held_hours = held_hours - CASE WHEN OLD.has_marks THEN OLD.hours ELSE 0 END
         WHERE id = OLD.course_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE courses
           SET session_count = session_count + 1,
               sessions_held = sessions_held + NEW.has_marks::int,
               held_hours = held_hours + CASE WHEN NEW.has_marks THEN NEW.hours ELSE 0 END
         WHERE id = NEW.course_id;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER courses_keep_session_counts AFTER INSERT OR DELETE OR UPDATE OF course_id, has_marks, hours
    ON sessions FOR EACH ROW EXECUTE FUNCTION courses_keep_session_counts();

-- 2. The cubes and the per-person / per-association base cells.
CREATE TABLE totals_person_cells (
    trainee_id     bigint   NOT NULL,
    programme_id   bigint   NOT NULL,
    year           smallint NOT NULL,
    region_id      smallint NOT NULL,
    province_id    bigint   NOT NULL,
    category       text     NOT NULL,
    sex            text     NOT NULL,
    enrolled       boolean  NOT NULL, -- some enrolment of the cell is not withdrawn
    trained        boolean  NOT NULL, -- some enrolment of the cell has a present/late mark
    completed      boolean  NOT NULL, -- some course of the cell reached its threshold
    attended_marks integer  NOT NULL, -- present + late marks of the cell (attendance rate)
    marks          integer  NOT NULL, -- all marks of the cell
    PRIMARY KEY (trainee_id, programme_id, year, province_id)
);

-- people = persons with any enrolment in the cell (a breakdown row exists
-- when it is > 0, as in the per-request query); shard = trainee_id % 16
-- spreads the national rows so that concurrent writers rarely queue.
CREATE TABLE totals_cube (
    programme_id   bigint   NOT NULL,
    year           smallint NOT NULL,
    region_id      smallint NOT NULL,
    province_id    bigint   NOT NULL,
    category       text     NOT NULL,
    sex            text     NOT NULL,
    shard          smallint NOT NULL,
    people         integer  NOT NULL,
    enrolled       integer  NOT NULL,
    trained        integer  NOT NULL,
    completed      integer  NOT NULL,
    attended_marks bigint   NOT NULL,
    marks          bigint   NOT NULL,
    -- No CHECK on the counts: an upsert checks the proposed row (here a
    -- difference, often negative) before it finds the row to update.
    PRIMARY KEY (programme_id, year, region_id, province_id, category, sex, shard)
) WITH (fillfactor = 70); -- room for HOT updates: the counts change, the keys do not
-- The breakdowns fix every place/time column but one: the primary key serves
-- the headline, the region and the province rows; these two the programme
-- and the year rows.
CREATE INDEX totals_cube_by_programme ON totals_cube (year, region_id, province_id, programme_id);
CREATE INDEX totals_cube_by_year ON totals_cube (programme_id, region_id, province_id, year);

-- One row per association, course cell and member (category, sex).
CREATE TABLE totals_assoc_cells (
    association_id bigint   NOT NULL,
    programme_id   bigint   NOT NULL,
    year           smallint NOT NULL,
    region_id      smallint NOT NULL,
    province_id    bigint   NOT NULL,
    category       text     NOT NULL,
    sex            text     NOT NULL,
    enrolled       boolean  NOT NULL,
    trained        boolean  NOT NULL,
    PRIMARY KEY (association_id, programme_id, year, province_id, category, sex)
);

-- category and sex are '' for "any member"; associations = associations
-- with a member enrolment in the cell.
CREATE TABLE totals_assoc_cube (
    programme_id bigint   NOT NULL,
    year         smallint NOT NULL,
    region_id    smallint NOT NULL,
    province_id  bigint   NOT NULL,
    category     text     NOT NULL,
    sex          text     NOT NULL,
    shard        smallint NOT NULL,
    associations integer  NOT NULL,
    enrolled     integer  NOT NULL,
    trained      integer  NOT NULL,
    PRIMARY KEY (programme_id, year, region_id, province_id, category, sex, shard)
) WITH (fillfactor = 70);
CREATE INDEX totals_assoc_cube_by_programme ON totals_assoc_cube (year, region_id, province_id, programme_id);
CREATE INDEX totals_assoc_cube_by_year ON totals_assoc_cube (programme_id, region_id, province_id, year);

-- The twelve roll-ups of a course cell ($1 programme, $2 year, $3 region,
-- $4 province), inlined by the planner.
CREATE FUNCTION totals_rollups(bigint, smallint, smallint, bigint)
    RETURNS TABLE (programme_id bigint, year smallint, region_id smallint, province_id bigint)
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN k.kp THEN $1 ELSE 0 END, CASE WHEN k.ky THEN $2 ELSE 0::smallint END,
           CASE WHEN k.kg > 0 THEN $3 ELSE 0::smallint END, CASE WHEN k.kg > 1 THEN $4 ELSE 0 END
      FROM (VALUES (true, true, 2), (true, true, 1), (true, true, 0), (true, false, 2), (true, false, 1), (true, false, 0),
                   (false, true, 2), (false, true, 1), (false, true, 0), (false, false, 2), (false, false, 1), (false, false, 0)
           ) k (kp, ky, kg)
$$;

-- A person's base cells, from the records: one row per course cell
-- (programme, year, province) they have an enrolment in. Read with a
-- "WHERE trainee_id = ANY (…)": the planner pushes it below the GROUP BY.
CREATE VIEW totals_person_base AS
    SELECT e.trainee_id, c.programme_id, c.year, pv.region_id, c.province_id, t.category, t.sex,
           bool_or(e.status <> 'withdrawn') AS enrolled, bool_or(e.attended_count > 0) AS trained,
           bool_or(c.session_count > 0 AND e.attended_count * 100 >= c.completion_threshold * c.session_count) AS completed,
           sum(e.attended_count)::int AS attended_marks, sum(e.marks_count)::int AS marks
      FROM enrollments e
      JOIN courses c ON c.id = e.course_id
      JOIN provinces pv ON pv.id = c.province_id
      JOIN trainees t ON t.id = e.trainee_id
     GROUP BY e.trainee_id, c.programme_id, c.year, pv.region_id, c.province_id, t.category, t.sex;

-- An association's base cells, from its members' (current) person cells.
CREATE VIEW totals_assoc_base AS
    SELECT t.organisation_id AS association_id, pc.programme_id, pc.year, pc.region_id, pc.province_id, pc.category, pc.sex,
           bool_or(pc.enrolled) AS enrolled, bool_or(pc.trained) AS trained
      FROM totals_person_cells pc
      JOIN trainees t ON t.id = pc.trainee_id
     WHERE t.organisation_kind = 'association'
     GROUP BY t.organisation_id, pc.programme_id, pc.year, pc.region_id, pc.province_id, pc.category, pc.sex;

-- 3. Applying a change. totals_refresh(persons, assocs) recomputes these
--    people's and associations' base cells and moves the cube by the
--    difference. Each statement of a plpgsql function takes a new snapshot
--    (READ COMMITTED), so after the locks of the first statement the
--    computation sees every committed change.
--
--    Lock order, the same in every transaction, so that concurrent writers
--    cannot deadlock: advisory locks on the persons (by key), then on the
--    associations (by key) — they serialise two refreshes of the same person
--    or association —, then the cube rows in primary-key order, then the
--    person cells, the association cube and cells.
-- +goose StatementBegin
CREATE FUNCTION totals_refresh(persons bigint[], assocs bigint[]) RETURNS void LANGUAGE plpgsql
    -- Plan each statement once per session, not at every commit: the plans
    -- (index lookups by person and association) do not depend on the
    -- arrays' values, and planning was most of a small refresh's cost.
    SET plan_cache_mode = force_generic_plan
    AS $$
DECLARE
    wholesale boolean := cardinality(persons) > 1000 OR coalesce(cardinality(assocs), 0) > 1000;
BEGIN
    IF wholesale THEN
        -- Thousands of people at once (a recount, a large import): one lock
        -- per person would exhaust the lock table. Lock the four tables
        -- instead (readers go on), in the order every refresh writes them.
        LOCK TABLE totals_cube, totals_person_cells, totals_assoc_cube, totals_assoc_cells IN EXCLUSIVE MODE;
    ELSE
        -- hashint8: any id fits; two people sharing a lock only wait for each other.
        PERFORM pg_advisory_xact_lock(7701, k) FROM (SELECT DISTINCT hashint8(unnest(persons)) AS k) l ORDER BY k;
    END IF;
    -- The associations to refresh: those noted (left or joined), and those of
    -- the people whose cells changed other than in their mark counts (a
    -- roster that only changes counts leaves every association as it was).
    SELECT array_agg(DISTINCT id ORDER BY id) INTO assocs
      FROM (SELECT unnest(assocs) AS id
            UNION
            SELECT organisation_id FROM trainees
             WHERE organisation_kind = 'association' AND id IN (
                   (SELECT trainee_id FROM (
                        SELECT trainee_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                          FROM totals_person_base WHERE trainee_id = ANY (persons)
                        EXCEPT
                        SELECT trainee_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                          FROM totals_person_cells WHERE trainee_id = ANY (persons)) n)
                   UNION
                   (SELECT trainee_id FROM (
                        SELECT trainee_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                          FROM totals_person_cells WHERE trainee_id = ANY (persons)
                        EXCEPT
                        SELECT trainee_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                          FROM totals_person_base WHERE trainee_id = ANY (persons)) o))) a;
    IF NOT wholesale THEN
        PERFORM pg_advisory_xact_lock(7702, k) FROM (SELECT DISTINCT hashint8(unnest(assocs)) AS k) l ORDER BY k;
    END IF;

    -- People: cube += rollup(new) − rollup(stored), only the rows that move.
    INSERT INTO totals_cube AS q
    SELECT programme_id, year, region_id, province_id, category, sex, shard,
           sum(sign), sum(sign * enrolled::int), sum(sign * trained::int), sum(sign * completed::int),
           sum(sign * attended_marks), sum(sign * marks)
      FROM (SELECT r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex,
                   (b.trainee_id % 16)::smallint AS shard, b.sign,
                   bool_or(b.enrolled) AS enrolled, bool_or(b.trained) AS trained, bool_or(b.completed) AS completed,
                   sum(b.attended_marks) AS attended_marks, sum(b.marks) AS marks
              FROM (SELECT 1 AS sign, * FROM totals_person_base WHERE trainee_id = ANY (persons)
                    UNION ALL
                    SELECT -1, * FROM totals_person_cells WHERE trainee_id = ANY (persons)) b
             CROSS JOIN LATERAL totals_rollups(b.programme_id, b.year, b.region_id, b.province_id) r
             GROUP BY b.sign, b.trainee_id, r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex) per_person
     GROUP BY programme_id, year, region_id, province_id, category, sex, shard
    HAVING sum(sign) <> 0 OR sum(sign * enrolled::int) <> 0 OR sum(sign * trained::int) <> 0
        OR sum(sign * completed::int) <> 0 OR sum(sign * attended_marks) <> 0 OR sum(sign * marks) <> 0
     ORDER BY programme_id, year, region_id, province_id, category, sex, shard
        ON CONFLICT (programme_id, year, region_id, province_id, category, sex, shard) DO UPDATE
       SET people = q.people + excluded.people, enrolled = q.enrolled + excluded.enrolled,
           trained = q.trained + excluded.trained, completed = q.completed + excluded.completed,
           attended_marks = q.attended_marks + excluded.attended_marks, marks = q.marks + excluded.marks;
    DELETE FROM totals_person_cells WHERE trainee_id = ANY (persons);
    INSERT INTO totals_person_cells SELECT * FROM totals_person_base WHERE trainee_id = ANY (persons);

    IF assocs IS NULL THEN
        RETURN;
    END IF;
    -- Associations: the same, over the 12 place/time roll-ups × (the
    -- member's category or any) × (the member's sex or any).
    INSERT INTO totals_assoc_cube AS q
    SELECT programme_id, year, region_id, province_id, category, sex, shard,
           sum(sign), sum(sign * enrolled::int), sum(sign * trained::int)
      FROM (SELECT r.programme_id, r.year, r.region_id, r.province_id,
                   CASE WHEN k.c THEN b.category ELSE '' END AS category, CASE WHEN k.s THEN b.sex ELSE '' END AS sex,
                   (b.association_id % 16)::smallint AS shard, b.sign,
                   bool_or(b.enrolled) AS enrolled, bool_or(b.trained) AS trained
              FROM (SELECT 1 AS sign, * FROM totals_assoc_base WHERE association_id = ANY (assocs)
                    UNION ALL
                    SELECT -1, * FROM totals_assoc_cells WHERE association_id = ANY (assocs)) b
             CROSS JOIN LATERAL totals_rollups(b.programme_id, b.year, b.region_id, b.province_id) r
             CROSS JOIN (VALUES (true, true), (true, false), (false, true), (false, false)) k (c, s)
             GROUP BY b.sign, b.association_id, r.programme_id, r.year, r.region_id, r.province_id, 5, 6) per_association
     GROUP BY programme_id, year, region_id, province_id, category, sex, shard
    HAVING sum(sign) <> 0 OR sum(sign * enrolled::int) <> 0 OR sum(sign * trained::int) <> 0
     ORDER BY programme_id, year, region_id, province_id, category, sex, shard
        ON CONFLICT (programme_id, year, region_id, province_id, category, sex, shard) DO UPDATE
       SET associations = q.associations + excluded.associations, enrolled = q.enrolled + excluded.enrolled,
           trained = q.trained + excluded.trained;
    DELETE FROM totals_assoc_cells WHERE association_id = ANY (assocs);
    INSERT INTO totals_assoc_cells SELECT * FROM totals_assoc_base WHERE association_id = ANY (assocs);
END;
$$;
-- +goose StatementEnd

-- 4. Keeping it in step. Row triggers only note who changed
--    (totals_pending, per transaction); one deferred trigger refreshes them
--    all at commit, set-based: a roster of 40 marks is one refresh of 40
--    people, and the cube rows are locked only at the very end of the
--    transaction, in key order.
CREATE TABLE totals_pending (
    xid  xid8   NOT NULL DEFAULT pg_current_xact_id(),
    kind "char" NOT NULL CHECK (kind IN ('p', 'a')), -- person or association
    id   bigint NOT NULL,
    PRIMARY KEY (xid, kind, id)
);

-- +goose StatementBegin
CREATE FUNCTION totals_apply_pending() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    persons bigint[];
    assocs  bigint[];
BEGIN
    -- One event per noted row fires at commit; the first refreshes them all.
    -- The flag spares the others a scan of the rows the first one deleted
    -- (still in the index until the transaction ends: quadratic for a
    -- transaction noting a million people).
    IF current_setting('takaffoul.totals_pending', true) IS DISTINCT FROM 'yes' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('takaffoul.totals_pending', 'no', true);
    WITH done AS (DELETE FROM totals_pending WHERE xid = pg_current_xact_id() RETURNING kind, id)
    SELECT array_agg(id) FILTER (WHERE kind = 'p'), array_agg(id) FILTER (WHERE kind = 'a')
      INTO persons, assocs FROM done;
    IF persons IS NOT NULL OR assocs IS NOT NULL THEN
        PERFORM totals_refresh(coalesce(persons, '{}'), assocs);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER totals_apply_pending AFTER INSERT ON totals_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION totals_apply_pending();

-- totals_noting(): whether changes are to be noted (not while
-- totals_rebuild() recomputes everything anyway); it also raises the flag
-- totals_apply_pending() checks.
-- +goose StatementBegin
CREATE FUNCTION totals_noting() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('takaffoul.totals_rebuilding', true) = 'yes' THEN
        RETURN false;
    END IF;
    PERFORM set_config('takaffoul.totals_pending', 'yes', true);
    RETURN true;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION totals_note_enrollment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.trainee_id, OLD.course_id, OLD.status, OLD.attended_count, OLD.marks_count)
                            IS NOT DISTINCT FROM (NEW.trainee_id, NEW.course_id, NEW.status, NEW.attended_count, NEW.marks_count)
       OR NOT totals_noting() THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO totals_pending (kind, id) VALUES ('p', OLD.trainee_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO totals_pending (kind, id) VALUES ('p', NEW.trainee_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER totals_note_enrollment AFTER INSERT OR DELETE OR UPDATE ON enrollments
    FOR EACH ROW EXECUTE FUNCTION totals_note_enrollment();

-- A course's place, time, threshold or number of sessions: its people.
-- +goose StatementBegin
CREATE FUNCTION totals_note_course() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.programme_id, OLD.year, OLD.province_id, OLD.completion_threshold, OLD.session_count)
       IS DISTINCT FROM (NEW.programme_id, NEW.year, NEW.province_id, NEW.completion_threshold, NEW.session_count)
       AND totals_noting() THEN
        INSERT INTO totals_pending (kind, id)
        SELECT 'p', trainee_id FROM enrollments WHERE course_id = NEW.id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER totals_note_course AFTER UPDATE ON courses
    FOR EACH ROW EXECUTE FUNCTION totals_note_course();

-- A province moved to another region (reference data; rare): its courses' people.
-- +goose StatementBegin
CREATE FUNCTION totals_note_province() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.region_id IS DISTINCT FROM NEW.region_id AND totals_noting() THEN
        INSERT INTO totals_pending (kind, id)
        SELECT 'p', e.trainee_id FROM enrollments e JOIN courses c ON c.id = e.course_id
         WHERE c.province_id = NEW.id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER totals_note_province AFTER UPDATE ON provinces
    FOR EACH ROW EXECUTE FUNCTION totals_note_province();

-- A person's category, sex or organisation: the person, and the
-- associations they leave and join.
-- +goose StatementBegin
CREATE FUNCTION totals_note_trainee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.category, OLD.sex, OLD.organisation_id, OLD.organisation_kind)
       IS DISTINCT FROM (NEW.category, NEW.sex, NEW.organisation_id, NEW.organisation_kind) AND totals_noting() THEN
        INSERT INTO totals_pending (kind, id) VALUES ('p', NEW.id) ON CONFLICT DO NOTHING;
        IF OLD.organisation_kind = 'association' THEN
            INSERT INTO totals_pending (kind, id) VALUES ('a', OLD.organisation_id) ON CONFLICT DO NOTHING;
        END IF;
        IF NEW.organisation_kind = 'association' THEN
            INSERT INTO totals_pending (kind, id) VALUES ('a', NEW.organisation_id) ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER totals_note_trainee AFTER UPDATE ON trainees
    FOR EACH ROW EXECUTE FUNCTION totals_note_trainee();

-- 5. Rebuilding everything, set-based: for this migration and for bulk
--    loads that disable the triggers above (repository.RecomputeTotalsCube).
-- +goose StatementBegin
CREATE FUNCTION totals_rebuild() RETURNS void LANGUAGE plpgsql
    SET work_mem = '128MB' -- a bulk rebuild's aggregates, for its duration only
    AS $$
BEGIN
    -- Updating the course counters below must not note every course's people.
    PERFORM set_config('takaffoul.totals_rebuilding', 'yes', true);
    UPDATE courses c
       SET session_count = coalesce(s.n, 0), sessions_held = coalesce(s.held, 0), held_hours = coalesce(s.hours, 0)
      FROM courses c2
      LEFT JOIN (SELECT course_id, count(*) AS n, count(*) FILTER (WHERE has_marks) AS held,
                        sum(hours) FILTER (WHERE has_marks) AS hours
                   FROM sessions GROUP BY course_id) s ON s.course_id = c2.id
     WHERE c.id = c2.id
       AND (c.session_count, c.sessions_held, c.held_hours) IS DISTINCT FROM (coalesce(s.n, 0), coalesce(s.held, 0), coalesce(s.hours, 0));
    TRUNCATE totals_person_cells, totals_cube, totals_assoc_cells, totals_assoc_cube;
    INSERT INTO totals_person_cells SELECT * FROM totals_person_base;
    -- Most people have one base cell: their twelve roll-ups are distinct and
    -- need no per-person grouping (which would be a hash of 12 M groups at
    -- national scale); only people with several cells are OR-ed per roll-up.
    INSERT INTO totals_cube
    WITH several AS (SELECT trainee_id FROM totals_person_cells GROUP BY trainee_id HAVING count(*) > 1)
    SELECT programme_id, year, region_id, province_id, category, sex, shard,
           count(*), count(*) FILTER (WHERE enrolled), count(*) FILTER (WHERE trained), count(*) FILTER (WHERE completed),
           sum(attended_marks), sum(marks)
      FROM (SELECT r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex,
                   (b.trainee_id % 16)::smallint AS shard, b.enrolled, b.trained, b.completed,
                   b.attended_marks::bigint AS attended_marks, b.marks::bigint AS marks
              FROM totals_person_cells b
              LEFT JOIN several s ON s.trainee_id = b.trainee_id
             CROSS JOIN LATERAL totals_rollups(b.programme_id, b.year, b.region_id, b.province_id) r
             WHERE s.trainee_id IS NULL
            UNION ALL
            SELECT r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex,
                   (b.trainee_id % 16)::smallint AS shard,
                   bool_or(b.enrolled), bool_or(b.trained), bool_or(b.completed), sum(b.attended_marks), sum(b.marks)
              FROM totals_person_cells b
              JOIN several s ON s.trainee_id = b.trainee_id
             CROSS JOIN LATERAL totals_rollups(b.programme_id, b.year, b.region_id, b.province_id) r
             GROUP BY b.trainee_id, r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex) per_person
     GROUP BY programme_id, year, region_id, province_id, category, sex, shard;
    INSERT INTO totals_assoc_cells SELECT * FROM totals_assoc_base;
    INSERT INTO totals_assoc_cube
    SELECT programme_id, year, region_id, province_id, category, sex, shard,
           count(*), count(*) FILTER (WHERE enrolled), count(*) FILTER (WHERE trained)
      FROM (SELECT r.programme_id, r.year, r.region_id, r.province_id,
                   CASE WHEN k.c THEN b.category ELSE '' END AS category, CASE WHEN k.s THEN b.sex ELSE '' END AS sex,
                   (b.association_id % 16)::smallint AS shard,
                   bool_or(b.enrolled) AS enrolled, bool_or(b.trained) AS trained
              FROM totals_assoc_cells b
             CROSS JOIN LATERAL totals_rollups(b.programme_id, b.year, b.region_id, b.province_id) r
             CROSS JOIN (VALUES (true, true), (true, false), (false, true), (false, false)) k (c, s)
             GROUP BY b.association_id, r.programme_id, r.year, r.region_id, r.province_id, 5, 6) per_association
     GROUP BY programme_id, year, region_id, province_id, category, sex, shard;
    -- Whatever this transaction noted is rebuilt already.
    DELETE FROM totals_pending WHERE xid = pg_current_xact_id();
    PERFORM set_config('takaffoul.totals_pending', 'no', true);
    PERFORM set_config('takaffoul.totals_rebuilding', 'no', true);
END;
$$;
-- +goose StatementEnd
SELECT totals_rebuild();

-- +goose Down
DROP TRIGGER totals_note_trainee ON trainees;
DROP TRIGGER totals_note_province ON provinces;
DROP TRIGGER totals_note_course ON courses;
DROP TRIGGER totals_note_enrollment ON enrollments;
DROP TRIGGER courses_keep_session_counts ON sessions;
-- (00006 replaced these: gone when coming down from it.)
DROP TRIGGER IF EXISTS totals_apply_pending ON totals_pending;
DROP FUNCTION IF EXISTS totals_apply_pending(), totals_refresh(bigint[], bigint[]);
DROP FUNCTION totals_rebuild(), totals_noting(), totals_note_trainee(), totals_note_province(), totals_note_course(),
    totals_note_enrollment(), totals_rollups(bigint, smallint, smallint, bigint),
    courses_keep_session_counts();
DROP VIEW totals_assoc_base, totals_person_base;
DROP TABLE totals_pending, totals_assoc_cube, totals_assoc_cells, totals_cube, totals_person_cells;
ALTER TABLE courses DROP COLUMN session_count, DROP COLUMN sessions_held, DROP COLUMN held_hours;
