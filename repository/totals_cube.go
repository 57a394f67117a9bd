package repository

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

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
// journal, in one statement (readSQL): one round trip and one snapshot.
// It gives the filter's codes resolved, the course figures and the labels,
// the cube rows the filter looks at and, for the people the journal still
// holds, the cells whose counting is their move (their cells now counted
// in, as stored counted out, and the same for their associations: the
// fold's own counting). The figures are those of the records as of the
// statement's snapshot; nothing is written and no lock is taken, so a read
// on a hot standby works too.
//
// One statement, not a transaction of several: while trainers enrol, every
// round trip (BEGIN and COMMIT included) waits for the busy cores. The
// statement is prepared (readStatement); the national read has no
// parameters, so PostgreSQL plans it once per connection.
//
// tx, if not nil, is a snapshot to read in (a test's, with the records).
func totalsFromCube(ctx context.Context, tx *sqlx.Tx, st *preparedQuery, f domain.TotalsFilter) (*domain.Totals, error) {
	r, err := st.readTotals(ctx, tx, f)
	if err != nil {
		return nil, fmt.Errorf("totals (cube): %w", err)
	}
	t := &domain.Totals{Filters: f, Courses: r.scope.Courses, SessionsHeld: r.scope.SessionsHeld, TrainingHours: r.scope.TrainingHours}
	sc := r.scope.totalsScope()
	if err := sc.complete(f); err != nil {
		return nil, err
	}
	read, err := sc.cubeRead()
	if err != nil {
		return nil, err
	}
	movedPeople, movedAssocs := r.journal.split()
	r.people.addPeople(movedPeople, &rowFilter{rollup: read.cell.readBy, row: read.people})
	r.assocs.addAssociations(movedAssocs, &rowFilter{rollup: read.cell.readBy, row: read.associations})
	fileRows(cubeRows(read, r.people, r.assocs, r.scope.labels()), t)
	return t, nil
}

// readTotals runs readSQL (st) for f and sorts its rows out.
func (st *preparedQuery) readTotals(ctx context.Context, tx *sqlx.Tx, f domain.TotalsFilter) (r readResult, err error) {
	stmt := st.stmt
	if tx != nil {
		stmt = tx.StmtxContext(ctx, stmt)
	}
	var args []any
	if !national(f) { // nationalReadSQL has its arguments written in
		args = []any{f.Programme, f.Region, f.Province, f.Year, nullText(string(f.Sex)), nullText(string(f.Category))}
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return r, mapError(err)
	}
	defer rows.Close()
	r.people, r.assocs = peopleCube{}, assocCube{}
	for rows.Next() {
		var (
			kind string
			c    cell
			doc  []byte
			// Scanned as int64, the driver's own type: into an int or an
			// int16, database/sql formats the value as text and parses it
			// back (0.7–0.9 of the 4.6–5.2 ms of CPU of a national read on
			// the full dataset).
			sign, year, region, enrolled, trained, completed, people int64
		)
		if err := rows.Scan(&kind, &sign, &c.ID, &c.Programme, &year, &region, &c.Province, &c.Category, &c.Sex,
			&c.AssociationID, &enrolled, &trained, &completed, &c.AttendedMarks, &c.Marks, &c.Present, &people, &doc); err != nil {
			return r, err
		}
		c.Sign, c.Year, c.Region = int(sign), int16(year), int16(region)
		switch kind {
		case "s":
			if err := json.Unmarshal(doc, &r.scope); err != nil {
				return r, fmt.Errorf("scope: %w", err)
			}
		case "p":
			r.people[c.key()] = &peopleCounts{People: int(people), Enrolled: int(enrolled), Trained: int(trained), Completed: int(completed),
				AttendedMarks: c.AttendedMarks, Marks: c.Marks}
		case "a":
			r.assocs[c.key()] = &assocCounts{Associations: int(people), Enrolled: int(enrolled), Trained: int(trained)}
		default: // "jp", "ja": the journal's people's and associations' cells
			c.Enrolled, c.Trained, c.Completed = enrolled != 0, trained != 0, completed != 0
			r.journal.rows = append(r.journal.rows, journalRow{Kind: kind[1:], cell: c})
		}
	}
	return r, mapError(rows.Err())
}

