package repository_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// exportWorld is the fixture plus what an export shows: a trainer who marks,
// a second session left unmarked, and trainees whose names test quoting,
// formula injection and both scripts.
type exportWorld struct {
	*fixture
	trainer  domain.User
	session2 domain.Session
	helene   *domain.Trainee
	tricky   *domain.Trainee
	attacker *domain.Trainee
	other    *domain.Trainee
}

func newExportWorld(t *testing.T) *exportWorld {
	t.Helper()
	w := &exportWorld{fixture: newFixture(t)}
	w.trainer = domain.User{Email: "trainer@example.ma", Name: "Karim Trainer", Role: domain.RoleTrainer}
	must(t, w.store.CreateUser(w.ctx, &w.trainer, "a-long-password", nil))
	_, err := w.store.DB().Exec(`INSERT INTO course_trainers (course_id, user_id) VALUES ($1, $2)`, w.course.ID, w.trainer.ID)
	must(t, err)
	start := time.Date(2019, 3, 12, 9, 0, 0, 0, time.UTC)
	sessions := []domain.Session{{StartsAt: start, EndsAt: start.Add(2 * time.Hour), Place: "Salle 2", Hours: 2}}
	must(t, w.store.CreateSessions(w.ctx, w.course.ID, sessions, nil))
	w.session2 = sessions[0]

	// The institution's name holds a line break and a comma.
	_, err = w.store.DB().Exec(`UPDATE organisations SET name_fr = 'Centre, "multi"' || chr(10) || 'fonctionnel' WHERE id = $1`, w.institution.ID)
	must(t, err)
	w.helene = w.institutionalActor("Hélène Aït-Lahcen")
	w.helene.FullNameAr = ptr("فاطمة الزهراء بنعلي")
	w.tricky = w.institutionalActor(`Ben "Le Sage", Ali`)
	w.attacker = w.institutionalActor(`=HYPERLINK("http://evil.example","click")`)
	w.attacker.FullNameAr = ptr("@SUM(A1)")
	for _, tr := range []*domain.Trainee{w.helene, w.tricky, w.attacker} {
		must(t, w.store.CreateTrainee(w.ctx, tr, nil))
		_, err := w.store.Enroll(w.ctx, w.course.ID, tr.ID, repository.EnrollOptions{}, nil)
		must(t, err)
	}
	w.other = w.institutionalActor("Other Course")
	must(t, w.store.CreateTrainee(w.ctx, w.other, nil))
	_, err = w.store.Enroll(w.ctx, w.otherCourse.ID, w.other.ID, repository.EnrollOptions{}, nil)
	must(t, err)

	marks := []repository.Mark{{TraineeID: w.helene.ID, Status: domain.Present}, {TraineeID: w.tricky.ID, Status: domain.Late},
		{TraineeID: w.attacker.ID, Status: domain.Absent}}
	must(t, w.store.SaveAttendance(w.ctx, w.session.ID, marks, &w.trainer.ID))
	return w
}

// messages loads a language's export texts, as the HTTP layer will through go-i18n.
func messages(t *testing.T, lang string) func(string) string {
	t.Helper()
	m := map[string]string{}
	for _, feature := range []string{"exports", "lifecycle", "exportfiles"} { // lifecycle: the session's status (issue 14); exportfiles: issue 15
		data, err := os.ReadFile(filepath.Join("..", "views", "locales", feature+"."+lang+".json"))
		must(t, err)
		must(t, json.Unmarshal(data, &m))
	}
	return func(key string) string {
		text, ok := m[key]
		if !ok {
			t.Errorf("no %s text for %s", lang, key)
		}
		return text
	}
}

func (w *exportWorld) export(t *testing.T, f repository.AttendanceFilter, scope repository.Scope, opts domain.ExportOptions) ([]byte, int64) {
	t.Helper()
	var buf bytes.Buffer
	n, err := domain.WriteAttendance(&buf, opts, w.store.AttendanceRecords(w.ctx, f, scope))
	must(t, err)
	return buf.Bytes(), n
}

// exportMatrix writes a course's matrix as the HTTP layer does.
func (w *exportWorld) exportMatrix(out io.Writer, courseID int64, scope repository.Scope, opts domain.ExportOptions) (int64, error) {
	sessions, records, err := w.store.CourseMatrix(w.ctx, courseID, scope, domain.ScriptOf(opts.Lang))
	if err != nil {
		return 0, err
	}
	return domain.WriteMatrix(out, opts, sessions, records)
}

