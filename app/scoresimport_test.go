package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A trainer imports a course's scores from a file: people named by name as
// on the roster, by CIN (Arabic digits) or by record number; a file with
// one bad row saves nothing and names every bad row in the user's language;
// another course's trainer is refused.
func TestTrainerImportsScoresFile(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	tr := addUser(t, store, "trainer@scoresfile.ma", domain.RoleTrainer)
	other := addUser(t, store, "other@scoresfile.ma", domain.RoleTrainer)
	w := newWorld(t, store, tr.ID)
	ctx := context.Background()
	if err := store.AssignTrainer(ctx, w.otherCourse.ID, other.ID, nil); err != nil {
		t.Fatal(err)
	}
	second := domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Youssef Amrani"), Sex: domain.Male,
		NationalID: ptr("AB12345"), OrganisationID: &w.association.ID}
	if _, err := store.EnrollNew(ctx, w.course.ID, &second, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	elsewhere := domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Karim Idrissi"), Sex: domain.Male,
		OrganisationID: &w.association.ID}
	if _, err := store.EnrollNew(ctx, w.otherCourse.ID, &elsewhere, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	saved := func() int {
		return countRows(t, store, `SELECT count(*) FROM enrollment_scores WHERE course_id = $1`, w.course.ID)
	}
	trainer := newClient(t, web)
	trainer.login("trainer@scoresfile.ma", testPassword)
	page := trainer.get(fmt.Sprintf("/courses/%d/scores", w.course.ID))
	expectStatus(t, "scores page", page, 200)
	if !strings.Contains(page.Body, `action="/courses/`+fmt.Sprint(w.course.ID)+`/scores/import"`) {
		t.Fatal("the scores page has no file form")
	}
	form := fmt.Sprintf("/courses/%d/scores/import", w.course.ID)
	api := fmt.Sprintf("/api/v1/courses/%d/scores/import", w.course.ID)

	// One bad row among good ones (semicolons, French headers): nothing
	// saved, each bad row named, in French.
	trainer.post("/language", url.Values{"lang": {"fr"}, "next": {form}})
	trainer.get(fmt.Sprintf("/courses/%d/scores", w.course.ID))
	bad := "Nom;CIN;N° de dossier;Pré-test;Post-test;S1;S2;S3\n" +
		"Hélène Aït-Lahcen;;;40;70;5;4;\n" +
		";AB12345;;30;150;3;3;3\n" +
		";;" + fmt.Sprint(elsewhere.ID) + ";10;20;;;\n" +
		";ZZ9999;;10;20;;;\n"
	resp := trainer.upload(form, "notes.csv", []byte(bad), map[string]string{"_csrf": trainer.token})
	expectStatus(t, "bad file", resp, 422)
	for _, want := range []string{"Ligne 3 : ", "de 0 à 100", "Ligne 4 : cette personne n&#39;est pas inscrite à cette formation",
		"Ligne 5 : cette personne n&#39;est pas enregistrée"} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("the refusal does not say %q", want)
		}
	}
	if n := saved(); n != 0 {
		t.Fatalf("a refused file saved %d rows", n)
	}
	// The people's problems alone, through the API, in JSON, with their rows.
	badPeople := strings.Replace(bad, "150", "90", 1)
	resp = trainer.upload(api, "notes.csv", []byte(badPeople), map[string]string{"_csrf": trainer.token})
	expectStatus(t, "API bad people", resp, 422)
	if !strings.Contains(resp.Body, "Ligne 4 : cette personne n'est pas inscrite à cette formation") ||
		!strings.Contains(resp.Body, "Ligne 5 : cette personne n'est pas enregistrée") || saved() != 0 {
		t.Fatalf("API refusal: %s, saved %d", resp.Body, saved())
	}

	// The good file: English headers, Arabic digits, saved and audited.
	good := "Name,CIN,pre,post,s1,s2,s3\n" +
		"helene ait lahcen,,40,70,5,4,\n" +
		",AB١٢٣٤٥,٣٠,٨٥,3,3,3\n"
	resp = trainer.upload(api, "scores.csv", []byte(good), map[string]string{"_csrf": trainer.token})
	expectStatus(t, "good file", resp, 200)
	if !strings.Contains(resp.Body, `"saved":2`) || saved() != 2 {
		t.Fatalf("good file: %s, saved %d", resp.Body, saved())
	}
	if got := countRows(t, store, `SELECT count(*) FROM enrollment_scores s JOIN enrollments e ON e.id = s.enrollment_id
	    WHERE e.trainee_id = $1 AND pre_score = 30 AND post_score = 85 AND satisfaction_3 = 3`, second.ID); got != 1 {
		t.Error("the CIN's row was not saved as written")
	}
	if got := countRows(t, store, `SELECT count(*) FROM audit_log WHERE action = 'scores.record' AND actor_id = $1`, tr.ID); got != 2 {
		t.Errorf("audited scores.record: %d, want 2", got)
	}
	// The page's form, with a workbook (Arabic headers, number cells).
	book := excelize.NewFile()
	for i, row := range [][]any{{"رقم البطاقة الوطنية", "الاختبار القبلي", "الاختبار البعدي"}, {"AB12345", 35, 90}} {
		if err := book.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	var xlsx bytes.Buffer
	if err := book.Write(&xlsx); err != nil {
		t.Fatal(err)
	}
	resp = trainer.upload(form, "scores.xlsx", xlsx.Bytes(), map[string]string{"_csrf": trainer.token})
	expectStatus(t, "page form", resp, 303)
	if got := countRows(t, store, `SELECT count(*) FROM enrollment_scores s JOIN enrollments e ON e.id = s.enrollment_id
	    WHERE e.trainee_id = $1 AND pre_score = 35 AND post_score = 90 AND satisfaction_1 = 3`, second.ID); got != 1 {
		t.Error("the workbook's row was not saved, or the satisfaction it lacks was not kept")
	}

	// Another course's trainer may not import into this course.
	intruder := newClient(t, web)
	intruder.login("other@scoresfile.ma", testPassword)
	intruder.get(fmt.Sprintf("/courses/%d/scores", w.otherCourse.ID))
	resp = intruder.upload(api, "scores.csv", []byte(good), map[string]string{"_csrf": intruder.token})
	if resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Errorf("another course's trainer: %d", resp.StatusCode)
	}
}
