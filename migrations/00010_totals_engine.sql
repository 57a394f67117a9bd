-- +goose Up
-- The totals engine in one place (issue 13). Until now what ran was the sum
-- of 00005 (the cube), 00006 (the journal and the fold, replacing half of
-- 00005) and 00007 (a trigger recreated). From here on:
--
--   - the database holds the tables and the triggers that note who changed
--     (this file has their current definitions);
--   - the algorithm (fold, rebuild, and the reads of the cube plus what the
--     journal still holds) is in repository/totals_fold.go,
--     repository/totals_cube.go and repository/totals_rollup.go (the
--     roll-ups and the counting, in Go), one definition of each part;
--   - docs/TOTALS.md has the map of who writes which table, and when.
--
-- Leftovers of the replaced designs go: the shard column (it spread the
-- national rows over 16 so that committers refreshing at their own commit
-- rarely queued; one folder writes now), journal rows of kind 'a' (not
-- written since 00006), the takaffoul.totals_pending and
-- takaffoul.totals_rebuilding flags, and the SQL functions and views whose
-- work moved to Go.

-- 1. What moved to Go.
DROP FUNCTION totals_catch_up(integer), totals_fold(bigint[]), totals_rebuild(), totals_rebuild_all();
DROP VIEW totals_assoc_base, totals_person_base;
DROP FUNCTION totals_rollups(bigint, smallint, smallint, bigint);

-- 2. The journal: one row per transaction and person noted.
DELETE FROM totals_pending WHERE kind <> 'p';
ALTER TABLE totals_pending DROP CONSTRAINT totals_pending_pkey;
ALTER TABLE totals_pending DROP COLUMN kind;
ALTER TABLE totals_pending RENAME COLUMN id TO trainee_id;
-- Why the transaction id is part of the key: each writing transaction notes
-- a person in a row of its own. With (trainee_id) alone, a writer noting
-- someone already noted would either wait for the other writer's commit
-- (the unique index) or, with ON CONFLICT DO NOTHING, lean on a row that
-- the folder may take before this writer commits, and the change would
-- never be folded. Rows of their own make the folder's rule simple: it
-- takes the rows its snapshot sees, and the changes they stand for are in
-- that same snapshot's records.
ALTER TABLE totals_pending ADD PRIMARY KEY (xid, trainee_id);
COMMENT ON TABLE totals_pending IS
    'The totals journal: who changed, one row per writing transaction and person (see migrations/00010_totals_engine.sql).';

-- 3. The cubes without the shard: the rows of a cell are summed into one.
CREATE TEMP TABLE cube_unsharded ON COMMIT DROP AS
    SELECT programme_id, year, region_id, province_id, category, sex,
           sum(people)::int AS people, sum(enrolled)::int AS enrolled, sum(trained)::int AS trained,
           sum(completed)::int AS completed, sum(attended_marks)::bigint AS attended_marks, sum(marks)::bigint AS marks
      FROM totals_cube
     GROUP BY programme_id, year, region_id, province_id, category, sex;
TRUNCATE totals_cube;
ALTER TABLE totals_cube DROP COLUMN shard; -- and the primary key it was part of
ALTER TABLE totals_cube ADD PRIMARY KEY (programme_id, year, region_id, province_id, category, sex);
INSERT INTO totals_cube (programme_id, year, region_id, province_id, category, sex,
                         people, enrolled, trained, completed, attended_marks, marks)
SELECT programme_id, year, region_id, province_id, category, sex,
       people, enrolled, trained, completed, attended_marks, marks
  FROM cube_unsharded;

CREATE TEMP TABLE assoc_cube_unsharded ON COMMIT DROP AS
    SELECT programme_id, year, region_id, province_id, category, sex,
           sum(associations)::int AS associations, sum(enrolled)::int AS enrolled, sum(trained)::int AS trained
      FROM totals_assoc_cube
     GROUP BY programme_id, year, region_id, province_id, category, sex;
