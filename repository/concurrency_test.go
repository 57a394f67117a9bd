package repository_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

func TestFiftyConcurrentAttendanceSavesForOneSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var trainees []int64
	for i := 0; i < 30; i++ {
		tr := f.institutionalActor(fmt.Sprintf("Concurrent %02d", i))
		_, err := f.store.EnrollNew(f.ctx, f.course.ID, tr, repository.EnrollOptions{}, nil)
		must(t, err)
		trainees = append(trainees, tr.ID)
	}
	// Each save sends every trainee, in a different order and with statuses
	// that depend on the save: any of them may be the last one.
	sent := map[int64]map[domain.AttendanceStatus]bool{}
	saves := make([][]repository.Mark, 50)
	for s := range saves {
		for i := range trainees {
			id := trainees[(i+s)%len(trainees)]
			status := domain.AttendanceStatuses[(s+i)%4]
			saves[s] = append(saves[s], repository.Mark{TraineeID: id, Status: status})
			if sent[id] == nil {
				sent[id] = map[domain.AttendanceStatus]bool{}
			}
			sent[id][status] = true
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(saves))
	for _, marks := range saves {
		wg.Add(1)
		go func(marks []repository.Mark) {
			defer wg.Done()
			errs <- f.store.SaveAttendance(f.ctx, f.session.ID, marks, nil)
		}(marks)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a concurrent save failed: %v", err)
		}
	}
	var final []struct {
		TraineeID int64                   `db:"trainee_id"`
		Status    domain.AttendanceStatus `db:"status"`
		Attended  int                     `db:"attended_count"`
		Marks     int                     `db:"marks_count"`
	}
	must(t, f.store.DB().Select(&final, `SELECT e.trainee_id, a.status, e.attended_count, e.marks_count
		FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id WHERE a.session_id = $1`, f.session.ID))
	if len(final) != len(trainees) {
		t.Fatalf("want one mark per trainee, got %d", len(final))
	}
	for _, m := range final {
		if !sent[m.TraineeID][m.Status] {
			t.Errorf("trainee %d ended %s, which no save sent", m.TraineeID, m.Status)
		}
		wantAttended := 0
		if m.Status.Attended() {
			wantAttended = 1
		}
		if m.Marks != 1 || m.Attended != wantAttended {
			t.Errorf("trainee %d: counters %d/%d disagree with the final mark %s", m.TraineeID, m.Attended, m.Marks, m.Status)
		}
	}
}

func TestTwentyConcurrentEnrolmentsOfOnePerson(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.institutionalActor("Only Once")
	must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	var wg sync.WaitGroup
	results := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.store.Enroll(f.ctx, f.course.ID, tr.ID, repository.EnrollOptions{}, nil)
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	ok, conflicts := 0, 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, domain.ErrConflict):
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || conflicts != 19 {
		t.Fatalf("want 1 enrolment and 19 conflicts, got %d and %d", ok, conflicts)
	}
	assertCount(t, f, "enrollments", 1)
}

func TestConcurrentCreationOfOneNationalIDMakesOnePerson(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tr := f.institutionalActor(fmt.Sprintf("Same Person %d", i))
			tr.NationalID = ptr("JK998877")
			_, _ = f.store.EnrollNew(f.ctx, f.course.ID, tr, repository.EnrollOptions{}, nil)
		}(i)
	}
	wg.Wait()
	assertCount(t, f, "trainees", 1)
	assertCount(t, f, "enrollments", 1)
}
