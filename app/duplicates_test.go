package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
)

// demoAssociation is one association of the demo, with its province's code.
type demoAssociation struct {
	ID       int64  `db:"id"`
	NameAr   string `db:"name_ar"`
	NameFr   string `db:"name_fr"`
	Province string `db:"province"`
}

func firstDemoAssociation(t *testing.T, env *dashEnv) demoAssociation {
	t.Helper()
	var a demoAssociation
	if err := env.store.DB().Get(&a, `SELECT o.id, o.name_ar, o.name_fr, p.code AS province
	      FROM organisations o JOIN provinces p ON p.id = o.province_id
	     WHERE o.kind = 'association' ORDER BY o.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	return a
}

// assertDemoFigures checks the published figures and the number of
// associations on record.
func assertDemoFigures(t *testing.T, env *dashEnv, when string) {
	t.Helper()
	cp := env.totals(t, "programme=child-protection")
	pp := env.totals(t, "programme=positive-parenting")
	if cp.LocalActors.Trained != 151 || cp.ByCategory.InstitutionalActor.Trained != 121 ||
		cp.ByCategory.AssociativeActor.Trained != 30 || cp.ByCategory.ChildParliamentarian.Trained != 30 || pp.Associations.Trained != 96 {
		t.Fatalf("%s: figures %d / %d / %d / %d / %d, want 151 / 121 / 30 / 30 / 96", when, cp.LocalActors.Trained,
			cp.ByCategory.InstitutionalActor.Trained, cp.ByCategory.AssociativeActor.Trained,
			cp.ByCategory.ChildParliamentarian.Trained, pp.Associations.Trained)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM organisations WHERE kind = 'association'`); n != 96 {
		t.Fatalf("%s: %d associations on record, want 96", when, n)
	}
}

// The field case of issue 14: typing an existing association's name with a
// trailing space, in other letter case or with another hamza into "new
// organisation" (the enrolment page) or POST /organisations offers the one
// on record (409) instead of creating a second one: the association count
// stays 96.
func TestADuplicateAssociationIsOfferedNotCreated(t *testing.T) {
	t.Parallel()
	env := newDashEnv(t)
	env.seedDemo(t)
	assertDemoFigures(t, env, "after the seed")
	assoc := firstDemoAssociation(t, env)
	var courseID int64
	if err := env.store.DB().Get(&courseID, `SELECT id FROM courses WHERE code = 'PP-2019-P1'`); err != nil {
		t.Fatal(err)
	}

	// The enrolment page: the existing association is chosen in its place.
	typed := strings.ToUpper(assoc.NameFr) + "  "
	page := env.coordinator.post(fmt.Sprintf("/courses/%d/enrollments", courseID), url.Values{
		"category": {"associative_actor"}, "full_name_latin": {"Nadia Ouazzani"}, "sex": {"female"},
		"new_organisation_name": {typed}, "province": {assoc.Province}})
	expectStatus(t, "a twin association on the enrolment page", page, 409)
	if !strings.Contains(page.Body, fmt.Sprintf(`<option value="%d" selected>`, assoc.ID)) {
		t.Errorf("the page does not choose the association on record (%d)", assoc.ID)
	}
	if strings.Contains(page.Body, `value="`+typed) {
		t.Error("the page still holds the name typed: saving again would try to create it")
	}
	// Saving again, as the page now stands, enrols the person as a member.
	again := env.coordinator.post(fmt.Sprintf("/courses/%d/enrollments", courseID), url.Values{
		"category": {"associative_actor"}, "full_name_latin": {"Nadia Ouazzani"}, "sex": {"female"},
		"organisation_id": {fmt.Sprint(assoc.ID)}, "province": {assoc.Province}})
	expectStatus(t, "enrolled with the association on record", again, 303)

	// The API, as a coordinator's script: 409 naming the existing one.
	coordinatorAPI := tokenClient(t, env, "coordinator.api@dashboard.ma", domain.RoleCoordinator)
	for _, body := range []string{
		fmt.Sprintf(`{"kind": "association", "name_fr": %q, "province": %q}`, " "+strings.ToLower(assoc.NameFr)+" ", assoc.Province),
		fmt.Sprintf(`{"kind": "association", "name_ar": %q}`, strings.NewReplacer("ة", "ه", "أ", "ا").Replace(assoc.NameAr)+" "),
	} {
		r := coordinatorAPI.call("POST", "/api/v1/organisations", body)
		expectStatus(t, "a twin association through the API", r, 409)
		var answer struct {
			Error    string              `json:"error"`
			Fields   map[string]string   `json:"fields"`
			Existing domain.Organisation `json:"existing"`
		}
		decode(t, r, &answer)
		if answer.Existing.ID != assoc.ID || answer.Error == "" || len(answer.Fields) != 1 {
			t.Errorf("409 answer %+v, want the association %d with a message", answer, assoc.ID)
		}
	}
	// Another kind, or another province, is another organisation.
	r := coordinatorAPI.call("POST", "/api/v1/organisations", fmt.Sprintf(`{"kind": "institution", "name_fr": %q}`, assoc.NameFr))
	expectStatus(t, "an institution of the same name", r, 201)
	assertDemoFigures(t, env, "after the twins were refused")
}

