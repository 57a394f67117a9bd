package domain

import (
	"bytes"
	"encoding/csv"
	"errors"
	"hash/fnv"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// This file reads a participant list that a coordinator made in Excel (CSV
// or XLSX, Arabic, French or English headers) into trainees, and lists
// every problem as (row, column, message key) so that the preview can show
// all of them at once. It needs no database: the store resolves
// organisations and provinces and writes the rows (repository/imports.go).

// Import limits: beyond them the file is refused with a message that says so.
const (
	MaxImportBytes = 10 << 20
	MaxImportRows  = 100_000
)

// ImportProblem is one thing to fix: the row as Excel numbers it (the header
// is row 1; 0 for the whole file), the canonical column ("" for the whole
// row or file), a message key and its parameter ({{.Param}} in the message).
type ImportProblem struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Key    string `json:"key"`
	Param  string `json:"param,omitempty"`
}

// ImportRow is one valid row of the file. Trainee.Province holds the
// province as written (a code or a name) and OrganisationID is nil: the
// store resolves Organisation (an id, a registration number or a name).
type ImportRow struct {
	Row          int
	Trainee      Trainee
	Organisation string
}

// ImportFile is a parsed participant list: the rows without problems, and
// the problems of the others.
type ImportFile struct {
	Rows     []ImportRow
	Problems []ImportProblem
	Columns  []string // canonical columns found, in file order
	Ignored  []string // headers kept out of the import by the coordinator's choice

	// What the preview shows of the file as it was read (importwizard.go).
	Format    string         // "csv" or "xlsx"
	Encoding  string         // a CSV file's encoding (Encoding…), "" for XLSX
	Separator string         // a CSV file's separator
	Date1904  bool           // an XLSX workbook in the 1904 date system
	Pivot     int            // TwoDigitYearPivot of the dates read
	Headers   []ImportHeader // every column of the file, with its field
	Sample    []ImportSample // the first data rows, as read
}

// ImportError refuses a file: nothing was written, and Problems says what
// to fix, row by row. The HTTP layer answers it with 422 and the list.
type ImportError struct {
	Problems []ImportProblem
}

func (e *ImportError) Error() string {
	return "import refused: " + strconv.Itoa(len(e.Problems)) + " problem(s), first " + e.Problems[0].Key
}

// Add records a problem.
func (f *ImportFile) Add(row int, column, key, param string) {
	f.Problems = append(f.Problems, ImportProblem{Row: row, Column: column, Key: key, Param: param})
}

// Err is an *ImportError listing the problems sorted by row, nil if none.
func (f *ImportFile) Err() error {
	if len(f.Problems) == 0 {
		return nil
	}
	SortImportProblems(f.Problems)
	return &ImportError{Problems: f.Problems}
}

// SortImportProblems orders problems by row, then column order in a file.
func SortImportProblems(ps []ImportProblem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Row != ps[j].Row {
			return ps[i].Row < ps[j].Row
		}
		return columnRank[ps[i].Column] < columnRank[ps[j].Column]
	})
}

// ImportColumns are the canonical columns of a participant list.
var ImportColumns = []string{"category", "full_name_ar", "full_name_latin", "sex", "birth_year",
	"organisation", "province", "phone", "email", "national_id", "guardian_consent"}

var columnRank = func() map[string]int {
	m := map[string]int{}
	for i, c := range ImportColumns {
		m[c] = i + 1
	}
	return m
}()

// ParseImport reads a participant list from r. The format is recognised
// from the content (an XLSX file is a zip), not trusted from the name. It
// never returns nil: a file that cannot be read at all has one problem on
// row 0 saying why.
func ParseImport(r io.Reader, filename string) *ImportFile {
	return ParseImportWith(r, filename, ImportSettings{})
}

// ParseImportWith is ParseImport with the coordinator's choices for the
// columns (the import wizard's second look at a file).
func ParseImportWith(r io.Reader, filename string, settings ImportSettings) *ImportFile {
	if settings.Now.IsZero() {
		settings.Now = time.Now()
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		f := &ImportFile{Pivot: TwoDigitYearPivot(settings.Now)}
		f.Add(0, "", "import.unreadable", "")
		return f
	}
	return ParseImportBytes(data, filename, settings)
}

