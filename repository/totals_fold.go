package repository

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The totals engine: how the cubes stay equal to the records, and how a
// read gets exact figures without waiting for them. docs/TOTALS.md has the
// map of who writes which table, and when.
//
//   - Triggers (migrations/00010_totals_engine.sql) note who changed in the
//     journal, totals_pending, in the writing transaction itself.
//   - The folder (FoldTotals; the server runs it every 100 ms) is the only
//     writer of the cells and the cubes: it takes a batch of the journal and
//     moves the cubes by rollup(fresh cells) − rollup(stored cells).
//   - A read (totals_cube.go) adds that same move, for the people still in
//     the journal, to the cube rows, in one snapshot: it writes nothing and
//     waits for nobody, and it is exact as of its start.
//   - RecomputeTotalsCube rebuilds everything from the records (bulk loads).
//
// Every statement is composed from the fragments below: one definition of a
// person's base cells, of the roll-ups, of counting people and associations
// into cube rows, and of what the journal's people move.

// foldLock is the advisory lock key held by the folder and the rebuild: one
// of them at a time writes the cells and the cubes. (The application's only
// other key is importLock, in imports.go.)
const foldLock int64 = 0x7a6b_1d_02

// foldBatch is how many journal rows one fold takes: the people of a large
// import are folded in several short transactions, not one long one.
const foldBatch = 5000

// The columns of the cells and cubes, named once (no SELECT *, no ROW(b.*):
// nothing depends on the tables' column order).
const (
	personCellColumns = `trainee_id, programme_id, year, region_id, province_id, category, sex, association_id,
           enrolled, trained, completed, attended_marks, marks`
	assocCellColumns = `association_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained`
	// An association cell's key (person cells carry the same columns).
	assocCellKey     = `association_id, programme_id, year, region_id, province_id, category, sex`
	cubeColumns      = `programme_id, year, region_id, province_id, category, sex, people, enrolled, trained, completed, attended_marks, marks`
	assocCubeColumns = `programme_id, year, region_id, province_id, category, sex, associations, enrolled, trained`
)

// personBaseSQL is the people's base cells, computed from the records: one
// row per person and course cell (programme, year, province) they have an
// enrolment in, with the flags OR-ed over the cell's enrolments (enrolled:
// one not withdrawn; trained: one with a present or late mark; completed:
// one reaching its course's threshold) and their marks summed, and the
// person's category, sex and association as counted. who is a condition
// on e.trainee_id.
//
// When a person is to be counted as they were at enrolment (issue 14),
// category, sex and association come from the enrolment (e.) instead of
// the trainee (t.) here, and only here (the cell's key then includes them).
func personBaseSQL(who string) string {
	return `SELECT e.trainee_id, c.programme_id, c.year, pv.region_id, c.province_id, t.category, t.sex,
           CASE WHEN t.organisation_kind = 'association' THEN t.organisation_id ELSE 0 END AS association_id,
           bool_or(e.status <> 'withdrawn') AS enrolled,
           bool_or(e.attended_count > 0) AS trained,
           bool_or(c.session_count > 0 AND e.attended_count * 100 >= c.completion_threshold * c.session_count) AS completed,
           sum(e.attended_count)::int AS attended_marks, sum(e.marks_count)::int AS marks
      FROM enrollments e
      JOIN courses c ON c.id = e.course_id
      JOIN provinces pv ON pv.id = c.province_id
      JOIN trainees t ON t.id = e.trainee_id
     WHERE ` + who + `
     GROUP BY e.trainee_id, c.programme_id, c.year, pv.region_id, c.province_id, t.category, t.sex,
              t.organisation_kind, t.organisation_id`
}

// assocCellsOf is association cells counted from their members' person
// cells (members: a relation with the person cell columns): an association
// is enrolled / trained in a cell when one of its members is.
func assocCellsOf(members string) string {
	return `SELECT ` + assocCellKey + `, bool_or(enrolled) AS enrolled, bool_or(trained) AS trained
      FROM ` + members + ` m
     WHERE association_id <> 0
     GROUP BY ` + assocCellKey
}

