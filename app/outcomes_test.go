package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A trainer of the course enters a person's scores on the phone page
// (no script needed) and through the API; bad input is a message in the
// user's language and nothing is saved; someone else's course is refused.
func TestTrainerEntersScores(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	tr := addUser(t, store, "trainer@scores.ma", domain.RoleTrainer)
	addUser(t, store, "ministry@scores.ma", domain.RoleMinistry)
	w := newWorld(t, store, tr.ID)
	trainer := newClient(t, web)
	trainer.login("trainer@scores.ma", testPassword)
	form := fmt.Sprintf("/courses/%d/scores/%d", w.course.ID, w.trainee.ID)
	saved := func() string {
		var row struct {
			Pre, Post, S1, S2 *int
			S3                *int
		}
		err := store.DB().QueryRowContext(context.Background(), `SELECT pre_score, post_score, satisfaction_1, satisfaction_2, satisfaction_3
		  FROM enrollment_scores s JOIN enrollments e ON e.id = s.enrollment_id WHERE e.trainee_id = $1`, w.trainee.ID).
			Scan(&row.Pre, &row.Post, &row.S1, &row.S2, &row.S3)
		if err != nil {
			return "none"
		}
		show := func(p *int) string {
			if p == nil {
				return "-"
			}
			return fmt.Sprint(*p)
		}
		return strings.Join([]string{show(row.Pre), show(row.Post), show(row.S1), show(row.S2), show(row.S3)}, " ")
	}

	list := trainer.get(fmt.Sprintf("/courses/%d/scores", w.course.ID))
	expectStatus(t, "scores list", list, 200)
	if !strings.Contains(list.Body, form) {
		t.Fatalf("the list does not link to the person's form")
	}
	page := trainer.get(form)
	expectStatus(t, "scores form", page, 200)
	if !strings.Contains(page.Body, `inputmode="numeric"`) || !strings.Contains(page.Body, `type="radio" name="satisfaction_1" value="5"`) {
		t.Errorf("the form is not made for a phone")
	}
	resp := trainer.post(form, url.Values{"pre_score": {"٤٥"}, "post_score": {"70"}, "satisfaction_1": {"5"}, "satisfaction_2": {"4"}, "satisfaction_3": {""}})
	expectStatus(t, "save", resp, 303)
	if got := saved(); got != "45 70 5 4 -" {
		t.Fatalf("saved %q", got)
	}
	if got := countRows(t, store, `SELECT count(*) FROM audit_log WHERE action = 'scores.record' AND actor_id = $1`, tr.ID); got != 1 {
		t.Errorf("audited scores.record: %d", got)
	}

	// Bad input, in French then in Arabic: the message, nothing changed.
	for _, c := range []struct {
		lang, name string
		form       url.Values
		message    string
	}{
		{"fr", "score above 100", url.Values{"pre_score": {"150"}, "post_score": {"80"}}, "doit être un nombre entier de 0 à 100"},
		{"fr", "not a number", url.Values{"pre_score": {"abc"}, "post_score": {"80"}}, "abc"},
		{"fr", "rating 7", url.Values{"pre_score": {"40"}, "satisfaction_2": {"7"}}, "choisissez une note de 1 à 5"},
		{"ar", "negative score", url.Values{"post_score": {"-3"}}, "عددًا صحيحًا من 0 إلى 100"},
	} {
		trainer.post("/language", url.Values{"lang": {c.lang}, "next": {form}})
		trainer.get(form)
		resp := trainer.post(form, c.form)
		expectStatus(t, c.name, resp, 422)
		if !strings.Contains(resp.Body, c.message) {
			t.Errorf("%s: the page does not say %q", c.name, c.message)
		}
		if got := saved(); got != "45 70 5 4 -" {
			t.Fatalf("%s: saved %q", c.name, got)
		}
	}

	// The API: replaced whole, refused field by field.
	api := fmt.Sprintf("/api/v1/courses/%d/enrollments/%d/scores", w.course.ID, w.trainee.ID)
	expectStatus(t, "API save", trainer.sendJSON("PUT", api, `{"pre_score": 50, "post_score": 65, "satisfaction": [3, 4, 5]}`), 200)
	if got := saved(); got != "50 65 3 4 5" {
		t.Fatalf("API saved %q", got)
	}
	resp = trainer.sendJSON("PUT", api, `{"pre_score": 101, "post_score": 65, "satisfaction": [0, 4, 5]}`)
	expectStatus(t, "API bad", resp, 422)
	if !strings.Contains(resp.Body, `"pre_score"`) || !strings.Contains(resp.Body, `"satisfaction_1"`) || saved() != "50 65 3 4 5" {
		t.Errorf("API bad: %s, saved %q", resp.Body, saved())
	}
	resp = trainer.get(fmt.Sprintf("/api/v1/courses/%d/scores", w.course.ID))
	if !strings.Contains(resp.Body, `"pre_score":50`) || !strings.Contains(resp.Body, `"satisfaction":[3,4,5]`) {
		t.Errorf("API list: %s", resp.Body)
	}

	// Per course: not the trainer's course, not the ministry.
	other := fmt.Sprintf("/api/v1/courses/%d/enrollments/%d/scores", w.otherCourse.ID, w.trainee.ID)
	if resp := trainer.sendJSON("PUT", other, `{"pre_score": 1}`); resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Errorf("another course's scores: %d", resp.StatusCode)
	}
	if resp := trainer.get(fmt.Sprintf("/courses/%d/scores", w.otherCourse.ID)); resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Errorf("another course's page: %d", resp.StatusCode)
	}
	ministry := newClient(t, web)
	ministry.login("ministry@scores.ma", testPassword)
	expectStatus(t, "ministry may not enter", ministry.get(form), 404) // a course-scoped refusal: existence does not leak
	// Someone not enrolled in the course has no scores there.
	expectStatus(t, "not enrolled", trainer.sendJSON("PUT", fmt.Sprintf("/api/v1/courses/%d/enrollments/999999/scores", w.course.ID), `{"pre_score": 1}`), 404)
}

