package domain

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// The import wizard's side of the parser (docs/IMPORTS.md): what the
// coordinator chose for the columns of a file, what the preview shows of the
// file as it was read, and the readings a spreadsheet needs beyond plain
// text (a first and a last name in two columns, dates of birth as Excel
// stores them).

// IgnoreColumn is the choice that keeps a column out of the import, said
// explicitly: a column is never left out without it.
const IgnoreColumn = "ignore"

// ImportSettings are the coordinator's choices for one file: per column of
// the file (0-based), a field of ImportFields or IgnoreColumn; and the
// choices they made before for a header (folded as HeaderKey), applied
// when a column has no choice of its own.
type ImportSettings struct {
	Columns    map[int]string
	Remembered map[string]string
	Now        time.Time // zero: time.Now()
	// Rows is how many rows the file holds, when counted before
	// (CheckImportSize): the rows are then kept in one slice of that size
	// rather than one regrown as they come (up to twice their size in
	// garbage for 100,000 rows). 0: not known.
	Rows int
}

// ImportFields are the fields a column may be mapped to: the canonical
// columns, and a first or a last name, joined into the full name.
var ImportFields = append(append([]string{}, ImportColumns[:3]...),
	append([]string{"first_name", "last_name"}, ImportColumns[3:]...)...)

// IsImportField reports whether a column may be mapped to field.
func IsImportField(field string) bool {
	for _, f := range ImportFields {
		if f == field {
			return true
		}
	}
	return false
}

// How a column got its field.
const (
	ColumnRecognised = "recognised" // the header is a known name of the field
	ColumnChosen     = "chosen"     // the coordinator chose it for this file
	ColumnRemembered = "remembered" // the coordinator chose it for this header before
	ColumnUnmapped   = "unmapped"   // unknown header, no choice yet: the file is refused until one is made
	ColumnIgnored    = "ignored"    // kept out, by the coordinator's choice
	ColumnBlank      = "blank"      // no header and no value
	ColumnFix        = "fix"        // "to fix", of our file of rows to fix sent back corrected: skipped (importfix.go)
)

// ImportHeader is one column of the file as the preview shows it.
type ImportHeader struct {
	Index  int    `json:"index"`
	Letter string `json:"letter"` // A, B, … as the spreadsheet names it
	Header string `json:"header"` // as written, invisible characters shown
	Key    string `json:"key"`    // HeaderKey(header): what a remembered choice is stored under
	Field  string `json:"field,omitempty"`
	How    string `json:"how"`
}

// ImportSample is one of the first data rows, as read: each cell as text,
// invisible characters shown (Visible), a date cell as its date.
type ImportSample struct {
	Row   int      `json:"row"`
	Cells []string `json:"cells"`
}

// importSampleRows is how many data rows the preview shows.
const importSampleRows = 5

// HeaderKey folds a header the way they are recognised: case, accents,
// Arabic letter variants, spacing and punctuation do not count.
func HeaderKey(header string) string { return foldLabel(cleanLine(header)) }

// IsKnownHeader reports whether a header is recognised as a field of its
// own: a choice for it is not remembered (recognition decides next time).
func IsKnownHeader(key string) bool {
	_, ok := headerAliases[key]
	return ok
}

func columnLetter(i int) string {
	name, _ := excelize.ColumnNumberToName(i + 1)
	return name
}

