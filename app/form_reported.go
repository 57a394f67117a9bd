package app

import "takaffoul/domain"

// reportedForm is the form that records a figure a published report
// states (views/pages/dashboard/reported.html).
type reportedForm struct {
	Figure     string       `form:"figure"`
	Programme  string       `form:"programme"`
	Year       *int         `form:"year"`
	Value      int          `form:"value"`
	Source     string       `form:"source"`
	ReportedOn *domain.Date `form:"reported_on"`
}

// reported is the reported figure the form describes.
func (f *reportedForm) reported() *domain.ReportedFigure {
	return &domain.ReportedFigure{Figure: f.Figure, Programme: f.Programme, Year: f.Year, Value: f.Value,
		Source: f.Source, ReportedOn: f.ReportedOn}
}
