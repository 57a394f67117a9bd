package repository

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// Totals computes the ministry's figures for filter f, following the rules
// written in domain/totals.go ("How we count"), in one read-only snapshot so
// that the figures agree with each other. Without a course filter they come
// from the totals cube and the journal (totals_cube.go: a few hundred
// pre-counted rows, exact as of the snapshot); a course filter counts from
// the records (fast for one course). It reads from the read replica when
// there is one (UseReadReplica) and writes nothing. A malformed filter or
// an unknown code is a *domain.ValidationError (422), never a 500.
func (s *Store) Totals(ctx context.Context, f domain.TotalsFilter) (*domain.Totals, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	rs := s.readStore()
	var t *domain.Totals
	if f.Course != 0 {
		err := inReadSnapshot(ctx, rs.db, func(tx *sqlx.Tx) (err error) {
			t, err = totalsFromRecords(ctx, tx, f)
			return err
		})
		return t, err
	}
	st, err := rs.readStatement(ctx, f)
	if err != nil {
		return nil, err
	}
	return totalsFromCube(ctx, nil, st, f) // one statement: one snapshot
}

// TotalsOfEach computes the totals of each filter, as Totals does, all in
// one read-only snapshot: the figures of a page that shows several scopes
// (the dashboard, its reported figures' comparisons, its indicators' years)
// agree with each other, and they cost one transaction on one connection
// instead of one read per scope (issue 16, point 7; docs/BENCHMARKS.md,
// "The dashboard in the browser"). The result is in the order of filters;
// the first invalid filter's error is returned.
func (s *Store) TotalsOfEach(ctx context.Context, filters []domain.TotalsFilter) ([]*domain.Totals, error) {
	if len(filters) == 0 {
		return nil, nil
	}
	for _, f := range filters {
		if err := f.Validate(); err != nil {
			return nil, err
		}
	}
	rs := s.readStore()
	statements := make([]*preparedQuery, len(filters)) // prepared before the transaction (see statement)
	for i, f := range filters {
		if f.Course == 0 {
			st, err := rs.readStatement(ctx, f)
			if err != nil {
				return nil, err
			}
			statements[i] = st
		}
	}
	out := make([]*domain.Totals, len(filters))
	err := inReadSnapshot(ctx, rs.db, func(tx *sqlx.Tx) error {
		for i, f := range filters {
			var err error
			if f.Course != 0 {
				out[i], err = totalsFromRecords(ctx, tx, f)
			} else {
				out[i], err = totalsFromCube(ctx, tx, statements[i], f)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// totalsFromRecords counts from the enrolments in scope, per request: one
// query resolves the filter's codes, two aggregate queries count. It is the
// reference the cube is tested against (see cube_test.go): plain GROUP BYs
// over the records, nothing maintained.
func totalsFromRecords(ctx context.Context, tx *sqlx.Tx, f domain.TotalsFilter) (*domain.Totals, error) {
	scope, err := resolveScope(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	t := &domain.Totals{Filters: f}
	if err := courseFigures(ctx, tx, scope, t); err != nil {
		return nil, err
	}
	if err := peopleFigures(ctx, tx, scope, t); err != nil {
		return nil, err
	}
	return t, nil
}

// inReadSnapshot runs fn in a read-only, repeatable-read transaction on db.
func inReadSnapshot(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", mapError(err))
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return mapError(err)
	}
	return mapError(tx.Commit())
}

// totalsScope is the filter with its codes resolved to ids; nil means "any".
type totalsScope struct {
	ProgrammeID *int64  `db:"programme_id"`
	RegionID    *int16  `db:"region_id"`
	ProvinceID  *int64  `db:"province_id"`
	CourseID    *int64  `db:"course_id"`
	Year        *int    `db:"-"`
	Sex         *string `db:"-"`
	Category    *string `db:"-"`
	// the region of the province filter's province
	ProvinceRegionID *int16 `db:"province_region_id"`
}

// args are the scope as the totals queries' parameters $1…$7.
func (sc totalsScope) args() []any {
	return []any{sc.ProgrammeID, sc.Year, sc.RegionID, sc.ProvinceID, sc.CourseID, sc.Sex, sc.Category}
}

// scopeSQL resolves the filter's codes ($1 programme, $2 region, $3
// province) and course ($4) to ids.
const scopeSQL = `SELECT (SELECT id FROM programmes WHERE code = $1) AS programme_id,
       (SELECT id FROM regions WHERE code = $2) AS region_id,
       (SELECT id FROM provinces WHERE code = $3) AS province_id,
       (SELECT region_id FROM provinces WHERE code = $3) AS province_region_id,
       (SELECT id FROM courses WHERE id = $4) AS course_id`

// resolveScope turns codes into ids in one round trip; a code or course
// that does not exist is a validation error on its field.
func resolveScope(ctx context.Context, tx *sqlx.Tx, f domain.TotalsFilter) (totalsScope, error) {
	var sc totalsScope
	if err := getOne(ctx, tx, &sc, scopeSQL, f.Programme, f.Region, f.Province, f.Course); err != nil {
		return sc, err
	}
	return sc, sc.complete(f)
}

// complete adds the filter's other values to the resolved codes, and says
// which codes did not resolve.
func (sc *totalsScope) complete(f domain.TotalsFilter) error {
	p := domain.Problems{}
	if f.Programme != "" && sc.ProgrammeID == nil {
		p.Add("programme", "totals.unknown_programme")
	}
	if f.Region != "" && sc.RegionID == nil {
		p.Add("region", "totals.unknown_region")
	}
	if f.Province != "" && sc.ProvinceID == nil {
		p.Add("province", "totals.unknown_province")
	}
	if f.Course != 0 && sc.CourseID == nil {
		p.Add("course", "totals.unknown_course")
	}
	if f.Year != 0 {
		sc.Year = &f.Year
	}
	if f.Sex != "" {
		sex := string(f.Sex)
		sc.Sex = &sex
	}
	if f.Category != "" {
		cat := string(f.Category)
		sc.Category = &cat
	}
	return p.Err()
}

// scopedCoursesSQL is the courses matching the course filters ($1 programme,
// $2 year, $3 region, $4 province, $5 course), with where and when they took
// place, and each course's session figures ("held" = at least one mark),
// cancelled sessions left out.
const scopedCoursesSQL = `
scoped_courses AS (
    SELECT c.id, c.programme_id, c.year, c.province_id, p.region_id, c.completion_threshold
      FROM courses c JOIN provinces p ON p.id = c.province_id
     WHERE ($1::bigint IS NULL OR c.programme_id = $1)
       AND ($2::int IS NULL OR c.year = $2)
       AND ($3::smallint IS NULL OR p.region_id = $3)
       AND ($4::bigint IS NULL OR c.province_id = $4)
       AND ($5::bigint IS NULL OR c.id = $5)
), course_sessions AS (
    SELECT s.course_id, count(*) AS planned,
           count(*) FILTER (WHERE s.has_marks) AS held,
           coalesce(sum(s.hours) FILTER (WHERE s.has_marks), 0) AS hours
      FROM sessions s JOIN scoped_courses c ON c.id = s.course_id
     WHERE s.cancelled_at IS NULL /* a cancelled session counts nowhere (issue 14; migration 00016) */
     GROUP BY s.course_id
)`

// courseFigures counts courses, sessions held and training hours. These are
// course figures: the sex and category filters ($6, $7) do not narrow them.
func courseFigures(ctx context.Context, tx *sqlx.Tx, sc totalsScope, t *domain.Totals) error {
	const q = `WITH ` + scopedCoursesSQL + `
SELECT (SELECT count(*) FROM scoped_courses) AS courses,
       coalesce(sum(held), 0) AS sessions_held,
       coalesce(sum(hours), 0)::float8 AS training_hours
  FROM course_sessions`
	var row struct {
		Courses       int     `db:"courses"`
		SessionsHeld  int     `db:"sessions_held"`
		TrainingHours float64 `db:"training_hours"`
	}
	if err := getOne(ctx, tx, &row, q, sc.args()[:5]...); err != nil { // the course filters only
		return fmt.Errorf("totals (courses): %w", err)
	}
	t.Courses, t.SessionsHeld, t.TrainingHours = row.Courses, row.SessionsHeld, row.TrainingHours
	return nil
}

// peopleSQL counts people and associations for the headline figures and
// every breakdown, over the enrolments in scope:
//
//  1. facts: one row per enrolment in scope with its three flags (enrolled,
//     trained, completed), read from the counters the attendance trigger
//     keeps (never from the marks themselves), and the category and
//     association the person had when enrolled (the enrolment's, 00014);
//  2. per breakdown column, peopleBy makes one row per person and value
//     (the flags OR-ed: this is where a person in two courses becomes one)
//     and counts them per category; associationsBy does the same for
//     associations (member_facts: the enrolments of association members);
//  3. labels give codes and names to programme, region and province ids.
//
// Every step is a plain GROUP BY. The 'all' people rows are per sex;
// category is NULL on the association rows. The SQL is assembled from
// constant fragments only.
var peopleSQL = `WITH ` + scopedCoursesSQL + `,
facts AS MATERIALIZED (
    SELECT e.trainee_id, e.category, t.sex,
           CASE WHEN e.organisation_kind = 'association' THEN e.organisation_id END AS association_id,
           c.programme_id, c.year, c.region_id, c.province_id,
           e.status <> 'withdrawn' AS enrolled,
           e.attended_count > 0 AS trained,
           coalesce(cs.planned > 0 AND e.attended_count * 100 >= c.completion_threshold * cs.planned, false) AS completed,
           e.attended_count, e.marks_count
      FROM enrollments e
      JOIN scoped_courses c ON c.id = e.course_id
      JOIN trainees t ON t.id = e.trainee_id
      LEFT JOIN course_sessions cs ON cs.course_id = e.course_id
     WHERE ($6::text IS NULL OR t.sex = $6)
       AND ($7::text IS NULL OR e.category = $7)
), member_facts AS MATERIALIZED (
    SELECT association_id, sex, programme_id, year, region_id, province_id, enrolled, trained
      FROM facts WHERE association_id IS NOT NULL
), counted AS (
` + peopleBy("all", "sex") + `
    UNION ALL
` + associationsBy("all", "''") + `
    UNION ALL
` + associationsBy("sex", "sex") + `
    UNION ALL
` + peopleBy("programme", "programme_id") + `
    UNION ALL
` + associationsBy("programme", "programme_id") + `
    UNION ALL
` + peopleBy("year", "year") + `
    UNION ALL
` + associationsBy("year", "year") + `
    UNION ALL
` + peopleBy("region", "region_id") + `
    UNION ALL
` + associationsBy("region", "region_id") + `
    UNION ALL
` + peopleBy("province", "province_id") + `
    UNION ALL
` + associationsBy("province", "province_id") + `
` + labelledSQL

// labelsSQL is the code, names and display order of every programme,
// region and province id (key, as text).
const labelsSQL = `
    SELECT 'programme' AS dimension, id::text AS key, code, name_ar, name_fr,
           lpad(start_year::text, 4, '0') || code AS ord FROM programmes
    UNION ALL
    SELECT 'region', id::text, code, name_ar, name_fr, lpad(id::text, 2, '0') FROM regions
    UNION ALL
    SELECT 'province', id::text, code, name_ar, name_fr, lpad(region_id::text, 2, '0') || code FROM provinces`

// labelledSQL ends a counting query: it gives codes and names to the
// programme, region and province ids of the rows of "counted", and puts the
// rows in display order.
const labelledSQL = `
), labels AS (` + labelsSQL + `)
SELECT n.dimension, coalesce(l.code, n.key) AS key, coalesce(l.name_ar, '') AS name_ar, coalesce(l.name_fr, '') AS name_fr,
       n.category, n.enrolled, n.trained, n.completed, n.attended_marks, n.marks
  FROM counted n LEFT JOIN labels l ON l.dimension = n.dimension AND l.key = n.key
 ORDER BY n.dimension, coalesce(l.ord, n.key), n.category NULLS FIRST`

// peopleBy counts people per value of one breakdown column: the inner
// GROUP BY makes one row per person (flags OR-ed over their enrolments, so a
// person in two courses is one), the outer one counts them per category.
// Keys become text only on the few result rows. ("all" is per sex: a person
// has one sex, so the sexes add up to the headline.) col is a constant
// column name, never input.
func peopleBy(dimension, col string) string {
	return fmt.Sprintf(`    SELECT '%[1]s' AS dimension, %[2]s::text AS key, category,
           count(*) FILTER (WHERE enrolled) AS enrolled, count(*) FILTER (WHERE trained) AS trained,
           count(*) FILTER (WHERE completed) AS completed,
           sum(attended_marks)::bigint AS attended_marks, sum(marks)::bigint AS marks
      FROM (SELECT %[2]s, category, bool_or(enrolled) AS enrolled, bool_or(trained) AS trained,
                   bool_or(completed) AS completed, sum(attended_count) AS attended_marks, sum(marks_count) AS marks
              FROM facts GROUP BY %[2]s, trainee_id, category) per_person
     GROUP BY %[2]s, category`, dimension, col)
}

// associationsBy counts distinct associations per value of one breakdown
// column; category is NULL on these rows.
func associationsBy(dimension, col string) string {
	return fmt.Sprintf(`    SELECT '%[1]s', k::text, NULL, count(*) FILTER (WHERE enrolled), count(*) FILTER (WHERE trained), 0, 0, 0
      FROM (SELECT %[2]s AS k, bool_or(enrolled) AS enrolled, bool_or(trained) AS trained
              FROM member_facts GROUP BY 1, association_id) per_association
     GROUP BY k`, dimension, col)
}

// peopleRow is one row of peopleSQL: a category's people, or (category
// NULL) the associations, of one breakdown value.
type peopleRow struct {
	Dimension     string           `db:"dimension"`
	Key           string           `db:"key"`
	NameAr        string           `db:"name_ar"`
	NameFr        string           `db:"name_fr"`
	Category      *domain.Category `db:"category"`
	Enrolled      int              `db:"enrolled"`
	Trained       int              `db:"trained"`
	Completed     int              `db:"completed"`
	AttendedMarks int64            `db:"attended_marks"`
	Marks         int64            `db:"marks"`
}

// tally gathers the rows of one breakdown value.
type tally struct {
	row             domain.Breakdown
	attended, marks int64
}

func (ta *tally) add(r peopleRow) {
	if r.Category == nil {
		ta.row.Associations = domain.AssociationCounts{Enrolled: r.Enrolled, Trained: r.Trained}
		return
	}
	c := ta.row.ByCategory.Of(*r.Category).Add(domain.Counts{Enrolled: r.Enrolled, Trained: r.Trained, Completed: r.Completed})
	ta.row.ByCategory.Set(*r.Category, c)
	ta.attended += r.AttendedMarks
	ta.marks += r.Marks
}

func (ta *tally) breakdown() domain.Breakdown {
	b := ta.row
	b.LocalActors = b.ByCategory.LocalActors()
	b.AttendanceRate = domain.AttendanceRate(ta.attended, ta.marks)
	return b
}

// peopleFigures runs peopleSQL and files its rows into t. The 'all' people
// rows are per sex: they make both the headline and the sex breakdown.
func peopleFigures(ctx context.Context, tx *sqlx.Tx, sc totalsScope, t *domain.Totals) error {
	var rows []peopleRow
	if err := tx.SelectContext(ctx, &rows, peopleSQL, sc.args()...); err != nil {
		return fmt.Errorf("totals (people): %w", mapError(err))
	}
	fileRows(rows, t)
	return nil
}

// fileRows files the rows of peopleSQL (or of cubeRows, which have the
// same shape and order) into t.
func fileRows(rows []peopleRow, t *domain.Totals) {
	var headline tally
	tallies := map[[2]string]*tally{}
	var order [][2]string // rows arrive in display order
	at := func(dimension, key, nameAr, nameFr string) *tally {
		k := [2]string{dimension, key}
		if tallies[k] == nil {
			tallies[k] = &tally{row: domain.Breakdown{Key: key, NameAr: nameAr, NameFr: nameFr}}
			order = append(order, k)
		}
		return tallies[k]
	}
	for _, r := range rows {
		switch {
		case r.Dimension == "all" && r.Category != nil: // people of one sex
			headline.add(r)
			at("sex", r.Key, "", "").add(r)
		case r.Dimension == "all":
			headline.add(r)
		default:
			at(r.Dimension, r.Key, r.NameAr, r.NameFr).add(r)
		}
	}
	h := headline.breakdown()
	t.LocalActors, t.ByCategory, t.Associations, t.AttendanceRate = h.LocalActors, h.ByCategory, h.Associations, h.AttendanceRate
	lists := map[string]*[]domain.Breakdown{"programme": &t.ByProgramme, "year": &t.ByYear,
		"region": &t.ByRegion, "province": &t.ByProvince, "sex": &t.BySex}
	for _, list := range lists {
		*list = []domain.Breakdown{} // an empty breakdown is [] in JSON, not null
	}
	for _, k := range order {
		*lists[k[0]] = append(*lists[k[0]], tallies[k].breakdown())
	}
}