// ParseImportBytes is ParseImportWith on a file already in memory (an
// upload, a draft): it reads data where it is, without a copy — 10 MB,
// twice that while io.ReadAll grows its buffer, for a file at the limit.
// data is only read.
func ParseImportBytes(data []byte, filename string, settings ImportSettings) *ImportFile {
	if settings.Now.IsZero() {
		settings.Now = time.Now()
	}
	f := &ImportFile{Pivot: TwoDigitYearPivot(settings.Now)}
	if len(data) > MaxImportBytes {
		f.Add(0, "", "import.file_too_large", "10 MB")
		return f
	}
	p := &importParser{file: f, now: settings.Now, settings: settings, nationalIDs: map[string]int{}, identical: map[rowDigest]int{}}
	if settings.Rows > 0 {
		f.Rows = make([]ImportRow, 0, min(settings.Rows, MaxImportRows))
	}
	switch kind := sniff(data, filename); kind {
	case "xlsx":
		f.Format = "xlsx"
		p.readXLSX(data)
	case "csv":
		f.Format = "csv"
		p.readCSV(data)
	default:
		f.Add(0, "", kind, "")
	}
	p.readPending()
	switch {
	case len(f.Problems) > 0:
	case p.columns == nil:
		f.Add(0, "", "import.file_empty", "")
	case len(f.Rows) == 0:
		f.Add(0, "", "import.no_data_rows", "")
	}
	SortImportProblems(f.Problems)
	return f
}

var utf8BOMBytes = []byte("\xef\xbb\xbf")

// sniff says how to read data: "xlsx", "csv", or the message key of a file
// we cannot read.
func sniff(data []byte, filename string) string {
	text := bytes.TrimPrefix(data, utf8BOMBytes)
	switch {
	case len(bytes.TrimSpace(text)) == 0:
		return "import.file_empty"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "xlsx"
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return "import.xls_not_supported" // Excel 97-2003 .xls
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		return "csv" // Excel's "Unicode text": UTF-16, decoded by readCSV
	case strings.EqualFold(filepath.Ext(filename), ".xlsx"):
		return "import.xlsx_unreadable"
	case looksBinary(text):
		return "import.binary_file"
	}
	return "csv"
}

// looksBinary reports control characters that no spreadsheet text holds:
// a NUL byte, or more than 1% of other control bytes.
func looksBinary(b []byte) bool {
	if len(b) > 8192 {
		b = b[:8192]
	}
	controls := 0
	for _, c := range b {
		if c == 0 {
			return true
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			controls++
		}
	}
	return controls*100 > len(b)
}

// importParser turns records into rows; records arrive from CSV or XLSX.
type importParser struct {
	file          *ImportFile
	now           time.Time
	settings      ImportSettings
	unnamed       map[int]bool // columns without a header already reported for a value
	headerRefused bool         // the header has problems: rows are only sampled
	date1904      bool
	columns       []string // canonical column of each header cell, "" if ignored
	nationalIDs   map[string]int
	identical     map[rowDigest]int // the rows read so far, by their digest
	dataRows      int
	pending       []pendingRow // data rows waiting to be read (readPending)
	// onRecord, when set, receives every record instead (ImportRecords).
	onRecord func(row int, record []string) bool
	sep      rune // the CSV's separator, once read
}

// readCSV decodes a CSV file (UTF-8 with or without BOM, UTF-16,
// Windows-1256 or Windows-1252: decodeText; comma, semicolon or tab
// separated, CRLF or LF).
func (p *importParser) readCSV(data []byte) {
	data, encoding, ok := decodeText(data)
	if !ok {
		p.file.Add(0, "", "import.encoding_unknown", "")
		return
	}
	p.file.Encoding = encoding
	sep := detectSeparator(&data)
	if sep == 0 {
		sep = separatorOf(data)
	}
	p.file.Separator = string(sep)
	p.sep = sep
	limiter := newFieldLimiter(bytes.NewReader(data), sep)
	r := csv.NewReader(limiter)
	r.Comma = sep
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	row, nextLine := 0, 1
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if errors.Is(err, errTooManyColumns) {
			p.file.Add(limiter.row, "", "import.too_many_columns", strconv.Itoa(MaxImportColumns))
			return
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			p.file.Add(row+1+(perr.StartLine-nextLine), "", "import.csv_malformed", strconv.Itoa(perr.Line))
			return
		}
		if err != nil {
			p.file.Add(0, "", "import.csv_malformed", "")
			return
		}
		// Excel numbers blank lines too (encoding/csv skips them), and a
		// quoted line break keeps one row over several lines.
		start, _ := r.FieldPos(0)
		row += 1 + start - nextLine
		nextLine = start + 1
		for _, field := range record {
			nextLine += strings.Count(field, "\n")
		}
		if !p.record(row, record) {
			return
		}
	}
}