// readCSV checks the envelope of an exported CSV (BOM, CRLF only) and
// returns its records.
func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		t.Fatalf("no UTF-8 BOM: %q", data[:min(len(data), 10)])
	}
	if n, crlf := bytes.Count(data, []byte("\n")), bytes.Count(data, []byte("\r\n")); n != crlf || n == 0 {
		t.Fatalf("%d line feeds, %d of them after a carriage return: want CRLF only", n, crlf)
	}
	records, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	must(t, err)
	return records
}

// byName indexes rows of an attendance export by (latin name, session id).
func byName(t *testing.T, records [][]string) map[string][]string {
	t.Helper()
	rows := map[string][]string{}
	for _, r := range records[1:] {
		rows[r[10]+"|"+r[4]] = r
	}
	return rows
}

func TestAttendanceCSVIsExcelSafe(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	data, n := w.export(t, repository.AttendanceFilter{}, repository.AllCourses(),
		domain.ExportOptions{Format: domain.CSV, Lang: "fr", T: messages(t, "fr")})
	records := readCSV(t, data)
	if n != 7 || len(records) != 8 {
		t.Fatalf("3 trainees × 2 sessions + 1 × 1: want 7 rows, got %d (%d records)", n, len(records))
	}
	if got := strings.Join(records[0][:6], "|"); got != "ID présence|ID inscription|ID participant|ID formation|ID séance|Programme" {
		t.Fatalf("French headers: got %q", got)
	}
	rows := byName(t, records)
	s1, s2 := itoa(w.session.ID), itoa(w.session2.ID)

	helene := rows["Hélène Aït-Lahcen|"+s1]
	if helene == nil || helene[9] != "فاطمة الزهراء بنعلي" {
		t.Fatalf("Arabic and French names must come back intact, got %v", helene)
	}
	if helene[8] != "2019-03-05 10:00" || helene[15] != "Présent" || helene[16] != "Karim Trainer" || helene[11] != "Acteur institutionnel" ||
		helene[5] != "Renforcement des capacités" || helene[6] != "CP-RABAT-1" || helene[13] != "Préfecture de Rabat" || helene[14] != "Femme" {
		t.Fatalf("row content: %q", helene)
	}
	if helene[12] != "Centre, \"multi\"\nfonctionnel" {
		t.Fatalf("comma, quotes and line break must round-trip, got %q", helene[12])
	}
	if r := rows[`Ben "Le Sage", Ali|`+s1]; r == nil || r[15] != "En retard" {
		t.Fatalf("quotes and comma in a name must round-trip, got %v", r)
	}
	unmarked := rows["Hélène Aït-Lahcen|"+s2]
	if unmarked == nil || unmarked[0] != "" || unmarked[15] != "" || unmarked[16] != "" || unmarked[17] != "" {
		t.Fatalf("an unmarked session has an empty status, got %q", unmarked)
	}
	attacker := rows[`'=HYPERLINK("http://evil.example","click")|`+s1]
	if attacker == nil || attacker[9] != "'@SUM(A1)" {
		t.Fatalf("formulas must be defused with a leading apostrophe, got %q", attacker)
	}
	for _, r := range records {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+@\t\r", rune(cell[0])) {
				t.Fatalf("a cell starts with a formula character: %q", cell)
			}
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAttendanceCSVWithMachineKeys(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	data, _ := w.export(t, repository.AttendanceFilter{CourseID: w.course.ID}, repository.AllCourses(),
		domain.ExportOptions{Format: domain.CSV, Keys: true, T: messages(t, "ar")})
	records := readCSV(t, data)
	header := strings.Join(records[0], ",")
	if header != "attendance_id,enrollment_id,trainee_id,course_id,session_id,programme,course_code,course_title,session_start,"+
		"full_name_ar,full_name_latin,category,organisation,province,sex,status,marked_by,marked_at,session_status" {
		t.Fatalf("machine headers: %s", header)
	}
	r := byName(t, records)["Hélène Aït-Lahcen|"+itoa(w.session.ID)]
	if r[5] != "child-protection" || r[11] != "institutional_actor" || r[13] != "rabat" || r[14] != "female" || r[15] != "present" {
		t.Fatalf("machine values: %q", r)
	}
}

func TestAttendanceFiltersAndScope(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	count := func(f repository.AttendanceFilter, scope repository.Scope) int64 {
		_, n := w.export(t, f, scope, domain.ExportOptions{Format: domain.CSV, Keys: true})
		return n
	}
	trainerScope, err := w.store.ScopeFor(w.ctx, &w.trainer)
	must(t, err)
	cases := []struct {
		name   string
		filter repository.AttendanceFilter
		scope  repository.Scope
		want   int64
	}{
		{"coordinator, everything", repository.AttendanceFilter{}, repository.AllCourses(), 7},
		{"trainer sees own course only", repository.AttendanceFilter{}, trainerScope, 6},
		{"trainer asking for another course", repository.AttendanceFilter{CourseID: w.otherCourse.ID}, trainerScope, 0},
		{"zero scope sees nothing", repository.AttendanceFilter{}, repository.Scope{}, 0},
		{"one session", repository.AttendanceFilter{SessionID: w.session2.ID}, repository.AllCourses(), 3},
		{"programme", repository.AttendanceFilter{Programme: "child-protection"}, repository.AllCourses(), 7},
		{"unknown programme", repository.AttendanceFilter{Programme: "nope"}, repository.AllCourses(), 0},
		{"province", repository.AttendanceFilter{Province: "RABAT"}, repository.AllCourses(), 7},
		{"category", repository.AttendanceFilter{Category: domain.ChildParliamentarian}, repository.AllCourses(), 0},
		{"from the 12th", repository.AttendanceFilter{From: date("2019-03-12")}, repository.AllCourses(), 3},
		{"up to the 5th", repository.AttendanceFilter{To: date("2019-03-05")}, repository.AllCourses(), 4},
		{"an empty day", repository.AttendanceFilter{From: date("2019-03-06"), To: date("2019-03-11")}, repository.AllCourses(), 0},
	}
	for _, c := range cases {
		if got := count(c.filter, c.scope); got != c.want {
			t.Errorf("%s: want %d rows, got %d", c.name, c.want, got)
		}
	}
	ministry := domain.User{Role: domain.RoleMinistry}
	if _, err := w.store.ScopeFor(w.ctx, &ministry); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("the ministry never exports people: want ErrForbidden, got %v", err)
	}
	_, err = domain.WriteAttendance(&bytes.Buffer{}, domain.ExportOptions{},
		w.store.AttendanceRecords(w.ctx, repository.AttendanceFilter{Category: "pilot"}, repository.AllCourses()))
	wantInvalid(t, err, "category")
}

