package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"takaffoul/domain"
)

// importLimitsEnv is one server with a coordinator who signs in (pages) and
// holds a token (API), speaking French.
type importLimitsEnv struct {
	*world
	web   *fiber.App
	token string
	page  *client
	api   *client
}

func newImportLimitsEnv(t *testing.T) *importLimitsEnv {
	t.Helper()
	ctx := context.Background()
	store := newStore(t)
	web := newApp(t, store)
	coordinator := addUser(t, store, "coordinator@limits.ma", domain.RoleCoordinator)
	if err := store.SetUserLanguage(ctx, coordinator.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	trainer := addUser(t, store, "trainer@limits.ma", domain.RoleTrainer)
	token, _, err := store.CreateAPIToken(ctx, coordinator.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	env := &importLimitsEnv{world: newWorld(t, store, trainer.ID), web: web, token: token,
		page: newClient(t, web), api: newClient(t, web)}
	env.api.headers["Authorization"] = "Bearer " + token
	env.page.login("coordinator@limits.ma", testPassword)
	return env
}

// importAt sends an import with the token, from any goroutine, and returns
// the status.
func (env *importLimitsEnv) importAt(content []byte, fields map[string]string) (int, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	part, _ := w.CreateFormFile("file", "liste.csv")
	_, _ = part.Write(content)
	_ = w.Close()
	req := httptest.NewRequest("POST", "/api/v1/imports/trainees", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+env.token)
	resp, err := env.web.Test(req, -1)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// Two imports are held inside the server (their course is locked by another
// transaction); a third, from the API or from the page, is told to come
// back in a minute, and once the two are done an import runs again.
func TestThirdConcurrentImportIsToldToComeBack(t *testing.T) {
	t.Parallel()
	env := newImportLimitsEnv(t)
	course := fmt.Sprint(env.course.ID)
	lock, err := env.store.DB().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`SELECT 1 FROM courses WHERE id = $1 FOR UPDATE`, env.course.ID); err != nil {
		t.Fatal(err)
	}
	held := make(chan int, 2)
	for i := 0; i < 2; i++ {
		go func() {
			status, err := env.importAt([]byte(participants), map[string]string{"course_id": course})
			if err != nil {
				status = -1
			}
			held <- status
		}()
	}
	waitForImportsOnTheLock(t, env, 2)

	r := env.api.upload("/api/v1/imports/trainees", "liste.csv", []byte(participants), map[string]string{"dry_run": "true"})
	expectStatus(t, "third import, API", r, 429)
	var answer struct{ Error string }
	decode(t, r, &answer)
	if answer.Error != "Un autre import est en cours. Réessayez dans une minute." || r.Header.Get("Retry-After") != "60" {
		t.Fatalf("want the French message and Retry-After: 60, got %q, %q", answer.Error, r.Header.Get("Retry-After"))
	}
	env.page.get("/imports")
	r = env.page.upload("/imports", "liste.csv", []byte(participants), map[string]string{"_csrf": env.page.token, "dry_run": "on"})
	expectStatus(t, "third import, page", r, 429)
	if !strings.Contains(r.Body, "Un autre import est en cours") || !strings.Contains(r.Body, `enctype="multipart/form-data"`) {
		t.Fatalf("the page must show the message with the form: %.2000s", r.Body)
	}

	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case status := <-held:
			if status != 201 {
				t.Errorf("a held import ended with %d, want 201", status)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the held imports did not finish")
		}
	}
	expectStatus(t, "after the two", env.api.upload("/api/v1/imports/trainees", "liste.csv", []byte(participants),
		map[string]string{"dry_run": "true"}), 200)
}

// waitForImportsOnTheLock waits until n imports wait for a lock (the
// course row, or the lock that makes imports take turns behind it).
func waitForImportsOnTheLock(t *testing.T, env *importLimitsEnv, n int) {
	t.Helper()
	const waiting = `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if countRows(t, env.store, waiting) == n {
			return
		}
	}
	t.Fatalf("%d imports never waited on the course lock", n)
}

// zipBomb is a participant list whose worksheet is replaced by 15 MiB of
// one repeated byte (packed: a few KB), as in the penetration test.
func zipBomb(t *testing.T) []byte {
	t.Helper()
	book := excelize.NewFile()
	defer book.Close()
	if err := book.SetSheetRow("Sheet1", "A1", &[]any{"Nom", "Catégorie", "Sexe"}); err != nil {
		t.Fatal(err)
	}
	var good bytes.Buffer
	if err := book.Write(&good); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(good.Bytes()), int64(good.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			part, _ := w.Create(f.Name)
			chunk := bytes.Repeat([]byte{' '}, 1<<20)
			for i := 0; i < 15; i++ {
				_, _ = part.Write(chunk)
			}
			continue
		}
		if err := w.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// A zip bomb and a CSV of a million columns are refused with 413 and the
// limit named in the user's language, and nothing is written.
func TestImportLimitsAreTold413(t *testing.T) {
	t.Parallel()
	env := newImportLimitsEnv(t)
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	for _, c := range []struct {
		name     string
		filename string
		content  []byte
		key      string
		says     string
	}{
		{"zip bomb", "liste.xlsx", zipBomb(t), "import.xlsx_packed_too_densely", "plus de 100 fois"},
		{"a million columns", "liste.csv", []byte("Nom,Catégorie,Sexe" + strings.Repeat(",x", 1_000_000) + "\nAmina,Enfant,F\n"),
			"import.too_many_columns", "plus de 200 colonnes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := env.api.upload("/api/v1/imports/trainees", c.filename, c.content, map[string]string{"course_id": fmt.Sprint(env.course.ID)})
			expectStatus(t, c.name, r, 413)
			var a importAnswer
			decode(t, r, &a)
			if len(a.Problems) != 1 || a.Problems[0].Key != c.key || !strings.Contains(a.Problems[0].Message, c.says) {
				t.Fatalf("want %s saying %q, got %s", c.key, c.says, r.Body)
			}
		})
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatalf("refused imports wrote %d people", n-before)
	}
}

func TestEveryImportLimitHasAMessage(t *testing.T) {
	byLang, _ := loadAllMessages(t)
	for _, key := range append(domain.ImportLimitKeys, "import.busy") {
		for _, lang := range domain.Languages {
			if _, ok := byLang[lang][key]; !ok {
				t.Errorf("%s has no %s message", key, lang)
			}
		}
	}
}