// nullText is s, or NULL when empty.
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// readResult is readSQL's answer, sorted out.
type readResult struct {
	scope   readScope
	people  peopleCube
	assocs  assocCube
	journal journalCells
}

// readScope is readSQL's first row: the filter's codes resolved (as
// scopeSQL does), the course figures and the labels.
type readScope struct {
	ProgrammeID      *int64  `json:"programme_id"`
	RegionID         *int16  `json:"region_id"`
	ProvinceID       *int64  `json:"province_id"`
	ProvinceRegionID *int16  `json:"province_region_id"`
	Courses          int     `json:"courses"`
	SessionsHeld     int     `json:"sessions_held"`
	TrainingHours    float64 `json:"training_hours"`
	Labels           []label `json:"labels"`
}

func (r readScope) totalsScope() totalsScope {
	return totalsScope{ProgrammeID: r.ProgrammeID, RegionID: r.RegionID, ProvinceID: r.ProvinceID, ProvinceRegionID: r.ProvinceRegionID}
}

func (r readScope) labels() labels {
	ls := labels{}
	for _, l := range r.Labels {
		ls[[2]string{l.Dimension, l.Key}] = l
	}
	return ls
}

// readSQL is a whole read without a course filter, in one statement ($1
// programme, $2 region and $3 province codes, empty for any; $4 year, 0 for
// any; $5 sex and $6 category, NULL for any). Its rows, by kind:
//
//	s   one: the codes resolved to ids, the course figures and the labels
//	    (doc, JSON). The course figures are the sums kept per programme,
//	    year and province (totals_courses, migration 00039), not the courses;
//	p   the people's cube rows the filter looks at: its cell, and its cell
//	    with one of programme, year and place changed (readBy: three index
//	    ranges), at its sex and category;
//	a   the same of the associations' cube, at the filter's category ('' =
//	    any member), counted in people's place;
//	jp  the journal's people's cells, now (+1) and as stored (−1), and
//	ja  their associations' (journalSQL, the very cells the folder counts),
//	    sorted by person or association and sign.
//
// The cell the cube rows are read at is the filter's (cubeCell): a
// province fixes its region unless the filter names one. The ids come from
// the scope, as InitPlans: index conditions like parameters.
var readSQL = `WITH scope AS MATERIALIZED (
    SELECT (SELECT id FROM programmes WHERE code = $1) AS programme_id,
           (SELECT id FROM regions WHERE code = $2) AS region_id,
           (SELECT id FROM provinces WHERE code = $3) AS province_id,
           (SELECT region_id FROM provinces WHERE code = $3) AS province_region_id),
cell AS MATERIALIZED (
    SELECT coalesce(programme_id, 0) AS programme_id, $4::int::smallint AS year,
           coalesce(region_id, province_region_id, 0)::smallint AS region_id, coalesce(province_id, 0) AS province_id
      FROM scope),
` + readJournalSQL + `
SELECT 's' AS kind, 0 AS sign, 0::bigint AS id, 0::bigint AS programme_id, 0::smallint AS year, 0::smallint AS region_id,
       0::bigint AS province_id, ''::text AS category, ''::text AS sex, 0::bigint AS association_id,
       0 AS enrolled, 0 AS trained, 0 AS completed, 0::bigint AS attended_marks, 0::bigint AS marks, true AS present,
       0 AS people,
       json_build_object('programme_id', s.programme_id, 'region_id', s.region_id, 'province_id', s.province_id,
           'province_region_id', s.province_region_id, 'courses', n.courses, 'sessions_held', n.sessions_held,
           'training_hours', n.training_hours, 'labels', (SELECT json_agg(l) FROM (` + labelsSQL + `) l))::text AS doc
  FROM scope s CROSS JOIN LATERAL (
       SELECT coalesce(sum(c.courses), 0) AS courses, coalesce(sum(c.sessions_held), 0) AS sessions_held,
              coalesce(sum(c.held_hours), 0)::float8 AS training_hours
         FROM totals_courses c
        WHERE ($1 = '' OR c.programme_id = s.programme_id)
          AND ($4::int = 0 OR c.year = $4::int)
          AND ($2 = '' OR c.province_id IN (SELECT id FROM provinces WHERE region_id = s.region_id))
          AND ($3 = '' OR c.province_id = s.province_id)) n
UNION ALL
SELECT 'p', 0, 0, programme_id, year, region_id, province_id, category, sex, 0,
       enrolled, trained, completed, attended_marks, marks, true, people, NULL
  FROM totals_cube
 WHERE ` + readByCell + `
   AND ($5::text IS NULL OR sex = $5) AND ($6::text IS NULL OR category = $6)
UNION ALL
SELECT 'a', 0, 0, programme_id, year, region_id, province_id, category, sex, 0,
       enrolled, trained, 0, 0, 0, true, associations, NULL
  FROM totals_assoc_cube
 WHERE ` + readByCell + `
   AND category = coalesce($6::text, '') AND ($5::text IS NULL OR sex = $5)
UNION ALL
SELECT 'jp', sign, trainee_id, programme_id, year, region_id, province_id, category, sex, association_id,
       enrolled::int, trained::int, completed::int, attended_marks, marks, true, 0, NULL
  FROM signed_people
UNION ALL
SELECT 'ja', sign, association_id, programme_id, year, region_id, province_id, category, sex, association_id,
       enrolled::int, trained::int, 0, 0, 0, present, 0, NULL
  FROM signed_assocs
 ORDER BY kind, id, sign`

