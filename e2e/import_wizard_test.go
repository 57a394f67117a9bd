//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestImportWizardInTheBrowser: a coordinator, in Arabic, uploads a French
// office's file (Windows-1252, Prénom/Nom, a date of birth, an unknown
// column, a new organisation); the preview shows the file as read; the
// unknown column is ignored, the list imported, the file sent once.
func TestImportWizardInTheBrowser(t *testing.T) {
	s := newSite(t)
	ctx := browser(t, false)
	s.login(t, ctx, "coordinator@e2e.ma")
	// Windows-1252 bytes: é is 0xE9, ï is 0xEF.
	file := "Pr\xe9nom;Nom;Cat\xe9gorie;Sexe;Date de naissance;Remarques;Organisme\r\n" +
		"H\xe9l\xe8ne;A\xeft-Lahcen;Acteur institutionnel;Femme;15/03/1984;vue en mai;Centre multifonctionnel\r\n" +
		"Omar;Tazi;Acteur associatif;Homme;1990-12-31;;Association Nour\r\n"
	path := filepath.Join(t.TempDir(), "liste.csv")
	must(t, os.WriteFile(path, []byte(file), 0o644))

	must(t, chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/imports"),
		chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{path}),
		chromedp.Submit(chromedp.CSS(`form[action="/imports"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#preview-title`)),
	))
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.import-preview`)))
	must(t, err)
	for _, want := range []string{"Windows-1252", "Hélène", "Aït-Lahcen", "15/03/1984", "Remarques"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the preview lacks %q: %s", want, text)
		}
	}
	screenshot(t, ctx, "import-wizard-preview-ar")

	// Column F ignored, previewed again without sending the file.
	must(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#f-column_5`), "ignore"),
		chromedp.Submit(chromedp.CSS(`form[action="/imports"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role=status]`)),
	))
	text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.import-preview`)))
	must(t, err)
	if !strings.Contains(text, "Association Nour") {
		t.Fatalf("the new organisation is not listed: %s", text)
	}
	screenshot(t, ctx, "import-wizard-choices-ar")

	must(t, chromedp.Do(ctx,
		chromedp.RemoveAttribute(chromedp.CSS(`#f-dry_run`), "checked"),
		chromedp.Submit(chromedp.CSS(`form[action="/imports"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role=status]`)),
	))
	var n int
	must(t, s.store.DB().Get(&n, `SELECT count(*) FROM trainees WHERE full_name_latin IN ('Hélène Aït-Lahcen', 'Omar Tazi')`))
	if n != 2 {
		t.Fatalf("want the two people imported, got %d", n)
	}
}
