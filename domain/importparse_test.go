package domain

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func parseString(s, name string) *ImportFile { return ParseImport(strings.NewReader(s), name) }

// wantProblem fails unless the file has a problem with key at row and column.
func wantProblem(t *testing.T, f *ImportFile, row int, column, key string) {
	t.Helper()
	for _, p := range f.Problems {
		if p.Row == row && p.Column == column && p.Key == key {
			return
		}
	}
	t.Fatalf("want problem %s at row %d column %q, got %+v", key, row, column, f.Problems)
}

func TestFrenchExcelCSVWithSemicolonsBOMAndCRLF(t *testing.T) {
	csv := "\ufeffNom et prénom;Catégorie;Sexe;Organisme;Province;Téléphone;CIN\r\n" +
		"Hélène Aït-Lahcen;Acteur institutionnel;Femme;Centre multifonctionnel;Préfecture de Rabat;06 12 34 56 78;ab123456\r\n" +
		";;;;;;\r\n"
	f := parseString(csv, "liste.csv")
	if len(f.Problems) != 0 || len(f.Rows) != 1 {
		t.Fatalf("want one row and no problem, got %+v / %+v", f.Rows, f.Problems)
	}
	tr := f.Rows[0].Trainee
	if *tr.FullNameLatin != "Hélène Aït-Lahcen" || tr.Category != InstitutionalActor || tr.Sex != Female ||
		*tr.Phone != "0612345678" || *tr.NationalID != "AB123456" || f.Rows[0].Organisation != "Centre multifonctionnel" {
		t.Fatalf("row read wrong: %+v", tr)
	}
	if tr.OrganisationID != nil {
		t.Fatal("the parser must leave the organisation for the store to resolve")
	}
}

func TestArabicHeadersAndValues(t *testing.T) {
	csv := "الاسم الكامل بالعربية,الفئة,الجنس,سنة الازدياد,موافقة الولي,عمود آخر\n" +
		"فاطمة الزهراء بنعلي,طفل برلماني,أنثى,2009,نعم,x\n"
	// An unknown column is never dropped silently: the file waits for a choice.
	wantProblem(t, parseString(csv, "لائحة.csv"), 1, "", "import.column_unmapped")
	f := ParseImportWith(strings.NewReader(csv), "لائحة.csv", ImportSettings{Columns: map[int]string{5: IgnoreColumn}})
	if len(f.Problems) != 0 || len(f.Rows) != 1 {
		t.Fatalf("got %+v / %+v", f.Rows, f.Problems)
	}
	tr := f.Rows[0].Trainee
	if *tr.FullNameAr != "فاطمة الزهراء بنعلي" || tr.Category != ChildParliamentarian || tr.Sex != Female ||
		*tr.BirthYear != 2009 || !tr.GuardianConsent {
		t.Fatalf("row read wrong: %+v", tr)
	}
	if len(f.Ignored) != 1 || f.Ignored[0] != "عمود آخر" {
		t.Fatalf("a column ignored by choice is reported as ignored, got %v", f.Ignored)
	}
}

func TestRowNumbersAreExcelRows(t *testing.T) {
	// Row 3 holds a quoted line break; row 4 is blank; row 5 is wrong.
	csv := "name,category,sex\n" +
		"Amina,child,f\n" + // row 2: a child without birth year nor consent
		"\"Two\nlines\",associative,m\n" + // row 3: no organisation
		"\n" +
		"Said,pilot,m\n" // row 5
	f := parseString(csv, "x.csv")
	wantProblem(t, f, 2, "birth_year", "trainee.child_birth_year_required")
	wantProblem(t, f, 2, "guardian_consent", "trainee.child_consent_required")
	wantProblem(t, f, 3, "organisation", "trainee.association_required")
	wantProblem(t, f, 5, "category", "import.category_unknown")
}

func TestBadFilesAreRefusedWithAPreciseMessage(t *testing.T) {
	cases := []struct {
		name, file, filename string
		row                  int
		column, key          string
	}{
		{"empty", "", "a.csv", 0, "", "import.file_empty"},
		{"only a BOM and blank lines", "\ufeff\r\n\r\n", "a.csv", 0, "", "import.file_empty"},
		{"header only", "name,category,sex\r\n", "a.csv", 0, "", "import.no_data_rows"},
		{"binary renamed .csv", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", 0, "", "import.binary_file"},
		{"old excel", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "a.xls", 0, "", "import.xls_not_supported"},
		{"fake xlsx", "name,category\n", "a.xlsx", 0, "", "import.xlsx_unreadable"},
		{"missing sex", "name,category\nAmina,child\n", "a.csv", 1, "sex", "import.column_missing"},
		{"missing names", "category,sex\nchild,f\n", "a.csv", 1, "full_name_ar", "import.column_missing_name"},
		{"column twice", "name,nom,category,sex\nA,B,child,f\n", "a.csv", 1, "full_name_latin", "import.column_duplicate"},
		{"unclosed quote", "name,category,sex\n\"Amina,child,f\n", "a.csv", 2, "", "import.csv_malformed"},
		{"child with phone", "name,category,sex,birth year,consent,phone\nYassine,child,m,2010,yes,0612345678\n", "a.csv", 2, "phone", "trainee.child_refuses_field"},
		{"same national ID", "name,category,sex,organisation,cin\nA,institutional,f,1,AB1\nB,institutional,m,1,ab1\n", "a.csv", 3, "national_id", "import.duplicate_national_id"},
		{"identical rows", "name,category,sex,birth year,consent\nA,child,f,2010,yes\nA,child,f,2010,yes\n", "a.csv", 3, "", "import.duplicate_row"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := parseString(c.file, c.filename)
			wantProblem(t, f, c.row, c.column, c.key)
			if f.Err() == nil {
				t.Fatal("a file with problems must give an error")
			}
		})
	}
}

