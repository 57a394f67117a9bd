package app_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
)

// pageEnv is an application with a world and signed-in browsers.
type pageEnv struct {
	*world
	coordinator, trainer *client
}

func newPageEnv(t *testing.T) *pageEnv {
	t.Helper()
	store := newStore(t)
	web := newApp(t, store)
	addUser(t, store, "coordinator@pages.ma", domain.RoleCoordinator)
	tr := addUser(t, store, "trainer@pages.ma", domain.RoleTrainer)
	env := &pageEnv{world: newWorld(t, store, tr.ID), coordinator: newClient(t, web), trainer: newClient(t, web)}
	env.coordinator.ip = "198.51.100.1"
	env.trainer.ip = "198.51.100.2"
	env.coordinator.login("coordinator@pages.ma", testPassword)
	env.trainer.login("trainer@pages.ma", testPassword)
	return env
}

func TestEnrolFormRoundTripsArabicAndFrenchNames(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.trainer.headers["Accept-Language"] = "fr"
	enrol := fmt.Sprintf("/courses/%d/enrollments", env.course.ID)
	env.trainer.get(fmt.Sprintf("/courses/%d/enrol", env.course.ID))
	r := env.trainer.post(enrol, url.Values{"category": {"associative_actor"}, "full_name_ar": {"خديجة الإدريسي"},
		"full_name_latin": {"Zoé Benkirane-Éloi"}, "sex": {"female"}, "organisation_id": {fmt.Sprint(env.association.ID)}})
	expectStatus(t, "enrol", r, 303)
	page := env.trainer.get(fmt.Sprintf("/courses/%d", env.course.ID))
	for _, name := range []string{"خديجة الإدريسي", "Zoé Benkirane-Éloi", "فاطمة الزهراء بنعلي", "Hélène Aït-Lahcen"} {
		if !strings.Contains(page.Body, name) {
			t.Errorf("the course page lacks %q", name)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_ar = 'خديجة الإدريسي' AND full_name_latin = 'Zoé Benkirane-Éloi'`); n != 1 {
		t.Fatalf("the names were not stored byte for byte (%d rows)", n)
	}
}

func TestEnrolFormRefusesAChildWithAPhoneAndKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.trainer.headers["Accept-Language"] = "fr"
	env.trainer.get(fmt.Sprintf("/courses/%d/enrol", env.course.ID))
	r := env.trainer.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{
		"category": {"child_parliamentarian"}, "full_name_ar": {"ياسين العمراني"}, "sex": {"male"}, "phone": {"0612345678"}})
	expectStatus(t, "child with a phone", r, 422)
	for _, want := range []string{`value="ياسين العمراني"`, `value="0612345678"`, `aria-invalid="true"`, `lang="fr"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the re-rendered form lacks %s", want)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != 1 {
		t.Fatalf("nothing may be saved: %d trainees", n)
	}
	if strings.Contains(r.Body, "trainee.child_refuses_field") {
		t.Fatal("a message key leaked into the page")
	}
}

func TestEnrolFormOffersTheExistingRecord(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.coordinator.get(fmt.Sprintf("/courses/%d/enrol", env.otherCourse.ID))
	form := url.Values{"category": {"institutional_actor"}, "full_name_latin": {"HELENE AIT LAHCEN"},
		"full_name_ar": {"فَاطِمَة الزهراء بنعلي"}, "sex": {"female"}, "organisation_id": {fmt.Sprint(env.institution.ID)}}
	r := env.coordinator.post(fmt.Sprintf("/courses/%d/enrollments", env.otherCourse.ID), form)
	expectStatus(t, "look-alike", r, 409)
	if !strings.Contains(r.Body, fmt.Sprintf(`name="trainee_id" value="%d"`, env.trainee.ID)) {
		t.Fatal("the existing record is not offered")
	}
	r = env.coordinator.post(fmt.Sprintf("/courses/%d/enrollments", env.otherCourse.ID), url.Values{"trainee_id": {fmt.Sprint(env.trainee.ID)}})
	expectStatus(t, "enrol the existing person", r, 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != 1 {
		t.Fatalf("a duplicate person was created: %d", n)
	}
	r = env.coordinator.post(fmt.Sprintf("/courses/%d/enrollments", env.otherCourse.ID), url.Values{"trainee_id": {fmt.Sprint(env.trainee.ID)}})
	// A conflict, as the API answers it (409), shown next to the field of the form.
	expectStatus(t, "enrolled twice", r, 409)
	if !strings.Contains(r.Body, `<p class="field-error">هذا الشخص مسجّل مسبقًا في هذه الدورة.</p>`) {
		t.Fatal("the form does not say the person is enrolled already")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM enrollments WHERE trainee_id = $1`, env.trainee.ID); n != 2 {
		t.Fatalf("want 2 enrolments (two courses), got %d", n)
	}
}

func TestNewOrganisationTypedInTheEnrolForm(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.trainer.get(fmt.Sprintf("/courses/%d/enrol", env.course.ID))
	r := env.trainer.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"associative_actor"},
		"full_name_latin": {"Said Tazi"}, "sex": {"male"}, "new_organisation_name": {"Association Avenir de Salé"}})
	expectStatus(t, "enrol with a new association", r, 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM organisations WHERE kind = 'association' AND name_fr = 'Association Avenir de Salé'`); n != 1 {
		t.Fatalf("the association was not created with the person (%d)", n)
	}
}

func TestAttendanceSheetMarkAllPresentThenEdit(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	sheet := fmt.Sprintf("/sessions/%d/attendance", env.session.ID)
	page := env.trainer.get(sheet)
	expectStatus(t, "sheet", page, 200)
	if !strings.Contains(page.Body, fmt.Sprintf(`name="status_%d"`, env.trainee.ID)) {
		t.Fatal("the sheet has no line for the enrolled trainee")
	}
	expectStatus(t, "all present", env.trainer.post(sheet, url.Values{"action": {"all_present"}}), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance WHERE status = 'present'`); n != 1 {
		t.Fatalf("want one present mark, got %d", n)
	}
	env.trainer.get(sheet)
	expectStatus(t, "edit", env.trainer.post(sheet, url.Values{fmt.Sprintf("status_%d", env.trainee.ID): {"excused"}}), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM attendance WHERE status = 'excused' AND marked_by IS NOT NULL`); n != 1 {
		t.Fatal("the edit was not saved with who marked it")
	}
	page = env.trainer.get(fmt.Sprintf("/courses/%d", env.course.ID))
	if !strings.Contains(page.Body, "0 / 1") {
		t.Errorf("the roster should show 0 of 1 sessions attended")
	}
	// Another course's sheet and page are not the trainer's.
	expectStatus(t, "other sheet", env.trainer.get(fmt.Sprintf("/sessions/%d/attendance", env.otherSess.ID)), 404)
	expectStatus(t, "other course", env.trainer.get(fmt.Sprintf("/courses/%d", env.otherCourse.ID)), 404)
}

func TestCoordinatorCreatesACourseAndASeries(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	env.coordinator.get("/courses/new")
	r := env.coordinator.post("/courses", url.Values{"programme_id": {fmt.Sprint(env.programme.ID)}, "code": {"CP-NEW"},
		"title_ar": {"دورة جديدة"}, "title_fr": {"Nouvelle formation"}, "year": {"2020"}, "province": {"rabat"},
		"start_date": {"2020-02-01"}, "end_date": {"2020-03-31"}, "capacity": {"25"}, "completion_threshold": {"75"}})
	expectStatus(t, "create course", r, 303)
	var id int64
	if err := env.store.DB().Get(&id, `SELECT id FROM courses WHERE code = 'CP-NEW'`); err != nil {
		t.Fatal(err)
	}
	env.coordinator.get(fmt.Sprintf("/courses/%d", id))
	r = env.coordinator.post(fmt.Sprintf("/courses/%d/sessions", id), url.Values{"first_day": {"2020-02-04"},
		"start_time": {"09:00"}, "end_time": {"12:00"}, "count": {"6"}, "interval_days": {"7"}, "place": {"Rabat"}})
	expectStatus(t, "series", r, 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM sessions WHERE course_id = $1 AND extract(dow FROM starts_at AT TIME ZONE 'Africa/Casablanca') = 2`, id); n != 6 {
		t.Fatalf("want six Tuesday sessions, got %d", n)
	}
	r = env.coordinator.post(fmt.Sprintf("/courses/%d/sessions", id), url.Values{"first_day": {"2020-02-04"},
		"start_time": {"12:00"}, "end_time": {"09:00"}, "count": {"1"}})
	expectStatus(t, "ends before it starts", r, 422)
}
