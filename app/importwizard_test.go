package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// The import wizard through the page (issue 15, point 1; docs/IMPORTS.md):
// upload, preview, choose, import — the file sent once.

var draftInput = regexp.MustCompile(`name="draft" value="(\d+)"`)

func TestImportWizardThroughThePage(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	org := fmt.Sprint(env.institution.ID)
	file := "Prénom;Nom;Catégorie;Sexe;Remarques;Organisme;Date de naissance\r\n" +
		"Hélène;Aït-Lahcen;Acteur institutionnel;Femme;vue en mai;" + org + ";15/03/1984\r\n" +
		"Karim;Benali;Acteur institutionnel;Homme;;" + org + ";1990-12-31\r\n"
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	send := func(name string, fields map[string]string, data string) response {
		t.Helper()
		fields["_csrf"] = env.coordinator.token
		return env.coordinator.upload("/imports", name, []byte(data), fields)
	}

	// 1. The upload: refused until "Remarques" has a field or is ignored,
	// with the preview: every column and its field, the first rows as read.
	r := send("liste.csv", map[string]string{"dry_run": "on"}, file)
	expectStatus(t, "upload", r, 422)
	for _, want := range []string{`name="column_4"`, `<td><bdi>vue en mai</bdi></td>`, `<td><bdi>15/03/1984</bdi></td>`,
		`<option value="first_name" selected>`, `<option value="last_name" selected>`, `<option value="birth_year" selected>`,
		"UTF-8", "«Remarques»"} {
		if !strings.Contains(r.Body, want) {
			t.Fatalf("the preview lacks %q:\n%s", want, r.Body)
		}
	}
	m := draftInput.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("the file is not kept for the next step")
	}
	draft := m[1]

	// 2. The column ignored, on the kept file: a clean preview, nothing written.
	r = send("", map[string]string{"draft": draft, "column_4": "ignore", "dry_run": "on"}, "")
	expectStatus(t, "preview with the choice", r, 200)
	if !strings.Contains(r.Body, `<option value="ignore" selected>`) || !strings.Contains(r.Body, `role="status"`) {
		t.Fatalf("the choice is not shown: %s", r.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatal("a preview wrote people")
	}

	// 3. Imported with the choice; the kept file is then forgotten.
	r = send("", map[string]string{"draft": draft, "column_4": "ignore"}, "")
	expectStatus(t, "import", r, 200)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_latin IN ('Hélène Aït-Lahcen', 'Karim Benali')
		AND birth_year IN (1984, 1990)`); n != 2 {
		t.Fatalf("want the two people with their full names and years, got %d", n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM import_drafts`); n != 0 {
		t.Fatalf("the committed file is still kept (%d)", n)
	}

	// 4. The choice is remembered for the coordinator's next file.
	r = send("autre.csv", map[string]string{"dry_run": "on"}, strings.Replace(file, "Hélène", "Salma", 1))
	expectStatus(t, "remembered", r, 200) // Karim is the same person as on record: reused
	if strings.Contains(r.Body, `class="has-error"`) {
		t.Fatalf("the remembered choice was not applied: %s", r.Body)
	}
	if !strings.Contains(r.Body, `<option value="ignore" selected>`) {
		t.Fatal("the remembered choice is not shown")
	}

	// 5. Another user cannot use the coordinator's kept file.
	m = draftInput.FindStringSubmatch(r.Body)
	r = env.trainer.upload("/imports", "", nil, map[string]string{"_csrf": env.trainer.token, "draft": m[1],
		"course_id": fmt.Sprint(env.course.ID), "dry_run": "on"})
	expectStatus(t, "another user's file", r, 422)
	if strings.Contains(r.Body, "Karim") || !strings.Contains(r.Body, "لم يعد محفوظا") {
		t.Fatalf("another user's file was read, or the page does not say to send it again: %s", r.Body)
	}
}

// Matches and new organisations through the API: listed in the refusal's
// report, then decided with the same fields the page sends.
func TestImportDecisionsThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	const target = "/api/v1/imports/trainees"
	org := fmt.Sprint(env.institution.ID)
	first := "Nom;Catégorie;Sexe;Organisme;CIN\r\nZoé Benkirane;Acteur institutionnel;Femme;" + org + ";BK112233\r\n"
	r := env.coordinator.upload(target, "a.csv", []byte(first), nil)
	expectStatus(t, "first import", r, 201)
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)

	again := "Nom;Catégorie;Sexe;Organisme;CIN\r\n" +
		"Zoé Benkirane-Éloi;Acteur institutionnel;Femme;" + org + ";BK112233\r\n" + // the CIN on record, another name
		"Omar Tazi;Acteur associatif;Homme;Association Nour de Salé;BK998877\r\n" // an organisation not on record
	r = env.coordinator.upload(target, "b.csv", []byte(again), map[string]string{"dry_run": "true"})
	expectStatus(t, "match refused by default", r, 422)
	var refused struct {
		Problems []struct {
			Row     int    `json:"row"`
			Key     string `json:"key"`
			Message string `json:"message"`
		} `json:"problems"`
		Report struct {
			Matches []struct {
				Row         int `json:"row"`
				Differences []struct {
					Field, File, Record string
				} `json:"differences"`
			} `json:"matches"`
			NewOrganisations []struct {
				Name string `json:"name"`
				Key  string `json:"key"`
			} `json:"new_organisations"`
		} `json:"report"`
	}
	decode(t, r, &refused)
	if len(refused.Problems) != 1 || refused.Problems[0].Key != "import.match_refused" ||
		!strings.Contains(refused.Problems[0].Message, "Zoé Benkirane-Éloi") || !strings.Contains(refused.Problems[0].Message, "«Zoé Benkirane»") {
		t.Fatalf("the refusal names both people: %s", r.Body)
	}
	if len(refused.Report.Matches) != 1 || refused.Report.Matches[0].Differences[0].Record != "Zoé Benkirane" ||
		len(refused.Report.NewOrganisations) != 1 || refused.Report.NewOrganisations[0].Name != "Association Nour de Salé" {
		t.Fatalf("the report lists the match and the new organisation: %s", r.Body)
	}

	r = env.coordinator.upload(target, "b.csv", []byte(again), map[string]string{"decision_2": "update"})
	expectStatus(t, "decided", r, 201)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before+1 {
		t.Fatalf("want one new person, got %d", n-before)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE national_id = 'BK112233' AND full_name_latin = 'Zoé Benkirane-Éloi'`); n != 1 {
		t.Fatal("the record was not updated from the file")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees t JOIN organisations o ON o.id = t.organisation_id
		WHERE t.national_id = 'BK998877' AND o.name_fr = 'Association Nour de Salé' AND o.kind = 'association'`); n != 1 {
		t.Fatal("the new organisation was not created with its member")
	}
}
