package repository_test

import (
	"sync"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Ten phones scanning one badge at once mark it once: one check-in, nine
// "already present", one mark, one audit entry.
func TestConcurrentScansOfOneBadgeMarkItOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.institutionalActor("Amina Alaoui")
	_, err := f.store.EnrollNew(f.ctx, f.course.ID, p, repository.EnrollOptions{}, nil)
	must(t, err)
	codes, err := f.store.CheckinCodes(f.ctx, f.course.ID)
	must(t, err)
	outcomes := make(chan domain.CheckinOutcome, 10)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			r, err := f.store.CheckIn(f.ctx, f.session.ID, domain.CheckinInput{Token: codes[p.ID].Token}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			outcomes <- r.Outcome
		})
	}
	wg.Wait()
	close(outcomes)
	count := map[domain.CheckinOutcome]int{}
	for o := range outcomes {
		count[o]++
	}
	if count[domain.CheckedIn] != 1 || count[domain.AlreadyPresent] != 9 {
		t.Errorf("outcomes %v, want 1 checked in and 9 already present", count)
	}
	var marks, audited int
	must(t, f.store.DB().Get(&marks, `SELECT count(*) FROM attendance WHERE session_id = $1`, f.session.ID))
	must(t, f.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'attendance.checkin'`))
	if marks != 1 || audited != 1 {
		t.Errorf("%d marks and %d audit entries, want 1 and 1", marks, audited)
	}
}

// Printing twice, or twice at once, gives each enrolment one code, the
// same each time.
func TestCheckinCodesAreMadeOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, name := range []string{"Amina Alaoui", "Youssef Idrissi", "Salma Bennani"} {
		_, err := f.store.EnrollNew(f.ctx, f.course.ID, f.institutionalActor(name), repository.EnrollOptions{}, nil)
		must(t, err)
	}
	results := make([]map[int64]domain.CheckinCode, 4)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			var err error
			if results[i], err = f.store.CheckinCodes(f.ctx, f.course.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var stored int
	must(t, f.store.DB().Get(&stored, `SELECT count(*) FROM enrollment_codes WHERE course_id = $1`, f.course.ID))
	if stored != 3 || len(results[0]) != 3 {
		t.Fatalf("%d codes stored, %d returned; want 3", stored, len(results[0]))
	}
	for i := range results {
		for id, code := range results[0] {
			if results[i][id] != code {
				t.Errorf("printing %d gave %v for %d, another %v", i, results[i][id], id, code)
			}
		}
	}
}

// A merge of two records enrolled in one course keeps one enrolment: both
// badges then scan as the kept person; the unmerge puts every code back
// on its own enrolment.
func TestCheckinCodesFollowAMergeAndItsUnmerge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kept, removed, third := twoRecordsOfOnePerson(t, f)
	codes, err := f.store.CheckinCodes(f.ctx, f.course.ID)
	must(t, err)
	before := dumpTables(t, f, append(mergeTables, "enrollment_codes")...)
	id, err := f.store.MergeTrainees(f.ctx, kept.ID, removed.ID, nil)
	must(t, err)
	var owners []int64
	must(t, f.store.DB().Select(&owners, `SELECT DISTINCT e.trainee_id FROM enrollment_codes c JOIN enrollments e ON e.id = c.enrollment_id
	                                      WHERE c.token IN ($1, $2)`, codes[kept.ID].Token, codes[removed.ID].Token))
	if len(owners) != 1 || owners[0] != kept.ID {
		t.Errorf("after the merge, the two badges belong to %v, want only %d", owners, kept.ID)
	}
	must(t, f.store.Unmerge(f.ctx, id, nil))
	assertSameDump(t, dumpTables(t, f, append(mergeTables, "enrollment_codes")...), before)
	// Each badge scans as its own person again (removed was present at the third session already).
	for p, want := range map[*domain.Trainee]domain.CheckinOutcome{kept: domain.CheckedIn, removed: domain.AlreadyPresent} {
		r, err := f.store.CheckIn(f.ctx, third.ID, domain.CheckinInput{Short: codes[p.ID].Short}, nil)
		if err != nil || r.TraineeID != p.ID || r.Outcome != want {
			t.Errorf("%d's badge after the unmerge: %+v, %v; want %s", p.ID, r, err, want)
		}
	}
}
