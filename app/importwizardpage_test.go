package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
)

// The wizard's points 3 and 4 through the page (issue 15; docs/IMPORTS.md,
// "People already on record", "Organisations not on record"): what the
// preview shows, and the choices sent with the form's own field names
// (decision_<row>, decision_all, organisation_<key>).

// wizardPage sends the import form as the page does: the file, or the
// draft the last page kept, with the CSRF token and the choices.
type wizardPage struct {
	t      *testing.T
	cl     *client
	draft  string
	course int64
}

func (w *wizardPage) send(filename, data string, fields map[string]string) response {
	w.t.Helper()
	fields["_csrf"] = w.cl.token
	if w.course != 0 {
		fields["course_id"] = fmt.Sprint(w.course)
	}
	if data == "" {
		fields["draft"] = w.draft
	}
	r := w.cl.upload("/imports", filename, []byte(data), fields)
	if m := draftInput.FindStringSubmatch(r.Body); m != nil {
		w.draft = m[1]
	}
	return r
}

func mustContain(t *testing.T, what string, r response, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(r.Body, want) {
			t.Fatalf("%s: the page lacks %q:\n%s", what, want, r.Body)
		}
	}
}

func mustNotContain(t *testing.T, what string, r response, unwanted ...string) {
	t.Helper()
	for _, s := range unwanted {
		if strings.Contains(r.Body, s) {
			t.Fatalf("%s: the page shows %q:\n%s", what, s, r.Body)
		}
	}
}

// traineeByCIN is the stored name, sex and phone of the person with a CIN.
func traineeByCIN(t *testing.T, env *pageEnv, cin string) (id int64, name, sex, phone string) {
	t.Helper()
	row := env.store.DB().QueryRow(`SELECT id, full_name_latin, sex, coalesce(phone, '') FROM trainees WHERE national_id = $1`, cin)
	if err := row.Scan(&id, &name, &sex, &phone); err != nil {
		t.Fatalf("the person with CIN %s: %v", cin, err)
	}
	return id, name, sex, phone
}

func enrolledIn(t *testing.T, env *pageEnv, traineeID, courseID int64) bool {
	t.Helper()
	return countRows(t, env.store, `SELECT count(*) FROM enrollments WHERE trainee_id = $1 AND course_id = $2`, traineeID, courseID) == 1
}

const matchHeader = "Nom;Catégorie;Sexe;Organisme;CIN;Téléphone\r\n"

// onRecord imports Zoé and Karim, with their CINs, as the people on record.
func onRecord(t *testing.T, env *pageEnv) (zoe, karim int64) {
	t.Helper()
	org := fmt.Sprint(env.institution.ID)
	w := &wizardPage{t: t, cl: env.coordinator}
	r := w.send("avant.csv", matchHeader+
		"Zoé Benkirane;Acteur institutionnel;Femme;"+org+";BK112233;0612345678\r\n"+
		"Karim Tazi;Acteur institutionnel;Homme;"+org+";BK445566;\r\n", map[string]string{})
	expectStatus(t, "the people on record", r, 200)
	zoe, _, _, _ = traineeByCIN(t, env, "BK112233")
	karim, _, _, _ = traineeByCIN(t, env, "BK445566")
	return zoe, karim
}

