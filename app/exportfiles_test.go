package app_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Issue 15, point 9: exports that open right the first time. One test per
// point; each fails on the code before it.

// separatorOf is the separator of an exported CSV's header line.
func separatorOf(t *testing.T, what string, r response) string {
	t.Helper()
	expectStatus(t, what, r, 200)
	header, _, _ := strings.Cut(strings.TrimPrefix(r.Body, "\ufeff"), "\r\n")
	semicolons, commas := strings.Count(header, ";"), strings.Count(header, ",")
	switch {
	case semicolons > 0 && commas == 0:
		return ";"
	case commas > 0 && semicolons == 0:
		return ","
	}
	t.Fatalf("%s: no clear separator in the header %q", what, header)
	return ""
}

// A user chooses the separator of their CSV files on a page; until then
// their language chooses (French: semicolon, what French-locale Excel
// splits on; English: comma). Every CSV follows it, the figures too; the
// URL still wins, and a script's machine file stays RFC 4180.
func TestCSVSeparatorIsTheUsersChoiceInEveryCSV(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	ctx := context.Background()
	u := addUser(t, env.store, "separator@exports.ma", domain.RoleCoordinator)
	if err := env.store.SetUserLanguage(ctx, u.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	browser := newClient(t, env.coordinator.app)
	browser.login(u.Email, testPassword)
	files := []string{"/exports/attendance.csv", fmt.Sprintf("/courses/%d/matrix.csv", env.course.ID),
		"/exports/totals.csv?programme=child-protection"}
	expectAll := func(when, want string) {
		t.Helper()
		for _, f := range files {
			if got := separatorOf(t, f, browser.get(f)); got != want {
				t.Errorf("%s: %s gives %q, want %q", when, f, got, want)
			}
		}
	}
	expectAll("French, nothing chosen", ";")
	english, _ := bearerClient(t, env, "english.separator@exports.ma", domain.RoleCoordinator, "en")
	if got := separatorOf(t, "English", english.get(files[2])); got != "," {
		t.Errorf("English, nothing chosen: %q, want a comma", got)
	}

	// The page offers the choice, with the current one checked.
	page := browser.get(fmt.Sprintf("/courses/%d", env.course.ID))
	expectStatus(t, "course page", page, 200)
	if !strings.Contains(page.Body, `action="/preferences/csv-separator"`) ||
		!strings.Contains(page.Body, `value="semicolon" aria-describedby="h-separator" checked`) {
		t.Fatalf("the course page must offer the separator, semicolon checked: %s", page.Body)
	}
	r := browser.post("/preferences/csv-separator", url.Values{"separator": {"comma"}, "next": {"/dashboard"}})
	expectStatus(t, "choose comma", r, 303)
	if loc := r.Header.Get("Location"); loc != "/dashboard" {
		t.Errorf("back to %q, want /dashboard", loc)
	}
	expectAll("comma chosen", ",")
	dashboard := browser.get("/dashboard")
	if !strings.Contains(dashboard.Body, `value="comma" aria-describedby="h-separator" checked`) {
		t.Errorf("the dashboard must show the choice: %s", dashboard.Body)
	}

	// Bad input: 422, nothing changed.
	r = browser.post("/preferences/csv-separator", url.Values{"separator": {"tab"}})
	expectStatus(t, "unknown separator", r, 422)
	expectAll("after a refused choice", ",")

	// The URL wins; machine files are commas unless the URL says otherwise.
	if got := separatorOf(t, "?separator", browser.get(files[0]+"?separator=semicolon")); got != ";" {
		t.Errorf("?separator=semicolon gives %q", got)
	}
	if got := separatorOf(t, "keys", env.coordinator.get(files[0]+"?header=keys")); got != "," {
		t.Errorf("a machine file of a French user: %q, want commas", got)
	}
	if got := separatorOf(t, "totals keys", env.coordinator.get(files[2]+"&header=keys&separator=semicolon")); got != ";" {
		t.Errorf("totals with ?separator=semicolon: %q", got)
	}

	// A script signed in by token follows its user's choice too.
	_, scripted := bearerClient(t, env, "script.separator@exports.ma", domain.RoleCoordinator, "fr")
	if err := env.store.SetUserCSVSeparator(ctx, scripted.ID, domain.SeparatorComma); err != nil {
		t.Fatal(err)
	}
	script, _ := bearerClientOf(t, env, scripted)
	if got := separatorOf(t, "token", script.get(files[0])); got != "," {
		t.Errorf("a token's user chose commas, got %q", got)
	}
}

// sheetOf opens an XLSX download and returns it with its one sheet's name.
func sheetOf(t *testing.T, what string, r response) (*excelize.File, string) {
	t.Helper()
	expectStatus(t, what, r, 200)
	book, err := excelize.OpenReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatalf("%s: not an XLSX: %v", what, err)
	}
	t.Cleanup(func() { _ = book.Close() })
	sheets := book.GetSheetList()
	if len(sheets) != 1 {
		t.Fatalf("%s: sheets %q", what, sheets)
	}
	return book, sheets[0]
}