// separatorOf picks, on the header line, the most frequent of comma,
// semicolon and tab outside quotes: French Excel writes semicolons. It looks
// at the first 64 KiB only, which holds any header of MaxImportColumns.
func separatorOf(data []byte) rune {
	if len(data) > 64<<10 {
		data = data[:64<<10]
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(data) {
		if c == '"' {
			quoted = !quoted
		}
		if !quoted && (c == '\n' || c == '\r') {
			break
		}
		if !quoted {
			counts[c]++
		}
	}
	best := ','
	for _, sep := range []rune{';', '\t'} {
		if counts[sep] > counts[best] {
			best = sep
		}
	}
	return best
}

// detectSeparator drops Excel's optional "sep=;" first line and returns the
// separator it names, or 0.
func detectSeparator(data *[]byte) rune {
	line, rest, found := bytes.Cut(*data, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if !found || len(line) != 5 || !bytes.HasPrefix(bytes.ToLower(line), []byte("sep=")) ||
		!strings.ContainsRune(",;\t|", rune(line[4])) {
		return 0
	}
	*data = rest
	return rune(line[4])
}

// guessEncoding names the encoding of a file that is not UTF-8, for a
// message that tells the coordinator what to do ("save as CSV UTF-8"), and
// the line of the first byte that is not UTF-8. Windows-1256 keeps French
// accented letters where Latin-1 has them, so the text decides: mostly
// Arabic letters once decoded as Windows-1256 means Windows-1256.
func guessEncoding(data []byte) (string, int) {
	valid := data
	for len(valid) > 0 {
		r, size := utf8.DecodeRune(valid)
		if r == utf8.RuneError && size <= 1 {
			break
		}
		valid = valid[size:]
	}
	line := 1 + bytes.Count(data[:len(data)-len(valid)], []byte("\n"))
	decoded, err := charmap.Windows1256.NewDecoder().Bytes(data)
	if err != nil {
		return "import.encoding_invalid", line
	}
	arabic, latin := 0, 0
	for _, r := range string(decoded) {
		switch {
		case unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r):
			arabic++
		case r >= 0xC0 && r <= 0xFF:
			latin++
		}
	}
	if arabic > latin {
		return "import.encoding_windows_1256", line
	}
	return "import.encoding_latin1", line
}

// readXLSX reads the first sheet of a workbook, streaming its rows, once
// keepSheetParts has checked what the file unpacks to and dropped the parts
// it does not need.
func (p *importParser) readXLSX(data []byte) {
	data, err := keepSheetParts(data)
	var limit *importLimit
	switch {
	case errors.As(err, &limit):
		p.file.Add(0, "", limit.key, limit.param)
		return
	case errors.Is(err, errNoSheet):
		p.file.Add(0, "", "import.file_empty", "")
		return
	case err != nil:
		p.file.Add(0, "", "import.xlsx_unreadable", "")
		return
	}
	book, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxXLSXTotalBytes,
		UnzipXMLSizeLimit: xlsxInMemoryBytes,
	})
	if err != nil {
		p.file.Add(0, "", "import.xlsx_unreadable", "")
		return
	}
	defer book.Close()
	if props, err := book.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		p.date1904 = *props.Date1904
		p.file.Date1904 = p.date1904
	}
	sheets := book.GetSheetList()
	if len(sheets) == 0 {
		p.file.Add(0, "", "import.file_empty", "")
		return
	}
	rows, err := book.Rows(sheets[0])
	if err != nil {
		p.file.Add(0, "", "import.xlsx_unreadable", "")
		return
	}
	defer rows.Close()
	for row := 1; rows.Next(); row++ {
		// The stored values, not the displayed ones: a date is its serial
		// number whatever format shows it ("03/15/84", "15 mars 1984"),
		// read in the workbook's date system; a phone typed as a number
		// is its digits.
		record, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			p.file.Add(row, "", "import.xlsx_unreadable", "")
			return
		}
		p.readDates(record)
		if !p.record(row, record) {
			return
		}
	}
	if rows.Error() != nil {
		p.file.Add(0, "", "import.xlsx_unreadable", "")
	}
}