TRUNCATE totals_assoc_cube;
ALTER TABLE totals_assoc_cube DROP COLUMN shard;
ALTER TABLE totals_assoc_cube ADD PRIMARY KEY (programme_id, year, region_id, province_id, category, sex);
INSERT INTO totals_assoc_cube (programme_id, year, region_id, province_id, category, sex, associations, enrolled, trained)
SELECT programme_id, year, region_id, province_id, category, sex, associations, enrolled, trained
  FROM assoc_cube_unsharded;

-- 4. An association cell is keyed by its region too, as the person cells it
--    is counted from carry it: when a province moves to another region, its
--    members are folded in batches, and for a moment some are counted in
--    the old region and some in the new one (two rows, not one).
ALTER TABLE totals_assoc_cells DROP CONSTRAINT totals_assoc_cells_pkey;
ALTER TABLE totals_assoc_cells ADD PRIMARY KEY (association_id, programme_id, year, region_id, province_id, category, sex);
DROP INDEX totals_person_cells_by_association;
CREATE INDEX totals_person_cells_by_association
    ON totals_person_cells (association_id, programme_id, year, region_id, province_id, category, sex) WHERE association_id <> 0;

-- 5. The course figures of a read (courses, sessions held, hours: sums
--    over the courses in scope) from an index alone: 150 pages instead of
--    the table's 1,100 at 20,000 courses (repository/totals_cube.go).
CREATE INDEX courses_figures ON courses (programme_id, year, province_id) INCLUDE (sessions_held, held_hours);

-- 6. The noting triggers, current definitions. Each notes the people whose
--    base cells (repository/totals_fold.go, personBaseSQL) a change may move:
--
--    enrollments  insert, delete, any change of trainee, course, status or
--                 attendance counters (attendance_keep_counts, 00003, updates
--                 the counters at every mark: marks are covered)  → the person(s)
--    courses      programme, year, province, threshold, number of sessions
--                 (courses_keep_session_counts, 00005, updates it at every
--                 session added or removed)                        → the course's people
--    provinces    region                                           → the province's courses' people
--    trainees     category, sex, organisation                      → the person
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

-- (The trigger fires only for UPDATE OF these columns, see 00007.)
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_course() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.programme_id, OLD.year, OLD.province_id, OLD.completion_threshold, OLD.session_count)
       IS DISTINCT FROM (NEW.programme_id, NEW.year, NEW.province_id, NEW.completion_threshold, NEW.session_count) THEN
        INSERT INTO totals_pending (trainee_id)
        SELECT trainee_id FROM enrollments WHERE course_id = NEW.id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_province() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.region_id IS DISTINCT FROM NEW.region_id THEN
        INSERT INTO totals_pending (trainee_id)
        SELECT e.trainee_id FROM enrollments e JOIN courses c ON c.id = e.course_id
         WHERE c.province_id = NEW.id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- The association left and the one joined are in the person's stored and
-- fresh cells: noting the person is enough.
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
DROP FUNCTION totals_noting();

-- +goose Down
DROP INDEX courses_figures;
-- Back to 00009: the shard, the journal's kind, the old keys, and the SQL
-- functions and views of 00005 and 00006 as 00006 left them; then a
-- rebuild, as 00006 did.
-- +goose StatementBegin
CREATE FUNCTION totals_noting() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_setting('takaffoul.totals_rebuilding', true) IS DISTINCT FROM 'yes'
$$;
-- +goose StatementEnd

