package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// roomPeople enrols three more people in the world's course and gives
// three of the four a saved mark other than present: late, absent, excused.
// The fourth (the world's trainee) has none.
func roomPeople(t *testing.T, w *world) (marked map[int64]domain.AttendanceStatus, unmarked int64) {
	t.Helper()
	ctx := context.Background()
	marked = map[int64]domain.AttendanceStatus{}
	var marks []repository.Mark
	for i, status := range []domain.AttendanceStatus{domain.Late, domain.Absent, domain.Excused} {
		p := &domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(fmt.Sprintf("Marked %d", i)),
			Sex: domain.Male, OrganisationID: &w.institution.ID}
		if _, err := w.store.EnrollNew(ctx, w.course.ID, p, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
		marked[p.ID] = status
		marks = append(marks, repository.Mark{TraineeID: p.ID, Status: status})
	}
	if err := w.store.SaveAttendance(ctx, w.session.ID, marks, nil); err != nil {
		t.Fatal(err)
	}
	return marked, w.trainee.ID
}

// marksOf is the session's marks, by person.
func marksOf(t *testing.T, w *world, sessionID int64) map[int64]domain.AttendanceStatus {
	t.Helper()
	var rows []struct {
		TraineeID int64                   `db:"trainee_id"`
		Status    domain.AttendanceStatus `db:"status"`
	}
	err := w.store.DB().Select(&rows, `SELECT e.trainee_id, a.status FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id
		WHERE a.session_id = $1`, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]domain.AttendanceStatus{}
	for _, r := range rows {
		out[r.TraineeID] = r.Status
	}
	return out
}

// Field case of issue 14: pressing "mark all present" a second time
// overwrote the saved late, absent and excused marks. The sheet sends what
// a browser sends (each radio as shown, with the mark it showed); the
// button fills only the person with no mark, and says so; a sheet loaded
// before someone else's mark does not replace it either.
func TestMarkAllPresentFillsOnlyTheUnmarked(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	marked, unmarked := roomPeople(t, env.world)
	sheet := fmt.Sprintf("/sessions/%d/attendance", env.session.ID)
	page := env.trainer.get(sheet)
	expectStatus(t, "sheet", page, 200)
	if !strings.Contains(page.Body, "تسجيل حضور كل من لم يُسجَّل بعد") {
		t.Error("the button does not say it marks only those not marked yet")
	}
	asShown := url.Values{"action": {"all_present"}}
	for id, status := range marked {
		asShown.Set(fmt.Sprintf("status_%d", id), string(status))
		asShown.Set(fmt.Sprintf("shown_%d", id), string(status))
	}
	asShown.Set(fmt.Sprintf("shown_%d", unmarked), "")
	for press := 1; press <= 2; press++ {
		expectStatus(t, fmt.Sprintf("press %d", press), env.trainer.post(sheet, asShown), 303)
		got := marksOf(t, env.world, env.session.ID)
		for id, status := range marked {
			if got[id] != status {
				t.Errorf("press %d: person %d is %q, want their saved %q", press, id, got[id], status)
			}
		}
		if got[unmarked] != domain.Present {
			t.Errorf("press %d: the unmarked person is %q, want present", press, got[unmarked])
		}
	}

	// A sheet showing a person unmarked, saved after someone else marked
	// them late: still late (no bulk overwrite of what the sheet did not show).
	other := env.world.newSession(t, env.course.ID)
	stale := url.Values{"action": {"all_present"}, fmt.Sprintf("shown_%d", unmarked): {""}}
	if err := env.store.SaveAttendance(context.Background(), other.ID, []repository.Mark{{TraineeID: unmarked, Status: domain.Late}}, nil); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, "stale sheet", env.trainer.post(fmt.Sprintf("/sessions/%d/attendance", other.ID), stale), 303)
	if got := marksOf(t, env.world, other.ID)[unmarked]; got != domain.Late {
		t.Errorf("a mark saved meanwhile became %q", got)
	}
	// Changing a saved mark is one person's radio changed on the sheet.
	change := url.Values{"action": {"save"}}
	for id, status := range marked {
		change.Set(fmt.Sprintf("status_%d", id), string(status))
		change.Set(fmt.Sprintf("shown_%d", id), string(status))
	}
	var changed int64
	for id := range marked {
		changed = id
		break
	}
	change.Set(fmt.Sprintf("status_%d", changed), "present")
	expectStatus(t, "one changed", env.trainer.post(sheet, change), 303)
	got := marksOf(t, env.world, env.session.ID)
	for id, status := range marked {
		want := status
		if id == changed {
			want = domain.Present
		}
		if got[id] != want {
			t.Errorf("after changing one mark, person %d is %q, want %q", id, got[id], want)
		}
	}
}

