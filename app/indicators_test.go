package app_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// indicatorsAnswer is GET /api/v1/indicators as a test reads it.
type indicatorsAnswer struct {
	Indicators []indicatorAnswer
}

type indicatorAnswer struct {
	Indicator domain.Indicator `json:"indicator"`
	Periods   []struct {
		Year     int  `json:"year"`
		Target   int  `json:"target"`
		Recorded *int `json:"recorded"`
		Reported *int `json:"reported"`
	} `json:"periods"`
}

func (env *dashEnv) indicators(t *testing.T, cl *client, query string) indicatorsAnswer {
	t.Helper()
	r := cl.call("GET", "/api/v1/indicators"+query, "")
	expectStatus(t, "indicators", r, 200)
	var a indicatorsAnswer
	decode(t, r, &a.Indicators)
	return a
}

// The demo's indicators are the closing report's figures: their recorded
// values, computed from the records, are 151 / 121 / 30 / 30 / 96, equal to
// the reported ones and to the targets; the ministry reads them too (none
// is small).
func TestDemoIndicatorsRecordTheReportsFigures(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	want := map[string]int{"cp-local-actors-trained": 151, "cp-institutional-trained": 121,
		"cp-associative-trained": 30, "cp-child-parliamentarians-trained": 30, "pp-associations-trained": 96}
	for _, who := range []struct {
		name string
		cl   *client
	}{{"coordinator", env.coordinator}, {"ministry", env.ministryAPI}} {
		a := env.indicators(t, who.cl, "")
		if len(a.Indicators) != len(want) {
			t.Fatalf("%s: want %d indicators, got %d", who.name, len(want), len(a.Indicators))
		}
		for _, ind := range a.Indicators {
			whole := ind.Periods[0]
			w := want[ind.Indicator.Code]
			if whole.Year != 0 || whole.Recorded == nil || *whole.Recorded != w || whole.Target != w {
				t.Errorf("%s: %s whole period = %+v (recorded %v), want target and recorded %d", who.name,
					ind.Indicator.Code, whole, whole.Recorded, w)
			}
			if whole.Reported == nil || *whole.Reported != w {
				t.Errorf("%s: %s reported = %v, want %d", who.name, ind.Indicator.Code, whole.Reported, w)
			}
			if len(ind.Periods) != 1+ind.Indicator.LastYear-ind.Indicator.FirstYear+1 {
				t.Errorf("%s: %s has %d periods", who.name, ind.Indicator.Code, len(ind.Periods))
			}
		}
	}
	// The dashboard shows them side by side, in the user's language.
	env.ministry.setLanguage("fr")
	page := env.ministry.get("/dashboard?programme=child-protection")
	expectStatus(t, "dashboard", page, 200)
	for _, s := range []string{`id="indicators"`, `data-indicator="cp-local-actors-trained"`, "Acteurs locaux formés à la protection de l’enfance",
		`<td class="num recorded">151</td>`, `<td class="num reported">151</td>`, "/exports/indicators.iati.xml?programme=child-protection"} {
		if !strings.Contains(page.Body, s) {
			t.Errorf("the dashboard lacks %q", s)
		}
	}
	if strings.Contains(page.Body, "pp-associations-trained") {
		t.Error("the child-protection dashboard shows positive parenting's indicator")
	}
}