func TestTooLargeFile(t *testing.T) {
	big := "name,category,sex\n" + strings.Repeat("x", MaxImportBytes)
	wantProblem(t, parseString(big, "a.csv"), 0, "", "import.file_too_large")
}

func TestTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,category,sex,birth year,consent\n")
	for i := 0; i <= MaxImportRows; i++ {
		b.WriteString("A,child,f,2010,yes\n") // identical, but the limit is checked first
	}
	f := parseString(b.String(), "a.csv")
	wantProblem(t, f, MaxImportRows+2, "", "import.too_many_rows")
}

func TestSepLineAndTabs(t *testing.T) {
	f := parseString("sep=;\r\nname;category;sex;birth year;consent\r\nA;child;f;2010;oui\r\n", "a.csv")
	if len(f.Problems) != 0 || len(f.Rows) != 1 || f.Rows[0].Row != 2 {
		t.Fatalf("got %+v / %+v", f.Rows, f.Problems)
	}
	f = parseString("name\tcategory\tsex\tbirth year\tconsent\nA\tchild\tf\t2010\toui\n", "a.txt")
	if len(f.Problems) != 0 || len(f.Rows) != 1 {
		t.Fatalf("tab separated: %+v", f.Problems)
	}
}

func TestXLSXFile(t *testing.T) {
	data := xlsxBytes(t, [][]any{
		{"Nom (arabe)", "Nom (latin)", "Catégorie", "Sexe", "Année de naissance", "Consentement"},
		{"فاطمة الزهراء بنعلي", "Hélène Aït-Lahcen", "Enfant parlementaire", "Femme", 2010, true},
	})
	f := ParseImport(bytes.NewReader(data), "liste.xlsx")
	if len(f.Problems) != 0 || len(f.Rows) != 1 {
		t.Fatalf("got %+v / %+v", f.Rows, f.Problems)
	}
	if tr := f.Rows[0].Trainee; *tr.BirthYear != 2010 || !tr.GuardianConsent || *tr.FullNameAr != "فاطمة الزهراء بنعلي" {
		t.Fatalf("row read wrong: %+v", tr)
	}
}

func xlsxBytes(t testing.TB, rows [][]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzParseImport feeds the parser arbitrary bytes: it must never panic,
// never return nil, and whatever rows it accepts must be valid trainees.
// The seed corpus runs in the normal suite; fuzz with
// go test -fuzz=FuzzParseImport ./domain/
func FuzzParseImport(f *testing.F) {
	seeds := []string{
		"",
		"\ufeffNom;Catégorie;Sexe\r\nHélène;acteur associatif;femme\r\n",
		"name,category,sex,birth year,consent\nA,child,f,2010,yes\n",
		"الاسم الكامل,الفئة,الجنس\nفاطمة,طفل برلماني,أنثى\n",
		"sep=,\nname,category,sex\n\"a\"\"b\",child,m\n",
		"name,category,sex\n\"unclosed,child,f\n",
		"\xff\xfeN\x00",
		"PK\x03\x04garbage",
		"name,category,sex,cin,organisation\nA,institutional,m,AB1,1\nB,institutional,f,AB1,2\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), "a.csv")
	}
	f.Add(xlsxBytes(f, [][]any{{"name", "category", "sex"}, {"A", "child", "m"}}), "a.xlsx")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		file := ParseImport(bytes.NewReader(data), name)
		if file == nil {
			t.Fatal("nil file")
		}
		if len(file.Problems) == 0 && len(file.Rows) == 0 {
			t.Fatal("no row and no problem")
		}
		for _, p := range file.Problems {
			if p.Key == "" || p.Row < 0 {
				t.Fatalf("bad problem %+v", p)
			}
		}
		for _, row := range file.Rows {
			tr := row.Trainee
			if row.Organisation != "" {
				tr.OrganisationID = &placeholderOrganisation
			}
			if err := tr.Validate(time.Now()); err != nil {
				t.Fatalf("row %d accepted but invalid: %v", row.Row, err)
			}
		}
	})
}