ALTER TABLE totals_pending DROP CONSTRAINT totals_pending_pkey;
ALTER TABLE totals_pending RENAME COLUMN trainee_id TO id;
ALTER TABLE totals_pending ADD COLUMN kind "char" NOT NULL DEFAULT 'p' CHECK (kind IN ('p', 'a'));
ALTER TABLE totals_pending ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE totals_pending ADD PRIMARY KEY (xid, kind, id);
COMMENT ON TABLE totals_pending IS NULL;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_enrollment() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_course() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_province() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_note_trainee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.category, OLD.sex, OLD.organisation_id, OLD.organisation_kind)
       IS DISTINCT FROM (NEW.category, NEW.sex, NEW.organisation_id, NEW.organisation_kind) AND totals_noting() THEN
        INSERT INTO totals_pending (kind, id) VALUES ('p', NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

DROP INDEX totals_person_cells_by_association;
CREATE INDEX totals_person_cells_by_association
    ON totals_person_cells (association_id, programme_id, year, province_id, category, sex) WHERE association_id <> 0;
-- (00009's key: a moment's two rows of one cell, old and new region, are
-- rebuilt as one by totals_rebuild() below.)
ALTER TABLE totals_assoc_cells DROP CONSTRAINT totals_assoc_cells_pkey;
TRUNCATE totals_assoc_cells;
ALTER TABLE totals_assoc_cells ADD PRIMARY KEY (association_id, programme_id, year, province_id, category, sex);

-- The old code inserted into the cubes by position: shard goes back to its
-- place (the rebuild below fills them).
DROP TABLE totals_cube, totals_assoc_cube;
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
    PRIMARY KEY (programme_id, year, region_id, province_id, category, sex, shard)
) WITH (fillfactor = 70);
CREATE INDEX totals_cube_by_programme ON totals_cube (year, region_id, province_id, programme_id);
CREATE INDEX totals_cube_by_year ON totals_cube (programme_id, region_id, province_id, year);
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

-- 00005's roll-ups and base views, as 00006 left them.
CREATE FUNCTION totals_rollups(bigint, smallint, smallint, bigint)
    RETURNS TABLE (programme_id bigint, year smallint, region_id smallint, province_id bigint)
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN k.kp THEN $1 ELSE 0 END, CASE WHEN k.ky THEN $2 ELSE 0::smallint END,
           CASE WHEN k.kg > 0 THEN $3 ELSE 0::smallint END, CASE WHEN k.kg > 1 THEN $4 ELSE 0 END
      FROM (VALUES (true, true, 2), (true, true, 1), (true, true, 0), (true, false, 2), (true, false, 1), (true, false, 0),
                   (false, true, 2), (false, true, 1), (false, true, 0), (false, false, 2), (false, false, 1), (false, false, 0)
           ) k (kp, ky, kg)
$$;
CREATE VIEW totals_person_base AS
    SELECT e.trainee_id, c.programme_id, c.year, pv.region_id, c.province_id, t.category, t.sex,
           bool_or(e.status <> 'withdrawn') AS enrolled, bool_or(e.attended_count > 0) AS trained,
           bool_or(c.session_count > 0 AND e.attended_count * 100 >= c.completion_threshold * c.session_count) AS completed,
           sum(e.attended_count)::int AS attended_marks, sum(e.marks_count)::int AS marks,
           CASE WHEN t.organisation_kind = 'association' THEN t.organisation_id ELSE 0 END AS association_id
      FROM enrollments e
      JOIN courses c ON c.id = e.course_id
      JOIN provinces pv ON pv.id = c.province_id
      JOIN trainees t ON t.id = e.trainee_id
     GROUP BY e.trainee_id, c.programme_id, c.year, pv.region_id, c.province_id, t.category, t.sex,
              t.organisation_kind, t.organisation_id;
CREATE VIEW totals_assoc_base AS
    SELECT association_id, programme_id, year, region_id, province_id, category, sex,
           bool_or(enrolled) AS enrolled, bool_or(trained) AS trained
      FROM totals_person_cells
     WHERE association_id <> 0
     GROUP BY association_id, programme_id, year, region_id, province_id, category, sex;

-- 00005's rebuild, renamed by 00006.
-- +goose StatementBegin
CREATE FUNCTION totals_rebuild_all() RETURNS void LANGUAGE plpgsql
    SET work_mem = '128MB'
    AS $$
BEGIN
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
    DELETE FROM totals_pending WHERE xid = pg_current_xact_id();
    PERFORM set_config('takaffoul.totals_pending', 'no', true);
    PERFORM set_config('takaffoul.totals_rebuilding', 'no', true);
