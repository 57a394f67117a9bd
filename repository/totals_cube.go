package repository

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

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
// journal, in tx's snapshot: the cube rows the filter looks at plus, for
// the people the journal still holds, what their change moves (their cells
// now counted in, as stored counted out, and the same for their
// associations: the fold's own counting). The figures are those of the
// records as of the snapshot; nothing is written and no lock is taken, so
// a read on a hot standby works too.
//
// Three statements in all (scope, course figures and labels; the journal's
// cells; the cube rows), and the breakdowns summed here: while trainers
// enrol, every round trip and every millisecond of the database's time
// waits for the busy cores. The last two statements are prepared:
// PostgreSQL plans them once per connection.
func totalsFromCube(ctx context.Context, tx *sqlx.Tx, st cubeStatements, f domain.TotalsFilter) (*domain.Totals, error) {
	moved, err := readJournal(ctx, tx, st)
	if err != nil {
		return nil, err
	}
	return totalsFromCubeMoved(ctx, tx, st, f, moved)
}

// journalMoves is what the journal's people still move, as of a snapshot:
// their cells, split into people's and associations'. The same for every
// filter read in that snapshot (TotalsOfEach reads it once).
type journalMoves struct{ people, assocs []cell }

// readJournal reads the journal's cells in tx's snapshot.
func readJournal(ctx context.Context, tx *sqlx.Tx, st cubeStatements) (journalMoves, error) {
	var j journalCells
	if err := st.journal.selectIn(ctx, tx, &j.rows); err != nil {
		return journalMoves{}, fmt.Errorf("totals (journal): %w", err)
	}
	people, assocs := j.split()
	return journalMoves{people, assocs}, nil
}

