package repository_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

var demoTables = []string{"provinces", "programmes", "organisations", "courses", "sessions", "trainees",
	"enrollments", "attendance", "audit_log", "reported_figures"}

func tableCounts(t *testing.T, store *repository.Store) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, table := range demoTables {
		var n int
		must(t, store.DB().Get(&n, "SELECT count(*) FROM "+table))
		counts[table] = n
	}
	return counts
}

func TestDemoDataReproducesThePublishedFigures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.Store(t)
	now := time.Now() // both runs on the same day: the current course is the same
	report, err := store.SeedDemoProgrammesAt(ctx, now)
	must(t, err)
	if report.Programmes != 3 || report.Provinces != 8 || report.ReportedFigures != 5 || report.Withdrawals != 1 {
		t.Errorf("first run: %+v", report)
	}

	cp, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoChildProtection})
	must(t, err)
	wantCounts(t, "child-protection local actors", onlyEnrolledTrained(cp.LocalActors), domain.Counts{Enrolled: 151, Trained: 151})
	wantCounts(t, "institutional actors", onlyEnrolledTrained(cp.ByCategory.InstitutionalActor), domain.Counts{Enrolled: 121, Trained: 121})
	wantCounts(t, "associative actors", onlyEnrolledTrained(cp.ByCategory.AssociativeActor), domain.Counts{Enrolled: 30, Trained: 30})
	wantCounts(t, "child parliamentarians", onlyEnrolledTrained(cp.ByCategory.ChildParliamentarian), domain.Counts{Enrolled: 30, Trained: 30})
	if len(cp.ByProvince) != 8 {
		t.Errorf("child protection: want courses in 8 pilot provinces, got %d", len(cp.ByProvince))
	}
	if cp.AttendanceRate >= 1 || cp.AttendanceRate < 0.8 {
		t.Errorf("some absences and excused marks, mostly present: rate %v", cp.AttendanceRate)
	}

	pp, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoPositiveParenting})
	must(t, err)
	if pp.Associations != (domain.AssociationCounts{Enrolled: 96, Trained: 96}) {
		t.Errorf("positive parenting: want 96 associations, got %+v", pp.Associations)
	}
	if pp.ByCategory.AssociativeActor.Trained <= 96 {
		t.Errorf("several associations have 2–3 trained members: %d members", pp.ByCategory.AssociativeActor.Trained)
	}

	tkf, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoTakaffoul})
	must(t, err)
	wantCounts(t, "takaffoul cohort", onlyEnrolledTrained(tkf.LocalActors), domain.Counts{Enrolled: 22, Trained: 21})
	tkf2020, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoTakaffoul, Year: 2020})
	must(t, err)
	wantCounts(t, "takaffoul 2020 (one withdrew)", onlyEnrolledTrained(tkf2020.LocalActors), domain.Counts{Enrolled: 20, Trained: 20})

	// People who attended several courses are counted once: the courses
	// hold more enrolments than there are people.
	var people, enrolments int
	must(t, store.DB().Get(&people, `SELECT count(DISTINCT trainee_id) FROM enrollments`))
	must(t, store.DB().Get(&enrolments, `SELECT count(*) FROM enrollments`))
	national, err := store.Totals(ctx, domain.TotalsFilter{})
	must(t, err)
	everyone := national.LocalActors.Add(national.ByCategory.ChildParliamentarian)
	if everyone.Enrolled != people || everyone.Trained != people-1 || enrolments <= people {
		t.Errorf("national: %d enrolled and %d trained (want all %d people, less the one who never came) with %d enrolments",
			everyone.Enrolled, everyone.Trained, people, enrolments)
	}
	if national.Associations.Trained != 96 {
		t.Errorf("child protection's associative actors are members of the same 96 associations: got %d", national.Associations.Trained)
	}
	var absent, excused int
	must(t, store.DB().Get(&absent, `SELECT count(*) FROM attendance WHERE status = 'absent'`))
	must(t, store.DB().Get(&excused, `SELECT count(*) FROM attendance WHERE status = 'excused'`))
	if absent == 0 || excused == 0 {
		t.Errorf("want some absences (%d) and excused marks (%d)", absent, excused)
	}
	var childData int
	must(t, store.DB().Get(&childData, `SELECT count(*) FROM trainees WHERE category = 'child_parliamentarian'
		AND (phone IS NOT NULL OR email IS NOT NULL OR national_id IS NOT NULL OR NOT EXISTS (
		SELECT 1 FROM consents c WHERE c.trainee_id = trainees.id AND c.scope = 'training' AND c.withdrawn_at IS NULL))`))
	if childData != 0 {
		t.Errorf("%d child parliamentarians carry personal data or lack consent", childData)
	}
	body, err := json.Marshal(national)
	must(t, err)
	if strings.Contains(string(body), "ZZ1") || strings.Contains(string(body), "Fatima") {
		t.Errorf("the totals carry personal data: %s", body)
	}

	cmp, err := store.ReportedComparison(ctx, "")
	must(t, err)
	if len(cmp) != 5 {
		t.Fatalf("want the report's 5 figures, got %d", len(cmp))
	}
	for _, c := range cmp {
		if !c.Matches || c.Difference != 0 {
			t.Errorf("%s (%s): reported %d, recorded %d", c.Reported.Figure, c.Reported.Programme, c.Reported.Value, c.Recorded)
		}
	}
	assertCountersMatchAttendance(t, store)

	// The finished courses' completed hold a certificate, and only they (issue 19).
	var missing, undeserved int
	must(t, store.DB().Get(&missing, `SELECT count(*) FROM enrollments e JOIN courses c ON c.id = e.course_id
	     WHERE c.end_date < now()
	       AND c.session_count > 0 AND e.attended_count * 100 >= c.completion_threshold * c.session_count
	       AND NOT EXISTS (SELECT 1 FROM certificates x WHERE x.enrollment_id = e.id AND x.revoked_at IS NULL)`))
	must(t, store.DB().Get(&undeserved, `SELECT count(*) FROM certificates x JOIN enrollments e ON e.id = x.enrollment_id
	     JOIN courses c ON c.id = e.course_id WHERE x.revoked_at IS NULL
	       AND NOT (c.session_count > 0 AND e.attended_count * 100 >= c.completion_threshold * c.session_count)`))
	if report.Certificates == 0 || missing != 0 || undeserved != 0 {
		t.Errorf("demo certificates: %d issued, %d completed without one, %d held by others", report.Certificates, missing, undeserved)
	}

	// A second run changes nothing: no row, no figure.
	before := tableCounts(t, store)
	again, err := store.SeedDemoProgrammesAt(ctx, now)
	must(t, err)
	if again.Changed() {
		t.Errorf("second run created %+v", again)
	}
	if after := tableCounts(t, store); !reflect.DeepEqual(before, after) {
		t.Errorf("row counts changed on the second run: %v → %v", before, after)
	}
	cpAgain, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoChildProtection})
	must(t, err)
	ppAgain, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoPositiveParenting})
	must(t, err)
	if !reflect.DeepEqual(cp, cpAgain) || !reflect.DeepEqual(pp, ppAgain) {
		t.Errorf("figures changed on the second run")
	}
	if cpAgain.LocalActors.Trained != 151 || ppAgain.Associations.Trained != 96 {
		t.Errorf("after the second run: %d local actors, %d associations", cpAgain.LocalActors.Trained, ppAgain.Associations.Trained)
	}
}

