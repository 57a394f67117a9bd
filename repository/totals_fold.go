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
//   - The folder (FoldTotals; the server runs it every 50 ms) is the only
//     writer of the cells and the cubes: it takes a batch of the journal and
//     moves the cubes by rollup(fresh cells) − rollup(stored cells).
//   - A read (totals_cube.go) adds that same move, for the people still in
//     the journal, to the cube rows, in one snapshot: it writes nothing and
//     waits for nobody, and it is exact as of its start.
//   - RecomputeTotalsCube rebuilds everything from the records (bulk loads).
//
// The statements are composed from the fragments below: one definition of
// a person's base cells, of an association's cells, and of the cells whose
// counting is what the journal's people move. The counting itself (the
// roll-ups) is Go, in totals_rollup.go.

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

// enrollmentCompletedSQL is the completion rule (domain/totals.go,
// "Completed") on one enrolment e of course c: its present or late marks
// reach the course's threshold of its sessions not cancelled (the counters
// migrations 00003, 00005 and 00016 keep). The totals' base cells and the
// certificates (certificates.go) both use this one fragment.
const enrollmentCompletedSQL = `(c.session_count > 0 AND e.attended_count * 100 >= c.completion_threshold * c.session_count)`

// personBaseSQL is the people's base cells, computed from the records: one
// row per person, course cell (programme, year, province), category and
// association they have an enrolment in, with the flags OR-ed over the
// cell's enrolments (enrolled: one not withdrawn; trained: one with a
// present or late mark; completed: one reaching its course's threshold)
// and their marks summed. Category and association are the enrolment's
// (what the person was when enrolled, migration 00014), sex the person's.
// who is a condition on e.trainee_id. (The grouping is by association_id,
// output column 8, not by the organisation: two enrolments of one cell at
// two institutions are one cell of no association.)
func personBaseSQL(who string) string {
	return `SELECT e.trainee_id, c.programme_id, c.year, pv.region_id, c.province_id, e.category, t.sex,
           CASE WHEN e.organisation_kind = 'association' THEN e.organisation_id ELSE 0 END AS association_id,
           bool_or(e.status <> 'withdrawn') AS enrolled,
           bool_or(e.attended_count > 0) AS trained,
           bool_or(` + enrollmentCompletedSQL + `) AS completed,
           sum(e.attended_count)::int AS attended_marks, sum(e.marks_count)::int AS marks
      FROM enrollments e
      JOIN courses c ON c.id = e.course_id
      JOIN provinces pv ON pv.id = c.province_id
      JOIN trainees t ON t.id = e.trainee_id
     WHERE ` + who + `
     GROUP BY e.trainee_id, c.programme_id, c.year, pv.region_id, c.province_id, e.category, t.sex, 8`
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

// journalSQL is the WITH list of every statement about some people of the
// journal (persons: an SQL expression for their ids, a bigint[]). A
// statement evaluates only the parts it uses:
//
//	fresh          their base cells now, from the records;
//	stored         their cells as the cubes count them;
//	signed_people  both, +1 and −1: counting them is their move;
//	moved_members  the association members' cells among them that
//	               appeared, went or changed flags;
//	touched        the association cells those belong to;
//	recounted      those association cells now: present (some member
//	               left), enrolled, trained; counted from their stored
//	               members (an index lookup per cell; "association_id <> 0"
//	               lets it use the partial index), less the journal's
//	               people as stored, plus them as they are now;
//	kept           those association cells as stored;
//	changed        the associations where one of them appeared, went or
//	               changed flags (an array), and changed_cells their cells;
//	signed_assocs  every cell of those associations as stored (−1), and
//	               their touched cells as recounted (+1; present or gone):
//	               journalCells.split makes them the cells before and after.
//
// The journal's people are few next to the tables, and their number is
// not known when the statement is planned: every step is a scan of a few
// rows, an index lookup per row, or a set operation (UNION, EXCEPT, GROUP
// BY), never a join of two such results that a wrong estimate could turn
// into a nested loop over both.
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
recounted AS MATERIALIZED (
    SELECT ` + assocCellKey + `, sum(n) > 0 AS present,
           sum(n * enrolled::int) > 0 AS enrolled, sum(n * trained::int) > 0 AS trained
      FROM (SELECT ` + prefixed("k", assocCellKey) + `, 1 AS n, m.enrolled, m.trained, false AS mark
              FROM touched k CROSS JOIN LATERAL (
                   SELECT enrolled, trained FROM totals_person_cells pc
                    WHERE pc.association_id <> 0
                      AND (` + prefixed("pc", assocCellKey) + `) = (` + prefixed("k", assocCellKey) + `)) m
            UNION ALL
            SELECT ` + assocCellKey + `, -1, enrolled, trained, false FROM stored WHERE association_id <> 0
            UNION ALL
            SELECT ` + assocCellKey + `, 1, enrolled, trained, false FROM fresh WHERE association_id <> 0
            UNION ALL
            SELECT ` + assocCellKey + `, 0, false, false, true FROM touched) c
     GROUP BY ` + assocCellKey + `
    HAVING bool_or(mark)),
kept AS MATERIALIZED (
    SELECT ` + prefixed("a", assocCellColumns) + `
      FROM touched k CROSS JOIN LATERAL (
           SELECT ` + assocCellColumns + ` FROM totals_assoc_cells a
            WHERE (` + prefixed("a", assocCellKey) + `) = (` + prefixed("k", assocCellKey) + `)) a),
changed AS MATERIALIZED (
    SELECT coalesce(array_agg(DISTINCT association_id), '{}') AS associations
      FROM ((SELECT ` + assocCellColumns + ` FROM recounted WHERE present EXCEPT SELECT ` + assocCellColumns + ` FROM kept)
            UNION ALL
            (SELECT ` + assocCellColumns + ` FROM kept EXCEPT SELECT ` + assocCellColumns + ` FROM recounted WHERE present)) d),
changed_cells AS MATERIALIZED (
    SELECT ` + assocCellColumns + ` FROM totals_assoc_cells
     WHERE association_id = ANY ((SELECT associations FROM changed)::bigint[])),
signed_assocs AS (
    SELECT -1 AS sign, ` + assocCellColumns + `, true AS present FROM changed_cells
    UNION ALL
    SELECT 1, ` + assocCellColumns + `, present FROM recounted
     WHERE association_id = ANY ((SELECT associations FROM changed)::bigint[]))`
}

// prefixed qualifies each column of a list with alias.
func prefixed(alias, columns string) string {
	return alias + "." + strings.ReplaceAll(columns, ", ", ", "+alias+".")
}

// journalCellsSQL reads, for some people of the journal (see journalSQL),
// the cells whose counting is their move: the people's (kind 'p') and
// their associations' ('a'), sorted by person or association
// (peopleCube.addPeople, assocCube.addAssociations).
func journalCellsSQL(with string) string {
	return `WITH ` + with + `
SELECT 'p' AS kind, sign, trainee_id AS id, programme_id, year, region_id, province_id, category, sex,
       association_id, enrolled, trained, completed, attended_marks, marks, true AS present
  FROM signed_people
 UNION ALL
SELECT 'a', sign, association_id, programme_id, year, region_id, province_id, category, sex,
       association_id, enrolled, trained, false, 0, 0, present
  FROM signed_assocs
 ORDER BY kind DESC, id, sign`
}

// A fold's statements. The move is stored in one statement (one round
// trip while the cores are busy): the cubes moved, and the cells that
// went, came or changed; a row that changed is updated, so that no row is
// both deleted and inserted by it.
var (
	takeJournal = foldStep{"take the journal", `
WITH taken AS (
    DELETE FROM totals_pending
     WHERE (xid, trainee_id) IN (SELECT xid, trainee_id FROM totals_pending LIMIT $1)
    RETURNING trainee_id)
SELECT count(*) AS taken, coalesce(array_agg(DISTINCT trainee_id), '{}') AS persons FROM taken`}
	readCells = foldStep{"read the people's and their associations' cells", journalCellsSQL(journalSQL("$1"))}
	storeMove = foldStep{"store the move", `
WITH people AS (
    INSERT INTO totals_cube AS q (` + cubeColumns + `)
    SELECT ` + cubeColumns + ` FROM jsonb_to_recordset($1::jsonb) AS m ` + peopleRecord + `
        ON CONFLICT (programme_id, year, region_id, province_id, category, sex) DO UPDATE
       SET people = q.people + excluded.people, enrolled = q.enrolled + excluded.enrolled,
           trained = q.trained + excluded.trained, completed = q.completed + excluded.completed,
           attended_marks = q.attended_marks + excluded.attended_marks, marks = q.marks + excluded.marks),
associations AS (
    INSERT INTO totals_assoc_cube AS q (` + assocCubeColumns + `)
    SELECT ` + assocCubeColumns + ` FROM jsonb_to_recordset($2::jsonb) AS m ` + assocRecord + `
        ON CONFLICT (programme_id, year, region_id, province_id, category, sex) DO UPDATE
       SET associations = q.associations + excluded.associations, enrolled = q.enrolled + excluded.enrolled,
           trained = q.trained + excluded.trained),
association_cells_gone AS (
    DELETE FROM totals_assoc_cells a USING jsonb_to_recordset($3::jsonb) AS m ` + cellRecord + `
     WHERE (a.association_id, a.programme_id, a.year, a.region_id, a.province_id, a.category, a.sex)
         = (m.id, m.programme_id, m.year, m.region_id, m.province_id, m.category, m.sex)),
association_cells_now AS (
    INSERT INTO totals_assoc_cells AS a (` + assocCellColumns + `)
    SELECT id, programme_id, year, region_id, province_id, category, sex, enrolled, trained
      FROM jsonb_to_recordset($4::jsonb) AS m ` + cellRecord + `
        ON CONFLICT (association_id, programme_id, year, region_id, province_id, category, sex) DO UPDATE
       SET enrolled = excluded.enrolled, trained = excluded.trained),
person_cells_gone AS (
    DELETE FROM totals_person_cells p USING jsonb_to_recordset($5::jsonb) AS m ` + cellRecord + `
     WHERE (p.trainee_id, p.programme_id, p.year, p.province_id, p.category, p.association_id)
         = (m.id, m.programme_id, m.year, m.province_id, m.category, m.association_id))
INSERT INTO totals_person_cells AS p (` + personCellColumns + `)
SELECT id, programme_id, year, region_id, province_id, category, sex, association_id, enrolled, trained, completed, attended_marks, marks
  FROM jsonb_to_recordset($6::jsonb) AS m ` + cellRecord + `
    ON CONFLICT (trainee_id, programme_id, year, province_id, category, association_id) DO UPDATE
   SET region_id = excluded.region_id, sex = excluded.sex, enrolled = excluded.enrolled, trained = excluded.trained,
       completed = excluded.completed, attended_marks = excluded.attended_marks, marks = excluded.marks`}
)

// foldStep is one named statement of the fold.
type foldStep struct{ name, query string }

// foldSteps are prepared together, before a fold takes its connection.
var foldSteps = []foldStep{takeJournal, readCells, storeMove}

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
	for _, step := range foldSteps {
		if _, err := s.statement(ctx, step.query); err != nil {
			return 0, fmt.Errorf("%s: %w", step.name, err)
		}
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
	f := &fold{s: s, ctx: ctx, tx: tx}
	if err := f.run(batch); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, mapError(fmt.Errorf("commit: %w", err))
	}
	return f.taken, nil
}

// fold carries one batch of the journal through its steps.
type fold struct {
	s       *Store
	ctx     context.Context
	tx      *sqlx.Tx
	taken   int // journal rows
	persons pq.Int64Array
}

func (f *fold) run(batch int) error {
	// Generic plans: the plans (index lookups by person and association
	// cell) do not depend on the batch, and planning them anew at every
	// fold cost more than running them.
	if _, err := f.tx.ExecContext(f.ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
		return mapError(err)
	}
	var taken struct {
		Taken   int           `db:"taken"`
		Persons pq.Int64Array `db:"persons"`
	}
	if err := f.get(takeJournal, &taken, batch); err != nil {
		return err
	}
	f.taken, f.persons = taken.Taken, taken.Persons
	if len(f.persons) == 0 {
		return nil
	}
	var j journalCells
	if err := f.s.preparedOf(readCells).selectIn(f.ctx, f.tx, &j.rows, f.persons); err != nil {
		return fmt.Errorf("%s: %w", readCells.name, err)
	}
	people, assocs := j.split()
	counted := peopleCube{}
	counted.addPeople(people, nil)
	peopleRows, err := counted.json()
	if err != nil {
		return err
	}
	countedAssocs := assocCube{}
	countedAssocs.addAssociations(assocs, nil)
	assocRows, err := countedAssocs.json()
	if err != nil {
		return err
	}
	// The cells are stored as they were counted: the stored cells are
	// always what the cubes were built from. Only those that differ.
	type personKey struct { // totals_person_cells' primary key
		trainee, programme int64
		year               int16
		province           int64
		category           attribute
		association        int64
	}
	personGone, personNow := changes(people, func(c cell) personKey {
		return personKey{c.ID, c.Programme, c.Year, c.Province, c.Category, c.AssociationID}
	})
	type assocKey struct { // totals_assoc_cells' primary key
		association int64
		cubeKey
	}
	assocGone, assocNow := changes(assocs, func(c cell) assocKey {
		return assocKey{c.ID, cubeKey{cubeCell: c.cubeCell, Category: c.Category, Sex: c.Sex}}
	})
	args := []any{peopleRows, assocRows}
	for _, cells := range [][]cell{assocGone, assocNow, personGone, personNow} {
		rows, err := cellsJSON(cells)
		if err != nil {
			return err
		}
		args = append(args, rows)
	}
	return f.exec(storeMove, args...)
}

func (f *fold) get(step foldStep, dest any, args ...any) error {
	if err := f.s.preparedOf(step).getIn(f.ctx, f.tx, dest, args...); err != nil {
		return fmt.Errorf("%s: %w", step.name, err)
	}
	return nil
}

func (f *fold) exec(step foldStep, args ...any) error {
	if err := f.s.preparedOf(step).execIn(f.ctx, f.tx, args...); err != nil {
		return fmt.Errorf("%s: %w", step.name, err)
	}
	return nil
}

// preparedOf is a fold step's statement, prepared by foldOnce beforehand.
func (s *Store) preparedOf(step foldStep) *preparedQuery {
	p, _ := s.prepared.Load(step.query)
	return p.(*preparedQuery)
}

// changes parts signed cells (−1: as stored, +1: as they are now) into
// what to store: now, the cells counted in that were not stored as they
// are; gone, the stored cells whose key (key) is not among them. Both are
// returned with sign +1.
func changes[K comparable](cells []cell, key func(cell) K) (gone, now []cell) {
	counted := map[cell]int{}
	for _, c := range cells {
		sign := c.Sign
		c.Sign = 1
		counted[c] += sign
	}
	kept := map[K]bool{}
	for c, n := range counted {
		if n > 0 {
			now = append(now, c)
			kept[key(c)] = true
		}
	}
	for c, n := range counted {
		if n < 0 && !kept[key(c)] {
			gone = append(gone, c)
		}
	}
	return gone, now
}

// journalCells are the rows of journalCellsSQL.
type journalCells struct{ rows []journalRow }

// journalRow is a cell of a person ("p") or an association ("a").
type journalRow struct {
	Kind string `db:"kind"`
	cell
}

// split parts the people's cells (sorted by person, then sign) from their
// associations', which it makes the cells before (−1, as stored) and after
// (+1: as stored, the touched ones as recounted), sorted the same way.
func (j journalCells) split() (people, assocs []cell) {
	var rows []cell
	for _, r := range j.rows {
		if r.Kind == "p" {
			people = append(people, r.cell)
		} else {
			rows = append(rows, r.cell)
		}
	}
	eachRun(rows, func(a, b cell) bool { return a.ID == b.ID }, func(run []cell) {
		recounted := map[cubeKey]cell{}
		for _, c := range run {
			if c.Sign > 0 {
				recounted[c.key()] = c
			}
		}
		for _, c := range run { // before: as stored
			if c.Sign < 0 {
				assocs = append(assocs, c)
			}
		}
		for _, c := range run { // after: as stored where not touched
			if _, touched := recounted[c.key()]; c.Sign < 0 && !touched {
				c.Sign = 1
				assocs = append(assocs, c)
			}
		}
		for _, c := range run { // and as recounted where touched, if a member is left
			if c.Sign > 0 && c.Present {
				assocs = append(assocs, c)
			}
		}
	})
	return people, assocs
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

// RecomputeTotalsCube rebuilds the per-course session counters, the
// people's and associations' cells and both cubes from the records, in tx:
// set-based, then every cell counted once. For bulk loads that disabled the
// totals triggers (see TotalsTriggers) and for repairs. It holds the
// folder's lock, and empties the journal it sees first: what is committed
// after that stays noted for a fold.
func RecomputeTotalsCube(ctx context.Context, tx *sqlx.Tx) error {
	if err := recomputeTotalsCube(ctx, tx); err != nil {
		return fmt.Errorf("recompute totals cube: %w", err)
	}
	return nil
}

func recomputeTotalsCube(ctx context.Context, tx *sqlx.Tx) error {
	exec := func(name, query string, args ...any) error {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("%s: %w", name, mapError(err))
		}
		return nil
	}
	if err := exec("lock", `SELECT pg_advisory_xact_lock($1)`, foldLock); err != nil {
		return err
	}
	// The national aggregates get more memory, for the rebuild only.
	var workMem string
	if err := tx.GetContext(ctx, &workMem, `SELECT current_setting('work_mem')`); err != nil {
		return mapError(err)
	}
	if err := exec("work_mem", `SELECT set_config('work_mem', '128MB', true)`); err != nil {
		return err
	}
	defer func() { _, _ = tx.ExecContext(ctx, `SELECT set_config('work_mem', $1, true)`, workMem) }()
	// The course figures' sums are the rebuild's from here (it recounts
	// them): a writer that would change them (a session held, a course
	// moved) waits for it, before it can hold a row of them that the
	// counters' recount below would then wait for; an enrolment, which
	// changes none (the trigger's WHEN), does not wait. Readers wait
	// anyway, for the cubes emptied below.
	if err := exec("course figures lock", `LOCK TABLE totals_courses IN ACCESS EXCLUSIVE MODE`); err != nil {
		return err
	}
	if err := exec("course counters", recountCourseCountersSQL); err != nil {
		return err
	}
	if err := exec("course figures", recountCourseFiguresSQL); err != nil {
		return err
	}
	if err := exec("empty the journal", `DELETE FROM totals_pending`); err != nil {
		return err
	}
	if err := exec("empty the cells and cubes", `TRUNCATE totals_person_cells, totals_cube, totals_assoc_cells, totals_assoc_cube`); err != nil {
		return err
	}
	if err := exec("people's cells", `INSERT INTO totals_person_cells (`+personCellColumns+`)
`+personBaseSQL("true")); err != nil {
		return err
	}
	people := peopleCube{}
	const personCells = `SELECT 1 AS sign, trainee_id AS id, programme_id, year, region_id, province_id, category, sex,
	       enrolled, trained, completed, attended_marks, marks
	  FROM totals_person_cells ORDER BY trainee_id`
	if err := eachRunOf(ctx, tx, personCells, func(run []cell) { people.addPerson(run, nil) }); err != nil {
		return fmt.Errorf("people's cube: %w", err)
	}
	rows, err := people.json()
	if err != nil {
		return err
	}
	if err := exec("people's cube", `INSERT INTO totals_cube (`+cubeColumns+`)
SELECT `+cubeColumns+` FROM jsonb_to_recordset($1::jsonb) AS m `+peopleRecord, rows); err != nil {
		return err
	}
	if err := exec("association cells", `INSERT INTO totals_assoc_cells (`+assocCellColumns+`)
`+assocCellsOf("totals_person_cells")); err != nil {
		return err
	}
	assocs := assocCube{}
	const assocCells = `SELECT 1 AS sign, association_id AS id, programme_id, year, region_id, province_id, category, sex,
	       enrolled, trained, false AS completed, 0 AS attended_marks, 0 AS marks
	  FROM totals_assoc_cells ORDER BY association_id`
	if err := eachRunOf(ctx, tx, assocCells, func(run []cell) { assocs.addAssociation(1, run, nil) }); err != nil {
		return fmt.Errorf("associations' cube: %w", err)
	}
	if rows, err = assocs.json(); err != nil {
		return err
	}
	if err := exec("associations' cube", `INSERT INTO totals_assoc_cube (`+assocCubeColumns+`)
SELECT `+assocCubeColumns+` FROM jsonb_to_recordset($1::jsonb) AS m `+assocRecord, rows); err != nil {
		return err
	}
	// The fold's plans (index lookups by person and association cell)
	// depend on these statistics; right after a bulk load autovacuum has
	// not seen the tables yet.
	return exec("statistics", `ANALYZE totals_person_cells, totals_cube, totals_assoc_cells, totals_assoc_cube`)
}

// recountCourseCountersSQL recomputes the per-course session counters that
// courses_keep_session_counts keeps, where they are wrong: sessions not
// cancelled only (migration 00016).
const recountCourseCountersSQL = `
UPDATE courses c
   SET session_count = coalesce(s.n, 0), sessions_held = coalesce(s.held, 0), held_hours = coalesce(s.hours, 0)
  FROM courses c2
  LEFT JOIN (SELECT course_id, count(*) AS n, count(*) FILTER (WHERE has_marks) AS held,
                    sum(hours) FILTER (WHERE has_marks) AS hours
               FROM sessions WHERE cancelled_at IS NULL GROUP BY course_id) s ON s.course_id = c2.id
 WHERE c.id = c2.id
   AND (c.session_count, c.sessions_held, c.held_hours) IS DISTINCT FROM (coalesce(s.n, 0), coalesce(s.held, 0), coalesce(s.hours, 0))`

// recountCourseFiguresSQL recomputes the course figures summed per
// programme, year and province (migration 00039), the table locked.
const recountCourseFiguresSQL = `
TRUNCATE totals_courses;
INSERT INTO totals_courses (programme_id, year, province_id, courses, sessions_held, held_hours)
SELECT programme_id, year, province_id, count(*), sum(sessions_held), sum(held_hours)
  FROM courses GROUP BY programme_id, year, province_id`

// eachRunOf streams the cells of query, sorted by person or association,
// and hands fn the cells of each in turn.
func eachRunOf(ctx context.Context, tx *sqlx.Tx, query string, fn func([]cell)) error {
	rows, err := tx.QueryxContext(ctx, query)
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	var run []cell
	for rows.Next() {
		var c cell
		if err := rows.StructScan(&c); err != nil {
			return err
		}
		if len(run) > 0 && !sameSide(run[0], c) {
			fn(run)
			run = run[:0]
		}
		run = append(run, c)
	}
	if err := rows.Err(); err != nil {
		return mapError(err)
	}
	if len(run) > 0 {
		fn(run)
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
