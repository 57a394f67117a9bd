package domain

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// This file holds what an import job needs around the parser: the size
// check made before a job starts (CheckImportSize), and the file of the
// rows to fix written after a refusal (WriteImportFixFile), which the
// coordinator corrects and sends again.

// CheckImportSize refuses, before any row is parsed, a list past the
// limits: its size, what an .xlsx unpacks to (keepSheetParts), and more
// than MaxImportRows data rows, counted by a scan that builds nothing (a
// fraction of a second for 10 MB, where parsing the rows takes seconds).
// It returns the data rows counted, for the progress bar, or 0 when it
// cannot tell without decoding the file (UTF-16); the parser checks the
// same limits again as it reads.
func CheckImportSize(data []byte) (rows int, err error) {
	refuse := func(row int, key, param string) error {
		return &ImportError{Problems: []ImportProblem{{Row: row, Key: key, Param: param}}}
	}
	if len(data) > MaxImportBytes {
		return 0, refuse(0, "import.file_too_large", "10 MB")
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		_, records, err := keepSheetPartsCounting(data)
		var limit *importLimit
		switch {
		case errors.As(err, &limit):
			return 0, refuse(0, limit.key, limit.param)
		case err != nil:
			return 0, nil // unreadable: the parser says why
		}
		rows = max(records-1, 0) // the header
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		return 0, nil
	default:
		rows = csvDataRows(data)
	}
	if rows > MaxImportRows {
		// The row where the limit is passed, as the parser names it when
		// the file has no blank rows.
		return 0, refuse(MaxImportRows+2, "import.too_many_rows", strconv.Itoa(MaxImportRows))
	}
	return rows, nil
}

// csvDataRows counts the records of a CSV file that hold something other
// than separators, quotes and spaces, less the header, as the parser
// counts them: a quoted line break stays inside its record, Excel's
// "sep=;" line is not a record.
func csvDataRows(data []byte) int {
	data = bytes.TrimPrefix(data, utf8BOMBytes)
	detectSeparator(&data)
	records, quoted, filled := 0, false, false
	for i := 0; i < len(data); {
		c := data[i]
		size := 1
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			if filled {
				records++
			}
			filled = false
		case c < utf8.RuneSelf:
			if !filled && c != ',' && c != ';' && c != '\t' && c != ' ' && c != '\r' {
				filled = true
			}
		default:
			var r rune
			r, size = utf8.DecodeRune(data[i:])
			if !filled && !unicode.IsSpace(r) {
				filled = true
			}
		}
		i += size
	}
	if filled {
		records++
	}
	return max(records-1, 0)
}

// fixColumnHeaders are the headers of the "to fix" column of the file of
// rows to fix, in each language (views/locales/importjobs.*.json,
// "importjobs.fix_column"): the parser skips that column when the file
// comes back corrected, without calling it ignored.
var fixColumnHeaders = func() map[string]bool {
	m := map[string]bool{}
	for _, h := range []string{"À corriger", "To fix", "ما يجب تصحيحه"} {
		m[foldLabel(h)] = true
	}
	return m
}()

// IsFixColumnHeader reports whether header names the "to fix" column.
func IsFixColumnHeader(header string) bool { return fixColumnHeaders[foldLabel(header)] }

// unreadableKeys are the problems after which the file's records cannot be
// read again whole: no file of rows to fix is offered for them.
var unreadableKeys = append([]string{"import.unreadable", "import.csv_malformed", "import.xlsx_unreadable",
	"import.file_empty", "import.no_data_rows", "import.binary_file", "import.xls_not_supported"}, ImportLimitKeys...)

// HasRowsToFix reports whether a refusal names data rows to fix (row 2
// on) and the file can be read again: then a file of those rows helps.
func HasRowsToFix(problems []ImportProblem) bool {
	rows := false
	for _, p := range problems {
		if slices.Contains(unreadableKeys, p.Key) {
			return false
		}
		rows = rows || p.Row >= 2
	}
	return rows
}

