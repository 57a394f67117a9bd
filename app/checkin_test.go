package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// checkinEnv is a course with its trainer at the door, the people of the
// course (one withdrawn), someone of another course with that course's own
// trainer, and everyone's check-in codes.
type checkinEnv struct {
	*world
	trainer, otherTrainer, coordinator *client
	trainerID                          int64
	withdrawn, stranger                domain.Trainee
	codes, otherCodes                  map[int64]domain.CheckinCode // by trainee, of course and otherCourse
}

func newCheckinEnv(t *testing.T) *checkinEnv {
	t.Helper()
	ctx := context.Background()
	store := newStore(t)
	web := newApp(t, store)
	tr := addUser(t, store, "trainer@checkin.ma", domain.RoleTrainer)
	other := addUser(t, store, "other.trainer@checkin.ma", domain.RoleTrainer)
	coordinator := addUser(t, store, "coordinator@checkin.ma", domain.RoleCoordinator)
	for u, lang := range map[*domain.User]string{tr: "en", other: "en", coordinator: "ar"} {
		if err := store.SetUserLanguage(ctx, u.ID, lang); err != nil {
			t.Fatal(err)
		}
	}
	env := &checkinEnv{world: newWorld(t, store, tr.ID), trainerID: tr.ID}
	if err := store.AssignTrainer(ctx, env.otherCourse.ID, other.ID, nil); err != nil {
		t.Fatal(err)
	}
	env.withdrawn = domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Left Early"), Sex: domain.Male,
		OrganisationID: &env.institution.ID}
	env.stranger = domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Stranger Elsewhere"), Sex: domain.Female,
		OrganisationID: &env.institution.ID}
	for _, e := range []struct {
		course int64
		p      *domain.Trainee
	}{{env.course.ID, &env.withdrawn}, {env.otherCourse.ID, &env.stranger}} {
		if _, err := store.EnrollNew(ctx, e.course, e.p, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if env.codes, err = store.CheckinCodes(ctx, env.course.ID); err != nil {
		t.Fatal(err)
	}
	if env.otherCodes, err = store.CheckinCodes(ctx, env.otherCourse.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.Withdraw(ctx, env.course.ID, env.withdrawn.ID, nil); err != nil {
		t.Fatal(err)
	}
	for i, login := range []struct {
		cl    **client
		email string
	}{{&env.trainer, "trainer@checkin.ma"}, {&env.otherTrainer, "other.trainer@checkin.ma"}, {&env.coordinator, "coordinator@checkin.ma"}} {
		*login.cl = newClient(t, web)
		(*login.cl).ip = fmt.Sprintf("198.51.100.%d", 20+i)
		(*login.cl).login(login.email, testPassword)
	}
	return env
}

// checkinAnswer is the JSON the page's script reads.
type checkinAnswer struct {
	Outcome   string `json:"outcome"`
	Message   string `json:"message"`
	Error     string `json:"error"`
	Status    string `json:"status"`
	Time      string `json:"time"`
	TraineeID int64  `json:"trainee_id"`
}

// scan sends a code as the check-in page's script does: the session's
// cookie, the CSRF token in its header, the code form-encoded, JSON asked.
func scan(t *testing.T, cl *client, sessionID int64, code string) (int, checkinAnswer) {
	t.Helper()
	if cl.token == "" {
		cl.get("/")
	}
	cl.headers["X-CSRF-Token"], cl.headers["Accept"] = cl.token, "application/json"
	defer delete(cl.headers, "X-CSRF-Token")
	defer delete(cl.headers, "Accept")
	r := cl.do("POST", fmt.Sprintf("/sessions/%d/checkin", sessionID), strings.NewReader(url.Values{"code": {code}}.Encode()),
		"application/x-www-form-urlencoded")
	var a checkinAnswer
	if err := json.Unmarshal([]byte(r.Body), &a); err != nil {
		t.Fatalf("scan %q: not JSON (%d): %s", code, r.StatusCode, r.Body)
	}
	return r.StatusCode, a
}

// markOf is the person's mark for the session ("" for none) and how many
// marks the session has in all.
func (env *checkinEnv) markOf(t *testing.T, sessionID, traineeID int64) (status string, marks int) {
	t.Helper()
	err := env.store.DB().Get(&status, `SELECT coalesce(max(a.status), '') FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id
	                                    WHERE a.session_id = $1 AND e.trainee_id = $2`, sessionID, traineeID)
	if err != nil {
		t.Fatal(err)
	}
	return status, countRows(t, env.store, `SELECT count(*) FROM attendance WHERE session_id = $1`, sessionID)
}

var hhmm = regexp.MustCompile(`\d{2}:\d{2}`)

// The first scan of a badge marks its holder present, audited as a
// check-in by the trainer; the second says "already present" with the time
// of the first and writes nothing.
func TestCheckinFirstScanMarksPresentSecondSaysAlreadyPresent(t *testing.T) {
	t.Parallel()
	env := newCheckinEnv(t)
	token := env.codes[env.trainee.ID].Token
	status, first := scan(t, env.trainer, env.session.ID, token)
	if status != 200 || first.Outcome != "checked_in" || first.Status != "present" || first.TraineeID != env.trainee.ID ||
		!strings.Contains(first.Message, "Hélène Aït-Lahcen: present") {
		t.Fatalf("first scan: %d %+v", status, first)
	}
	if mark, n := env.markOf(t, env.session.ID, env.trainee.ID); mark != "present" || n != 1 {
		t.Fatalf("after the first scan: mark %q, %d marks", mark, n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance a JOIN audit_log l ON l.entity = 'attendance' AND l.entity_id = a.id
	        WHERE a.session_id = $1 AND a.marked_by = $2 AND l.action = 'attendance.checkin' AND l.actor_id = $2`, env.session.ID, env.trainerID); n != 1 {
		t.Errorf("the check-in is not marked by the trainer and audited once (%d)", n)
	}
	status, second := scan(t, env.trainer, env.session.ID, token)
	if status != 200 || second.Outcome != "already_present" || second.Time != first.Time || !hhmm.MatchString(second.Time) ||
		!strings.Contains(second.Message, "already present, since \u2066"+first.Time+"\u2069") {
		t.Fatalf("second scan: %d %+v", status, second)
	}
	if _, n := env.markOf(t, env.session.ID, env.trainee.ID); n != 1 {
		t.Errorf("the second scan wrote a mark: %d marks", n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'attendance.checkin'`); n != 1 {
		t.Errorf("%d check-ins audited, want 1", n)
	}
	// The coordinator reads Arabic: the answer says it in Arabic.
	if _, ar := scan(t, env.coordinator, env.session.ID, token); ar.Outcome != "already_present" || !strings.Contains(ar.Message, "فاطمة الزهراء بنعلي مسجَّل حاضرًا من قبل") {
		t.Errorf("the Arabic answer: %+v", ar)
	}
}

// A badge of another course is refused with its own sentence, and a
// withdrawn enrolment's badge is dead, scanned or typed: nothing written.
func TestCheckinRefusesAnotherCoursesBadgeAndAWithdrawnOne(t *testing.T) {
	t.Parallel()
	env := newCheckinEnv(t)
	for _, c := range []struct {
		what, code, want string
	}{
		{"another course's badge", env.otherCodes[env.stranger.ID].Token, "This badge is for another course"},
		{"a withdrawn enrolment's badge", env.codes[env.withdrawn.ID].Token, "This badge no longer works"},
		{"a withdrawn enrolment's typed code", strings.ToLower(env.codes[env.withdrawn.ID].ShortShown()), "This badge no longer works"},
		{"another course's typed code", env.otherCodes[env.stranger.ID].Short, "Nobody in this course has this code"},
		{"something else's QR code", "https://example.org/poster", "This is not a check-in code"},
		{"a code of ours that nobody has", domain.CheckinTokenPrefix + "2222222222222222", "Nobody in this course has this code"},
	} {
		status, a := scan(t, env.trainer, env.session.ID, c.code)
		if status != 422 || !strings.Contains(a.Error, c.want) {
			t.Errorf("%s: want 422 %q, got %d %+v", c.what, c.want, status, a)
		}
	}
	if _, n := env.markOf(t, env.session.ID, env.withdrawn.ID); n != 0 {
		t.Errorf("%d marks written by refused codes", n)
	}
	if _, n := env.markOf(t, env.otherSess.ID, env.stranger.ID); n != 0 {
		t.Errorf("%d marks written in the other course", n)
	}
	// The withdrawn person's code is not printed any more.
	sheet := env.trainer.get(fmt.Sprintf("/sessions/%d/sign-in-sheet", env.session.ID))
	if strings.Contains(sheet.Body, env.codes[env.withdrawn.ID].ShortShown()) {
		t.Error("the sheet still prints the withdrawn enrolment's code")
	}
}

// Only the course's own trainers (and coordinators) take its codes: the
// trainer of another course is told the session does not exist, even with
// a good badge of that session's course; the ministry too.
func TestCheckinByATrainerOfAnotherCourseIsRefused(t *testing.T) {
	t.Parallel()
	env := newCheckinEnv(t)
	token := env.codes[env.trainee.ID].Token
	if r := env.otherTrainer.get(fmt.Sprintf("/sessions/%d/checkin", env.session.ID)); r.StatusCode != 404 {
		t.Errorf("the other trainer opens the check-in page: %d", r.StatusCode)
	}
	if status, _ := scan(t, env.otherTrainer, env.session.ID, token); status != 404 {
		t.Errorf("the other trainer's scan: want 404, got %d", status)
	}
	if r := env.otherTrainer.get(fmt.Sprintf("/courses/%d/badges", env.course.ID)); r.StatusCode != 404 {
		t.Errorf("the other trainer prints the course's badges: %d", r.StatusCode)
	}
	if _, n := env.markOf(t, env.session.ID, env.trainee.ID); n != 0 {
		t.Errorf("the other trainer's scan wrote %d marks", n)
	}
	// Their own course's badge works for them.
	if status, a := scan(t, env.otherTrainer, env.otherSess.ID, env.otherCodes[env.stranger.ID].Token); status != 200 || a.Outcome != "checked_in" {
		t.Errorf("the other trainer's own badge: %d %+v", status, a)
	}
}

// A mark already saved (late, excused, absent) is never replaced by a
// scan: the answer says what stands, and it stays.
func TestCheckinNeverOverwritesAnotherMark(t *testing.T) {
	t.Parallel()
	env := newCheckinEnv(t)
	for _, mark := range []domain.AttendanceStatus{domain.Late, domain.Excused, domain.Absent} {
		err := env.store.SaveAttendance(context.Background(), env.session.ID, []repository.Mark{{TraineeID: env.trainee.ID, Status: mark}}, &env.trainerID)
		if err != nil {
			t.Fatal(err)
		}
		status, a := scan(t, env.trainer, env.session.ID, env.codes[env.trainee.ID].Token)
		if status != 200 || a.Outcome != "already_marked" || a.Status != string(mark) || !strings.Contains(a.Message, "nothing changed") {
			t.Errorf("%s: %d %+v", mark, status, a)
		}
		if got, _ := env.markOf(t, env.session.ID, env.trainee.ID); got != string(mark) {
			t.Errorf("the scan changed %s into %s", mark, got)
		}
	}
}

// The typed code works without JavaScript: a form, the page again saying
// what it did; small letters, spaces and Arabic-Indic digits are read.
func TestCheckinTypedCodeWorksWithoutScript(t *testing.T) {
	t.Parallel()
	env := newCheckinEnv(t)
	page := fmt.Sprintf("/sessions/%d/checkin", env.session.ID)
	r := env.trainer.get(page)
	expectStatus(t, "check-in page", r, 200)
	if got := r.Header.Get("Permissions-Policy"); !strings.Contains(got, "camera=(self)") {
		t.Errorf("the check-in page may not use the camera: %q", got)
	}
	if got := env.trainer.get(fmt.Sprintf("/sessions/%d/attendance", env.session.ID)).Header.Get("Permissions-Policy"); !strings.Contains(got, "camera=()") {
		t.Errorf("another page may use the camera: %q", got)
	}
	short := env.codes[env.trainee.ID].Short
	typed := " " + strings.ToLower(short[:3]) + " - " + arabicIndic(short[3:])
	r = env.trainer.post(page, url.Values{"code": {typed}})
	expectStatus(t, "typed code", r, 200)
	if !strings.Contains(r.Body, "Hélène Aït-Lahcen: present") {
		t.Fatalf("the page does not say the person is present:\n%s", visibleText(r.Body))
	}
	r = env.trainer.post(page, url.Values{"code": {short}})
	if expectStatus(t, "typed again", r, 200); !strings.Contains(r.Body, "already present") {
		t.Errorf("the second typed code does not say already present:\n%s", visibleText(r.Body))
	}
	r = env.trainer.post(page, url.Values{"code": {"ZZZ-ZZZ"}})
	if expectStatus(t, "unknown code", r, 422); !strings.Contains(r.Body, "Nobody in this course has this code") || !strings.Contains(r.Body, `value="ZZZ-ZZZ"`) {
		t.Errorf("an unknown code is not explained, or not shown again:\n%s", visibleText(r.Body))
	}
	if _, n := env.markOf(t, env.session.ID, env.trainee.ID); n != 1 {
		t.Errorf("%d marks, want 1", n)
	}
}

// arabicIndic writes s's digits as Arabic-Indic ones (a phone's Arabic keyboard).
func arabicIndic(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '٠' + (r - '0')
		}
		return r
	}, s)
}

