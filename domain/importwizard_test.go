package domain

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// The import wizard's field cases (issue 15, docs/IMPORTS.md): each test is
// a file as a coordinator's office makes it.

var wizardNow = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func parseWith(t *testing.T, data []byte, name string, settings ImportSettings) *ImportFile {
	t.Helper()
	settings.Now = wizardNow
	return ParseImportWith(bytes.NewReader(data), name, settings)
}

func wantRows(t *testing.T, f *ImportFile, n int) {
	t.Helper()
	if len(f.Problems) != 0 || len(f.Rows) != n {
		t.Fatalf("want %d rows and no problem, got %d rows, problems %+v", n, len(f.Rows), f.Problems)
	}
}

func TestPreviewShowsEveryColumnWithItsFieldAndTheFirstRows(t *testing.T) {
	t.Parallel()
	csv := "  NOM  ET PRENOM ;Catégorie;SEXE;Contact;Remarques;;Organisme\n" +
		"Hélène Aït;acteur institutionnel;F;0612345678;vue en mai;;1\n"
	f := parseWith(t, []byte(csv), "liste.csv", ImportSettings{})
	wantProblem(t, f, 1, "", "import.column_unmapped")
	if len(f.Problems) != 2 {
		t.Fatalf("want the two unknown columns refused, got %+v", f.Problems)
	}
	want := []struct{ field, how string }{
		{"full_name_latin", ColumnRecognised}, {"category", ColumnRecognised}, {"sex", ColumnRecognised},
		{"", ColumnUnmapped}, {"", ColumnUnmapped}, {"", ColumnBlank}, {"organisation", ColumnRecognised},
	}
	if len(f.Headers) != len(want) {
		t.Fatalf("every column is listed, got %+v", f.Headers)
	}
	for i, w := range want {
		if h := f.Headers[i]; h.Field != w.field || h.How != w.how || h.Letter != string(rune('A'+i)) {
			t.Errorf("column %d: got %+v, want %+v", i, h, w)
		}
	}
	if len(f.Sample) != 1 || f.Sample[0].Row != 2 || f.Sample[0].Cells[4] != "vue en mai" {
		t.Fatalf("the first rows as read: %+v", f.Sample)
	}
	if f.Format != "csv" || f.Encoding != EncodingUTF8 || f.Separator != ";" {
		t.Fatalf("how the file was read: %q %q %q", f.Format, f.Encoding, f.Separator)
	}

	// The coordinator maps one column and ignores the other: the file reads.
	// (The page sends every column's select back: a recognised one stays "recognised".)
	f = parseWith(t, []byte(csv), "liste.csv", ImportSettings{Columns: map[int]string{0: "full_name_latin", 3: "phone", 4: IgnoreColumn}})
	wantRows(t, f, 1)
	if f.Headers[0].How != ColumnRecognised {
		t.Fatalf("a recognised column sent back: %+v", f.Headers[0])
	}
	if tr := f.Rows[0].Trainee; tr.Phone == nil || *tr.Phone != "0612345678" {
		t.Fatalf("mapped column read: %+v", tr)
	}
	if f.Headers[3].How != ColumnChosen || f.Headers[4].How != ColumnIgnored || len(f.Ignored) != 1 || f.Ignored[0] != "Remarques" {
		t.Fatalf("choices shown: %+v ignored %v", f.Headers, f.Ignored)
	}

	// Remembered choices (stored under the folded header) apply to the next file.
	remembered := map[string]string{HeaderKey("CONTACT"): "phone", HeaderKey("remarques"): IgnoreColumn}
	f = parseWith(t, []byte(csv), "liste.csv", ImportSettings{Remembered: remembered})
	wantRows(t, f, 1)
	if f.Headers[3].How != ColumnRemembered || f.Headers[4].How != ColumnIgnored {
		t.Fatalf("remembered choices: %+v", f.Headers)
	}

	// A value in a column without a header is not dropped either.
	f = parseWith(t, []byte(csv+"Karim;institutionnel;m;0612345679;;oublié;1\n"), "liste.csv",
		ImportSettings{Columns: map[int]string{3: "phone", 4: IgnoreColumn}})
	wantProblem(t, f, 1, "", "import.column_unnamed")
}

