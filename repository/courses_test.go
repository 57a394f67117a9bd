package repository_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

func TestSearchIsInsensitiveToCaseAccentsAndDiacritics(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tr := range []*domain.Trainee{
		f.institutionalActor("Fatima Zahra"),
		f.institutionalActor("Fátima Alami"),
		{Category: domain.InstitutionalActor, FullNameAr: ptr("فَاطِمَة بنعلي"), Sex: domain.Female, OrganisationID: &f.institution.ID},
		f.institutionalActor("Karim Idrissi"),
	} {
		must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	}
	cases := map[string]int{"fatima": 2, "FATIMA": 2, "فاطمة": 1, "karim": 1, "nobody": 0, "%": 0, "": 0}
	for query, want := range cases {
		got, err := f.store.SearchTrainees(f.ctx, query, repository.Page{Limit: 20})
		must(t, err)
		if len(got) != want {
			t.Errorf("search %q: want %d results, got %d", query, want, len(got))
		}
	}
}

func TestSearchByPhoneAndNationalID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.institutionalActor("Omar Benjelloun")
	tr.Phone, tr.NationalID = ptr("0661234567"), ptr("BK445566")
	must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	for _, q := range []string{"06 61 23 45 67", "bk445566"} {
		got, err := f.store.SearchTrainees(f.ctx, q, repository.Page{Limit: 20})
		must(t, err)
		if len(got) != 1 || got[0].ID != tr.ID {
			t.Errorf("search %q: want Omar, got %+v", q, got)
		}
	}
}

func TestPossibleDuplicatesByNameBirthYearAndOrganisation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.institutionalActor("Hélène Aït-Lahcen")
	first.BirthYear = ptr(1985)
	must(t, f.store.CreateTrainee(f.ctx, first, nil))
	again := f.institutionalActor("helene ait lahcen")
	again.BirthYear = ptr(1985)
	dups, err := f.store.PossibleDuplicates(f.ctx, again)
	must(t, err)
	if len(dups) != 1 || dups[0].ID != first.ID {
		t.Fatalf("want the existing record offered, got %+v", dups)
	}
	again.BirthYear = ptr(1990)
	dups, err = f.store.PossibleDuplicates(f.ctx, again)
	must(t, err)
	if len(dups) != 0 {
		t.Fatalf("another birth year is another person, got %+v", dups)
	}
}

func TestFullCourseRefusesUnlessOverridden(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	small := domain.Course{ProgrammeID: f.programme.ID, Code: "SMALL", TitleAr: "دورة", TitleFr: "Cours", Year: 2019,
		Province: "rabat", StartDate: date("2019-01-01"), EndDate: date("2019-01-02"), Capacity: 1}
	must(t, f.store.CreateCourse(f.ctx, &small, nil))
	a, b, c := f.institutionalActor("A One"), f.institutionalActor("B Two"), f.institutionalActor("C Three")
	for _, tr := range []*domain.Trainee{a, b, c} {
		must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	}
	_, err := f.store.Enroll(f.ctx, small.ID, a.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	_, err = f.store.Enroll(f.ctx, small.ID, b.ID, repository.EnrollOptions{}, nil)
	wantInvalid(t, err, "course_id")
	_, err = f.store.Enroll(f.ctx, small.ID, b.ID, repository.EnrollOptions{OverrideCapacity: true}, nil)
	must(t, err)
	// Creating and enrolling is one transaction: a refused enrolment creates nobody.
	newcomer := f.institutionalActor("Dounia Newcomer")
	_, err = f.store.EnrollNew(f.ctx, small.ID, newcomer, repository.EnrollOptions{}, nil)
	wantInvalid(t, err, "course_id")
	assertCount(t, f, "trainees", 3)
}

func TestWithdrawalKeepsAttendanceHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.institutionalActor("Rachid Amrani")
	_, err := f.store.EnrollNew(f.ctx, f.course.ID, tr, repository.EnrollOptions{}, nil)
	must(t, err)
	must(t, f.store.SaveAttendance(f.ctx, f.session.ID, []repository.Mark{{TraineeID: tr.ID, Status: domain.Present}}, nil))
	must(t, f.store.Withdraw(f.ctx, f.course.ID, tr.ID, nil))
	must(t, f.store.Withdraw(f.ctx, f.course.ID, tr.ID, nil)) // twice changes nothing
	if err := f.store.Withdraw(f.ctx, f.otherCourse.ID, tr.ID, nil); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("withdrawing from a course never joined: want not found, got %v", err)
	}
	roster, err := f.store.Roster(f.ctx, f.course.ID)
	must(t, err)
	if len(roster) != 1 || roster[0].Status != domain.Withdrawn || roster[0].Attended != 1 {
		t.Fatalf("want the withdrawn enrolment with its attendance, got %+v", roster)
	}
	assertCount(t, f, "attendance", 1)
	// A withdrawn trainee is no longer on the session's sheet and cannot be marked.
	sheet, err := f.store.SessionAttendance(f.ctx, f.session.ID)
	must(t, err)
	if len(sheet) != 0 {
		t.Fatalf("want an empty sheet, got %+v", sheet)
	}
	err = f.store.SaveAttendance(f.ctx, f.session.ID, []repository.Mark{{TraineeID: tr.ID, Status: domain.Absent}}, nil)
	wantInvalid(t, err, "trainee_id")
}

func TestAttendanceForFortyTraineesIsOneTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	marks := make([]repository.Mark, 40)
	for i := range marks {
		tr := f.institutionalActor(fmt.Sprintf("Trainee %02d", i))
		_, err := f.store.EnrollNew(f.ctx, f.course.ID, tr, repository.EnrollOptions{}, nil)
		must(t, err)
		marks[i] = repository.Mark{TraineeID: tr.ID, Status: domain.AttendanceStatuses[i%4]}
	}
	must(t, f.store.SaveAttendance(f.ctx, f.session.ID, marks, nil))
	// Every row written by the save carries the same transaction id (xmin).
	var transactions int
	must(t, f.store.DB().Get(&transactions, `SELECT count(DISTINCT xmin::text) FROM (
		SELECT xmin FROM attendance WHERE session_id = $1
		UNION ALL SELECT xmin FROM audit_log WHERE action = 'attendance.mark') rows`, f.session.ID))
	if transactions != 1 {
		t.Fatalf("want one transaction, got %d", transactions)
	}
	assertCount(t, f, "attendance", 40)

	// Editing later: only real changes are written and logged.
	marks[0].Status = domain.Late
	must(t, f.store.SaveAttendance(f.ctx, f.session.ID, marks, nil))
	var logged int
	must(t, f.store.DB().Get(&logged, `SELECT count(*) FROM audit_log WHERE action = 'attendance.mark'`))
	if logged != 41 {
		t.Fatalf("want 40 + 1 audit entries, got %d", logged)
	}

	// One trainee not enrolled: nothing saved at all.
	stranger := f.institutionalActor("Not Enrolled")
	must(t, f.store.CreateTrainee(f.ctx, stranger, nil))
	marks[1].Status = domain.Excused
	err := f.store.SaveAttendance(f.ctx, f.session.ID, append(marks, repository.Mark{TraineeID: stranger.ID, Status: domain.Present}), nil)
	wantInvalid(t, err, "trainee_id")
	var excused int
	must(t, f.store.DB().Get(&excused, `SELECT count(*) FROM attendance WHERE status = 'excused'`))
	if excused != 10 {
		t.Fatalf("a refused save changed marks: %d excused", excused)
	}
}

func TestRosterRatesAndThreshold(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	start := time.Date(2019, 3, 12, 9, 0, 0, 0, time.UTC)
	more := []domain.Session{}
	for i := 0; i < 4; i++ { // 5 sessions in all with the fixture's
		s := start.AddDate(0, 0, 7*i)
		more = append(more, domain.Session{StartsAt: s, EndsAt: s.Add(2 * time.Hour), Hours: 2})
	}
	must(t, f.store.CreateSessions(f.ctx, f.course.ID, more, nil))
	keen, lax := f.institutionalActor("Keen"), f.institutionalActor("Lax")
	for _, tr := range []*domain.Trainee{keen, lax} {
		_, err := f.store.EnrollNew(f.ctx, f.course.ID, tr, repository.EnrollOptions{}, nil)
		must(t, err)
	}
	sessions, err := f.store.Sessions(f.ctx, f.course.ID)
	must(t, err)
	for i, s := range sessions {
		laxStatus := domain.Absent
		if i == 0 {
			laxStatus = domain.Late
		}
		keenStatus := domain.Present
		if i == 4 {
			keenStatus = domain.Excused // 4 of 5 = 80 %: meets the default threshold
		}
		must(t, f.store.SaveAttendance(f.ctx, s.ID, []repository.Mark{{TraineeID: keen.ID, Status: keenStatus}, {TraineeID: lax.ID, Status: laxStatus}}, nil))
	}
	roster, err := f.store.Roster(f.ctx, f.course.ID)
	must(t, err)
	byID := map[int64]repository.RosterEntry{}
	for _, r := range roster {
		byID[r.TraineeID] = r
	}
	if r := byID[keen.ID]; r.Attended != 4 || r.AttendanceRate != 0.8 || !r.MeetsThreshold {
		t.Errorf("keen: %+v", r)
	}
	if r := byID[lax.ID]; r.Attended != 1 || r.MeetsThreshold {
		t.Errorf("lax: %+v", r)
	}
	summaries, err := f.store.SessionSummaries(f.ctx, f.course.ID)
	must(t, err)
	if len(summaries) != 5 || summaries[0].Marked != 2 || summaries[0].Attended != 2 {
		t.Fatalf("session summaries: %+v", summaries)
	}
}
