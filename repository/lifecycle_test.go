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

// wantRefusal fails unless err is a refusal of kind with the message key.
func wantRefusal(t *testing.T, err, kind error, key string) {
	t.Helper()
	var r *domain.Refusal
	if !errors.Is(err, kind) || !errors.As(err, &r) || r.Key != key {
		t.Fatalf("want %v (%s), got %v", kind, key, err)
	}
}

// auditCount counts the audit entries of an action on an entity.
func (f *fixture) auditCount(t *testing.T, action string, id int64) int {
	t.Helper()
	var n int
	must(t, f.store.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND entity_id = $2`, action, id))
	return n
}

// A session is edited while it has no mark, audited with before and after;
// once marked, editing it is refused (409) and it stays as it was.
func TestSessionEditIsRefusedOnceMarked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ss := f.session
	ss.Place, ss.Hours = "Salle 2", 2.5
	ss.StartsAt = ss.StartsAt.Add(24 * time.Hour)
	ss.EndsAt = ss.EndsAt.Add(24 * time.Hour)
	must(t, f.store.UpdateSession(f.ctx, &ss, nil))
	got, err := f.store.Session(f.ctx, ss.ID)
	must(t, err)
	if got.Place != "Salle 2" || got.Hours != 2.5 || !got.StartsAt.Equal(ss.StartsAt) {
		t.Fatalf("edit not saved: %+v", got)
	}
	var before, after string
	must(t, f.store.DB().QueryRow(`SELECT before->>'place', after->>'place' FROM audit_log
	      WHERE action = 'session.update' AND entity_id = $1`, ss.ID).Scan(&before, &after))
	if before != "Rabat" || after != "Salle 2" {
		t.Errorf("audit: before %q, after %q", before, after)
	}

	f.attend(t, f.course.ID, ss.ID, f.person(t, domain.InstitutionalActor, domain.Female, "Marked"), domain.Present)
	again := *got
	again.Place = "Ailleurs"
	wantRefusal(t, f.store.UpdateSession(f.ctx, &again, nil), domain.ErrConflict, "session.has_marks")
	if now, _ := f.store.Session(f.ctx, ss.ID); now.Place != "Salle 2" {
		t.Errorf("a refused edit changed the place to %q", now.Place)
	}
}

// A session without marks is deleted (audited with what it was); one with
// marks is not (409), and stays.
func TestSessionDeleteIsRefusedOnceMarked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	must(t, f.store.DeleteSession(f.ctx, f.otherSess.ID, nil))
	if _, err := f.store.Session(f.ctx, f.otherSess.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted session still there: %v", err)
	}
	if f.auditCount(t, "session.delete", f.otherSess.ID) != 1 {
		t.Error("the deletion is not audited")
	}

	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.InstitutionalActor, domain.Female, "Marked"), domain.Absent)
	wantRefusal(t, f.store.DeleteSession(f.ctx, f.session.ID, nil), domain.ErrConflict, "session.has_marks_delete")
	if _, err := f.store.Session(f.ctx, f.session.ID); err != nil {
		t.Fatalf("a refused deletion removed the session: %v", err)
	}
}

// Cancelling a session takes it out of the completion denominator, the
// sessions held and the training hours, and its marks out of "trained",
// in the cube (no course filter) and counting from the records alike.
func TestCancelledSessionLeavesCompletionSessionsHeldAndHours(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	second := f.sessions(t, f.course.ID, 1)[0] // the course: 3 h + 2 h
	stays := f.person(t, domain.InstitutionalActor, domain.Female, "Present at the first")
	gone := f.person(t, domain.AssociativeActor, domain.Male, "Present only at the second")
	f.attend(t, f.course.ID, f.session.ID, stays, domain.Present)
	f.mark(t, second.ID, stays, domain.Absent)
	f.attend(t, f.course.ID, second.ID, gone, domain.Present)

	programme := domain.TotalsFilter{Programme: f.programme.Code}
	course := domain.TotalsFilter{Course: f.course.ID}
	check := func(when string, held int, hours float64, trained, completed int) {
		t.Helper()
		for _, filter := range []domain.TotalsFilter{programme, course} {
			cube := f.totals(t, filter)
			records, err := f.store.TotalsFromRecords(f.ctx, filter)
			must(t, err)
			if !reflect.DeepEqual(cube, records) {
				reportDifference(t, cube, records)
				t.Fatalf("%s, %+v: the cube and the records differ", when, filter)
			}
			want := domain.Counts{Enrolled: 2, Trained: trained, Completed: completed}
			if cube.SessionsHeld != held || cube.TrainingHours != hours || cube.LocalActors != want {
				t.Errorf("%s, %+v: held %d, hours %v, local actors %+v; want %d, %v, %+v", when, filter,
					cube.SessionsHeld, cube.TrainingHours, cube.LocalActors, held, hours, want)
			}
		}
	}
	check("before", 2, 5, 2, 0) // 1 of 2 sessions each: 50 % < 80 %

	wantInvalid(t, f.store.CancelSession(f.ctx, second.ID, "  ", nil), "cancel_reason")
	must(t, f.store.CancelSession(f.ctx, second.ID, "Salle fermée", nil))
	check("after the cancellation", 1, 3, 1, 1) // 1 of 1 session: completed; the other trained nowhere
	_, err := f.store.FoldTotals(f.ctx)
	must(t, err)
	check("after a fold", 1, 3, 1, 1)
	assertCubeMatchesRebuild(t, f.store)
	if n, err := f.store.RecountAttendance(f.ctx); err != nil || n != 0 {
		t.Errorf("the counters after a cancellation: %d corrected by a recount (%v)", n, err)
	}

	cancelled, err := f.store.Session(f.ctx, second.ID)
	must(t, err)
	if !cancelled.Cancelled() || cancelled.CancelReason == nil || *cancelled.CancelReason != "Salle fermée" {
		t.Errorf("the cancellation is not kept: %+v", cancelled)
	}
	if f.auditCount(t, "session.cancel", second.ID) != 1 {
		t.Error("the cancellation is not audited")
	}
	wantRefusal(t, f.store.CancelSession(f.ctx, second.ID, "again", nil), domain.ErrConflict, "session.cancelled")
	roster, err := f.store.Roster(f.ctx, f.course.ID)
	must(t, err)
	for _, r := range roster {
		if r.Sessions != 1 {
			t.Errorf("roster: %d sessions, want 1 (the cancelled one left out)", r.Sessions)
		}
	}
}

// Random cancellations among random enrolments, rosters, withdrawals and
// the other changes of cube_test.go keep the cube equal to the records
// after every step, and the counters equal to a recount.
func TestRandomCancellationsKeepTheCubeEqualToTheRecords(t *testing.T) {
	t.Parallel()
	for seed := uint64(11); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newCubeWorld(t, seed)
			var history []string
			cancelled := 0
			for i := 0; i < 80; i++ {
				if w.rng.IntN(4) == 0 {
					history = append(history, w.cancelRandomSession(t, &cancelled))
				} else {
					history = append(history, w.step(t))
				}
				if w.rng.IntN(3) == 0 {
					_, err := w.store.FoldOneBatch(w.ctx, 1+w.rng.IntN(4))
					must(t, err)
				}
				w.compare(t, domain.TotalsFilter{}, history)
				w.compare(t, w.randomFilter(), history)
			}
			if cancelled == 0 {
				t.Fatalf("no session was cancelled: the test tested nothing (%v)", history)
			}
			assertCubeMatchesRebuild(t, w.store)
			if n, err := w.store.RecountAttendance(w.ctx); err != nil || n != 0 {
				t.Errorf("counters: %d corrected by a recount (%v)", n, err)
			}
		})
	}
}

// cancelRandomSession cancels a session not cancelled yet, marked or not.
func (w *cubeWorld) cancelRandomSession(t *testing.T, cancelled *int) string {
	t.Helper()
	var ids []int64
	must(t, w.store.DB().Select(&ids, `SELECT id FROM sessions WHERE cancelled_at IS NULL ORDER BY id`))
	if len(ids) == 0 {
		return "nothing to cancel"
	}
	id := ids[w.rng.IntN(len(ids))]
	must(t, w.store.CancelSession(w.ctx, id, "did not take place", nil))
	*cancelled++
	return fmt.Sprintf("cancel session %d", id)
}

// A closed course refuses every write without a correction reason (409),
// at the database: enrolments, withdrawals, marks, sessions, the course's
// own fields. With a reason (a coordinator's correction), the write is
// made and its audit entries carry the reason. Reopening needs a reason.
func TestClosedCourseRefusesWritesWithoutACorrectionReason(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.person(t, domain.InstitutionalActor, domain.Female, "Enrolled before closing")
	f.attend(t, f.course.ID, f.session.ID, p, domain.Present)
	late := f.person(t, domain.InstitutionalActor, domain.Male, "Too late")
	closing, err := f.store.CloseCourse(f.ctx, f.course.ID, nil)
	must(t, err)
	_, err = f.store.CloseCourse(f.ctx, f.course.ID, nil)
	wantRefusal(t, err, domain.ErrConflict, "course.already_closed")

	closed := repository.ErrCourseClosed
	_, err = f.store.Enroll(f.ctx, f.course.ID, late.ID, repository.EnrollOptions{}, nil)
	wantRefusal(t, err, domain.ErrConflict, closed.Key)
	wantRefusal(t, f.store.Withdraw(f.ctx, f.course.ID, p.ID, nil), domain.ErrConflict, closed.Key)
	wantRefusal(t, f.store.SaveAttendance(f.ctx, f.session.ID, []repository.Mark{{TraineeID: p.ID, Status: domain.Absent}}, nil),
		domain.ErrConflict, closed.Key)
	start := time.Date(2019, 3, 20, 9, 0, 0, 0, time.UTC)
	wantRefusal(t, f.store.CreateSessions(f.ctx, f.course.ID, []domain.Session{{StartsAt: start, EndsAt: start.Add(time.Hour), Hours: 1}}, nil),
		domain.ErrConflict, closed.Key)
	wantRefusal(t, f.store.CancelSession(f.ctx, f.session.ID, "no", nil), domain.ErrConflict, closed.Key)
	course, err := f.store.Course(f.ctx, f.course.ID)
	must(t, err)
	course.CompletionThreshold = 10
	wantRefusal(t, f.store.UpdateCourse(f.ctx, course, nil), domain.ErrConflict, closed.Key)
	if now := f.totals(t, domain.TotalsFilter{Course: f.course.ID}); !reflect.DeepEqual(domain.Figures(now), closing.Figures) {
		t.Fatalf("refused writes moved the figures: %v, at closing %v", domain.Figures(now), closing.Figures)
	}

	// A coordinator's correction, with its reason.
	ctx := repository.WithCorrection(f.ctx, "Oubli du formateur")
	must(t, f.store.SaveAttendance(ctx, f.session.ID, []repository.Mark{{TraineeID: p.ID, Status: domain.Absent}}, nil))
	_, err = f.store.Enroll(ctx, f.course.ID, late.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	var reasons []string
	must(t, f.store.DB().Select(&reasons, `SELECT coalesce(reason, '') FROM audit_log
	      WHERE action IN ('attendance.mark', 'enrollment.create') ORDER BY id`))
	if want := []string{"", "", "Oubli du formateur", "Oubli du formateur"}; !reflect.DeepEqual(reasons, want) {
		t.Errorf("audit reasons %q, want %q", reasons, want)
	}

	wantInvalid(t, f.store.ReopenCourse(f.ctx, f.course.ID, "", nil), "reopen_reason")
	must(t, f.store.ReopenCourse(f.ctx, f.course.ID, "Rapport révisé", nil))
	wantRefusal(t, f.store.ReopenCourse(f.ctx, f.course.ID, "again", nil), domain.ErrConflict, "course.not_closed")
	must(t, f.store.Withdraw(f.ctx, f.course.ID, late.ID, nil))
}

// Closing stores the course's figures as the totals give them, and those
// of its programme and its programme's year; a reopening is kept on it.
func TestClosingStoresTheFiguresOfTheCourseAndItsScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.InstitutionalActor, domain.Female, "A"), domain.Present)
	f.attend(t, f.otherCourse.ID, f.otherSess.ID, f.person(t, domain.ChildParliamentarian, domain.Male, "B"), domain.Present)
	want := domain.Figures(f.totals(t, domain.TotalsFilter{Course: f.course.ID}))
	wantProgramme := domain.Figures(f.totals(t, domain.TotalsFilter{Programme: f.programme.Code}))
	wantYear := domain.Figures(f.totals(t, domain.TotalsFilter{Programme: f.programme.Code, Year: 2019}))
	if want["local_actors.trained"] != 1 || wantProgramme["by_category.child_parliamentarian.trained"] != 1 {
		t.Fatalf("the world is not what the test says: %v, %v", want, wantProgramme)
	}
	_, err := f.store.CloseCourse(f.ctx, f.course.ID, nil)
	must(t, err)
	closings, err := f.store.CourseClosings(f.ctx, f.course.ID)
	must(t, err)
	if len(closings) != 1 {
		t.Fatalf("%d closings stored", len(closings))
	}
	got := closings[0]
	if !reflect.DeepEqual(got.Figures, want) || !reflect.DeepEqual(got.ProgrammeFigures, wantProgramme) ||
		!reflect.DeepEqual(got.ProgrammeYearFigures, wantYear) {
		t.Errorf("stored figures:\n%v\n%v\n%v\nwant\n%v\n%v\n%v", got.Figures, got.ProgrammeFigures, got.ProgrammeYearFigures,
			want, wantProgramme, wantYear)
	}
	scopes, err := f.store.ScopeClosings(f.ctx)
	must(t, err)
	if s := scopes[domain.TotalsFilter{Programme: f.programme.Code}]; !reflect.DeepEqual(s.Figures, wantProgramme) {
		t.Errorf("the programme's closing: %v", s.Figures)
	}
	if s := scopes[domain.TotalsFilter{Programme: f.programme.Code, Year: 2019}]; !reflect.DeepEqual(s.Figures, wantYear) {
		t.Errorf("the programme's 2019 closing: %v", s.Figures)
	}
	if f.auditCount(t, "course.close", f.course.ID) != 1 {
		t.Error("the closing is not audited")
	}
	must(t, f.store.ReopenCourse(f.ctx, f.course.ID, "Rapport révisé", nil))
	closings, err = f.store.CourseClosings(f.ctx, f.course.ID)
	must(t, err)
	if closings[0].ReopenedAt == nil || *closings[0].ReopenReason != "Rapport révisé" {
		t.Errorf("the reopening is not kept on the closing: %+v", closings[0])
	}
	if scopes, _ := f.store.ScopeClosings(f.ctx); len(scopes) != 0 {
		t.Errorf("a reopened course's closing is still in force: %v", scopes)
	}
	if f.auditCount(t, "course.reopen", f.course.ID) != 1 {
		t.Error("the reopening is not audited")
	}
}

// Random enrolments, rosters, withdrawals, cancellations, closings and
// coordinators' corrections: the cube equals the records after every
// step, and a closed course's figures equal those its closing kept unless
// a correction was made on it (writes without a reason are refused).
func TestClosedCoursesKeepTheirFiguresUnlessCorrected(t *testing.T) {
	t.Parallel()
	w := newCubeWorld(t, 21)
	closed := map[int64]map[string]int{} // course → figures at closing
	corrected := map[int64]bool{}
	var history []string
	refused := 0
	for i := 0; i < 120; i++ {
		c := w.courses[w.rng.IntN(len(w.courses))]
		p := w.people[w.rng.IntN(len(w.people))]
		_, isClosed := closed[c.ID]
		ctx, correction := w.ctx, isClosed && w.rng.IntN(3) == 0
		if correction {
			ctx = repository.WithCorrection(w.ctx, "correction")
		}
		var err error
		switch r := w.rng.IntN(10); {
		case r < 3:
			_, err = w.store.Enroll(ctx, c.ID, p.ID, repository.EnrollOptions{}, nil)
		case r < 6:
			var ss []domain.Session
			if ss, err = w.store.Sessions(w.ctx, c.ID); err == nil && len(ss) > 0 {
				status := domain.AttendanceStatuses[w.rng.IntN(4)]
				err = w.store.SaveAttendance(ctx, ss[w.rng.IntN(len(ss))].ID, []repository.Mark{{TraineeID: p.ID, Status: status}}, nil)
			}
		case r < 7:
			err = w.store.Withdraw(ctx, c.ID, p.ID, nil)
		case r < 8:
			var ss []domain.Session
			if ss, err = w.store.Sessions(w.ctx, c.ID); err == nil && len(ss) > 0 {
				err = w.store.CancelSession(ctx, ss[w.rng.IntN(len(ss))].ID, "did not take place", nil)
			}
		default:
			if _, ok := closed[c.ID]; ok {
				err = w.store.ReopenCourse(w.ctx, c.ID, "report revised", nil)
				delete(closed, c.ID)
				delete(corrected, c.ID)
			} else {
				var closing *repository.CourseClosing
				if closing, err = w.store.CloseCourse(w.ctx, c.ID, nil); err == nil {
					closed[c.ID] = closing.Figures
				}
			}
			correction = false
		}
		if errors.Is(err, repository.ErrCourseClosed) {
			refused++
		} else if _, ok := closed[c.ID]; ok && correction && err == nil {
			corrected[c.ID] = true
		}
		history = append(history, fmt.Sprintf("step %d on course %d: %v", i, c.ID, err))
		w.compare(t, domain.TotalsFilter{}, history)
		w.compare(t, w.randomFilter(), history)
		for id, figures := range closed {
			now := domain.Figures(w.totals(t, domain.TotalsFilter{Course: id}))
			if !corrected[id] && !reflect.DeepEqual(now, figures) {
				t.Fatalf("closed course %d moved without a correction: %v, at closing %v (%v)", id, now, figures, history[max(0, len(history)-5):])
			}
		}
	}
	if refused == 0 || len(corrected) == 0 {
		t.Errorf("%d writes refused, %d courses corrected: the test tested less than it says", refused, len(corrected))
	}
	assertCubeMatchesRebuild(t, w.store)
}

// cancelSession is the property test's (figures_property_test.go)
// cancellation of a random session not cancelled yet, marked or not.
// (A closed course refuses it: the answer says so.)
func (w *figuresWorld) cancelSession(t *testing.T) string {
	var ids []int64
	must(t, w.store.DB().Select(&ids, `SELECT id FROM sessions WHERE cancelled_at IS NULL ORDER BY id`))
	if len(ids) == 0 {
		return "nothing to cancel"
	}
	id := ids[w.rng.IntN(len(ids))]
	return fmt.Sprintf("cancel session %d: %v", id, w.store.CancelSession(w.ctx, id, "did not take place", nil))
}

// closeOrReopen closes a random open course, or reopens a closed one: no
// figure moves (the writes refused meanwhile are the other operations').
func (w *figuresWorld) closeOrReopen(t *testing.T) string {
	c := w.courses[w.rng.IntN(len(w.courses))]
	if _, err := w.store.CloseCourse(w.ctx, c.ID, nil); !errors.Is(err, domain.ErrConflict) {
		return fmt.Sprintf("close %d: %v", c.ID, err)
	}
	return fmt.Sprintf("reopen %d: %v", c.ID, w.store.ReopenCourse(w.ctx, c.ID, "report revised", nil))
}

// A cancelled session refuses marks (422, nothing saved), "mark all present"
// included: nobody met, and a mark would count it as held again.
func TestCancelledSessionRefusesMarks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.person(t, domain.InstitutionalActor, domain.Female, "Late Comer")
	f.enroll(t, f.course.ID, tr)
	must(t, f.store.CancelSession(f.ctx, f.session.ID, "Salle fermée", nil))
	marks := []repository.Mark{{TraineeID: tr.ID, Status: domain.Present}}
	if err := f.store.SaveAttendance(f.ctx, f.session.ID, marks, nil); !errors.Is(err, domain.ErrSessionCanceled) {
		t.Fatalf("a mark for a cancelled session: %v, want ErrSessionCanceled", err)
	}
	if err := f.store.MarkOthersPresent(f.ctx, f.session.ID, nil, nil); !errors.Is(err, domain.ErrSessionCanceled) {
		t.Fatalf("mark all present on a cancelled session: %v, want ErrSessionCanceled", err)
	}
	var n int
	must(t, f.store.DB().Get(&n, `SELECT count(*) FROM attendance WHERE session_id = $1`, f.session.ID))
	if n != 0 {
		t.Fatalf("%d marks saved for a cancelled session", n)
	}
}

// CourseClosed, the guard's point read of every coordinator's write on a
// course: open, closed, reopened, and a course that does not exist.
func TestCourseClosedAnswersTheCourseState(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	closed, err := f.store.CourseClosed(f.ctx, f.course.ID)
	must(t, err)
	if closed {
		t.Fatal("an open course is reported closed")
	}
	_, err = f.store.CloseCourse(f.ctx, f.course.ID, nil)
	must(t, err)
	if closed, err = f.store.CourseClosed(f.ctx, f.course.ID); err != nil || !closed {
		t.Fatalf("closed course: %v, %v; want true", closed, err)
	}
	must(t, f.store.ReopenCourse(f.ctx, f.course.ID, "a late sheet", nil))
	if closed, err = f.store.CourseClosed(f.ctx, f.course.ID); err != nil || closed {
		t.Fatalf("reopened course: %v, %v; want false", closed, err)
	}
	if _, err := f.store.CourseClosed(f.ctx, f.course.ID+1_000_000); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing course: %v, want ErrNotFound", err)
	}
}
