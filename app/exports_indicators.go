package app

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The indicators for donors' systems (docs/INDICATORS.md): IATI activity
// results and ADX (DHIS2's aggregate data exchange). Both are written from
// the same shown totals as the dashboard and /api/v1/totals: exact for
// coordinators, small counts suppressed for the ministry. A hidden figure is
// left out (ADX has no way to say "fewer than 5": its value is a number;
// IATI's total actual keeps its place without a value, with the comment "<5").

// DefaultIATIReportingOrg is the reporting organisation's identifier the
// IATI file carries when none is configured (IATI_REPORTING_ORG): a
// placeholder, not a registered identifier. The ministry has to register
// its own with IATI and configure it (docs/INDICATORS.md).
const DefaultIATIReportingOrg = "MA-MSDSEF"

// IATI is who publishes the IATI file: ReportingOrg, the organisation
// identifier written as reporting-org/@ref and as the participating
// organisation (default DefaultIATIReportingOrg); ActivityPrefix, what each
// activity's iati-identifier starts with, "<prefix>-<programme code>"
// (default ReportingOrg: IATI's rule is that an activity identifier starts
// with its reporting organisation's identifier, or a previous one of it).
type IATI struct {
	ReportingOrg   string
	ActivityPrefix string
}

// WithDefaults fills what is not configured.
func (c IATI) WithDefaults() IATI {
	if c.ReportingOrg == "" {
		c.ReportingOrg = DefaultIATIReportingOrg
	}
	if c.ActivityPrefix == "" {
		c.ActivityPrefix = c.ReportingOrg
	}
	return c
}

// iatiForbidden are the characters IATI's identifiers may not hold (the
// Standard's guidance: no spaces, "/", "&", "|", "?").
const iatiForbidden = "/&|?"

// Validate refuses an identifier the IATI file could not carry: checked at
// start-up (main.go), so that a typing mistake in the configuration stops
// the server rather than publishing a wrong file.
func (c IATI) Validate() error {
	c = c.WithDefaults()
	for name, v := range map[string]string{"IATI_REPORTING_ORG": c.ReportingOrg, "IATI_ACTIVITY_PREFIX": c.ActivityPrefix} {
		if strings.ContainsAny(v, iatiForbidden) || strings.IndexFunc(v, unicode.IsSpace) >= 0 || !utf8.ValidString(v) {
			return fmt.Errorf("%s %q: an IATI identifier holds no spaces nor any of %s", name, v, iatiForbidden)
		}
	}
	return nil
}

// activityID is the iati-identifier of a programme's activity.
func (c IATI) activityID(programme string) string { return c.ActivityPrefix + "-" + programme }

// ADXOrgUnit is the national organisation unit of the ADX file (Morocco's
// ISO 3166 code); provinces are written with their own codes.
const ADXOrgUnit = "MA"

const xmlLangNS = "http://www.w3.org/XML/1998/namespace"

type iatiActivities struct {
	XMLName    xml.Name       `xml:"iati-activities"`
	Version    string         `xml:"version,attr"`
	Generated  string         `xml:"generated-datetime,attr"`
	Activities []iatiActivity `xml:"iati-activity"`
}

