package repository_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// person stores a trainee of category cat and sex sex; actors get the
// fixture's institution or association.
func (f *fixture) person(t *testing.T, cat domain.Category, sex domain.Sex, name string) *domain.Trainee {
	t.Helper()
	tr := &domain.Trainee{Category: cat, Sex: sex, FullNameLatin: ptr(name)}
	switch cat {
	case domain.InstitutionalActor:
		tr.OrganisationID = &f.institution.ID
	case domain.AssociativeActor:
		tr.OrganisationID = &f.association.ID
	case domain.ChildParliamentarian:
		tr.BirthYear, tr.GuardianConsent, tr.ConsentMethod = ptr(2007), true, domain.ConsentBeforeRecords
	}
	must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	return tr
}

func (f *fixture) enroll(t *testing.T, courseID int64, tr *domain.Trainee) *domain.Enrollment {
	t.Helper()
	e, err := f.store.Enroll(f.ctx, courseID, tr.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	return e
}

func (f *fixture) mark(t *testing.T, sessionID int64, tr *domain.Trainee, status domain.AttendanceStatus) {
	t.Helper()
	must(t, f.store.SaveAttendance(f.ctx, sessionID, []repository.Mark{{TraineeID: tr.ID, Status: status}}, nil))
}

// attend enrols tr in courseID and marks them status at sessionID.
func (f *fixture) attend(t *testing.T, courseID, sessionID int64, tr *domain.Trainee, status domain.AttendanceStatus) {
	t.Helper()
	f.enroll(t, courseID, tr)
	f.mark(t, sessionID, tr, status)
}

func (f *fixture) totals(t *testing.T, filter domain.TotalsFilter) *domain.Totals {
	t.Helper()
	tot, err := f.store.Totals(f.ctx, filter)
	must(t, err)
	return tot
}

// sessions adds n sessions of 2 hours to a course.
func (f *fixture) sessions(t *testing.T, courseID int64, n int) []domain.Session {
	t.Helper()
	ss := make([]domain.Session, n)
	for i := range ss {
		start := time.Date(2019, 4, 1+i, 9, 0, 0, 0, time.UTC)
		ss[i] = domain.Session{StartsAt: start, EndsAt: start.Add(2 * time.Hour), Hours: 2}
	}
	must(t, f.store.CreateSessions(f.ctx, courseID, ss, nil))
	return ss
}

func wantCounts(t *testing.T, what string, got, want domain.Counts) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func breakdown(t *testing.T, rows []domain.Breakdown, key string) domain.Breakdown {
	t.Helper()
	for _, b := range rows {
		if b.Key == key {
			return b
		}
	}
	t.Fatalf("no breakdown row %q in %+v", key, rows)
	return domain.Breakdown{}
}

func TestPersonInTwoCoursesIsCountedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	amina := f.person(t, domain.InstitutionalActor, domain.Female, "Amina Tazi")
	f.attend(t, f.course.ID, f.session.ID, amina, domain.Present)
	f.attend(t, f.otherCourse.ID, f.otherSess.ID, amina, domain.Late)

	tot := f.totals(t, domain.TotalsFilter{})
	wantCounts(t, "institutional actors", tot.ByCategory.InstitutionalActor, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	wantCounts(t, "local actors", tot.LocalActors, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	wantCounts(t, "province rabat", breakdown(t, tot.ByProvince, "rabat").LocalActors, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	wantCounts(t, "programme", breakdown(t, tot.ByProgramme, "child-protection").LocalActors, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	wantCounts(t, "year 2019", breakdown(t, tot.ByYear, "2019").LocalActors, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	wantCounts(t, "female", breakdown(t, tot.BySex, "female").LocalActors, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	if tot.Courses != 2 || tot.SessionsHeld != 2 || tot.TrainingHours != 6 || tot.AttendanceRate != 1 {
		t.Errorf("courses %d, sessions held %d, hours %v, rate %v: want 2, 2, 6, 1",
			tot.Courses, tot.SessionsHeld, tot.TrainingHours, tot.AttendanceRate)
	}
}

func TestAbsentOrExcusedOnlyIsNotTrained(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.InstitutionalActor, domain.Female, "Absent"), domain.Absent)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.InstitutionalActor, domain.Male, "Excused"), domain.Excused)
	late := f.person(t, domain.InstitutionalActor, domain.Male, "Late")
	f.attend(t, f.course.ID, f.session.ID, late, domain.Late)
	f.enroll(t, f.course.ID, f.person(t, domain.InstitutionalActor, domain.Male, "Never marked"))

	tot := f.totals(t, domain.TotalsFilter{})
	wantCounts(t, "local actors", tot.LocalActors, domain.Counts{Enrolled: 4, Trained: 1, Completed: 1})
	if tot.AttendanceRate != 0.3333 {
		t.Errorf("attendance rate: got %v, want 1 attended of 3 marks = 0.3333", tot.AttendanceRate)
	}

	// Correcting a mark from late to absent un-trains the person.
	f.mark(t, f.session.ID, late, domain.Absent)
	tot = f.totals(t, domain.TotalsFilter{})
	wantCounts(t, "after correction", tot.LocalActors, domain.Counts{Enrolled: 4, Trained: 0, Completed: 0})
	if tot.SessionsHeld != 1 || tot.AttendanceRate != 0 {
		t.Errorf("a session with only absences is still held (%d), rate 0 (%v)", tot.SessionsHeld, tot.AttendanceRate)
	}
}

func TestWithdrawnEnrolmentIsNotEnrolled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	left := f.person(t, domain.AssociativeActor, domain.Female, "Left before starting")
	f.enroll(t, f.course.ID, left)
	must(t, f.store.Withdraw(f.ctx, f.course.ID, left.ID, nil))
	must(t, f.store.Withdraw(f.ctx, f.course.ID, left.ID, nil)) // twice changes nothing

	tot := f.totals(t, domain.TotalsFilter{})
	wantCounts(t, "withdrawn before any session", tot.ByCategory.AssociativeActor, domain.Counts{})
	if tot.Associations != (domain.AssociationCounts{}) {
		t.Errorf("the association of a withdrawn member only: got %+v, want none", tot.Associations)
	}

	// Attended, then withdrew: no longer enrolled, but the training happened.
	came := f.person(t, domain.AssociativeActor, domain.Male, "Came once then left")
	f.attend(t, f.course.ID, f.session.ID, came, domain.Present)
	must(t, f.store.Withdraw(f.ctx, f.course.ID, came.ID, nil))
	tot = f.totals(t, domain.TotalsFilter{})
	wantCounts(t, "withdrawn after attending", tot.ByCategory.AssociativeActor, domain.Counts{Enrolled: 0, Trained: 1, Completed: 1})
	if err := f.store.Withdraw(f.ctx, f.course.ID, came.ID+1000, nil); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("withdrawing an unknown enrolment: want ErrNotFound, got %v", err)
	}
	assertCount(t, f, "audit_log WHERE action = 'enrollment.withdraw'", 2)
}

