package domain

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// This file writes tables (the attendance exports, the course matrix) as CSV
// and XLSX. It knows nothing of SQL: the store streams rows into a
// TableWriter one by one, so an export of any size takes constant memory.
//
// File formats live in domain (not in repository) because they are pure
// transformations that tests and fuzzers exercise without a database.

// Format is the file format of an export.
type Format string

// The export formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Valid reports whether f is a known format.
func (f Format) Valid() bool { return f == CSV || f == XLSX }

// ContentType is the MIME type to send with a file of format f.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// ColumnKind says how a column's values are written.
type ColumnKind int

// Column kinds. Text is guarded against formula injection; the other kinds
// are produced by us, never typed by a user.
const (
	Text     ColumnKind = iota
	Integer             // int64 ids and counts
	DateTime            // time.Time, shown in Africa/Casablanca
	Percent             // float64 fraction 0..1
	// Phone is text made of digits: a spreadsheet must never read it as a
	// number (the leading 0 would go). CSV writes it in pairs of digits,
	// as people write a Moroccan number ("06 12 34 56 78"), which no
	// spreadsheet reads as a number; XLSX types the column as text.
	Phone
)

// Column is one column of an exported table: a stable machine key (the
// header with ?header=keys, and the suffix of its message key), its kind,
// and its width in XLSX.
type Column struct {
	Key   string
	Kind  ColumnKind
	Width float64
	// Label, when set, is the header text as is (a session's date in the
	// matrix); otherwise the header is the translation of "export.col.<Key>".
	Label string
}

// ExportOptions says how a table is written for one user.
type ExportOptions struct {
	Format Format
	// Lang is ar, fr or en: Arabic turns the XLSX sheet right to left and
	// picks Arabic titles and names where the data has both.
	Lang string
	// Keys writes machine keys for headers and values (?header=keys), for
	// scripts; otherwise T translates them.
	Keys bool
	// T translates a message key (from views/locales/exports.<lang>.json)
	// into the user's language. Nil behaves like Keys.
	T func(key string) string
	// Semicolon separates CSV fields with ';', which French-locale Excel
	// expects when a file is opened by a double click. Default: RFC 4180 ','.
	Semicolon bool
	// Sheet names the XLSX sheet (in the user's language); "" is "Sheet1".
	Sheet string
	// NationalID and Phone add the trainee's CIN and phone after the names
	// (people exports, for coordinators only: the handler checks, and audits).
	NationalID, Phone bool
}

// machine reports whether headers and values are written as machine keys.
func (o ExportOptions) machine() bool { return o.Keys || o.T == nil }

// Header is the header text of column c.
func (o ExportOptions) Header(c Column) string {
	switch {
	case c.Label != "":
		return c.Label
	case o.machine():
		return c.Key
	}
	return o.T("export.col." + c.Key)
}

// Value translates an enumerated value (a category, a sex, a status) whose
// message key is "export.<group>.<value>"; empty stays empty.
func (o ExportOptions) Value(group, value string) string {
	if value == "" || o.machine() {
		return value
	}
	return o.T("export." + group + "." + value)
}

// TableWriter receives a table row by row.
type TableWriter interface {
	// WriteCells writes one row, a cell per column. The exports of many
	// rows use it: typed cells are written without boxing each value in an
	// interface (a third of an export's allocations).
	WriteCells(cells []TableCell) error
	// WriteRow writes one row of values, by column kind: string (Text),
	// int64 (Integer), time.Time (DateTime), float64 (Percent), or nil for
	// an empty cell. It is WriteCells for small tables.
	WriteRow(values []any) error
	// Close finishes the file; nothing may be written after it.
	Close() error
	// Abort gives up a file that failed half-way, releasing what it holds
	// (an XLSX's temporary files) without finishing it.
	Abort()
}

// TableCell is one value of a row: text, an integer, a date-time, a number, or
// nothing (the zero TableCell, an empty cell).
type TableCell struct {
	kind cellKind
	text string
	n    int64
	f    float64
	t    time.Time
}

type cellKind uint8

const (
	emptyCell cellKind = iota
	textCell
	intCell
	floatCell
	timeCell
)

// TextCell is a cell of text (guarded against formulas in CSV).
func TextCell(s string) TableCell { return TableCell{kind: textCell, text: s} }

// IntCell is a cell holding an integer.
func IntCell(n int64) TableCell { return TableCell{kind: intCell, n: n} }