END;
$$;
-- +goose StatementEnd

-- 00006's fold, catch-up and rebuild.
-- +goose StatementBegin
CREATE FUNCTION totals_fold(persons bigint[]) RETURNS void LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan
    AS $$
DECLARE
    fresh       totals_person_cells[];
    touched     totals_assoc_cells[];
    fresh_assoc totals_assoc_cells[];
    changed     bigint[];
BEGIN
    SELECT coalesce(array_agg(ROW(b.*)::totals_person_cells), '{}') INTO fresh
      FROM totals_person_base b WHERE b.trainee_id = ANY (persons);
    INSERT INTO totals_cube AS q
    SELECT programme_id, year, region_id, province_id, category, sex, shard,
           sum(sign), sum(sign * enrolled::int), sum(sign * trained::int), sum(sign * completed::int),
           sum(sign * attended_marks), sum(sign * marks)
      FROM (SELECT r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex,
                   (b.trainee_id % 16)::smallint AS shard, b.sign,
                   bool_or(b.enrolled) AS enrolled, bool_or(b.trained) AS trained, bool_or(b.completed) AS completed,
                   sum(b.attended_marks) AS attended_marks, sum(b.marks) AS marks
              FROM (SELECT 1 AS sign, * FROM unnest(fresh)
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
    WITH new AS (SELECT trainee_id, association_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                   FROM unnest(fresh) WHERE association_id <> 0),
         old AS (SELECT trainee_id, association_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                   FROM totals_person_cells WHERE trainee_id = ANY (persons) AND association_id <> 0),
         moved AS ((SELECT * FROM new EXCEPT SELECT * FROM old) UNION ALL (SELECT * FROM old EXCEPT SELECT * FROM new))
    SELECT array_agg(DISTINCT ROW(association_id, programme_id, year, region_id, province_id, category, sex, false, false)::totals_assoc_cells)
      INTO touched FROM moved;
    DELETE FROM totals_person_cells WHERE trainee_id = ANY (persons);
    INSERT INTO totals_person_cells SELECT * FROM unnest(fresh);
    IF touched IS NULL THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(ROW(b.*)::totals_assoc_cells), '{}') INTO fresh_assoc
      FROM (SELECT pc.association_id, pc.programme_id, pc.year, pc.region_id, pc.province_id, pc.category, pc.sex,
                   bool_or(pc.enrolled), bool_or(pc.trained)
              FROM unnest(touched) k
              JOIN totals_person_cells pc
                ON (pc.association_id, pc.programme_id, pc.year, pc.province_id, pc.category, pc.sex)
                 = (k.association_id, k.programme_id, k.year, k.province_id, k.category, k.sex)
             WHERE pc.association_id <> 0
             GROUP BY 1, 2, 3, 4, 5, 6, 7) b;
    WITH stored AS (SELECT a.* FROM unnest(touched) k
                      JOIN totals_assoc_cells a
                        ON (a.association_id, a.programme_id, a.year, a.province_id, a.category, a.sex)
                         = (k.association_id, k.programme_id, k.year, k.province_id, k.category, k.sex))
    SELECT array_agg(DISTINCT association_id) INTO changed
      FROM ((SELECT * FROM unnest(fresh_assoc) EXCEPT SELECT * FROM stored)
            UNION ALL
            (SELECT * FROM stored EXCEPT SELECT * FROM unnest(fresh_assoc))) d;
    IF changed IS NOT NULL THEN
        INSERT INTO totals_assoc_cube AS q
        WITH before AS (SELECT * FROM totals_assoc_cells WHERE association_id = ANY (changed)),
             after AS (SELECT b.* FROM before b
                        WHERE NOT EXISTS (SELECT 1 FROM unnest(touched) k
                                           WHERE (k.association_id, k.programme_id, k.year, k.province_id, k.category, k.sex)
                                               = (b.association_id, b.programme_id, b.year, b.province_id, b.category, b.sex))
                       UNION ALL
                       SELECT f.* FROM unnest(fresh_assoc) f WHERE f.association_id = ANY (changed)),
             cells AS (SELECT 1 AS sign, a.* FROM after a UNION ALL SELECT -1, b.* FROM before b),
             per_association AS (
                 SELECT c.association_id,
                        CASE WHEN l.kp THEN t.programme_id ELSE 0 END AS programme_id,
                        CASE WHEN l.ky THEN t.year ELSE 0::smallint END AS year,
                        CASE WHEN l.kg > 0 THEN t.region_id ELSE 0::smallint END AS region_id,
                        CASE WHEN l.kg > 1 THEN t.province_id ELSE 0 END AS province_id,
                        CASE WHEN v.c THEN t.category ELSE '' END AS category, CASE WHEN v.s THEN t.sex ELSE '' END AS sex,
                        c.sign, bool_or(c.enrolled) AS enrolled, bool_or(c.trained) AS trained
                   FROM cells c
                   JOIN unnest(touched) t ON t.association_id = c.association_id
                  CROSS JOIN LATERAL (
                        SELECT l.kp, l.ky, l.kg
                          FROM (VALUES (true, true, 2), (true, true, 1), (true, true, 0), (true, false, 2), (true, false, 1), (true, false, 0),
                                       (false, true, 2), (false, true, 1), (false, true, 0), (false, false, 2), (false, false, 1), (false, false, 0)
                               ) l (kp, ky, kg)
                         WHERE (NOT l.kp OR c.programme_id = t.programme_id) AND (NOT l.ky OR c.year = t.year)
                           AND (l.kg = 0 OR c.region_id = t.region_id) AND (l.kg < 2 OR c.province_id = t.province_id)) l
                  CROSS JOIN LATERAL (
                        SELECT v.c, v.s FROM (VALUES (true, true), (true, false), (false, true), (false, false)) v (c, s)
                         WHERE (NOT v.c OR c.category = t.category) AND (NOT v.s OR c.sex = t.sex)) v
                  WHERE t.association_id = ANY (changed)
                  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)
        SELECT programme_id, year, region_id, province_id, category, sex, (association_id % 16)::smallint AS shard,
               sum(sign), sum(sign * enrolled::int), sum(sign * trained::int)
          FROM per_association
         GROUP BY programme_id, year, region_id, province_id, category, sex, 7
        HAVING sum(sign) <> 0 OR sum(sign * enrolled::int) <> 0 OR sum(sign * trained::int) <> 0
         ORDER BY programme_id, year, region_id, province_id, category, sex, 7
            ON CONFLICT (programme_id, year, region_id, province_id, category, sex, shard) DO UPDATE
           SET associations = q.associations + excluded.associations, enrolled = q.enrolled + excluded.enrolled,
               trained = q.trained + excluded.trained;
    END IF;
    DELETE FROM totals_assoc_cells a USING unnest(touched) k
     WHERE (a.association_id, a.programme_id, a.year, a.province_id, a.category, a.sex)
         = (k.association_id, k.programme_id, k.year, k.province_id, k.category, k.sex);
    INSERT INTO totals_assoc_cells SELECT * FROM unnest(fresh_assoc);
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION totals_catch_up(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    persons bigint[];
    folded  integer;
BEGIN
    PERFORM pg_advisory_xact_lock(7700, 0);
    WITH done AS (
        DELETE FROM totals_pending
         WHERE (xid, kind, id) IN (SELECT xid, kind, id FROM totals_pending LIMIT batch)
        RETURNING kind, id)
    SELECT count(*), array_agg(DISTINCT id) FILTER (WHERE kind = 'p') INTO folded, persons FROM done;
    IF persons IS NOT NULL THEN
        PERFORM totals_fold(persons);
    END IF;
    RETURN folded;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION totals_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7700, 0);
    DELETE FROM totals_pending;
    PERFORM totals_rebuild_all();
END;
$$;
-- +goose StatementEnd
SELECT totals_rebuild();