// rollupsOf is the one definition of the roll-ups: the twelve place/time
// cells of the cube in which a base cell (alias c) counts, as rows of alias
// r: (its programme | all) × (its year | all) × (its province | its region
// only | all), 0 meaning "all". Written out as a LATERAL list of constant
// rows, which the planner expands without a function call.
func rollupsOf(c, r string) string {
	programmes := []string{c + ".programme_id", "0::bigint"}
	years := []string{c + ".year", "0::smallint"}
	places := []string{c + ".region_id, " + c + ".province_id", c + ".region_id, 0::bigint", "0::smallint, 0::bigint"}
	var rows []string
	for _, p := range programmes {
		for _, y := range years {
			for _, place := range places {
				rows = append(rows, "("+p+", "+y+", "+place+")")
			}
		}
	}
	return "CROSS JOIN LATERAL (VALUES " + strings.Join(rows, ", ") + ") " + r + " (programme_id, year, region_id, province_id)"
}

// memberVariantsOf: the association cube is read at a member category and
// sex, '' meaning any member (an association's members may differ in
// both). These are the four (category, sex) rows, alias v, in which a cell
// of members of one category and sex (alias c) counts.
func memberVariantsOf(c, v string) string {
	return fmt.Sprintf(`CROSS JOIN LATERAL (VALUES (%[1]s.category, %[1]s.sex), (%[1]s.category, ''), ('', %[1]s.sex), ('', '')) %[2]s (category, sex)`, c, v)
}

// peopleCubeSQL counts the people of cells (a relation with a sign, +1 or
// −1, and the person cell columns) into cube rows: per roll-up, category
// and sex, each person once, their flags OR-ed over their cells in the
// roll-up. Over the stored cells (−1) and the fresh ones (+1) of some
// people, it is what their change moves in the cube; over every cell (+1),
// the cube itself. where narrows the rows (b: the cell, r: its roll-up).
// People with one cell on a side, nearly everyone, need no per-person
// grouping: a national rebuild would otherwise hash twelve million groups.
func peopleCubeSQL(cells, where string) string {
	return `WITH several AS (SELECT sign, trainee_id FROM ` + cells + ` c GROUP BY sign, trainee_id HAVING count(*) > 1)
    SELECT programme_id, year, region_id, province_id, category, sex,
           sum(sign)::int AS people, sum(sign * enrolled::int)::int AS enrolled, sum(sign * trained::int)::int AS trained,
           sum(sign * completed::int)::int AS completed, sum(sign * attended_marks)::bigint AS attended_marks,
           sum(sign * marks)::bigint AS marks
      FROM (SELECT b.sign, r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex,
                   b.enrolled, b.trained, b.completed, b.attended_marks::bigint AS attended_marks, b.marks::bigint AS marks
              FROM ` + cells + ` b ` + rollupsOf("b", "r") + `
             WHERE NOT EXISTS (SELECT 1 FROM several s WHERE (s.sign, s.trainee_id) = (b.sign, b.trainee_id)) AND (` + where + `)
            UNION ALL
            SELECT b.sign, r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex,
                   bool_or(b.enrolled), bool_or(b.trained), bool_or(b.completed), sum(b.attended_marks), sum(b.marks)
              FROM ` + cells + ` b JOIN several s ON (s.sign, s.trainee_id) = (b.sign, b.trainee_id) ` + rollupsOf("b", "r") + `
             WHERE ` + where + `
             GROUP BY b.sign, b.trainee_id, r.programme_id, r.year, r.region_id, r.province_id, b.category, b.sex) per_person
     GROUP BY programme_id, year, region_id, province_id, category, sex
    HAVING sum(sign) <> 0 OR sum(sign * enrolled::int) <> 0 OR sum(sign * trained::int) <> 0
        OR sum(sign * completed::int) <> 0 OR sum(sign * attended_marks) <> 0 OR sum(sign * marks) <> 0`
}