// FloatCell is a cell holding a number: a fraction in a Percent column.
func FloatCell(f float64) TableCell { return TableCell{kind: floatCell, f: f} }

// TimeCell is a cell holding a date and time, shown in Africa/Casablanca.
func TimeCell(t time.Time) TableCell { return TableCell{kind: timeCell, t: t} }

// cellOf is the cell of a WriteRow value; a type outside the list is
// written as its text.
func cellOf(v any) TableCell {
	switch v := v.(type) {
	case nil:
		return TableCell{}
	case string:
		return TextCell(v)
	case int64:
		return IntCell(v)
	case int:
		return IntCell(int64(v))
	case float64:
		return FloatCell(v)
	case time.Time:
		return TimeCell(v)
	}
	return TextCell(fmt.Sprint(v))
}

// cellsOf converts a WriteRow row into cells, reusing into.
func cellsOf(values []any, into []TableCell) []TableCell {
	into = into[:0]
	for _, v := range values {
		into = append(into, cellOf(v))
	}
	return into
}

// NewTableWriter writes a table with columns to w in opts.Format, header
// first.
func NewTableWriter(w io.Writer, columns []Column, opts ExportOptions) (TableWriter, error) {
	headers := make([]string, len(columns))
	for i, c := range columns {
		headers[i] = opts.Header(c)
	}
	if opts.Format == XLSX {
		return newXLSXTable(w, columns, headers, opts.Lang == "ar", SheetName(opts.Sheet))
	}
	return newCSVTable(w, columns, headers, opts.Semicolon)
}

// utf8BOM lets Excel recognise a CSV file as UTF-8: without it, Arabic and
// accented names are shown as mojibake.
const utf8BOM = "\ufeff"

// csvTable writes RFC 4180 CSV: UTF-8 with a BOM, CRLF line ends, fields
// quoted when they hold the separator, a quote or a line break.
type csvTable struct {
	buf     *bufio.Writer
	csv     *csv.Writer
	columns []Column
	record  []string
	last    []lastText  // per column: the previous cell and its text
	cells   []TableCell // WriteRow's conversion, reused
}

// lastText remembers a column's previous cell and its text: consecutive
// rows of an export repeat ids and date-times (a course's, a session's),
// which are then formatted once.
type lastText struct {
	cell TableCell
	text string
}

func newCSVTable(w io.Writer, columns []Column, headers []string, semicolon bool) (*csvTable, error) {
	buf := bufio.NewWriterSize(w, 64<<10)
	if _, err := buf.WriteString(utf8BOM); err != nil {
		return nil, err
	}
	t := &csvTable{buf: buf, csv: csv.NewWriter(buf), columns: columns, record: make([]string, len(columns)),
		last: make([]lastText, len(columns))}
	t.csv.UseCRLF = true
	if semicolon {
		t.csv.Comma = ';'
	}
	for i := range headers {
		headers[i] = GuardFormula(headers[i])
	}
	return t, t.csv.Write(headers)
}

func (t *csvTable) WriteRow(values []any) error {
	t.cells = cellsOf(values, t.cells)
	return t.WriteCells(t.cells)
}

func (t *csvTable) WriteCells(cells []TableCell) error {
	for i, c := range cells {
		t.record[i] = t.text(i, c)
	}
	// csv.Writer writes into buf; buf reaches the network every 64 KiB.
	return t.csv.Write(t.record)
}

// text is the CSV text of cell c of column i.
func (t *csvTable) text(i int, c TableCell) string {
	switch c.kind {
	case emptyCell:
		return ""
	case textCell:
		if t.columns[i].Kind == Phone {
			return GuardFormula(PhoneInPairs(c.text))
		}
		return GuardFormula(c.text)
	}
	last := &t.last[i]
	if !last.cell.same(c) {
		last.cell, last.text = c, csvNumber(t.columns[i].Kind, c)
	}
	return last.text
}

// same reports whether two cells hold the same number or instant.
func (c TableCell) same(d TableCell) bool {
	if c.kind != d.kind {
		return false
	}
	switch c.kind {
	case intCell:
		return c.n == d.n
	case floatCell:
		return c.f == d.f
	case timeCell:
		return c.t.Equal(d.t)
	}
	return false
}

func (t *csvTable) Close() error {
	t.csv.Flush()
	if err := t.csv.Error(); err != nil {
		return err
	}
	return t.buf.Flush()
}

func (t *csvTable) Abort() {}

// CSVDateTimeLayout is how a date and time is written in CSV: Excel reads it
// as a date in every locale.
const CSVDateTimeLayout = "2006-01-02 15:04"