func TestAttendanceXLSXHasRealDatesFrozenHeaderAndDirection(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	for _, lang := range []string{"ar", "fr"} {
		data, n := w.export(t, repository.AttendanceFilter{CourseID: w.course.ID}, repository.AllCourses(),
			domain.ExportOptions{Format: domain.XLSX, Lang: lang, T: messages(t, lang)})
		if n != 6 {
			t.Fatalf("want 6 rows, got %d", n)
		}
		book, err := excelize.OpenReader(bytes.NewReader(data))
		must(t, err)
		defer book.Close()
		sheet := book.GetSheetList()[0]
		view, err := book.GetSheetView(sheet, 0)
		must(t, err)
		if *view.RightToLeft != (lang == "ar") {
			t.Fatalf("%s: right-to-left = %v", lang, *view.RightToLeft)
		}
		panes, err := book.GetPanes(sheet)
		must(t, err)
		if !panes.Freeze || panes.YSplit != 1 {
			t.Fatalf("%s: header row not frozen: %+v", lang, panes)
		}
		rows, err := book.GetRows(sheet)
		must(t, err)
		if len(rows) != 7 {
			t.Fatalf("%s: want header + 6 rows, got %d", lang, len(rows))
		}
		if lang == "ar" && (rows[0][9] != "الاسم الكامل بالعربية" || rows[0][15] != "حالة الحضور") {
			t.Fatalf("Arabic headers: %q", rows[0])
		}
		// Find Hélène's marked row and check its cells.
		var r int
		for i, row := range rows {
			if len(row) > 15 && row[10] == "Hélène Aït-Lahcen" && row[4] == itoa(w.session.ID) {
				r = i + 1
			}
		}
		if r == 0 {
			t.Fatalf("%s: Hélène's row is missing", lang)
		}
		name, _ := book.GetCellValue(sheet, "J"+itoa(int64(r)))
		if name != "فاطمة الزهراء بنعلي" {
			t.Fatalf("Arabic name: %q", name)
		}
		// The session start is a number (a date serial) with a date format.
		raw, _ := book.GetCellValue(sheet, "I"+itoa(int64(r)), excelize.Options{RawCellValue: true})
		if strings.Contains(raw, "-") || raw == "" {
			t.Fatalf("session start is not a date serial: %q", raw)
		}
		cellType, _ := book.GetCellType(sheet, "I"+itoa(int64(r)))
		if cellType != excelize.CellTypeUnset && cellType != excelize.CellTypeNumber {
			t.Fatalf("session start cell type %v: want a number", cellType)
		}
		shown, _ := book.GetCellValue(sheet, "I"+itoa(int64(r)))
		if shown != "2019-03-05 10:00" {
			t.Fatalf("session start shown as %q", shown)
		}
		styleID, _ := book.GetCellStyle(sheet, "I"+itoa(int64(r)))
		style, err := book.GetStyle(styleID)
		must(t, err)
		if style.CustomNumFmt == nil || *style.CustomNumFmt != "yyyy-mm-dd hh:mm" {
			t.Fatalf("session start has no date format: %+v", style)
		}
		// Text that looks like a formula stays text: never a formula cell.
		for i := range rows {
			for c := range rows[i] {
				cell, _ := excelize.CoordinatesToCellName(c+1, i+1)
				if formula, _ := book.GetCellFormula(sheet, cell); formula != "" {
					t.Fatalf("%s holds a formula %q", cell, formula)
				}
			}
		}
		width, _ := book.GetColWidth(sheet, "J")
		if width < 20 {
			t.Fatalf("name column too narrow: %v", width)
		}
	}
}

