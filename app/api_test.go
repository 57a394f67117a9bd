package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"takaffoul/domain"
)

// apiEnv is an application with a world, and one bearer-token client per role.
type apiEnv struct {
	*world
	coordinator, trainer, ministry *client
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	store := newStore(t)
	web := newApp(t, store)
	env := &apiEnv{}
	bearer := func(email string, role domain.Role) (*client, *domain.User) {
		u := addUser(t, store, email, role)
		token, _, err := store.CreateAPIToken(context.Background(), u.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		cl := newClient(t, web)
		cl.headers["Authorization"] = "Bearer " + token
		return cl, u
	}
	var trainerUser *domain.User
	env.coordinator, _ = bearer("coordinator@api.ma", domain.RoleCoordinator)
	env.trainer, trainerUser = bearer("trainer@api.ma", domain.RoleTrainer)
	env.ministry, _ = bearer("ministry@api.ma", domain.RoleMinistry)
	env.world = newWorld(t, store, trainerUser.ID)
	return env
}

// call sends a JSON request (bearer requests need no CSRF token).
func (cl *client) call(method, target, body string) response {
	cl.t.Helper()
	return cl.do(method, target, strings.NewReader(body), "application/json")
}

// decode reads a JSON answer into v.
func decode(t *testing.T, r response, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("not JSON (%v): %s", err, r.Body)
	}
}

type apiError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
}

