package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// The totals cube holds, per place/time cell (programme, year, region,
// province; 0 = all), category and sex, how many distinct people are
// enrolled / trained / completed there, and the association cube how many
// distinct associations have a member enrolled / trained. The folder keeps
// them (totals_fold.go); a read sums a few rows per figure, whatever the
// number of people, plus what the journal's people still move.

// totalsFromCube answers a filter without a course from the cubes and the
// journal, in tx's snapshot: the cube rows plus, for the people the journal
// still holds, what their change moves (their cells now counted in, as
// stored counted out, and the same for their associations: the fold's own
// counting), counted only where this read looks.
// The figures are those of the records as of the snapshot; nothing is
// written and no lock is taken, so a read on a hot standby works too.
//
// Three statements in all (scope and course figures, the journal's cells,
// the cubes): while trainers enrol, each round trip waits for the busy
// cores. The last two are prepared: PostgreSQL then plans them once per
// connection (the journal's has no parameter; the cube's settles on a
// generic plan after five runs), and planning took longer than running.
func totalsFromCube(ctx context.Context, tx *sqlx.Tx, st cubeStatements, f domain.TotalsFilter) (*domain.Totals, error) {
	t := &domain.Totals{Filters: f}
	sc, err := scopeAndCourseFigures(ctx, tx, f, t)
	if err != nil {
		return nil, err
	}
	cell := sc.cubeCell()
	var j journalCells
	if err := st.journal.selectIn(ctx, tx, &j.rows); err != nil {
		return nil, fmt.Errorf("totals (journal): %w", err)
	}
	people, assocs := j.split()
	moved, movedAssocs := peopleCube{}, assocCube{}
	moved.addPeople(people, sc.readsPeople(cell))
	movedAssocs.addAssociations(assocs, sc.readsAssociations(cell))
	peopleMoved, err := moved.json(nil)
	if err != nil {
		return nil, err
	}
	assocsMoved, err := movedAssocs.json(nil)
	if err != nil {
		return nil, err
	}
	var rows []peopleRow
	err = st.cube.selectIn(ctx, tx, &rows, cell.Programme, cell.Year, cell.Region, cell.Province, sc.Sex, sc.Category, peopleMoved, assocsMoved)
	if err != nil {
		return nil, fmt.Errorf("totals (cube): %w", err)
	}
	fileRows(rows, t)
	return t, nil
}

// readsPeople and readsAssociations say which rows of each cube a read of
// cell looks at (cubeSQL): the others need not be counted from the journal.
func (sc totalsScope) readsPeople(cell cubeCell) func(cubeKey) bool {
	return func(k cubeKey) bool {
		return cell.readBy(k.cubeCell) && (sc.Sex == nil || k.Sex == *sc.Sex) && (sc.Category == nil || k.Category == *sc.Category)
	}
}

func (sc totalsScope) readsAssociations(cell cubeCell) func(cubeKey) bool {
	category := ""
	if sc.Category != nil {
		category = *sc.Category
	}
	return func(k cubeKey) bool {
		return cell.readBy(k.cubeCell) && k.Category == category && (sc.Sex == nil || k.Sex == *sc.Sex)
	}
}

// cubeStatements are a cube read's statements, prepared.
type cubeStatements struct{ journal, cube *preparedQuery }

// cubeStatements prepares them, before a transaction (see statement).
func (s *Store) cubeStatements(ctx context.Context) (st cubeStatements, err error) {
	for _, q := range []struct {
		dst   **preparedQuery
		query string
	}{{&st.journal, journalCellsSQL(readJournalSQL)}, {&st.cube, cubeSQL}} {
		if *q.dst, err = s.statement(ctx, q.query); err != nil {
			return st, fmt.Errorf("totals (cube): %w", err)
		}
	}
	return st, nil
}

// readJournalSQL is journalSQL for every person the read's snapshot sees
// in the journal. (The cast makes the persons an array expression:
// "ANY ((SELECT …))" would read as ANY over the subquery's rows.)
var readJournalSQL = `journal AS MATERIALIZED (
    SELECT coalesce(array_agg(DISTINCT trainee_id), '{}') AS persons FROM totals_pending),
` + journalSQL("(SELECT persons FROM journal)::bigint[]")

