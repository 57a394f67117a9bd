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

// reportedPage lists the figures published reports state, beside the
// recorded values, with a form to add one.
func (s *Server) reportedPage(c *fiber.Ctx) error {
	data, err := s.reportedData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "dashboard/reported", data, formOf(reportedForm{}), nil)
}

func (s *Server) reportedData(c *fiber.Ctx) (any, error) {
	selects, names, err := s.filterChoices(c)
	if err != nil {
		return nil, err
	}
	comparisons, err := s.store.ReportedComparison(c.UserContext(), "")
	if err != nil {
		return nil, err
	}
	closings, err := s.store.ScopeClosings(c.UserContext())
	if err != nil {
		return nil, err
	}
	data := &reportedData{Programmes: selects[0].Options, Figures: domain.FigureKeys}
	for _, cmp := range comparisons {
		row := newComparisonRow(cmp, names["by_programme"])
		row.withClosing(closings, true) // coordinators only
		data.Comparisons = append(data.Comparisons, row)
	}
	return data, nil
}

// createReported records a figure stated by a published report.
func (s *Server) createReported(c *fiber.Ctx) error {
	var f reportedForm
	form := readForm(c, &f)
	r := f.reported()
	err := form.Check(r.Validate())
	if err == nil {
		err = s.store.CreateReportedFigure(c.UserContext(), r, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "dashboard/reported", form, err, func() (any, error) { return s.reportedData(c) })
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