// nationalReadSQL is readSQL for no filter, its arguments written in:
// the dashboard's default read, and the one made while trainers enrol.
// PostgreSQL plans a prepared statement with parameters anew at each of
// its first five runs on every connection (a custom plan, 20–40 ms for
// this one while the cores are busy, and the pool has 20 connections); one
// without is planned once per connection.
var nationalReadSQL = strings.NewReplacer("$1", "''", "$2", "''", "$3", "''", "$4", "0", "$5", "NULL", "$6", "NULL").Replace(readSQL)

// national says whether f is the national read: no filter at all.
func national(f domain.TotalsFilter) bool { return f == (domain.TotalsFilter{}) }

// readStatement is the read of filter f (readSQL, or nationalReadSQL),
// prepared.
func (s *Store) readStatement(ctx context.Context, f domain.TotalsFilter) (*preparedQuery, error) {
	query := readSQL
	if national(f) {
		query = nationalReadSQL
	}
	st, err := s.statement(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("totals (cube): %w", err)
	}
	return st, nil
}

// readJournalSQL is journalSQL for every person the read's snapshot sees
// in the journal. (The cast makes the persons an array expression:
// "ANY ((SELECT …))" would read as ANY over the subquery's rows.)
var readJournalSQL = `journal AS MATERIALIZED (
    SELECT coalesce(array_agg(DISTINCT trainee_id), '{}') AS persons FROM totals_pending),
` + journalSQL("(SELECT persons FROM journal)::bigint[]")

// readByCell is cubeCell.readBy in SQL, for the read's cell: three index
// ranges (the primary key, by_programme, by_year).
const readByCell = `((programme_id = (SELECT programme_id FROM cell) AND year = (SELECT year FROM cell))
        OR (year = (SELECT year FROM cell) AND region_id = (SELECT region_id FROM cell) AND province_id = (SELECT province_id FROM cell))
        OR (programme_id = (SELECT programme_id FROM cell) AND region_id = (SELECT region_id FROM cell) AND province_id = (SELECT province_id FROM cell)))`

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