// getIn runs the prepared single-row query in tx (prepared on tx's
// connection the first time that connection runs it).
func (p *preparedQuery) getIn(ctx context.Context, tx *sqlx.Tx, dest any, args ...any) error {
	return mapError(tx.StmtxContext(ctx, p.stmt).GetContext(ctx, dest, args...))
}

// selectIn runs the prepared query in tx and scans every row into dest.
func (p *preparedQuery) selectIn(ctx context.Context, tx *sqlx.Tx, dest any, args ...any) error {
	return mapError(tx.StmtxContext(ctx, p.stmt).SelectContext(ctx, dest, args...))
}

// execIn runs the prepared statement in tx.
func (p *preparedQuery) execIn(ctx context.Context, tx *sqlx.Tx, args ...any) error {
	_, err := tx.StmtxContext(ctx, p.stmt).ExecContext(ctx, args...)
	return mapError(err)
}

// scopeAndCourseFigures resolves the filter (as resolveScope does) and
// counts courses, sessions held and hours from the per-course counters the
// sessions trigger keeps, in one round trip. Courses are few: a national
// sum reads an index of 20,000 entries (courses_figures), not 200,000
// sessions.
func scopeAndCourseFigures(ctx context.Context, tx *sqlx.Tx, f domain.TotalsFilter, t *domain.Totals) (totalsScope, error) {
	const q = `WITH scope AS (` + scopeSQL + `)
SELECT s.programme_id, s.region_id, s.province_id, s.province_region_id, s.course_id,
       n.courses, n.sessions_held, n.training_hours
  FROM scope s CROSS JOIN LATERAL (
       SELECT count(*) AS courses, coalesce(sum(c.sessions_held), 0) AS sessions_held,
              coalesce(sum(c.held_hours), 0)::float8 AS training_hours
         FROM courses c
        WHERE ($1 = '' OR c.programme_id = s.programme_id)
          AND ($5::int = 0 OR c.year = $5)
          AND ($2 = '' OR c.province_id IN (SELECT id FROM provinces WHERE region_id = s.region_id))
          AND ($3 = '' OR c.province_id = s.province_id)) n`
	var row struct {
		totalsScope
		Courses       int     `db:"courses"`
		SessionsHeld  int     `db:"sessions_held"`
		TrainingHours float64 `db:"training_hours"`
	}
	if err := getOne(ctx, tx, &row, q, f.Programme, f.Region, f.Province, f.Course, f.Year); err != nil {
		return row.totalsScope, fmt.Errorf("totals (courses): %w", err)
	}
	t.Courses, t.SessionsHeld, t.TrainingHours = row.Courses, row.SessionsHeld, row.TrainingHours
	return row.totalsScope, row.totalsScope.complete(f)
}

// cubeCell is the filter as a cube cell: 0 for "all"; a province fixes its
// region (unless the filter names a region: then both must hold, and a
// province outside it matches no cell, hence zeros, as the records give).
func (sc totalsScope) cubeCell() (c cubeCell) {
	if sc.ProgrammeID != nil {
		c.Programme = *sc.ProgrammeID
	}
	if sc.Year != nil {
		c.Year = int16(*sc.Year)
	}
	if sc.ProvinceID != nil {
		c.Province = *sc.ProvinceID
	}
	switch {
	case sc.RegionID != nil:
		c.Region = *sc.RegionID
	case sc.ProvinceRegionID != nil:
		c.Region = *sc.ProvinceRegionID
	}
	return c
}

