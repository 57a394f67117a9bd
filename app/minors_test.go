package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
)

// childBody is a child parliamentarian born in year, as POST /trainees takes it.
func childBody(name string, year int) string {
	return fmt.Sprintf(`{"category": "child_parliamentarian", "full_name_ar": %q, "sex": "female",
		"birth_year": %d, "guardian_consent": true}`, name, year)
}

// A child parliamentarian created without a course must be a minor this
// year (issue 15, point 8): 18 this year is refused on birth_year, in the
// user's language, nothing saved; 17 is accepted.
func TestAPICreateRefusesAnAdultChildParliamentarian(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	year := domain.CurrentYear(time.Now())
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	for _, lang := range []string{"ar", "fr", "en"} {
		env.coordinator.headers["Accept-Language"] = lang
		r := env.coordinator.call("POST", "/api/v1/trainees", childBody("سلمى", year-18))
		expectStatus(t, lang+": 18 this year", r, 422)
		var e apiError
		decode(t, r, &e)
		msg := e.Fields["birth_year"]
		if msg == "" || strings.Contains(msg, "trainee.") || !strings.Contains(msg, fmt.Sprint(year-18)) {
			t.Errorf("%s: want a translated message on birth_year naming %d, got %+v", lang, year-18, e)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatalf("refused adults were saved: %d trainees, %d before", n, before)
	}
	expectStatus(t, "17 this year", env.coordinator.call("POST", "/api/v1/trainees", childBody("سلمى", year-17)), 201)
}

// PATCH: a child made an adult while still a child parliamentarian, or an
// adult made a child, is refused and nothing changes; a child who came of
// age keeps their record, may be corrected on another field, and may be
// reclassified to an adult category.
func TestAPIPatchKeepsChildParliamentariansMinors(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	year := domain.CurrentYear(time.Now())
	var kid domain.Trainee
	r := env.coordinator.call("POST", "/api/v1/trainees", childBody("ياسين", year-12))
	expectStatus(t, "minor", r, 201)
	decode(t, r, &kid)
	path := fmt.Sprintf("/api/v1/trainees/%d", kid.ID)

	r = env.coordinator.call("PATCH", path, fmt.Sprintf(`{"birth_year": %d}`, year-18))
	expectStatus(t, "child made an adult", r, 422)
	var e apiError
	decode(t, r, &e)
	if e.Fields["birth_year"] == "" {
		t.Errorf("no message on birth_year: %+v", e)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = $1 AND birth_year = $2`, kid.ID, year-12); n != 1 {
		t.Fatal("the refused birth year was saved")
	}

	var adult domain.Trainee
	r = env.coordinator.call("POST", "/api/v1/trainees", fmt.Sprintf(`{"category": "associative_actor",
		"full_name_latin": "Said", "sex": "male", "birth_year": %d, "organisation_id": %d}`, year-30, env.association.ID))
	expectStatus(t, "adult", r, 201)
	decode(t, r, &adult)
	r = env.coordinator.call("PATCH", fmt.Sprintf("/api/v1/trainees/%d", adult.ID),
		`{"category": "child_parliamentarian", "organisation_id": null, "guardian_consent": true}`)
	expectStatus(t, "adult made a child", r, 422)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = $1 AND category = 'associative_actor'`, adult.ID); n != 1 {
		t.Fatal("the refused category was saved")
	}

	// Came of age: the record stays as it is (set directly, as time would).
	if _, err := env.store.DB().Exec(`UPDATE trainees SET birth_year = $2 WHERE id = $1`, kid.ID, year-19); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, "came of age, name corrected", env.coordinator.call("PATCH", path, `{"full_name_ar": "ياسين العلوي"}`), 200)
	expectStatus(t, "came of age, reclassified", env.coordinator.call("PATCH", path,
		fmt.Sprintf(`{"category": "associative_actor", "guardian_consent": false, "organisation_id": %d}`, env.association.ID)), 200)
}
