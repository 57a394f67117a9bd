package app_test

// A trainer's view of people (docs/SECURITY.md, "The trainer's view of
// people"): the record of a person only while they are enrolled in one of
// the trainer's courses, a search that cannot list everyone, and no change
// to a person another course relies on.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// addPerson stores a person directly, as a coordinator would have.
func (w *world) addPerson(t *testing.T, p domain.Trainee) domain.Trainee {
	t.Helper()
	if p.Category != domain.ChildParliamentarian && p.OrganisationID == nil {
		p.OrganisationID = &w.institution.ID
	}
	if err := w.store.CreateTrainee(context.Background(), &p, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// enrolAsCoordinator enrols a person in a course, outside any trainer's action.
func (w *world) enrolAsCoordinator(t *testing.T, courseID, traineeID int64) {
	t.Helper()
	if _, err := w.store.Enroll(context.Background(), courseID, traineeID, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
}

// The trick of the penetration test: enrol anyone in one's own course, read
// their record, withdraw them at once, and keep reading and changing it.
func TestTrainerLosesAccessToAPersonOnceWithdrawn(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	stranger := env.addPerson(t, domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Omar Benjelloun"),
		Sex: domain.Male, BirthYear: ptr(1984), Phone: ptr("0661234567"), NationalID: ptr("BK445566")})
	record := fmt.Sprintf("/api/v1/trainees/%d", stranger.ID)
	expectStatus(t, "before enrolment", env.trainer.call("GET", record, ""), 404)

	// Enrolling an existing person stays allowed, and shows their record.
	enrol := env.trainer.call("POST", fmt.Sprintf("/api/v1/courses/%d/enrollments", env.course.ID),
		fmt.Sprintf(`{"trainee_id": %d}`, stranger.ID))
	expectStatus(t, "enrol", enrol, 201)
	r := env.trainer.call("GET", record, "")
	expectStatus(t, "while enrolled", r, 200)
	if !strings.Contains(r.Body, "BK445566") {
		t.Fatalf("the record of a person in the trainer's course: %s", r.Body)
	}

	expectStatus(t, "withdraw", env.trainer.call("DELETE",
		fmt.Sprintf("/api/v1/courses/%d/enrollments/%d", env.course.ID, stranger.ID), ""), 204)
	r = env.trainer.call("GET", record, "")
	expectStatus(t, "read after withdrawal", r, 404)
	if strings.Contains(r.Body, "BK445566") || strings.Contains(r.Body, "0661234567") {
		t.Fatalf("the 404 carries the record: %s", r.Body)
	}
	expectStatus(t, "change after withdrawal", env.trainer.call("PATCH", record, `{"phone": "0600000000"}`), 404)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = $1 AND phone = '0661234567'`, stranger.ID); n != 1 {
		t.Fatal("a refused change was saved")
	}
	// Coordinators still reach everyone.
	expectStatus(t, "coordinator", env.coordinator.call("GET", record, ""), 200)
}

// glimpse is a trainer's search result, read as raw JSON so that a field
// that should not be there is seen.
type glimpse map[string]any

func (g glimpse) name() string { s, _ := g["full_name_latin"].(string); return s }

func searchAsTrainer(t *testing.T, env *apiEnv, q string) []glimpse {
	t.Helper()
	r := env.trainer.call("GET", "/api/v1/trainees?q="+urlQuery(q), "")
	expectStatus(t, "search "+q, r, 200)
	var found []glimpse
	decode(t, r, &found)
	return found
}

func TestTrainerSearchCannotEnumeratePeople(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	omar := env.addPerson(t, domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Omar Benjelloun"),
		Sex: domain.Male, BirthYear: ptr(1984), Phone: ptr("0661234567"), NationalID: ptr("BK445566"), Email: ptr("omar@example.ma")})
	for i := range 12 {
		env.addPerson(t, domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Karim " + strings.Repeat("b", i+1)),
			Sex: domain.Male, Phone: ptr(fmt.Sprintf("06612345%02d", i)), NationalID: ptr(fmt.Sprintf("BK4455%02d", i))})
	}
	// Two children: one in the trainer's course, one in a course of nobody's.
	inside := env.addPerson(t, domain.Trainee{Category: domain.ChildParliamentarian, FullNameLatin: ptr("Karima Inside"),
		Sex: domain.Female, BirthYear: ptr(2009), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords})
	env.enrolAsCoordinator(t, env.course.ID, inside.ID)
	outside := env.addPerson(t, domain.Trainee{Category: domain.ChildParliamentarian, FullNameLatin: ptr("Karima Outside"),
		Sex: domain.Female, BirthYear: ptr(2009), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords})
	env.enrolAsCoordinator(t, env.otherCourse.ID, outside.ID)

	// A prefix of a CIN or of a phone number finds nobody.
	for _, q := range []string{"BK44", "BK4455", "bk 4455", "06", "0661", "066123456", "+2126612"} {
		if found := searchAsTrainer(t, env, q); len(found) != 0 {
			t.Errorf("prefix %q found %d people", q, len(found))
		}
	}
	// The whole CIN or phone, as people type them, finds the one person.
	for _, q := range []string{"BK445566", "bk 445566", "0661234567", "06 61 23 45 67"} {
		found := searchAsTrainer(t, env, q)
		if len(found) != 1 || found[0]["id"] != float64(omar.ID) {
			t.Errorf("whole %q: want Omar alone, got %v", q, found)
		}
	}
	// One or two letters list nobody: a clear 422 on q.
	for _, q := range []string{"k", "ka", "BK", "  k ", "é"} {
		r := env.trainer.call("GET", "/api/v1/trainees?q="+urlQuery(q), "")
		expectStatus(t, "short "+q, r, 422)
		var e apiError
		decode(t, r, &e)
		if e.Fields["q"] == "" || strings.Contains(e.Fields["q"], "people.") {
			t.Errorf("short %q: want a message on q, got %s", q, r.Body)
		}
	}
	// A name lists at most ten people, without CIN, phone, e-mail or birth year.
	karims := searchAsTrainer(t, env, "karim")
	if len(karims) != repository.TrainerSearchLimit {
		t.Errorf("karim: want %d results (a page), got %d", repository.TrainerSearchLimit, len(karims))
	}
	var more []glimpse
	decode(t, env.trainer.call("GET", "/api/v1/trainees?q=karim&limit=100", ""), &more)
	if len(more) != repository.TrainerSearchLimit {
		t.Errorf("limit=100 gave %d results", len(more))
	}
	for _, g := range append(karims, searchAsTrainer(t, env, "omar")...) {
		for _, field := range []string{"national_id", "phone", "email", "birth_year", "province", "guardian_consent"} {
			if _, ok := g[field]; ok {
				t.Errorf("%s: the result has %s: %v", g.name(), field, g)
			}
		}
	}
	if found := searchAsTrainer(t, env, "omar"); len(found) != 1 || found[0]["birth_decade"] != float64(1980) {
		t.Errorf("omar: want his birth decade 1980, got %v", found)
	}
	// Children: only the one in the trainer's own course.
	children := searchAsTrainer(t, env, "karima")
	if len(children) != 1 || children[0].name() != "Karima Inside" {
		t.Errorf("karima: want the child of the trainer's course only, got %v", children)
	}

	// Every search is audited, with its count and the query's length, never the query.
	var audits []struct {
		After json.RawMessage `db:"after"`
	}
	if err := env.store.DB().Select(&audits, `SELECT after FROM audit_log WHERE action = 'trainee.search' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if want := 7 + 4 + 5 + 5; len(audits) != want {
		t.Errorf("want %d audited searches, got %d", want, len(audits))
	}
	for _, a := range audits {
		if s := string(a.After); strings.Contains(s, "445566") || strings.Contains(strings.ToLower(s), "karim") || strings.Contains(s, "0661") {
			t.Errorf("the audit log holds the query: %s", s)
		}
	}
	var cin struct {
		Kind    string `json:"kind"`
		Length  int    `json:"query_length"`
		Results int    `json:"results"`
	}
	if err := json.Unmarshal(audits[7].After, &cin); err != nil {
		t.Fatal(err)
	}
	if cin.Kind != "identifier" || cin.Length != len("BK445566") || cin.Results != 1 {
		t.Errorf("the audit of the CIN search: %+v", cin)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'trainee.search' AND actor_id IS NULL`); n != 0 {
		t.Errorf("%d searches audited without their trainer", n)
	}

	// Coordinators keep the full search.
	var full []domain.Trainee
	decode(t, env.coordinator.call("GET", "/api/v1/trainees?q=karim", ""), &full)
	withCIN := 0
	for _, p := range full {
		if p.NationalID != nil {
			withCIN++
		}
	}
	if len(full) != 14 || withCIN != 12 {
		t.Errorf("coordinator's search: %d results, %d with their CIN", len(full), withCIN)
	}
}

// The enrolment page applies the same limits as the API.
func TestTrainerEnrolmentPageSearchIsLimited(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	env.addPerson(t, domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Omar Benjelloun"),
		Sex: domain.Male, BirthYear: ptr(1984), Phone: ptr("0661234567"), NationalID: ptr("BK445566")})
	outside := env.addPerson(t, domain.Trainee{Category: domain.ChildParliamentarian, FullNameLatin: ptr("Karima Outside"),
		Sex: domain.Female, BirthYear: ptr(2009), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords})
	env.enrolAsCoordinator(t, env.otherCourse.ID, outside.ID)
	page := newClient(t, env.trainer.app)
	page.ip = "198.51.100.3"
	setLanguage(t, env, "en")
	page.login("trainer@api.ma", testPassword)
	search := func(q string) string {
		t.Helper()
		r := page.get(fmt.Sprintf("/courses/%d/enrol?q=%s", env.course.ID, urlQuery(q)))
		expectStatus(t, "page search "+q, r, 200)
		return r.Body
	}
	if body := search("BK44"); strings.Contains(body, "Omar") {
		t.Error("a CIN prefix lists Omar on the page")
	}
	body := search("BK445566")
	if !strings.Contains(body, "Omar Benjelloun") || !strings.Contains(body, "born 1980–1989") {
		t.Errorf("the whole CIN should show Omar with his birth decade")
	}
	if strings.Contains(body, "1984") || strings.Contains(body, "0661234567") {
		t.Error("the page shows Omar's birth year or phone to a trainer")
	}
	if body := search("ka"); !strings.Contains(body, "Type at least 3 letters") {
		t.Error("a two-letter search should say what to type")
	}
	if body := search("karima"); strings.Contains(body, "Karima Outside") {
		t.Error("the page lists a child from another course")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'trainee.search'`); n != 4 {
		t.Errorf("want the 4 page searches audited, got %d", n)
	}
	// A coordinator's page keeps the full search and the birth year.
	desk := newClient(t, env.trainer.app)
	desk.ip = "198.51.100.4"
	desk.login("coordinator@api.ma", testPassword)
	r := desk.get(fmt.Sprintf("/courses/%d/enrol?q=a", env.course.ID))
	expectStatus(t, "coordinator's page search", r, 200)
	if !strings.Contains(r.Body, "Omar Benjelloun") || !strings.Contains(r.Body, "1984") || !strings.Contains(r.Body, "Karima Outside") {
		t.Error("the coordinator's page search should list everyone matching, with the birth year")
	}
}

// Children stay out of a trainer's reach outside their courses: the
// look-alike warning does not offer them, and enrolling one by id is 404.
func TestChildrenFromElsewhereStayOutOfATrainersReach(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	child := env.addPerson(t, domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr("ياسين العمراني"),
		Sex: domain.Male, BirthYear: ptr(2008), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords})
	env.enrolAsCoordinator(t, env.otherCourse.ID, child.ID)
	enrol := fmt.Sprintf("/api/v1/courses/%d/enrollments", env.course.ID)

	same := `{"trainee": {"category": "child_parliamentarian", "full_name_ar": "ياسين العمراني", "sex": "male",
		"birth_year": 2008, "guardian_consent": true}}`
	r := env.trainer.call("POST", enrol, same)
	if r.StatusCode == 409 || strings.Contains(r.Body, fmt.Sprintf(`"id":%d`, child.ID)) {
		t.Fatalf("the look-alike warning shows a trainer a child from another course: %d %s", r.StatusCode, r.Body)
	}
	expectStatus(t, "a new record instead", r, 201)
	// A coordinator is offered the look-alikes.
	expectStatus(t, "coordinator's warning", env.coordinator.call("POST",
		fmt.Sprintf("/api/v1/courses/%d/enrollments", env.otherCourse.ID), same), 409)

	other := env.addPerson(t, domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr("سلمى"),
		Sex: domain.Female, BirthYear: ptr(2009), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords})
	env.enrolAsCoordinator(t, env.otherCourse.ID, other.ID)
	expectStatus(t, "enrol a child from elsewhere by id", env.trainer.call("POST", enrol, fmt.Sprintf(`{"trainee_id": %d}`, other.ID)), 404)
	if n := countRows(t, env.store, `SELECT count(*) FROM enrollments WHERE trainee_id = $1`, other.ID); n != 1 {
		t.Fatalf("the refused enrolment was saved: %d enrolments", n)
	}

	// An adult look-alike is offered to a trainer, as a glimpse.
	adult := fmt.Sprintf(`{"trainee": {"category": "institutional_actor", "full_name_ar": "فاطمة الزهراء بنعلي",
		"full_name_latin": "Hélène Aït-Lahcen", "sex": "female",
		"organisation_id": %d}}`, env.institution.ID)
	r = env.trainer.call("POST", enrol, adult)
	expectStatus(t, "adult look-alike", r, 409)
	if !strings.Contains(r.Body, fmt.Sprintf(`"id":%d`, env.trainee.ID)) || strings.Contains(r.Body, "birth_year") {
		t.Errorf("the trainer's look-alike: %s", r.Body)
	}
}