// record handles one record: the header first, then data rows. It returns
// false when reading must stop.
func (p *importParser) record(row int, record []string) bool {
	if p.onRecord != nil {
		return p.onRecord(row, record)
	}
	if usedColumns(record) > MaxImportColumns {
		p.readPending() // the rows before keep their problems
		p.file.Add(row, "", "import.too_many_columns", strconv.Itoa(MaxImportColumns))
		p.file.Rows = nil
		return false
	}
	if p.columns == nil {
		if blank(record) {
			return true // blank rows above the header
		}
		// A header with problems still lets the rows be shown (the preview,
		// where a column may be mapped), not read.
		p.headerRefused = !p.header(record)
		return true
	}
	if blank(record) {
		return true // Excel leaves empty rows (";;;;") at the end
	}
	p.dataRows++
	if p.dataRows > MaxImportRows {
		p.readPending() // the rows before keep their problems
		p.file.Add(row, "", "import.too_many_rows", strconv.Itoa(MaxImportRows))
		p.file.Rows = nil
		return false
	}
	p.sample(row, record)
	if !p.headerRefused {
		// (A copy: the CSV reader reuses its record.)
		p.pending = append(p.pending, pendingRow{row: row, record: slices.Clone(record)})
		if len(p.pending) == rowBatch {
			p.readPending()
		}
	}
	return true
}

// rowBatch is how many data rows are read at once, by every core
// (readPending): reading a row (text hygiene, validation, name folding) is
// nine tenths of reading a list, and each row is read on its own.
const rowBatch = 1024

type pendingRow struct {
	row    int
	record []string
}

// readPending reads the pending data rows on every core, then keeps them
// in their order in the file (keepRow): the rows, their problems and the
// checks against the rows before them are what reading them one by one
// gives.
func (p *importParser) readPending() {
	rows := make([]rowRead, len(p.pending))
	workers := min(runtime.GOMAXPROCS(0), (len(p.pending)+63)/64)
	var wg sync.WaitGroup
	panics := make([]any, workers)
	for w := range workers {
		wg.Go(func() {
			// A panic on a worker would end the process: it is raised
			// again on the reading goroutine, where the request's recovery
			// answers it as before.
			defer func() { panics[w] = recover() }()
			for i := w; i < len(p.pending); i += workers {
				rows[i] = p.readRow(p.pending[i].row, p.pending[i].record)
			}
		})
	}
	wg.Wait()
	for _, v := range panics {
		if v != nil {
			panic(v)
		}
	}
	for i := range rows {
		p.keepRow(&rows[i])
	}
	p.pending = p.pending[:0]
}