func TestAssociationWithTwoTrainedMembersIsCountedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.AssociativeActor, domain.Female, "Member one"), domain.Present)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.AssociativeActor, domain.Male, "Member two"), domain.Late)
	// A second association whose only member never came: enrolled, not trained.
	other := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association Nour")}
	must(t, f.store.CreateOrganisation(f.ctx, &other, nil))
	absent := &domain.Trainee{Category: domain.AssociativeActor, Sex: domain.Female, FullNameLatin: ptr("Absent member"), OrganisationID: &other.ID}
	must(t, f.store.CreateTrainee(f.ctx, absent, nil))
	f.attend(t, f.course.ID, f.session.ID, absent, domain.Absent)
	// An institution is never an association.
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.InstitutionalActor, domain.Male, "Civil servant"), domain.Present)

	tot := f.totals(t, domain.TotalsFilter{})
	if tot.Associations != (domain.AssociationCounts{Enrolled: 2, Trained: 1}) {
		t.Errorf("associations: got %+v, want enrolled 2, trained 1", tot.Associations)
	}
	// The same association with members of both sexes is counted once in each sex's row.
	if a := breakdown(t, tot.BySex, "female").Associations; a != (domain.AssociationCounts{Enrolled: 2, Trained: 1}) {
		t.Errorf("female members' associations: got %+v", a)
	}
	if a := breakdown(t, tot.BySex, "male").Associations; a != (domain.AssociationCounts{Enrolled: 1, Trained: 1}) {
		t.Errorf("male members' associations: got %+v", a)
	}
}