// totalsFromCubeMoved is totalsFromCube with the journal already read in
// tx's snapshot (moved is only read).
func totalsFromCubeMoved(ctx context.Context, tx *sqlx.Tx, st cubeStatements, f domain.TotalsFilter, moved journalMoves) (*domain.Totals, error) {
	t := &domain.Totals{Filters: f}
	sc, labels, err := scopeAndCourseFigures(ctx, tx, f, t)
	if err != nil {
		return nil, err
	}
	read, err := sc.cubeRead()
	if err != nil {
		return nil, err
	}
	cell := read.cell
	var stored []struct {
		Kind string `db:"kind"`
		cubeKey
		peopleCounts
	}
	if err := st.cube.selectIn(ctx, tx, &stored, cell.Programme, cell.Year, cell.Region, cell.Province, sc.Sex, sc.Category); err != nil {
		return nil, fmt.Errorf("totals (cube): %w", err)
	}
	people, assocs := peopleCube{}, assocCube{}
	for _, r := range stored {
		n := r.peopleCounts
		if r.Kind == "p" {
			people[r.cubeKey] = &n
		} else {
			assocs[r.cubeKey] = &assocCounts{Associations: n.People, Enrolled: n.Enrolled, Trained: n.Trained}
		}
	}
	people.addPeople(moved.people, read.people)
	assocs.addAssociations(moved.assocs, read.associations)
	fileRows(cubeRows(read, people, assocs, labels), t)
	return t, nil
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

// cubeSQL is the rows of both cubes a read of cell ($1 programme, $2 year,
// $3 region, $4 province) may look at (readBy: the cell with at most one
// of programme, year and place changed), for the person filters ($5
// sex, $6 category; NULL = any). Association rows are read at the filter's
// category (” = any member), and counted in people's place.
const cubeSQL = `
SELECT 'p' AS kind, programme_id, year, region_id, province_id, category, sex,
       people, enrolled, trained, completed, attended_marks, marks
  FROM totals_cube
 WHERE ` + readByCell + `
   AND ($5::text IS NULL OR sex = $5) AND ($6::text IS NULL OR category = $6)
UNION ALL
SELECT 'a', programme_id, year, region_id, province_id, category, sex,
       associations, enrolled, trained, 0, 0, 0
  FROM totals_assoc_cube
 WHERE ` + readByCell + `
   AND category = coalesce($6::text, '') AND ($5::text IS NULL OR sex = $5)`

// readByCell is cubeCell.readBy in SQL, for cell ($1, $2, $3, $4): three
// index ranges (the primary key, by_programme, by_year).
const readByCell = `((programme_id = $1 AND year = $2)
        OR (year = $2 AND region_id = $3 AND province_id = $4)
        OR (programme_id = $1 AND region_id = $3 AND province_id = $4))`

// cubeRead is where a read looks in the cubes: the filter's cell, and its
// sex and category as the cubes count them (0: any).
type cubeRead struct {
	cell          cubeCell
	sex, category attribute
}

func (sc totalsScope) cubeRead() (r cubeRead, err error) {
	r.cell = sc.cubeCell()
	if sc.Sex != nil {
		if r.sex, err = attributeOf(*sc.Sex); err != nil {
			return r, err
		}
	}
	if sc.Category != nil {
		r.category, err = attributeOf(*sc.Category)
	}
	return r, err
}

// people and associations say which rows of each cube the read looks at
// (cubeRows): the others need not be counted from the journal. The
// association rows are read at the filter's category and sex, ” for any.
func (r cubeRead) people(k cubeKey) bool {
	return r.cell.readBy(k.cubeCell) && (r.sex == 0 || k.Sex == r.sex) && (r.category == 0 || k.Category == r.category)
}

func (r cubeRead) associations(k cubeKey) bool {
	return r.cell.readBy(k.cubeCell) && k.Category == r.category && (r.sex == 0 || k.Sex == r.sex)
}

// cubeBreakdowns are the breakdowns by place and time: for each, whether a
// cube row is one of its rows (the three other place/time columns fixed to
// the filter's cell, its own column a value the filter allows), and which
// value. Rows are per category and sex: a breakdown's row sums them.
var cubeBreakdowns = []struct {
	dimension string
	of        func(f, r cubeCell) (value int64, ok bool)
}{
	{"programme", func(f, r cubeCell) (int64, bool) {
		return r.Programme, r.Programme != 0 && (f.Programme == 0 || r.Programme == f.Programme) &&
			r.Year == f.Year && r.Region == f.Region && r.Province == f.Province
	}},
	{"year", func(f, r cubeCell) (int64, bool) {
		return int64(r.Year), r.Year != 0 && (f.Year == 0 || r.Year == f.Year) &&
			r.Programme == f.Programme && r.Region == f.Region && r.Province == f.Province
	}},
	{"region", func(f, r cubeCell) (int64, bool) {
		return int64(r.Region), r.Region != 0 && (f.Region == 0 || r.Region == f.Region) &&
			r.Programme == f.Programme && r.Year == f.Year && r.Province == f.Province
	}},
	{"province", func(f, r cubeCell) (int64, bool) {
		return r.Province, r.Province != 0 && (f.Province == 0 || r.Province == f.Province) && (f.Region == 0 || r.Region == f.Region) &&
			r.Programme == f.Programme && r.Year == f.Year
	}},
}

// cubeRows makes, from the cube rows of the filter's cell and its
// breakdowns, the rows peopleSQL gives from the records, in its order: the
// headline per sex and category ("all") and its associations, the
// associations per sex, and each breakdown's rows per value and category
// and their associations. A row exists only where somebody has an
// enrolment (people > 0, associations > 0), as in peopleSQL.
func cubeRows(read cubeRead, people peopleCube, assocs assocCube, labels labels) []peopleRow {
	cell := read.cell
	type group struct {
		dimension string
		value     int64     // a breakdown's programme, year, region or province
		key       string    // the headline's and the sex breakdown's: the sex
		category  attribute // 0: the associations
	}
	sums := map[group]*peopleCounts{}
	add := func(g group, n peopleCounts) {
		s := sums[g]
		if s == nil {
			s = &peopleCounts{}
			sums[g] = s
		}
		s.People, s.Enrolled, s.Trained, s.Completed = s.People+n.People, s.Enrolled+n.Enrolled, s.Trained+n.Trained, s.Completed+n.Completed
		s.AttendedMarks, s.Marks = s.AttendedMarks+n.AttendedMarks, s.Marks+n.Marks
	}
	for k, n := range people {
		if k.cubeCell == cell {
			add(group{dimension: "all", key: k.Sex.String(), category: k.Category}, *n)
		}
		for _, b := range cubeBreakdowns {
			if v, ok := b.of(cell, k.cubeCell); ok {
				add(group{dimension: b.dimension, value: v, category: k.Category}, *n)
			}
		}
	}
	for k, n := range assocs {
		if k.Category != read.category {
			continue
		}
		counts := peopleCounts{People: n.Associations, Enrolled: n.Enrolled, Trained: n.Trained}
		if k.cubeCell == cell && k.Sex != 0 && (read.sex == 0 || k.Sex == read.sex) {
			add(group{dimension: "sex", key: k.Sex.String()}, counts)
		}
		if k.Sex != read.sex {
			continue
		}
		if k.cubeCell == cell {
			add(group{dimension: "all"}, counts)
		}
		for _, b := range cubeBreakdowns {
			if v, ok := b.of(cell, k.cubeCell); ok {
				add(group{dimension: b.dimension, value: v}, counts)
			}
		}
	}
	type ordered struct {
		peopleRow
		ord string
	}
	var rows []ordered
	for g, n := range sums {
		if n.People <= 0 {
			continue
		}
		r := ordered{peopleRow: peopleRow{Dimension: g.dimension, Key: g.key, Enrolled: n.Enrolled, Trained: n.Trained}, ord: g.key}
		if g.category != 0 {
			c := domain.Category(g.category.String())
			r.Category = &c
			r.Completed, r.AttendedMarks, r.Marks = n.Completed, n.AttendedMarks, n.Marks
		}
		switch g.dimension {
		case "year":
			r.Key = strconv.FormatInt(g.value, 10)
			r.ord = r.Key
		case "programme", "region", "province":
			l, ok := labels[[2]string{g.dimension, strconv.FormatInt(g.value, 10)}]
			if !ok {
				l = label{Code: strconv.FormatInt(g.value, 10)}
				l.Ord = l.Code
			}
			r.Key, r.NameAr, r.NameFr, r.ord = l.Code, l.NameAr, l.NameFr, l.Ord
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b ordered) int { // peopleSQL's ORDER BY
		return cmp.Or(cmp.Compare(a.Dimension, b.Dimension), cmp.Compare(a.ord, b.ord), compareCategories(a.Category, b.Category))
	})
	out := make([]peopleRow, len(rows))
	for i, r := range rows {
		out[i] = r.peopleRow
	}
	return out
}

// compareCategories orders categories as SQL does, NULL (the associations) first.
func compareCategories(a, b *domain.Category) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}

