package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// lifeEnv is a world with a coordinator and the course's trainer, each
// with a browser (pages, CSRF forms) and a bearer token (the API).
type lifeEnv struct {
	*world
	coordinator, trainer       *client
	coordinatorAPI, trainerAPI *client
}

func newLifeEnv(t *testing.T) *lifeEnv {
	t.Helper()
	store := newStore(t)
	web := newApp(t, store)
	env := &lifeEnv{}
	users := map[domain.Role]*domain.User{}
	for i, role := range []domain.Role{domain.RoleCoordinator, domain.RoleTrainer} {
		email := string(role) + "@life.ma"
		u := addUser(t, store, email, role)
		users[role] = u
		browser := newClient(t, web)
		browser.ip = fmt.Sprintf("198.51.100.%d", 60+i)
		browser.login(email, testPassword)
		token, _, err := store.CreateAPIToken(context.Background(), u.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		api := newClient(t, web)
		api.headers["Authorization"] = "Bearer " + token
		if role == domain.RoleCoordinator {
			env.coordinator, env.coordinatorAPI = browser, api
		} else {
			env.trainer, env.trainerAPI = browser, api
		}
	}
	env.world = newWorld(t, store, users[domain.RoleTrainer].ID)
	return env
}

// A trainer edits and cancels the sessions of their own course, through
// the pages and the API; a session with marks is no longer edited (409, a
// message); a cancelled one is shown struck through; another course's
// session is not theirs (404); deleting is for coordinators (403), and a
// marked session is not deleted (409).
func TestSessionLifeThroughThePagesAndTheAPI(t *testing.T) {
	t.Parallel()
	env := newLifeEnv(t)
	s := fmt.Sprintf("/sessions/%d", env.session.ID)
	env.trainer.setLanguage("fr")
	expectStatus(t, "edit page", env.trainer.get(s+"/edit"), 200)
	edit := url.Values{"day": {"06/03/2019"}, "start_time": {"10:00"}, "end_time": {"12:00"}, "place": {"Salle B"}, "hours": {"2"}}
	expectStatus(t, "edit", env.trainer.post(s, edit), 303)
	got, err := env.store.Session(context.Background(), env.session.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Place != "Salle B" || got.Hours != 2 || got.StartsAt.In(domain.Casablanca).Format("2006-01-02 15:04") != "2019-03-06 10:00" {
		t.Fatalf("edit not saved: %+v", got)
	}
	expectStatus(t, "another trainer's session", env.trainer.get(fmt.Sprintf("/sessions/%d/edit", env.otherSess.ID)), 404)
	expectStatus(t, "a trainer deletes", env.trainerAPI.call("DELETE", "/api/v1"+s, ""), 403)

	marks := fmt.Sprintf(`[{"trainee_id": %d, "status": "present"}]`, env.trainee.ID)
	expectStatus(t, "marks", env.trainerAPI.call("PUT", "/api/v1"+s+"/attendance", marks), 200)
	r := env.trainer.post(s, edit)
	expectStatus(t, "edit once marked", r, 409)
	if !strings.Contains(r.Body, "ne peuvent plus être modifiés") {
		t.Errorf("no message for the refused edit: %s", r.Body)
	}
	r = env.trainerAPI.call("PATCH", "/api/v1"+s, `{"place": "Ailleurs"}`)
	expectStatus(t, "API edit once marked", r, 409)
	expectStatus(t, "API delete once marked", env.coordinatorAPI.call("DELETE", "/api/v1"+s, ""), 409)

	r = env.trainerAPI.call("POST", "/api/v1"+s+"/cancel", `{"reason": " "}`)
	expectStatus(t, "cancel without a reason", r, 422)
	var e apiError
	decode(t, r, &e)
	if e.Fields["cancel_reason"] == "" {
		t.Errorf("no message on cancel_reason: %s", r.Body)
	}
	expectStatus(t, "cancel", env.trainer.post(s+"/cancel", url.Values{"cancel_reason": {"Salle inondée"}}), 303)
	page := env.trainer.get(fmt.Sprintf("/courses/%d", env.course.ID))
	if !strings.Contains(page.Body, `<tr class="cancelled"><td><del>`) || !strings.Contains(page.Body, "Salle inondée") {
		t.Errorf("the course page does not strike the cancelled session through")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action IN ('session.update', 'session.cancel') AND entity_id = $1`,
		env.session.ID); n != 2 {
		t.Errorf("want the edit and the cancellation audited, got %d entries", n)
	}
	csv := env.trainer.get(fmt.Sprintf("/exports/attendance.csv?course=%d", env.course.ID))
	expectStatus(t, "export", csv, 200)
	if !strings.Contains(csv.Body, "Statut de la séance") || !strings.Contains(csv.Body, "annulée") {
		t.Errorf("the attendance export does not say the session is cancelled: %s", csv.Body)
	}

	// A session created by mistake: the coordinator deletes it.
	other := fmt.Sprintf("/api/v1/sessions/%d", env.otherSess.ID)
	expectStatus(t, "coordinator deletes", env.coordinatorAPI.call("DELETE", other, ""), 204)
	if n := countRows(t, env.store, `SELECT count(*) FROM sessions WHERE id = $1`, env.otherSess.ID); n != 0 {
		t.Error("not deleted")
	}
}

// On a closed course a trainer's writes (marks, enrolments, withdrawals,
// sessions) are refused with 409 and a message, even with a reason; a
// coordinator's need a reason (422 on correction_reason without one), and
// with one they are made, the reason in the audit. Nothing changes on a
// refusal.
func TestClosedCourseRefusesTrainersAndAsksCoordinatorsWhy(t *testing.T) {
	t.Parallel()
	env := newLifeEnv(t)
	course := fmt.Sprintf("/courses/%d", env.course.ID)
	expectStatus(t, "trainer closes", env.trainer.post(course+"/close", nil), 403)
	expectStatus(t, "close", env.coordinator.post(course+"/close", nil), 303)
	expectStatus(t, "close twice", env.coordinatorAPI.call("POST", "/api/v1"+course+"/close", ""), 409)

	marks := fmt.Sprintf(`[{"trainee_id": %d, "status": "absent"}]`, env.trainee.ID)
	attendance := fmt.Sprintf("/api/v1/sessions/%d/attendance", env.session.ID)
	before := countRows(t, env.store, `SELECT count(*) FROM audit_log`)
	env.trainer.setLanguage("fr")
	for what, r := range map[string]response{
		"marks (API)":      env.trainerAPI.call("PUT", attendance+"?correction_reason=x", marks),
		"marks (page)":     env.trainer.post(fmt.Sprintf("/sessions/%d/attendance", env.session.ID), url.Values{"action": {"all_present"}, "correction_reason": {"x"}}),
		"withdraw (API)":   env.trainerAPI.call("DELETE", fmt.Sprintf("/api/v1%s/enrollments/%d", course, env.trainee.ID), ""),
		"withdraw (page)":  env.trainer.post(fmt.Sprintf("%s/enrollments/%d/withdraw", course, env.trainee.ID), nil),
		"enrol (API)":      env.trainerAPI.call("POST", "/api/v1"+course+"/enrollments", `{"trainee": {"category": "institutional_actor", "full_name_latin": "Nouvelle", "sex": "female", "organisation_id": `+fmt.Sprint(env.institution.ID)+`}}`),
		"cancel a session": env.trainer.post(fmt.Sprintf("/sessions/%d/cancel", env.session.ID), url.Values{"cancel_reason": {"non"}}),
	} {
		expectStatus(t, "trainer: "+what, r, 409)
		if !strings.Contains(r.Body, "clôturée") && !strings.Contains(r.Body, "closed") && !strings.Contains(r.Body, "مغلقة") {
			t.Errorf("trainer: %s: no message that the course is closed: %.300s", what, r.Body)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log`); n != before {
		t.Fatalf("refused writes wrote %d audit entries", n-before)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance`) + countRows(t, env.store, `SELECT count(*) FROM sessions WHERE cancelled_at IS NOT NULL`); n != 0 {
		t.Fatalf("refused writes changed %d rows", n)
	}

	r := env.coordinatorAPI.call("PUT", attendance, marks)
	expectStatus(t, "coordinator without a reason", r, 422)
	var e apiError
	decode(t, r, &e)
	if e.Fields["correction_reason"] == "" {
		t.Errorf("no message on correction_reason: %s", r.Body)
	}
	env.coordinator.setLanguage("ar")
	r = env.coordinator.post(fmt.Sprintf("%s/enrollments/%d/withdraw", course, env.trainee.ID), nil)
	expectStatus(t, "coordinator's form without a reason", r, 422)
	if !strings.Contains(r.Body, "اذكر السبب") {
		t.Errorf("no Arabic message asking why: %.400s", r.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance`); n != 0 {
		t.Fatal("a correction without a reason was saved")
	}
	expectStatus(t, "coordinator with a reason", env.coordinatorAPI.call("PUT", attendance+"?correction_reason="+urlQuery("Feuille papier retrouvée"), marks), 200)
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'attendance.mark' AND reason = 'Feuille papier retrouvée'`); n != 1 {
		t.Errorf("the correction's reason is not in the audit (%d)", n)
	}

	page := env.coordinator.get(course)
	if strings.Count(page.Body, `name="correction_reason"`) < 2 || !strings.Contains(env.coordinator.get(course+"/enrol").Body, `name="correction_reason"`) {
		t.Error("the closed course's forms do not ask the coordinator why")
	}
	series := url.Values{"first_day": {"20/03/2019"}, "start_time": {"09:00"}, "end_time": {"11:00"}, "count": {"1"},
		"correction_reason": {"Séance oubliée"}}
	expectStatus(t, "a session added as a correction", env.coordinator.post(course+"/sessions", series), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'sessions.create' AND reason = 'Séance oubliée'`); n != 1 {
		t.Errorf("the page's correction is not audited with its reason (%d)", n)
	}

	expectStatus(t, "reopen without a reason", env.coordinatorAPI.call("POST", "/api/v1"+course+"/reopen", `{"reason": ""}`), 422)
	expectStatus(t, "reopen", env.coordinator.post(course+"/reopen", url.Values{"reopen_reason": {"Rapport révisé"}}), 303)
	expectStatus(t, "trainer after reopening", env.trainerAPI.call("PUT", attendance, marks), 200)
}

// Closing keeps the course's figures; the dashboard's reported-vs-recorded
// panel shows beside each reported figure its value at closing, and
// highlights one that changed since.
func TestThePanelHighlightsAFigureChangedSinceClosing(t *testing.T) {
	t.Parallel()
	env := newLifeEnv(t)
	ctx := context.Background()
	for _, figure := range []string{"local_actors.enrolled", "courses"} {
		if err := env.store.CreateReportedFigure(ctx, &domain.ReportedFigure{Figure: figure, Programme: env.programme.Code,
			Year: ptr(2019), Value: 1, Source: "Rapport 2019"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	course := fmt.Sprintf("/courses/%d", env.course.ID)
	r := env.coordinatorAPI.call("POST", "/api/v1"+course+"/close", "")
	expectStatus(t, "close", r, 201)
	var closing repository.CourseClosing
	decode(t, r, &closing)
	if closing.Figures["local_actors.enrolled"] != 1 || closing.ProgrammeYearFigures["courses"] != 2 {
		t.Fatalf("the closing's figures: %+v", closing)
	}
	env.coordinator.setLanguage("en")
	dash := env.coordinator.get("/dashboard?programme=" + env.programme.Code)
	expectStatus(t, "dashboard", dash, 200)
	if strings.Contains(dash.Body, "changed since closing") {
		t.Fatal("a figure is highlighted before anything changed")
	}

	// A correction on the closed course: one more person enrolled.
	enrol := `{"trainee": {"category": "institutional_actor", "full_name_latin": "Late entry", "sex": "male", "organisation_id": ` +
		fmt.Sprint(env.institution.ID) + `}}`
	expectStatus(t, "correction", env.coordinatorAPI.call("POST", "/api/v1"+course+"/enrollments?correction_reason="+urlQuery("Liste oubliée"), enrol), 201)
	if _, err := env.store.FoldTotals(ctx); err != nil {
		t.Fatal(err)
	}
	dash = env.coordinator.get("/dashboard?programme=" + env.programme.Code)
	if strings.Count(dash.Body, "changed since closing") != 1 || !strings.Contains(dash.Body, ` changed">`) {
		t.Errorf("the panel does not highlight the one figure that changed since closing")
	}
	reported := env.coordinator.get("/dashboard/reported")
	if strings.Count(reported.Body, "changed since closing") != 1 {
		t.Errorf("the reported figures page does not highlight it either")
	}
}
