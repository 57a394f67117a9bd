package domain

import (
	"strings"
	"time"
)

// ReportedFigure is a figure as a published report states it ("151 local
// actors"), kept to be shown beside the value the records give for the same
// scope. Its scope is a programme and, optionally, a year.
type ReportedFigure struct {
	ID         int64     `db:"id" json:"id"`
	Figure     string    `db:"figure" json:"figure"`
	Programme  string    `db:"programme" json:"programme"`
	Year       *int      `db:"year" json:"year"`
	Value      int       `db:"value" json:"value"`
	Source     string    `db:"source" json:"source"`
	ReportedOn *Date     `db:"reported_on" json:"reported_on"`
	CreatedBy  *int64    `db:"created_by" json:"created_by"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// MaxSourceLength is the longest source text kept.
const MaxSourceLength = 1000

// Validate normalizes and checks a reported figure before it is stored.
// Whether the programme exists is checked by the store.
func (r *ReportedFigure) Validate() error {
	r.Figure = CleanNumber(r.Figure)
	r.Programme = strings.ToLower(CleanNumber(r.Programme))
	r.Source = cleanParagraph(r.Source)
	p := Problems{}
	if bad := CheckText(r.Source); bad != nil {
		p.AddParam("source", bad.Key, bad.Param)
	}
	if !ValidFigureKey(r.Figure) {
		p.Add("figure", "reported.bad_figure")
	}
	if !filterCodePattern.MatchString(r.Programme) {
		p.Add("programme", "reported.programme_required")
	}
	if r.Year != nil && (*r.Year < 2000 || *r.Year > 2100) {
		p.Add("year", "reported.bad_year")
	}
	if r.Value < 0 {
		p.Add("value", "reported.bad_value")
	}
	switch {
	case r.Source == "":
		p.Add("source", "reported.source_required")
	case len([]rune(r.Source)) > MaxSourceLength:
		p.AddParam("source", "validation.max", "1000")
	}
	return p.Err()
}

// Scope is the totals filter a reported figure is about.
func (r *ReportedFigure) Scope() TotalsFilter {
	f := TotalsFilter{Programme: r.Programme}
	if r.Year != nil {
		f.Year = *r.Year
	}
	return f
}

// Comparison pairs a reported figure with the value the records give for
// the same figure and scope. Difference is recorded minus reported: negative
// when the records show fewer than the report states.
type Comparison struct {
	Reported   ReportedFigure `json:"reported"`
	Recorded   int            `json:"recorded"`
	Difference int            `json:"difference"`
	Matches    bool           `json:"matches"`
}

// Compare builds the comparison of r with the totals of its scope.
func Compare(r ReportedFigure, t *Totals) Comparison {
	recorded, _ := t.Figure(r.Figure)
	return Comparison{Reported: r, Recorded: recorded, Difference: recorded - r.Value, Matches: recorded == r.Value}
}
