package app_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The "1 male child parliamentarian enrolled in course 24": the
// ministry reads "<5" wherever the figure appears (API, dashboard cards,
// tables, charts and the comparison with a report, CSV and XLSX), and the
// coordinator reads the 1.
func TestMinistryReadsSmallCountsAsFewerThan5(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	ctx := context.Background()
	year := 2006
	child := domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr("ياسين"), Sex: domain.Male,
		BirthYear: &year, GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords}
	if _, err := env.store.EnrollNew(ctx, env.otherCourse.ID, &child, repository.EnrollOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, "marks", env.coordinator.call("PUT", fmt.Sprintf("/api/v1/sessions/%d/attendance", env.otherSess.ID),
		fmt.Sprintf(`[{"trainee_id": %d, "status": "present"}]`, child.ID)), 200)
	// A report that states the one child: the comparison must not tell it either.
	reported := domain.ReportedFigure{Figure: "by_category.child_parliamentarian.trained", Programme: "child-protection",
		Value: 1, Source: "Rapport de test"}
	if err := env.store.CreateReportedFigure(ctx, &reported, nil); err != nil {
		t.Fatal(err)
	}
	query := fmt.Sprintf("course=%d&sex=male&category=child_parliamentarian", env.otherCourse.ID)

	t.Run("API", func(t *testing.T) {
		type answer struct {
			ByCategory struct {
				ChildParliamentarian map[string]*int `json:"child_parliamentarian"`
			} `json:"by_category"`
			Courses        *int     `json:"courses"`
			AttendanceRate *float64 `json:"attendance_rate"`
			Suppressed     []string `json:"suppressed"`
		}
		r := env.ministry.call("GET", "/api/v1/totals?"+query, "")
		expectStatus(t, "ministry", r, 200)
		var m answer
		decode(t, r, &m)
		for _, field := range []string{"enrolled", "trained"} {
			if v, ok := m.ByCategory.ChildParliamentarian[field]; !ok || v != nil {
				t.Errorf("ministry: child parliamentarians %s = %d, want null", field, *v)
			}
			if path := "by_category.child_parliamentarian." + field; !slices.Contains(m.Suppressed, path) {
				t.Errorf("ministry: %s is not in suppressed %q", path, m.Suppressed)
			}
		}
		if m.AttendanceRate != nil || !slices.Contains(m.Suppressed, "by_sex.male.attendance_rate") {
			t.Errorf("ministry: the rate of one child is shown (%s)", r.Body)
		}
		if m.Courses == nil || *m.Courses != 1 {
			t.Errorf("ministry: courses are course figures, shown exactly: %v", m.Courses)
		}

		r = env.coordinator.call("GET", "/api/v1/totals?"+query, "")
		expectStatus(t, "coordinator", r, 200)
		var c answer
		decode(t, r, &c)
		if v := c.ByCategory.ChildParliamentarian["trained"]; v == nil || *v != 1 || c.Suppressed == nil || len(c.Suppressed) != 0 {
			t.Errorf("coordinator: want trained 1 and suppressed []: %s", r.Body)
		}
	})

	t.Run("dashboard", func(t *testing.T) {
		// In Arabic, the users' language.
		row := `<th scope="row">الأطفال البرلمانيون</th><td class="num">`
		marker := `<abbr class="suppressed" dir="ltr" title="أقل من 5">&lt;5</abbr>`
		r := env.ministry.call("GET", "/dashboard?"+query, "")
		expectStatus(t, "ministry", r, 200)
		for _, want := range []string{row + marker + `</td><td class="num">` + marker,
			`<dd class="big">` + marker + `</dd>`,                                            // the card
			"<span class=\"bars-value\">\u200e&lt;5</span>", "الأطفال البرلمانيون: أقل من 5", // the charts
			`<tr class="suppressed">`, `href="#small-counts"`, `id="small-counts"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("ministry: the dashboard lacks %s", want)
			}
		}
		for _, leak := range []string{row + "1<", `<dd class="big">1</dd>`, `<tr class="matches">`,
			"الأطفال البرلمانيون: 1", `middle">1</text>`} {
			if strings.Contains(r.Body, leak) {
				t.Errorf("ministry: the dashboard shows the exact 1 (%s)", leak)
			}
		}
		r = env.coordinator.call("GET", "/dashboard?"+query, "")
		expectStatus(t, "coordinator", r, 200)
		for _, want := range []string{row + `1</td><td class="num">1</td>`, `<tr class="matches">`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("coordinator: the dashboard lacks %s", want)
			}
		}
		if strings.Contains(r.Body, "&lt;5</abbr>") {
			t.Error("coordinator: a figure is hidden")
		}
	})

	// find is the row of a totals file for a figure of the headline.
	find := func(t *testing.T, rows [][]string, figure string) []string {
		t.Helper()
		for _, r := range rows {
			if len(r) >= 5 && r[0] == "total" && r[1] == "all" && r[3] == figure {
				return r
			}
		}
		t.Fatalf("no row for %s in %q", figure, rows)
		return nil
	}
	csvRows := func(t *testing.T, cl *client) [][]string {
		t.Helper()
		r := cl.call("GET", "/exports/totals.csv?header=keys&"+query, "")
		expectStatus(t, "csv", r, 200)
		rows, err := csvReader(r.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	t.Run("CSV", func(t *testing.T) {
		rows := csvRows(t, env.ministry)
		if r := find(t, rows, "child_parliamentarian"); r[4] != "<5" || r[5] != "<5" || r[6] != "<5" {
			t.Errorf("ministry: child parliamentarians %q, want <5", r)
		}
		if r := find(t, rows, "attendance_rate"); r[7] != "<5" {
			t.Errorf("ministry: attendance rate %q", r)
		}
		if r := find(t, rows, "courses"); r[7] != "1" {
			t.Errorf("ministry: courses %q, want 1", r)
		}
		if r := find(t, csvRows(t, env.coordinator), "child_parliamentarian"); r[4] != "1" || r[5] != "1" {
			t.Errorf("coordinator: child parliamentarians %q, want 1, 1", r)
		}
	})
	t.Run("XLSX", func(t *testing.T) {
		r := env.ministry.call("GET", "/exports/totals.xlsx?header=keys&"+query, "")
		expectStatus(t, "xlsx", r, 200)
		f, err := excelize.OpenReader(bytes.NewReader([]byte(r.Body)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		if r := find(t, rows, "child_parliamentarian"); len(r) < 7 || r[4] != "<5" || r[5] != "<5" || r[6] != "<5" {
			t.Errorf("ministry: child parliamentarians %q, want <5", r)
		}
		if r := find(t, rows, "attendance_rate"); len(r) < 8 || r[7] != "<5" {
			t.Errorf("ministry: attendance rate %q, want <5", r)
		}
	})
}

// The demo's published figures are all 5 or more: the ministry reads them
// as they are, on the API, the dashboard and the files, after the rule.
func TestMinistryStillReadsThePublishedFigures(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	cp := env.totals(t, "programme=child-protection")
	if cp.LocalActors.Trained != 151 || cp.ByCategory.InstitutionalActor.Trained != 121 ||
		cp.ByCategory.AssociativeActor.Trained != 30 || cp.ByCategory.ChildParliamentarian.Trained != 30 {
		t.Errorf("child-protection: local %+v, by category %+v", cp.LocalActors, cp.ByCategory)
	}
	if pp := env.totals(t, "programme=positive-parenting"); pp.Associations.Trained != 96 {
		t.Errorf("positive-parenting associations: %+v", pp.Associations)
	}
	env.ministry.setLanguage("fr")
	page := env.ministry.get("/dashboard?programme=child-protection")
	expectStatus(t, "dashboard", page, 200)
	for _, want := range []string{`<dd class="big">151</dd>`, `<dd class="big">121</dd>`, `<dd class="big">30</dd>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
	if n := strings.Count(page.Body, `<tr class="matches">`); n != 4 {
		t.Errorf("want the 4 reported child-protection figures matching, got %d", n)
	}
	r := env.ministry.get("/exports/totals.csv?header=keys&programme=child-protection")
	expectStatus(t, "csv", r, 200)
	if !strings.Contains(r.Body, "total,all,Tous,local_actors,151,151,") {
		t.Errorf("the CSV lacks the 151: %.300s", r.Body)
	}
}
