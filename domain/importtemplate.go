package domain

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// ImportTemplate is the blank participant list a coordinator downloads
// (app/importjobs.go fills it in the user's language): the headers the
// parser recognises, drop-down lists where a value must be one of a few,
// and a second sheet listing the organisations and provinces to name.
type ImportTemplate struct {
	Sheet, ListsSheet string
	// Headers, Example and Hints follow ImportColumns.
	Headers []string
	Example []string
	// Categories, Sexes and Consent are the drop-downs' choices, as the
	// parser reads them (categoryWords, sexWords, consentWords).
	Categories, Sexes, Consent []string
	// OrganisationHeaders heads the organisations' columns on the second
	// sheet (id, name, kind, registration number); Organisations are its rows.
	OrganisationHeaders []string
	Organisations       [][]string
	// ProvinceHeaders heads the provinces' columns (code, name).
	ProvinceHeaders []string
	Provinces       [][]string
}

// templateRows is how far down the drop-downs and text formats reach: the
// largest list the import takes.
const templateRows = MaxImportRows + 1

// WriteImportTemplate writes t as an .xlsx workbook.
func WriteImportTemplate(w io.Writer, t ImportTemplate) error {
	book := excelize.NewFile()
	defer book.Close()
	if err := book.SetSheetName("Sheet1", t.Sheet); err != nil {
		return err
	}
	if _, err := book.NewSheet(t.ListsSheet); err != nil {
		return err
	}
	if err := writeTemplateLists(book, t); err != nil {
		return err
	}
	if err := writeTemplateSheet(book, t); err != nil {
		return err
	}
	book.SetActiveSheet(0)
	return book.Write(w)
}

// templateColumn is the spreadsheet column (A, B…) of a canonical column.
func templateColumn(column string) string {
	for i, c := range ImportColumns {
		if c == column {
			name, _ := excelize.ColumnNumberToName(i + 1)
			return name
		}
	}
	panic("no import column " + column)
}

func writeTemplateSheet(book *excelize.File, t ImportTemplate) error {
	sheet := t.Sheet
	bold, err := book.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	text, err := book.NewStyle(&excelize.Style{NumFmt: 49}) // "@": what is typed stays text
	if err != nil {
		return err
	}
	example, err := book.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "595959"}})
	if err != nil {
		return err
	}
	exampleText, err := book.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Italic: true, Color: "595959"}})
	if err != nil {
		return err
	}
	last := templateColumn(ImportColumns[len(ImportColumns)-1])
	if err := book.SetColWidth(sheet, "A", last, 24); err != nil {
		return err
	}
	// A CIN or a phone typed into a number cell loses its letters' case
	// or its leading zero: these columns are text before anything is typed.
	for _, column := range []string{"phone", "national_id"} {
		if err := book.SetColStyle(sheet, templateColumn(column), text); err != nil {
			return err
		}
	}
	header := make([]any, len(t.Headers))
	for i, h := range t.Headers {
		header[i] = h
	}
	if err := book.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	if err := book.SetCellStyle(sheet, "A1", last+"1", bold); err != nil {
		return err
	}
	for i, v := range t.Example {
		cell := fmt.Sprintf("%s2", templateColumn(ImportColumns[i]))
		style := example
		if c := ImportColumns[i]; c == "phone" || c == "national_id" {
			style = exampleText
		}
		if err := book.SetCellStr(sheet, cell, v); err != nil {
			return err
		}
		if err := book.SetCellStyle(sheet, cell, cell, style); err != nil {
			return err
		}
	}
	if err := book.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return addTemplateDropDowns(book, t)
}

// addTemplateDropDowns: category, sex and consent must be one of their
// choices; the organisation and the province are offered from the second
// sheet, and another value is let through (a new organisation, a code).
func addTemplateDropDowns(book *excelize.File, t ImportTemplate) error {
	rangeOf := func(column string) string {
		c := templateColumn(column)
		return fmt.Sprintf("%s2:%s%d", c, c, templateRows)
	}
	for _, list := range []struct {
		column  string
		choices []string
	}{{"category", t.Categories}, {"sex", t.Sexes}, {"guardian_consent", t.Consent}} {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = rangeOf(list.column)
		if err := dv.SetDropList(list.choices); err != nil {
			return err
		}
		if err := book.AddDataValidation(t.Sheet, dv); err != nil {
			return err
		}
	}
	quoted := "'" + strings.ReplaceAll(t.ListsSheet, "'", "''") + "'"
	for _, ref := range []struct {
		column, list string
		rows         int
	}{{"organisation", "B", len(t.Organisations)}, {"province", "G", len(t.Provinces)}} {
		if ref.rows == 0 {
			continue
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = rangeOf(ref.column)
		dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$2:$%s$%d", quoted, ref.list, ref.list, ref.rows+1))
		dv.ShowErrorMessage = false // a value not in the list is not refused here
		if err := book.AddDataValidation(t.Sheet, dv); err != nil {
			return err
		}
	}
	return nil
}

// writeTemplateLists fills the second sheet: organisations in columns A–D,
// provinces in F–G.
func writeTemplateLists(book *excelize.File, t ImportTemplate) error {
	sw, err := book.NewStreamWriter(t.ListsSheet)
	if err != nil {
		return err
	}
	bold, err := book.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 10); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 2, 45); err != nil {
		return err
	}
	if err := sw.SetColWidth(3, 6, 18); err != nil {
		return err
	}
	if err := sw.SetColWidth(7, 7, 35); err != nil {
		return err
	}
	rows := max(len(t.Organisations), len(t.Provinces)) + 1
	for i := 0; i < rows; i++ {
		cells := make([]any, 7)
		for j := range cells {
			cells[j] = nil
		}
		put := func(at int, values []string, style int) {
			for k, v := range values {
				cells[at+k] = excelize.Cell{StyleID: style, Value: v}
			}
		}
		switch {
		case i == 0:
			put(0, t.OrganisationHeaders, bold)
			put(5, t.ProvinceHeaders, bold)
		default:
			if i-1 < len(t.Organisations) {
				put(0, t.Organisations[i-1], 0)
			}
			if i-1 < len(t.Provinces) {
				put(5, t.Provinces[i-1], 0)
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	return sw.Flush()
}