func blank(record []string) bool {
	for _, v := range record {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// header maps each header cell to a field (headerFields: recognised,
// chosen or remembered), and checks that the required ones are there, none
// is there twice, and no named column is left without a choice.
func (p *importParser) header(record []string) bool {
	p.headerFields(record)
	p.columns = make([]string, len(record))
	seen := map[string]bool{}
	for i, hd := range p.file.Headers {
		switch {
		case hd.How == ColumnIgnored:
			p.file.Ignored = append(p.file.Ignored, hd.Header)
			continue
		case hd.Field == "":
			continue
		case seen[hd.Field]:
			p.file.Add(1, hd.Field, "import.column_duplicate", hd.Header)
			continue
		}
		seen[hd.Field] = true
		p.columns[i] = hd.Field
		p.file.Columns = append(p.file.Columns, hd.Field)
	}
	p.unmappedProblems()
	for _, required := range []string{"category", "sex"} {
		if !seen[required] {
			p.file.Add(1, required, "import.column_missing", "")
		}
	}
	if !seen["full_name_ar"] && !seen["full_name_latin"] && !seen["first_name"] && !seen["last_name"] {
		p.file.Add(1, "full_name_ar", "import.column_missing_name", "")
	}
	return len(p.file.Problems) == 0
}

// readDates turns the stored numbers of the birth column's date cells into
// dates (XLSX only; a CSV holds text).
func (p *importParser) readDates(record []string) {
	for i, column := range p.columns {
		if column == "birth_year" && i < len(record) {
			record[i] = excelDateCell(record[i], p.date1904)
		}
	}
}

// placeholderOrganisation stands for "an organisation was named" while the
// row is validated without a database; the store puts the real id.
var placeholderOrganisation int64 = -1

// rowRead is one data row as readRow read it, for keepRow.
type rowRead struct {
	row          int
	trainee      Trainee
	organisation string
	digest       rowDigest       // of its values, for checkDuplicates
	notes        []rowNote       // for the file, in the order found
	bad          map[string]bool // the columns with a problem: one each
}

// rowNote is a problem of the row, or a value in a column without a header.
type rowNote struct {
	problem       ImportProblem
	unnamedColumn int // the column's index when unnamed
	unnamed       bool
}

func (r *rowRead) problem(column, key, param string) {
	if r.firstProblemIn(column) {
		r.notes = append(r.notes, rowNote{problem: ImportProblem{Row: r.row, Column: column, Key: key, Param: param}})
	}
}

// firstProblemIn marks column as having a problem, reporting whether it
// is its first: a column of a row has one problem at most.
func (r *rowRead) firstProblemIn(column string) bool {
	if r.bad[column] {
		return false
	}
	if r.bad == nil {
		r.bad = map[string]bool{}
	}
	r.bad[column] = true
	return true
}

// readRow reads one row into a trainee and validates it as the domain
// does. It reads the parser's columns and clock only: rows are read
// several at once (readPending).
func (p *importParser) readRow(row int, record []string) rowRead {
	r := rowRead{row: row}
	t := &r.trainee
	var first, last string
	for i, raw := range record {
		if i >= len(p.columns) || p.columns[i] == "" {
			if i < len(p.file.Headers) && p.file.Headers[i].How == ColumnBlank && strings.TrimSpace(raw) != "" {
				r.notes = append(r.notes, rowNote{unnamedColumn: i, unnamed: true})
			}
			continue
		}
		value := cleanCell(p.columns[i], raw, r.problem) // text hygiene, as for a form field (text.go)
		if value == "" {
			continue
		}
		switch column := p.columns[i]; column {
		case "first_name":
			first = value
		case "last_name":
			last = value
		case "category":
			if t.Category = categoryWords[foldLabel(value)]; t.Category == "" {
				r.problem(column, "import.category_unknown", value)
			}
		case "sex":
			if t.Sex = sexWords[foldLabel(value)]; t.Sex == "" {
				r.problem(column, "import.sex_unknown", value)
			}
		case "full_name_ar":
			t.FullNameAr = &value
		case "full_name_latin":
			t.FullNameLatin = &value
		case "birth_year":
			if year, ok := birthYearOf(value, p.now); ok {
				t.BirthYear = &year
			} else {
				r.problem(column, "import.not_a_year", value)
			}
		case "organisation":
			r.organisation = value
		case "province":
			t.Province = &value
		case "phone":
			t.Phone = restoreLeadingZero(strings.Clone(value)) // kept: not a slice of the whole line (national_id)
		case "email":
			t.Email = &value
		case "national_id":
			// A copy: the cleaned value may be a slice of the line the CSV
			// reader read, which would keep the whole line alive with the
			// row (9 MB of lines for 100,000 rows).
			id := strings.Clone(value)
			t.NationalID = &id
		case "guardian_consent":
			consent, ok := consentWords[foldLabel(value)]
			if !ok {
				r.problem(column, "import.consent_unknown", value)
			}
			t.GuardianConsent = consent
		}
	}
	joinNames(t, first, last)
	if r.organisation != "" {
		t.OrganisationID = &placeholderOrganisation
	}
	if v, ok := AsValidation(t.Validate(p.now)); ok {
		for _, field := range sortedFields(v.Fields) {
			column := field
			if field == "organisation_id" {
				column = "organisation"
			}
			r.problem(column, v.Fields[field].Key, v.Fields[field].Param)
		}
	}
	t.OrganisationID = nil
	r.digest = digestOfRow(t, r.organisation)
	return r
}

// keepRow adds a row read to the file, with its problems, once checked
// against the rows before it.
func (p *importParser) keepRow(r *rowRead) {
	for _, n := range r.notes {
		if n.unnamed {
			p.unnamedValue(n.unnamedColumn)
		} else {
			p.file.Problems = append(p.file.Problems, n.problem)
		}
	}
	p.checkDuplicates(r.row, &r.trainee, r.digest, func(column, key, param string) {
		if r.firstProblemIn(column) {
			p.file.Add(r.row, column, key, param)
		}
	})
	if len(r.bad) == 0 {
		p.file.Rows = append(p.file.Rows, ImportRow{Row: r.row, Trainee: r.trainee, Organisation: r.organisation})
	}
}

// rowDigest stands for a row's values in the map of the rows read: 16 bytes
// where the values joined were 100 or more, kept for every row until the
// file is read (15 MB of the parser's 50 for 100,000 rows, keys and map).
// Two different rows share a digest with a chance of about 10⁻²⁹ in a list
// at the limit.
type rowDigest [16]byte

// digestOf is the FNV-128a digest of values, each ended by a unit
// separator (which the cleaned text never holds) so that ("ab", "c") and
// ("a", "bc") differ.
func digestOf(values ...string) rowDigest {
	h := fnv.New128a()
	for _, v := range values {
		_, _ = io.WriteString(h, v)
		_, _ = h.Write([]byte{0x1f})
	}
	var d rowDigest
	h.Sum(d[:0])
	return d
}

// digestOfRow is the digest of a row's values, read (checkDuplicates).
func digestOfRow(t *Trainee, organisation string) rowDigest {
	return digestOf(string(t.Category), deref(t.FullNameAr), deref(t.FullNameLatin), string(t.Sex),
		intText(t.BirthYear), foldLabel(organisation), strings.ToLower(deref(t.Province)), deref(t.Phone),
		deref(t.Email), deref(t.NationalID), strconv.FormatBool(t.GuardianConsent))
}

// checkDuplicates refuses a row identical to an earlier one, or with the
// national ID of an earlier one: the same person twice in one list.
func (p *importParser) checkDuplicates(row int, t *Trainee, key rowDigest, problem func(string, string, string)) {
	if first, seen := p.identical[key]; seen {
		problem("", "import.duplicate_row", strconv.Itoa(first))
		return
	}
	p.identical[key] = row
	if t.NationalID == nil {
		return
	}
	if first, seen := p.nationalIDs[*t.NationalID]; seen {
		problem("national_id", "import.duplicate_national_id", strconv.Itoa(first))
		return
	}
	p.nationalIDs[*t.NationalID] = row
}

// restoreLeadingZero puts back the 0 that Excel drops when a Moroccan
// number (06…, 07…, 05…) is typed into a number cell: 612345678 is
// 0612345678.
func restoreLeadingZero(phone string) *string {
	if len(phone) == 9 && strings.IndexFunc(phone, func(r rune) bool { return r < '0' || r > '9' }) == -1 &&
		strings.ContainsRune("5678", rune(phone[0])) {
		phone = "0" + phone
	}
	return &phone
}

func sortedFields(fields map[string]Problem) []string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func intText(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// foldLabel compares headers and words as people type them: case, accents,
// Arabic letter variants and punctuation do not matter.
func foldLabel(s string) string {
	return strings.Join(strings.FieldsFunc(SearchKey(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	}), " ")
}

// foldedMap builds a lookup from words, folded, to what they mean.
func foldedMap[V comparable](words map[V][]string) map[string]V {
	m := map[string]V{}
	for value, list := range words {
		for _, w := range list {
			m[foldLabel(w)] = value
		}
	}
	return m
}

// headerAliases accepts the headers coordinators write in Arabic, French and
// English, and the headers of our own exports, so that an exported file can
// be imported back.
var headerAliases = foldedMap(map[string][]string{
	"category": {"category", "categorie", "catégorie", "type de participant", "participant category",
		"الفئة", "فئة", "فئة المستفيد", "فئة المشارك"},
	"full_name_ar": {"full_name_ar", "name ar", "arabic name", "name (arabic)", "full name (arabic)",
		"nom arabe", "nom (arabe)", "nom en arabe", "nom complet en arabe", "nom complet (arabe)",
		"الاسم الكامل", "الاسم الكامل بالعربية", "الاسم بالعربية", "الاسم والنسب", "الاسم و النسب", "الاسم العائلي والشخصي"},
	"full_name_latin": {"full_name_latin", "full name", "name", "latin name", "name (latin)", "full name (latin)",
		"nom", "nom complet", "nom et prénom", "nom prénom", "prénom et nom", "nom (latin)", "nom latin",
		"nom en latin", "nom en français", "nom complet (latin)",
		"الاسم الكامل بالحروف اللاتينية", "الاسم باللاتينية", "الاسم بالفرنسية", "الاسم بالحروف اللاتينية"},
	"sex": {"sex", "gender", "sexe", "genre", "الجنس", "النوع"},
	"birth_year": {"birth_year", "birth year", "year of birth", "année de naissance", "annee naissance",
		"سنة الازدياد", "سنة الولادة", "سنة الميلاد",
		// A date of birth gives the year (birthYearOf, excelDateCell).
		"date of birth", "birth date", "birthdate", "date de naissance", "date naissance", "né le", "née le",
		"né(e) le", "ddn", "تاريخ الازدياد", "تاريخ الولادة", "تاريخ الميلاد", "تاريخ و مكان الازدياد"},
	// Two columns for one name: joined into the full name (joinNames). "Nom"
	// and "Name" beside a first name are the last name, "الاسم" beside
	// "النسب" the first name (headerFields).
	"first_name": {"first_name", "first name", "given name", "forename", "prénom", "prenom", "prénoms",
		"الاسم الشخصي"},
	"last_name": {"last_name", "last name", "surname", "family name", "nom de famille", "nom de naissance",
		"النسب", "الاسم العائلي", "اللقب"},
	"organisation": {"organisation", "organization", "organisation id", "organisme", "établissement", "structure",
		"institution/association", "institution ou association",
		"المؤسسة", "الجمعية", "الهيئة", "المؤسسة أو الجمعية", "المؤسسة/الجمعية"},
	"province": {"province", "préfecture", "province/préfecture", "préfecture/province", "province code",
		"الإقليم", "العمالة", "العمالة أو الإقليم", "العمالة/الإقليم"},
	"phone": {"phone", "phone number", "telephone", "téléphone", "tél", "tel", "n° tél", "n° de téléphone",
		"numéro de téléphone", "gsm", "mobile", "الهاتف", "رقم الهاتف", "الهاتف المحمول", "رقم الجوال"},
	"email": {"email", "e-mail", "courriel", "adresse email", "adresse e-mail", "adresse électronique",
		"البريد الإلكتروني"},
	"national_id": {"national_id", "national id", "cin", "cnie", "n° cin", "n° cnie", "numéro cin", "numéro de cin",
		"carte nationale", "numéro de la carte nationale", "رقم البطاقة الوطنية", "البطاقة الوطنية", "رقم البطاقة",
		"بطاقة التعريف الوطنية", "رقم بطاقة التعريف الوطنية", "ب.ت.و", "رقم ب.ت.و"},
	"guardian_consent": {"guardian_consent", "guardian consent", "consent", "parental consent", "consentement",
		"consentement du tuteur", "autorisation parentale", "موافقة الولي", "إذن الولي", "موافقة ولي الأمر"},
})

// categoryWords accepts a category by its key or its name in three languages
// (the names of our exports among them).
var categoryWords = foldedMap(map[Category][]string{
	InstitutionalActor: {"institutional_actor", "institutional actor", "institutional", "acteur institutionnel",
		"institutionnel", "فاعل مؤسساتي", "مؤسساتي"},
	AssociativeActor: {"associative_actor", "associative actor", "associative", "acteur associatif", "associatif",
		"فاعل جمعوي", "جمعوي"},
	ChildParliamentarian: {"child_parliamentarian", "child parliamentarian", "child", "enfant parlementaire",
		"enfant", "طفل برلماني", "طفلة برلمانية", "برلماني طفل", "برلمان الطفل"},
})

var sexWords = foldedMap(map[Sex][]string{
	Female: {"female", "f", "woman", "femme", "féminin", "أنثى", "انثى"},
	Male:   {"male", "m", "man", "homme", "h", "masculin", "ذكر"},
})

var consentWords = foldedMap(map[bool][]string{
	true:  {"yes", "y", "true", "1", "oui", "o", "x", "نعم"},
	false: {"no", "n", "false", "0", "non", "لا"},
})