func TestFirstAndLastNameColumnsMakeTheFullName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, csv, ar, latin string }{
		{"Prénom / Nom", "Prénom;Nom;Catégorie;Sexe;Organisme\nHélène;Aït-Lahcen;institutionnel;f;1\n", "", "Hélène Aït-Lahcen"},
		{"Nom / Prénom, in that order", "NOM;PRÉNOM;Catégorie;Sexe;Organisme\nAït-Lahcen;Hélène;institutionnel;f;1\n", "", "Hélène Aït-Lahcen"},
		{"First name / Last name", "First name,Last name,Category,Sex,Organisation\nKarim,Benali,institutional,m,1\n", "", "Karim Benali"},
		{"الاسم / النسب", "الاسم,النسب,الفئة,الجنس,المؤسسة\nفاطمة الزهراء,بنعلي,مؤسساتي,أنثى,1\n", "فاطمة الزهراء بنعلي", ""},
		{"Arabic names under French headers", "Prénom;Nom;Catégorie;Sexe;Organisme\nفاطمة;بنعلي;institutionnel;f;1\n", "فاطمة بنعلي", ""},
		{"a full name column wins", "Nom complet en arabe;Prénom;Nom;Catégorie;Sexe;Organisme\nفاطمة بنعلي;Fatima;Benali;institutionnel;f;1\n", "فاطمة بنعلي", "Fatima Benali"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := parseWith(t, []byte(c.csv), "a.csv", ImportSettings{})
			wantRows(t, f, 1)
			tr := f.Rows[0].Trainee
			if deref(tr.FullNameAr) != c.ar || deref(tr.FullNameLatin) != c.latin {
				t.Fatalf("got ar %q latin %q", deref(tr.FullNameAr), deref(tr.FullNameLatin))
			}
		})
	}
}

func TestTextDatesOfBirthGiveTheYear(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		header, value string
		year          int
	}{
		{"Date de naissance", "15/03/1984", 1984},
		{"date  DE NAISSANCE", "03/15/1984", 1984}, // month first: the year is the same
		{"Date of birth", "1984-03-15", 1984},
		{"Date of birth", "1984-03-15 00:00:00", 1984},
		{"تاريخ الازدياد", "١٥/٠٣/١٩٨٤", 1984},
		{"تاريخ الميلاد", "5-3-84", 1984},
		{"Né(e) le", "5.3.07", 2007},             // 07 ≤ the pivot (26 in 2026): 2007
		{"Birth date", "1-1-26", 2026},           // the pivot itself
		{"Birth date", "1-1-27", 1927},           // past it
		{"Date de naissance", "15-Mar-84", 1984}, // Excel's d-mmm-yy, saved as CSV
		{"Date de naissance", "15 mars 1984", 1984},
		{"Date de naissance", "1 févr. 07", 2007},
		{"تاريخ الازدياد", "15 شتنبر 1984", 1984},
	} {
		csv := "name,category,sex,organisation," + c.header + "\nAmina,institutional,f,1," + c.value + "\n"
		f := parseWith(t, []byte(csv), "a.csv", ImportSettings{})
		wantRows(t, f, 1)
		if got := *f.Rows[0].Trainee.BirthYear; got != c.year {
			t.Errorf("%s %q: year %d, want %d", c.header, c.value, got, c.year)
		}
	}
	for _, bad := range []string{"32/13/1984", "15/03", "1984-13-01", "mars 84", "15 brumaire 1984", "40 mars 1984"} {
		f := parseWith(t, []byte("name,category,sex,organisation,date de naissance\nAmina,institutional,f,1,"+bad+"\n"), "a.csv", ImportSettings{})
		wantProblem(t, f, 2, "birth_year", "import.not_a_year")
	}
	if f := parseWith(t, []byte("name,category,sex\nA,institutional,f\n"), "a.csv", ImportSettings{}); f.Pivot != 26 {
		t.Fatalf("the pivot stated in the preview: %d", f.Pivot)
	}
}

