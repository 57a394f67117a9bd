//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Issue 15, point 9: the exported files open right in a real spreadsheet.
// Debian's LibreOffice (libreoffice-calc-nogui, installed by .ci/run)
// opens each file as a user's would be opened — the semicolon CSV as in a
// French-locale office, the comma one as in an English one, the XLSX —
// and writes it back as CSV with every text cell quoted and values raw
// (not as shown): a quoted cell is text, an unquoted one a number or a
// date. The files are kept in e2e/artifacts/exports/.
func TestExportsOpenRightInLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatal("LibreOffice is needed (apt-get install libreoffice-calc-nogui): ", err)
	}
	s := newSite(t)
	ctx := context.Background()
	var orgID int64
	must(t, s.store.DB().Get(&orgID, `SELECT id FROM organisations LIMIT 1`))
	fatima := domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr("فاطمة الزهراء بنعلي"),
		FullNameLatin: ptr("Hélène Aït-Lahcen"), Sex: domain.Female, OrganisationID: &orgID,
		NationalID: ptr("AB123456"), Phone: ptr("0612345678")}
	_, err = s.store.EnrollNew(ctx, s.course.ID, &fatima, repository.EnrollOptions{}, nil)
	must(t, err)
	var coordinatorID int64
	must(t, s.store.DB().Get(&coordinatorID, `SELECT id FROM users WHERE email = 'coordinator@e2e.ma'`))
	must(t, s.store.SaveAttendance(ctx, s.session.ID, []repository.Mark{{TraineeID: fatima.ID, Status: domain.Present}}, &coordinatorID))
	must(t, s.store.SetUserLanguage(ctx, coordinatorID, "fr"))
	token, _, err := s.store.CreateAPIToken(ctx, coordinatorID, nil)
	must(t, err)
	var trainerID int64 // Arabic, like every user of newSite
	must(t, s.store.DB().Get(&trainerID, `SELECT id FROM users WHERE email = 'trainer@e2e.ma'`))
	trainerToken, _, err := s.store.CreateAPIToken(ctx, trainerID, nil)
	must(t, err)

	dir := filepath.Join("artifacts", "exports")
	must(t, os.RemoveAll(dir))
	must(t, os.MkdirAll(dir, 0o755))
	download := func(name, target string, token string) string {
		t.Helper()
		req, err := http.NewRequest("GET", s.base+target, nil)
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		must(t, err)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", target, resp.StatusCode, body)
		}
		path := filepath.Join(dir, name)
		must(t, os.WriteFile(path, body, 0o644))
		return path
	}
	people := fmt.Sprintf("course=%d&include=national_id,phone", s.course.ID)
	semicolons := download("attendance-fr.csv", "/exports/attendance.csv?"+people, token) // a French user's default
	commas := download("attendance-fr-comma.csv", "/exports/attendance.csv?separator=comma&"+people, token)
	xlsx := download("attendance-fr.xlsx", "/exports/attendance.xlsx?"+people, token)
	matrix := download("matrix-fr.xlsx", fmt.Sprintf("/courses/%d/matrix.xlsx?include=phone", s.course.ID), token)
	arabic := download("attendance-ar.csv", fmt.Sprintf("/exports/attendance.csv?course=%d", s.course.ID), trainerToken)

	// One LibreOffice per way of opening (its CSV import takes one separator
	// per run); each writes <file>-<sheet>.csv.
	lo := libreOffice{t: t, bin: soffice, profile: t.TempDir(), out: filepath.Join(dir, "back")}
	lo.convert("CSV:59,34,76,1,,1036", semicolons, arabic) // ";", UTF-8, French (fr-FR): Morocco's offices
	lo.convert("CSV:44,34,76,1,,1033", commas)             // ",", UTF-8, English (en-US)
	lo.convert("", xlsx, matrix)

	start := s.session.StartsAt.In(domain.Casablanca).Format("2006-01-02 15:04") + ":00"
	for _, c := range []struct{ file, phone string }{
		{"attendance-fr-attendance-fr.csv", "06 12 34 56 78"}, // the sheet of a CSV is named after the file
		{"attendance-fr-comma-attendance-fr-comma.csv", "06 12 34 56 78"},
		{"attendance-fr-Présences.csv", "0612345678"},
	} {
		rows := lo.read(c.file)
		header, row := rows[0], findRow(t, c.file, rows, "Hélène Aït-Lahcen")
		cell := func(name string) loCell {
			for i, h := range header {
				if h.text == name {
					return row[i]
				}
			}
			t.Fatalf("%s: no column %q in %v", c.file, name, header)
			return loCell{}
		}
		expectText(t, c.file, "Nom (arabe)", cell("Nom (arabe)"), "فاطمة الزهراء بنعلي")
		expectText(t, c.file, "CIN", cell("CIN"), "AB123456")
		expectText(t, c.file, "Téléphone", cell("Téléphone"), c.phone)
		expectValue(t, c.file, "ID participant", cell("ID participant"), fmt.Sprint(fatima.ID))
		expectValue(t, c.file, "Début de séance", cell("Début de séance"), start)
		if marked := cell("Présence saisie le"); marked.quoted || !dateTime.MatchString(marked.text) {
			t.Errorf("%s: the time of the mark is not a date: %+v", c.file, marked)
		}
		expectText(t, c.file, "Présence", cell("Présence"), "Présent")
	}

	// An Arabic reader's file (semicolons, their default): headers and words in Arabic, intact.
	rows := lo.read("attendance-ar-attendance-ar.csv")
	row := findRow(t, "Arabic", rows, "فاطمة الزهراء بنعلي")
	if strings.Join(textsOf(rows[0][9:11]), "|") != "الاسم الكامل بالعربية|الاسم الكامل بالحروف اللاتينية" {
		t.Errorf("Arabic headers: %v", rows[0])
	}
	expectText(t, "Arabic", "status", row[15], "حاضر")
	expectValue(t, "Arabic", "session start", row[8], start)

	rows = lo.read("matrix-fr-Tableau des présences.csv")
	row = findRow(t, "matrix", rows, "Hélène Aït-Lahcen")
	last := len(rows[0]) - 1                            // the attendance rate: a number (a fraction, shown as a percentage)
	expectValue(t, "matrix", "rate", row[last], "100%") // a number in a percentage format
	expectText(t, "matrix", "phone", row[4], "0612345678")
	legend := findRow(t, "matrix", rows, "P = Présent")
	expectValue(t, "matrix", "present at the session", legend[len(legend)-3], "1")
}