// Every sheet is named in the reader's language, never "Sheet1".
func TestXLSXSheetsAreNamedInTheUsersLanguage(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	for _, c := range []struct {
		client *client
		target string
		want   string
	}{
		{env.coordinator, "/exports/attendance.xlsx", "Présences"},
		{env.coordinator, fmt.Sprintf("/courses/%d/matrix.xlsx", env.course.ID), "Tableau des présences"},
		{env.coordinator, "/exports/totals.xlsx?programme=child-protection", "Chiffres"},
		{env.trainer, fmt.Sprintf("/exports/attendance.xlsx?course=%d", env.course.ID), "الحضور"},
		{env.trainer, fmt.Sprintf("/courses/%d/matrix.xlsx", env.course.ID), "جدول الحضور"},
	} {
		if _, sheet := sheetOf(t, c.target, c.client.get(c.target)); sheet != c.want {
			t.Errorf("%s: sheet %q, want %q", c.target, sheet, c.want)
		}
	}
}

// No header is cut by its column: each column is at least as wide as its
// header's characters (Excel's width unit is a character).
func TestXLSXColumnsFitTheirHeaders(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	for _, c := range []struct {
		client *client
		target string
	}{
		{env.coordinator, "/exports/attendance.xlsx"},
		{env.trainer, fmt.Sprintf("/exports/attendance.xlsx?course=%d", env.course.ID)},
		{env.coordinator, fmt.Sprintf("/courses/%d/matrix.xlsx", env.course.ID)},
		{env.coordinator, "/exports/totals.xlsx?programme=child-protection"},
	} {
		book, sheet := sheetOf(t, c.target, c.client.get(c.target))
		rows, err := book.GetRows(sheet)
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: rows %v", c.target, err)
		}
		for i, header := range rows[0] {
			col, _ := excelize.ColumnNumberToName(i + 1)
			width, err := book.GetColWidth(sheet, col)
			if err != nil {
				t.Fatal(err)
			}
			if need := float64(utf8.RuneCountInString(header)); width < need {
				t.Errorf("%s: column %s is %.1f wide for the %.0f characters of %q", c.target, col, width, need, header)
			}
		}
	}
}

// The matrix for people says what its codes mean, heads each session by
// its date and hours, and ends with the totals of each session.
func TestMatrixHasALegendSessionTimesAndTotals(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	records := readCSV(t, env.coordinator.get(fmt.Sprintf("/courses/%d/matrix.csv", env.course.ID)).Body)
	start, end := env.session.StartsAt.In(domain.Casablanca), env.session.EndsAt.In(domain.Casablanca)
	wantHeader := start.Format("2006-01-02 15:04") + "–" + end.Format("15:04")
	session := column(t, records, wantHeader)
	attended := column(t, records, "Séances suivies")
	byLabel := map[string][]string{}
	for _, r := range records {
		byLabel[r[0]] = r
	}
	// One present (Hélène), one absent (the hostile name) at the session.
	for label, want := range map[string]string{"Présents (P + R)": "1", "P = Présent": "1", "R = En retard": "0",
		"E = Excusé": "0", "A = Absent": "1"} {
		r, ok := byLabel[label]
		if !ok {
			t.Fatalf("no row %q in the matrix: %q", label, records)
		}
		if r[session] != want {
			t.Errorf("%s: %q at the session, want %s", label, r[session], want)
		}
	}
	if byLabel["Présents (P + R)"][attended] != "1" {
		t.Errorf("the attending total: %q", byLabel["Présents (P + R)"])
	}
	// In Arabic, the codes are Arabic and so is their legend.
	ar := readCSV(t, env.trainer.get(fmt.Sprintf("/courses/%d/matrix.csv", env.course.ID)).Body)
	var legend []string
	for _, r := range ar {
		if strings.Contains(r[0], " = ") {
			legend = append(legend, r[0])
		}
	}
	if strings.Join(legend, "|") != "ح = حاضر|ت = متأخر|ع = غائب بعذر|غ = غائب" {
		t.Errorf("Arabic legend: %q", legend)
	}
	// A machine file stays a plain table.
	keys := readCSV(t, env.coordinator.get(fmt.Sprintf("/courses/%d/matrix.csv?header=keys", env.course.ID)).Body)
	if len(keys) != 3 {
		t.Errorf("a machine matrix is a header and its trainees: %q", keys)
	}
}