func TestImportPageShowsMatchesAndTakesTheCoordinatorsDecisions(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	inEnglish(t, env.coordinator)
	zoe, karim := onRecord(t, env)
	org := fmt.Sprint(env.institution.ID)
	// Row 2: Zoé's CIN with another name, sex and phone; row 3: Karim's
	// CIN with another name.
	file := matchHeader +
		"Zoé Benkirane-Éloi;Acteur institutionnel;Homme;" + org + ";BK112233;0698765432\r\n" +
		"Karim Tazi-Alaoui;Acteur institutionnel;Homme;" + org + ";BK445566;\r\n"
	w := &wizardPage{t: t, cl: env.coordinator, course: env.course.ID}

	// 1. The preview lists each matched row with every field that differs,
	// the file's value beside the record's, and refuses by default, naming both.
	r := w.send("liste.csv", file, map[string]string{"dry_run": "on"})
	expectStatus(t, "preview with matches", r, 422)
	mustContain(t, "preview", r, `<table class="import-matches">`,
		"<li>Full name (Latin script): <bdi>Zoé Benkirane-Éloi</bdi> ≠ <bdi>Zoé Benkirane</bdi></li>",
		"<li>Sex: <bdi>Male</bdi> ≠ <bdi>Female</bdi></li>",
		"<li>Full name (Latin script): <bdi>Karim Tazi-Alaoui</bdi> ≠ <bdi>Karim Tazi</bdi></li>",
		"same CIN",
		// Per row: "as for all" by default; for all: refuse by default; update offered.
		`<select id="f-decision_2" name="decision_2"><option value="" selected>`,
		`<select id="f-decision_3" name="decision_3"><option value="" selected>`,
		`<select id="f-decision_all" name="decision_all"><option value="refuse" selected>`,
		`<option value="update">Update the record from the file</option>`,
		// The refusal names the file's person and the record's.
		fmt.Sprintf("«Zoé Benkirane-Éloi» ↔ «Zoé Benkirane» (#%d)", zoe),
		fmt.Sprintf("«Karim Tazi-Alaoui» ↔ «Karim Tazi» (#%d)", karim))
	phoneDiff := regexpLine(t, r.Body, "<li>Phone: ")
	if !strings.Contains(phoneDiff, "698765432") || !strings.Contains(phoneDiff, "612345678") {
		t.Fatalf("the phone's difference shows both phones: %s", phoneDiff)
	}

	// 2. Imported with the default: refused, nothing changed or enrolled.
	r = w.send("", "", map[string]string{})
	expectStatus(t, "import with the default", r, 422)
	mustContain(t, "import with the default", r, fmt.Sprintf("«Zoé Benkirane-Éloi» ↔ «Zoé Benkirane» (#%d)", zoe))
	if _, name, sex, phone := traineeByCIN(t, env, "BK112233"); name != "Zoé Benkirane" || sex != "female" || !strings.HasSuffix(phone, "612345678") {
		t.Fatalf("a refused import changed the record: %s %s %s", name, sex, phone)
	}
	if enrolledIn(t, env, zoe, env.course.ID) || enrolledIn(t, env, karim, env.course.ID) {
		t.Fatal("a refused import enrolled someone")
	}

	// 3. Row 2 updated from the file, row 3 the record as it is: the
	// preview shows the choices, then the import does them.
	choices := map[string]string{"decision_2": "update", "decision_3": "existing"}
	r = w.send("", "", with(choices, "dry_run", "on"))
	expectStatus(t, "preview with the decisions", r, 200)
	mustContain(t, "preview with the decisions", r, `<option value="update" selected>`, `<option value="existing" selected>`)
	r = w.send("", "", with(choices))
	expectStatus(t, "import with the decisions", r, 200)
	mustContain(t, "import with the decisions", r, "Updated")
	if _, name, sex, phone := traineeByCIN(t, env, "BK112233"); name != "Zoé Benkirane-Éloi" || sex != "male" || !strings.HasSuffix(phone, "698765432") {
		t.Fatalf("the record was not updated from the file: %s %s %s", name, sex, phone)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'trainee.update' AND entity = 'trainee'
		AND entity_id = $1 AND after->>'full_name_latin' = 'Zoé Benkirane-Éloi'`, zoe); n != 1 {
		t.Fatalf("want the update audited once, got %d", n)
	}
	if _, name, _, _ := traineeByCIN(t, env, "BK445566"); name != "Karim Tazi" {
		t.Fatalf("the record used as it is was changed: %s", name)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'trainee.update' AND entity_id = $1`, karim); n != 0 {
		t.Fatal("the record used as it is was audited as updated")
	}
	if !enrolledIn(t, env, zoe, env.course.ID) || !enrolledIn(t, env, karim, env.course.ID) {
		t.Fatal("the matched people were not enrolled")
	}

	// 4. "For all" decides every matched row without its own choice.
	w = &wizardPage{t: t, cl: env.coordinator, course: env.otherCourse.ID}
	again := matchHeader +
		"Zoé B.;Acteur institutionnel;Homme;" + org + ";BK112233;\r\n" +
		"Karim T.;Acteur institutionnel;Homme;" + org + ";BK445566;\r\n"
	r = w.send("encore.csv", again, map[string]string{"dry_run": "on", "decision_all": "existing"})
	expectStatus(t, "preview, for all", r, 200)
	mustContain(t, "preview, for all", r, `<select id="f-decision_all" name="decision_all"><option value="refuse">Refuse the row</option><option value="existing" selected>`)
	r = w.send("", "", map[string]string{"decision_all": "existing"})
	expectStatus(t, "import, for all", r, 200)
	if _, name, _, _ := traineeByCIN(t, env, "BK112233"); name != "Zoé Benkirane-Éloi" {
		t.Fatalf("use the record: the record was changed: %s", name)
	}
	if _, name, _, _ := traineeByCIN(t, env, "BK445566"); name != "Karim Tazi" {
		t.Fatalf("use the record: the record was changed: %s", name)
	}
	if !enrolledIn(t, env, zoe, env.otherCourse.ID) || !enrolledIn(t, env, karim, env.otherCourse.ID) {
		t.Fatal("for all: not every matched person was enrolled")
	}
}