// label is a programme's, region's or province's code, names and display order.
type label struct {
	Dimension string `json:"dimension"`
	Key       string `json:"key"`
	Code      string `json:"code"`
	NameAr    string `json:"name_ar"`
	NameFr    string `json:"name_fr"`
	Ord       string `json:"ord"`
}

// labels are labelsSQL's, by dimension and id.
type labels map[[2]string]label

// scopeAndCourseFigures resolves the filter (as resolveScope does), counts
// courses, sessions held and hours from the per-course counters the
// sessions trigger keeps, and reads the labels, in one round trip. Courses
// are few: a national sum reads an index of 20,000 entries
// (courses_figures), not 200,000 sessions.
func scopeAndCourseFigures(ctx context.Context, tx *sqlx.Tx, f domain.TotalsFilter, t *domain.Totals) (totalsScope, labels, error) {
	const q = `WITH scope AS (` + scopeSQL + `)
SELECT s.programme_id, s.region_id, s.province_id, s.province_region_id, s.course_id,
       n.courses, n.sessions_held, n.training_hours,
       (SELECT json_agg(l) FROM (` + labelsSQL + `) l) AS labels
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
		Labels        []byte  `db:"labels"`
	}
	if err := getOne(ctx, tx, &row, q, f.Programme, f.Region, f.Province, f.Course, f.Year); err != nil {
		return row.totalsScope, nil, fmt.Errorf("totals (courses): %w", err)
	}
	t.Courses, t.SessionsHeld, t.TrainingHours = row.Courses, row.SessionsHeld, row.TrainingHours
	var list []label
	if row.Labels != nil {
		if err := json.Unmarshal(row.Labels, &list); err != nil {
			return row.totalsScope, nil, fmt.Errorf("totals (labels): %w", err)
		}
	}
	ls := labels{}
	for _, l := range list {
		ls[[2]string{l.Dimension, l.Key}] = l
	}
	return row.totalsScope, ls, row.totalsScope.complete(f)
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