// headerFields maps each header of the file to its field, with how; two
// headers of one field are a problem, as are the required fields missing.
func (p *importParser) headerFields(record []string) {
	p.file.Headers = make([]ImportHeader, len(record))
	hasFirst, hasLast := false, false
	for i, h := range record {
		key := HeaderKey(h)
		p.file.Headers[i] = ImportHeader{Index: i, Letter: columnLetter(i), Header: Visible(cleanLine(h)), Key: key}
		switch headerAliases[key] {
		case "first_name":
			hasFirst = true
		case "last_name":
			hasLast = true
		}
	}
	for i := range record {
		hd := &p.file.Headers[i]
		field, ok := headerAliases[hd.Key]
		// "Nom" beside "Prénom" is the last name; "الاسم" beside "النسب" the first.
		if hasFirst && (hd.Key == "nom" || hd.Key == "name") {
			field = "last_name"
		}
		if hasLast && hd.Key == foldLabel("الاسم") {
			field, ok = "first_name", true
		}
		choice, chosen := p.settings.Columns[i]
		remembered, known := p.settings.Remembered[hd.Key]
		switch {
		case fixColumnHeaders[hd.Key]:
			hd.How = ColumnFix
		case chosen && ok && choice == field:
			hd.Field, hd.How = field, ColumnRecognised // the page sends every column's field back
		case chosen && (choice == IgnoreColumn || IsImportField(choice)):
			hd.Field, hd.How = choice, ColumnChosen
		case ok:
			hd.Field, hd.How = field, ColumnRecognised
		case hd.Key == "":
			hd.How = ColumnBlank
		case known && (remembered == IgnoreColumn || IsImportField(remembered)):
			hd.Field, hd.How = remembered, ColumnRemembered
		default:
			hd.How = ColumnUnmapped
		}
		if hd.Field == IgnoreColumn {
			hd.Field, hd.How = "", ColumnIgnored
		}
	}
}

// unmappedProblems refuses the file while a column with a header has no
// field and was not ignored explicitly: nothing is dropped silently.
func (p *importParser) unmappedProblems() {
	for _, hd := range p.file.Headers {
		if hd.How == ColumnUnmapped {
			p.file.Add(1, "", "import.column_unmapped", hd.Letter+" «"+hd.Header+"»")
		}
	}
}

// unnamedValue refuses a value in a column without a header that the
// coordinator did not map or ignore, once per column.
func (p *importParser) unnamedValue(i int) {
	if p.unnamed == nil {
		p.unnamed = map[int]bool{}
	}
	if !p.unnamed[i] {
		p.unnamed[i] = true
		p.file.Add(1, "", "import.column_unnamed", columnLetter(i))
	}
}

// sample keeps the first data rows as read, for the preview.
func (p *importParser) sample(row int, record []string) {
	if len(p.file.Sample) >= importSampleRows {
		return
	}
	cells := make([]string, len(p.file.Headers))
	for i := range cells {
		if i < len(record) {
			cells[i] = Visible(record[i])
		}
	}
	p.file.Sample = append(p.file.Sample, ImportSample{Row: row, Cells: cells})
}

// joinNames puts a first and a last name read from two columns into the
// full name of their script (Arabic letters: the Arabic name), unless the
// file gave that full name in a column of its own.
func joinNames(t *Trainee, first, last string) {
	full := strings.TrimSpace(first + " " + last)
	if full == "" {
		return
	}
	target := &t.FullNameLatin
	if strings.ContainsFunc(full, isArabicLetter) {
		target = &t.FullNameAr
	}
	if *target == nil {
		*target = &full
	}
}

// TwoDigitYearPivot is the last two-digit year read as 20yy in a date of
// birth (d-m-yy): this year's; a later one is 19yy, since no one is born in
// the future. In 2026: 00–26 are 2000–2026, 27–99 are 1927–1999.
func TwoDigitYearPivot(now time.Time) int { return now.Year() % 100 }