func TestChildParliamentarianFieldsFollowTheCategory(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	env.trainer.headers["Accept-Language"] = "fr"
	body := `{"trainee": {"category": "child_parliamentarian", "full_name_ar": "ياسين", "sex": "male",
		"phone": "0612345678", "national_id": "AB123"}}`
	r := env.trainer.call("POST", fmt.Sprintf("/api/v1/courses/%d/enrollments", env.course.ID), body)
	expectStatus(t, "child with phone", r, 422)
	var e apiError
	decode(t, r, &e)
	for _, field := range []string{"phone", "national_id", "birth_year", "guardian_consent"} {
		if e.Fields[field] == "" {
			t.Errorf("no message on %s: %+v", field, e)
		}
	}
	if strings.Contains(e.Fields["phone"], "trainee.") {
		t.Errorf("the message is a key, not French: %q", e.Fields["phone"])
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != 1 {
		t.Fatalf("a refused enrolment created someone: %d trainees", n)
	}
	body = `{"trainee": {"category": "child_parliamentarian", "full_name_ar": "ياسين", "sex": "male",
		"birth_year": 2006, "guardian_consent": true}}`
	r = env.trainer.call("POST", fmt.Sprintf("/api/v1/courses/%d/enrollments", env.course.ID), body)
	expectStatus(t, "valid child", r, 201)

	// An associative actor needs an association, not an institution.
	body = fmt.Sprintf(`{"category": "associative_actor", "full_name_latin": "Said", "sex": "male", "organisation_id": %d}`, env.institution.ID)
	r = env.coordinator.call("POST", "/api/v1/trainees", body)
	expectStatus(t, "associative actor in an institution", r, 422)
	decode(t, r, &e)
	if e.Fields["organisation_id"] == "" {
		t.Errorf("no message on organisation_id: %+v", e)
	}
}

func TestDuplicateNationalIDAnswers409(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	body := fmt.Sprintf(`{"category": "institutional_actor", "full_name_latin": "Nadia Alaoui", "sex": "female",
		"organisation_id": %d, "national_id": "BK 778899"}`, env.institution.ID)
	expectStatus(t, "first", env.coordinator.call("POST", "/api/v1/trainees", body), 201)
	r := env.coordinator.call("POST", "/api/v1/trainees", strings.Replace(body, "Nadia Alaoui", "N. Alaoui", 1))
	expectStatus(t, "same CIN", r, 409)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE national_id = 'BK778899'`); n != 1 {
		t.Fatalf("want one person with that CIN, got %d", n)
	}
}

func TestDoubleEnrolmentAndCapacity(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	url := fmt.Sprintf("/api/v1/courses/%d/enrollments", env.course.ID)
	r := env.trainer.call("POST", url, fmt.Sprintf(`{"trainee_id": %d}`, env.trainee.ID))
	expectStatus(t, "enrolled twice", r, 409)
	if n := countRows(t, env.store, `SELECT count(*) FROM enrollments WHERE trainee_id = $1`, env.trainee.ID); n != 1 {
		t.Fatalf("want one enrolment, got %d", n)
	}

	expectStatus(t, "shrink", env.coordinator.call("PATCH", fmt.Sprintf("/api/v1/courses/%d", env.course.ID), `{"capacity": 1}`), 200)
	newcomer := fmt.Sprintf(`{"trainee": {"category": "institutional_actor", "full_name_latin": "Late Comer", "sex": "male", "organisation_id": %d}}`, env.institution.ID)
	r = env.trainer.call("POST", url, newcomer)
	expectStatus(t, "course full", r, 422)
	// A trainer cannot override; a coordinator can.
	override := strings.TrimSuffix(newcomer, "}") + `, "override_capacity": true}`
	expectStatus(t, "trainer override", env.trainer.call("POST", url, override), 422)
	expectStatus(t, "coordinator override", env.coordinator.call("POST", url, override), 201)
}

func TestPossibleDuplicateIsOfferedBeforeCreating(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	url := fmt.Sprintf("/api/v1/courses/%d/enrollments", env.otherCourse.ID)
	same := fmt.Sprintf(`{"trainee": {"category": "institutional_actor", "full_name_ar": "فَاطِمَة الزَّهْرَاء بنعلي",
		"full_name_latin": "helene ait lahcen", "sex": "female", "organisation_id": %d}}`, env.institution.ID)
	r := env.coordinator.call("POST", url, same)
	expectStatus(t, "look-alike", r, 409)
	var answer struct {
		Duplicates []struct {
			ID int64 `json:"id"`
		} `json:"duplicates"`
	}
	decode(t, r, &answer)
	if len(answer.Duplicates) != 1 || answer.Duplicates[0].ID != env.trainee.ID {
		t.Fatalf("want the existing record offered, got %s", r.Body)
	}
	confirmed := strings.TrimSuffix(same, "}") + `, "confirm_new": true}`
	expectStatus(t, "confirmed new person", env.coordinator.call("POST", url, confirmed), 201)
}

func TestTrainerCannotReachAnotherCourse(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	other := env.otherCourse.ID
	for _, req := range []struct{ method, url, body string }{
		{"GET", fmt.Sprintf("/api/v1/courses/%d", other), ""},
		{"GET", fmt.Sprintf("/api/v1/courses/%d/roster", other), ""},
		{"POST", fmt.Sprintf("/api/v1/courses/%d/enrollments", other), fmt.Sprintf(`{"trainee_id": %d}`, env.trainee.ID)},
		{"GET", fmt.Sprintf("/api/v1/sessions/%d/attendance", env.otherSess.ID), ""},
		{"PUT", fmt.Sprintf("/api/v1/sessions/%d/attendance", env.otherSess.ID), `[]`},
		{"GET", "/api/v1/courses/999999", ""},
	} {
		r := env.trainer.call(req.method, req.url, req.body)
		expectStatus(t, req.method+" "+req.url, r, 404)
	}
	// Their course list holds only their course.
	var courses []struct {
		ID int64 `json:"id"`
	}
	decode(t, env.trainer.call("GET", "/api/v1/courses", ""), &courses)
	if len(courses) != 1 || courses[0].ID != env.course.ID {
		t.Fatalf("trainer's courses: %+v", courses)
	}
	// A person enrolled only in another course is not theirs to read.
	stranger := fmt.Sprintf(`{"category": "institutional_actor", "full_name_latin": "Stranger", "sex": "male", "organisation_id": %d}`, env.institution.ID)
	var created domain.Trainee
	decode(t, env.coordinator.call("POST", "/api/v1/trainees", stranger), &created)
	expectStatus(t, "stranger", env.trainer.call("GET", fmt.Sprintf("/api/v1/trainees/%d", created.ID), ""), 404)
	expectStatus(t, "ministry roster", env.ministry.call("GET", fmt.Sprintf("/api/v1/courses/%d/roster", env.course.ID), ""), 404)
}

func TestAttendanceAndWithdrawalThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	url := fmt.Sprintf("/api/v1/sessions/%d/attendance", env.session.ID)
	stranger := fmt.Sprintf(`{"category": "institutional_actor", "full_name_latin": "Not Enrolled", "sex": "male", "organisation_id": %d}`, env.institution.ID)
	var s domain.Trainee
	decode(t, env.coordinator.call("POST", "/api/v1/trainees", stranger), &s)
	body := fmt.Sprintf(`[{"trainee_id": %d, "status": "present"}, {"trainee_id": %d, "status": "present"}]`, env.trainee.ID, s.ID)
	expectStatus(t, "a stranger in the marks", env.trainer.call("PUT", url, body), 422)
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance`); n != 0 {
		t.Fatalf("a refused save wrote %d marks", n)
	}
	r := env.trainer.call("PUT", url, fmt.Sprintf(`[{"trainee_id": %d, "status": "late"}]`, env.trainee.ID))
	expectStatus(t, "mark", r, 200)
	if !strings.Contains(r.Body, `"status":"late"`) || !strings.Contains(r.Body, "trainer@api.ma") && !strings.Contains(r.Body, `"marked_by"`) {
		t.Fatalf("the sheet after saving: %s", r.Body)
	}
	withdraw := fmt.Sprintf("/api/v1/courses/%d/enrollments/%d", env.course.ID, env.trainee.ID)
	expectStatus(t, "withdraw", env.trainer.call("DELETE", withdraw, ""), 204)
	var roster struct {
		Roster []struct {
			Status   string `json:"status"`
			Attended int    `json:"attended"`
		} `json:"roster"`
	}
	decode(t, env.trainer.call("GET", fmt.Sprintf("/api/v1/courses/%d/roster", env.course.ID), ""), &roster)
	if len(roster.Roster) != 1 || roster.Roster[0].Status != "withdrawn" || roster.Roster[0].Attended != 1 {
		t.Fatalf("withdrawal must keep the history: %+v", roster)
	}
}

func TestSearchAndNamesRoundTripThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	for _, q := range []string{"فاطمة", "بنعلي", "HELENE", "aït"} {
		var found []struct {
			ID           int64   `json:"id"`
			FullNameAr   string  `json:"full_name_ar"`
			FullNameLat  string  `json:"full_name_latin"`
			NationalID   *string `json:"national_id"`
			Organisation string  `json:"organisation_name"`
		}
		decode(t, env.trainer.call("GET", "/api/v1/trainees?q="+urlQuery(q), ""), &found)
		if len(found) != 1 || found[0].FullNameAr != "فاطمة الزهراء بنعلي" || found[0].FullNameLat != "Hélène Aït-Lahcen" {
			t.Errorf("search %q: %+v", q, found)
		}
	}
	var got domain.Trainee
	decode(t, env.trainer.call("GET", fmt.Sprintf("/api/v1/trainees/%d", env.trainee.ID), ""), &got)
	if *got.FullNameAr != "فاطمة الزهراء بنعلي" || *got.FullNameLatin != "Hélène Aït-Lahcen" {
		t.Fatalf("names changed: %q %q", *got.FullNameAr, *got.FullNameLatin)
	}
}

func TestBadRequestsGetClearAnswers(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	expectStatus(t, "malformed JSON", env.coordinator.call("POST", "/api/v1/programmes", `{"code": `), 400)
	expectStatus(t, "wrong type", env.coordinator.call("POST", "/api/v1/programmes", `{"start_year": "soon"}`), 422)
	expectStatus(t, "unknown field", env.coordinator.call("POST", "/api/v1/programmes", `{"colour": "red"}`), 422)
	expectStatus(t, "unknown id", env.coordinator.call("GET", "/api/v1/trainees/987654", ""), 404)
	expectStatus(t, "not an id", env.coordinator.call("GET", "/api/v1/trainees/abc", ""), 404)
	expectStatus(t, "bad date", env.coordinator.call("POST", "/api/v1/courses", `{"start_date": "01/03/2019"}`), 422)
	series := `{"series": {"first_day": "2026-03-03", "start_time": "09:00", "end_time": "12:00", "interval_days": 7, "count": 6}}`
	r := env.coordinator.call("POST", fmt.Sprintf("/api/v1/courses/%d/sessions", env.course.ID), series)
	expectStatus(t, "a series of six", r, 201)
	if n := countRows(t, env.store, `SELECT count(*) FROM sessions WHERE course_id = $1`, env.course.ID); n != 7 {
		t.Fatalf("want 1 + 6 sessions, got %d", n)
	}
}
