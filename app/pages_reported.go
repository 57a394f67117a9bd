package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// reportedData is the reported-figures page: every figure with the value
// the records give for its scope, and the choices of the form.
type reportedData struct {
	Comparisons []comparisonRow
	Programmes  []namedOption
	Figures     []string
}

var reportedFields = []string{"figure", "programme", "year", "value", "source", "reported_on"}

// reportedPage lists the figures published reports state, beside the
// recorded values, with a form to add one.
func (s *Server) reportedPage(c *fiber.Ctx) error {
	return s.renderReported(c, NewForm(nil), nil)
}

func (s *Server) renderReported(c *fiber.Ctx, form *Form, err error) error {
	selects, names, listErr := s.filterChoices(c)
	if listErr != nil {
		return listErr
	}
	comparisons, listErr := s.store.ReportedComparison(c.UserContext(), "")
	if listErr != nil {
		return listErr
	}
	data := &reportedData{Programmes: selects[0].Options, Figures: domain.FigureKeys}
	for _, cmp := range comparisons {
		data.Comparisons = append(data.Comparisons, newComparisonRow(cmp, names["by_programme"]))
	}
	return s.renderForm(c, "dashboard/reported", data, form, err)
}

// createReported records a figure stated by a published report.
func (s *Server) createReported(c *fiber.Ctx) error {
	p := domain.Problems{}
	r := domain.ReportedFigure{Figure: c.FormValue("figure"), Programme: c.FormValue("programme"),
		Year: formOptionalInt(c, "year", p), Value: formInt(c, "value", p), Source: c.FormValue("source")}
	if d := formDate(c, "reported_on", p); !d.IsZero() {
		r.ReportedOn = &d
	}
	form := NewForm(formValues(c, reportedFields...))
	if len(p) > 0 {
		return s.renderReported(c, form, withProblems(p, r.Validate()))
	}
	if err := s.store.CreateReportedFigure(c.UserContext(), &r, actor(c)); err != nil {
		return s.renderReported(c, form, err)
	}
	return s.redirectWithFlash(c, "/dashboard/reported", "flash.reported_created")
}

// deleteReported removes a reported figure (entered by mistake).
func (s *Server) deleteReported(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteReportedFigure(c.UserContext(), id, actor(c)); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/dashboard/reported", "flash.reported_deleted")
}
