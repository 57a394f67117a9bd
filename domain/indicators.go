package domain

import (
	"strings"
	"time"
)

// Indicators with targets (issue 19, point 4; docs/INDICATORS.md). An
// indicator is what a donor's results framework states ("151 local actors
// trained in child protection, 2019–2020"): one of the figures of the
// totals (FigureKeys) for a filter (a programme, and optionally one sex and
// one category), with a baseline, a target for the whole period and a
// target per year. Its recorded value is never stored: it is the figure of
// Totals for the same filter, so the dashboard, GET /api/v1/totals and the
// IATI and ADX files cannot disagree.

// IndicatorTarget is the target of one year.
type IndicatorTarget struct {
	Year   int `db:"year" json:"year"`
	Target int `db:"target" json:"target"`
}

// Indicator is an indicator as stored.
type Indicator struct {
	ID            int64             `db:"id" json:"id"`
	Code          string            `db:"code" json:"code"`
	TitleAr       string            `db:"title_ar" json:"title_ar"`
	TitleFr       string            `db:"title_fr" json:"title_fr"`
	Figure        string            `db:"figure" json:"figure"`
	Programme     string            `db:"programme" json:"programme"`
	Sex           Sex               `db:"sex" json:"sex,omitempty"`
	Category      Category          `db:"category" json:"category,omitempty"`
	FirstYear     int               `db:"first_year" json:"first_year"`
	LastYear      int               `db:"last_year" json:"last_year"`
	BaselineYear  int               `db:"baseline_year" json:"baseline_year"`
	BaselineValue int               `db:"baseline_value" json:"baseline_value"`
	Target        int               `db:"target" json:"target"`
	Targets       []IndicatorTarget `db:"-" json:"targets"`
	CreatedBy     *int64            `db:"created_by" json:"created_by,omitempty"`
	CreatedAt     time.Time         `db:"created_at" json:"created_at"`
}

// MaxIndicatorYears is the longest period an indicator may cover.
const MaxIndicatorYears = 20

// MaxIndicatorTitle is the longest title kept, in characters.
const MaxIndicatorTitle = 200

// Validate normalizes and checks an indicator before it is stored. Every
// year of the period needs one target, and no other year may have one.
// Whether the programme exists is checked by the store.
func (ind *Indicator) Validate() error {
	ind.Code = strings.ToLower(CleanNumber(ind.Code))
	ind.Programme = strings.ToLower(CleanNumber(ind.Programme))
	ind.Figure = CleanNumber(ind.Figure)
	ind.TitleAr, ind.TitleFr = cleanLine(ind.TitleAr), cleanLine(ind.TitleFr)
	ind.Sex = Sex(strings.ToLower(string(ind.Sex)))
	ind.Category = Category(strings.ToLower(string(ind.Category)))
	p := Problems{}
	if !filterCodePattern.MatchString(ind.Code) {
		p.Add("code", "indicators.bad_code")
	}
	ind.checkTitle(p, "title_ar", ind.TitleAr)
	ind.checkTitle(p, "title_fr", ind.TitleFr)
	if !ValidFigureKey(ind.Figure) {
		p.Add("figure", "reported.bad_figure")
	}
	if !filterCodePattern.MatchString(ind.Programme) {
		p.Add("programme", "reported.programme_required")
	}
	if ind.Sex != "" && !ind.Sex.Valid() {
		p.Add("sex", "totals.bad_sex")
	}
	if ind.Category != "" && !ind.Category.Valid() {
		p.Add("category", "totals.bad_category")
	}
	ind.checkYears(p)
	if ind.BaselineValue < 0 {
		p.Add("baseline_value", "indicators.bad_value")
	}
	if ind.Target < 0 {
		p.Add("target", "indicators.bad_value")
	}
	return p.Err()
}