// The outcome figures: mean gain, share improved and mean satisfaction,
// per person, by category, sex and province — exact for a coordinator, and
// for the ministry a cell under 5 people hidden whole (mean included), with
// the complementary cell.
func TestOutcomeFiguresArithmeticAndSuppression(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	addUser(t, store, "coord@outcomes.ma", domain.RoleCoordinator)
	addUser(t, store, "ministry@outcomes.ma", domain.RoleMinistry)
	pw := newPathWorld(t, store)
	ctx := context.Background()
	score := func(course domain.Course, sex domain.Sex, pre, post *int, sat ...int) {
		t.Helper()
		p := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(fmt.Sprintf("P %d %v", course.ID, countRows(t, store, `SELECT count(*) FROM trainees`))),
			Sex: sex, OrganisationID: &pw.employer}
		if _, err := store.EnrollNew(ctx, course.ID, &p, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
		sc := domain.Scores{Pre: pre, Post: post}
		for i, v := range sat {
			sc.Satisfaction[i] = &v
		}
		if err := store.SaveScores(ctx, course.ID, p.ID, sc, nil); err != nil {
			t.Fatal(err)
		}
	}
	rabat, sale := pw.m1a, pw.m1b
	for _, g := range [][2]int{{40, 60}, {50, 50}, {30, 45}, {60, 55}, {20, 40}, {70, 80}} { // gains 20 0 15 −5 20 10
		score(rabat, domain.Female, ptr(g[0]), ptr(g[1]), 5, 4, 3)
	}
	score(rabat, domain.Male, ptr(50), ptr(70), 5, 4, 3)
	score(rabat, domain.Male, ptr(40), ptr(30), 5, 4, 3)
	for _, g := range [][2]int{{10, 40}, {20, 20}, {50, 60}} { // gains 30 0 10
		score(sale, domain.Female, ptr(g[0]), ptr(g[1]), 5, 4, 3)
	}
	score(rabat, domain.Female, ptr(50), nil, 2, 2) // no post-test: rated, not tested

	coord := newClient(t, web)
	coord.login("coord@outcomes.ma", testPassword)
	resp := coord.get("/api/v1/outcomes?programme=path")
	expectStatus(t, "coordinator outcomes", resp, 200)
	want := map[string]string{
		"all":                             `"tested":11,"mean_gain":10,"improved_share":0.64,"rated":12,"mean_satisfaction":3.83`,
		"by_category.institutional_actor": `"tested":11,"mean_gain":10,"improved_share":0.64,"rated":12,"mean_satisfaction":3.83`,
		"by_sex.female":                   `"tested":9,"mean_gain":11.11,"improved_share":0.67,"rated":10,"mean_satisfaction":3.8`,
		"by_sex.male":                     `"tested":2,"mean_gain":5,"improved_share":0.5,"rated":2,"mean_satisfaction":4`,
		"by_province.rabat":               `"tested":8,"mean_gain":8.75,"improved_share":0.63,"rated":9,"mean_satisfaction":3.78`,
		"by_province.sale":                `"tested":3,"mean_gain":13.33,"improved_share":0.67,"rated":3,"mean_satisfaction":4`,
	}
	rows := outcomeRows(t, resp.Body)
	for key, figures := range want {
		if !strings.Contains(rows[key], figures) {
			t.Errorf("coordinator %s: %s, want %s", key, rows[key], figures)
		}
	}

	ministry := newClient(t, web)
	ministry.login("ministry@outcomes.ma", testPassword)
	resp = ministry.get("/api/v1/outcomes?programme=path")
	expectStatus(t, "ministry outcomes", resp, 200)
	rows = outcomeRows(t, resp.Body)
	hidden := `"tested":null,"mean_gain":null,"improved_share":null,"rated":null,"mean_satisfaction":null`
	for key, figures := range map[string]string{
		"all":                             want["all"],
		"by_category.institutional_actor": want["all"],
		"by_sex.male":                     hidden, // 2 people
		"by_sex.female":                   hidden, // 11 − 9 would give the men's away
		"by_province.sale":                hidden, // 3 people
		"by_province.rabat":               hidden,
	} {
		if !strings.Contains(rows[key], figures) {
			t.Errorf("ministry %s: %s, want %s", key, rows[key], figures)
		}
	}
	if strings.Contains(resp.Body, "13.33") || strings.Contains(resp.Body, "11.11") {
		t.Errorf("ministry reads a hidden mean: %s", resp.Body)
	}
	page := ministry.get("/dashboard?programme=path")
	if row := rowOf(page.Body, "outcomes.by_sex.male"); strings.Count(row, "&lt;5") != 5 {
		t.Errorf("ministry dashboard, men: %q", row)
	}
	page = coord.get("/dashboard?programme=path")
	if row := rowOf(page.Body, "outcomes.by_province.sale"); !strings.Contains(row, "13,33") {
		t.Errorf("coordinator dashboard, Salé: %q", row)
	}
	expectStatus(t, "bad filter", coord.get("/api/v1/outcomes?year=12"), 422)
}