func TestCourseMatrix(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	var buf bytes.Buffer
	n, err := w.exportMatrix(&buf, w.course.ID, repository.AllCourses(),
		domain.ExportOptions{Format: domain.CSV, Lang: "fr", T: messages(t, "fr")})
	must(t, err)
	records := readCSV(t, buf.Bytes())
	// The header, 3 trainees, an empty row, the attending total, 4 codes.
	if n != 3 || len(records) != 1+3+1+1+4 {
		t.Fatalf("want 3 trainees and the footer, got %d rows of trainees, %d records", n, len(records))
	}
	header := records[0]
	if !strings.HasPrefix(header[7], "2019-03-05 10:00–") || !strings.HasPrefix(header[8], "2019-03-12 10:00–") || header[10] != "Taux de présence" {
		t.Fatalf("matrix header: %q", header)
	}
	for _, r := range records[1:4] {
		switch r[3] {
		case "Hélène Aït-Lahcen":
			if r[7] != "P" || r[8] != "" || r[9] != "1" || r[10] != "50" {
				t.Fatalf("Hélène: %q", r)
			}
		case `Ben "Le Sage", Ali`:
			if r[7] != "R" || r[9] != "1" {
				t.Fatalf("late counts as attended: %q", r)
			}
		default:
			if r[7] != "A" || r[9] != "0" || r[10] != "0" {
				t.Fatalf("absent: %q", r)
			}
		}
	}

	buf.Reset()
	_, err = w.exportMatrix(&buf, w.course.ID, repository.AllCourses(),
		domain.ExportOptions{Format: domain.XLSX, Lang: "ar", T: messages(t, "ar")})
	must(t, err)
	book, err := excelize.OpenReader(&buf)
	must(t, err)
	defer book.Close()
	sheet := book.GetSheetList()[0]
	rows, err := book.GetRows(sheet)
	must(t, err)
	var found bool
	for i, r := range rows {
		if len(r) > 3 && r[3] == "Hélène Aït-Lahcen" {
			found = true
			if r[7] != "ح" {
				t.Fatalf("Arabic code for present: %q", r[7])
			}
			raw, _ := book.GetCellValue(sheet, "K"+itoa(int64(i+1)), excelize.Options{RawCellValue: true})
			if raw != "0.5" {
				t.Fatalf("rate is a number: %q", raw)
			}
		}
	}
	if !found {
		t.Fatal("Hélène missing from the XLSX matrix")
	}

	trainerScope, err := w.store.ScopeFor(w.ctx, &w.trainer)
	must(t, err)
	_, err = w.exportMatrix(&buf, w.otherCourse.ID, trainerScope, domain.ExportOptions{})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another trainer's course: want ErrNotFound, got %v", err)
	}
}

func TestSignInSheet(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	_, err := w.store.DB().Exec(`UPDATE enrollments SET status = 'withdrawn' WHERE trainee_id = $1`, w.tricky.ID)
	must(t, err)
	sheet, err := w.store.SignInSheet(w.ctx, w.session.ID, repository.AllCourses(), "fr")
	must(t, err)
	if sheet.Programme.Code != "child-protection" || sheet.Course.Code != "CP-RABAT-1" || sheet.Session.Place != "Rabat" ||
		sheet.ProvinceFr != "Préfecture de Rabat" || len(sheet.Trainers) != 1 || sheet.Trainers[0] != "Karim Trainer" {
		t.Fatalf("sheet header: %+v", sheet)
	}
	if len(sheet.Trainees) != 2 || sheet.Trainees[0].TraineeID != w.attacker.ID || sheet.Trainees[1].TraineeID != w.helene.ID {
		t.Fatalf("want the attacker (=…) then Hélène, withdrawn left out, got %+v", sheet.Trainees)
	}
	trainerScope, err := w.store.ScopeFor(w.ctx, &w.trainer)
	must(t, err)
	if _, err := w.store.SignInSheet(w.ctx, w.otherSess.ID, trainerScope, "ar"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another course's sheet: want ErrNotFound, got %v", err)
	}
}