// Sessions that cannot take marks refuse codes as the attendance sheet
// refuses marks: a session whose day has not come, a cancelled one, one of
// a closed course.
func TestCheckinFollowsTheAttendanceRules(t *testing.T) {
	t.Parallel()
	env := newCheckinEnv(t)
	ahead := futureSession(t, env.world)
	token := env.codes[env.trainee.ID].Token
	if status, a := scan(t, env.trainer, ahead.ID, token); status != 422 || a.Error == "" {
		t.Errorf("a future session: %d %+v", status, a)
	}
	if err := env.store.CancelSession(context.Background(), env.session.ID, "the room was flooded", nil); err != nil {
		t.Fatal(err)
	}
	if status, a := scan(t, env.trainer, env.session.ID, token); status != 422 || a.Error == "" {
		t.Errorf("a cancelled session: %d %+v", status, a)
	}
	// A closed course takes no more marks from its trainer (409).
	if _, err := env.store.CloseCourse(context.Background(), env.otherCourse.ID, nil); err != nil {
		t.Fatal(err)
	}
	if status, a := scan(t, env.otherTrainer, env.otherSess.ID, env.otherCodes[env.stranger.ID].Token); status != 409 || a.Error == "" {
		t.Errorf("a closed course: %d %+v", status, a)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance`); n != 0 {
		t.Errorf("%d marks written", n)
	}
}

// The sign-in sheet and the badges print each active enrolment's QR code
// and short code; printing again gives the same codes.
func TestSheetAndBadgesPrintTheCheckinCodes(t *testing.T) {
	t.Parallel()
	env := newCheckinEnv(t)
	code := env.codes[env.trainee.ID]
	sheet := env.trainer.get(fmt.Sprintf("/sessions/%d/sign-in-sheet", env.session.ID))
	expectStatus(t, "sheet", sheet, 200)
	badges := env.trainer.get(fmt.Sprintf("/courses/%d/badges", env.course.ID))
	expectStatus(t, "badges", badges, 200)
	for what, body := range map[string]string{"sheet": sheet.Body, "badges": badges.Body} {
		if !strings.Contains(body, `<bdi dir="ltr" class="short-code">`+code.ShortShown()+`</bdi>`) || strings.Count(body, `<svg class="qr"`) != 1 {
			t.Errorf("the %s lacks the code %s or its one QR code", what, code.ShortShown())
		}
		if strings.Contains(body, code.Token) {
			t.Errorf("the %s shows the token as text", what)
		}
	}
	again, err := env.store.CheckinCodes(context.Background(), env.course.ID)
	if err != nil || again[env.trainee.ID] != code || len(again) != 1 {
		t.Errorf("the codes changed on printing again: %v %v", again, err)
	}
}
