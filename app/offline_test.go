package app_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The sync of the trainer's app offline (issue 17, docs/OFFLINE.md).

// newChangeID is a device's change id: a random UUID.
func newChangeID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// syncAnswer is the body of POST /api/v1/offline/sync.
type syncAnswer struct {
	Results []struct {
		ID         string                  `json:"id"`
		Outcome    string                  `json:"outcome"`
		TraineeID  *int64                  `json:"trainee_id"`
		ConflictID *int64                  `json:"conflict_id"`
		Mark       *repository.MarkVersion `json:"mark"`
		Status     int                     `json:"status"`
		Error      string                  `json:"error"`
		Fields     map[string]string       `json:"fields"`
	} `json:"results"`
}

// sync sends a queue (a JSON array of changes) and reads the answer.
func (cl *client) sync(queue string) syncAnswer {
	cl.t.Helper()
	resp := cl.sendJSON("POST", "/api/v1/offline/sync", `{"changes":`+queue+`}`)
	expectStatus(cl.t, "sync", resp, 200)
	var a syncAnswer
	if err := json.Unmarshal([]byte(resp.Body), &a); err != nil {
		cl.t.Fatalf("sync answer: %v: %s", err, resp.Body)
	}
	return a
}

// offlineEnv is a world with a trainer signed in on a device.
type offlineEnv struct {
	store   *repository.Store
	w       *world
	trainer *domain.User
	coord   *domain.User
	device  *client
}

func newOfflineEnv(t *testing.T) *offlineEnv {
	t.Helper()
	store := newStore(t)
	trainer := addUser(t, store, "trainer@example.ma", domain.RoleTrainer)
	coord := addUser(t, store, "coord@example.ma", domain.RoleCoordinator)
	w := newWorld(t, store, trainer.ID)
	device := newClient(t, newApp(t, store))
	device.login("trainer@example.ma", testPassword)
	return &offlineEnv{store: store, w: w, trainer: trainer, coord: coord, device: device}
}

// markChange is a queued mark of a person on record, over an unmarked copy.
func markChange(id string, sessionID, traineeID int64, status string) string {
	return fmt.Sprintf(`{"id":%q,"kind":"mark","made_at":"2019-03-05T09:30:00Z","session_id":%d,"trainee_id":%d,"status":%q,"base":null,"source":"sheet"}`,
		id, sessionID, traineeID, status)
}

