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

DROP TRIGGER totals_apply_pending ON totals_pending;
DROP FUNCTION totals_apply_pending();
DROP FUNCTION totals_refresh(bigint[], bigint[]);

-- The noting triggers ask this first: nothing is noted while
-- totals_rebuild() recomputes everything anyway.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION totals_noting() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_setting('takaffoul.totals_rebuilding', true) IS DISTINCT FROM 'yes'
$$;
-- +goose StatementEnd

-- totals_fold(persons, assocs) moves the cube by rollup(base now) −
-- rollup(stored cells) for these people, then for the associations noted
-- and those of the people whose cells moved, and stores the new cells. The
-- caller holds the folder's lock (totals_catch_up, totals_rebuild).
-- +goose StatementBegin
CREATE FUNCTION totals_fold(persons bigint[], assocs bigint[]) RETURNS void LANGUAGE plpgsql
    -- Plan each statement once per session: the plans (index lookups by
    -- person and association) do not depend on the arrays' values.
    SET plan_cache_mode = force_generic_plan
    AS $$
DECLARE
    fresh       totals_person_cells[];
    fresh_assoc totals_assoc_cells[];
BEGIN
    -- The people's cells from the records, read once (see the header).
    SELECT coalesce(array_agg(ROW(b.*)::totals_person_cells), '{}') INTO fresh
      FROM totals_person_base b WHERE b.trainee_id = ANY (persons);
    -- The associations to fold: those noted (left or joined), and those of
    -- the people whose cells changed other than in their mark counts (a
    -- roster that only changes counts leaves every association as it was).
    SELECT array_agg(DISTINCT id ORDER BY id) INTO assocs
      FROM (SELECT unnest(assocs) AS id
            UNION
            SELECT organisation_id FROM trainees
             WHERE organisation_kind = 'association' AND id IN (
                   (SELECT trainee_id FROM (
                        SELECT trainee_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                          FROM unnest(fresh)
                        EXCEPT
                        SELECT trainee_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                          FROM totals_person_cells WHERE trainee_id = ANY (persons)) n)
                   UNION
                   (SELECT trainee_id FROM (
                        SELECT trainee_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                          FROM totals_person_cells WHERE trainee_id = ANY (persons)
                        EXCEPT
                        SELECT trainee_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
                          FROM unnest(fresh)) o))) a;

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
    DELETE FROM totals_person_cells WHERE trainee_id = ANY (persons);
    INSERT INTO totals_person_cells SELECT * FROM unnest(fresh);

    IF assocs IS NULL THEN
        RETURN;
    END IF;
    -- Associations: the same, over the 12 place/time roll-ups × (the
    -- member's category or any) × (the member's sex or any). Their cells
    -- come from the person cells just stored and the members' current
    -- organisation, read once.
    SELECT coalesce(array_agg(ROW(b.*)::totals_assoc_cells), '{}') INTO fresh_assoc
      FROM totals_assoc_base b WHERE b.association_id = ANY (assocs);
    INSERT INTO totals_assoc_cube AS q
    SELECT programme_id, year, region_id, province_id, category, sex, shard,
           sum(sign), sum(sign * enrolled::int), sum(sign * trained::int)
      FROM (SELECT r.programme_id, r.year, r.region_id, r.province_id,
                   CASE WHEN k.c THEN b.category ELSE '' END AS category, CASE WHEN k.s THEN b.sex ELSE '' END AS sex,
                   (b.association_id % 16)::smallint AS shard, b.sign,
                   bool_or(b.enrolled) AS enrolled, bool_or(b.trained) AS trained
              FROM (SELECT 1 AS sign, * FROM unnest(fresh_assoc)
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
    assocs  bigint[];
    folded  integer;
BEGIN
    PERFORM pg_advisory_xact_lock(7700, 0);
    WITH done AS (
        DELETE FROM totals_pending
         WHERE (xid, kind, id) IN (SELECT xid, kind, id FROM totals_pending LIMIT batch)
        RETURNING kind, id)
    SELECT count(*), array_agg(DISTINCT id) FILTER (WHERE kind = 'p'), array_agg(DISTINCT id) FILTER (WHERE kind = 'a')
      INTO folded, persons, assocs FROM done;
    IF folded > 0 THEN
        PERFORM totals_fold(coalesce(persons, '{}'), assocs);
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

-- +goose Down
-- Fold what is pending, then leave the cube as 00005's Down expects to find
-- it: going below 00006 means going below 00005 too (the per-commit refresh
-- is not restored).
SELECT totals_catch_up(2147483647);
DROP FUNCTION totals_catch_up(integer), totals_fold(bigint[], bigint[]), totals_rebuild();
ALTER FUNCTION totals_rebuild_all() RENAME TO totals_rebuild;
