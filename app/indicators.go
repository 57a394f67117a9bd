package app

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// Indicators with targets (docs/INDICATORS.md): defined by coordinators,
// read by the ministry. Every recorded value comes from shownTotals, as the
// dashboard's and /api/v1/totals's do, so that no reader sees here a figure
// the totals hide from them.

// indicatorForm is the form that defines an indicator
// (views/pages/dashboard/indicators.html). Targets are the yearly targets,
// one number per year of the period in order, separated by spaces or commas.
type indicatorForm struct {
	Code          string `form:"code"`
	TitleAr       string `form:"title_ar"`
	TitleFr       string `form:"title_fr"`
	Figure        string `form:"figure"`
	Programme     string `form:"programme"`
	Sex           string `form:"sex"`
	Category      string `form:"category"`
	FirstYear     int    `form:"first_year"`
	LastYear      int    `form:"last_year"`
	BaselineYear  int    `form:"baseline_year"`
	BaselineValue int    `form:"baseline_value"`
	Target        int    `form:"target"`
	Targets       string `form:"targets"`
}

// indicator is the indicator the form describes; a yearly target that is
// not a whole number is a problem on "targets".
func (f *indicatorForm) indicator() (*domain.Indicator, error) {
	ind := &domain.Indicator{Code: f.Code, TitleAr: f.TitleAr, TitleFr: f.TitleFr, Figure: f.Figure,
		Programme: f.Programme, Sex: domain.Sex(f.Sex), Category: domain.Category(f.Category),
		FirstYear: f.FirstYear, LastYear: f.LastYear, BaselineYear: f.BaselineYear,
		BaselineValue: f.BaselineValue, Target: f.Target}
	fields := strings.FieldsFunc(domain.CleanNumber(f.Targets), func(r rune) bool { return r == ' ' || r == ',' || r == ';' })
	for i, field := range fields {
		n, err := strconv.Atoi(field)
		if err != nil {
			return ind, domain.Invalid("targets", "indicators.targets_per_year")
		}
		ind.Targets = append(ind.Targets, domain.IndicatorTarget{Year: f.FirstYear + i, Target: n})
	}
	return ind, nil
}

// indicatorTotals is an indicator with the shown totals of each of its
// periods: the whole period (year 0), then each year.
type indicatorTotals struct {
	indicator domain.Indicator
	periods   []periodTotals
}

type periodTotals struct {
	year   int
	totals *domain.ShownTotals
}

// indicatorsTotals reads the indicators of the programme ("" for all) and
// the totals of each of their periods, as the user may read them. The
// totals of every distinct filter come from one snapshot in one call
// (Store.TotalsOfEach): one transaction instead of one per indicator and
// year, which took most of the dashboard's time on the server (issue 16,
// point 7; docs/BENCHMARKS.md, "The dashboard in the browser").
func (s *Server) indicatorsTotals(c *fiber.Ctx, programme string) ([]indicatorTotals, error) {
	inds, err := s.store.Indicators(c.UserContext(), programme)
	if err != nil {
		return nil, err
	}
	var filters []domain.TotalsFilter
	for _, ind := range inds {
		for _, year := range append([]int{0}, ind.Years()...) {
			if f := ind.Scope(year); !slices.Contains(filters, f) {
				filters = append(filters, f)
			}
		}
	}
	shown, err := s.shownTotalsOfEach(c, filters)
	if err != nil {
		return nil, err
	}
	out := make([]indicatorTotals, 0, len(inds))
	for _, ind := range inds {
		it := indicatorTotals{indicator: ind}
		for _, year := range append([]int{0}, ind.Years()...) {
			it.periods = append(it.periods, periodTotals{year: year, totals: shown[ind.Scope(year)]})
		}
		out = append(out, it)
	}
	return out, nil
}

// indicatorsProgress computes every indicator of the programme ("" for
// all) with its periods: the whole period, then each year, each with its
// target, the recorded value as the user may read it and the reported
// value where a published report states the same figure for the same
// scope.
func (s *Server) indicatorsProgress(c *fiber.Ctx, programme string) ([]domain.IndicatorProgress, error) {
	all, err := s.indicatorsTotals(c, programme)
	if err != nil {
		return nil, err
	}
	reported, err := s.store.ReportedFigures(c.UserContext(), programme)
	if err != nil {
		return nil, err
	}
	out := make([]domain.IndicatorProgress, 0, len(all))
	for _, it := range all {
		ind := it.indicator
		progress := domain.IndicatorProgress{Indicator: ind}
		for _, p := range it.periods {
			recorded, _ := p.totals.Figure(ind.Figure)
			progress.Periods = append(progress.Periods, domain.IndicatorPeriod{Year: p.year, Target: ind.TargetOf(p.year),
				Recorded: recorded, Reported: ind.ReportedFor(p.year, reported)})
		}
		out = append(out, progress)
	}
	return out, nil
}