// ImportRecords reads the records of a participant list as the parser
// reads them (the same formats, separators and row numbers), giving each
// to fn, which returns false to stop. It returns the CSV's separator (0
// for a workbook) and false when the file could not be read to the end.
func ImportRecords(data []byte, filename string, fn func(row int, record []string) bool) (sep rune, ok bool) {
	f := &ImportFile{}
	p := &importParser{file: f, onRecord: fn}
	switch sniff(data, filename) {
	case "xlsx":
		p.readXLSX(data)
	case "csv":
		p.readCSV(data)
	default:
		return 0, false
	}
	return p.sep, len(f.Problems) == 0
}

// ImportFixFile is what the file of rows to fix holds besides the rows.
type ImportFixFile struct {
	// Fixes says, per row as Excel numbers it, what to fix on that row.
	Fixes map[int]string
	// FixHeader heads the column of fixes, in the user's language (one of
	// fixColumnHeaders).
	FixHeader string
	// OnlyToFix keeps only the rows with a fix: otherwise every row is
	// kept, so that the file, corrected, imports whole (nothing of a
	// refused file was saved).
	OnlyToFix bool
	// SheetName names the workbook's sheet.
	SheetName string
}

// WriteImportFixFile writes the list in data again, each row as it was
// sent with the column of fixes first, as CSV (UTF-8 with a BOM, the
// separator of the file sent) when format is "csv", else as XLSX (every
// cell as text, so that a CIN or a phone keeps its zeros; the rows to fix
// filled in red, the header frozen with a filter). ok is false when the
// file could not be read again.
func WriteImportFixFile(w io.Writer, data []byte, filename, format string, fix ImportFixFile) (ok bool, err error) {
	var rows [][]string
	header, earlier := true, -1 // earlier: the fix column of an earlier round, dropped
	sep, read := ImportRecords(data, filename, func(row int, record []string) bool {
		switch {
		case blank(record):
			return true
		case header:
			header = false
			for i, h := range record {
				if IsFixColumnHeader(h) {
					earlier = i
				}
			}
			rows = append(rows, append([]string{fix.FixHeader}, dropColumn(record, earlier)...))
			return true
		}
		text, ok := fix.Fixes[row]
		if fix.OnlyToFix && !ok {
			return true
		}
		rows = append(rows, append([]string{text}, dropColumn(record, earlier)...))
		return true
	})
	if !read || len(rows) == 0 {
		return false, nil
	}
	if format == "csv" {
		return true, writeFixCSV(w, rows, sep)
	}
	return true, writeFixXLSX(w, rows, fix)
}

// dropColumn copies record without its column i (none when i < 0).
func dropColumn(record []string, i int) []string {
	out := make([]string, 0, len(record))
	for j, v := range record {
		if j != i {
			out = append(out, v)
		}
	}
	return out
}

func writeFixCSV(w io.Writer, rows [][]string, sep rune) error {
	if sep == 0 {
		sep = ','
	}
	if _, err := w.Write(utf8BOMBytes); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = sep, true
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

func writeFixXLSX(w io.Writer, rows [][]string, fix ImportFixFile) error {
	book := excelize.NewFile()
	defer book.Close()
	sheet := fix.SheetName
	if sheet == "" {
		sheet = "Sheet1"
	}
	if err := book.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	text, err := book.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	bold, err := book.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	toFix, err := book.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Color: "9C0006"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
	if err != nil {
		return err
	}
	sw, err := book.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	if err := sw.SetColWidth(1, 1, 60); err != nil {
		return err
	}
	if width > 1 {
		if err := sw.SetColWidth(2, width, 20); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	for i, r := range rows {
		style := text
		switch {
		case i == 0:
			style = bold
		case r[0] != "":
			style = toFix
		}
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = excelize.Cell{StyleID: style, Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(max(width, 1), len(rows))
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := book.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return err
	}
	return book.Write(w)
}