// excelDates is an Excel-style workbook (excelize writes what Excel does)
// with date cells in the birth column under several formats.
func excelDates(t *testing.T, date1904 bool) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	if date1904 {
		if err := x.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
			t.Fatal(err)
		}
	}
	_ = x.SetSheetRow("Sheet1", "A1", &[]any{"Nom complet", "Catégorie", "Sexe", "Date de naissance", "Organisme"})
	formats := []struct {
		builtin int
		custom  string
	}{{builtin: 14}, {builtin: 22}, {custom: "dd/mm/yyyy"}, {custom: "[$-fr-FR]d mmmm yyyy"}, {custom: "yy"}}
	for i, format := range formats {
		row := i + 2
		cell := func(col int) string { c, _ := excelize.CoordinatesToCellName(col, row); return c }
		_ = x.SetCellValue("Sheet1", cell(1), "Personne "+string(rune('A'+i)))
		_ = x.SetCellValue("Sheet1", cell(2), "institutionnel")
		_ = x.SetCellValue("Sheet1", cell(3), "f")
		_ = x.SetCellValue("Sheet1", cell(5), "Centre")
		style := &excelize.Style{NumFmt: format.builtin}
		if format.custom != "" {
			style = &excelize.Style{CustomNumFmt: &format.custom}
		}
		id, err := x.NewStyle(style)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.SetCellValue("Sheet1", cell(4), time.Date(1984+i, 3, 15, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		_ = x.SetCellStyle("Sheet1", cell(4), cell(4), id)
	}
	// A year typed as a number stays a year.
	_ = x.SetSheetRow("Sheet1", "A7", &[]any{"Personne F", "institutionnel", "f", 1990, "Centre"})
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExcelDateCellsGiveTheBirthYear(t *testing.T) {
	t.Parallel()
	for _, date1904 := range []bool{false, true} {
		f := parseWith(t, excelDates(t, date1904), "liste.xlsx", ImportSettings{})
		wantRows(t, f, 6)
		for i, want := range []int{1984, 1985, 1986, 1987, 1988, 1990} {
			if got := *f.Rows[i].Trainee.BirthYear; got != want {
				t.Errorf("1904 system %v, row %d: year %d, want %d", date1904, i+2, got, want)
			}
		}
		if f.Date1904 != date1904 || f.Format != "xlsx" || f.Sample[0].Cells[3] != "1984-03-15" {
			t.Errorf("preview: 1904 %v, format %q, sample %v", f.Date1904, f.Format, f.Sample[0].Cells)
		}
	}
}

func TestLibreOfficeXLSXWithDateCells(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"libreoffice-dates.xlsx", "libreoffice-dates-1904.xlsx"} {
		data, err := os.ReadFile("testdata/imports/" + name)
		if err != nil {
			t.Fatal(err)
		}
		f := parseWith(t, data, name, ImportSettings{})
		wantRows(t, f, 2)
		tr := f.Rows[0].Trainee
		if *tr.BirthYear != 1984 || *f.Rows[1].Trainee.BirthYear != 1990 || deref(tr.FullNameLatin) != "Hélène Aït-Lahcen" ||
			deref(tr.Phone) != "0612345678" {
			t.Errorf("%s: %+v / %+v", name, tr, f.Rows[1].Trainee)
		}
	}
}

func TestFilesInWindowsAndUnicodeEncodingsAreDecoded(t *testing.T) {
	t.Parallel()
	arabic := "الاسم الكامل;الفئة;الجنس;سنة الازدياد\r\nفاطمة الزهراء بنعلي;طفل برلماني;أنثى;2010\r\n"
	french := "Nom;Catégorie;Sexe;Organisme\r\nHélène Aït-Lahcen;Acteur institutionnel;Femme;Préfecture\r\n"
	win1256, _ := charmap.Windows1256.NewEncoder().String(arabic)
	win1252, _ := charmap.Windows1252.NewEncoder().String(strings.Replace(french, "Préfecture", "Œuvre d’entraide", 1))
	latin1, _ := charmap.ISO8859_1.NewEncoder().String(french)
	tabs := strings.ReplaceAll(arabic, ";", "\t")
	utf16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(tabs)
	utf16be, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String(tabs)
	for _, c := range []struct {
		name, data, encoding, name0 string
		arabic                      bool
	}{
		{"Windows-1256", win1256, EncodingWindows1256, "فاطمة الزهراء بنعلي", true},
		{"Windows-1252", win1252, EncodingWindows1252, "Hélène Aït-Lahcen", false},
		{"Latin-1", latin1, EncodingWindows1252, "Hélène Aït-Lahcen", false},
		{"UTF-16LE (Excel's Unicode text)", utf16le, EncodingUTF16LE, "فاطمة الزهراء بنعلي", true},
		{"UTF-16BE", utf16be, EncodingUTF16BE, "فاطمة الزهراء بنعلي", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := parseWith(t, []byte(c.data), "liste.csv", ImportSettings{Columns: map[int]string{}})
			if c.arabic {
				// the child's row needs a consent column; the name is what is checked here
				f = parseWith(t, []byte(c.data), "liste.csv", ImportSettings{})
			}
			if f.Encoding != c.encoding {
				t.Fatalf("read as %q, want %q (problems %+v)", f.Encoding, c.encoding, f.Problems)
			}
			name := ""
			if len(f.Sample) > 0 {
				name = f.Sample[0].Cells[0]
			}
			if name != c.name0 {
				t.Fatalf("first cell read as %q", name)
			}
			if !c.arabic {
				wantRows(t, f, 1)
				if *f.Rows[0].Trainee.FullNameLatin != c.name0 {
					t.Fatalf("name %q", *f.Rows[0].Trainee.FullNameLatin)
				}
			}
		})
	}
	if !strings.Contains(win1252, "\x8c") || !strings.Contains(win1252, "\x92") {
		t.Fatal("the Windows-1252 fixture must hold bytes Latin-1 lacks (Œ, ’)")
	}
}

