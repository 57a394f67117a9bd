package repository_test

import (
	"fmt"
	"slices"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The property of issue 19, point 3: after random changes (marks both
// ways, withdrawals and re-enrolments, corrections of enrolments, merges
// and unmerges, cancelled sessions, thresholds, courses moving: the random
// steps of cube_test.go and figures_property_test.go) and a bulk issue of
// every course, the enrolments holding a valid certificate are exactly
// those the totals count as completed, withdrawn or not.
//
// "Counted as completed" is checked twice, so that neither the
// certificates nor the totals can drift alone: the test counts completion
// from the raw marks (attendanceCompletedSQL, its own oracle, not the
// counters the store reads), the holders must equal that set, and, per
// course, that set's size must equal the
// completed people the totals API reports for the course.
func TestCertificateHoldersAreTheCompleted(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newFiguresWorld(t, seed)
			var history []string
			issues := 0
			for i := 0; i < 80; i++ {
				switch w.rng.IntN(3) {
				case 0:
					history = append(history, w.step(t))
				case 1:
					history = append(history, w.attendAll(t))
				default:
					op := w.drawOp()
					for op.name == "close or reopen a course" { // cube_test's steps write to any course
						op = w.drawOp()
					}
					history = append(history, op.apply(w, t))
				}
				if i%10 == 9 {
					issueEverywhere(t, w)
					w.checkHolders(t, history)
					issues++
				}
			}
			var valid int
			must(t, w.store.DB().Get(&valid, `SELECT count(*) FROM certificates WHERE revoked_at IS NULL`))
			var revoked int
			must(t, w.store.DB().Get(&revoked, `SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL`))
			t.Logf("%d valid, %d revoked certificates after %d issues", valid, revoked, issues)
			if valid == 0 || revoked == 0 {
				t.Errorf("%d valid and %d revoked certificates after %d issues: the test tested little", valid, revoked, issues)
			}
		})
	}
}

// attendAll marks everyone enrolled in a random course present or late at
// every session (so that people complete), or, one time in three, absent
// at one session (so that some stop completing).
func (w *figuresWorld) attendAll(t *testing.T) string {
	c := w.courses[w.rng.IntN(len(w.courses))]
	ss, err := w.store.Sessions(w.ctx, c.ID)
	must(t, err)
	var ids []int64
	must(t, w.store.DB().Select(&ids, `SELECT trainee_id FROM enrollments WHERE course_id = $1 AND status <> 'withdrawn'`, c.ID))
	if len(ss) == 0 || len(ids) == 0 {
		return "nobody to mark"
	}
	status, sessions := domain.Present, ss
	if w.rng.IntN(3) == 0 {
		status, sessions = domain.Absent, ss[:1]
	} else if w.rng.IntN(2) == 0 {
		status = domain.Late
	}
	for _, s := range sessions {
		var marks []repository.Mark
		for _, id := range ids {
			marks = append(marks, repository.Mark{TraineeID: id, Status: status})
		}
		if err := w.store.SaveAttendance(w.ctx, s.ID, marks, nil); err != nil {
			return fmt.Sprintf("mark course %d %s: %v", c.ID, status, err)
		}
	}
	return fmt.Sprintf("course %d: %d people %s at %d sessions", c.ID, len(ids), status, len(sessions))
}

// issueEverywhere issues every course's certificates, as a coordinator.
func issueEverywhere(t *testing.T, w *figuresWorld) {
	t.Helper()
	var courses []int64
	must(t, w.store.DB().Select(&courses, `SELECT id FROM courses ORDER BY id`))
	for _, id := range courses {
		_, err := w.store.IssueCertificates(w.ctx, id, nil)
		must(t, err)
	}
	// Issuing again issues nothing and revokes nothing.
	for _, id := range courses {
		run, err := w.store.IssueCertificates(w.ctx, id, nil)
		must(t, err)
		if run != (domain.CertificateRun{}) {
			t.Fatalf("a second issue of course %d did %+v", id, run)
		}
	}
}

// attendanceCompletedSQL is the test's own completion: an enrolment's
// present or late marks, counted from the marks, reach the course's
// threshold of its sessions not cancelled.
const attendanceCompletedSQL = `
SELECT e.id, e.course_id
  FROM enrollments e JOIN courses c ON c.id = e.course_id
  CROSS JOIN LATERAL (SELECT count(*) AS n FROM sessions s WHERE s.course_id = c.id AND s.cancelled_at IS NULL) planned
  CROSS JOIN LATERAL (SELECT count(*) AS n FROM attendance a JOIN sessions s ON s.id = a.session_id
                       WHERE a.enrollment_id = e.id AND a.status IN ('present', 'late') AND s.cancelled_at IS NULL) attended
 WHERE planned.n > 0 AND attended.n * 100 >= c.completion_threshold * planned.n
 ORDER BY e.id`

func (w *figuresWorld) checkHolders(t *testing.T, history []string) {
	t.Helper()
	var completed []struct {
		ID       int64 `db:"id"`
		CourseID int64 `db:"course_id"`
	}
	must(t, w.store.DB().Select(&completed, attendanceCompletedSQL))
	var want []int64
	perCourse := map[int64]int{}
	for _, e := range completed {
		perCourse[e.CourseID]++
		want = append(want, e.ID)
	}
	var holders []int64
	must(t, w.store.DB().Select(&holders, `SELECT enrollment_id FROM certificates WHERE revoked_at IS NULL ORDER BY enrollment_id`))
	if !slices.Equal(holders, want) {
		t.Fatalf("holders of valid certificates %v, completed %v (last steps: %v)",
			holders, want, history[max(0, len(history)-8):])
	}
	// What the certificates say is what the records say now (a name
	// printed is the person's; withheld only for a child or a withdrawn consent).
	var stale int
	must(t, w.store.DB().Get(&stale, `SELECT count(*) FROM certificates x JOIN enrollments e ON e.id = x.enrollment_id
	     JOIN courses c ON c.id = e.course_id JOIN trainees t ON t.id = e.trainee_id
	    WHERE x.revoked_at IS NULL AND (x.trainee_id <> e.trainee_id OR x.category <> e.category
	          OR (x.holder_name_latin IS NOT NULL AND x.holder_name_latin IS DISTINCT FROM t.full_name_latin)
	          OR (x.holder_name_latin IS NULL AND x.holder_name_ar IS NULL AND t.anonymised_at IS NULL
	              AND 'child_parliamentarian' NOT IN (e.category, t.category)
	              AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.trainee_id = t.id AND k.scope = 'certificate_name'))
	          OR x.hours <> c.held_hours
	          OR x.course_title_fr <> c.title_fr OR x.start_date <> c.start_date)`))
	if stale != 0 {
		t.Fatalf("%d valid certificates say what the records no longer say (last steps: %v)", stale, history[max(0, len(history)-8):])
	}
	// The totals count the same completions, course by course.
	var courses []int64
	must(t, w.store.DB().Select(&courses, `SELECT id FROM courses ORDER BY id`))
	for _, id := range courses {
		tot, err := w.store.Totals(w.ctx, domain.TotalsFilter{Course: id})
		must(t, err)
		got := 0
		for _, c := range domain.Categories {
			got += tot.ByCategory.Of(c).Completed
		}
		if got != perCourse[id] {
			t.Fatalf("course %d: the totals count %d completed, the marks %d (last steps: %v)", id, got, perCourse[id], history[max(0, len(history)-8):])
		}
	}
}