// associationsCubeSQL counts the associations of cells (a relation with a
// sign and the association cell columns) into association cube rows: per
// roll-up and member variant, each association once. where narrows the
// rows (b: the cell, r: its roll-up, v: its variant).
func associationsCubeSQL(cells, where string) string {
	return `SELECT programme_id, year, region_id, province_id, category, sex,
           sum(sign)::int AS associations, sum(sign * enrolled::int)::int AS enrolled, sum(sign * trained::int)::int AS trained
      FROM (SELECT b.sign, b.association_id, r.programme_id, r.year, r.region_id, r.province_id, v.category, v.sex,
                   bool_or(b.enrolled) AS enrolled, bool_or(b.trained) AS trained
              FROM ` + cells + ` b ` + rollupsOf("b", "r") + ` ` + memberVariantsOf("b", "v") + `
             WHERE ` + where + `
             GROUP BY b.sign, b.association_id, r.programme_id, r.year, r.region_id, r.province_id, v.category, v.sex) per_association
     GROUP BY programme_id, year, region_id, province_id, category, sex
    HAVING sum(sign) <> 0 OR sum(sign * enrolled::int) <> 0 OR sum(sign * trained::int) <> 0`
}

// journalSQL is the WITH list of every statement about some people of the
// journal (persons: an SQL expression for their ids, a bigint[]). A
// statement evaluates only the parts it uses:
//
//	fresh          their base cells now, from the records;
//	stored         their cells as the cubes count them;
//	signed_people  both, +1 and −1: peopleCubeSQL of it is their move;
//	moved_members  the association members' cells among them that
//	               appeared, went or changed flags;
//	touched        the association cells those belong to;
//	recounted      those association cells now (the people at their fresh
//	               cells, every other member at their stored ones);
//	changed        the associations where one of them appeared, went or
//	               changed flags;
//	signed_assocs  every cell of those associations, now (+1) and as stored
//	               (−1): associationsCubeSQL of it is their move;
//	moved_rollups  the roll-ups and member variants of the touched cells of
//	               those associations: no other association row can move.
func journalSQL(persons string) string {
	const member = `trainee_id, ` + assocCellKey + `, enrolled, trained`
	return `fresh AS MATERIALIZED (` + personBaseSQL("e.trainee_id = ANY ("+persons+")") + `),
stored AS MATERIALIZED (
    SELECT ` + personCellColumns + ` FROM totals_person_cells WHERE trainee_id = ANY (` + persons + `)),
signed_people AS (
    SELECT 1 AS sign, ` + personCellColumns + ` FROM fresh
    UNION ALL
    SELECT -1, ` + personCellColumns + ` FROM stored),
moved_members AS (
    (SELECT ` + member + ` FROM fresh WHERE association_id <> 0
     EXCEPT SELECT ` + member + ` FROM stored WHERE association_id <> 0)
    UNION ALL
    (SELECT ` + member + ` FROM stored WHERE association_id <> 0
     EXCEPT SELECT ` + member + ` FROM fresh WHERE association_id <> 0)),
touched AS MATERIALIZED (SELECT DISTINCT ` + assocCellKey + ` FROM moved_members),
recounted AS MATERIALIZED (` + assocCellsOf(`(
    SELECT m.`+strings.ReplaceAll(member, ", ", ", m.")+`
      FROM touched k
      JOIN (SELECT `+member+` FROM totals_person_cells
             WHERE association_id <> 0 AND trainee_id <> ALL (`+persons+`)
            UNION ALL
            SELECT `+member+` FROM fresh WHERE association_id <> 0) m USING (`+assocCellKey+`))`) + `),
kept AS (
    SELECT ` + "a." + strings.ReplaceAll(assocCellColumns, ", ", ", a.") + `
      FROM totals_assoc_cells a JOIN touched k USING (` + assocCellKey + `)),
changed AS MATERIALIZED (
    SELECT DISTINCT association_id
      FROM ((SELECT ` + assocCellColumns + ` FROM recounted EXCEPT SELECT ` + assocCellColumns + ` FROM kept)
            UNION ALL
            (SELECT ` + assocCellColumns + ` FROM kept EXCEPT SELECT ` + assocCellColumns + ` FROM recounted)) d),
signed_assocs AS (
    SELECT 1 AS sign, ` + assocCellColumns + ` FROM recounted WHERE association_id IN (SELECT association_id FROM changed)
    UNION ALL
    SELECT 1, ` + assocCellColumns + ` FROM totals_assoc_cells a
     WHERE association_id IN (SELECT association_id FROM changed)
       AND NOT EXISTS (SELECT 1 FROM touched k WHERE (` + prefixed("k", assocCellKey) + `) = (` + prefixed("a", assocCellKey) + `))
    UNION ALL
    SELECT -1, ` + assocCellColumns + ` FROM totals_assoc_cells WHERE association_id IN (SELECT association_id FROM changed)),
moved_rollups AS MATERIALIZED (
    SELECT DISTINCT k.association_id, r.programme_id, r.year, r.region_id, r.province_id, v.category, v.sex
      FROM touched k ` + rollupsOf("k", "r") + ` ` + memberVariantsOf("k", "v") + `
     WHERE k.association_id IN (SELECT association_id FROM changed))`
}

