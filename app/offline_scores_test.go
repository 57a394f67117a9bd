package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Scores entered on the trainer's device without network and synced
// (issue 19 point 2 through the queue of issue 17; docs/OFFLINE.md, "Scores").

// scoresSyncAnswer is the sync's answer with what it says of scores.
type scoresSyncAnswer struct {
	Results []struct {
		ID             string            `json:"id"`
		Outcome        string            `json:"outcome"`
		Scores         *domain.Scores    `json:"scores"`
		ConflictFields []string          `json:"conflict_fields"`
		Status         int               `json:"status"`
		Error          string            `json:"error"`
		Fields         map[string]string `json:"fields"`
	} `json:"results"`
}

func (cl *client) syncScores(changes ...string) scoresSyncAnswer {
	cl.t.Helper()
	resp := cl.sendJSON("POST", "/api/v1/offline/sync", `{"changes":[`+strings.Join(changes, ",")+`]}`)
	expectStatus(cl.t, "sync", resp, 200)
	var a scoresSyncAnswer
	if err := json.Unmarshal([]byte(resp.Body), &a); err != nil || len(a.Results) != len(changes) {
		cl.t.Fatalf("sync answer: %v: %s", err, resp.Body)
	}
	return a
}

// scoresChange is a queued scores change: scores and base as JSON (base "null": nothing entered on the copy).
func scoresChange(id string, courseID, traineeID int64, scores, base string) string {
	return fmt.Sprintf(`{"id":%q,"kind":"scores","made_at":"2019-03-05T11:00:00Z","course_id":%d,"trainee_id":%d,"scores":%s,"base":%s}`,
		id, courseID, traineeID, scores, base)
}