func TestExcelNumberCellsAreRepaired(t *testing.T) {
	csv := "name,category,sex,organisation,phone,birth year\n" +
		"Amina,institutional,f,1,612345678,01/05/1980\n" +
		"Said,institutional,m,1,+212612345678,1979-12-31\n" +
		"Karim,institutional,m,1,0612345678,1981.0\n"
	f := parseString(csv, "a.csv")
	if len(f.Problems) != 0 || len(f.Rows) != 3 {
		t.Fatalf("got %+v", f.Problems)
	}
	for i, want := range []struct {
		phone string
		year  int
	}{{"0612345678", 1980}, {"+212612345678", 1979}, {"0612345678", 1981}} {
		tr := f.Rows[i].Trainee
		if *tr.Phone != want.phone || *tr.BirthYear != want.year {
			t.Errorf("row %d: phone %q, year %d", i+2, *tr.Phone, *tr.BirthYear)
		}
	}
	wantProblem(t, parseString("name,category,sex,birth year,consent\nA,child,f,soon,yes\n", "a.csv"), 2, "birth_year", "import.not_a_year")
}

// The headers that offices' own lists carry for the CIN, the phone and the
// email, in Arabic and French, are recognised rather than left for the
// coordinator to map by hand.
func TestHeadersOfficesWriteAreRecognised(t *testing.T) {
	t.Parallel()
	for header, field := range map[string]string{
		"رقم البطاقة":                  "national_id",
		"رقم بطاقة التعريف الوطنية":    "national_id",
		"بطاقة التعريف الوطنية":        "national_id",
		"رقم ب.ت.و":                    "national_id",
		"N° CNIE":                      "national_id",
		"Numéro de la carte nationale": "national_id",
		"Carte nationale":              "national_id",
		"Numéro de téléphone":          "phone",
		"N° de téléphone":              "phone",
		"N° Tél":                       "phone",
		"Phone number":                 "phone",
		"رقم الجوال":                   "phone",
		"الهاتف المحمول":               "phone",
		"Adresse électronique":         "email",
		"البريد الالكتروني":            "email",
	} {
		if got := headerAliases[HeaderKey(header)]; got != field {
			t.Errorf("header %q: want %s, got %q", header, field, got)
		}
	}
}

// A list is read a batch of rows at a time, on every core (readPending):
// rows, problems and the checks against earlier rows come out as when the
// rows are read one by one, also across batches and past the last full one.
func TestAListLongerThanABatchReadsAsRowByRow(t *testing.T) {
	t.Parallel()
	const rows = 3*rowBatch + 100
	var b strings.Builder
	b.WriteString("name,category,sex,organisation,national_id,remark,\n")
	line := func(i int) string {
		return fmt.Sprintf("Person %d,institutional,f,1,AB%06d,,\n", i, i)
	}
	for row := 2; row <= rows+1; row++ {
		switch row {
		case 1500: // a bad sex and an unnamed column's value
			b.WriteString("Person 1500,institutional,x,1,AB001500,,kept\n")
		case 2500: // the same as row 5
			b.WriteString(line(5))
		case rows + 1: // the CIN of row 10, in the last, partial batch
			b.WriteString("Someone Else,institutional,m,1,AB000010,,\n")
		default:
			b.WriteString(line(row))
		}
	}
	f := ParseImportWith(strings.NewReader(b.String()), "list.csv", ImportSettings{Columns: map[int]string{5: IgnoreColumn}})
	want := []ImportProblem{
		{Row: 1, Key: "import.column_unnamed", Param: "G"},
		{Row: 1500, Column: "sex", Key: "import.sex_unknown", Param: "x"},
		{Row: 2500, Key: "import.duplicate_row", Param: "5"},
		{Row: rows + 1, Column: "national_id", Key: "import.duplicate_national_id", Param: "10"},
	}
	if !slices.Equal(f.Problems, want) {
		t.Fatalf("problems:\n got %+v\nwant %+v", f.Problems, want)
	}
	if len(f.Rows) != rows-3 {
		t.Fatalf("want every row but the 3 refused, got %d of %d", len(f.Rows), rows)
	}
	for i := 1; i < len(f.Rows); i++ {
		if f.Rows[i].Row <= f.Rows[i-1].Row {
			t.Fatalf("rows out of order at %d: %d after %d", i, f.Rows[i].Row, f.Rows[i-1].Row)
		}
	}
}

// A list that stops being read (a row past the column limit) still
// reports the problems of the rows read before it, also those of the batch
// not yet read when it stopped.
func TestAListStoppedKeepsTheProblemsOfTheRowsBefore(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("name,category,sex,organisation,national_id\n")
	for row := 2; row < rowBatch+20; row++ {
		sex := "f"
		if row == rowBatch+10 {
			sex = "x"
		}
		fmt.Fprintf(&b, "Person %d,institutional,%s,1,AB%06d\n", row, sex, row)
	}
	b.WriteString("Too wide" + strings.Repeat(",x", MaxImportColumns+1) + "\n")
	f := ParseImport(strings.NewReader(b.String()), "list.csv")
	wantProblem(t, f, rowBatch+10, "sex", "import.sex_unknown")
	wantProblem(t, f, rowBatch+20, "", "import.too_many_columns")
	if len(f.Rows) != 0 {
		t.Fatalf("a list stopped keeps no rows, got %d", len(f.Rows))
	}
}