func TestChildParliamentarianIsNotALocalActor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.InstitutionalActor, domain.Female, "Adult"), domain.Present)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.ChildParliamentarian, domain.Male, "Child"), domain.Present)

	tot := f.totals(t, domain.TotalsFilter{})
	wantCounts(t, "local actors", tot.LocalActors, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	wantCounts(t, "child parliamentarians", tot.ByCategory.ChildParliamentarian, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	children := f.totals(t, domain.TotalsFilter{Category: domain.ChildParliamentarian})
	wantCounts(t, "local actors among children", children.LocalActors, domain.Counts{})
}

func TestCompletionNeedsTheThresholdOfAllTheCoursesSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.newCourse(t, "CP-THRESHOLD") // threshold 80 %
	ss := f.sessions(t, c.ID, 5)
	four := f.person(t, domain.InstitutionalActor, domain.Female, "Four of five")   // 80 %: completed
	three := f.person(t, domain.InstitutionalActor, domain.Male, "Three of five")   // 60 %: not
	excused := f.person(t, domain.InstitutionalActor, domain.Male, "Three+excused") // excused is not attended
	for _, tr := range []*domain.Trainee{four, three, excused} {
		f.enroll(t, c.ID, tr)
	}
	statuses := map[*domain.Trainee][]domain.AttendanceStatus{
		four:    {domain.Present, domain.Late, domain.Present, domain.Present, domain.Absent},
		three:   {domain.Present, domain.Present, domain.Present, domain.Absent, domain.Absent},
		excused: {domain.Present, domain.Present, domain.Present, domain.Excused},
	}
	for tr, marks := range statuses {
		for i, st := range marks {
			f.mark(t, ss[i].ID, tr, st)
		}
	}
	tot := f.totals(t, domain.TotalsFilter{Course: c.ID})
	wantCounts(t, "threshold 80 % of 5 sessions", tot.LocalActors, domain.Counts{Enrolled: 3, Trained: 3, Completed: 1})
	if tot.Courses != 1 || tot.SessionsHeld != 5 || tot.TrainingHours != 10 {
		t.Errorf("courses %d, sessions held %d, hours %v: want 1, 5, 10", tot.Courses, tot.SessionsHeld, tot.TrainingHours)
	}

	// A sixth, unmarked session is planned but not held: four of six is below 80 %.
	f.sessions(t, c.ID, 1)
	tot = f.totals(t, domain.TotalsFilter{Course: c.ID})
	wantCounts(t, "four of six", tot.LocalActors, domain.Counts{Enrolled: 3, Trained: 3, Completed: 0})
	if tot.SessionsHeld != 5 || tot.TrainingHours != 10 {
		t.Errorf("an unmarked session is not held: got %d sessions, %v hours", tot.SessionsHeld, tot.TrainingHours)
	}
}

// filterWorld has one trainee per combination of programme, year,
// province, sex and category, each trained in a course of that programme,
// year and province. Every count is then known: 2×2×2×2×3 = 48 people.
func filterWorld(t *testing.T) *fixture {
	f := newFixture(t)
	marrakech := domain.Province{RegionID: 7, Code: "marrakech", NameAr: "عمالة مراكش", NameFr: "Préfecture de Marrakech"}
	must(t, f.store.CreateProvince(f.ctx, &marrakech))
	parenting := domain.Programme{Code: "positive-parenting", NameAr: "التربية الوالدية الإيجابية",
		NameFr: "Parentalité positive", NameEn: "Positive parenting", StartYear: 2017, EndYear: 2020}
	must(t, f.store.CreateProgramme(f.ctx, &parenting, nil))
	n := 0
	for _, prog := range []int64{f.programme.ID, parenting.ID} {
		for _, year := range []int{2019, 2020} {
			for _, prov := range []string{"rabat", "marrakech"} {
				c := domain.Course{ProgrammeID: prog, Code: fmt.Sprintf("F-%d-%s", year, prov), TitleAr: "دورة", TitleFr: "Cours",
					Year: year, Province: prov, StartDate: date(fmt.Sprintf("%d-05-01", year)), EndDate: date(fmt.Sprintf("%d-05-02", year)), Capacity: 100}
				must(t, f.store.CreateCourse(f.ctx, &c, nil))
				s := f.sessions(t, c.ID, 1)[0]
				for _, sex := range []domain.Sex{domain.Female, domain.Male} {
					for _, cat := range domain.Categories {
						n++
						f.attend(t, c.ID, s.ID, f.person(t, cat, sex, fmt.Sprintf("Person %d", n)), domain.Present)
					}
				}
			}
		}
	}
	return f
}