// inMovedRollups keeps, in associationsCubeSQL over signed_assocs, the rows
// of the roll-ups a change can move.
const inMovedRollups = `(b.association_id, r.programme_id, r.year, r.region_id, r.province_id, v.category, v.sex)
                 IN (SELECT association_id, programme_id, year, region_id, province_id, category, sex FROM moved_rollups)`

// prefixed qualifies each column of a list with alias.
func prefixed(alias, columns string) string {
	return alias + "." + strings.ReplaceAll(columns, ", ", ", "+alias+".")
}

// The fold's statements, in the order they run; $1 is the batch's people.
// Each reads what it needs through journalSQL, in the fold's one snapshot:
// the stored cells are replaced last, once both cubes have moved.
var foldSteps = []struct{ name, query string }{
	{"move the people's cube", `WITH ` + journalSQL("$1") + `
INSERT INTO totals_cube AS q (` + cubeColumns + `)
` + peopleCubeSQL("signed_people", "true") + `
    ON CONFLICT (programme_id, year, region_id, province_id, category, sex) DO UPDATE
   SET people = q.people + excluded.people, enrolled = q.enrolled + excluded.enrolled,
       trained = q.trained + excluded.trained, completed = q.completed + excluded.completed,
       attended_marks = q.attended_marks + excluded.attended_marks, marks = q.marks + excluded.marks`},
	{"move the associations' cube", `WITH ` + journalSQL("$1") + `
INSERT INTO totals_assoc_cube AS q (` + assocCubeColumns + `)
` + associationsCubeSQL("signed_assocs", inMovedRollups) + `
    ON CONFLICT (programme_id, year, region_id, province_id, category, sex) DO UPDATE
   SET associations = q.associations + excluded.associations, enrolled = q.enrolled + excluded.enrolled,
       trained = q.trained + excluded.trained`},
	{"forget the touched association cells", `WITH ` + journalSQL("$1") + `
DELETE FROM totals_assoc_cells a USING touched k
 WHERE (` + prefixed("a", assocCellKey) + `) = (` + prefixed("k", assocCellKey) + `)`},
	{"store them recounted", `WITH ` + journalSQL("$1") + `
INSERT INTO totals_assoc_cells (` + assocCellColumns + `)
SELECT ` + assocCellColumns + ` FROM recounted`},
	{"forget the people's stored cells", `DELETE FROM totals_person_cells WHERE trainee_id = ANY ($1)`},
	{"store their fresh cells", `INSERT INTO totals_person_cells (` + personCellColumns + `)
` + personBaseSQL("e.trainee_id = ANY ($1)")},
}