// The API's "mark all present" (?others=present) fills the unmarked only;
// a PUT names each mark it sets.
func TestAPIMarkOthersPresentKeepsSavedMarks(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	marked, unmarked := roomPeople(t, env.world)
	target := fmt.Sprintf("/api/v1/sessions/%d/attendance?others=present", env.session.ID)
	for press := 1; press <= 2; press++ {
		expectStatus(t, fmt.Sprintf("press %d", press), env.trainer.call("PUT", target, `[]`), 200)
	}
	got := marksOf(t, env.world, env.session.ID)
	for id, status := range marked {
		if got[id] != status {
			t.Errorf("person %d is %q, want their saved %q", id, got[id], status)
		}
	}
	if got[unmarked] != domain.Present {
		t.Errorf("the unmarked person is %q, want present", got[unmarked])
	}
	expectStatus(t, "others=late", env.trainer.call("PUT", fmt.Sprintf("/api/v1/sessions/%d/attendance?others=late", env.session.ID), `[]`), 422)
}

// futureSession is a session of the world's course three weeks from now.
func futureSession(t *testing.T, w *world) domain.Session {
	t.Helper()
	start := time.Now().Add(21 * 24 * time.Hour)
	s := []domain.Session{{StartsAt: start, EndsAt: start.Add(3 * time.Hour), Place: "Rabat", Hours: 3}}
	if err := w.store.CreateSessions(context.Background(), w.course.ID, s, nil); err != nil {
		t.Fatal(err)
	}
	return s[0]
}