func TestFiltersCombine(t *testing.T) {
	t.Parallel()
	f := filterWorld(t)
	one := domain.Counts{Enrolled: 1, Trained: 1, Completed: 1}
	cases := []struct {
		filter      domain.TotalsFilter
		local, kids int
		courses     int
	}{
		{domain.TotalsFilter{}, 32, 16, 8 + 2}, // + the fixture's two courses, without enrolments
		{domain.TotalsFilter{Programme: "positive-parenting"}, 16, 8, 4},
		{domain.TotalsFilter{Programme: "positive-parenting", Year: 2020}, 8, 4, 2},
		{domain.TotalsFilter{Programme: "positive-parenting", Year: 2020, Province: "marrakech"}, 4, 2, 1},
		{domain.TotalsFilter{Programme: "positive-parenting", Year: 2020, Province: "marrakech", Sex: domain.Male}, 2, 1, 1},
		{domain.TotalsFilter{Programme: "positive-parenting", Year: 2020, Province: "marrakech", Sex: domain.Male,
			Category: domain.AssociativeActor}, 1, 0, 1},
		{domain.TotalsFilter{Region: "marrakech-safi"}, 16, 8, 4},
		{domain.TotalsFilter{Region: "marrakech-safi", Province: "rabat"}, 0, 0, 0}, // a province outside the region
		{domain.TotalsFilter{Year: 2019, Sex: domain.Female}, 8, 4, 4 + 2},
		{domain.TotalsFilter{Category: domain.InstitutionalActor}, 16, 0, 10},
	}
	for _, c := range cases {
		tot := f.totals(t, c.filter)
		if tot.LocalActors.Trained != c.local || tot.ByCategory.ChildParliamentarian.Trained != c.kids || tot.Courses != c.courses {
			t.Errorf("%+v: local actors %d, children %d, courses %d; want %d, %d, %d", c.filter,
				tot.LocalActors.Trained, tot.ByCategory.ChildParliamentarian.Trained, tot.Courses, c.local, c.kids, c.courses)
		}
	}
	narrow := f.totals(t, domain.TotalsFilter{Programme: "positive-parenting", Year: 2020, Province: "marrakech",
		Sex: domain.Male, Category: domain.AssociativeActor})
	wantCounts(t, "the one associative man of 2020 in Marrakech", narrow.ByCategory.AssociativeActor, one)
	wantCounts(t, "no institutional actor", narrow.ByCategory.InstitutionalActor, domain.Counts{})
	if len(narrow.ByProvince) != 1 || narrow.ByProvince[0].Key != "marrakech" || narrow.ByProvince[0].NameFr != "Préfecture de Marrakech" {
		t.Errorf("province breakdown: %+v", narrow.ByProvince)
	}
	if len(narrow.ByRegion) != 1 || narrow.ByRegion[0].Key != "marrakech-safi" {
		t.Errorf("region breakdown: %+v", narrow.ByRegion)
	}
	if len(narrow.BySex) != 1 || narrow.BySex[0].Key != "male" {
		t.Errorf("sex breakdown: %+v", narrow.BySex)
	}

	all := f.totals(t, domain.TotalsFilter{})
	if got := keys(all.ByProgramme); got != "positive-parenting,child-protection" {
		t.Errorf("programmes in start-year order: got %s", got)
	}
	if got := keys(all.ByYear); got != "2019,2020" {
		t.Errorf("years: got %s", got)
	}
	if got := keys(all.ByRegion); got != "rabat-sale-kenitra,marrakech-safi" {
		t.Errorf("regions in region order: got %s", got)
	}
	wantCounts(t, "2020 row", breakdown(t, all.ByYear, "2020").LocalActors, domain.Counts{Enrolled: 16, Trained: 16, Completed: 16})
	wantCounts(t, "male children row", breakdown(t, all.BySex, "male").ByCategory.ChildParliamentarian, domain.Counts{Enrolled: 8, Trained: 8, Completed: 8})
}