func textsOf(cells []loCell) []string {
	var out []string
	for _, c := range cells {
		out = append(out, c.text)
	}
	return out
}

// dateTime is how LibreOffice writes a date-time cell's raw value.
var dateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)

// libreOffice converts files with a headless LibreOffice of its own.
type libreOffice struct {
	t                 *testing.T
	bin, profile, out string
}

// loExport is the CSV export filter: ",", '"', UTF-8, from line 1, every
// text cell quoted (token 7), raw values rather than as shown (token 9),
// every sheet into a file of its own (token 12: -1).
const loExport = `csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,false,false,false,-1`

// convert opens files with the import filter infilter ("" for XLSX) and
// writes each sheet back as CSV into lo.out.
func (lo libreOffice) convert(infilter string, files ...string) {
	lo.t.Helper()
	// LibreOffice needs a profile directory it can write (as root too),
	// its own so that parallel runs do not share a lock.
	args := []string{"-env:UserInstallation=file://" + lo.profile, "--headless", "--norestore", "--nologo"}
	if infilter != "" {
		args = append(args, "--infilter="+infilter)
	}
	args = append(args, "--convert-to", loExport, "--outdir", lo.out)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lo.bin, append(args, files...)...)
	cmd.Env = append(os.Environ(), "HOME="+lo.profile)
	if out, err := cmd.CombinedOutput(); err != nil {
		lo.t.Fatalf("soffice %v: %v\n%s", files, err, out)
	}
}

// loCell is a cell LibreOffice wrote back: its text and whether it was
// quoted (a text cell).
type loCell struct {
	text   string
	quoted bool
}

// read parses a CSV that LibreOffice wrote, keeping which cells were quoted.
func (lo libreOffice) read(name string) [][]loCell {
	lo.t.Helper()
	data, err := os.ReadFile(filepath.Join(lo.out, name))
	if err != nil {
		entries, _ := os.ReadDir(lo.out)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		lo.t.Fatalf("%v (LibreOffice wrote %q)", err, names)
	}
	return parseQuotedCSV(string(data))
}

// parseQuotedCSV splits RFC 4180 CSV (",", '"') into cells, remembering
// the quoted ones; encoding/csv forgets that.
func parseQuotedCSV(s string) [][]loCell {
	var rows [][]loCell
	var row []loCell
	var cell strings.Builder
	quoted, inQuotes := false, false
	endCell := func() {
		row = append(row, loCell{text: cell.String(), quoted: quoted})
		cell.Reset()
		quoted = false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case inQuotes && ch == '"' && i+1 < len(s) && s[i+1] == '"':
			cell.WriteByte('"')
			i++
		case inQuotes && ch == '"':
			inQuotes = false
		case inQuotes:
			cell.WriteByte(ch)
		case ch == '"':
			inQuotes, quoted = true, true
		case ch == ',':
			endCell()
		case ch == '\r':
		case ch == '\n':
			endCell()
			rows, row = append(rows, row), nil
		default:
			cell.WriteByte(ch)
		}
	}
	if cell.Len() > 0 || len(row) > 0 {
		endCell()
		rows = append(rows, row)
	}
	return rows
}

// findRow is the first row with a cell reading text.
func findRow(t *testing.T, what string, rows [][]loCell, text string) []loCell {
	t.Helper()
	for _, r := range rows {
		for _, c := range r {
			if c.text == text {
				return r
			}
		}
	}
	t.Fatalf("%s: no row with %q in %v", what, text, rows)
	return nil
}

// expectText: a text cell (quoted by LibreOffice) holding want.
func expectText(t *testing.T, file, what string, c loCell, want string) {
	t.Helper()
	if !c.quoted || c.text != want {
		t.Errorf("%s: %s is %+v, want the text %q", file, what, c, want)
	}
}

// expectValue: a number or date cell (not quoted) holding want.
func expectValue(t *testing.T, file, what string, c loCell, want string) {
	t.Helper()
	if c.quoted || c.text != want {
		t.Errorf("%s: %s is %+v, want the value %s (not text)", file, what, c, want)
	}
}