// savedScores is a person's scores in the course as "pre post s1 s2 s3" ("-": not entered, "none": no row).
func savedScores(t *testing.T, store *repository.Store, courseID, traineeID int64) string {
	t.Helper()
	var s string
	err := store.DB().Get(&s, `SELECT coalesce((SELECT concat_ws(' ', coalesce(s.pre_score::text, '-'), coalesce(s.post_score::text, '-'),
	         coalesce(s.satisfaction_1::text, '-'), coalesce(s.satisfaction_2::text, '-'), coalesce(s.satisfaction_3::text, '-'))
	    FROM enrollment_scores s JOIN enrollments e ON e.id = s.enrollment_id WHERE e.course_id = $1 AND e.trainee_id = $2), 'none')`,
		courseID, traineeID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scoresDigest is every row a scores sync may write, as text.
func scoresDigest(t *testing.T, store *repository.Store) string {
	t.Helper()
	var parts []string
	for _, q := range []string{
		`SELECT coalesce(string_agg(s::text, '|' ORDER BY enrollment_id), '') FROM enrollment_scores s`,
		`SELECT coalesce(string_agg(c::text, '|' ORDER BY change_id), '') FROM offline_changes c`,
		`SELECT coalesce(string_agg(l.id::text || l.action, '|' ORDER BY id), '') FROM audit_log l WHERE action NOT IN ('login', 'logout')`,
	} {
		var s string
		if err := store.DB().Get(&s, q); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n")
}

// TestOfflineScoresAreAppliedOnceAndAudited: scores entered on the device
// (nothing entered before) are saved as the online page saves them, audited
// as the trainer's; the same queue sent again — ten times at once, then
// once more — answers "applied" and writes nothing more.
func TestOfflineScoresAreAppliedOnceAndAudited(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	change := scoresChange(newChangeID(t), e.w.course.ID, e.w.trainee.ID, `{"pre_score":45,"post_score":70,"satisfaction":[5,4,null]}`, "null")
	a := e.device.syncScores(change)
	r := a.Results[0]
	if r.Outcome != "applied" || r.Scores == nil || r.Scores.Post == nil || *r.Scores.Post != 70 {
		t.Fatalf("first sync: %+v", r)
	}
	if got := savedScores(t, e.store, e.w.course.ID, e.w.trainee.ID); got != "45 70 5 4 -" {
		t.Fatalf("saved %q", got)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM audit_log WHERE action = 'scores.record' AND actor_id = $1`, e.trainer.ID); n != 1 {
		t.Errorf("audited scores.record: %d", n)
	}
	before := scoresDigest(t, e.store)

	base := serveOnLoopback(t, e.device.app)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.device.syncOver(base, "["+change+"]")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("replay: %v", err)
		}
	}
	if r := e.device.syncScores(change).Results[0]; r.Outcome != "applied" || r.Scores == nil || *r.Scores.Pre != 45 {
		t.Errorf("replay answered %+v", r)
	}
	if after := scoresDigest(t, e.store); after != before {
		t.Errorf("a replay wrote:\n%s\n%s", before, after)
	}
}

// TestOfflineScoresAreRefusedAsOnline: what the online page refuses, the
// sync refuses, each change on its own with its sentence, and nothing is
// written or recorded (the change may be sent again once fixed): values
// out of range (422, by field), another trainer's course (403), someone
// withdrawn since (422), a closed course (409 — the online save too).
func TestOfflineScoresAreRefusedAsOnline(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	ctx := context.Background()
	stranger := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Karim Bennani"), Sex: domain.Male,
		OrganisationID: &e.w.institution.ID}
	if _, err := e.store.EnrollNew(ctx, e.w.otherCourse.ID, &stranger, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	gone := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Samir Tazi"), Sex: domain.Male,
		OrganisationID: &e.w.institution.ID}
	if _, err := e.store.EnrollNew(ctx, e.w.course.ID, &gone, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Withdraw(ctx, e.w.course.ID, gone.ID, nil); err != nil {
		t.Fatal(err)
	}
	before := scoresDigest(t, e.store)
	a := e.device.syncScores(
		scoresChange(newChangeID(t), e.w.course.ID, e.w.trainee.ID, `{"pre_score":150,"post_score":70,"satisfaction":[0,4,null]}`, "null"),
		scoresChange(newChangeID(t), e.w.otherCourse.ID, stranger.ID, `{"pre_score":40,"post_score":70,"satisfaction":[null,null,null]}`, "null"),
		scoresChange(newChangeID(t), e.w.course.ID, gone.ID, `{"pre_score":40,"post_score":70,"satisfaction":[null,null,null]}`, "null"),
	)
	bad, other, withdrawn := a.Results[0], a.Results[1], a.Results[2]
	if bad.Outcome != "refused" || bad.Status != 422 || bad.Fields["pre_score"] == "" || bad.Fields["satisfaction_1"] == "" || bad.Fields["post_score"] != "" {
		t.Errorf("out of range: %+v", bad)
	}
	if !strings.Contains(bad.Fields["pre_score"], "0") || !strings.Contains(bad.Fields["pre_score"], "100") {
		t.Errorf("out of range: the sentence %q", bad.Fields["pre_score"])
	}
	if other.Outcome != "refused" || other.Status != 403 || !strings.Contains(other.Error, "لم تعد مكوّنًا لهذه الدورة") {
		t.Errorf("another trainer's course: %+v", other)
	}
	if withdrawn.Outcome != "refused" || withdrawn.Status != 422 {
		t.Errorf("withdrawn: %+v", withdrawn)
	}
	if after := scoresDigest(t, e.store); after != before {
		t.Errorf("a refused change wrote:\n%s\n%s", before, after)
	}

	// A closed course: refused on the device's sync as on the online page.
	if _, err := e.store.CloseCourse(ctx, e.w.course.ID, &e.coord.ID); err != nil {
		t.Fatal(err)
	}
	before = scoresDigest(t, e.store)
	closed := e.device.syncScores(scoresChange(newChangeID(t), e.w.course.ID, e.w.trainee.ID,
		`{"pre_score":40,"post_score":70,"satisfaction":[null,null,null]}`, "null")).Results[0]
	if closed.Outcome != "refused" || closed.Status != 409 {
		t.Errorf("closed course: %+v", closed)
	}
	form := fmt.Sprintf("/courses/%d/scores/%d", e.w.course.ID, e.w.trainee.ID)
	e.device.get(form)
	expectStatus(t, "online save on a closed course", e.device.post(form, url.Values{"pre_score": {"40"}, "post_score": {"70"}}), 409)
	if after := scoresDigest(t, e.store); after != before {
		t.Errorf("a closed course's scores were written:\n%s\n%s", before, after)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM offline_changes`); n != 0 {
		t.Errorf("a refused change was recorded as done (%d): it could never be sent again", n)
	}
}

// TestOfflineScoresConflictIsReportedNotWritten: a value the trainer
// changed on the device that someone else changed on the server since the
// device's copy is not written: the trainer is told which, with the
// server's values, and nothing of that change is saved. A value the
// trainer did not touch keeps the server's; the device's own previous
// change (after) counts as seen.
func TestOfflineScoresConflictIsReportedNotWritten(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	ctx := context.Background()
	c, p := e.w.course.ID, e.w.trainee.ID
	first := scoresChange(newChangeID(t), c, p, `{"pre_score":40,"post_score":null,"satisfaction":[null,null,null]}`, "null")
	if r := e.device.syncScores(first).Results[0]; r.Outcome != "applied" {
		t.Fatalf("first: %+v", r)
	}
	// The device's copy: pre 40. Meanwhile a coordinator enters the post-test, 80.
	copySeen := `{"pre_score":40,"post_score":null,"satisfaction":[null,null,null]}`
	if err := e.store.SaveScores(ctx, c, p, domain.Scores{Pre: ptr(40), Post: ptr(80)}, &e.coord.ID); err != nil {
		t.Fatal(err)
	}
	before := scoresDigest(t, e.store)
	conflict := scoresChange(newChangeID(t), c, p, `{"pre_score":40,"post_score":70,"satisfaction":[null,null,null]}`, copySeen)
	r := e.device.syncScores(conflict).Results[0]
	if r.Outcome != "conflict" || len(r.ConflictFields) != 1 || r.ConflictFields[0] != "post_score" || r.Scores == nil || *r.Scores.Post != 80 {
		t.Fatalf("conflict: %+v", r)
	}
	if got := savedScores(t, e.store, c, p); got != "40 80 - - -" {
		t.Errorf("the server's value was overwritten: %q", got)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM audit_log WHERE action = 'offline.scores_conflict' AND actor_id = $1`, e.trainer.ID); n != 1 {
		t.Errorf("conflict audited %d times", n)
	}
	// Sent again: the same answer, nothing more written.
	after := scoresDigest(t, e.store)
	if r := e.device.syncScores(conflict).Results[0]; r.Outcome != "conflict" || len(r.ConflictFields) != 1 || *r.Scores.Post != 80 {
		t.Errorf("conflict replayed: %+v", r)
	}
	if again := scoresDigest(t, e.store); again != after {
		t.Errorf("a replayed conflict wrote:\n%s\n%s", after, again)
	}
	if before == after {
		t.Errorf("the conflict left no trace (its change and its audit entry)")
	}

	// The same old copy, but only the satisfaction changed on the device:
	// no conflict, the coordinator's post-test stays.
	merged := scoresChange(newChangeID(t), c, p, `{"pre_score":40,"post_score":null,"satisfaction":[4,5,3]}`, copySeen)
	if r := e.device.syncScores(merged).Results[0]; r.Outcome != "applied" || *r.Scores.Post != 80 {
		t.Errorf("merge: %+v", r)
	}
	if got := savedScores(t, e.store, c, p); got != "40 80 4 5 3" {
		t.Errorf("merged %q", got)
	}

	// Two edits of the same person, the first sent without an answer: the
	// second names it (after) and keeps the first's base; the server holds
	// the first's values, which the device had seen.
	firstEdit := newChangeID(t)
	seen := `{"pre_score":40,"post_score":80,"satisfaction":[4,5,3]}`
	e.device.syncScores(scoresChange(firstEdit, c, p, `{"pre_score":45,"post_score":80,"satisfaction":[4,5,3]}`, seen))
	second := fmt.Sprintf(`{"id":%q,"kind":"scores","course_id":%d,"trainee_id":%d,"scores":{"pre_score":50,"post_score":80,"satisfaction":[4,5,3]},"base":%s,"after":%q}`,
		newChangeID(t), c, p, seen, firstEdit)
	if r := e.device.syncScores(second).Results[0]; r.Outcome != "applied" {
		t.Errorf("after the device's own change: %+v", r)
	}
	if got := savedScores(t, e.store, c, p); got != "50 80 4 5 3" {
		t.Errorf("after: saved %q", got)
	}
}

// TestOfflinePackKeepsTheScoresOfItsCourses: the pack holds, for the
// courses of its sessions, each active enrolment's names and scores — for
// the scores page offline — and nothing of a course without a session there.
func TestOfflinePackKeepsTheScoresOfItsCourses(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	ctx := context.Background()
	course, _ := e.currentCourse(t, "NOW-S")
	p := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Omar Chraibi"), Sex: domain.Male, OrganisationID: &e.w.institution.ID}
	if _, err := e.store.EnrollNew(ctx, course.ID, &p, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SaveScores(ctx, course.ID, p.ID, domain.Scores{Pre: ptr(35), Satisfaction: [3]*int{nil, ptr(4), nil}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SaveScores(ctx, e.w.course.ID, e.w.trainee.ID, domain.Scores{Pre: ptr(61)}, nil); err != nil {
		t.Fatal(err)
	}
	resp := e.device.get("/api/v1/offline/pack")
	expectStatus(t, "pack", resp, 200)
	var pack struct {
		Courses []repository.PackCourse `json:"courses"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &pack); err != nil {
		t.Fatal(err)
	}
	if len(pack.Courses) != 1 || pack.Courses[0].ID != course.ID || len(pack.Courses[0].People) != 1 {
		t.Fatalf("pack's courses: %s", resp.Body)
	}
	got := pack.Courses[0].People[0]
	if got.TraineeID != p.ID || got.Scores.Pre == nil || *got.Scores.Pre != 35 || got.Scores.Post != nil || *got.Scores.Satisfaction[1] != 4 {
		t.Errorf("the person's scores: %+v", got)
	}
	if strings.Contains(resp.Body, "61") && strings.Contains(resp.Body, `"pre_score":61`) {
		t.Errorf("the pack holds a course without a session on the device")
	}
}

// currentCourse is a course of the trainer's with a session today: on the device's pack.
func (e *offlineEnv) currentCourse(t *testing.T, code string) (domain.Course, domain.Session) {
	t.Helper()
	ctx := context.Background()
	today := time.Now().In(domain.Casablanca)
	course := domain.Course{ProgrammeID: e.w.programme.ID, Code: code, TitleAr: "دورة اليوم", TitleFr: "Formation du jour",
		Year: today.Year(), Province: "rabat", StartDate: domain.Date{Time: today.AddDate(0, 0, -3)}, EndDate: domain.Date{Time: today.AddDate(0, 0, 10)}, Capacity: 40}
	if err := e.store.CreateCourse(ctx, &course, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AssignTrainer(ctx, course.ID, e.trainer.ID, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Date(today.Year(), today.Month(), today.Day(), 9, 0, 0, 0, domain.Casablanca)
	sessions := []domain.Session{{StartsAt: start, EndsAt: start.Add(3 * time.Hour), Place: "Salé", Hours: 3}}
	if err := e.store.CreateSessions(ctx, course.ID, sessions, nil); err != nil {
		t.Fatal(err)
	}
	return course, sessions[0]
}
