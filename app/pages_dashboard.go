package app

import (
	"html/template"
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// dashboardData is everything the dashboard shows. Totals is nil when the
// filter is invalid: the page then shows the filter form with its messages.
type dashboardData struct {
	Totals      *domain.ShownTotals
	Selects     []filterSelect
	CSV, XLSX   template.URL // the download links, with the same filter
	Categories  []categoryRow
	Sections    []breakdownSection
	Chart       template.HTML // trained people per category
	Comparisons []comparisonRow
	Completion  []completionSection        // programme completion, per programme with modules (pages_curriculum.go)
	Outcomes    *domain.ShownOutcomes      // scores and satisfaction for the filter's programme and year (pages_outcomes.go)
	Indicators  []domain.IndicatorProgress // the programme's indicators (indicators.go)
	Applied     []appliedFilter            // the filter in words, for the printed page
	hidden      string                     // a hidden figure in words: "fewer than 5"
	lang        string                     // the page's language, for its percentages
}

// Cell writes a figure of the page: its number, or "<5" with the words as
// its title when it is hidden ({{$.Data.Cell .LocalActors.Trained}}).
func (d *dashboardData) Cell(c domain.Cell) template.HTML {
	if c.Hidden {
		return d.Marker()
	}
	return template.HTML(strconv.Itoa(c.Value))
}

// Rate writes an attendance rate, or "<5" when it is hidden.
func (d *dashboardData) Rate(r domain.RateCell) template.HTML {
	if r.Hidden {
		return d.Marker()
	}
	return isolated(formatPercent(d.lang, r.Value))
}

// Marker is how a hidden figure is shown: "<5", the words as its title. It
// reads left to right in Arabic pages too, as in the files and in Moroccan
// mathematics: in a right-to-left line the browser would mirror it to "5>".
func (d *dashboardData) Marker() template.HTML {
	return template.HTML(`<abbr class="suppressed" dir="ltr" title="` + template.HTMLEscapeString(d.hidden) + `">` +
		template.HTMLEscapeString(domain.SmallCountMarker) + `</abbr>`)
}

// filterSelect is one select of the filter form (the values are codes,
// the labels in the user's language; "" is "all").
type filterSelect struct {
	Name    string // the query parameter
	Options []namedOption
}

type namedOption struct{ Code, Name string }

// appliedFilter is one part of the filter a printed dashboard states:
// its field's label (a message key) and its value in words.
type appliedFilter struct{ Label, Value string }

// appliedFilters states the filter f with the names the selects show (a
// course by its number): a printed page says what it counts.
func appliedFilters(selects []filterSelect, f domain.TotalsFilter) []appliedFilter {
	values := filterValues(f)
	var out []appliedFilter
	for _, sel := range selects {
		for _, o := range sel.Options {
			if o.Code == values[sel.Name] {
				out = append(out, appliedFilter{"field." + sel.Name, o.Name})
			}
		}
	}
	if f.Course != 0 {
		out = append(out, appliedFilter{"dashboard.course_id", values["course"]})
	}
	return out
}

type categoryRow struct {
	Key    domain.Category
	Counts domain.CountCells
}

// breakdownSection is one breakdown (by programme, year, …): its rows with
// labels in the user's language, and its chart.
type breakdownSection struct {
	Key   string // "by_programme", …: the message keys derive from it
	Rows  []breakdownRow
	Chart template.HTML
}

type breakdownRow struct {
	Label string
	domain.BreakdownCells
}

type comparisonRow struct {
	domain.Comparison
	Programme string // the programme's name in the user's language
	Source    string // the source, shortened for the table (the full text is its title)
	Hidden    bool   // the recorded figure is hidden: so are the difference and the match
	// The figure when the latest closing in force of a course of its scope
	// was made (nil: none closed), hidden as small counts are for the
	// ministry; Changed: it is not the value now (issue 14).
	AtClosing     *int
	ClosingHidden bool
	Changed       bool
}

// withClosing adds to the row its scope's figure at closing, if one of its
// courses is closed. For the ministry (exact false) a closing value of 1 to
// 4, or beside a hidden value now, is hidden too.
func (row *comparisonRow) withClosing(closings map[domain.TotalsFilter]repository.ScopeClosing, exact bool) {
	closing, ok := closings[row.Reported.Scope()]
	if !ok {
		return
	}
	value := closing.Figures[row.Reported.Figure]
	row.AtClosing = &value
	row.ClosingHidden = !exact && (row.Hidden || (value > 0 && value < 5))
	row.Changed = !row.Hidden && row.Recorded != value
}

// newComparisonRow names the programme of a comparison in the user's language.
func newComparisonRow(cmp domain.Comparison, programmes placeNames) comparisonRow {
	name := programmes[cmp.Reported.Programme]
	if name == "" {
		name = cmp.Reported.Programme
	}
	return comparisonRow{Comparison: cmp, Programme: name, Source: shorten(cmp.Reported.Source, 120)}
}

// dashboardPage shows the ministry's figures for the filter of the query
// string: headline cards, breakdown tables and charts, and each reported
// figure beside the recorded one.
func (s *Server) dashboardPage(c *fiber.Ctx) error {
	form := NewForm(queryValues(c, domain.TotalsFilterFields...))
	choices, names, err := s.filterChoices(c)
	if err != nil {
		return err
	}
	data := &dashboardData{Selects: choices}
	t, comparisons, err := s.dashboardTotals(c, names["by_programme"])
	if err != nil {
		return s.renderForm(c, "dashboard/show", data, form, err)
	}
	data.Comparisons = comparisons
	if data.Completion, err = s.dashboardCompletion(c, t.Filters.Programme); err != nil {
		return err
	}
	if data.Outcomes, err = s.shownOutcomes(c, t.Filters.Programme, t.Filters.Year); err != nil {
		return err
	}
	if data.Indicators, err = s.indicatorsProgress(c, t.Filters.Programme); err != nil {
		return err
	}
	s.fillDashboard(c, data, t, names)
	data.Applied = appliedFilters(choices, t.Filters)
	return s.renderForm(c, "dashboard/show", data, NewForm(filterValues(t.Filters)), nil)
}

// dashboardTotals reads the totals of the query's filter and pairs each
// reported figure of its programme ("" for all) with the recorded one. The
// filter's totals and those of every distinct scope of the reported
// figures come from one snapshot in one call (Store.TotalsOfEach): they
// agree with each other, and the page waits for one transaction instead of
// one per scope, which were most of its 157 ms on the server (issue 16,
// point 7; docs/BENCHMARKS.md, "The dashboard in the browser"). Every
// figure is shown through showTotals, as for the rest of the page: the
// ministry would otherwise read, in a comparison, a figure the totals
// hide. An invalid filter is its validation error.
func (s *Server) dashboardTotals(c *fiber.Ctx, programmes placeNames) (*domain.ShownTotals, []comparisonRow, error) {
	ctx := c.UserContext()
	f, err := domain.ParseTotalsFilter(c.Queries())
	if err != nil {
		return nil, nil, err
	}
	reported, err := s.store.ReportedFigures(ctx, f.Programme)
	if err != nil {
		return nil, nil, err
	}
	closings, err := s.store.ScopeClosings(ctx)
	if err != nil {
		return nil, nil, err
	}
	scopes := []domain.TotalsFilter{f} // the page's own first
	for _, r := range reported {
		if !slices.Contains(scopes, r.Scope()) {
			scopes = append(scopes, r.Scope())
		}
	}
	shown, err := s.shownTotalsOfEach(c, scopes)
	if err != nil {
		return nil, nil, err
	}
	exact := coordinators.admits(currentUser(c))
	rows := make([]comparisonRow, 0, len(reported))
	for _, r := range reported {
		cmp, hidden := domain.CompareShown(r, shown[r.Scope()])
		row := newComparisonRow(cmp, programmes)
		row.Hidden = hidden
		row.withClosing(closings, exact)
		rows = append(rows, row)
	}
	return shown[f], rows, nil
}

// placeNames gives programmes, regions and provinces their name in the
// user's language, by code.
type placeNames map[string]string

func (s *Server) filterChoices(c *fiber.Ctx) ([]filterSelect, map[string]placeNames, error) {
	ctx, tr := c.UserContext(), s.tr(c)
	programmes, err := s.store.Programmes(ctx, repository.Page{})
	if err != nil {
		return nil, nil, err
	}
	regions, err := s.store.Regions(ctx)
	if err != nil {
		return nil, nil, err
	}
	provinces, err := s.store.Provinces(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]placeNames{"by_programme": {}, "by_region": {}, "by_province": {}}
	programme, region, province := filterSelect{Name: "programme"}, filterSelect{Name: "region"}, filterSelect{Name: "province"}
	var years []int
	for _, p := range programmes {
		name := p.Names().In(tr.Lang)
		programme.Options = append(programme.Options, namedOption{p.Code, name})
		names["by_programme"][p.Code] = name
		for y := p.StartYear; y <= p.EndYear && y-p.StartYear < 50; y++ {
			if !slices.Contains(years, y) {
				years = append(years, y)
			}
		}
	}
	for _, r := range regions {
		name := r.Names().In(tr.Lang)
		region.Options = append(region.Options, namedOption{r.Code, name})
		names["by_region"][r.Code] = name
	}
	for _, p := range provinces {
		name := p.Names().In(tr.Lang)
		province.Options = append(province.Options, namedOption{p.Code, name})
		names["by_province"][p.Code] = name
	}
	slices.Sort(years)
	year := filterSelect{Name: "year"}
	for _, y := range years {
		year.Options = append(year.Options, namedOption{strconv.Itoa(y), strconv.Itoa(y)})
	}
	sex := filterSelect{Name: "sex"}
	for _, x := range []domain.Sex{domain.Female, domain.Male} {
		sex.Options = append(sex.Options, namedOption{string(x), tr.T("dashboard.sex." + string(x))})
	}
	category := filterSelect{Name: "category"}
	for _, x := range domain.Categories {
		category.Options = append(category.Options, namedOption{string(x), tr.T("category." + string(x))})
	}
	return []filterSelect{programme, year, region, province, sex, category}, names, nil
}

// fillDashboard lays the totals out for the page.
func (s *Server) fillDashboard(c *fiber.Ctx, data *dashboardData, t *domain.ShownTotals, names map[string]placeNames) {
	tr := s.tr(c)
	rtl := tr.Dir() == "rtl"
	data.Totals = t
	data.hidden = tr.T("suppression.fewer_than_5")
	data.lang = tr.Lang
	data.CSV, data.XLSX = exportLink("/exports/totals.csv", t.Filters), exportLink("/exports/totals.xlsx", t.Filters)
	for _, cat := range domain.Categories {
		data.Categories = append(data.Categories, categoryRow{cat, t.ByCategory.Of(cat)})
	}
	catChart := barChart{ID: "chart-category", Title: tr.T("dashboard.chart.by_category"), Hidden: data.hidden, Series: []chartSeries{
		{tr.T("dashboard.col.enrolled"), colourEnrolled}, {tr.T("dashboard.col.trained"), colourTrained},
		{tr.T("dashboard.col.completed"), colourCompleted}}}
	for _, r := range data.Categories {
		catChart.Rows = append(catChart.Rows, chartRow{tr.T("dashboard.category." + string(r.Key)),
			[]domain.Cell{r.Counts.Enrolled, r.Counts.Trained, r.Counts.Completed}})
	}
	data.Chart = catChart.HTML(rtl)

	for _, sec := range []struct {
		key  string
		rows []domain.BreakdownCells
	}{{"by_programme", t.ByProgramme}, {"by_year", t.ByYear}, {"by_region", t.ByRegion},
		{"by_province", t.ByProvince}, {"by_sex", t.BySex}} {
		section := breakdownSection{Key: sec.key}
		chart := barChart{ID: "chart-" + sec.key, Title: tr.T("dashboard.chart." + sec.key), Hidden: data.hidden, Series: []chartSeries{
			{tr.T("dashboard.local_actors"), colourTrained}, {tr.T("dashboard.category.child_parliamentarian"), colourChildren}}}
		for _, b := range sec.rows {
			label := breakdownLabel(tr, sec.key, b, names[sec.key])
			section.Rows = append(section.Rows, breakdownRow{label, b})
			chart.Rows = append(chart.Rows, chartRow{label, []domain.Cell{b.LocalActors.Trained, b.ByCategory.ChildParliamentarian.Trained}})
		}
		if len(chart.Rows) > 0 {
			section.Chart = chart.HTML(rtl)
		}
		data.Sections = append(data.Sections, section)
	}
}

// Chart colours: at least 4.5:1 against white, and told apart by the legend
// and the tables, not by colour alone.
const (
	colourEnrolled  = "#4a5561"
	colourTrained   = "#0b5a4a"
	colourCompleted = "#1d4ed8"
	colourChildren  = "#9a3412"
)

// breakdownLabel names a breakdown row in the user's language.
func breakdownLabel(tr *Translator, section string, b domain.BreakdownCells, names placeNames) string {
	switch section {
	case "by_year":
		return b.Key
	case "by_sex":
		return tr.T("dashboard.sex." + b.Key)
	}
	if name := names[b.Key]; name != "" {
		return name
	}
	if name := (domain.Names{Ar: b.NameAr, Fr: b.NameFr}).In(tr.Lang); name != "" {
		return name
	}
	return b.Key
}

// queryValues collects the named query parameters as typed.
func queryValues(c *fiber.Ctx, keys ...string) map[string]string {
	values := make(map[string]string, len(keys))
	for _, k := range keys {
		values[k] = c.Query(k)
	}
	return values
}

// filterValues is a valid filter as form values.
func filterValues(f domain.TotalsFilter) map[string]string {
	v := map[string]string{"programme": f.Programme, "region": f.Region, "province": f.Province,
		"sex": string(f.Sex), "category": string(f.Category)}
	if f.Year != 0 {
		v["year"] = strconv.Itoa(f.Year)
	}
	if f.Course != 0 {
		v["course"] = strconv.FormatInt(f.Course, 10)
	}
	return v
}

// exportLink is path with the filter as its query string (without empty
// parts). It is built here, escaped by url.Values, because html/template
// would escape the "=" of a query string written into an href.
func exportLink(path string, f domain.TotalsFilter) template.URL {
	q := url.Values{}
	for k, v := range filterValues(f) {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return template.URL(path)
	}
	return template.URL(path + "?" + q.Encode())
}
