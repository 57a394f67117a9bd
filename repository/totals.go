package repository

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// Totals computes the ministry's figures for filter f, following the rules
// written in domain/totals.go ("How we count"). Everything is counted in the
// database, in one read-only snapshot so that the figures agree with each
// other. Without a course filter the people are read from the totals cube
// (migrations/00005_totals_cube.sql: a few hundred pre-counted rows, exact:
// the journal of changes is folded in first, see CatchUpTotals); a course filter
// counts from the records (fast for one course). A malformed filter or an
// unknown code is a *domain.ValidationError (422), never a 500.
func (s *Store) Totals(ctx context.Context, f domain.TotalsFilter) (*domain.Totals, error) {
	if f.Course != 0 {
		return s.totalsFromRecords(ctx, f)
	}
	return s.totalsFromCube(ctx, f)
}

// totalsFromRecords counts from the enrolments in scope, per request: one
// query resolves the filter's codes, two aggregate queries count. It is the
// reference the cube is tested against (see cube_test.go).
func (s *Store) totalsFromRecords(ctx context.Context, f domain.TotalsFilter) (*domain.Totals, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	t := &domain.Totals{Filters: f}
	err := s.inReadSnapshot(ctx, func(tx *sqlx.Tx) error {
		scope, err := resolveScope(ctx, tx, f)
		if err != nil {
			return err
		}
		if err := courseFigures(ctx, tx, scope, t); err != nil {
			return err
		}
		return peopleFigures(ctx, tx, scope, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// inReadSnapshot runs fn in a read-only, repeatable-read transaction. It
// gives the aggregates' hash tables more memory than the default 4 MB, but
// not so much that a few national queries at once could exhaust a modest
// server (each breakdown's hash table may take up to twice work_mem; the
// rest spills to disk).
func (s *Store) inReadSnapshot(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", mapError(err))
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '32MB'`); err != nil {
		return fmt.Errorf("totals work_mem: %w", mapError(err))
	}
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
	pinned      pinned
}

// args are the scope as the totals queries' parameters $1…$7.
func (sc totalsScope) args() []any {
	return []any{sc.ProgrammeID, sc.Year, sc.RegionID, sc.ProvinceID, sc.CourseID, sc.Sex, sc.Category}
}

// resolveScope turns codes into ids in one round trip; a code or course
// that does not exist is a validation error on its field.
func resolveScope(ctx context.Context, tx *sqlx.Tx, f domain.TotalsFilter) (totalsScope, error) {
	var sc totalsScope
	const q = `SELECT (SELECT id FROM programmes WHERE code = $1) AS programme_id,
	                  (SELECT id FROM regions WHERE code = $2) AS region_id,
	                  (SELECT id FROM provinces WHERE code = $3) AS province_id,
	                  (SELECT id FROM courses WHERE id = $4) AS course_id`
	if err := getOne(ctx, tx, &sc, q, f.Programme, f.Region, f.Province, f.Course); err != nil {
		return sc, err
	}
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
	sc.pinned = pinnedBy(f)
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
	return sc, p.Err()
}

// scopedCoursesSQL is the courses matching the course filters ($1 programme,
// $2 year, $3 region, $4 province, $5 course), with where and when they took
// place, and each course's session figures ("held" = at least one mark).
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
//     keeps (never from the marks themselves);
//  2. per breakdown column, peopleBy makes one row per person and value
//     (the flags OR-ed: this is where a person in two courses becomes one)
//     and counts them per category; associationsBy does the same for
//     associations (member_facts: the enrolments of association members);
//  3. labels give codes and names to programme, region and province ids.
//
// Every step is a plain GROUP BY (hash aggregates, no sort of the whole
// scope). The 'all' people rows are per sex; category is NULL on the
// association rows. A breakdown whose column the filter pins to one value
// (a province filter pins the province and the region) has one row equal to
// the headline: it is copied from the headline instead of being counted
// again (headlineAs). The SQL is assembled from constant fragments only.
func peopleSQL(pin pinned) string {
	q := `WITH ` + scopedCoursesSQL + `,
facts AS MATERIALIZED (
    SELECT e.trainee_id, t.category, t.sex,
           CASE WHEN t.organisation_kind = 'association' THEN t.organisation_id END AS association_id,
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
       AND ($7::text IS NULL OR t.category = $7)
), member_facts AS MATERIALIZED (
    SELECT association_id, sex, programme_id, year, region_id, province_id, enrolled, trained
      FROM facts WHERE association_id IS NOT NULL
), all_people (dimension, key, category, enrolled, trained, completed, attended_marks, marks) AS MATERIALIZED (
` + peopleBy("all", "sex") + `
), all_associations (dimension, key, category, enrolled, trained, completed, attended_marks, marks) AS MATERIALIZED (
` + associationsBy("all", "''") + `
), counted AS (
    SELECT * FROM all_people
    UNION ALL
    SELECT * FROM all_associations
    UNION ALL
` + associationsBy("sex", "sex")
	for _, d := range []struct {
		dimension, col string
		pinned         bool
	}{
		{"programme", "programme_id", pin.programme}, {"year", "year", pin.year},
		{"region", "region_id", pin.region}, {"province", "province_id", pin.province},
	} {
		if d.pinned {
			q += "\n    UNION ALL\n" + headlineAs(d.dimension, d.col)
		} else {
			q += "\n    UNION ALL\n" + peopleBy(d.dimension, d.col) + "\n    UNION ALL\n" + associationsBy(d.dimension, d.col)
		}
	}
	return q + `
` + labelledSQL
}

// labelledSQL ends a counting query: it gives codes and names to the
// programme, region and province ids of the rows of "counted", and puts the
// rows in display order.
const labelledSQL = `
), labels AS (
    SELECT 'programme' AS dimension, id::text AS key, code, name_ar, name_fr,
           lpad(start_year::text, 4, '0') || code AS ord FROM programmes
    UNION ALL
    SELECT 'region', id::text, code, name_ar, name_fr, lpad(id::text, 2, '0') FROM regions
    UNION ALL
    SELECT 'province', id::text, code, name_ar, name_fr, lpad(region_id::text, 2, '0') || code FROM provinces
)
SELECT n.dimension, coalesce(l.code, n.key) AS key, coalesce(l.name_ar, '') AS name_ar, coalesce(l.name_fr, '') AS name_fr,
       n.category, n.enrolled, n.trained, n.completed, n.attended_marks, n.marks
  FROM counted n LEFT JOIN labels l ON l.dimension = n.dimension AND l.key = n.key
 ORDER BY n.dimension, coalesce(l.ord, n.key), n.category NULLS FIRST`

// pinned says which breakdown columns the filter fixes to a single value.
type pinned struct{ programme, year, region, province bool }

func pinnedBy(f domain.TotalsFilter) pinned {
	course := f.Course != 0 // one course: one programme, year, province and region
	return pinned{
		programme: course || f.Programme != "",
		year:      course || f.Year != 0,
		region:    course || f.Region != "" || f.Province != "",
		province:  course || f.Province != "",
	}
}

// headlineAs is a pinned breakdown's only row: the headline's people
// (summed over sexes) and associations, under the one value every course in
// scope shares.
func headlineAs(dimension, col string) string {
	return fmt.Sprintf(`    SELECT '%[1]s', (SELECT min(%[2]s) FROM scoped_courses)::text, category,
           sum(enrolled)::bigint, sum(trained)::bigint, sum(completed)::bigint,
           sum(attended_marks)::bigint, sum(marks)::bigint
      FROM all_people GROUP BY category
    UNION ALL
    SELECT '%[1]s', (SELECT min(%[2]s) FROM scoped_courses)::text, NULL, enrolled, trained, 0, 0, 0
      FROM all_associations`, dimension, col)
}

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
	if err := tx.SelectContext(ctx, &rows, peopleSQL(sc.pinned), sc.args()...); err != nil {
		return fmt.Errorf("totals (people): %w", mapError(err))
	}
	fileRows(rows, t)
	return nil
}

// fileRows files the rows of peopleSQL (or of cubeSQL, which has the same
// shape and order) into t.
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
