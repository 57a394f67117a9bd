package app

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// totalsColumns are the columns of the totals export: one row per figure
// of the headline, then per figure of every breakdown row. Counts only:
// the file holds no name, ID or any other personal data.
var totalsColumns = []domain.Column{
	{Key: "section", Width: 20}, {Key: "key", Width: 24}, {Key: "label", Width: 40}, {Key: "figure", Width: 26},
	{Key: "enrolled", Kind: domain.Integer, Width: 12}, {Key: "trained", Kind: domain.Integer, Width: 12},
	{Key: "completed", Kind: domain.Integer, Width: 12}, {Key: "value", Kind: domain.Integer, Width: 12},
}

// exportTotals answers GET /exports/totals.csv and .xlsx with the figures
// of the dashboard for the same filter, through the exports engine's table
// writers (UTF-8 BOM and CRLF for CSV, a right-to-left sheet in Arabic).
// The file is small (a few hundred rows), so it is built in memory and a
// failure is still an ordinary error page. For the ministry a hidden figure
// is the text "<5" in its cell (domain.Suppress).
func (s *Server) exportTotals(format domain.Format) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// Exports are exempt from the request timeout because they stream;
		// this one is computed before a byte is sent, like the dashboard, so
		// it gets the same bound (a 503 rather than a request that never ends).
		ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout)
		defer cancel()
		c.SetUserContext(ctx)
		t, err := s.totalsOf(c)
		if err != nil {
			return err
		}
		_, names, err := s.filterChoices(c)
		if err != nil {
			return err
		}
		tr := s.tr(c)
		opts, err := s.exportOptions(c, format, "exportfiles.sheet.totals", false)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := writeTotals(&buf, t, tr, names, opts); err != nil {
			return err
		}
		name := domain.ExportFileName("totals", totalsScopeName(t.Filters), time.Now(), format)
		c.Set(fiber.HeaderContentType, format.ContentType())
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		return c.Send(buf.Bytes())
	}
}

// writeTotals writes the rows of the totals export.
func writeTotals(buf *bytes.Buffer, t *domain.ShownTotals, tr *Translator, names map[string]placeNames, opts domain.ExportOptions) error {
	columns := make([]domain.Column, len(totalsColumns))
	copy(columns, totalsColumns)
	if !opts.Keys {
		// Headers from our own messages, so the exports' message file stays theirs.
		for i := range columns {
			columns[i].Label = tr.T("dashboard.export.col." + columns[i].Key)
		}
	}
	w, err := domain.NewTableWriter(buf, columns, opts)
	if err != nil {
		return err
	}
	human := func(prefix, key string) string {
		if opts.Keys {
			return key
		}
		return tr.T(prefix + key)
	}
	counts := func(section, key, label, figure string, n domain.CountCells) []any {
		return []any{human("dashboard.section.", section), key, label, human("dashboard.export.figure.", figure),
			fileCell(n.Enrolled), fileCell(n.Trained), fileCell(n.Completed), nil}
	}
	associations := func(section, key, label string, n domain.AssociationCells) []any {
		return []any{human("dashboard.section.", section), key, label, human("dashboard.export.figure.", "associations"),
			fileCell(n.Enrolled), fileCell(n.Trained), nil, nil}
	}
	value := func(section, key, label, figure string, v any) []any {
		return []any{human("dashboard.section.", section), key, label, human("dashboard.export.figure.", figure), nil, nil, nil, v}
	}
	// rowsOf are the figures of one scope: the headline, or one breakdown row.
	rowsOf := func(section, key, label string, local domain.CountCells, cats domain.CategoryCells,
		assoc domain.AssociationCells, rate domain.RateCell) [][]any {
		rows := [][]any{counts(section, key, label, "local_actors", local)}
		for _, cat := range domain.Categories {
			rows = append(rows, counts(section, key, label, string(cat), cats.Of(cat)))
		}
		rows = append(rows, associations(section, key, label, assoc))
		return append(rows, value(section, key, label, "attendance_rate", fileRate(rate)))
	}

	all := tr.T("dashboard.all")
	rows := rowsOf("total", "all", all, t.LocalActors, t.ByCategory, t.Associations, t.AttendanceRate)
	rows = append(rows, value("total", "all", all, "courses", int64(t.Courses)),
		value("total", "all", all, "sessions_held", int64(t.SessionsHeld)),
		// Hours keep their fraction (a 1.5-hour session): the file must agree with the page.
		value("total", "all", all, "training_hours", t.TrainingHours))
	for _, sec := range []struct {
		key  string
		rows []domain.BreakdownCells
	}{{"by_programme", t.ByProgramme}, {"by_year", t.ByYear}, {"by_region", t.ByRegion},
		{"by_province", t.ByProvince}, {"by_sex", t.BySex}} {
		for _, b := range sec.rows {
			label := breakdownLabel(tr, sec.key, b, names[sec.key])
			rows = append(rows, rowsOf(sec.key, b.Key, label, b.LocalActors, b.ByCategory, b.Associations, b.AttendanceRate)...)
		}
	}
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

// fileCell is a count in the file: a number, or the text "<5" when hidden.
func fileCell(c domain.Cell) any {
	if c.Hidden {
		return domain.SmallCountMarker
	}
	return int64(c.Value)
}

// fileRate is an attendance rate as a whole percentage, or "<5" when hidden.
func fileRate(r domain.RateCell) any {
	if r.Hidden {
		return domain.SmallCountMarker
	}
	return int64(math.Round(r.Value * 100))
}

// totalsScopeName names the filter in the file name ("child-protection-2019").
func totalsScopeName(f domain.TotalsFilter) string {
	var parts []string
	for _, p := range []string{f.Programme, yearPart(f.Year), f.Region, f.Province, coursePart(f.Course), string(f.Sex), string(f.Category)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, "-")
}

func yearPart(y int) string {
	if y == 0 {
		return ""
	}
	return strconv.Itoa(y)
}

func coursePart(id int64) string {
	if id == 0 {
		return ""
	}
	return "course-" + strconv.FormatInt(id, 10)
}