// takeJournalSQL deletes up to $1 journal rows and answers how many, and
// whose (a person noted by two transactions is folded once).
const takeJournalSQL = `
WITH taken AS (
    DELETE FROM totals_pending
     WHERE (xid, trainee_id) IN (SELECT xid, trainee_id FROM totals_pending LIMIT $1)
    RETURNING trainee_id)
SELECT count(*) AS taken, coalesce(array_agg(DISTINCT trainee_id), '{}') AS persons FROM taken`

// FoldTotals folds the journal into the cubes until nothing is left that
// was committed when it started, and answers how many journal rows it took.
// One folder at a time, across instances: a second waits for the first,
// then folds what is left.
func (s *Store) FoldTotals(ctx context.Context) (int, error) {
	folded := 0
	for {
		n, err := s.foldOnce(ctx, foldBatch)
		folded += n
		if err != nil {
			return folded, fmt.Errorf("fold the totals journal: %w", err)
		}
		if n < foldBatch {
			return folded, nil
		}
	}
}

// foldOnce folds one batch (up to batch rows) of the journal in one
// repeatable-read transaction, and answers how many journal rows it took.
//
// Why it is exact without locking the writers: the rows it takes and the
// records it reads are of one snapshot. A change committed before it is in
// both (or its row is left for the next batch, which reads it again: a
// fold of an unchanged person moves nothing); a change committed after it
// left a row this fold cannot see. Only the folder writes the cells and the
// cubes, so the stored cells are always what the cubes were built from.
//
// The lock is taken before the transaction begins: its snapshot is then
// taken after the previous fold's commit (a lock taken inside a
// repeatable-read transaction would come after its snapshot).
func (s *Store) foldOnce(ctx context.Context, batch int) (int, error) {
	var pending bool
	if err := s.db.GetContext(ctx, &pending, `SELECT EXISTS (SELECT 1 FROM totals_pending)`); err != nil || !pending {
		return 0, mapError(err) // an idle tick costs this one statement
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return 0, mapError(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, foldLock); err != nil {
		return 0, mapError(fmt.Errorf("lock: %w", err))
	}
	defer unlockFold(conn)
	tx, err := conn.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return 0, mapError(fmt.Errorf("begin: %w", err))
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	var taken struct {
		Taken   int           `db:"taken"`
		Persons pq.Int64Array `db:"persons"`
	}
	if err := tx.GetContext(ctx, &taken, takeJournalSQL, batch); err != nil {
		return 0, mapError(fmt.Errorf("take the journal: %w", err))
	}
	if len(taken.Persons) > 0 {
		for _, step := range foldSteps {
			if _, err := tx.ExecContext(ctx, step.query, taken.Persons); err != nil {
				return 0, mapError(fmt.Errorf("%s: %w", step.name, err))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, mapError(fmt.Errorf("commit: %w", err))
	}
	return taken.Taken, nil
}

// unlockFold releases the folder's lock, whatever became of the fold's
// context; a connection that cannot say it did is closed rather than
// returned to the pool still holding it.
func unlockFold(conn *sqlx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, foldLock); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// rebuildSteps recompute the course counters, the cells and the cubes from
// the records, in the caller's transaction.
var rebuildSteps = []struct{ name, query string }{
	// Under the folder's lock, with the journal it sees emptied first: what
	// is committed after that stays noted for a fold.
	{"lock", `SELECT pg_advisory_xact_lock(` + fmt.Sprint(foldLock) + `)`},
	{"course counters", `
UPDATE courses c
   SET session_count = coalesce(s.n, 0), sessions_held = coalesce(s.held, 0), held_hours = coalesce(s.hours, 0)
  FROM courses c2
  LEFT JOIN (SELECT course_id, count(*) AS n, count(*) FILTER (WHERE has_marks) AS held,
                    sum(hours) FILTER (WHERE has_marks) AS hours
               FROM sessions GROUP BY course_id) s ON s.course_id = c2.id
 WHERE c.id = c2.id
   AND (c.session_count, c.sessions_held, c.held_hours) IS DISTINCT FROM (coalesce(s.n, 0), coalesce(s.held, 0), coalesce(s.hours, 0))`},
	{"empty the journal", `DELETE FROM totals_pending`},
	{"empty the cells and cubes", `TRUNCATE totals_person_cells, totals_cube, totals_assoc_cells, totals_assoc_cube`},
	{"people's cells", `INSERT INTO totals_person_cells (` + personCellColumns + `)
` + personBaseSQL("true")},
	{"people's cube", `INSERT INTO totals_cube (` + cubeColumns + `)
` + peopleCubeSQL(`(SELECT 1 AS sign, `+personCellColumns+` FROM totals_person_cells)`, "true")},
	{"association cells", `INSERT INTO totals_assoc_cells (` + assocCellColumns + `)
` + assocCellsOf("totals_person_cells")},
	{"associations' cube", `INSERT INTO totals_assoc_cube (` + assocCubeColumns + `)
` + associationsCubeSQL(`(SELECT 1 AS sign, `+assocCellColumns+` FROM totals_assoc_cells)`, "true")},
	// The fold's plans (index lookups by person and association cell)
	// depend on these statistics; right after a bulk load autovacuum has
	// not seen the tables yet.
	{"statistics", `ANALYZE totals_person_cells, totals_cube, totals_assoc_cells, totals_assoc_cube`},
}

// RecomputeTotalsCube rebuilds the per-course session counters, the
// people's and associations' cells and both cubes from the records,
// set-based, in tx. For bulk loads that disabled the totals triggers (see
// TotalsTriggers) and for repairs.
func RecomputeTotalsCube(ctx context.Context, tx *sqlx.Tx) error {
	// A bulk rebuild's aggregates get more memory, for its duration only.
	var workMem string
	if err := tx.GetContext(ctx, &workMem, `SELECT current_setting('work_mem')`); err != nil {
		return fmt.Errorf("recompute totals cube: %w", mapError(err))
	}
	steps := append(append([]struct{ name, query string }{{"work_mem", `SET LOCAL work_mem = '128MB'`}}, rebuildSteps...),
		struct{ name, query string }{"work_mem", `SET LOCAL work_mem = ` + pq.QuoteLiteral(workMem)})
	for _, step := range steps {
		if _, err := tx.ExecContext(ctx, step.query); err != nil {
			return fmt.Errorf("recompute totals cube: %s: %w", step.name, mapError(err))
		}
	}
	return nil
}

// TotalsTriggers are the triggers that keep the cube and the course
// counters in step, as "table trigger" pairs, for a bulk loader to disable
// in its transaction before RecomputeTotalsCube.
var TotalsTriggers = [][2]string{
	{"sessions", "courses_keep_session_counts"},
	{"enrollments", "totals_note_enrollment"},
	{"courses", "totals_note_course"},
	{"provinces", "totals_note_province"},
	{"trainees", "totals_note_trainee"},
}

// setTotalsTriggers enables or disables TotalsTriggers in tx.
func setTotalsTriggers(ctx context.Context, tx *sqlx.Tx, enable bool) error {
	verb := "DISABLE"
	if enable {
		verb = "ENABLE"
	}
	for _, tt := range TotalsTriggers {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s %s TRIGGER %s`, tt[0], verb, tt[1])); err != nil {
			return fmt.Errorf("%s totals triggers: %w", verb, err)
		}
	}
	return nil
}
