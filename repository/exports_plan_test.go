package repository

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// BenchmarkAttendanceExportPlans prints EXPLAIN ANALYZE of the attendance
// export under each filter, on a dataset of `takaffoul seed scale` (the
// bench's database) named by BENCH_EXPLAIN_URL; without it, it is skipped.
// The plans and times are quoted in docs/EXPORTS.md.
//
//	BENCH_EXPLAIN_URL=postgres://…/takaffoul_bench go test ./repository/ -run '^$' -bench AttendanceExportPlans -v
func BenchmarkAttendanceExportPlans(b *testing.B) {
	url := os.Getenv("BENCH_EXPLAIN_URL")
	if url == "" {
		b.Skip("BENCH_EXPLAIN_URL names a scaled database")
	}
	db := sqlx.MustOpen("postgres", url)
	defer db.Close()
	var course, session int64
	var province, programme string
	var firstCourses []int64
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(db.Get(&course, `SELECT min(id) FROM courses`))
	must(db.Get(&session, `SELECT min(id) FROM sessions WHERE course_id = $1`, course))
	must(db.Get(&province, `SELECT p.code FROM courses c JOIN provinces p ON p.id = c.province_id GROUP BY p.code ORDER BY count(*) DESC, p.code LIMIT 1`))
	must(db.Get(&programme, `SELECT code FROM programmes ORDER BY id DESC LIMIT 1`))
	must(db.Select(&firstCourses, `SELECT id FROM courses ORDER BY id LIMIT 5`))
	day := func(s string) domain.Date { d, _ := domain.ParseDate(s); return d }
	cases := []struct {
		name   string
		filter AttendanceFilter
		scope  Scope
	}{
		{"everything", AttendanceFilter{}, AllCourses()},
		{"a trainer's 5 courses", AttendanceFilter{}, OnlyCourses(firstCourses...)},
		{"one course", AttendanceFilter{CourseID: course}, AllCourses()},
		{"one session", AttendanceFilter{SessionID: session}, AllCourses()},
		{"one province", AttendanceFilter{Province: province}, AllCourses()},
		{"one programme", AttendanceFilter{Programme: programme}, AllCourses()},
		{"one month", AttendanceFilter{From: day("2022-03-01"), To: day("2022-03-31")}, AllCourses()},
		{"from a day on", AttendanceFilter{From: day("2026-06-01")}, AllCourses()},
		{"children, one province", AttendanceFilter{Province: province, Category: domain.ChildParliamentarian}, AllCourses()},
	}
	for _, c := range cases {
		q, args := explainedQuery(c.filter, c.scope)
		tx := db.MustBegin()
		for _, set := range exportPlanner {
			tx.MustExec(set)
		}
		var plan []string
		start := time.Now()
		must(tx.SelectContext(context.Background(), &plan, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+q, args...))
		elapsed := time.Since(start)
		_ = tx.Rollback()
		b.Logf("== %s (%s)\n%s", c.name, elapsed.Round(time.Millisecond), strings.Join(plan, "\n"))
	}
}

// explainedQuery is the query the export runs for a filter, with its arguments.
func explainedQuery(f AttendanceFilter, scope Scope) (string, []any) {
	return attendanceSQL, attendanceArgs(f, scope)
}