func keys(rows []domain.Breakdown) string {
	s := ""
	for i, r := range rows {
		if i > 0 {
			s += ","
		}
		s += r.Key
	}
	return s
}

func TestUnknownFilterValuesAreValidationErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := map[string]domain.TotalsFilter{
		"programme": {Programme: "no-such-programme"},
		"region":    {Region: "atlantis"},
		"province":  {Province: "nowhere"},
		"course":    {Course: 999999},
		"year":      {Year: 1850},
		"sex":       {Sex: "other"},
		"category":  {Category: "minister"},
	}
	for field, filter := range cases {
		_, err := f.store.Totals(f.ctx, filter)
		wantInvalid(t, err, field)
	}
	// A SQL-looking value is only ever a parameter, and an invalid one.
	_, err := f.store.Totals(f.ctx, domain.TotalsFilter{Programme: "x' OR '1'='1"})
	wantInvalid(t, err, "programme")
}

func TestTotalsOfAnEmptyDatabaseAreZeros(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tot := f.totals(t, domain.TotalsFilter{})
	if tot.LocalActors != (domain.Counts{}) || tot.ByProvince == nil || len(tot.ByProvince) != 0 || tot.AttendanceRate != 0 {
		t.Errorf("want zeros and empty (non-nil) breakdowns, got %+v", tot)
	}
}

func TestAttendanceCountersFollowEveryChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.person(t, domain.InstitutionalActor, domain.Female, "Counted")
	e := f.enroll(t, f.course.ID, tr)
	ss := f.sessions(t, f.course.ID, 2)
	for _, step := range []struct {
		session int64
		status  domain.AttendanceStatus
	}{{f.session.ID, domain.Present}, {ss[0].ID, domain.Absent}, {ss[1].ID, domain.Late}, {f.session.ID, domain.Excused}, {ss[0].ID, domain.Present}} {
		f.mark(t, step.session, tr, step.status)
	}
	// Deleted by hand (a correction in psql): the trigger follows too.
	_, err := f.store.DB().Exec(`DELETE FROM attendance WHERE session_id = $1`, ss[1].ID)
	must(t, err)
	var got struct {
		Attended int  `db:"attended_count"`
		Marks    int  `db:"marks_count"`
		Held     bool `db:"held"`
	}
	must(t, f.store.DB().Get(&got, `SELECT attended_count, marks_count,
		(SELECT has_marks FROM sessions WHERE id = $2) AS held FROM enrollments WHERE id = $1`, e.ID, ss[1].ID))
	if got.Attended != 1 || got.Marks != 2 || got.Held {
		t.Errorf("counters: got %+v, want 1 attended of 2 marks, the emptied session not held", got)
	}
	assertCountersMatchAttendance(t, f.store)
}

// assertCountersMatchAttendance recounts every enrolment's and session's
// marks and compares them with the counters the trigger kept.
func assertCountersMatchAttendance(t *testing.T, store *repository.Store) {
	t.Helper()
	var drift int
	must(t, store.DB().Get(&drift, `SELECT
		(SELECT count(*) FROM enrollments e
		   LEFT JOIN (SELECT enrollment_id, count(*) FILTER (WHERE status IN ('present', 'late')) AS attended, count(*) AS marks
		                FROM attendance GROUP BY enrollment_id) a ON a.enrollment_id = e.id
		  WHERE e.attended_count <> coalesce(a.attended, 0) OR e.marks_count <> coalesce(a.marks, 0)) +
		(SELECT count(*) FROM sessions s WHERE s.has_marks <> EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id))`))
	if drift != 0 {
		t.Fatalf("%d enrolments or sessions have counters that disagree with their attendance marks", drift)
	}
}

func TestReportedFiguresAreComparedWithTheRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.InstitutionalActor, domain.Female, "One"), domain.Present)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.InstitutionalActor, domain.Male, "Two"), domain.Present)

	match := domain.ReportedFigure{Figure: "by_category.institutional_actor.trained", Programme: "child-protection", Value: 2, Source: "Rapport A"}
	must(t, f.store.CreateReportedFigure(f.ctx, &match, nil))
	miss := domain.ReportedFigure{Figure: "local_actors.trained", Programme: "child-protection", Year: ptr(2019), Value: 5,
		Source: "Rapport B", ReportedOn: ptr(date("2021-01-15"))}
	must(t, f.store.CreateReportedFigure(f.ctx, &miss, nil))
	otherYear := domain.ReportedFigure{Figure: "local_actors.trained", Programme: "child-protection", Year: ptr(2020), Value: 0, Source: "Rapport B"}
	must(t, f.store.CreateReportedFigure(f.ctx, &otherYear, nil))

	dup := match
	if err := f.store.CreateReportedFigure(f.ctx, &dup, nil); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("the same figure, scope and source twice: want a conflict, got %v", err)
	}
	wantInvalid(t, f.store.CreateReportedFigure(f.ctx, &domain.ReportedFigure{Figure: "local_actors.happy", Programme: "child-protection", Source: "x"}, nil), "figure")
	wantInvalid(t, f.store.CreateReportedFigure(f.ctx, &domain.ReportedFigure{Figure: "courses", Programme: "nope", Source: "x"}, nil), "programme")

	cmp, err := f.store.ReportedComparison(f.ctx, "child-protection")
	must(t, err)
	if len(cmp) != 3 {
		t.Fatalf("want 3 comparisons, got %+v", cmp)
	}
	byID := map[int64]domain.Comparison{}
	for _, c := range cmp {
		byID[c.Reported.ID] = c
	}
	if c := byID[match.ID]; !c.Matches || c.Recorded != 2 || c.Difference != 0 {
		t.Errorf("matching figure: %+v", c)
	}
	if c := byID[miss.ID]; c.Matches || c.Recorded != 2 || c.Difference != -3 || c.Reported.ReportedOn.String() != "2021-01-15" {
		t.Errorf("records show 3 fewer than reported: %+v", c)
	}
	if c := byID[otherYear.ID]; !c.Matches || c.Recorded != 0 {
		t.Errorf("2020 has nobody: %+v", c)
	}

	must(t, f.store.DeleteReportedFigure(f.ctx, miss.ID, nil))
	if err := f.store.DeleteReportedFigure(f.ctx, miss.ID, nil); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("deleting twice: want ErrNotFound, got %v", err)
	}
	list, err := f.store.ReportedFigures(f.ctx, "")
	must(t, err)
	if len(list) != 2 {
		t.Errorf("want 2 figures left, got %d", len(list))
	}
}

// The database's list of figure keys and the domain's must be the same.
func TestEveryFigureKeyCanBeReportedAndRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tot := f.totals(t, domain.TotalsFilter{})
	for _, key := range domain.FigureKeys {
		if _, ok := tot.Figure(key); !ok {
			t.Errorf("Totals.Figure does not know %q", key)
		}
		r := domain.ReportedFigure{Figure: key, Programme: "child-protection", Value: 1, Source: "Liste"}
		if err := f.store.CreateReportedFigure(f.ctx, &r, nil); err != nil {
			t.Errorf("the database refuses figure %q: %v", key, err)
		}
	}
	if _, err := f.store.DB().Exec(`INSERT INTO reported_figures (figure, programme_id, value, source)
		VALUES ('local_actors.happy', $1, 1, 'x')`, f.programme.ID); err == nil {
		t.Error("the database accepts an unknown figure key")
	}
}

func TestRecountAttendanceRepairsTheCounters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.person(t, domain.InstitutionalActor, domain.Female, "Recounted")
	f.attend(t, f.course.ID, f.session.ID, tr, domain.Present)
	// A bulk load with the trigger disabled leaves the counters behind.
	_, err := f.store.DB().Exec(`UPDATE enrollments SET attended_count = 0, marks_count = 0`)
	must(t, err)
	_, err = f.store.DB().Exec(`UPDATE sessions SET has_marks = NOT has_marks`)
	must(t, err)
	if got := f.totals(t, domain.TotalsFilter{}).LocalActors.Trained; got != 0 {
		t.Fatalf("stale counters should show 0 trained, got %d", got)
	}
	n, err := f.store.RecountAttendance(f.ctx)
	must(t, err)
	if n != 3 { // one enrolment, two sessions
		t.Errorf("corrected %d rows, want 3", n)
	}
	assertCountersMatchAttendance(t, f.store)
	if got := f.totals(t, domain.TotalsFilter{}).LocalActors.Trained; got != 1 {
		t.Errorf("after the recount: %d trained, want 1", got)
	}
}