// tokenClient is an API client with a bearer token of a new user of role.
func tokenClient(t *testing.T, env *dashEnv, email string, role domain.Role) *client {
	t.Helper()
	u := addUser(t, env.store, email, role)
	token, _, err := env.store.CreateAPIToken(context.Background(), u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	api := newClient(t, env.coordinator.app)
	api.headers["Authorization"] = "Bearer " + token
	return api
}

// A coordinator merges two records of one person through the duplicates
// page and unmerges them; a trainer cannot merge (403, nothing changed).
// The demo figures are the same after the unmerge.
func TestMergeAndUnmergeThroughThePage(t *testing.T) {
	t.Parallel()
	env := newDashEnv(t)
	env.seedDemo(t)
	var people []int64
	if err := env.store.DB().Select(&people, `SELECT t.id FROM trainees t
	      WHERE t.category = 'associative_actor' ORDER BY t.id LIMIT 2`); err != nil {
		t.Fatal(err)
	}
	// The second record takes the first's name and birth year: a likely duplicate.
	if _, err := env.store.DB().Exec(`UPDATE trainees t SET full_name_ar = f.full_name_ar, full_name_latin = f.full_name_latin,
	        name_key = f.name_key, birth_year = f.birth_year FROM trainees f WHERE f.id = $1 AND t.id = $2`, people[0], people[1]); err != nil {
		t.Fatal(err)
	}
	page := env.coordinator.get("/duplicates")
	expectStatus(t, "the duplicates page", page, 200)
	if !strings.Contains(page.Body, fmt.Sprintf(`name="removed_id" value="%d"`, people[1])) {
		t.Fatalf("the duplicates page does not offer the pair %v", people)
	}
	form := url.Values{"kept_id": {fmt.Sprint(people[0])}, "removed_id": {fmt.Sprint(people[1])}}
	env.trainer.get("/")
	expectStatus(t, "a trainer merges", env.trainer.post("/duplicates/people", form), 403)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = ANY($1)`, people); n != 2 {
		t.Fatalf("after a trainer's attempt, %d of the two records are left", n)
	}

	form.Del("_csrf") // the trainer's
	expectStatus(t, "a coordinator merges", env.coordinator.post("/duplicates/people", form), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = ANY($1)`, people); n != 1 {
		t.Fatalf("after the merge, %d of the two records are left, want 1", n)
	}
	var mergeID int64
	if err := env.store.DB().Get(&mergeID, `SELECT id FROM merges ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	env.coordinator.get("/duplicates")
	expectStatus(t, "a trainer unmerges", env.trainer.post(fmt.Sprintf("/merges/%d/unmerge", mergeID), nil), 403)
	expectStatus(t, "a coordinator unmerges", env.coordinator.post(fmt.Sprintf("/merges/%d/unmerge", mergeID), nil), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = ANY($1)`, people); n != 2 {
		t.Fatalf("after the unmerge, %d of the two records are back, want 2", n)
	}
	expectStatus(t, "unmerging twice", env.coordinator.post(fmt.Sprintf("/merges/%d/unmerge", mergeID), nil), 409)
	assertDemoFigures(t, env, "after a merge and its unmerge")
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action IN ('trainee.merge', 'trainee.unmerge')`); n != 2 {
		t.Errorf("%d audit entries for the merge and the unmerge, want 2", n)
	}

	// The same through the API.
	body := fmt.Sprintf(`{"entity": "trainee", "kept_id": %d, "removed_id": %d}`, people[0], people[1])
	expectStatus(t, "a trainer merges through the API", env.trainerAPI.call("POST", "/api/v1/merges", body), 403)
	coordinatorAPI := tokenClient(t, env, "coordinator.merges@dashboard.ma", domain.RoleCoordinator)
	listed := coordinatorAPI.call("GET", "/api/v1/duplicates/people", "")
	expectStatus(t, "the duplicates through the API", listed, 200)
	if !strings.Contains(listed.Body, fmt.Sprintf(`"id":%d`, people[1])) {
		t.Errorf("GET /duplicates/people does not list the pair: %.300s", listed.Body)
	}
	r := coordinatorAPI.call("POST", "/api/v1/merges", body)
	expectStatus(t, "a merge through the API", r, 201)
	var merged struct {
		ID int64 `json:"id"`
	}
	decode(t, r, &merged)
	expectStatus(t, "an unmerge through the API", coordinatorAPI.call("POST", fmt.Sprintf("/api/v1/merges/%d/unmerge", merged.ID), ""), 204)
	expectStatus(t, "a merge of an unknown kind", coordinatorAPI.call("POST", "/api/v1/merges", `{"entity": "course", "kept_id": 1, "removed_id": 2}`), 422)
	assertDemoFigures(t, env, "after a merge and its unmerge through the API")
}

// The same field case with another spelling: an association on record as
// "…de l'enfance" typed "…de l’enfance" (the apostrophe a phone or a word
// processor writes) is the one on record — 409 with it through the API,
// reused by an import — not a second association.
func TestAnAssociationTypedWithATypographicApostropheIsTheOneOnRecord(t *testing.T) {
	t.Parallel()
	env := newLifeEnv(t)
	r := env.coordinatorAPI.call("POST", "/api/v1/organisations",
		`{"kind": "association", "name_fr": "Association d'appui à l'enfance", "province": "rabat"}`)
	expectStatus(t, "the association", r, 201)
	var onRecord domain.Organisation
	decode(t, r, &onRecord)
	count := func() int {
		return countRows(t, env.store, `SELECT count(*) FROM organisations WHERE name_fr ILIKE 'Association d%appui%'`)
	}

	r = env.coordinatorAPI.call("POST", "/api/v1/organisations",
		`{"kind": "association", "name_fr": "Association d’appui à l’enfance ", "province": "rabat"}`)
	expectStatus(t, "the same association with typographic apostrophes", r, 409)
	var answer struct {
		Existing domain.Organisation `json:"existing"`
	}
	decode(t, r, &answer)
	if answer.Existing.ID != onRecord.ID {
		t.Errorf("409 offers %+v, want the association %d", answer.Existing, onRecord.ID)
	}

	file := "Nom et prénom;Catégorie;Sexe;Organisme\nNadia Ouazzani;acteur associatif;F;Association d’appui à l’enfance\n"
	r = env.coordinatorAPI.upload("/api/v1/imports/trainees", "liste.csv", []byte(file), nil)
	expectStatus(t, "an import naming it with typographic apostrophes", r, 201)
	var report struct {
		Created       int `json:"organisations_created"`
		Organisations []struct {
			Name string `json:"name"`
		} `json:"new_organisations"`
	}
	decode(t, r, &report)
	if report.Created != 0 || len(report.Organisations) != 0 {
		t.Errorf("the import created organisations: %+v", report)
	}
	var member int64
	must(t, env.store.DB().Get(&member, `SELECT organisation_id FROM trainees WHERE full_name_latin = 'Nadia Ouazzani'`))
	if member != onRecord.ID {
		t.Errorf("the person imported is a member of %d, want %d", member, onRecord.ID)
	}
	if n := count(); n != 1 {
		t.Errorf("%d associations of that name on record, want 1", n)
	}
}