func TestExportFileNames(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	cases := map[string]repository.AttendanceFilter{
		"attendance_child-protection_2026-11-28.csv": {Programme: "child-protection"},
		"attendance_CP-RABAT-1_2026-11-28.csv":       {CourseID: w.course.ID},
		"attendance_all_2026-11-28.csv":              {},
	}
	for want, f := range cases {
		if got := w.store.AttendanceExportName(w.ctx, f, domain.CSV, now); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if got := w.store.CourseMatrixName(w.ctx, w.course.ID, domain.XLSX, now); got != "matrix_CP-RABAT-1_2026-11-28.xlsx" {
		t.Errorf("matrix name %q", got)
	}
}

// The count that lets an XLSX larger than a sheet be refused before its
// first byte (app's writeAttendance; the refusal itself is tested there)
// counts exactly the rows the export writes, whatever the filter and scope.
func TestAttendanceRowCountIsTheExportsRowCount(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	trainerScope, err := w.store.ScopeFor(w.ctx, &w.trainer)
	must(t, err)
	cases := []struct {
		filter repository.AttendanceFilter
		scope  repository.Scope
	}{
		{repository.AttendanceFilter{}, repository.AllCourses()},
		{repository.AttendanceFilter{}, trainerScope},
		{repository.AttendanceFilter{}, repository.Scope{}},
		{repository.AttendanceFilter{CourseID: w.course.ID}, repository.AllCourses()},
		{repository.AttendanceFilter{SessionID: w.session2.ID}, repository.AllCourses()},
		{repository.AttendanceFilter{Programme: "CHILD-protection ", Province: "rabat"}, repository.AllCourses()},
		{repository.AttendanceFilter{From: date("2019-03-12")}, repository.AllCourses()},
		{repository.AttendanceFilter{To: date("2019-03-05")}, repository.AllCourses()},
		{repository.AttendanceFilter{Category: domain.InstitutionalActor}, repository.AllCourses()},
		{repository.AttendanceFilter{Category: domain.ChildParliamentarian}, repository.AllCourses()},
	}
	for _, c := range cases {
		_, exported := w.export(t, c.filter, c.scope, domain.ExportOptions{Format: domain.CSV, Keys: true})
		counted, err := w.store.AttendanceRowCount(w.ctx, c.filter, c.scope)
		must(t, err)
		if counted != exported {
			t.Errorf("%+v: counted %d rows, exported %d", c.filter, counted, exported)
		}
	}
	_, err = w.store.AttendanceRowCount(w.ctx, repository.AttendanceFilter{Category: "pilot"}, repository.AllCourses())
	wantInvalid(t, err, "category")
}

// failingWriter fails every write, like a client that went away.
type failingWriter struct{}

var errClientGone = errors.New("client gone")

func (failingWriter) Write([]byte) (int, error) { return 0, errClientGone }

// A download whose client goes away mid-file stops the query and returns
// the write error: no hang, no goroutine left reading.
func TestExportStopsWhenTheClientGoesAway(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	var list strings.Builder
	list.WriteString("name,category,sex,birth year,consent\n")
	for i := 0; i < 2000; i++ {
		list.WriteString("Enfant " + strconv.Itoa(i) + ",child,f,2008,yes\n")
	}
	_, err := w.importString(list.String(), "l.csv", repository.ImportOptions{CourseID: w.course.ID,
		Scope: repository.AllCourses(), OverrideCapacity: true})
	must(t, err)
	for _, format := range []domain.Format{domain.CSV, domain.XLSX} {
		done := make(chan error, 1)
		go func() {
			_, err := domain.WriteAttendance(failingWriter{}, domain.ExportOptions{Format: format},
				w.store.AttendanceRecords(w.ctx, repository.AttendanceFilter{}, repository.AllCourses()))
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, errClientGone) {
				t.Fatalf("%s: want the write error, got %v", format, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the export did not stop", format)
		}
	}
}
