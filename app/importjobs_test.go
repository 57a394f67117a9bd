package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"takaffoul/app"
	"takaffoul/domain"
)

// importJobsEnv is importLimitsEnv on a server that waits wait for an
// import job before answering with its status (Config.ImportWait).
func newImportJobsEnv(t *testing.T, wait time.Duration) *importLimitsEnv {
	t.Helper()
	return newImportJobsEnvConfig(t, app.Config{ImportWait: wait})
}

// newImportJobsEnvConfig is newImportJobsEnv on a server configured as cfg.
func newImportJobsEnvConfig(t *testing.T, cfg app.Config) *importLimitsEnv {
	t.Helper()
	ctx := context.Background()
	store := newStore(t)
	cfg.TrustedProxies, cfg.SessionPurgeInterval = []string{"0.0.0.0"}, -1
	web, err := app.New(cfg, store, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	coordinator := addUser(t, store, "coordinator@jobs.ma", domain.RoleCoordinator)
	if err := store.SetUserLanguage(ctx, coordinator.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	trainer := addUser(t, store, "trainer@jobs.ma", domain.RoleTrainer)
	token, _, err := store.CreateAPIToken(ctx, coordinator.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	env := &importLimitsEnv{world: newWorld(t, store, trainer.ID), web: web, token: token,
		page: newClient(t, web), api: newClient(t, web)}
	env.api.headers["Authorization"] = "Bearer " + token
	env.page.login("coordinator@jobs.ma", testPassword)
	return env
}

// jobAnswer is GET /api/v1/imports/jobs/:id.
type jobAnswer struct {
	ID        int64  `json:"id"`
	Status    string `json:"status"`
	Phase     string `json:"phase"`
	RowsTotal int    `json:"rows_total"`
	Percent   int    `json:"percent"`
	StatusURL string `json:"status_url"`
	ErrorsURL string `json:"errors_url"`
	Report    *struct {
		Rows, Created, Enrolled int
	} `json:"report"`
	Problems []struct {
		Row     int    `json:"row"`
		Key     string `json:"key"`
		Message string `json:"message"`
	} `json:"problems"`
}

func (env *importLimitsEnv) job(t *testing.T, url string) jobAnswer {
	t.Helper()
	r := env.api.get(url)
	expectStatus(t, "job status", r, 200)
	var j jobAnswer
	decode(t, r, &j)
	return j
}

// waitForJob reads the job until it is no longer running.
func (env *importLimitsEnv) waitForJob(t *testing.T, url string) jobAnswer {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if j := env.job(t, url); j.Status != "running" {
			return j
		}
	}
	t.Fatalf("the job %s never ended", url)
	return jobAnswer{}
}

// An import still running after the wait is answered 202 with its status
// URL; the status says running (with a progress bar on the page, which
// reloads itself) until the job ends, then done with the report, and the
// people are there. Another user cannot see the job.
func TestALongImportRunsAsAJobWithAStatusURLAndAPage(t *testing.T) {
	t.Parallel()
	env := newImportJobsEnv(t, time.Millisecond)
	// The course row held: the job waits inside its transaction.
	lock, err := env.store.DB().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`SELECT 1 FROM courses WHERE id = $1 FOR UPDATE`, env.course.ID); err != nil {
		t.Fatal(err)
	}
	r := env.api.upload("/api/v1/imports/trainees", "liste.csv", []byte(participants), map[string]string{"course_id": fmt.Sprint(env.course.ID)})
	expectStatus(t, "a job still running", r, 202)
	var accepted jobAnswer
	decode(t, r, &accepted)
	if accepted.Status != "running" || r.Header.Get("Location") != accepted.StatusURL ||
		accepted.StatusURL != fmt.Sprintf("/api/v1/imports/jobs/%d", accepted.ID) || accepted.RowsTotal != 2 {
		t.Fatalf("want a running job with its status URL in Location and 2 rows counted, got %s (Location %q)", r.Body, r.Header.Get("Location"))
	}
	waitForImportsOnTheLock(t, env, 1)
	if j := env.job(t, accepted.StatusURL); j.Status != "running" || j.Phase != "checking" || j.Percent <= 0 || j.Percent >= 100 {
		t.Fatalf("while the course is locked: want running, checking, a percent under 100, got %+v", j)
	}
	page := env.page.get(fmt.Sprintf("/imports/jobs/%d", accepted.ID))
	expectStatus(t, "status page", page, 200)
	if page.Header.Get("Refresh") == "" || !strings.Contains(page.Body, "<progress") ||
		!strings.Contains(page.Body, "Vérification dans la base") {
		t.Fatalf("the status page must show a progress bar and reload itself: Refresh %q\n%.3000s", page.Header.Get("Refresh"), page.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE national_id IN ('BK112233', 'BK445566')`); n != 0 {
		t.Fatalf("a running job's people are visible: %d", n)
	}
	// Another coordinator does not see it.
	other := addUser(t, env.store, "other@jobs.ma", domain.RoleCoordinator)
	otherToken, _, err := env.store.CreateAPIToken(context.Background(), other.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	otherAPI := newClient(t, env.web)
	otherAPI.headers["Authorization"] = "Bearer " + otherToken
	expectStatus(t, "another user's job", otherAPI.get(accepted.StatusURL), 404)

	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	j := env.waitForJob(t, accepted.StatusURL)
	if j.Status != "done" || j.Percent != 100 || j.Report == nil || j.Report.Created != 2 || j.Report.Enrolled != 2 {
		t.Fatalf("want done with 2 people created and enrolled, got %+v", j)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE national_id IN ('BK112233', 'BK445566')`); n != 2 {
		t.Fatalf("the job's 2 people: %d", n)
	}
	page = env.page.get(fmt.Sprintf("/imports/jobs/%d", accepted.ID))
	if page.Header.Get("Refresh") != "" || !strings.Contains(page.Body, `enctype="multipart/form-data"`) {
		t.Fatalf("a finished job shows the import page with its report, without reloading: %.2000s", page.Body)
	}
	if countRows(t, env.store, `SELECT count(*) FROM import_jobs WHERE file IS NOT NULL`) != 0 {
		t.Fatal("a job done keeps its file")
	}
}

// From the page, an import still running after the wait goes to its
// status page (303), which works without JavaScript.
func TestTheImportPageGoesToTheStatusPageOfALongImport(t *testing.T) {
	t.Parallel()
	env := newImportJobsEnv(t, time.Millisecond)
	lock, err := env.store.DB().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`SELECT 1 FROM courses WHERE id = $1 FOR UPDATE`, env.course.ID); err != nil {
		t.Fatal(err)
	}
	env.page.get("/imports")
	r := env.page.upload("/imports", "liste.csv", []byte(participants), map[string]string{"_csrf": env.page.token,
		"course_id": fmt.Sprint(env.course.ID)})
	expectStatus(t, "page import still running", r, 303)
	status := r.Header.Get("Location")
	if !strings.HasPrefix(status, "/imports/jobs/") {
		t.Fatalf("want the status page, got %q", status)
	}
	if page := env.page.get(status); page.StatusCode != 200 || !strings.Contains(page.Body, "<progress") {
		t.Fatalf("status page: %d %.1000s", page.StatusCode, page.Body)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		page := env.page.get(status)
		if page.Header.Get("Refresh") == "" {
			if !strings.Contains(page.Body, "Import terminé") {
				t.Fatalf("the finished job's page: %.3000s", page.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job never ended")
		}
	}
}

// bigList is a CSV of n rows of institutional actors of org.
func bigList(n int, org int64) []byte {
	var b bytes.Buffer
	b.WriteString("category,full_name_latin,sex,birth_year,organisation,national_id\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "institutional_actor,Person %d,female,1980,%d,KL%07d\n", i, org, i)
	}
	return b.Bytes()
}

// 100,001 rows are refused before any row is parsed: 413 naming the
// limit, and no job was even created.
func TestAListPastTheRowLimitIsRefusedBeforeParsing(t *testing.T) {
	t.Parallel()
	env := newImportJobsEnv(t, 0)
	r := env.api.upload("/api/v1/imports/trainees", "liste.csv", bigList(domain.MaxImportRows+1, env.institution.ID), nil)
	expectStatus(t, "100,001 rows", r, 413)
	var a importAnswer
	decode(t, r, &a)
	if len(a.Problems) != 1 || a.Problems[0].Key != "import.too_many_rows" || !strings.Contains(a.Problems[0].Message, "100000") {
		t.Fatalf("want import.too_many_rows naming the limit, got %.500s", r.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM import_jobs`); n != 0 {
		t.Fatalf("a list past the limit started %d jobs", n)
	}
}

// Reading a list is not database work: a list whose rows take longer to
// read than the request's bound on database work (a loaded server, a
// large workbook) is imported all the same. It was answered 503, the job
// never created: its insert ran past the bound, spent on reading.
func TestAListSlowerToReadThanTheRequestBoundIsImported(t *testing.T) {
	t.Parallel()
	const rows = 40_000
	// The bound is half of what reading the list takes on this machine
	// (however many cores it has, and -race), and no less than 100 ms for
	// the request's other database work.
	list := bigList(rows, 1)
	start := time.Now()
	domain.ParseImportBytes(list, "liste.csv", domain.ImportSettings{})
	bound := max(time.Since(start)/2, 100*time.Millisecond)
	env := newImportJobsEnvConfig(t, app.Config{RequestTimeout: bound})
	env.api.headers["Prefer"] = "respond-async"
	start = time.Now()
	r := env.api.upload("/api/v1/imports/trainees", "liste.csv", bigList(rows, env.institution.ID), nil)
	if took := time.Since(start); took < bound {
		t.Fatalf("%d rows read in %v, within the bound of %v: the list must be longer to show anything", rows, took, bound)
	}
	expectStatus(t, "a list read for longer than the bound", r, 202)
	var accepted jobAnswer
	decode(t, r, &accepted)
	if j := env.waitForJob(t, accepted.StatusURL); j.Status != "done" || j.Report == nil || j.Report.Created != rows {
		t.Fatalf("want done with %d people created, got %+v", rows, j)
	}
}

// refusedList has a good row, a row with an unknown sex and a row with a
// birth year that is not one, separated by semicolons.
const refusedList = "Nom;Catégorie;Sexe;Année de naissance;Organisme;CIN\r\n" +
	"Zoé Benkirane;Acteur institutionnel;Femme;1985;Centre multifonctionnel de Rabat;BK112233\r\n" +
	"Omar Tazi;Acteur institutionnel;Xyz;1979;Centre multifonctionnel de Rabat;BK445566\r\n" +
	"Salma Idrissi;Acteur institutionnel;Femme;dix-neuf;Centre multifonctionnel de Rabat;BK778899\r\n"

// After a refusal the coordinator downloads the list with a first column
// saying what to fix on each row (CSV as sent, or XLSX), corrects those
// cells and sends the file back as it is: it imports whole.
func TestARefusedListComesBackAsAFileOfRowsToFix(t *testing.T) {
	t.Parallel()
	env := newImportJobsEnv(t, 0)
	r := env.api.upload("/api/v1/imports/trainees", "liste.csv", []byte(refusedList), nil)
	if r.StatusCode == 202 { // a loaded machine: wait for the job
		var j jobAnswer
		decode(t, r, &j)
		env.waitForJob(t, j.StatusURL)
	} else {
		expectStatus(t, "refused list", r, 422)
	}
	statusURL := r.Header.Get("Content-Location")
	if r.StatusCode == 202 {
		statusURL = r.Header.Get("Location")
	}
	if statusURL == "" {
		t.Fatalf("a refused import must name its job: headers %v", r.Header)
	}
	j := env.job(t, statusURL)
	if j.Status != "refused" || len(j.Problems) != 2 || j.ErrorsURL != statusURL+"/errors" {
		t.Fatalf("want refused with 2 problems and a file of rows to fix, got %+v", j)
	}

	// CSV, as sent: the same separator, the fix column first.
	got := env.api.get(j.ErrorsURL)
	expectStatus(t, "rows to fix, CSV", got, 200)
	if !strings.HasPrefix(got.Body, "\ufeff") || !strings.Contains(got.Header.Get("Content-Disposition"), ".csv") {
		t.Fatalf("want a UTF-8 CSV with a BOM: %q %.200q", got.Header.Get("Content-Disposition"), got.Body)
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(got.Body, "\ufeff")))
	cr.Comma = ';'
	records, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 4 || records[0][0] != "À corriger" || records[0][1] != "Nom" || records[1][0] != "" ||
		!strings.HasPrefix(records[2][0], "Sexe : ") || !strings.HasPrefix(records[3][0], "Année de naissance : ") {
		t.Fatalf("want every row with what to fix first, got %q", records)
	}
	only := env.api.get(j.ErrorsURL + "?only=1&format=xlsx")
	expectStatus(t, "only the rows to fix", only, 200)
	if rows := xlsxRows(t, []byte(only.Body)); len(rows) != 3 || rows[1][1] != "Omar Tazi" || rows[2][1] != "Salma Idrissi" {
		t.Fatalf("want the header and the 2 rows to fix, got %q", rows)
	}

	// Corrected and sent back as it is.
	records[2][3], records[3][4] = "Homme", "1990"
	var fixed bytes.Buffer
	w := csv.NewWriter(&fixed)
	w.Comma = ';'
	_ = w.WriteAll(records)
	back := env.api.upload("/api/v1/imports/trainees", "liste-corrigee.csv", fixed.Bytes(), map[string]string{"dry_run": "true"})
	expectStatus(t, "the corrected CSV", back, 200)
	var report importAnswer
	decode(t, back, &report)
	if report.Rows != 3 || report.Created != 3 || len(report.Ignored) != 0 {
		t.Fatalf("the corrected file must import whole, the fix column skipped without a word: %s", back.Body)
	}

	// XLSX: the same, every cell as text, corrected in a workbook.
	book := env.api.get(j.ErrorsURL + "?format=xlsx")
	expectStatus(t, "rows to fix, XLSX", book, 200)
	f, err := excelize.OpenReader(strings.NewReader(book.Body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	if v, _ := f.GetCellValue(sheet, "A3"); !strings.HasPrefix(v, "Sexe : ") {
		t.Fatalf("A3 = %q", v)
	}
	_ = f.SetCellValue(sheet, "D3", "Homme")
	_ = f.SetCellValue(sheet, "E4", "1990")
	var xlsx bytes.Buffer
	if err := f.Write(&xlsx); err != nil {
		t.Fatal(err)
	}
	back = env.api.upload("/api/v1/imports/trainees", "liste-corrigee.xlsx", xlsx.Bytes(), nil)
	expectStatus(t, "the corrected XLSX", back, 201)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE national_id IN ('BK112233', 'BK445566', 'BK778899')`); n != 3 {
		t.Fatalf("the corrected workbook's people: %d", n)
	}

	// The page offers the file after a refusal, from the same job.
	env.page.get("/imports")
	page := env.page.upload("/imports", "liste.csv", []byte(strings.ReplaceAll(refusedList, "BK", "ZZ")),
		map[string]string{"_csrf": env.page.token})
	expectStatus(t, "refused from the page", page, 422)
	if !strings.Contains(page.Body, "/errors?format=xlsx") || !strings.Contains(page.Body, "Corriger et renvoyer") {
		t.Fatalf("the page must offer the file of rows to fix: %.4000s", page.Body)
	}
}

func xlsxRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The template is in the user's language: headers the import reads,
// drop-downs for category and sex, CIN and phone formatted as text, an
// example row, and a second sheet with the organisations and provinces.
// Sent back as downloaded, its example row imports.
func TestTheImportTemplateInEachLanguageImportsBack(t *testing.T) {
	t.Parallel()
	env := newImportJobsEnv(t, 0)
	for _, c := range []struct{ lang, sheet, header, category string }{
		{"fr", "Participants", "Catégorie", "Acteur institutionnel"},
		{"ar", "المستفيدون", "الفئة", ""},
		{"en", "Participants", "Category", "Institutional actor"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			api := newClient(t, env.web)
			api.headers["Authorization"] = "Bearer " + env.token
			user, err := env.store.UserByEmail(context.Background(), "coordinator@jobs.ma")
			if err != nil {
				t.Fatal(err)
			}
			if err := env.store.SetUserLanguage(context.Background(), user.ID, c.lang); err != nil {
				t.Fatal(err)
			}
			r := api.get("/api/v1/imports/template.xlsx")
			expectStatus(t, "template", r, 200)
			if r.Header.Get(fiber.HeaderContentType) != domain.XLSX.ContentType() {
				t.Fatalf("content type %q", r.Header.Get(fiber.HeaderContentType))
			}
			f, err := excelize.OpenReader(strings.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			sheets := f.GetSheetList()
			if len(sheets) != 2 || sheets[0] != c.sheet {
				t.Fatalf("sheets %q", sheets)
			}
			if v, _ := f.GetCellValue(c.sheet, "A1"); v != c.header {
				t.Fatalf("A1 = %q, want %q", v, c.header)
			}
			if v, _ := f.GetCellValue(c.sheet, "A2"); c.category != "" && v != c.category {
				t.Fatalf("the example's category %q", v)
			}
			dvs, err := f.GetDataValidations(c.sheet)
			if err != nil {
				t.Fatal(err)
			}
			lists := map[string]string{}
			for _, dv := range dvs {
				lists[strings.SplitN(dv.Sqref, ":", 2)[0]] = dv.Formula1
			}
			if !strings.Contains(lists["A2"], "Institutional actor") && !strings.Contains(lists["A2"], "Acteur institutionnel") &&
				!strings.Contains(lists["A2"], "فاعل") {
				t.Fatalf("no category drop-down on column A: %q", lists)
			}
			if lists["D2"] == "" || lists["F2"] == "" || lists["G2"] == "" {
				t.Fatalf("want drop-downs for sex (D), organisation (F), province (G): %q", lists)
			}
			for _, col := range []string{"H", "J"} { // phone, CIN
				style, err := f.GetColStyle(c.sheet, col)
				if err != nil {
					t.Fatal(err)
				}
				s, err := f.GetStyle(style)
				if err != nil || s.NumFmt != 49 {
					t.Fatalf("column %s is not text: %+v %v", col, s, err)
				}
			}
			listed, err := f.GetRows(sheets[1])
			if err != nil {
				t.Fatal(err)
			}
			text := fmt.Sprint(listed)
			if !strings.Contains(text, "Centre multifonctionnel de Rabat") && !strings.Contains(text, fmt.Sprint(env.institution.ID)) {
				t.Fatalf("the organisations are not listed: %.500s", text)
			}
			province, err := env.store.Provinces(context.Background())
			if err != nil || len(province) == 0 || !strings.Contains(text, province[0].Code) {
				t.Fatalf("the provinces are not listed: %v %.500s", err, text)
			}
			back := api.upload("/api/v1/imports/trainees", "modele.xlsx", []byte(r.Body), map[string]string{"dry_run": "true"})
			expectStatus(t, "the template as downloaded", back, 200)
			var report importAnswer
			decode(t, back, &report)
			if report.Rows != 1 || len(report.Ignored) != 0 {
				t.Fatalf("the example row must import, every header read: %s", back.Body)
			}
		})
	}
}