func TestTrainerCannotChangeAPersonSharedWithAnotherCourse(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	setLanguage(t, env, "fr")
	record := fmt.Sprintf("/api/v1/trainees/%d", env.trainee.ID)
	expectStatus(t, "only in the trainer's course", env.trainer.call("PATCH", record, `{"phone": "0611111111"}`), 200)

	// Also in a course the trainer does not run: read yes, change no.
	env.enrolAsCoordinator(t, env.otherCourse.ID, env.trainee.ID)
	expectStatus(t, "read a shared person", env.trainer.call("GET", record, ""), 200)
	r := env.trainer.call("PATCH", record, `{"phone": "0622222222"}`)
	expectStatus(t, "change a shared person", r, 403)
	var e apiError
	decode(t, r, &e)
	if !strings.Contains(e.Error, "coordinateur") {
		t.Errorf("the refusal should ask for a coordinator, in French: %q", e.Error)
	}
	// Even an invalid change is refused for what it is, not for its fields.
	expectStatus(t, "invalid change of a shared person", env.trainer.call("PATCH", record, `{"sex": "x"}`), 403)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = $1 AND phone = '0611111111'`, env.trainee.ID); n != 1 {
		t.Fatal("a refused change was saved")
	}
	expectStatus(t, "a coordinator may", env.coordinator.call("PATCH", record, `{"phone": "0633333333"}`), 200)

	// Withdrawn from the other course, the person is the trainer's alone again.
	expectStatus(t, "withdraw elsewhere", env.coordinator.call("DELETE",
		fmt.Sprintf("/api/v1/courses/%d/enrollments/%d", env.otherCourse.ID, env.trainee.ID), ""), 204)
	expectStatus(t, "no longer shared", env.trainer.call("PATCH", record, `{"phone": "0644444444"}`), 200)

	// A closed (archived) course of the trainer's own holds the record too.
	closed := env.newCourse(t, "CP-CLOSED")
	if err := env.store.AssignTrainer(context.Background(), closed.ID, trainerIDOf(t, env), nil); err != nil {
		t.Fatal(err)
	}
	env.enrolAsCoordinator(t, closed.ID, env.trainee.ID)
	expectStatus(t, "archive", env.coordinator.call("PATCH", fmt.Sprintf("/api/v1/courses/%d", closed.ID), `{"archived": true}`), 200)
	expectStatus(t, "change a person of a closed course", env.trainer.call("PATCH", record, `{"phone": "0655555555"}`), 403)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = $1 AND phone = '0644444444'`, env.trainee.ID); n != 1 {
		t.Fatal("a refused change was saved")
	}
}

// setLanguage is the trainer's choice of language, kept in their account.
func setLanguage(t *testing.T, env *apiEnv, lang string) {
	t.Helper()
	if err := env.store.SetUserLanguage(context.Background(), trainerIDOf(t, env), lang); err != nil {
		t.Fatal(err)
	}
}

func trainerIDOf(t *testing.T, env *apiEnv) int64 {
	t.Helper()
	u, err := env.store.UserByEmail(context.Background(), "trainer@api.ma")
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