// A coordinator defines an indicator on the page (one transaction, audited);
// bad input is a 422 in the user's language with nothing stored; the API
// does the same with JSON; the page lists it and deletes it.
func TestCoordinatorDefinesAnIndicator(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	form := url.Values{"code": {"cp-girls-trained"}, "title_ar": {"الفتيات المكوَّنات"}, "title_fr": {"Filles formées"},
		"figure": {"by_category.child_parliamentarian.trained"}, "programme": {"child-protection"}, "sex": {"female"},
		"first_year": {"2019"}, "last_year": {"2020"}, "baseline_year": {"2019"}, "baseline_value": {"0"},
		"target": {"20"}, "targets": {"10 10"}}
	before := countRows(t, env.store, `SELECT count(*) FROM indicators`)

	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("targets", "10") // one year without a target
	bad.Set("code", "Pas Un Code!")
	env.coordinator.setLanguage("fr")
	r := env.coordinator.post("/dashboard/indicators", bad)
	expectStatus(t, "bad indicator", r, 422)
	for _, s := range []string{"Indiquez une cible entière pour chaque année de la période", "Le code ne peut contenir que"} {
		if !strings.Contains(r.Body, s) {
			t.Errorf("the page does not say %q", s)
		}
	}
	bad.Set("code", "cp-x")
	bad.Set("targets", "10 dix")
	expectStatus(t, "a target that is not a number", env.coordinator.post("/dashboard/indicators", bad), 422)
	if n := countRows(t, env.store, `SELECT count(*) FROM indicators`); n != before {
		t.Fatalf("bad input stored an indicator: %d → %d", before, n)
	}

	expectStatus(t, "indicator", env.coordinator.post("/dashboard/indicators", form), 303)
	expectStatus(t, "same code", env.coordinator.post("/dashboard/indicators", form), 409)
	var id int64
	if err := env.store.DB().Get(&id, `SELECT id FROM indicators WHERE code = 'cp-girls-trained'`); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM indicator_targets WHERE indicator_id = $1`, id); n != 2 {
		t.Errorf("want 2 yearly targets, got %d", n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'indicator.create' AND entity_id = $1`, id); n != 1 {
		t.Errorf("want one audit entry, got %d", n)
	}
	// Its recorded value is the totals' for the same filter.
	tot := env.totals(t, "programme=child-protection&sex=female&category=child_parliamentarian")
	a := env.indicators(t, env.coordinator, "?programme=child-protection")
	found := false
	for _, ind := range a.Indicators {
		if ind.Indicator.Code == "cp-girls-trained" {
			found = true
			if got := ind.Periods[0].Recorded; got == nil || *got != tot.ByCategory.ChildParliamentarian.Trained {
				t.Errorf("recorded %v, the totals say %d", got, tot.ByCategory.ChildParliamentarian.Trained)
			}
			if ind.Periods[0].Reported != nil {
				t.Error("a reported figure has no sex: it cannot match an indicator of girls")
			}
		}
	}
	if !found {
		t.Fatal("the API does not list the new indicator")
	}
	page := env.coordinator.get("/dashboard/indicators")
	expectStatus(t, "page", page, 200)
	if !strings.Contains(page.Body, "Filles formées") {
		t.Error("the page does not list the new indicator")
	}
	expectStatus(t, "delete", env.coordinator.post(fmt.Sprintf("/dashboard/indicators/%d/delete", id), nil), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM indicator_targets WHERE indicator_id = $1`, id); n != 0 {
		t.Errorf("the targets outlived their indicator: %d", n)
	}

	// The API: JSON in, 201 out; bad input is a 422 naming the field.
	body := `{"code": "pp-associations-enrolled", "title_ar": "الجمعيات المسجلة", "title_fr": "Associations inscrites",
	  "figure": "associations.enrolled", "programme": "positive-parenting", "first_year": 2017, "last_year": 2018,
	  "baseline_year": 2017, "baseline_value": 0, "target": 50, "targets": [{"year": 2017, "target": 25}, {"year": 2018, "target": 25}]}`
	expectStatus(t, "API create", env.coordinatorAPI(t).call("POST", "/api/v1/indicators", body), 201)
	r = env.coordinatorAPI(t).call("POST", "/api/v1/indicators", strings.Replace(body, `"programme": "positive-parenting"`, `"programme": "nowhere"`, 1))
	expectStatus(t, "unknown programme", r, 422)
	var e apiError
	decode(t, r, &e)
	if e.Fields["programme"] == "" {
		t.Errorf("the 422 does not name the programme: %s", r.Body)
	}
	expectStatus(t, "ministry may not define", env.ministryAPI.call("POST", "/api/v1/indicators", body), 403)
}

// coordinatorAPI is the coordinator's browser session used for JSON: the
// same user, with the CSRF token of the last page seen.
func (env *dashEnv) coordinatorAPI(t *testing.T) *client {
	t.Helper()
	token, _, err := env.store.CreateAPIToken(context.Background(), env.coordinatorID(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, env.web)
	cl.headers["Authorization"] = "Bearer " + token
	return cl
}

func (env *dashEnv) coordinatorID(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := env.store.DB().Get(&id, `SELECT id FROM users WHERE email = 'coordinator@dashboard.ma'`); err != nil {
		t.Fatal(err)
	}
	return id
}

// schemaDir holds the vendored schemas (testdata/schemas/README.md).
const schemaDir = "testdata/schemas"

// validateXML checks doc against the schema with xmllint, without the
// network (every import is vendored beside it).
func validateXML(t *testing.T, schema string, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is needed (Debian package libxml2-utils; .ci/run installs it)")
	}
	file := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", filepath.Join(schemaDir, schema), file).CombinedOutput()
	if err != nil {
		t.Fatalf("%s does not validate against %s: %v\n%s", file, schema, err, out)
	}
	t.Logf("xmllint --schema %s: %s", schema, bytes.TrimSpace(out))
}

// iatiDoc is the part of the IATI file the tests read.
type iatiDoc struct {
	Activities []struct {
		Identifier string `xml:"iati-identifier"`
		Results    []struct {
			Indicator struct {
				Reference struct {
					Code string `xml:"code,attr"`
				} `xml:"reference"`
				Baseline struct {
					Year  int    `xml:"year,attr"`
					Value string `xml:"value,attr"`
				} `xml:"baseline"`
				Periods []struct {
					Start struct {
						Date string `xml:"iso-date,attr"`
					} `xml:"period-start"`
					End struct {
						Date string `xml:"iso-date,attr"`
					} `xml:"period-end"`
					Target struct {
						Value string `xml:"value,attr"`
					} `xml:"target"`
					Actuals []struct {
						Value      *string `xml:"value,attr"`
						Dimensions []struct {
							Name  string `xml:"name,attr"`
							Value string `xml:"value,attr"`
						} `xml:"dimension"`
						Comment string `xml:"comment>narrative"`
					} `xml:"actual"`
				} `xml:"period"`
			} `xml:"indicator"`
		} `xml:"result"`
	} `xml:"iati-activity"`
}

// adxFile is the ADX file as the tests read it.
type adxFile struct {
	Groups []struct {
		OrgUnit string `xml:"orgUnit,attr"`
		Period  string `xml:"period,attr"`
		DataSet string `xml:"dataSet,attr"`
		Values  []struct {
			DataElement string `xml:"dataElement,attr"`
			Value       int    `xml:"value,attr"`
			Sex         string `xml:"SEX,attr"`
			Category    string `xml:"CATEGORY,attr"`
		} `xml:"dataValue"`
	} `xml:"group"`
}

// The IATI and ADX files validate against their published schemas, and every
// value in them equals /api/v1/totals for the same filter: the whole period
// and each year, the total and by sex, category and province.
func TestIndicatorExportsValidateAndEqualTheTotals(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	iati := env.coordinator.get("/exports/indicators.iati.xml")
	expectStatus(t, "IATI", iati, 200)
	validateXML(t, "iati/iati-activities-schema.xsd", []byte(iati.Body))
	adx := env.coordinator.get("/exports/indicators.adx.xml")
	expectStatus(t, "ADX", adx, 200)
	validateXML(t, "adx/adx_loose.xsd", []byte(adx.Body))

	var doc iatiDoc
	if err := xml.Unmarshal([]byte(iati.Body), &doc); err != nil {
		t.Fatal(err)
	}
	var ad adxFile
	if err := xml.Unmarshal([]byte(adx.Body), &ad); err != nil {
		t.Fatal(err)
	}
	inds := map[string]domain.Indicator{}
	for _, ind := range env.indicators(t, env.coordinator, "").Indicators {
		inds[ind.Indicator.Code] = ind.Indicator
	}
	checked := 0
	totals := map[string]domain.Totals{}
	totalsOf := func(ind domain.Indicator, year int) domain.Totals {
		q := url.Values{"programme": {ind.Programme}}
		if year != 0 {
			q.Set("year", strconv.Itoa(year))
		}
		if _, ok := totals[q.Encode()]; !ok {
			r := env.coordinator.call("GET", "/api/v1/totals?"+q.Encode(), "")
			expectStatus(t, "totals", r, 200)
			var tot domain.Totals
			decode(t, r, &tot)
			totals[q.Encode()] = tot
		}
		return totals[q.Encode()]
	}
	for _, act := range doc.Activities {
		for _, res := range act.Results {
			ind, ok := inds[res.Indicator.Reference.Code]
			if !ok {
				t.Fatalf("unknown indicator %q in the IATI file", res.Indicator.Reference.Code)
			}
			if act.Identifier != "MA-MSDSEF-"+ind.Programme || res.Indicator.Baseline.Year != ind.BaselineYear {
				t.Errorf("%s: activity %q, baseline %+v", ind.Code, act.Identifier, res.Indicator.Baseline)
			}
			for i, p := range res.Indicator.Periods {
				year := 0
				if i > 0 {
					year = ind.FirstYear + i - 1
				}
				tot := totalsOf(ind, year)
				if p.Target.Value != strconv.Itoa(ind.TargetOf(year)) {
					t.Errorf("%s %d: target %s, want %d", ind.Code, year, p.Target.Value, ind.TargetOf(year))
				}
				for _, a := range p.Actuals {
					want := expectedValue(t, tot, ind.Figure, a.Dimensions)
					if a.Value == nil || *a.Value != strconv.Itoa(want) {
						t.Errorf("%s %d %+v: IATI says %v, the totals %d", ind.Code, year, a.Dimensions, a.Value, want)
					}
					checked++
				}
			}
		}
	}
	for _, g := range ad.Groups {
		for _, v := range g.Values {
			ind, ok := inds[strings.TrimSuffix(v.DataElement, "-target")]
			if !ok {
				t.Fatalf("unknown data element %q in the ADX file", v.DataElement)
			}
			year := 0
			if strings.HasSuffix(g.Period, "/P1Y") && ind.FirstYear != ind.LastYear {
				year, _ = strconv.Atoi(g.Period[:4])
			}
			if strings.HasSuffix(v.DataElement, "-target") {
				if v.Value != ind.TargetOf(year) {
					t.Errorf("ADX %s %s: target %d, want %d", v.DataElement, g.Period, v.Value, ind.TargetOf(year))
				}
				continue
			}
			var dims []iatiDim
			switch {
			case g.OrgUnit != "MA":
				dims = []iatiDim{{"province", g.OrgUnit}}
			case v.Sex != "":
				dims = []iatiDim{{"sex", v.Sex}}
			case v.Category != "":
				dims = []iatiDim{{"category", v.Category}}
			}
			want := expectedValue(t, totalsOf(ind, year), ind.Figure, toDims(dims))
			if v.Value != want {
				t.Errorf("ADX %s %s %s %+v: %d, the totals %d", v.DataElement, g.OrgUnit, g.Period, dims, v.Value, want)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Errorf("only %d values checked: the files are nearly empty", checked)
	}
	if !strings.Contains(iati.Body, `<actual value="151"></actual>`) {
		t.Error("the IATI file lacks the 151 local actors trained")
	}
}

type iatiDim struct{ Name, Value string }

func toDims(ds []iatiDim) []struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
} {
	out := make([]struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}, len(ds))
	for i, d := range ds {
		out[i].Name, out[i].Value = d.Name, d.Value
	}
	return out
}

// expectedValue is the figure of the totals for a dimension (none: the total).
func expectedValue(t *testing.T, tot domain.Totals, figure string, dims []struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}) int {
	t.Helper()
	if len(dims) == 0 {
		v, _ := tot.Figure(figure)
		return v
	}
	d := dims[0]
	var rows []domain.Breakdown
	switch d.Name {
	case "category":
		_, field, _ := strings.Cut(figure, ".")
		v, _ := tot.Figure("by_category." + d.Value + "." + field)
		return v
	case "sex":
		rows = tot.BySex
	case "province":
		rows = tot.ByProvince
	}
	for _, row := range rows {
		if row.Key == d.Value {
			part := domain.Totals{LocalActors: row.LocalActors, ByCategory: row.ByCategory, Associations: row.Associations}
			v, _ := part.Figure(figure)
			return v
		}
	}
	t.Fatalf("no %s row %q in the totals", d.Name, d.Value)
	return 0
}

// The ministry's files hide small cells as its totals do: one child
// parliamentarian trained is "<5" in IATI (no value, the comment "<5") and
// absent from ADX; the coordinator's files say 1.
func TestIndicatorExportsSuppressSmallCellsForTheMinistry(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	ctx := context.Background()
	year := 2008
	child := domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr("سلمى"), Sex: domain.Female,
		BirthYear: &year, GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords}
	if _, err := env.store.EnrollNew(ctx, env.otherCourse.ID, &child, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, "marks", env.coordinator.call("PUT", fmt.Sprintf("/api/v1/sessions/%d/attendance", env.otherSess.ID),
		fmt.Sprintf(`[{"trainee_id": %d, "status": "present"}]`, child.ID)), 200)
	y := env.otherCourse.Year
	body := fmt.Sprintf(`{"code": "small-cp", "title_ar": "برلمانيو الطفل", "title_fr": "Enfants parlementaires",
	  "figure": "by_category.child_parliamentarian.trained", "programme": %q, "first_year": %d, "last_year": %d,
	  "baseline_year": %d, "baseline_value": 0, "target": 10, "targets": [{"year": %d, "target": 10}]}`,
		env.programme.Code, y, y, y, y)
	expectStatus(t, "define", env.coordinator.call("POST", "/api/v1/indicators", body), 201)

	r := env.ministry.call("GET", "/api/v1/indicators", "")
	expectStatus(t, "ministry API", r, 200)
	if !strings.Contains(r.Body, `"recorded":null`) || strings.Contains(r.Body, `"recorded":1`) {
		t.Errorf("the ministry's API shows the one child: %s", r.Body)
	}
	iati := env.ministry.call("GET", "/exports/indicators.iati.xml", "")
	expectStatus(t, "ministry IATI", iati, 200)
	validateXML(t, "iati/iati-activities-schema.xsd", []byte(iati.Body))
	if strings.Contains(iati.Body, `<actual value="1"`) || !strings.Contains(iati.Body, "<narrative>&lt;5</narrative>") {
		t.Errorf("the ministry's IATI file shows the one child:\n%s", iati.Body)
	}
	adx := env.ministry.call("GET", "/exports/indicators.adx.xml", "")
	expectStatus(t, "ministry ADX", adx, 200)
	validateXML(t, "adx/adx_loose.xsd", []byte(adx.Body))
	if strings.Contains(adx.Body, `dataElement="small-cp" value="1"`) {
		t.Errorf("the ministry's ADX file shows the one child:\n%s", adx.Body)
	}
	exact := env.coordinator.call("GET", "/exports/indicators.adx.xml", "")
	expectStatus(t, "coordinator ADX", exact, 200)
	if !strings.Contains(exact.Body, `dataElement="small-cp" value="1"`) {
		t.Errorf("the coordinator's ADX file lacks the exact 1:\n%s", exact.Body)
	}
	expectStatus(t, "malformed programme", env.ministry.call("GET", "/exports/indicators.adx.xml?programme=N'importe", ""), 422)
}