// Headers say what the column holds: the moment attendance was marked is
// not "the date of registration" (تاريخ التسجيل), and no two columns of a
// file share a header.
func TestExportHeadersSayWhatTheyHold(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	for _, c := range []struct {
		client   *client
		target   string
		markedAt string
	}{
		{env.trainer, "/exports/attendance.csv", "وقت تسجيل الحضور"},
		{env.coordinator, "/exports/attendance.csv", "Présence saisie le"},
	} {
		records := readCSV(t, c.client.get(c.target).Body)
		header := records[0]
		if slices.Contains(header, "تاريخ التسجيل") {
			t.Errorf("%q reads «registration date»", header)
		}
		column(t, records, c.markedAt)
		seen := map[string]bool{}
		for _, h := range header {
			if seen[h] {
				t.Errorf("header %q twice in %q", h, header)
			}
			seen[h] = true
		}
	}
}

// People come out in the order a reader looks for them: course, then name
// in the reader's script (Arabic for an Arabic reader, Latin otherwise,
// accents folded), whatever the order they were enrolled in.
func TestExportRowsFollowTheNamesInTheReadersScript(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	ctx := context.Background()
	course := env.newCourse(t, "CP-ORDER")
	if err := env.store.AssignTrainer(ctx, course.ID, env.trainerID, nil); err != nil {
		t.Fatal(err)
	}
	env.newSession(t, course.ID)
	env.newSession(t, course.ID)
	// Enrolled in an order that is neither the Arabic nor the Latin one.
	people := []struct{ ar, latin string }{{"أحمد الإدريسي", "Zakaria Idrissi"}, {"كريم الفاسي", "Élodie Fassi"}, {"يوسف بناني", "Adam Bennani"}}
	for _, p := range people {
		tr := domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr(p.ar), FullNameLatin: ptr(p.latin),
			Sex: domain.Male, OrganisationID: &env.institution.ID}
		if _, err := env.store.EnrollNew(ctx, course.ID, &tr, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	names := func(records [][]string, header string) []string {
		col := column(t, records, header)
		var out []string
		for _, r := range records[1:] {
			if len(r) > col && r[col] != "" && !slices.Contains(out, r[col]) {
				out = append(out, r[col])
			}
		}
		return out
	}
	latin := "Adam Bennani|Élodie Fassi|Zakaria Idrissi"
	arabic := "أحمد الإدريسي|كريم الفاسي|يوسف بناني"
	for _, c := range []struct {
		client         *client
		target, header string
		want           string
	}{
		{env.coordinator, fmt.Sprintf("/exports/attendance.csv?course=%d", course.ID), "Nom (latin)", latin},
		{env.coordinator, fmt.Sprintf("/courses/%d/matrix.csv", course.ID), "Nom (latin)", latin},
		{env.trainer, fmt.Sprintf("/exports/attendance.csv?course=%d", course.ID), "الاسم الكامل بالعربية", arabic},
		{env.trainer, fmt.Sprintf("/courses/%d/matrix.csv", course.ID), "الاسم الكامل بالعربية", arabic},
	} {
		records := readCSV(t, c.client.get(c.target).Body)
		if got := strings.Join(names(records, c.header), "|"); got != c.want {
			t.Errorf("%s: %s, want %s", c.target, got, c.want)
		}
	}
	// In the flat file a person's sessions follow each other.
	records := readCSV(t, env.coordinator.get(fmt.Sprintf("/exports/attendance.csv?course=%d", course.ID)).Body)
	nameCol, sessionCol := column(t, records, "Nom (latin)"), column(t, records, "ID séance")
	if len(records) != 1+3*2 || records[1][nameCol] != "Adam Bennani" || records[2][nameCol] != "Adam Bennani" ||
		records[1][sessionCol] == records[2][sessionCol] {
		t.Errorf("rows: %q", records)
	}
}

// Coordinators may add the CIN and the phone after the names; trainers may
// not; each file holding them is audited with the columns it held. In CSV
// the phone is written in pairs of digits (text in every spreadsheet, the
// leading 0 kept); in XLSX it is a text cell.
func TestIdentifierColumnsAreForCoordinatorsAndAudited(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	if _, err := env.store.DB().Exec(`UPDATE trainees SET national_id = 'AB123456', phone = '0612345678' WHERE id = $1`,
		env.trainee.ID); err != nil {
		t.Fatal(err)
	}
	course := env.course.ID
	plain := readCSV(t, env.coordinator.get(fmt.Sprintf("/exports/attendance.csv?course=%d", course)).Body)
	if slices.Contains(plain[0], "CIN") || slices.Contains(plain[0], "Téléphone") {
		t.Fatalf("identifiers without asking: %q", plain[0])
	}
	target := fmt.Sprintf("/exports/attendance.csv?course=%d&include=national_id&include=phone", course)
	records := readCSV(t, env.coordinator.get(target).Body)
	cin, phone, latin := column(t, records, "CIN"), column(t, records, "Téléphone"), column(t, records, "Nom (latin)")
	if cin != latin+1 || phone != latin+2 {
		t.Errorf("the identifiers come right after the names: %q", records[0])
	}
	for _, r := range records[1:] {
		if r[latin] == "Hélène Aït-Lahcen" && (r[cin] != "AB123456" || r[phone] != "06 12 34 56 78") {
			t.Errorf("Hélène's identifiers: %q %q", r[cin], r[phone])
		}
	}
	matrix := readCSV(t, env.coordinator.get(fmt.Sprintf("/courses/%d/matrix.csv?include=national_id,phone", course)).Body)
	column(t, matrix, "CIN")

	book, sheet := sheetOf(t, "xlsx", env.coordinator.get(fmt.Sprintf("/exports/attendance.xlsx?course=%d&include=phone", course)))
	rows, _ := book.GetRows(sheet)
	for i, r := range rows {
		if len(r) > 11 && r[10] == "Hélène Aït-Lahcen" {
			cell, _ := excelize.CoordinatesToCellName(12, i+1)
			kind, _ := book.GetCellType(sheet, cell)
			value, _ := book.GetCellValue(sheet, cell)
			if value != "0612345678" || (kind != excelize.CellTypeInlineString && kind != excelize.CellTypeSharedString) {
				t.Errorf("the phone in XLSX: %q of type %v", value, kind)
			}
		}
	}

	for _, target := range []string{fmt.Sprintf("/exports/attendance.csv?course=%d&include=phone", course),
		fmt.Sprintf("/courses/%d/matrix.xlsx?include=national_id", course)} {
		expectStatus(t, "a trainer asking for identifiers", env.trainer.get(target), 403)
	}
	expectStatus(t, "an unknown column", env.coordinator.get("/exports/attendance.csv?include=birth_year"), 422)
	expectStatus(t, "identifiers in the figures", env.coordinator.get("/exports/totals.csv?include=phone"), 422)

	audited := countRows(t, env.store, `SELECT count(*) FROM audit_log
	  WHERE action IN ('attendance.export', 'matrix.export') AND after->'identifiers' IS NOT NULL`)
	withCIN := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE after->'identifiers' ? 'national_id'`)
	if audited != 3 || withCIN != 2 {
		t.Errorf("want the 3 files with identifiers audited as such (2 with the CIN), got %d and %d", audited, withCIN)
	}
}

// Issue 14, point 3: a cancelled session is exported with its status and
// leaves the counts. In the matrix its column says it was cancelled, the
// marks taken before the cancellation are kept in it, and neither
// "sessions attended", nor the rate, nor the attending total count it.
func TestMatrixShowsACancelledSessionAndLeavesItOutOfTheCounts(t *testing.T) {
	t.Parallel()
	env := newExportEnv(t)
	ctx := context.Background()
	second := time.Date(2019, 3, 12, 14, 30, 0, 0, time.UTC)
	sessions := []domain.Session{{StartsAt: second, EndsAt: second.Add(2 * time.Hour), Place: "Salle 2", Hours: 2}}
	if err := env.store.CreateSessions(ctx, env.course.ID, sessions, nil); err != nil {
		t.Fatal(err)
	}
	marks := []repository.Mark{{TraineeID: env.trainee.ID, Status: domain.Present}, {TraineeID: env.hostile.ID, Status: domain.Present}}
	if err := env.store.SaveAttendance(ctx, sessions[0].ID, marks, &env.trainerID); err != nil {
		t.Fatal(err)
	}
	if err := env.store.CancelSession(ctx, sessions[0].ID, "Salle fermée", nil); err != nil {
		t.Fatal(err)
	}

	records := readCSV(t, env.coordinator.get(fmt.Sprintf("/courses/%d/matrix.csv", env.course.ID)).Body)
	held := column(t, records, domain.SessionLabel(env.session))
	cancelled := column(t, records, domain.SessionLabel(sessions[0])+" (annulée)")
	attended, rate := column(t, records, "Séances suivies"), column(t, records, "Taux de présence")
	want := map[string][4]string{ // trainee id → held, cancelled, attended, rate
		fmt.Sprint(env.trainee.ID): {"P", "P", "1", "100"},
		fmt.Sprint(env.hostile.ID): {"A", "P", "0", "0"},
	}
	for _, r := range records[1:] {
		w, ok := want[r[0]]
		if !ok {
			continue
		}
		delete(want, r[0])
		if got := [4]string{r[held], r[cancelled], r[attended], r[rate]}; got != w {
			t.Errorf("trainee %s: held, cancelled, attended, rate = %q, want %q", r[0], got, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("trainees missing from the matrix: %v", want)
	}
	for _, r := range records {
		if r[0] == "Présents (P + R)" && r[attended] != "1" {
			t.Errorf("the attending total counts the cancelled session: %q", r)
		}
	}
}