// outcomeRows are the JSON rows of an outcomes answer by path, as text.
func outcomeRows(t *testing.T, body string) map[string]string {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{"all": string(raw["all"])}
	for _, key := range []string{"by_category", "by_sex", "by_province"} {
		var list []json.RawMessage
		_ = json.Unmarshal(raw[key], &list)
		for _, r := range list {
			var k struct{ Key string }
			_ = json.Unmarshal(r, &k)
			rows[key+"."+k.Key] = string(r)
		}
	}
	return rows
}

// Someone who withdrew from the course is shown on the scores page as
// withdrawn, without a form, and their scores are refused on the form, in
// the API and in a scores file, as the device's sync refuses them
// (TestOfflineScoresAreRefusedAsOnline): nothing is saved.
func TestAWithdrawnPersonsScoresAreRefused(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	tr := addUser(t, store, "trainer@withdrawn.ma", domain.RoleTrainer)
	w := newWorld(t, store, tr.ID)
	ctx := context.Background()
	gone := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Samir Tazi"), Sex: domain.Male,
		NationalID: ptr("WD12345"), OrganisationID: &w.institution.ID}
	if _, err := store.EnrollNew(ctx, w.course.ID, &gone, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Withdraw(ctx, w.course.ID, gone.ID, nil); err != nil {
		t.Fatal(err)
	}
	trainer := newClient(t, web)
	trainer.login("trainer@withdrawn.ma", testPassword)
	trainer.post("/language", url.Values{"lang": {"fr"}, "next": {"/"}})
	list := trainer.get(fmt.Sprintf("/courses/%d/scores", w.course.ID))
	form := fmt.Sprintf("/courses/%d/scores/%d", w.course.ID, gone.ID)
	if strings.Contains(list.Body, `href="`+form+`"`) || !strings.Contains(list.Body, "Samir Tazi") || !strings.Contains(list.Body, "Désinscrit") {
		t.Errorf("the list must show the withdrawn person as withdrawn, without a link to a form:\n%.3000s", list.Body)
	}
	if page := trainer.get(form); strings.Contains(page.Body, `action="`+form+`"`) || !strings.Contains(page.Body, "ne peuvent plus être saisies") {
		t.Errorf("a withdrawn person's page must say why, without a form:\n%.3000s", page.Body)
	}
	resp := trainer.post(form, url.Values{"pre_score": {"40"}, "post_score": {"70"}, "_csrf": {trainer.token}})
	expectStatus(t, "the form", resp, 422)
	if !strings.Contains(resp.Body, "ne peuvent plus être saisies") {
		t.Errorf("the form does not say why: %.3000s", resp.Body)
	}
	api := fmt.Sprintf("/api/v1/courses/%d/enrollments/%d/scores", w.course.ID, gone.ID)
	expectStatus(t, "the API", trainer.sendJSON("PUT", api, `{"pre_score": 40, "post_score": 70}`), 422)
	file := "Nom;CIN;Pré-test;Post-test\nSamir Tazi;WD12345;40;70\n"
	resp = trainer.upload(fmt.Sprintf("/api/v1/courses/%d/scores/import", w.course.ID), "notes.csv", []byte(file), map[string]string{"_csrf": trainer.token})
	expectStatus(t, "a scores file", resp, 422)
	if !strings.Contains(resp.Body, "Ligne 2 : cette personne s'est désinscrite de cette formation") {
		t.Errorf("the file's refusal does not name the row: %s", resp.Body)
	}
	if n := countRows(t, store, `SELECT count(*) FROM enrollment_scores`); n != 0 {
		t.Fatalf("a withdrawn person's scores were saved: %d", n)
	}
}