// csvNumber is the text of an integer, a number or a date-time cell.
func csvNumber(kind ColumnKind, c TableCell) string {
	switch c.kind {
	case intCell:
		return strconv.FormatInt(c.n, 10)
	case timeCell:
		return c.t.In(Casablanca).Format(CSVDateTimeLayout)
	case floatCell:
		if kind == Percent {
			// A whole percentage: "87.5" would be text in French-locale Excel.
			return strconv.Itoa(int(math.Round(c.f * 100)))
		}
		return strconv.FormatFloat(c.f, 'f', -1, 64)
	}
	return ""
}

// PhoneInPairs writes a phone number the way people write it by hand: a
// local number in pairs ("06 12 34 56 78"), an international one with its
// country code apart ("+212 6 12 34 56 78"). Anything but digits (and a
// leading +) is left as it is.
func PhoneInPairs(phone string) string {
	digits, plus := strings.CutPrefix(phone, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return phone
	}
	var b strings.Builder
	if plus {
		code := min(3, len(digits))
		b.WriteString("+" + digits[:code])
		digits = digits[code:]
		if len(digits)%2 == 1 {
			b.WriteString(" " + digits[:1])
			digits = digits[1:]
		}
	}
	for i := 0; i < len(digits); i += 2 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(digits[i:min(i+2, len(digits))])
	}
	return b.String()
}

// GuardFormula defuses formula injection: a cell that starts with one of the
// characters that make a spreadsheet evaluate it (=, +, -, @, tab, carriage
// return) gets a leading apostrophe, so that "=HYPERLINK(...)" typed as a
// name is shown as text, never run.
func GuardFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// XLSXMaxRows is the most data rows an XLSX export holds: Excel's limit of
// 1,048,576 rows per sheet, less the header. Beyond it the store refuses
// the XLSX before writing anything; CSV has no limit.
const XLSXMaxRows = 1<<20 - 1

// xlsxTable writes one XLSX sheet through excelize's StreamWriter, which
// moves rows to a temporary file past 16 MB, and zips the workbook straight
// into the output (see newXLSXTable): memory stays flat.
type xlsxTable struct {
	file     *excelize.File
	sheet    *excelize.StreamWriter
	row      int
	columns  []Column
	dateID   int // style of date-time cells
	pctID    int // style of percentage cells
	textID   int // style of Phone cells: text, typed or edited
	headerID int
	name     string // the sheet's name
	values   []any  // the row as excelize takes it
}

// defaultSheet is the sheet excelize's new workbook has.
const defaultSheet = "Sheet1"

// SheetName makes name a valid sheet name: at most 31 characters, none of
// : \ / ? * [ ], not empty ("Sheet1" then).
func SheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(name))
	if r := []rune(name); len(r) > 31 {
		name = string(r[:31])
	}
	name = strings.Trim(name, " '")
	if name == "" {
		return defaultSheet
	}
	return name
}

func newXLSXTable(w io.Writer, columns []Column, headers []string, rtl bool, sheet string) (*xlsxTable, error) {
	f := excelize.NewFile()
	// File.Write builds the whole zip in a bytes.Buffer before copying it
	// out (about 75 bytes a row: 260 MB of heap for a million rows). Its
	// zip writer is pluggable: given one that writes to w, the buffer stays
	// empty and the workbook streams out. (excelize patches that buffer only
	// for a part over 4 GB, which one sheet of Excel's size never reaches.)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	t := &xlsxTable{file: f, columns: columns, values: make([]any, len(columns)), name: sheet}
	if sheet != defaultSheet {
		if err := f.SetSheetName(defaultSheet, sheet); err != nil {
			return nil, t.fail(err)
		}
	}
	if err := t.styles(); err != nil {
		return nil, t.fail(err)
	}
	if err := t.startSheet(headers, rtl); err != nil {
		return nil, t.fail(err)
	}
	return t, nil
}

func (t *xlsxTable) fail(err error) error {
	_ = t.file.Close()
	return err
}

// styles registers the date, percentage and header styles.
func (t *xlsxTable) styles() error {
	var err error
	dateFmt, pctFmt := "yyyy-mm-dd hh:mm", "0.0%"
	if t.dateID, err = t.file.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return err
	}
	if t.pctID, err = t.file.NewStyle(&excelize.Style{CustomNumFmt: &pctFmt}); err != nil {
		return err
	}
	if t.textID, err = t.file.NewStyle(&excelize.Style{NumFmt: 49}); err != nil { // 49 is "@", text
		return err
	}
	t.headerID, err = t.file.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	return err
}