// cubeSQL reads the same rows as peopleSQL from the cubes and what the
// journal moves. Parameters: the filter as a cube cell, $1 programme, $2
// year, $3 region, $4 province (0 = all), $5 sex, $6 category (NULL =
// any); $7 and $8 the rows the journal moves in the people's and the
// associations' cube (JSON, see peopleCube.json).
//
// Each breakdown fixes the three other place/time columns to the filter's
// cell and groups by its own column over the non-zero values. Rows appear,
// as in peopleSQL, only where somebody has an enrolment (people > 0,
// associations > 0). Category and sex are person attributes: the people
// rows are per category and sex and are summed; the association rows are
// read at the filter's category and sex (” = any member) since an
// association's members may differ in both.
var cubeSQL = `WITH people_moved AS MATERIALIZED (
    SELECT ` + cubeColumns + ` FROM jsonb_to_recordset($7::jsonb) AS m ` + peopleRecord + `),
associations_moved AS MATERIALIZED (
    SELECT ` + assocCubeColumns + ` FROM jsonb_to_recordset($8::jsonb) AS m ` + assocRecord + `),
counted AS (
    SELECT 'all' AS dimension, q.sex AS key, q.category,
           sum(q.enrolled) AS enrolled, sum(q.trained) AS trained, sum(q.completed) AS completed,
           sum(q.attended_marks)::bigint AS attended_marks, sum(q.marks)::bigint AS marks
      FROM ` + cubePeople + ` q WHERE q.programme_id = $1 AND q.year = $2 AND q.region_id = $3 AND q.province_id = $4` + cubePeopleFilter + `
     GROUP BY q.sex, q.category HAVING sum(q.people) > 0
    UNION ALL
    SELECT 'all', '', NULL, sum(q.enrolled), sum(q.trained), 0, 0, 0
      FROM ` + cubeAssociations + ` q WHERE q.programme_id = $1 AND q.year = $2 AND q.region_id = $3 AND q.province_id = $4
       AND q.category = coalesce($6::text, '') AND q.sex = coalesce($5::text, '')
    HAVING sum(q.associations) > 0
    UNION ALL
    SELECT 'sex', q.sex, NULL, sum(q.enrolled), sum(q.trained), 0, 0, 0
      FROM ` + cubeAssociations + ` q WHERE q.programme_id = $1 AND q.year = $2 AND q.region_id = $3 AND q.province_id = $4
       AND q.category = coalesce($6::text, '') AND q.sex <> '' AND ($5::text IS NULL OR q.sex = $5)
     GROUP BY q.sex HAVING sum(q.associations) > 0
` + cubeBreakdown("programme", "programme_id", "q.programme_id <> 0 AND ($1 = 0 OR q.programme_id = $1) AND q.year = $2 AND q.region_id = $3 AND q.province_id = $4") +
	cubeBreakdown("year", "year", "q.year <> 0 AND ($2 = 0 OR q.year = $2) AND q.programme_id = $1 AND q.region_id = $3 AND q.province_id = $4") +
	cubeBreakdown("region", "region_id", "q.programme_id = $1 AND q.year = $2 AND q.region_id <> 0 AND ($3 = 0 OR q.region_id = $3) AND q.province_id = $4") +
	cubeBreakdown("province", "province_id", "q.programme_id = $1 AND q.year = $2 AND q.province_id <> 0 AND ($4 = 0 OR q.province_id = $4) AND ($3 = 0 OR q.region_id = $3)") +
	labelledSQL

// cubePeople and cubeAssociations are the cubes' rows plus what the journal
// moves: the conditions of each branch reach into both (an index range on
// the cube).
const (
	cubePeople = `(SELECT ` + cubeColumns + ` FROM totals_cube
            UNION ALL SELECT ` + cubeColumns + ` FROM people_moved)`
	cubeAssociations = `(SELECT ` + assocCubeColumns + ` FROM totals_assoc_cube
            UNION ALL SELECT ` + assocCubeColumns + ` FROM associations_moved)`
)

// cubePeopleFilter applies the person filters to the people rows.
const cubePeopleFilter = `
       AND ($5::text IS NULL OR q.sex = $5) AND ($6::text IS NULL OR q.category = $6)`

// cubeBreakdown is one breakdown's people rows (per value and category)
// and association rows (per value). col and cell are constants.
func cubeBreakdown(dimension, col, cell string) string {
	return fmt.Sprintf(`    UNION ALL
    SELECT '%[1]s', q.%[2]s::text, q.category, sum(q.enrolled), sum(q.trained), sum(q.completed),
           sum(q.attended_marks)::bigint, sum(q.marks)::bigint
      FROM `+cubePeople+` q WHERE %[3]s`+cubePeopleFilter+`
     GROUP BY q.%[2]s, q.category HAVING sum(q.people) > 0
    UNION ALL
    SELECT '%[1]s', q.%[2]s::text, NULL, sum(q.enrolled), sum(q.trained), 0, 0, 0
      FROM `+cubeAssociations+` q WHERE %[3]s AND q.category = coalesce($6::text, '') AND q.sex = coalesce($5::text, '')
     GROUP BY q.%[2]s HAVING sum(q.associations) > 0
`, dimension, col, cell)
}