func TestInvisibleCharactersAndEasternDigitsAreCleanedInEveryField(t *testing.T) {
	t.Parallel()
	csv := "Nom\u00a0complet;Catégorie;Sexe;Année de naissance;Téléphone;CIN;Province;Courriel;Organisme\n" +
		"\u200fHélène\u00a0Aït\u200d;acteur\u00a0institutionnel;أنثى\u200f;١٩٨٤;٠٦\u00a0١٢\u00a0٣٤\u00a0٥٦\u00a0٧٨;\u200eab١٢٣٤٥٦;Rabat\u200f;h@x.ma\u200b;Centre\u00a0١\n" +
		"Karim;institutionnel;ذكر\u200fو;۱۹۹۰;06 12 34 56 79;;;;Centre\n"
	// Windows-1256 has NBSP, LRM, RLM and ZWJ, not the zero-width space nor the eastern digits.
	win1256, err := charmap.Windows1256.NewEncoder().String(ASCIIDigits(strings.ReplaceAll(csv, "\u200b", "")))
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{csv, win1256} {
		f := parseWith(t, []byte(data), "liste.csv", ImportSettings{})
		if len(f.Rows) != 1 {
			t.Fatalf("want the first row read, got %+v / %+v", f.Rows, f.Problems)
		}
		tr := f.Rows[0].Trainee
		if *tr.FullNameLatin != "Hélène Aït" || tr.Category != InstitutionalActor || tr.Sex != Female || *tr.BirthYear != 1984 ||
			*tr.Phone != "0612345678" || *tr.NationalID != "AB123456" || *tr.Email != "h@x.ma" || f.Rows[0].Organisation != "Centre 1" {
			t.Fatalf("cleaned row: %+v", tr)
		}
		// The message quotes the value as cleaned: no mark that makes "ذكر" look valid.
		var param string
		for _, p := range f.Problems {
			if p.Row == 3 && p.Column == "sex" {
				param = p.Param
			}
		}
		if param != "ذكرو" {
			t.Fatalf("the refusal shows %q, want the visible value; problems %+v", param, f.Problems)
		}
	}
}