// startSheet sets the sheet's direction, column widths and frozen header
// row, and writes the header.
func (t *xlsxTable) startSheet(headers []string, rtl bool) error {
	// The view must be set before the stream writer takes the sheet over.
	if err := t.file.SetSheetView(t.name, 0, &excelize.ViewOptions{RightToLeft: &rtl}); err != nil {
		return err
	}
	sw, err := t.file.NewStreamWriter(t.name)
	if err != nil {
		return err
	}
	t.sheet, t.row = sw, 1
	for i, c := range t.columns {
		if err := sw.SetColWidth(i+1, i+1, ColumnWidth(c, headers[i])); err != nil {
			return err
		}
	}
	frozen := &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}
	if err := sw.SetPanes(frozen); err != nil {
		return err
	}
	header := make([]any, len(headers))
	for i, h := range headers {
		header[i] = excelize.Cell{StyleID: t.headerID, Value: h}
	}
	return sw.SetRow("A1", header)
}

// ColumnWidth is the XLSX width of column c headed by header: the column's
// own width (its values), widened so that the whole header shows (in bold,
// about a character more per ten), at most maxColumnWidth.
func ColumnWidth(c Column, header string) float64 {
	width := c.Width
	if width == 0 {
		width = 14
	}
	fit := float64(utf8.RuneCountInString(header))*1.1 + 2
	return min(max(width, fit), maxColumnWidth)
}

// maxColumnWidth keeps a long header from making a column wider than a
// screen: it wraps in the cell instead.
const maxColumnWidth = 60

// WriteRow types the values as value does, from interfaces excelize can
// take as they are (converting them to cells would box them twice).
func (t *xlsxTable) WriteRow(values []any) error {
	for i, v := range values {
		switch v := v.(type) {
		case time.Time:
			t.values[i] = excelize.Cell{StyleID: t.dateID, Value: v.In(Casablanca)}
		case float64:
			t.values[i] = t.value(t.columns[i].Kind, FloatCell(v))
		default:
			t.values[i] = v
		}
	}
	return t.setRow()
}

func (t *xlsxTable) WriteCells(cells []TableCell) error {
	for i, c := range cells {
		t.values[i] = t.value(t.columns[i].Kind, c)
	}
	return t.setRow()
}

// setRow writes t.values as the next row.
func (t *xlsxTable) setRow() error {
	if t.row > XLSXMaxRows {
		return errors.New("xlsx: more rows than a sheet holds") // the store counts first
	}
	t.row++
	cell, err := excelize.CoordinatesToCellName(1, t.row)
	if err != nil {
		return err
	}
	return t.sheet.SetRow(cell, t.values)
}

// value types a cell for excelize: text stays an inline string (never a
// formula, so no guard is needed), dates become date serials with a date
// format, fractions in a Percent column a percentage format.
func (t *xlsxTable) value(kind ColumnKind, c TableCell) any {
	switch c.kind {
	case textCell:
		if kind == Phone {
			return excelize.Cell{StyleID: t.textID, Value: c.text}
		}
		return c.text
	case intCell:
		return c.n
	case timeCell:
		return excelize.Cell{StyleID: t.dateID, Value: c.t.In(Casablanca)}
	case floatCell:
		if kind == Percent {
			return excelize.Cell{StyleID: t.pctID, Value: c.f}
		}
		return c.f
	}
	return nil
}

func (t *xlsxTable) Abort() { _ = t.file.Close() }

func (t *xlsxTable) Close() error {
	defer t.file.Close()
	if err := t.sheet.Flush(); err != nil {
		return err
	}
	// The zip goes to the output through the zip writer set in newXLSXTable;
	// what File.Write would copy from its own buffer is empty.
	return t.file.Write(io.Discard)
}

// fileNamePart keeps what is safe in a file name on every system.
var fileNamePart = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ExportFileName names a downloaded file after what it holds and the day it
// was made: attendance_child-protection_2026-11-28.csv.
func ExportFileName(kind, scope string, day time.Time, format Format) string {
	parts := []string{kind}
	if s := strings.Trim(fileNamePart.ReplaceAllString(scope, "-"), "-."); s != "" {
		parts = append(parts, s)
	}
	parts = append(parts, day.In(Casablanca).Format(DateLayout))
	return strings.Join(parts, "_") + "." + string(format)
}
