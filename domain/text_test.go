package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestSearchKeyIgnoresCaseAccentsAndDiacritics(t *testing.T) {
	same := [][2]string{
		{"fatima", "Fatima"},
		{"fatima", "Fátima"},
		{"فاطمة", "فَاطِمَة"},
		{"helene ait-lahcen", "Hélène Aït-Lahcen"},
		{"احمد", "أحمد"},
		{"ali", "Al\u200bi\u200e"}, // invisible noise in a query or a legacy row
		{"علیرضا", "علی\u200cرضا"}, // a Persian ZWNJ
	}
	for _, pair := range same {
		if SearchKey(pair[0]) != SearchKey(pair[1]) {
			t.Errorf("SearchKey(%q) = %q, SearchKey(%q) = %q: want equal", pair[0], SearchKey(pair[0]), pair[1], SearchKey(pair[1]))
		}
	}
	if SearchKey("fatima") == SearchKey("fatema") {
		t.Error("different names must keep different keys")
	}
}

func TestPhoneIsKeptAsDigits(t *testing.T) {
	tr := Trainee{Phone: ptrTo("06 12-34.56 78")}
	tr.Normalize()
	if *tr.Phone != "0612345678" {
		t.Fatalf("got %q", *tr.Phone)
	}
}

func ptrTo(s string) *string { return &s }

