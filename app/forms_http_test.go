package app_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
)

// courseFormValues is a valid new course of the page world, to be spoiled.
func courseFormValues(env *pageEnv) url.Values {
	return url.Values{"programme_id": {fmt.Sprint(env.programme.ID)}, "code": {"CP-FORM"}, "title_ar": {"دورة"},
		"title_fr": {"Formation"}, "year": {"2026"}, "province": {"rabat"}, "start_date": {"02/03/2026"},
		"end_date": {"27/03/2026"}, "capacity": {"25"}, "completion_threshold": {"80"}}
}

// After a failed submit the form comes back with, at its top, a summary
// that takes the focus and links to each invalid field's input, and with
// every value as it was typed.
func TestFailedSubmitShowsASummaryLinkingEachField(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.coordinator.setLanguage("fr")
	env.coordinator.get("/courses/new")
	form := courseFormValues(env)
	form.Set("title_fr", "")
	form.Set("capacity", "abc")
	form.Set("start_date", "31/02/2026")
	r := env.coordinator.post("/courses", form)
	expectStatus(t, "invalid course", r, 422)
	at := strings.Index(r.Body, "data-error-summary")
	if at < 0 {
		t.Fatal("no error summary")
	}
	summary := r.Body[at:]
	summary = summary[:strings.Index(summary, "</div>")]
	for _, field := range []string{"title_fr", "start_date", "capacity"} {
		if !strings.Contains(summary, `<a href="#f-`+field+`">`) || !strings.Contains(r.Body, `id="f-`+field+`"`) {
			t.Errorf("the summary does not link to %s's input:\n%s", field, summary)
		}
	}
	if strings.Count(summary, "<li>") != 3 || !strings.Contains(summary, "Capacité : « abc » n&#39;est pas un nombre.") {
		t.Errorf("want three lines, each naming its field:\n%s", summary)
	}
	if !strings.Contains(r.Body, `tabindex="-1" autofocus`) || !strings.Contains(r.Body, `<script src="/static/form-summary.js" defer>`) {
		t.Error("the summary does not take the focus")
	}
	if strings.Index(r.Body, "data-error-summary") > strings.Index(r.Body, `<form method="post" action="/courses"`) {
		t.Error("the summary is not at the top of the form")
	}
	for _, typed := range []string{`value="abc"`, `value="31/02/2026"`, `value="CP-FORM"`, `value="دورة"`, `value="27/03/2026"`} {
		if !strings.Contains(r.Body, typed) {
			t.Errorf("the form lost %s", typed)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM courses WHERE code = 'CP-FORM'`); n != 0 {
		t.Fatal("an invalid course was stored")
	}

	// The enrolment form: radio groups are linked through their first choice.
	env.trainer.get(fmt.Sprintf("/courses/%d/enrol", env.course.ID))
	r = env.trainer.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"nobody"}, "phone": {"06"}})
	expectStatus(t, "invalid person", r, 422)
	for _, field := range []string{"category", "sex", "full_name_ar"} {
		if !strings.Contains(r.Body, `<a href="#f-`+field+`">`) || !strings.Contains(r.Body, `id="f-`+field+`"`) {
			t.Errorf("the enrolment summary does not link to %s", field)
		}
	}
	if !strings.Contains(r.Body, `value="06"`) {
		t.Error("the enrolment form lost the phone typed")
	}
}

// Numbers are typed into text inputs with a numeric keyboard (a browser
// blanks Arabic-Indic digits in type=number), and what is typed in any
// digits is stored; a failed submit shows the digits as typed.
func TestNumbersTypedInArabicIndicDigitsAreKept(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	page := env.coordinator.get(fmt.Sprintf("/courses/%d/edit", env.course.ID))
	if !strings.Contains(page.Body, `id="f-capacity" name="capacity" type="text" value="40" inputmode="numeric"`) {
		t.Fatal("the capacity is not a text input with a numeric keyboard")
	}
	for _, p := range []string{"/courses/new", fmt.Sprintf("/courses/%d", env.course.ID), "/programmes", "/dashboard/reported",
		fmt.Sprintf("/courses/%d/enrol", env.course.ID)} {
		if body := env.coordinator.get(p).Body; strings.Contains(body, `type="number"`) || strings.Contains(body, `type="date"`) {
			t.Errorf("%s has a number or date input, which blanks Arabic-Indic digits", p)
		}
	}
	form := courseFormValues(env)
	form.Set("capacity", "٣٥")
	r := env.coordinator.post(fmt.Sprintf("/courses/%d", env.course.ID), form)
	expectStatus(t, "capacity ٣٥", r, 303)
	if n := countRows(t, env.store, `SELECT capacity FROM courses WHERE id = $1`, env.course.ID); n != 35 {
		t.Fatalf("stored capacity %d, want 35", n)
	}
	form.Set("capacity", "٤٠")
	form.Set("title_ar", "")
	r = env.coordinator.post(fmt.Sprintf("/courses/%d", env.course.ID), form)
	expectStatus(t, "no Arabic title", r, 422)
	if !strings.Contains(r.Body, `value="٤٠"`) {
		t.Error("the capacity typed is not shown again as typed")
	}
}

// A limit is stated before it bites, and a name over it gets a message
// instead of being cut by the browser.
func TestALongNameGetsAMessageNotACut(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.trainer.setLanguage("fr")
	enrol := fmt.Sprintf("/courses/%d/enrol", env.course.ID)
	page := env.trainer.get(enrol)
	input := page.Body[strings.Index(page.Body, `<input id="f-full_name_latin"`):]
	if input = input[:strings.Index(input, ">")]; strings.Contains(input, "maxlength") || !strings.Contains(page.Body, "200 caractères au plus.") {
		t.Fatalf("the name's limit is not stated, or a maxlength cuts it: %s", input)
	}
	for _, p := range []string{"/courses/new", "/programmes", fmt.Sprintf("/courses/%d", env.course.ID), "/dashboard/reported"} {
		if strings.Contains(env.coordinator.get(p).Body, "maxlength") {
			t.Errorf("%s cuts what is typed with a maxlength", p)
		}
	}
	long := strings.Repeat("Abdelkrim ", 30) // 300 characters
	r := env.trainer.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"associative_actor"},
		"full_name_latin": {long}, "sex": {"male"}, "organisation_id": {fmt.Sprint(env.association.ID)}})
	expectStatus(t, "a 300-character name", r, 422)
	if !strings.Contains(r.Body, "Le champ « Nom complet (caractères latins) » doit faire au plus 200 caractères.") {
		t.Error("no message says the name is too long")
	}
	if !strings.Contains(r.Body, `value="`+strings.TrimSpace(long)+` "`) && !strings.Contains(r.Body, `value="`+long+`"`) {
		t.Error("the name is not shown again whole")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != 1 {
		t.Fatalf("nothing may be saved: %d trainees", n)
	}
}

// A day is asked and shown as people write it, and a day that is not one
// is quoted as typed, never as a machine's timestamp.
func TestDateErrorQuotesWhatWasTyped(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.coordinator.setLanguage("fr")
	edit := env.coordinator.get(fmt.Sprintf("/courses/%d/edit", env.course.ID))
	if !strings.Contains(edit.Body, `value="01/03/2019"`) || !strings.Contains(edit.Body, "Jour/mois/année, par exemple 31/03/2026.") {
		t.Fatal("the course's first day is not shown day/month/year with its hint")
	}
	form := courseFormValues(env)
	form.Set("start_date", "32/01/2026")
	r := env.coordinator.post("/courses", form)
	expectStatus(t, "32 January", r, 422)
	if !strings.Contains(r.Body, "« 32/01/2026 » n&#39;est pas une date") || strings.Contains(r.Body, "T09:00:00") {
		t.Errorf("the date error does not quote what was typed")
	}
	course := fmt.Sprintf("/courses/%d", env.course.ID)
	env.coordinator.get(course)
	r = env.coordinator.post(course+"/sessions", url.Values{"first_day": {"2026-03-31T09:00:00+01:00"}, "start_time": {"09:00"},
		"end_time": {"12:00"}, "count": {"1"}})
	expectStatus(t, "a timestamp for a day", r, 422)
	if !strings.Contains(r.Body, "« 2026-03-31T09:00:00&#43;01:00 » n&#39;est pas une date") {
		t.Error("the series' first day is not quoted as typed")
	}
	// The day typed as people write it, in any digits, is stored.
	r = env.coordinator.post(course+"/sessions", url.Values{"first_day": {"٣١/٠٣/٢٠٢٦"}, "start_time": {"09:00"},
		"end_time": {"12:00"}, "count": {"1"}})
	expectStatus(t, "31/03/2026", r, 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM sessions WHERE course_id = $1
	        AND (starts_at AT TIME ZONE 'Africa/Casablanca')::date = '2026-03-31'`, env.course.ID); n != 1 {
		t.Fatal("the session of 31/03/2026 was not stored")
	}
}

// Fields that do not apply to the person's category are hidden on the page
// (enrol.js), and ignored by the server when sent anyway (no JavaScript):
// an organisation for a child, a guardian's consent for an adult.
func TestFieldsThatDoNotApplyAreHiddenAndIgnored(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	enrol := fmt.Sprintf("/courses/%d/enrol", env.course.ID)
	page := env.trainer.get(enrol).Body
	adults := `<div data-for="institutional_actor associative_actor">`
	newOrg := strings.Index(page, `id="f-new_organisation_name"`)
	if newOrg < 0 || strings.LastIndex(page[:newOrg], adults) < strings.LastIndex(page[:newOrg], "</div>") {
		t.Error("the new organisation's field is not for adults only")
	}
	if !strings.Contains(page, `data-for="child_parliamentarian"`) {
		t.Error("the guardian's consent is not for children only")
	}
	css := env.trainer.get("/static/app.css").Body
	if !strings.Contains(css, "[hidden] { display: none !important; }") {
		t.Error("a hidden field may still show (greyed), as .checkbox sets its display")
	}

	r := env.trainer.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"child_parliamentarian"},
		"full_name_ar": {"ياسين العمراني"}, "sex": {"male"}, "birth_year": {"2012"}, "guardian_consent": {"on"},
		"organisation_id": {fmt.Sprint(env.institution.ID)}, "new_organisation_name": {"Association des parents"}})
	expectStatus(t, "a child, with an organisation sent", r, 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_ar = 'ياسين العمراني' AND organisation_id IS NULL`); n != 1 {
		t.Error("the child was stored with the organisation that does not apply")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM organisations WHERE name_fr = 'Association des parents'`); n != 0 {
		t.Error("an organisation was created for a child")
	}
	env.trainer.get(enrol)
	r = env.trainer.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"associative_actor"},
		"full_name_latin": {"Said Tazi"}, "sex": {"male"}, "guardian_consent": {"on"}, "organisation_id": {fmt.Sprint(env.association.ID)}})
	expectStatus(t, "an adult, with a consent sent", r, 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees t WHERE full_name_latin = 'Said Tazi'
	    AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.trainee_id = t.id)`); n != 1 {
		t.Error("the adult was stored with a guardian's consent")
	}
}

// An admin's failed password reset shows the user's page again with the
// user's own role chosen in the role form, not the first of the list.
func TestUserPageKeepsTheRoleAfterAnotherFormFailed(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	boss := addUser(t, store, "admin@users.ma", domain.RoleAdmin)
	trainer := addUser(t, store, "trainer@users.ma", domain.RoleTrainer)
	cl := newClient(t, web)
	cl.login(boss.Email, testPassword)
	r := cl.post(fmt.Sprintf("/users/%d/password", trainer.ID), url.Values{"password": {"short"}})
	expectStatus(t, "a weak password", r, 422)
	if !strings.Contains(r.Body, `<option value="trainer" selected>`) || strings.Contains(r.Body, `value="short"`) {
		t.Error("the page shows another role than the user's, or the password typed")
	}
}

// API input: the ids the API answers with may be sent back and are
// ignored, any other field the server sets is refused, and a day written
// otherwise is refused on its own field (docs/API.md, "Fields the server sets").
func TestAPIInputIgnoresIDsAndRefusesServerFields(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	var p domain.Programme
	r := env.coordinator.call("POST", "/api/v1/programmes", `{"id": 424242, "code": "takaffoul", "name_ar": "تكافل",
		"name_fr": "Takaffoul", "name_en": "Takaffoul", "start_year": 2018, "end_year": 2020}`)
	expectStatus(t, "a programme sent with an id", r, 201)
	decode(t, r, &p)
	if p.ID == 424242 || countRows(t, env.store, `SELECT count(*) FROM programmes WHERE id = 424242`) != 0 {
		t.Fatal("the client chose the programme's id")
	}
	var refused apiError
	r = env.coordinator.call("POST", "/api/v1/programmes", `{"code": "x", "created_at": "2020-01-01T00:00:00Z"}`)
	expectStatus(t, "created_at", r, 422)
	if decode(t, r, &refused); refused.Fields["created_at"] == "" {
		t.Fatalf("created_at is not named: %s", r.Body)
	}

	// A course read, changed and sent back whole: its id (another course's
	// here) and programme are the stored ones.
	var got domain.Course
	decode(t, env.coordinator.call("GET", fmt.Sprintf("/api/v1/courses/%d", env.course.ID), ""), &got)
	got.ID, got.ProgrammeID, got.Capacity = env.otherCourse.ID, p.ID, 33
	body, _ := jsonOf(got)
	r = env.coordinator.call("PATCH", fmt.Sprintf("/api/v1/courses/%d", env.course.ID), body)
	expectStatus(t, "the course sent back", r, 200)
	if n := countRows(t, env.store, `SELECT count(*) FROM courses WHERE id = $1 AND capacity = 33 AND programme_id = $2`,
		env.course.ID, env.programme.ID); n != 1 {
		t.Error("the course was not changed, or moved to another programme")
	}
	if n := countRows(t, env.store, `SELECT capacity FROM courses WHERE id = $1`, env.otherCourse.ID); n != 40 {
		t.Errorf("the id sent changed another course (capacity %d)", n)
	}

	// A person sent with another's id is a new person.
	r = env.coordinator.call("POST", "/api/v1/trainees", fmt.Sprintf(`{"id": %d, "category": "institutional_actor",
		"full_name_latin": "Nadia Bennani", "sex": "female", "organisation_id": %d}`, env.trainee.ID, env.institution.ID))
	expectStatus(t, "a person sent with an id", r, 201)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = $1 AND full_name_latin = 'Hélène Aït-Lahcen'`, env.trainee.ID); n != 1 {
		t.Fatal("the person of the id sent was changed")
	}

	// A session sent with another course's id is the path's course's.
	r = env.coordinator.call("POST", fmt.Sprintf("/api/v1/courses/%d/sessions", env.course.ID), fmt.Sprintf(`{"id": 1, "course_id": %d,
		"starts_at": "2019-03-12T09:00:00+01:00", "ends_at": "2019-03-12T12:00:00+01:00", "place": "Rabat", "hours": 3}`, env.otherCourse.ID))
	expectStatus(t, "a session sent with a course_id", r, 201)
	if n := countRows(t, env.store, `SELECT count(*) FROM sessions WHERE course_id = $1`, env.otherCourse.ID); n != 1 {
		t.Fatal("the session went to the course it named")
	}

	// A day or a time written otherwise is refused on its field.
	for field, body := range map[string]string{
		"start_date": `{"start_date": "01/03/2019"}`,
		"starts_at":  `{"starts_at": "2019-03-12 09:00", "ends_at": "2019-03-12T12:00:00+01:00"}`,
		"first_day":  `{"series": {"first_day": "12/03/2019", "start_time": "09:00", "end_time": "12:00", "count": 1}}`,
	} {
		target := "/api/v1/courses"
		if field != "start_date" {
			target = fmt.Sprintf("/api/v1/courses/%d/sessions", env.course.ID)
		}
		r := env.coordinator.call("POST", target, body)
		refused = apiError{}
		if decode(t, r, &refused); r.StatusCode != 422 || refused.Fields[field] == "" {
			t.Errorf("%s written otherwise: want 422 on it, got %d %s", field, r.StatusCode, r.Body)
		}
	}
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