// A breakdown that the filter fixes to one value (the province under a
// province filter, every place and time under a course filter) has one row,
// equal to the row counted without the filter.
func TestBreakdownsFixedByTheFilterEqualTheRowsCountedWithoutIt(t *testing.T) {
	t.Parallel()
	f := filterWorld(t)
	// Someone trained twice in Marrakech, in 2019 and 2020: one person in the province's row.
	twice := f.person(t, domain.AssociativeActor, domain.Female, "Twice in Marrakech")
	for _, year := range []int{2019, 2020} {
		prog, err := f.store.ProgrammeByCode(f.ctx, "positive-parenting")
		must(t, err)
		c, err := f.store.CourseByCode(f.ctx, prog.ID, fmt.Sprintf("F-%d-marrakech", year))
		must(t, err)
		ss, err := f.store.Sessions(f.ctx, c.ID)
		must(t, err)
		f.attend(t, c.ID, ss[0].ID, twice, domain.Present)
	}
	all := f.totals(t, domain.TotalsFilter{})
	cases := []struct {
		filter domain.TotalsFilter
		rows   func(*domain.Totals) []domain.Breakdown
		key    string
	}{
		{domain.TotalsFilter{Province: "marrakech"}, func(t *domain.Totals) []domain.Breakdown { return t.ByProvince }, "marrakech"},
		{domain.TotalsFilter{Province: "marrakech"}, func(t *domain.Totals) []domain.Breakdown { return t.ByRegion }, "marrakech-safi"},
		{domain.TotalsFilter{Region: "marrakech-safi"}, func(t *domain.Totals) []domain.Breakdown { return t.ByRegion }, "marrakech-safi"},
		{domain.TotalsFilter{Year: 2020}, func(t *domain.Totals) []domain.Breakdown { return t.ByYear }, "2020"},
		{domain.TotalsFilter{Programme: "positive-parenting"}, func(t *domain.Totals) []domain.Breakdown { return t.ByProgramme }, "positive-parenting"},
	}
	for _, c := range cases {
		got := c.rows(f.totals(t, c.filter))
		if len(got) != 1 || !reflect.DeepEqual(got[0], breakdown(t, c.rows(all), c.key)) {
			t.Errorf("%+v: row %+v, want %+v", c.filter, got, breakdown(t, c.rows(all), c.key))
		}
	}
	if got := breakdown(t, all.ByProvince, "marrakech").ByCategory.AssociativeActor.Trained; got != 8+1 {
		t.Errorf("Marrakech associative actors: got %d, want 8 + the one trained twice", got)
	}

	// One course pins every place and time breakdown to the course's.
	first, err := f.store.CourseByCode(f.ctx, f.programme.ID, "F-2019-rabat")
	must(t, err)
	one := f.totals(t, domain.TotalsFilter{Course: first.ID})
	for name, rows := range map[string][]domain.Breakdown{"programme": one.ByProgramme, "year": one.ByYear,
		"region": one.ByRegion, "province": one.ByProvince} {
		if len(rows) != 1 || rows[0].LocalActors != one.LocalActors || rows[0].ByCategory != one.ByCategory ||
			rows[0].Associations != one.Associations || rows[0].AttendanceRate != one.AttendanceRate {
			t.Errorf("course filter, %s breakdown: %+v, headline %+v", name, rows, one.LocalActors)
		}
	}
	if one.ByProgramme[0].Key != "child-protection" || one.ByYear[0].Key != "2019" || one.ByProvince[0].Key != "rabat" ||
		one.ByRegion[0].Key != "rabat-sale-kenitra" || one.ByProvince[0].NameFr != "Préfecture de Rabat" {
		t.Errorf("course filter keys: %s %s %s %s", one.ByProgramme[0].Key, one.ByYear[0].Key, one.ByRegion[0].Key, one.ByProvince[0].Key)
	}
}