// tableDigest is every row the sync may write, as text: two digests are
// equal when the database holds the same rows.
func tableDigest(t *testing.T, store *repository.Store) string {
	t.Helper()
	var parts []string
	for _, q := range []string{
		`SELECT coalesce(string_agg(a::text, '|' ORDER BY id), '') FROM attendance a`,
		`SELECT coalesce(string_agg(e::text, '|' ORDER BY id), '') FROM enrollments e`,
		`SELECT coalesce(string_agg(t::text, '|' ORDER BY id), '') FROM trainees t`,
		`SELECT coalesce(string_agg(o::text, '|' ORDER BY id), '') FROM organisations o`,
		`SELECT coalesce(string_agg(c::text, '|' ORDER BY change_id), '') FROM offline_changes c`,
		`SELECT coalesce(string_agg(c::text, '|' ORDER BY id), '') FROM offline_conflicts c`,
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

// TestOfflineSyncAppliesAQueueOnceUnderConcurrentReplays sends one queue (a
// mark, a walk-in, the walk-in's mark, "mark all present") twenty times at
// once: each change is applied once, and a replay afterwards leaves every
// table as it was.
func TestOfflineSyncAppliesAQueueOnceUnderConcurrentReplays(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	ctx := context.Background()
	other := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Youssef Alaoui"), Sex: domain.Male,
		OrganisationID: &e.w.institution.ID}
	if _, err := e.store.EnrollNew(ctx, e.w.course.ID, &other, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	walkIn := newChangeID(t)
	queue := "[" + strings.Join([]string{
		markChange(newChangeID(t), e.w.session.ID, e.w.trainee.ID, "late"),
		fmt.Sprintf(`{"id":%q,"kind":"walkin","made_at":"2019-03-05T09:40:00Z","course_id":%d,"person":{"category":"child_parliamentarian","full_name_ar":"سلمى العلوي","sex":"female","birth_year":2010,"guardian_consent":true}}`,
			walkIn, e.w.course.ID),
		fmt.Sprintf(`{"id":%q,"kind":"mark","made_at":"2019-03-05T09:41:00Z","session_id":%d,"walkin":%q,"status":"present","base":null}`,
			newChangeID(t), e.w.session.ID, walkIn),
		fmt.Sprintf(`{"id":%q,"kind":"mark","made_at":"2019-03-05T09:42:00Z","session_id":%d,"trainee_id":%d,"status":"present","base":null,"fill_only":true,"source":"all_present"}`,
			newChangeID(t), e.w.session.ID, other.ID),
	}, ",") + "]"

	base := serveOnLoopback(t, e.device.app)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.device.syncOver(base, queue)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	if n := countRows(t, e.store, `SELECT count(*) FROM attendance WHERE session_id = $1`, e.w.session.ID); n != 3 {
		t.Errorf("marks: want 3 (the trainee, the walk-in, the other), got %d", n)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM trainees WHERE full_name_ar = 'سلمى العلوي'`); n != 1 {
		t.Errorf("walk-in created %d times, want once", n)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM audit_log WHERE action = 'attendance.mark'`); n != 3 {
		t.Errorf("marks audited %d times, want 3", n)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM attendance a JOIN enrollments en ON en.id = a.enrollment_id
	     WHERE en.trainee_id = $1 AND a.status = 'late'`, e.w.trainee.ID); n != 1 {
		t.Errorf("the trainee's late mark: %d rows", n)
	}
	before := tableDigest(t, e.store)
	again := e.device.sync(queue)
	for _, r := range again.Results {
		if r.Outcome != repository.OutcomeApplied {
			t.Errorf("replay of %s: outcome %q (%s), want the first outcome, applied", r.ID, r.Outcome, r.Error)
		}
	}
	if after := tableDigest(t, e.store); after != before {
		t.Errorf("a replay changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

// syncOver sends the queue over a real connection to base, with the
// client's cookies and CSRF token (app.Test serialises nothing, but twenty
// connections are what twenty replays are).
func (cl *client) syncOver(base, queue string) error {
	req, err := http.NewRequest("POST", base+"/api/v1/offline/sync", strings.NewReader(`{"changes":`+queue+`}`))
	if err != nil {
		return err
	}
	var cookies []string
	for name, value := range cl.cookies {
		cookies = append(cookies, name+"="+value)
	}
	req.Header.Set("Cookie", strings.Join(cookies, "; "))
	req.Header.Set("X-CSRF-Token", cl.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Forwarded-For", cl.ip)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("sync: %d %s", resp.StatusCode, body)
	}
	var a syncAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return err
	}
	for _, r := range a.Results {
		if r.Outcome != repository.OutcomeApplied {
			return fmt.Errorf("change %s: %s %s", r.ID, r.Outcome, r.Error)
		}
	}
	return nil
}

// TestOfflineSyncRefusesAnotherTrainersCourse: a mark or a walk-in on a
// course the trainer does not teach — never, or no longer — is refused with
// its own sentence, per change, and nothing is written; the other changes
// of the queue go through.
func TestOfflineSyncRefusesAnotherTrainersCourse(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	ctx := context.Background()
	stranger := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Karim Bennani"), Sex: domain.Male,
		OrganisationID: &e.w.institution.ID}
	if _, err := e.store.EnrollNew(ctx, e.w.otherCourse.ID, &stranger, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	before := tableDigest(t, e.store)
	a := e.device.sync("[" + markChange(newChangeID(t), e.w.otherSess.ID, stranger.ID, "present") + "," +
		fmt.Sprintf(`{"id":%q,"kind":"walkin","course_id":%d,"person":{"category":"institutional_actor","full_name_latin":"Nadia Idrissi","sex":"female","organisation_id":%d}}`,
			newChangeID(t), e.w.otherCourse.ID, e.w.institution.ID) + "]")
	for _, r := range a.Results {
		if r.Outcome != "refused" || r.Status != 403 || !strings.Contains(r.Error, "لم تعد مكوّنًا لهذه الدورة") {
			t.Errorf("change %s on another's course: %s %d %q", r.ID, r.Outcome, r.Status, r.Error)
		}
	}
	if after := tableDigest(t, e.store); after != before {
		t.Errorf("a refused change wrote:\n%s\n%s", before, after)
	}

	// Removed from their own course while the device was offline.
	if err := e.store.UnassignTrainer(ctx, e.w.course.ID, e.trainer.ID, nil); err != nil {
		t.Fatal(err)
	}
	a = e.device.sync("[" + markChange(newChangeID(t), e.w.session.ID, e.w.trainee.ID, "present") + "]")
	if r := a.Results[0]; r.Outcome != "refused" || r.Status != 403 || !strings.Contains(r.Error, "اعرضه على منسّق") {
		t.Errorf("change after removal: %s %d %q", r.Outcome, r.Status, r.Error)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM attendance`); n != 0 {
		t.Errorf("%d marks written by a removed trainer", n)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM offline_changes`); n != 0 {
		t.Errorf("a refused change was recorded as done (%d): it could never be sent again", n)
	}
}

// TestOfflineSyncCSRFAndSignIn: the sync needs the session and its CSRF token.
func TestOfflineSyncCSRFAndSignIn(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	body := `{"changes":[` + markChange(newChangeID(t), e.w.session.ID, e.w.trainee.ID, "present") + `]}`
	resp := e.device.do("POST", "/api/v1/offline/sync", strings.NewReader(body), "application/json")
	expectStatus(t, "sync without the CSRF token", resp, 403)
	stranger := newClient(t, e.device.app)
	stranger.headers["Accept"] = "application/json"
	resp = stranger.do("POST", "/api/v1/offline/sync", strings.NewReader(body), "application/json")
	if resp.StatusCode != 401 && resp.StatusCode != 403 {
		t.Errorf("sync signed out: %d", resp.StatusCode)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM attendance`); n != 0 {
		t.Errorf("%d marks written without a session or token", n)
	}
}

// TestOfflineConflictGoesToTheListNotOverTheMark: a coordinator marks a
// person absent after the device took its copy (unmarked); the device's
// "present" is not written over it but listed with both values, who set
// them and when; the coordinator's choice then applies once.
func TestOfflineConflictGoesToTheListNotOverTheMark(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	ctx := context.Background()
	err := e.store.SaveAttendance(ctx, e.w.session.ID, []repository.Mark{{TraineeID: e.w.trainee.ID, Status: domain.Absent}}, &e.coord.ID)
	if err != nil {
		t.Fatal(err)
	}
	id := newChangeID(t)
	a := e.device.sync("[" + markChange(id, e.w.session.ID, e.w.trainee.ID, "present") + "]")
	if r := a.Results[0]; r.Outcome != repository.OutcomeConflict || r.ConflictID == nil || r.Mark == nil || r.Mark.Status != domain.Absent {
		t.Fatalf("conflicting change: %+v", r)
	}
	status := func() string {
		var s string
		if err := e.store.DB().Get(&s, `SELECT status FROM attendance`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := status(); s != "absent" {
		t.Fatalf("the server's mark was overwritten: %s", s)
	}
	if again := e.device.sync("[" + markChange(id, e.w.session.ID, e.w.trainee.ID, "present") + "]"); again.Results[0].Outcome != repository.OutcomeConflict {
		t.Errorf("replayed conflict: %+v", again.Results[0])
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM offline_conflicts`); n != 1 {
		t.Errorf("conflicts listed: %d, want 1 (a replay adds none)", n)
	}

	coord := newClient(t, e.device.app)
	coord.login("coord@example.ma", testPassword)
	page := coord.get("/offline/conflicts")
	expectStatus(t, "conflicts page", page, 200)
	for _, want := range []string{"Hélène Aït-Lahcen", "Test trainer", "Test coordinator", "CP-1"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the list does not show %q", want)
		}
	}
	trainerPage := e.device.get("/offline/conflicts")
	expectStatus(t, "conflicts page as a trainer", trainerPage, 403)

	conflictID := *a.Results[0].ConflictID
	resp := coord.post(fmt.Sprintf("/offline/conflicts/%d/resolve", conflictID), url.Values{"choice": {"device"}})
	expectStatus(t, "keep the device's mark", resp, 303)
	if s := status(); s != "present" {
		t.Errorf("after choosing the device's mark: %s", s)
	}
	resp = coord.sendJSON("POST", fmt.Sprintf("/api/v1/offline/conflicts/%d/resolve", conflictID), `{"choice":"server"}`)
	expectStatus(t, "a second choice", resp, 409)
	if s := status(); s != "present" {
		t.Errorf("a second choice changed the mark: %s", s)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM offline_conflicts WHERE resolved_by = $1 AND resolution = 'device'`, e.coord.ID); n != 1 {
		t.Errorf("resolution recorded %d times", n)
	}
}

// TestOfflineMarkOverTheCopySeenIsApplied: a mark whose base is the
// server's current mark (the device saw it) replaces it; "mark all
// present" on someone marked meanwhile is skipped, never a replacement.
func TestOfflineMarkOverTheCopySeenIsApplied(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	ctx := context.Background()
	if err := e.store.SaveAttendance(ctx, e.w.session.ID, []repository.Mark{{TraineeID: e.w.trainee.ID, Status: domain.Absent}}, &e.coord.ID); err != nil {
		t.Fatal(err)
	}
	var markedAt time.Time
	if err := e.store.DB().Get(&markedAt, `SELECT marked_at FROM attendance`); err != nil {
		t.Fatal(err)
	}
	fill := fmt.Sprintf(`{"id":%q,"kind":"mark","session_id":%d,"trainee_id":%d,"status":"present","base":null,"fill_only":true}`,
		newChangeID(t), e.w.session.ID, e.w.trainee.ID)
	if r := e.device.sync("[" + fill + "]").Results[0]; r.Outcome != repository.OutcomeSkipped {
		t.Errorf("mark all present over a mark: %+v", r)
	}
	seen := fmt.Sprintf(`{"id":%q,"kind":"mark","session_id":%d,"trainee_id":%d,"status":"excused","base":{"status":"absent","marked_at":%q}}`,
		newChangeID(t), e.w.session.ID, e.w.trainee.ID, markedAt.Format(time.RFC3339Nano))
	if r := e.device.sync("[" + seen + "]").Results[0]; r.Outcome != repository.OutcomeApplied || r.Mark == nil || r.Mark.Status != domain.Excused {
		t.Errorf("mark over the copy seen: %+v", r)
	}
}

// TestOfflineWalkInLikeAPersonOnRecordGoesToTheList: a walk-in with the
// name and organisation of a person on record (the online look-alike rule)
// is not created but listed, with the marks made for them; the coordinator
// says it is that person, and the held mark is saved for them.
func TestOfflineWalkInLikeAPersonOnRecordGoesToTheList(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	walkIn := newChangeID(t)
	a := e.device.sync("[" + fmt.Sprintf(`{"id":%q,"kind":"walkin","course_id":%d,"person":{"category":"institutional_actor","full_name_ar":"فاطمة الزهراء بنعلي","full_name_latin":"Helene Ait Lahcen","sex":"female","organisation_id":%d}}`,
		walkIn, e.w.course.ID, e.w.institution.ID) + "," +
		fmt.Sprintf(`{"id":%q,"kind":"mark","session_id":%d,"walkin":%q,"status":"present","base":null}`, newChangeID(t), e.w.session.ID, walkIn) + "]")
	for _, r := range a.Results {
		if r.Outcome != repository.OutcomeConflict {
			t.Fatalf("look-alike walk-in: %+v", r)
		}
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM trainees`); n != 1 {
		t.Errorf("a look-alike walk-in was created: %d people", n)
	}
	conflicts := e.conflicts(t)
	if len(conflicts) != 1 || conflicts[0].Kind != "walkin" || len(conflicts[0].Matches) != 1 || conflicts[0].HeldMarks != 1 {
		t.Fatalf("list: %+v", conflicts)
	}
	err := e.store.ResolveOfflineConflict(context.Background(), conflicts[0].ID, repository.ExistingPerson, e.w.trainee.ID, &e.coord.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM attendance a JOIN enrollments en ON en.id = a.enrollment_id
	     WHERE en.trainee_id = $1 AND a.status = 'present'`, e.w.trainee.ID); n != 1 {
		t.Errorf("the held mark: %d rows for the person chosen", n)
	}
	// A mark made later for the walk-in now reaches the person chosen.
	later := fmt.Sprintf(`{"id":%q,"kind":"mark","session_id":%d,"walkin":%q,"status":"late","base":{"status":"present","marked_at":"2000-01-01T00:00:00Z"}}`,
		newChangeID(t), e.w.session.ID, walkIn)
	if r := e.device.sync("[" + later + "]").Results[0]; r.Outcome != repository.OutcomeApplied || r.TraineeID == nil || *r.TraineeID != e.w.trainee.ID {
		t.Errorf("a later mark of the walk-in: %+v", r)
	}
}

func (e *offlineEnv) conflicts(t *testing.T) []repository.OfflineConflict {
	t.Helper()
	list, err := e.store.OfflineConflicts(context.Background(), repository.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestOfflineWalkInFollowsTheOnlineRules: a child with a phone number is
// refused as the online form refuses it, field by field, in the user's
// language; a child without consent too. Nothing is created.
func TestOfflineWalkInFollowsTheOnlineRules(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	a := e.device.sync("[" + fmt.Sprintf(`{"id":%q,"kind":"walkin","course_id":%d,"person":{"category":"child_parliamentarian","full_name_ar":"ياسين","sex":"male","birth_year":2011,"phone":"0612345678","guardian_consent":true}}`,
		newChangeID(t), e.w.course.ID) + "," + fmt.Sprintf(`{"id":%q,"kind":"walkin","course_id":%d,"person":{"category":"child_parliamentarian","full_name_ar":"ياسين","sex":"male","birth_year":2011}}`,
		newChangeID(t), e.w.course.ID) + "]")
	for i, field := range []string{"phone", "guardian_consent"} {
		r := a.Results[i]
		if r.Outcome != "refused" || r.Status != 422 || r.Fields[field] == "" {
			t.Errorf("child walk-in %d: %+v, want a problem on %s", i, r, field)
		}
	}
	if n := countRows(t, e.store, `SELECT count(*) FROM trainees`); n != 1 {
		t.Errorf("%d people after refused walk-ins", n)
	}
}

// TestOfflinePackKeepsOnlyWhatTheSheetsNeed: the pack holds the trainer's
// sessions of the coming days, not another trainer's; a minor is reduced
// to name and birth year, and nobody's phone, e-mail or CIN is in it.
func TestOfflinePackKeepsOnlyWhatTheSheetsNeed(t *testing.T) {
	t.Parallel()
	e := newOfflineEnv(t)
	ctx := context.Background()
	today := time.Now().In(domain.Casablanca)
	course := domain.Course{ProgrammeID: e.w.programme.ID, Code: "NOW-1", TitleAr: "دورة اليوم", TitleFr: "Formation du jour",
		Year: today.Year(), Province: "rabat", StartDate: domain.Date{Time: today.AddDate(0, 0, -3)}, EndDate: domain.Date{Time: today.AddDate(0, 0, 10)}, Capacity: 40}
	if err := e.store.CreateCourse(ctx, &course, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AssignTrainer(ctx, course.ID, e.trainer.ID, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Date(today.Year(), today.Month(), today.Day(), 9, 0, 0, 0, domain.Casablanca)
	sessions := []domain.Session{{StartsAt: start, EndsAt: start.Add(3 * time.Hour), Place: "Salé", Hours: 3},
		{StartsAt: start.AddDate(0, 0, 2), EndsAt: start.AddDate(0, 0, 2).Add(3 * time.Hour), Place: "Salé", Hours: 3}}
	if err := e.store.CreateSessions(ctx, course.ID, sessions, nil); err != nil {
		t.Fatal(err)
	}
	child := domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr("سلمى"), Sex: domain.Female, BirthYear: ptr(2010), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords}
	adult := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Omar Chraibi"), Sex: domain.Male, BirthYear: ptr(1980),
		OrganisationID: &e.w.institution.ID, Phone: ptr("0611223344"), Email: ptr("omar@example.ma"), NationalID: ptr("AB123456")}
	for _, p := range []*domain.Trainee{&child, &adult} {
		if _, err := e.store.EnrollNew(ctx, course.ID, p, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	resp := e.device.get("/api/v1/offline/pack")
	expectStatus(t, "pack", resp, 200)
	for _, absent := range []string{"0611223344", "omar@example.ma", "AB123456", "1980", "CP-1", "CP-2"} {
		if strings.Contains(resp.Body, absent) {
			t.Errorf("the pack holds %q", absent)
		}
	}
	var pack struct {
		Sessions []repository.PackSession `json:"sessions"`
		CSRF     string                   `json:"csrf"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &pack); err != nil {
		t.Fatal(err)
	}
	if len(pack.Sessions) != 2 || len(pack.Sessions[0].Roster) != 2 || pack.CSRF == "" {
		t.Fatalf("pack: %s", resp.Body)
	}
	for _, p := range pack.Sessions[0].Roster {
		if p.Minor && (p.BirthYear == nil || *p.BirthYear != 2010) {
			t.Errorf("the child's birth year: %v", p.BirthYear)
		}
	}
}
