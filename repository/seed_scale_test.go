package repository_test

import (
	"context"
	"io"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func TestSeedScaleMakesAConsistentDataset(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	opt := repository.ScaleOptions{Trainees: 2000, Courses: 40, SessionsPerCourse: 5, Progress: io.Discard}
	must(t, store.SeedScale(ctx, opt))

	var counts struct {
		Trainees   int `db:"trainees"`
		Sessions   int `db:"sessions"`
		Attendance int `db:"attendance"`
		Drift      int `db:"drift"`
	}
	must(t, store.DB().Get(&counts, `SELECT (SELECT count(*) FROM trainees) AS trainees,
		(SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM attendance) AS attendance,
		(SELECT count(*) FROM enrollments e WHERE e.marks_count <> (SELECT count(*) FROM attendance a WHERE a.enrollment_id = e.id)) AS drift`))
	if counts.Trainees != 2000 || counts.Sessions != 200 {
		t.Fatalf("counts: %+v", counts)
	}
	// Everyone attends each session of their course; one in ten has a second course.
	if counts.Attendance < 2000*5 || counts.Attendance > 2200*5 {
		t.Fatalf("attendance rows: %d", counts.Attendance)
	}
	if counts.Drift != 0 {
		t.Fatalf("%d enrolments whose counters disagree with their marks", counts.Drift)
	}
	tot, err := store.Totals(ctx, domain.TotalsFilter{})
	must(t, err)
	if tot.LocalActors.Enrolled == 0 || tot.ByCategory.ChildParliamentarian.Trained == 0 {
		t.Fatalf("totals on synthetic data: %+v", tot)
	}
	if err := store.SeedScale(ctx, opt); err == nil {
		t.Fatal("a second scale seed into the same database must be refused")
	}
}