type iatiActivity struct {
	LastUpdated  string       `xml:"last-updated-datetime,attr"`
	Lang         string       `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Identifier   string       `xml:"iati-identifier"`
	ReportingOrg iatiOrg      `xml:"reporting-org"`
	Title        iatiText     `xml:"title"`
	Description  iatiText     `xml:"description"`
	Participant  iatiOrg      `xml:"participating-org"`
	Status       iatiCode     `xml:"activity-status"`
	Dates        []iatiDate   `xml:"activity-date"`
	Results      []iatiResult `xml:"result"`
}

type iatiOrg struct {
	Ref  string          `xml:"ref,attr"`
	Type string          `xml:"type,attr,omitempty"`
	Role string          `xml:"role,attr,omitempty"`
	Name []iatiNarrative `xml:"narrative"`
}

type iatiText struct {
	Narratives []iatiNarrative `xml:"narrative"`
}

type iatiNarrative struct {
	Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Text string `xml:",chardata"`
}

type iatiCode struct {
	Code string `xml:"code,attr"`
}

type iatiDate struct {
	ISODate string `xml:"iso-date,attr"`
	Type    string `xml:"type,attr"`
}

type iatiResult struct {
	Type      string        `xml:"type,attr"`
	Title     iatiText      `xml:"title"`
	Indicator iatiIndicator `xml:"indicator"`
}

type iatiIndicator struct {
	Measure   string        `xml:"measure,attr"`
	Ascending string        `xml:"ascending,attr"`
	Title     iatiText      `xml:"title"`
	Reference iatiReference `xml:"reference"`
	Baseline  iatiBaseline  `xml:"baseline"`
	Periods   []iatiPeriod  `xml:"period"`
}

type iatiReference struct {
	Vocabulary string `xml:"vocabulary,attr"`
	Code       string `xml:"code,attr"`
}

type iatiBaseline struct {
	Year  int    `xml:"year,attr"`
	Value string `xml:"value,attr"`
}

type iatiPeriod struct {
	Start   iatiISODate `xml:"period-start"`
	End     iatiISODate `xml:"period-end"`
	Target  iatiValue   `xml:"target"`
	Actuals []iatiValue `xml:"actual"`
}

type iatiISODate struct {
	ISODate string `xml:"iso-date,attr"`
}

type iatiValue struct {
	Value      *string         `xml:"value,attr"`
	Dimensions []iatiDimension `xml:"dimension"`
	Comment    *iatiText       `xml:"comment"`
}

type iatiDimension struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// figureValue is one value of an indicator's period: the total (no
// dimension) or one sex, category or province.
type figureValue struct {
	sex, category, province string
	cell                    domain.Cell
}

// periodValues are the values of one period: the total first, then by sex,
// by category (for a local actors figure, the two categories it adds up) and
// by province.
func periodValues(figure string, t *domain.ShownTotals) []figureValue {
	total, _ := t.Figure(figure)
	values := []figureValue{{cell: total}}
	for _, row := range t.BySex {
		if cell, ok := row.FigureOf(figure); ok {
			values = append(values, figureValue{sex: row.Key, cell: cell})
		}
	}
	if group, field, ok := strings.Cut(figure, "."); ok && group == "local_actors" {
		for _, c := range domain.Categories {
			if c.IsLocalActor() {
				cell, _ := t.Figure("by_category." + string(c) + "." + field)
				values = append(values, figureValue{category: string(c), cell: cell})
			}
		}
	}
	for _, row := range t.ByProvince {
		if cell, ok := row.FigureOf(figure); ok {
			values = append(values, figureValue{province: row.Key, cell: cell})
		}
	}
	return values
}

// periodDates are the first and last days of a period (year 0: the
// indicator's whole period).
func periodDates(ind domain.Indicator, year int) (string, string) {
	first, last := ind.FirstYear, ind.LastYear
	if year != 0 {
		first, last = year, year
	}
	return fmt.Sprintf("%04d-01-01", first), fmt.Sprintf("%04d-12-31", last)
}

// exportIndicatorsIATI answers GET /exports/indicators.iati.xml?programme=:
// one IATI activity per programme with indicators, one result per
// indicator (its baseline; a period for the whole period and one per year,
// each with its target and its actual values: the total, then by sex,
// category and province as dimensions).
func (s *Server) exportIndicatorsIATI(c *fiber.Ctx) error {
	programme, all, err := s.exportedIndicators(c)
	if err != nil {
		return err
	}
	programmes, err := s.programmesByCode(c)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	doc := iatiActivities{Version: "2.03", Generated: now.Format(time.RFC3339)}
	var current *iatiActivity
	for _, it := range all {
		ind := it.indicator
		if current == nil || current.Identifier != s.cfg.IATI.activityID(ind.Programme) {
			doc.Activities = append(doc.Activities, newIATIActivity(s.cfg.IATI, programmes[ind.Programme], now))
			current = &doc.Activities[len(doc.Activities)-1]
		}
		current.widen(ind, now)
		current.Results = append(current.Results, iatiResultOf(it))
	}
	return sendXML(c, doc, "indicators-iati", programme)
}

func newIATIActivity(publisher IATI, p domain.Programme, now time.Time) iatiActivity {
	org := []iatiNarrative{{Lang: "fr", Text: "Ministère de la Solidarité, du Développement social, de l’Égalité et de la Famille"},
		{Lang: "ar", Text: "وزارة التضامن والتنمية الاجتماعية والمساواة والأسرة"}}
	return iatiActivity{
		LastUpdated:  now.Format(time.RFC3339),
		Lang:         "fr",
		Identifier:   publisher.activityID(p.Code),
		ReportingOrg: iatiOrg{Ref: publisher.ReportingOrg, Type: "10", Name: org},
		Title:        iatiText{[]iatiNarrative{{Text: p.NameFr}, {Lang: "ar", Text: p.NameAr}}},
		Description: iatiText{[]iatiNarrative{{Text: "Indicateurs du programme, calculés à partir des registres de présence de Takaffoul."},
			{Lang: "ar", Text: "مؤشرات البرنامج، محسوبة من سجلات الحضور في تكافل."}}},
		Participant: iatiOrg{Ref: publisher.ReportingOrg, Role: "4", Name: org},
		Status:      iatiCode{Code: "2"},
	}
}

// widen sets the activity's dates and status to cover the indicator's
// period: started on its first year; ended (and the activity closed) when
// its last year is over.
func (a *iatiActivity) widen(ind domain.Indicator, now time.Time) {
	start, end := periodDates(ind, 0)
	if len(a.Dates) == 0 || start < a.Dates[0].ISODate {
		a.Dates = []iatiDate{{ISODate: start, Type: "2"}}
	}
	if ind.LastYear < now.Year() {
		a.Status = iatiCode{Code: "4"}
		a.Dates = append(a.Dates[:1], iatiDate{ISODate: end, Type: "4"})
	}
}

func iatiResultOf(it indicatorTotals) iatiResult {
	ind := it.indicator
	title := iatiText{[]iatiNarrative{{Text: ind.TitleFr}, {Lang: "ar", Text: ind.TitleAr}}}
	indicator := iatiIndicator{Measure: "1", Ascending: "1", Title: title,
		Reference: iatiReference{Vocabulary: "99", Code: ind.Code},
		Baseline:  iatiBaseline{Year: ind.BaselineYear, Value: strconv.Itoa(ind.BaselineValue)}}
	for _, p := range it.periods {
		start, end := periodDates(ind, p.year)
		target := strconv.Itoa(ind.TargetOf(p.year))
		period := iatiPeriod{Start: iatiISODate{start}, End: iatiISODate{end}, Target: iatiValue{Value: &target}}
		for i, v := range periodValues(ind.Figure, p.totals) {
			if v.cell.Hidden && i > 0 {
				continue // a hidden breakdown cell is left out
			}
			actual := iatiValue{}
			if v.cell.Hidden {
				actual.Comment = &iatiText{[]iatiNarrative{{Text: domain.SmallCountMarker}}}
			} else {
				value := strconv.Itoa(v.cell.Value)
				actual.Value = &value
			}
			actual.Dimensions = v.dimensions()
			period.Actuals = append(period.Actuals, actual)
		}
		indicator.Periods = append(indicator.Periods, period)
	}
	return iatiResult{Type: "1", Title: title, Indicator: indicator}
}

func (v figureValue) dimensions() []iatiDimension {
	switch {
	case v.sex != "":
		return []iatiDimension{{Name: "sex", Value: v.sex}}
	case v.category != "":
		return []iatiDimension{{Name: "category", Value: v.category}}
	case v.province != "":
		return []iatiDimension{{Name: "province", Value: v.province}}
	}
	return nil
}

type adxDoc struct {
	XMLName  xml.Name   `xml:"urn:ihe:qrph:adx:2015 adx"`
	Exported string     `xml:"exported,attr"`
	Groups   []adxGroup `xml:"group"`
}

type adxGroup struct {
	OrgUnit string     `xml:"orgUnit,attr"`
	Period  string     `xml:"period,attr"`
	DataSet string     `xml:"dataSet,attr"`
	Values  []adxValue `xml:"dataValue"`
}

type adxValue struct {
	DataElement string `xml:"dataElement,attr"`
	Value       int    `xml:"value,attr"`
	Sex         string `xml:"SEX,attr,omitempty"`
	Category    string `xml:"CATEGORY,attr,omitempty"`
}

// adxPeriod is the period of year (0: the whole period) as ADX writes it:
// a first day and a duration in years.
func adxPeriod(ind domain.Indicator, year int) string {
	if year != 0 {
		return fmt.Sprintf("%04d-01-01/P1Y", year)
	}
	return fmt.Sprintf("%04d-01-01/P%dY", ind.FirstYear, ind.LastYear-ind.FirstYear+1)
}

// exportIndicatorsADX answers GET /exports/indicators.adx.xml?programme=:
// a group per programme (the data set), organisation unit (the country, or
// a province) and period (the whole period, or one year); in each, the
// indicators' values (data element: the indicator's code), by sex and
// category as attributes, and, for the country, the targets (data element:
// the code and "-target").
func (s *Server) exportIndicatorsADX(c *fiber.Ctx) error {
	programme, all, err := s.exportedIndicators(c)
	if err != nil {
		return err
	}
	doc := adxDoc{Exported: time.Now().UTC().Format(time.RFC3339)}
	groups := map[[3]string]int{} // programme, org unit, period → index in doc.Groups
	add := func(ind domain.Indicator, orgUnit, period string, v adxValue) {
		key := [3]string{ind.Programme, orgUnit, period}
		i, ok := groups[key]
		if !ok {
			i = len(doc.Groups)
			groups[key] = i
			doc.Groups = append(doc.Groups, adxGroup{OrgUnit: orgUnit, Period: period, DataSet: ind.Programme})
		}
		doc.Groups[i].Values = append(doc.Groups[i].Values, v)
	}
	for _, it := range all {
		ind := it.indicator
		for _, p := range it.periods {
			period := adxPeriod(ind, p.year)
			add(ind, ADXOrgUnit, period, adxValue{DataElement: ind.Code + "-target", Value: ind.TargetOf(p.year)})
			for _, v := range periodValues(ind.Figure, p.totals) {
				if v.cell.Hidden {
					continue
				}
				orgUnit := ADXOrgUnit
				if v.province != "" {
					orgUnit = v.province
				}
				add(ind, orgUnit, period, adxValue{DataElement: ind.Code, Value: v.cell.Value, Sex: v.sex, Category: v.category})
			}
		}
	}
	return sendXML(c, doc, "indicators-adx", programme)
}

// exportedIndicators reads the programme filter (a malformed code is a
// 422) and the indicators' totals; no indicator is a 404, both formats
// needing at least one.
func (s *Server) exportedIndicators(c *fiber.Ctx) (string, []indicatorTotals, error) {
	f, err := domain.ParseTotalsFilter(map[string]string{"programme": c.Query("programme")})
	if err != nil {
		return "", nil, err
	}
	all, err := s.indicatorsTotals(c, f.Programme)
	if err != nil {
		return "", nil, err
	}
	if len(all) == 0 {
		return "", nil, fmt.Errorf("indicators of %q: %w", f.Programme, domain.ErrNotFound)
	}
	return f.Programme, all, nil
}

func (s *Server) programmesByCode(c *fiber.Ctx) (map[string]domain.Programme, error) {
	ps, err := s.store.Programmes(c.UserContext(), repository.Page{})
	if err != nil {
		return nil, err
	}
	byCode := make(map[string]domain.Programme, len(ps))
	for _, p := range ps {
		byCode[p.Code] = p
	}
	return byCode, nil
}

// sendXML writes doc as an XML attachment named after what and the programme.
func sendXML(c *fiber.Ctx, doc any, what, programme string) error {
	out, err := xml.MarshalIndent(doc, "", " ")
	if err != nil {
		return err
	}
	name := what
	if programme != "" {
		name += "-" + programme
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.xml"`)
	return c.Send(append([]byte(xml.Header), out...))
}