func (ind *Indicator) checkTitle(p Problems, field, title string) {
	if bad := CheckText(title); bad != nil {
		p.AddParam(field, bad.Key, bad.Param)
		return
	}
	switch n := len([]rune(title)); {
	case n == 0:
		p.Add(field, "validation.required")
	case n > MaxIndicatorTitle:
		p.AddParam(field, "validation.max", "200")
	}
}

func validYear(y int) bool { return y >= 2000 && y <= 2100 }

func (ind *Indicator) checkYears(p Problems) {
	if !validYear(ind.BaselineYear) {
		p.Add("baseline_year", "totals.bad_year")
	}
	if !validYear(ind.FirstYear) {
		p.Add("first_year", "totals.bad_year")
	}
	if !validYear(ind.LastYear) {
		p.Add("last_year", "totals.bad_year")
		return
	}
	if ind.FirstYear > ind.LastYear || ind.LastYear-ind.FirstYear >= MaxIndicatorYears {
		p.Add("last_year", "indicators.bad_period")
		return
	}
	if len(ind.Targets) != ind.LastYear-ind.FirstYear+1 {
		p.Add("targets", "indicators.targets_per_year")
		return
	}
	for i, t := range ind.Targets {
		if t.Year != ind.FirstYear+i {
			p.Add("targets", "indicators.targets_per_year")
			return
		}
		if t.Target < 0 {
			p.Add("targets", "indicators.bad_value")
			return
		}
	}
}

// Scope is the totals filter of the indicator for one year (0: the whole
// programme, which is the indicator's period).
func (ind *Indicator) Scope(year int) TotalsFilter {
	return TotalsFilter{Programme: ind.Programme, Year: year, Sex: ind.Sex, Category: ind.Category}
}

// Years lists the years of the period.
func (ind *Indicator) Years() []int {
	years := make([]int, 0, ind.LastYear-ind.FirstYear+1)
	for y := ind.FirstYear; y <= ind.LastYear; y++ {
		years = append(years, y)
	}
	return years
}

// TargetOf is the target of year (0: the whole period).
func (ind *Indicator) TargetOf(year int) int {
	if year == 0 {
		return ind.Target
	}
	for _, t := range ind.Targets {
		if t.Year == year {
			return t.Target
		}
	}
	return 0
}

// IndicatorPeriod is one line of an indicator's progress: a year, or the
// whole period (Year 0), with its target, the recorded value (as its
// reader may see it) and the value a published report states for the same
// figure and scope, when one does.
type IndicatorPeriod struct {
	Year     int  `json:"year"`
	Target   int  `json:"target"`
	Recorded Cell `json:"recorded"`
	Reported *int `json:"reported"`
}

// IndicatorProgress is an indicator with its periods: the whole period first.
type IndicatorProgress struct {
	Indicator Indicator         `json:"indicator"`
	Periods   []IndicatorPeriod `json:"periods"`
}

// ReportedFor is the value of the first reported figure that states the
// indicator's figure for exactly its scope in year (0: no year): a reported
// figure is about a programme and a year, so it matches only an indicator
// filtered by neither sex nor category.
func (ind *Indicator) ReportedFor(year int, reported []ReportedFigure) *int {
	if ind.Sex != "" || ind.Category != "" {
		return nil
	}
	for _, r := range reported {
		if r.Figure != ind.Figure || r.Programme != ind.Programme {
			continue
		}
		if (year == 0 && r.Year == nil) || (r.Year != nil && *r.Year == year) {
			v := r.Value
			return &v
		}
	}
	return nil
}

// FigureOf returns a figure of one breakdown row as its reader may see it;
// false for the course figures, which breakdowns do not have.
func (b BreakdownCells) FigureOf(key string) (Cell, bool) {
	t := ShownTotals{LocalActors: b.LocalActors, ByCategory: b.ByCategory, Associations: b.Associations}
	if key == "courses" || key == "sessions_held" {
		return Cell{}, false
	}
	return t.Figure(key)
}
