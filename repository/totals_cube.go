package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// The totals cube (migrations/00005_totals_cube.sql) holds, per place/time
// cell (programme, year, region, province; 0 = all), category, sex and shard,
// how many distinct people are enrolled / trained / completed there, and how
// many distinct associations have a member enrolled / trained. Triggers note
// who changed in a journal committed with the change; the journal is folded
// into the cube in batches (migrations/00006_totals_journal.sql) by every
// read first and by the server in the background. Reading it is a sum over
// a few rows per figure, whatever the number of people.

// foldBatch is how many journal rows one fold takes: the people of a large
// import are folded in several short transactions, not one long one.
const foldBatch = 5000

// CatchUpTotals folds the totals journal into the cube until nothing is
// left that was committed when it started, and answers how many journal
// rows it folded. One fold runs at a time, across instances: a second
// waits for the first, then folds what is left.
func (s *Store) CatchUpTotals(ctx context.Context) (int, error) {
	folded := 0
	for {
		var n int
		if err := s.db.GetContext(ctx, &n, `SELECT totals_catch_up($1)`, foldBatch); err != nil {
			return folded, fmt.Errorf("fold the totals journal: %w", mapError(err))
		}
		folded += n
		if n < foldBatch {
			return folded, nil
		}
	}
}

// totalsFromCube answers a filter without a course from the cube, after
// folding the journal: the figures include every change committed before
// the request.
func (s *Store) totalsFromCube(ctx context.Context, f domain.TotalsFilter) (*domain.Totals, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if _, err := s.CatchUpTotals(ctx); err != nil {
		return nil, err
	}
	t := &domain.Totals{Filters: f}
	err := s.inReadSnapshot(ctx, func(tx *sqlx.Tx) error {
		sc, err := resolveScope(ctx, tx, f)
		if err != nil {
			return err
		}
		if err := courseFiguresFromCounters(ctx, tx, sc, t); err != nil {
			return err
		}
		p, y, r, v, err := cubeCell(ctx, tx, sc)
		if err != nil {
			return err
		}
		var rows []peopleRow
		if err := tx.SelectContext(ctx, &rows, cubeSQL, p, y, r, v, sc.Sex, sc.Category); err != nil {
			return fmt.Errorf("totals (cube): %w", mapError(err))
		}
		fileRows(rows, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// courseFiguresFromCounters counts courses, sessions held and hours from
// the per-course counters the sessions trigger keeps (courses are few: a
// national sum reads 20,000 rows, not 200,000 sessions).
func courseFiguresFromCounters(ctx context.Context, tx *sqlx.Tx, sc totalsScope, t *domain.Totals) error {
	const q = `
SELECT count(*) AS courses, coalesce(sum(c.sessions_held), 0) AS sessions_held,
       coalesce(sum(c.held_hours), 0)::float8 AS training_hours
  FROM courses c JOIN provinces p ON p.id = c.province_id
 WHERE ($1::bigint IS NULL OR c.programme_id = $1)
   AND ($2::int IS NULL OR c.year = $2)
   AND ($3::smallint IS NULL OR p.region_id = $3)
   AND ($4::bigint IS NULL OR c.province_id = $4)`
	var row struct {
		Courses       int     `db:"courses"`
		SessionsHeld  int     `db:"sessions_held"`
		TrainingHours float64 `db:"training_hours"`
	}
	if err := getOne(ctx, tx, &row, q, sc.ProgrammeID, sc.Year, sc.RegionID, sc.ProvinceID); err != nil {
		return fmt.Errorf("totals (courses): %w", err)
	}
	t.Courses, t.SessionsHeld, t.TrainingHours = row.Courses, row.SessionsHeld, row.TrainingHours
	return nil
}

// cubeSQL reads the same rows as peopleSQL from the cube. Parameters: the
// filter as a cube cell, $1 programme, $2 year, $3 region, $4 province (0 =
// all; a province filter fixes its region too, and a region filter that does
// not contain the province matches no cell, hence zeros, as the records query
// gives), $5 sex, $6 category (NULL = any).
//
// Each breakdown fixes the three other place/time columns to the filter's
// cell and groups by its own column over the non-zero values; every branch
// reads the table directly so that it is an index range (the primary key, or
// the two by_programme / by_year indexes). Rows appear, as in peopleSQL, only
// where somebody has an enrolment (people > 0, associations > 0). Category
// and sex are person attributes: the people rows are per category and sex
// and are summed; the association rows are read at the filter's category and
// sex (” = any member) since an association's members may differ in both.
var cubeSQL = `WITH counted AS (
    SELECT 'all' AS dimension, q.sex AS key, q.category,
           sum(q.enrolled) AS enrolled, sum(q.trained) AS trained, sum(q.completed) AS completed,
           sum(q.attended_marks)::bigint AS attended_marks, sum(q.marks)::bigint AS marks
      FROM totals_cube q WHERE q.programme_id = $1 AND q.year = $2 AND q.region_id = $3 AND q.province_id = $4` + cubePeople + `
     GROUP BY q.sex, q.category HAVING sum(q.people) > 0
    UNION ALL
    SELECT 'all', '', NULL, sum(q.enrolled), sum(q.trained), 0, 0, 0
      FROM totals_assoc_cube q WHERE q.programme_id = $1 AND q.year = $2 AND q.region_id = $3 AND q.province_id = $4
       AND q.category = coalesce($6::text, '') AND q.sex = coalesce($5::text, '')
    HAVING sum(q.associations) > 0
    UNION ALL
    SELECT 'sex', q.sex, NULL, sum(q.enrolled), sum(q.trained), 0, 0, 0
      FROM totals_assoc_cube q WHERE q.programme_id = $1 AND q.year = $2 AND q.region_id = $3 AND q.province_id = $4
       AND q.category = coalesce($6::text, '') AND q.sex <> '' AND ($5::text IS NULL OR q.sex = $5)
     GROUP BY q.sex HAVING sum(q.associations) > 0
` + cubeBreakdown("programme", "programme_id", "q.programme_id <> 0 AND ($1 = 0 OR q.programme_id = $1) AND q.year = $2 AND q.region_id = $3 AND q.province_id = $4") +
	cubeBreakdown("year", "year", "q.year <> 0 AND ($2 = 0 OR q.year = $2) AND q.programme_id = $1 AND q.region_id = $3 AND q.province_id = $4") +
	cubeBreakdown("region", "region_id", "q.programme_id = $1 AND q.year = $2 AND q.region_id <> 0 AND ($3 = 0 OR q.region_id = $3) AND q.province_id = $4") +
	cubeBreakdown("province", "province_id", "q.programme_id = $1 AND q.year = $2 AND q.province_id <> 0 AND ($4 = 0 OR q.province_id = $4) AND ($3 = 0 OR q.region_id = $3)") +
	labelledSQL

// cubePeople applies the person filters to totals_cube rows.
const cubePeople = `
       AND ($5::text IS NULL OR q.sex = $5) AND ($6::text IS NULL OR q.category = $6)`

// cubeBreakdown is one breakdown's people rows (per value and category)
// and association rows (per value). col and cell are constants.
func cubeBreakdown(dimension, col, cell string) string {
	return fmt.Sprintf(`    UNION ALL
    SELECT '%[1]s', q.%[2]s::text, q.category, sum(q.enrolled), sum(q.trained), sum(q.completed),
           sum(q.attended_marks)::bigint, sum(q.marks)::bigint
      FROM totals_cube q WHERE %[3]s`+cubePeople+`
     GROUP BY q.%[2]s, q.category HAVING sum(q.people) > 0
    UNION ALL
    SELECT '%[1]s', q.%[2]s::text, NULL, sum(q.enrolled), sum(q.trained), 0, 0, 0
      FROM totals_assoc_cube q WHERE %[3]s AND q.category = coalesce($6::text, '') AND q.sex = coalesce($5::text, '')
     GROUP BY q.%[2]s HAVING sum(q.associations) > 0
`, dimension, col, cell)
}

// cubeCell is the filter as a cube cell: 0 for "all"; a province fixes its
// region (unless the filter names a region: then both must hold).
func cubeCell(ctx context.Context, tx *sqlx.Tx, sc totalsScope) (p int64, y int16, r int16, v int64, err error) {
	if sc.ProgrammeID != nil {
		p = *sc.ProgrammeID
	}
	if sc.Year != nil {
		y = int16(*sc.Year)
	}
	if sc.ProvinceID != nil {
		v = *sc.ProvinceID
	}
	switch {
	case sc.RegionID != nil:
		r = *sc.RegionID
	case sc.ProvinceID != nil:
		err = getOne(ctx, tx, &r, `SELECT region_id FROM provinces WHERE id = $1`, v)
	}
	return p, y, r, v, err
}

// RecomputeTotalsCube rebuilds the per-course session counters, the
// people's and associations' cells and both cubes from the records, set-based
// (totals_rebuild(), migrations 00005 and 00006), in tx. For bulk loads that disabled
// the totals triggers (see TotalsTriggers) and for repairs.
//
// It ends with ANALYZE of the rebuilt tables: the refresh's plans (index
// lookups by person and association) depend on their statistics, and right
// after a bulk load autovacuum has not seen them yet.
func RecomputeTotalsCube(ctx context.Context, tx *sqlx.Tx) error {
	const analyze = `ANALYZE totals_person_cells, totals_cube, totals_assoc_cells, totals_assoc_cube`
	for _, q := range []string{`SELECT totals_rebuild()`, analyze} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("recompute totals cube: %w", mapError(err))
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