// onlyEnrolledTrained drops the completed count, which depends on drawn attendance.
func onlyEnrolledTrained(c domain.Counts) domain.Counts {
	return domain.Counts{Enrolled: c.Enrolled, Trained: c.Trained}
}

// TestDemoTrainerHasAWeekOfWork: the demo gives trainer@demo.ma a course
// running in the week it is seeded, with a session every day and the
// attendance of the days before today only, without moving any figure of
// the report; a run in a later week adds that week's course.
func TestDemoTrainerHasAWeekOfWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.Store(t)
	if _, _, err := store.SeedDemoAccounts(ctx); err != nil {
		t.Fatal(err)
	}
	wednesday := time.Date(2026, 12, 2, 15, 0, 0, 0, domain.Casablanca) // week 49
	report, err := store.SeedDemoProgrammesAt(ctx, wednesday)
	must(t, err)
	if report.TrainerAssignments != 2 {
		t.Errorf("the demo trainer gets this week's course and the 2020 module: %d assignments", report.TrainerAssignments)
	}
	trainer, err := store.UserByEmail(ctx, repository.DemoTrainer)
	must(t, err)
	week := domain.WeekOf(wednesday)
	scope, err := store.ScopeFor(ctx, trainer)
	must(t, err)
	agenda, err := store.TrainerAgenda(ctx, scope, week)
	must(t, err)
	if len(agenda.Sessions) != 7 || len(agenda.Courses) != 2 {
		t.Fatalf("the trainer's week: %d sessions, %d courses", len(agenda.Sessions), len(agenda.Courses))
	}
	for day, s := range agenda.Sessions {
		if week.Day(s.StartsAt) != day || s.CourseCode != "TKF-SUIVI-2026-S49" || s.Enrolled != 12 {
			t.Errorf("session %d: %s, day %d, course %s, %d enrolled", day, s.StartsAt, week.Day(s.StartsAt), s.CourseCode, s.Enrolled)
		}
		if past := day < week.TodayDay(); (s.Marked > 0) != past {
			t.Errorf("%s: %d marks; want marks only before today", s.StartsAt.In(domain.Casablanca), s.Marked)
		}
	}
	current := agenda.Courses[0]
	if current.Code != "TKF-SUIVI-2026-S49" || current.Sessions != 7 || current.Held != 2 || current.AttendanceRate() == 0 ||
		agenda.Courses[1].Code != "TKF-2020" || agenda.Courses[1].Held != 4 {
		t.Errorf("the trainer's courses: %+v", agenda.Courses)
	}
	published := func(when string) {
		t.Helper()
		cp, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoChildProtection})
		must(t, err)
		pp, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoPositiveParenting})
		must(t, err)
		tkf, err := store.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoTakaffoul})
		must(t, err)
		if cp.LocalActors.Trained != 151 || cp.ByCategory.InstitutionalActor.Trained != 121 || cp.ByCategory.AssociativeActor.Trained != 30 ||
			cp.ByCategory.ChildParliamentarian.Trained != 30 || pp.Associations.Trained != 96 {
			t.Errorf("%s: the published figures moved: %d %d %d %d %d", when, cp.LocalActors.Trained, cp.ByCategory.InstitutionalActor.Trained,
				cp.ByCategory.AssociativeActor.Trained, cp.ByCategory.ChildParliamentarian.Trained, pp.Associations.Trained)
		}
		wantCounts(t, when+": takaffoul cohort", onlyEnrolledTrained(tkf.LocalActors), domain.Counts{Enrolled: 22, Trained: 21})
	}
	published("after the first run")

	before := tableCounts(t, store)
	again, err := store.SeedDemoProgrammesAt(ctx, wednesday.Add(2*time.Hour))
	must(t, err)
	if again.Changed() || !reflect.DeepEqual(before, tableCounts(t, store)) {
		t.Errorf("a second run the same day changed %+v", again)
	}
	nextWeek, err := store.SeedDemoProgrammesAt(ctx, wednesday.AddDate(0, 0, 7))
	must(t, err)
	if nextWeek.Courses != 1 || nextWeek.Sessions != 7 || nextWeek.TrainerAssignments != 1 || nextWeek.Trainees != 0 {
		t.Errorf("a run next week adds that week's course, nobody new: %+v", nextWeek)
	}
	published("after a run the next week")
	var held int
	must(t, store.DB().Get(&held, `SELECT sessions_held FROM courses WHERE code = 'TKF-SUIVI-2026-S49'`))
	if held != 2 {
		t.Errorf("last week's course was changed: %d sessions held", held)
	}
}