// indicatorsData is the indicators page: every indicator's progress and
// the choices of the form.
type indicatorsData struct {
	Progress   []domain.IndicatorProgress
	Programmes []namedOption
	Figures    []string
	Categories []domain.Category
	Sexes      []domain.Sex
	Marker     string
}

// indicatorsPage lists the indicators with their targets, recorded and
// reported values, with a form to define one.
func (s *Server) indicatorsPage(c *fiber.Ctx) error {
	data, err := s.indicatorsData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "dashboard/indicators", data, formOf(indicatorForm{}), nil)
}

func (s *Server) indicatorsData(c *fiber.Ctx) (any, error) {
	selects, _, err := s.filterChoices(c)
	if err != nil {
		return nil, err
	}
	progress, err := s.indicatorsProgress(c, "")
	if err != nil {
		return nil, err
	}
	return &indicatorsData{Progress: progress, Programmes: selects[0].Options, Figures: domain.FigureKeys,
		Categories: domain.Categories, Sexes: []domain.Sex{domain.Female, domain.Male}, Marker: domain.SmallCountMarker}, nil
}

// createIndicatorForm defines an indicator from the page's form.
func (s *Server) createIndicatorForm(c *fiber.Ctx) error {
	var f indicatorForm
	form := readForm(c, &f)
	ind, err := f.indicator()
	if err == nil {
		err = form.Check(ind.Validate())
	} else {
		err = form.Check(err)
	}
	if err == nil {
		err = s.store.CreateIndicator(c.UserContext(), ind, actor(c))
	}
	if err != nil {
		return s.renderFormAgain(c, "dashboard/indicators", form, err, func() (any, error) { return s.indicatorsData(c) })
	}
	return s.redirectWithFlash(c, "/dashboard/indicators", "flash.indicator_created")
}

// deleteIndicatorForm removes an indicator (defined by mistake).
func (s *Server) deleteIndicatorForm(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteIndicator(c.UserContext(), id, actor(c)); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/dashboard/indicators", "flash.indicator_deleted")
}

// apiIndicators answers GET /api/v1/indicators?programme= with the list of
// every indicator and its periods (target, recorded, reported); for the ministry
// a hidden recorded value is null, as in /api/v1/totals.
func (s *Server) apiIndicators(c *fiber.Ctx) error {
	programme := strings.ToLower(c.Query("programme"))
	progress, err := s.indicatorsProgress(c, programme)
	if err != nil {
		return err
	}
	return c.JSON(progress)
}

// apiCreateIndicator answers POST /api/v1/indicators: the indicator as
// JSON (the fields of domain.Indicator but id and the creation's), 201
// with it stored; bad input is a 422 with a message per field.
func (s *Server) apiCreateIndicator(c *fiber.Ctx) error {
	var in struct {
		Code          string                   `json:"code"`
		TitleAr       string                   `json:"title_ar"`
		TitleFr       string                   `json:"title_fr"`
		Figure        string                   `json:"figure"`
		Programme     string                   `json:"programme"`
		Sex           domain.Sex               `json:"sex"`
		Category      domain.Category          `json:"category"`
		FirstYear     int                      `json:"first_year"`
		LastYear      int                      `json:"last_year"`
		BaselineYear  int                      `json:"baseline_year"`
		BaselineValue int                      `json:"baseline_value"`
		Target        int                      `json:"target"`
		Targets       []domain.IndicatorTarget `json:"targets"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ind := &domain.Indicator{Code: in.Code, TitleAr: in.TitleAr, TitleFr: in.TitleFr, Figure: in.Figure,
		Programme: in.Programme, Sex: in.Sex, Category: in.Category, FirstYear: in.FirstYear, LastYear: in.LastYear,
		BaselineYear: in.BaselineYear, BaselineValue: in.BaselineValue, Target: in.Target, Targets: in.Targets}
	if err := s.store.CreateIndicator(c.UserContext(), ind, actor(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ind)
}