func TestTrainerIsNotOfferedToUpdateARecordFromTheImportPage(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	inEnglish(t, env.trainer)
	zoe, _ := onRecord(t, env)
	org := fmt.Sprint(env.institution.ID)
	file := matchHeader + "Zoé Benkirane-Éloi;Acteur institutionnel;Homme;" + org + ";BK112233;\r\n"
	w := &wizardPage{t: t, cl: env.trainer, course: env.course.ID}

	r := w.send("liste.csv", file, map[string]string{"dry_run": "on"})
	expectStatus(t, "trainer's preview", r, 422)
	// Which fields differ, not the record's values; no "update" to choose.
	mustContain(t, "trainer's preview", r, `<table class="import-matches">`, `name="decision_2"`,
		"<li>Full name (Latin script): <bdi>Zoé Benkirane-Éloi</bdi></li>", `<option value="existing">`,
		fmt.Sprintf("«Zoé Benkirane-Éloi» ↔ #%d", zoe))
	mustNotContain(t, "trainer's preview", r, `value="update"`, "≠ <bdi>", "«Zoé Benkirane»")

	// "Update" posted anyway: refused, nothing saved.
	before := countRows(t, env.store, `SELECT count(*) FROM audit_log`)
	for _, fields := range []map[string]string{{"decision_2": "update"}, {"decision_all": "update"}} {
		r = w.send("", "", fields)
		expectStatus(t, "trainer's update", r, 422)
		mustContain(t, "trainer's update", r, "Only a coordinator may update a person on record from a file")
	}
	if _, name, sex, _ := traineeByCIN(t, env, "BK112233"); name != "Zoé Benkirane" || sex != "female" {
		t.Fatalf("a trainer's import updated the record: %s %s", name, sex)
	}
	if enrolledIn(t, env, zoe, env.course.ID) {
		t.Fatal("a refused import enrolled the person")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log`); n != before {
		t.Fatalf("a refused import wrote %d audit entries", n-before)
	}

	// Using the record is the trainer's to choose.
	r = w.send("", "", map[string]string{"decision_2": "existing"})
	expectStatus(t, "trainer uses the record", r, 200)
	if !enrolledIn(t, env, zoe, env.course.ID) {
		t.Fatal("the record the trainer chose was not enrolled")
	}
}

func TestImportPageListsNewOrganisationsWithTheCloseOneSuggested(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	inEnglish(t, env.coordinator)
	amal := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association Al Amal")}
	if err := env.store.CreateOrganisation(context.Background(), &amal, nil); err != nil {
		t.Fatal(err)
	}
	orgs := countRows(t, env.store, `SELECT count(*) FROM organisations`)
	const header = "Nom;Catégorie;Sexe;Organisme\r\n"
	file := header +
		"Omar Tazi;Acteur associatif;Homme;Association Al Amel\r\n" + // close to Al Amal: a new one, Al Amal suggested
		"Samira Idrissi;Acteur associatif;Femme;association  al amal \r\n" // Al Amal itself, folded
	w := &wizardPage{t: t, cl: env.coordinator}

	// 1. The preview lists the new one with Al Amal suggested, and the
	// exact folded match not at all; "create it" is the default.
	r := w.send("liste.csv", file, map[string]string{"dry_run": "on"})
	expectStatus(t, "preview", r, 200)
	// (The label names its select by the list's position: a folded name
	// holds spaces, which an id may not.)
	mustContain(t, "preview", r, "Organisations not on record", `<label for="f-org-0"><bdi>«Association Al Amel»</bdi> — `,
		`<select id="f-org-0" name="organisation_association al amel"><option value="" selected>Create it</option>`,
		fmt.Sprintf(`<option value="%d">Use “Association Al Amal” (on record, `, amal.ID))
	mustNotContain(t, "preview", r, "«association  al amal »", `name="organisation_association al amal"`)
	if n := countRows(t, env.store, `SELECT count(*) FROM organisations`); n != orgs {
		t.Fatal("a preview created an organisation")
	}

	// 2. The suggestion chosen: both rows join Al Amal, nothing created.
	choose := map[string]string{"organisation_association al amel": fmt.Sprint(amal.ID)}
	r = w.send("", "", with(choose, "dry_run", "on"))
	expectStatus(t, "preview with the suggestion", r, 200)
	mustContain(t, "preview with the suggestion", r, fmt.Sprintf(`<option value="%d" selected>`, amal.ID))
	r = w.send("", "", choose)
	expectStatus(t, "import with the suggestion", r, 200)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_latin IN ('Omar Tazi', 'Samira Idrissi')
		AND organisation_id = $1`, amal.ID); n != 2 {
		t.Fatalf("want both people in Al Amal, got %d", n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM organisations`); n != orgs {
		t.Fatal("an organisation was created though the suggestion was chosen")
	}

	// 3. "Create it", with a row refused: nothing created (the organisation
	// is the import's, in its transaction); then imported, created.
	w = &wizardPage{t: t, cl: env.coordinator}
	bad := header + "Nadia Amrani;Acteur associatif;Femme;Association Al Amel\r\n" + "Yassine;Acteur associatif;Inconnu;Association Al Amel\r\n"
	r = w.send("mauvais.csv", bad, map[string]string{"organisation_association al amel": ""})
	expectStatus(t, "import refused", r, 422)
	if n := countRows(t, env.store, `SELECT count(*) FROM organisations`); n != orgs {
		t.Fatal("a refused import created its new organisation")
	}
	good := header + "Nadia Amrani;Acteur associatif;Femme;Association Al Amel\r\n"
	r = w.send("bon.csv", good, map[string]string{"organisation_association al amel": ""})
	expectStatus(t, "import creating it", r, 200)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees t JOIN organisations o ON o.id = t.organisation_id
		WHERE t.full_name_latin = 'Nadia Amrani' AND o.name_fr = 'Association Al Amel' AND o.kind = 'association' AND o.id <> $1`, amal.ID); n != 1 {
		t.Fatal("the new organisation was not created with its member")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM organisations`); n != orgs+1 {
		t.Fatalf("want one organisation created, got %d", n-orgs)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log a JOIN organisations o ON o.id = a.entity_id
		WHERE a.action LIKE 'organisation.%' AND o.name_fr = 'Association Al Amel'`); n != 1 {
		t.Fatalf("want its creation audited once, got %d", n)
	}
}

// inEnglish switches cl's pages to English, as the language switch does.
func inEnglish(t *testing.T, cl *client) {
	t.Helper()
	expectStatus(t, "language", cl.post("/language", url.Values{"lang": {"en"}, "next": {"/imports"}}), 303)
	cl.get("/imports")
}

// with is fields and one more pair, as a new map (the choices are sent
// again at every step).
func with(fields map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// regexpLine is the line of body that holds s (from s to the end of the line).
func regexpLine(t *testing.T, body, s string) string {
	t.Helper()
	i := strings.Index(body, s)
	if i < 0 {
		t.Fatalf("no %q in:\n%s", s, body)
	}
	line := body[i:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	if j := strings.Index(line, "</li>"); j >= 0 {
		line = line[:j]
	}
	return line
}