// TestCleanText shows the rule for each kind of character: what is removed
// silently, what is refused (and how the message quotes it).
func TestCleanText(t *testing.T) {
	cases := []struct {
		name, in, want string
		key, param     string // the refusal, if any
	}{
		{"plain Arabic", "فاطمة الزهراء", "فاطمة الزهراء", "", ""},
		{"plain French", "Hélène Aït-Lahcen", "Hélène Aït-Lahcen", "", ""},
		{"NFD becomes NFC", "He\u0301le\u0300ne", "Hélène", "", ""},
		{"Arabic hamza composed", "\u0627\u0654حمد", "أحمد", "", ""},
		{"spaces evened out", "  Ali\u00a0\u00a0Ben\tSaid\r\n", "Ali Ben Said", "", ""},
		{"line breaks in a line", "Ali\nBen", "Ali Ben", "", ""},
		{"zero-width space", "Al\u200bi", "Ali", "", ""},
		{"word joiner", "A\u2060li", "Ali", "", ""},
		{"stray BOM", "\ufeffAli\ufeff", "Ali", "", ""},
		{"soft hyphen", "Ali\u00ad", "Ali", "", ""},
		{"LRM", "Ali\u200e", "Ali", "", ""},
		{"RLM", "\u200fعلي", "علي", "", ""},
		{"ALM", "علي\u061c", "علي", "", ""},
		{"tag characters", "Ali\U000E0041\U000E0042", "Ali", "", ""},
		{"Hangul filler alone", "\u3164", "", "", ""},
		{"ZWNJ between Persian letters", "علی\u200cرضا", "علی\u200cرضا", "", ""},
		{"ZWNJ after a haraka", "بِ\u200cر", "بِ\u200cر", "", ""},
		{"ZWNJ in Latin", "Ali\u200cce", "Alice", "", ""},
		{"ZWNJ next to a space", "علي \u200cرضا", "علي رضا", "", ""},
		{"ZWJ in Latin", "A\u200db", "Ab", "", ""},
		{"RLO", "Ali \u202efdp.exe", "Ali \u202efdp.exe", "text.direction_control", "Ali <U+202E>fdp.exe"},
		{"LRO", "\u202dعلي", "\u202dعلي", "text.direction_control", "<U+202D>علي"},
		{"RLE", "a\u202bb", "a\u202bb", "text.direction_control", "a<U+202B>b"},
		{"LRE", "a\u202ab", "a\u202ab", "text.direction_control", "a<U+202A>b"},
		{"PDF", "a\u202cb", "a\u202cb", "text.direction_control", "a<U+202C>b"},
		{"LRI", "a\u2066b", "a\u2066b", "text.direction_control", "a<U+2066>b"},
		{"RLI", "a\u2067b", "a\u2067b", "text.direction_control", "a<U+2067>b"},
		{"FSI", "a\u2068b", "a\u2068b", "text.direction_control", "a<U+2068>b"},
		{"PDI", "a\u2069b", "a\u2069b", "text.direction_control", "a<U+2069>b"},
		{"NUL", "Ali\x00", "Ali\x00", "text.control_character", "Ali<U+0000>"},
		{"terminal escape", "\x1b[31mAli", "\x1b[31mAli", "text.control_character", "<U+001B>[31mAli"},
		{"C1 control", "Ali\u0085x\u009b", "Ali x\u009b", "text.control_character", "Ali x<U+009B>"},
		{"broken UTF-8", "Ali \xff", "Ali \xff", "text.broken_encoding", "Ali <0xFF>"},
		{"replacement character", "Ali \ufffd", "Ali \ufffd", "text.broken_encoding", "Ali <U+FFFD>"},
	}
	for _, tc := range cases {
		got, err := CleanText(tc.in)
		if got != tc.want {
			t.Errorf("%s: CleanText(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
		var bad *TextError
		switch {
		case tc.key == "" && err != nil:
			t.Errorf("%s: CleanText(%q) refused it: %v", tc.name, tc.in, err)
		case tc.key != "" && !errors.As(err, &bad):
			t.Errorf("%s: CleanText(%q) accepted it, want %s", tc.name, tc.in, tc.key)
		case tc.key != "" && (bad.Key != tc.key || bad.Param != tc.param):
			t.Errorf("%s: CleanText(%q) = %s %q, want %s %q", tc.name, tc.in, bad.Key, bad.Param, tc.key, tc.param)
		}
	}
}

func TestCleanParagraphKeepsLineBreaks(t *testing.T) {
	got := cleanParagraph(" Rapport 2019\r\np.\u00a012\u2028annexe\u200b \n\nfin ")
	if want := "Rapport 2019\np. 12\nannexe\n\nfin"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if CheckText(got) != nil {
		t.Fatal("line breaks are allowed in free text")
	}
}

func TestCleanNumberAcceptsEveryDigitPeopleType(t *testing.T) {
	cases := map[string]string{
		"2019":                 "2019",
		"٢٠١٩":                 "2019",
		"۱۳۹۸":                 "1398",
		"٠٦١٢٣٤٥٦٧٨":           "0612345678",
		" 42\u200b ":           "42",
		"\u202a+212 612\u202c": "+212 612",
		"\u200e٠٦ ١٢\u00a0٣٤":  "06 12 34",
		"١٫٥":                  "1.5",
		"٢٠١٩-٠٣-٠١":           "2019-03-01",
		"abc":                  "abc",
		"\u202e12":             "12",
		"AB\u200c۱۲۳":          "AB123",
		"٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹":     "0123456789 0123456789",
		"\ufeff\ufeff٣\u2060\u2069": "3",
	}
	for in, want := range cases {
		if got := CleanNumber(in); got != want {
			t.Errorf("CleanNumber(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ASCIIDigits("جمعية ٢٠٠٠"); got != "جمعية 2000" {
		t.Errorf("ASCIIDigits = %q", got)
	}
}

func TestVisibleShowsWhatCannotBeSeen(t *testing.T) {
	cases := map[string]string{
		"Ali":               "Ali",
		"Ali \u202efdp.exe": "Ali <U+202E>fdp.exe",
		"a\u00a0b\u200bc":   "a<U+00A0>b<U+200B>c",
		"\xfe\xff":          "<0xFE><0xFF>",
		"فاطمة\u202b":       "فاطمة<U+202B>",
		"tab\there":         "tab<U+0009>here",
		"\U000E0041":        "<U+E0041>",
		strings.Repeat("x", 30) + "\u202e" + strings.Repeat("y", 100): "…" + strings.Repeat("x", 20) + "<U+202E>" + strings.Repeat("y", 39) + "…",
	}
	for in, want := range cases {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Visible(strings.Repeat("ج", 5000)); utf8.RuneCountInString(got) != visibleWindow+1 {
		t.Errorf("a long text is not cut: %d characters", utf8.RuneCountInString(got))
	}
}

func TestTraineeNormalizeCleansEveryField(t *testing.T) {
	tr := Trainee{FullNameAr: ptrTo("\u200fفاطمة\u00a0 الزهراء\u200b"), FullNameLatin: ptrTo("He\u0301le\u0300ne\ufeff"),
		Phone: ptrTo("\u202a٠٦ ١٢ ٣٤ ٥٦ ٧٨\u202c"), NationalID: ptrTo("ab ۱۲۳۴۵۶"), Email: ptrTo("Helene@Example.ma\u200e"),
		Province: ptrTo("\u3164")}
	tr.Normalize()
	if *tr.FullNameAr != "فاطمة الزهراء" || *tr.FullNameLatin != "Hélène" || *tr.Phone != "0612345678" ||
		*tr.NationalID != "AB123456" || *tr.Email != "helene@example.ma" || tr.Province != nil {
		t.Fatalf("got ar %q latin %q phone %q cin %q email %q province %v", *tr.FullNameAr, *tr.FullNameLatin,
			*tr.Phone, *tr.NationalID, *tr.Email, tr.Province)
	}
}

// Every entity refuses a bidi control in its text fields, with the value
// quoted visibly in the problem's parameter.
func TestEveryEntityRefusesBidiControls(t *testing.T) {
	spoof := "Ali \u202efdp.exe"
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	start, _ := ParseDate("2019-03-01")
	cases := []struct {
		field    string
		validate func() error
	}{
		{"full_name_latin", func() error {
			tr := Trainee{Category: AssociativeActor, Sex: Female, FullNameLatin: &spoof, OrganisationID: new(int64)}
			return tr.Validate(now)
		}},
		{"full_name_ar", func() error {
			tr := Trainee{Category: AssociativeActor, Sex: Female, FullNameAr: &spoof, OrganisationID: new(int64)}
			return tr.Validate(now)
		}},
		{"province", func() error {
			tr := Trainee{Category: AssociativeActor, Sex: Female, FullNameAr: ptrTo("علي"), Province: &spoof, OrganisationID: new(int64)}
			return tr.Validate(now)
		}},
		{"email", func() error {
			tr := Trainee{Category: AssociativeActor, Sex: Female, FullNameAr: ptrTo("علي"), Email: ptrTo("a\u202e@b.ma"), OrganisationID: new(int64)}
			return tr.Validate(now)
		}},
		{"name_fr", func() error { return (&Organisation{Kind: Association, NameFr: &spoof}).Validate() }},
		{"registration_number", func() error {
			return (&Organisation{Kind: Association, NameFr: ptrTo("A"), RegistrationNumber: &spoof}).Validate()
		}},
		{"name_ar", func() error {
			return (&Programme{Code: "p", NameAr: spoof, NameFr: "P", NameEn: "P", StartYear: 2019, EndYear: 2020}).Validate()
		}},
		{"title_fr", func() error {
			return (&Course{ProgrammeID: 1, Code: "C", TitleAr: "د", TitleFr: spoof, Year: 2019, Province: "rabat",
				StartDate: start, EndDate: start, Capacity: 10}).Validate()
		}},
		{"place", func() error {
			return (&Session{StartsAt: now, EndsAt: now.Add(time.Hour), Place: spoof, Hours: 1}).Validate()
		}},
		{"name_fr", func() error {
			return ValidateProvince(&Province{RegionID: 4, Code: "rabat", NameAr: "الرباط", NameFr: spoof})
		}},
		{"name", func() error { return (&User{Email: "a@b.ma", Name: spoof, Role: RoleTrainer}).Validate() }},
		{"source", func() error {
			return (&ReportedFigure{Figure: FigureKeys[0], Programme: "p", Value: 1, Source: "Rapport\n" + spoof}).Validate()
		}},
	}
	for _, tc := range cases {
		v, ok := AsValidation(tc.validate())
		if !ok {
			t.Errorf("%s: accepted a bidi override", tc.field)
			continue
		}
		p := v.Fields[tc.field]
		if p.Key != "text.direction_control" || !strings.Contains(p.Param, "<U+202E>") || strings.ContainsRune(p.Param, '\u202e') {
			t.Errorf("%s: got %+v", tc.field, v.Fields)
		}
	}
}

func TestCodesAndNumbersTakeArabicDigits(t *testing.T) {
	f, err := ParseTotalsFilter(map[string]string{"year": "٢٠١٩", "course": "۱۲", "programme": "child-protection\u200b"})
	if err != nil || f.Year != 2019 || f.Course != 12 || f.Programme != "child-protection" {
		t.Fatalf("got %+v, %v", f, err)
	}
	d, err := ParseDate("٢٠١٩-٠٣-٠١")
	if err != nil || d.String() != "2019-03-01" {
		t.Fatalf("date: %v %v", d, err)
	}
	sessions, err := SessionSeries{FirstDay: d, StartTime: "٠٩:٠٠", EndTime: "۱۲:۳۰", Count: 1}.Sessions()
	if err != nil || sessions[0].Hours != 3.5 {
		t.Fatalf("series: %+v %v", sessions, err)
	}
	c := Course{ProgrammeID: 1, Code: "CP-٢٠١٩", TitleAr: "د", TitleFr: "F", Year: 2019, Province: "rabat", StartDate: d, EndDate: d, Capacity: 10}
	if err := c.Validate(); err != nil || c.Code != "CP-2019" {
		t.Fatalf("course code %q: %v", c.Code, err)
	}
}

// The import reads cells with the same rules: NFC, Arabic digits in
// numbers, bidi controls refused with the value shown visibly.
func TestImportCellsAreCleaned(t *testing.T) {
	csv := "full_name_latin,full_name_ar,category,sex,birth_year,phone,national_id,organisation\n" +
		"He\u0301le\u0300ne\u200b,,associative actor,female,١٩٨٥,\u202a٠٦١٢٣٤٥٦٧٨\u202c,ab۱۲۳,1\n" +
		"Ali \u202efdp.exe,,associative actor,male,1990,,,1\n" +
		",\u200fعلي\u202b,associative actor,male,1990,,,1\n"
	f := parseString(csv, "liste.csv")
	wantProblem(t, f, 3, "full_name_latin", "text.direction_control")
	wantProblem(t, f, 4, "full_name_ar", "text.direction_control")
	for _, p := range f.Problems {
		if p.Key == "text.direction_control" && (strings.ContainsAny(p.Param, "\u202e\u202b") || !strings.Contains(p.Param, "<U+")) {
			t.Errorf("the problem quotes the control invisibly: %+v", p)
		}
	}
	if len(f.Rows) != 1 {
		t.Fatalf("want the first row only, got %+v", f.Rows)
	}
	tr := f.Rows[0].Trainee
	if *tr.FullNameLatin != "Hélène" || *tr.BirthYear != 1985 || *tr.Phone != "0612345678" || *tr.NationalID != "AB123" {
		t.Fatalf("got %q %d %q %q", *tr.FullNameLatin, *tr.BirthYear, *tr.Phone, *tr.NationalID)
	}
}

// FuzzCleanText: cleaning is idempotent, gives NFC, and what it accepts
// holds no bidi control, no invisible noise (save a ZWNJ/ZWJ between Arabic
// letters) and no broken byte. Visible never returns an invisible character.
func FuzzCleanText(f *testing.F) {
	for _, seed := range []string{"", "Ali \u202efdp.exe", "He\u0301le\u0300ne", "علی\u200cرضا", "\xff\xfe", " \u00a0\u200b\ufeff",
		"a\r\n\r\nb", "\u3164", "٢٠١٩", "\u0627\u0654\u200c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean, err := CleanText(s)
		if again, _ := CleanText(clean); again != clean {
			t.Fatalf("%q: cleaning again changes %q into %q", s, clean, again)
		}
		if p := cleanParagraph(s); cleanParagraph(p) != p {
			t.Fatalf("%q: cleanParagraph is not idempotent", s)
		}
		if err == nil {
			if !norm.NFC.IsNormalString(clean) {
				t.Fatalf("%q: %q is not NFC", s, clean)
			}
			for _, r := range clean {
				if isBidiControl(r) || (isNoise(r) && r != zeroWidthNonJoiner && r != zeroWidthJoiner) || r == utf8.RuneError {
					t.Fatalf("%q: accepted %q holding %U", s, clean, r)
				}
			}
		}
		for _, r := range Visible(s) {
			if r != ' ' && r != '…' && invisible(r) {
				t.Fatalf("%q: Visible leaves %U", s, r)
			}
		}
		if n := CleanNumber(s); strings.ContainsFunc(n, func(r rune) bool { return isBidiControl(r) || isNoise(r) }) {
			t.Fatalf("%q: CleanNumber leaves noise in %q", s, n)
		}
	})
}

// Names typed on a phone or pasted from a word processor carry
// typographic apostrophes and dashes ("l’enfance", "Aït‐Lahcen"): they
// fold like the ASCII ones, so that "another spelling" of an association
// on record is that association (issue 14, point 4).
func TestSearchKeyFoldsTypographicApostrophesAndDashes(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{
		{"Association pour la protection de l'enfance", "Association pour la protection de l’enfance"},
		{"l'enfance", "l‘enfance"},
		{"Sa'id", "Saʼid"},
		{"Sa'id", "Sa`id"},
		{"Sa'id", "Sa´id"},
		{"Aït-Lahcen", "Aït‐Lahcen"},
		{"Aït-Lahcen", "Aït‑Lahcen"},
		{"Aït-Lahcen", "Aït–Lahcen"},
		{"Aït-Lahcen", "Aït — Lahcen"},
	} {
		if a, b := SearchKey(pair[0]), SearchKey(pair[1]); a != b {
			t.Errorf("SearchKey(%q) = %q, SearchKey(%q) = %q: want equal", pair[0], a, pair[1], b)
		}
	}
}

// SearchKey and cleanLine skip the normalisations for plain script
// (plainScript); on every pair of such characters, and each of them
// between letters and spaces, they give what the normalisations give.
func TestPlainScriptNeedsNoNormalising(t *testing.T) {
	t.Parallel()
	var plain []rune
	for r := rune(0); r < utf8.RuneSelf; r++ {
		plain = append(plain, r)
	}
	for r := '\u0621'; r <= '\u064A'; r++ {
		plain = append(plain, r)
	}
	check := func(s string) {
		if !plainScript(s) {
			t.Fatalf("%q is plain script", s)
		}
		if got, want := SearchKey(s), norm.NFC.String(foldKey(norm.NFD.String(s))); got != want {
			t.Errorf("SearchKey(%q) = %q, normalised %q", s, got, want)
		}
		if got, want := cleanLine(s), norm.NFC.String(tidy(s, false)); got != want {
			t.Errorf("cleanLine(%q) = %q, normalised %q", s, got, want)
		}
	}
	for _, a := range plain {
		check(" X" + string(a) + "ب ")
		for _, b := range plain {
			check(string([]rune{a, b}))
		}
	}
	for _, s := range []string{"Fátima", "فَاطِمَة", "ا\u0653", "e\u0301", "Ali\u200B"} {
		if plainScript(s) {
			t.Errorf("%q is not plain script: it needs normalising", s)
		}
	}
}