// Text dates of birth: d/m/yyyy (or m/d/yyyy: the year is the same),
// yyyy-m-d, d-m-yy, with -, / or . between, and a time after (as a CSV
// saved from a date cell may have).
var (
	dayMonthYear = regexp.MustCompile(`^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$`)
	yearMonthDay = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$`)
)

// dayMonthNameYear is a date with the month in words, as Excel's "d-mmm-yy"
// writes it into a CSV ("15-Mar-84", "15 mars 1984", "15 مارس 1984").
var dayMonthNameYear = regexp.MustCompile(`^(\d{1,2})[-/. ]+([\pL]+)\.?[-/. ]+(\d{4}|\d{2})$`)

// monthNames are the months in English, French and Arabic (Moroccan and
// Mashriq names), full and abbreviated, folded.
var monthNames = foldedMap(map[int][]string{
	1:  {"jan", "january", "janv", "janvier", "يناير", "كانون الثاني"},
	2:  {"feb", "february", "fév", "févr", "février", "fevrier", "فبراير", "شباط"},
	3:  {"mar", "march", "mars", "مارس", "آذار"},
	4:  {"apr", "april", "avr", "avril", "أبريل", "ابريل", "نيسان"},
	5:  {"may", "mai", "ماي", "مايو", "أيار"},
	6:  {"jun", "june", "juin", "يونيو", "حزيران"},
	7:  {"jul", "july", "juil", "juillet", "يوليوز", "يوليو", "تموز"},
	8:  {"aug", "august", "août", "aout", "غشت", "أغسطس", "آب"},
	9:  {"sep", "sept", "september", "septembre", "شتنبر", "سبتمبر", "أيلول"},
	10: {"oct", "october", "octobre", "أكتوبر", "اكتوبر", "تشرين الأول"},
	11: {"nov", "november", "novembre", "نونبر", "نوفمبر", "تشرين الثاني"},
	12: {"dec", "december", "déc", "décembre", "دجنبر", "ديسمبر", "كانون الأول"},
})

// birthYearOf reads a birth year: "2008", "2008.0" (a number cell), or a
// date of birth as text. Two-digit years follow TwoDigitYearPivot.
func birthYearOf(value string, now time.Time) (int, bool) {
	if year, err := strconv.Atoi(strings.TrimSuffix(value, ".0")); err == nil {
		return year, true
	}
	if m := dayMonthNameYear.FindStringSubmatch(value); m != nil {
		if _, known := monthNames[foldLabel(m[2])]; !known || !validDayMonth(m[1], "1") {
			return 0, false
		}
		return fullYear(m[3], now), true
	}
	if m := yearMonthDay.FindStringSubmatch(value); m != nil {
		year, _ := strconv.Atoi(m[1])
		return year, validDayMonth(m[3], m[2])
	}
	m := dayMonthYear.FindStringSubmatch(value)
	if m == nil || !(validDayMonth(m[1], m[2]) || validDayMonth(m[2], m[1])) {
		return 0, false
	}
	return fullYear(m[3], now), true
}

// fullYear reads a year of four digits, or of two by TwoDigitYearPivot.
func fullYear(digits string, now time.Time) int {
	year, _ := strconv.Atoi(digits)
	if len(digits) == 2 {
		year += 1900
		if year%100 <= TwoDigitYearPivot(now) {
			year += 100
		}
	}
	return year
}

func validDayMonth(day, month string) bool {
	d, _ := strconv.Atoi(day)
	m, _ := strconv.Atoi(month)
	return d >= 1 && d <= 31 && m >= 1 && m <= 12
}

// Excel keeps a date as a number of days (a serial) and shows it through
// the cell's format, built-in or custom; a birth year between these years
// is a year, any other number in a birth column is a date.
const (
	minBirthYearNumber = 1900
	maxBirthYearNumber = 2100
	maxExcelSerial     = 2958465 // 9999-12-31
)

// excelDateCell turns a date cell of the birth column, read as its stored
// number, into the date it stands for (yyyy-mm-dd), in the workbook's date
// system (1900 or 1904); any other value is returned as it is.
func excelDateCell(raw string, date1904 bool) string {
	serial, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || serial < 1 || serial > maxExcelSerial ||
		(serial == float64(int(serial)) && serial >= minBirthYearNumber && serial <= maxBirthYearNumber) {
		return raw
	}
	date, err := excelize.ExcelDateToTime(serial, date1904)
	if err != nil {
		return raw
	}
	return date.Format("2006-01-02")
}