// Field case of issue 14: attendance for a session three weeks ahead was
// accepted, counting it as held. The sheet refuses it with a sentence
// (422), and nothing is saved, whichever button.
func TestFutureSessionMarksAreRefusedOnTheSheet(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	ahead := futureSession(t, env.world)
	sheet := fmt.Sprintf("/sessions/%d/attendance", ahead.ID)
	expectStatus(t, "sheet", env.trainer.get(sheet), 200)
	for _, action := range []string{"save", "all_present"} {
		r := env.trainer.post(sheet, url.Values{"action": {action}, fmt.Sprintf("status_%d", env.trainee.ID): {"present"}})
		expectStatus(t, action, r, 422)
		if !strings.Contains(r.Body, "لم يحن بعد يوم هذه الحصة") {
			t.Errorf("%s: the sheet does not say why:\n%s", action, visibleText(r.Body))
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance WHERE session_id = $1`, ahead.ID); n != 0 {
		t.Errorf("%d marks saved for a future session", n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM sessions WHERE id = $1 AND has_marks`, ahead.ID); n != 0 {
		t.Error("the future session counts as held")
	}
}

// The sheet of a session whose day has not come says so before anyone
// taps a mark; today's sheet does not.
func TestAFutureSessionsSheetSaysWhenItOpens(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	ahead := futureSession(t, env.world)
	// (the sentence is also in the offline script's messages of every sheet)
	const notice = `<p class="flash flash-error not-yet">لم تبدأ هذه الحصة بعد: يُفتح تسجيل الحضور في يومها.</p>`
	if r := env.trainer.get(fmt.Sprintf("/sessions/%d/attendance", ahead.ID)); !strings.Contains(r.Body, notice) {
		t.Errorf("the sheet of a session three weeks ahead does not say it opens on its day:\n%s", visibleText(r.Body))
	}
	if r := env.trainer.get(fmt.Sprintf("/sessions/%d/attendance", env.session.ID)); strings.Contains(r.Body, notice) {
		t.Error("the sheet of a past session says it has not started")
	}
}

func TestFutureSessionMarksAreRefusedByTheAPI(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	ahead := futureSession(t, env.world)
	body := fmt.Sprintf(`[{"trainee_id": %d, "status": "present"}]`, env.trainee.ID)
	for _, target := range []string{"/api/v1/sessions/%d/attendance", "/api/v1/sessions/%d/attendance?others=present"} {
		r := env.trainer.call("PUT", fmt.Sprintf(target, ahead.ID), body)
		expectStatus(t, target, r, 422)
		var e apiError
		decode(t, r, &e)
		if !strings.Contains(e.Error, "لم يحن بعد يوم هذه الحصة") {
			t.Errorf("%s: error %q does not say why", target, e.Error)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance WHERE session_id = $1`, ahead.ID); n != 0 {
		t.Errorf("%d marks saved for a future session", n)
	}
}

// The audit page: coordinators and admins only (a trainer or the ministry
// gets 403, for the page and a person's page alike); it filters by person
// and action, and pages 50 changes at a time with links that keep the
// filter.
func TestAuditPageFiltersAndPages(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	ctx := context.Background()
	for _, target := range []string{"/audit", fmt.Sprintf("/people/%d", env.trainee.ID), fmt.Sprintf("/audit?person=%d", env.trainee.ID)} {
		expectStatus(t, "trainer "+target, env.trainer.get(target), 403)
	}
	// 60 people enrolled: 120 changes, and the world trainee's own.
	for i := range 60 {
		p := &domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(fmt.Sprintf("Audited %02d", i)),
			Sex: domain.Female, OrganisationID: &env.institution.ID}
		if _, err := env.store.EnrollNew(ctx, env.course.ID, p, repository.EnrollOptions{OverrideCapacity: true}, nil); err != nil {
			t.Fatal(err)
		}
	}
	mine := url.Values{"person": {fmt.Sprint(env.trainee.ID)}}
	r := env.coordinator.get("/audit?" + mine.Encode())
	expectStatus(t, "one person", r, 200)
	if n := strings.Count(r.Body, `class="change"`); n != 2 {
		t.Errorf("the world trainee's changes: %d, want 2 (created, enrolled)", n)
	}
	if !strings.Contains(r.Body, "Hélène Aït-Lahcen") || strings.Contains(r.Body, "Audited 00") {
		t.Error("the person filter shows someone else, or not the person")
	}
	r = env.coordinator.get("/audit?action=enrollment.create")
	expectStatus(t, "one action, first page", r, 200)
	if n := strings.Count(r.Body, `class="change"`); n != 50 {
		t.Errorf("first page: %d changes, want 50", n)
	}
	if !strings.Contains(r.Body, `href="/audit?action=enrollment.create&amp;offset=50" rel="next"`) {
		t.Fatalf("no link to the next page keeping the filter:\n%s", visibleText(r.Body))
	}
	r = env.coordinator.get("/audit?action=enrollment.create&offset=50")
	expectStatus(t, "second page", r, 200)
	if n := strings.Count(r.Body, `class="change"`); n != 11 {
		t.Errorf("second page: %d changes, want 11", n)
	}
	if strings.Contains(r.Body, `rel="next"`) || !strings.Contains(r.Body, `rel="prev"`) {
		t.Error("the last page links onwards, or not back")
	}
	expectStatus(t, "a person that is not a number", env.coordinator.get("/audit?person=abc"), 422)
	expectStatus(t, "a day that is not a day", env.coordinator.get("/audit?from=31/02/x"), 422)
}

// A person's page and a session's page show their history; reading a
// minor's full record (the person's page, the API) is logged as the
// reader's.
func TestHistoriesAndMinorsReadsAreLogged(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	ctx := context.Background()
	kid := &domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr("سلمى البقالي"), Sex: domain.Female,
		BirthYear: ptr(2006), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords}
	if _, err := env.store.EnrollNew(ctx, env.course.ID, kid, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := env.store.SaveAttendance(ctx, env.session.ID, []repository.Mark{{TraineeID: kid.ID, Status: domain.Late}}, nil); err != nil {
		t.Fatal(err)
	}
	page := env.coordinator.get(fmt.Sprintf("/people/%d", kid.ID))
	expectStatus(t, "the child's page", page, 200)
	for _, want := range []string{"سلمى البقالي", "2006", `class="change"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the person's page lacks %q", want)
		}
	}
	if n := strings.Count(page.Body, `class="change"`); n != 5 { // created, consent recorded, enrolled, marked late, and this read
		t.Errorf("the child's history: %d changes, want 5", n)
	}
	sheet := env.coordinator.get(fmt.Sprintf("/sessions/%d/attendance", env.session.ID))
	if !strings.Contains(sheet.Body, "session-history") || strings.Count(sheet.Body, `class="change"`) < 2 {
		t.Error("the session's page does not show its history (its creation, the mark)")
	}
	if strings.Contains(env.trainer.get(fmt.Sprintf("/sessions/%d/attendance", env.session.ID)).Body, "session-history") {
		t.Error("a trainer sees the session's audit history")
	}
	expectStatus(t, "the child by the API", env.coordinator.sendJSON("GET", fmt.Sprintf("/api/v1/trainees/%d", kid.ID), ""), 200)
	expectStatus(t, "an adult by the API", env.coordinator.sendJSON("GET", fmt.Sprintf("/api/v1/trainees/%d", env.trainee.ID), ""), 200)
	coordinator, err := env.store.UserByEmail(ctx, "coordinator@pages.ma")
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'trainee.read' AND trainee_id = $1 AND actor_id = $2`,
		kid.ID, coordinator.ID); n != 2 {
		t.Errorf("the child's record read twice, %d reads logged", n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'trainee.read' AND trainee_id = $1`, env.trainee.ID); n != 0 {
		t.Errorf("an adult's reads logged: %d", n)
	}
}
