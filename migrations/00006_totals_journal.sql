-- +goose Up
-- The totals cube, folded in batches (issue 7). docs/TOTALS.md tells the story.
--
-- Until now every transaction that changed a person refreshed that person's
-- cube cells (and their association's) at its own commit: about 10 ms of
-- database time for each enrolment, which capped enrolments at a few hundred
-- a second on two cores. Now the row triggers only note who changed in
-- totals_pending, a journal committed with the change, and one folder at a
-- time folds the journal into the cube, set-based: whoever reads the totals
-- first folds what is pending (so reads stay exact), and the server folds
-- in the background so that the journal stays short.
--
-- Correctness without locking the writers: the folder deletes the journal
-- rows its snapshot sees, then reads those people's base cells from the
-- records once, in one later snapshot, and moves the cube by the difference
-- with the stored cells from that single reading. A change committed after
-- the deletion left its own journal row for the next fold; one committed
-- in between is already in the reading. Only the folder writes the cube and
-- the cells (one advisory lock), so the stored cells are always what the
-- cube was built from.
--
-- The association step no longer recounts every roll-up of every
-- association a changed person belongs to (a few thousand rows per
-- association, most of a fold's time): each person cell now carries the
-- person's association as counted, so a change names the association cells
-- it touches; only those are recounted, and only when one of them changed
-- does the association cube move, over the roll-ups of the changed cells.

DROP TRIGGER totals_apply_pending ON totals_pending;
DROP FUNCTION totals_apply_pending();
DROP FUNCTION totals_refresh(bigint[], bigint[]);

-- A person's association as counted (0: none, or an institution), so that a
-- change of association, like a change of sex, moves the person's cells.
ALTER TABLE totals_person_cells ADD COLUMN association_id bigint NOT NULL DEFAULT 0;
CREATE INDEX totals_person_cells_by_association
    ON totals_person_cells (association_id, programme_id, year, province_id, category, sex) WHERE association_id <> 0;
CREATE OR REPLACE VIEW totals_person_base AS
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
-- An association's base cells, from its members' person cells alone.
CREATE OR REPLACE VIEW totals_assoc_base AS
    SELECT association_id, programme_id, year, region_id, province_id, category, sex,
           bool_or(enrolled) AS enrolled, bool_or(trained) AS trained
      FROM totals_person_cells
     WHERE association_id <> 0
     GROUP BY association_id, programme_id, year, region_id, province_id, category, sex;

-- A person's category, sex or organisation: the person (the association
-- left and the one joined are in the person's old and new cells).
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

-- The noting triggers ask this first: nothing is noted while
-- totals_rebuild() recomputes everything anyway.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_noting() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_setting('takaffoul.totals_rebuilding', true) IS DISTINCT FROM 'yes'
$$;
-- +goose StatementEnd

-- totals_fold(persons) moves the cube by rollup(base now) − rollup(stored
-- cells) for these people, then recounts the association cells their
-- changes touch and moves the association cube where one of those changed.
-- The caller holds the folder's lock (totals_catch_up, totals_rebuild).
-- +goose StatementBegin
CREATE FUNCTION totals_fold(persons bigint[]) RETURNS void LANGUAGE plpgsql
    -- Plan each statement once per session: the plans (index lookups by
    -- person and association cell) do not depend on the arrays' values.
    SET plan_cache_mode = force_generic_plan
    AS $$
DECLARE
    fresh       totals_person_cells[];
    touched     totals_assoc_cells[]; -- association cells to recount (flags unused)
    fresh_assoc totals_assoc_cells[];
    changed     bigint[];             -- associations with a cell that changed
BEGIN
    -- The people's cells from the records, read once (see the header).
    SELECT coalesce(array_agg(ROW(b.*)::totals_person_cells), '{}') INTO fresh
      FROM totals_person_base b WHERE b.trainee_id = ANY (persons);

    -- People: cube += rollup(new) − rollup(stored), only the rows that move,
    -- in primary-key order.
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

    -- The association cells the people left or joined, or whose flags they
    -- may have changed (a roster that only changes mark counts touches none).
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

    -- Those association cells, recounted from the person cells just stored.
    SELECT coalesce(array_agg(ROW(b.*)::totals_assoc_cells), '{}') INTO fresh_assoc
      FROM (SELECT pc.association_id, pc.programme_id, pc.year, pc.region_id, pc.province_id, pc.category, pc.sex,
                   bool_or(pc.enrolled), bool_or(pc.trained)
              FROM unnest(touched) k
              JOIN totals_person_cells pc
                ON (pc.association_id, pc.programme_id, pc.year, pc.province_id, pc.category, pc.sex)
                 = (k.association_id, k.programme_id, k.year, k.province_id, k.category, k.sex)
             WHERE pc.association_id <> 0
             GROUP BY 1, 2, 3, 4, 5, 6, 7) b;
    -- The associations where one of them appeared, went or changed flags.
    WITH stored AS (SELECT a.* FROM unnest(touched) k
                      JOIN totals_assoc_cells a
                        ON (a.association_id, a.programme_id, a.year, a.province_id, a.category, a.sex)
                         = (k.association_id, k.programme_id, k.year, k.province_id, k.category, k.sex))
    SELECT array_agg(DISTINCT association_id) INTO changed
      FROM ((SELECT * FROM unnest(fresh_assoc) EXCEPT SELECT * FROM stored)
            UNION ALL
            (SELECT * FROM stored EXCEPT SELECT * FROM unnest(fresh_assoc))) d;

    IF changed IS NOT NULL THEN
        -- Association cube += contributions after − before, per association
        -- and roll-up (12 place/time roll-ups × the member's category or any
        -- × the member's sex or any), only over the roll-ups of the touched
        -- cells: elsewhere nothing can move.
        INSERT INTO totals_assoc_cube AS q
        WITH before AS (SELECT * FROM totals_assoc_cells WHERE association_id = ANY (changed)),
             after AS (SELECT b.* FROM before b
                        WHERE NOT EXISTS (SELECT 1 FROM unnest(touched) k
                                           WHERE (k.association_id, k.programme_id, k.year, k.province_id, k.category, k.sex)
                                               = (b.association_id, b.programme_id, b.year, b.province_id, b.category, b.sex))
                       UNION ALL
                       SELECT f.* FROM unnest(fresh_assoc) f WHERE f.association_id = ANY (changed)),
             cells AS (SELECT 1 AS sign, a.* FROM after a UNION ALL SELECT -1, b.* FROM before b),
             -- Each cell against each touched cell of its association, at
             -- the roll-up levels (totals_rollups' twelve) and member
             -- variants where the two agree: there the cell counts towards
             -- the touched cell's roll-up. No other roll-up can move, and a
             -- cell is expanded only where it agrees, not 48 times.
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

-- totals_catch_up(batch) folds up to `batch` journal rows and answers how
-- many it folded (0: the cube is up to date). One folder at a time: a
-- second waits for the first, then folds what is left.
-- +goose StatementBegin
CREATE FUNCTION totals_catch_up(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    persons bigint[];
    folded  integer;
BEGIN
    PERFORM pg_advisory_xact_lock(7700, 0);
    -- (Rows of kind 'a', associations, were noted before 00006: the
    -- people's cells now tell which association cells move.)
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

-- totals_rebuild(): 00005's rebuild (now totals_rebuild_all), under the
-- folder's lock, with the journal it sees emptied first: what is committed
-- after that stays noted for a fold.
ALTER FUNCTION totals_rebuild() RENAME TO totals_rebuild_all;
-- +goose StatementBegin
CREATE FUNCTION totals_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7700, 0);
    DELETE FROM totals_pending;
    PERFORM totals_rebuild_all();
END;
$$;
-- +goose StatementEnd
-- The cells gained a column: start from a rebuild.
SELECT totals_rebuild();

-- +goose Down
-- Fold what is pending, then leave the cube as 00005's Down expects to find
-- it: going below 00006 means going below 00005 too (the per-commit refresh
-- is not restored).
SELECT totals_catch_up(2147483647);
DROP FUNCTION totals_catch_up(integer), totals_fold(bigint[]), totals_rebuild();
ALTER FUNCTION totals_rebuild_all() RENAME TO totals_rebuild;
