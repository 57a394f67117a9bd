package app_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// dashEnv is an application on a database holding only the demo programmes
// (seeded as `takaffoul seed demo` does), with signed-in browsers and the
// ministry's API token.
type dashEnv struct {
	store                          *repository.Store
	web                            *fiber.App
	coordinator, ministry, trainer *client // browsers with a session
	ministryAPI, trainerAPI        *client // bearer tokens
}

func newDashEnv(t *testing.T) *dashEnv {
	t.Helper()
	return newDashEnvOn(t, newStore(t))
}

// newDemoDashEnv is newDashEnv on a copy of the demo, seeded once for the
// package (dbtest.DemoStore): as if seedDemo had run first.
func newDemoDashEnv(t *testing.T) *dashEnv {
	t.Helper()
	return newDashEnvOn(t, dbtest.DemoStore(t))
}

func newDashEnvOn(t *testing.T, store *repository.Store) *dashEnv {
	t.Helper()
	web := newApp(t, store)
	env := &dashEnv{store: store, web: web}
	for i, role := range []domain.Role{domain.RoleCoordinator, domain.RoleMinistry, domain.RoleTrainer} {
		email := string(role) + "@dashboard.ma"
		u := addUser(t, store, email, role)
		browser := newClient(t, web)
		browser.ip = fmt.Sprintf("198.51.100.%d", 40+i)
		browser.login(email, testPassword)
		token, _, err := store.CreateAPIToken(context.Background(), u.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		api := newClient(t, web)
		api.headers["Authorization"] = "Bearer " + token
		switch role {
		case domain.RoleCoordinator:
			env.coordinator = browser
		case domain.RoleMinistry:
			env.ministry, env.ministryAPI = browser, api
		case domain.RoleTrainer:
			env.trainer, env.trainerAPI = browser, api
		}
	}
	return env
}

// setLanguage chooses the signed-in user's language with the switch in the header.
func (cl *client) setLanguage(lang string) {
	cl.t.Helper()
	expectStatus(cl.t, "language "+lang, cl.post("/language", url.Values{"lang": {lang}, "next": {"/"}}), 303)
}

func (env *dashEnv) seedDemo(t *testing.T) repository.SeedReport {
	t.Helper()
	r, err := env.store.SeedDemoProgrammes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// totals asks the API as the ministry and decodes the answer.
func (env *dashEnv) totals(t *testing.T, query string) domain.Totals {
	t.Helper()
	r := env.ministryAPI.call("GET", "/api/v1/totals?"+query, "")
	expectStatus(t, "totals "+query, r, 200)
	var tot domain.Totals
	decode(t, r, &tot)
	return tot
}

// personalData is every name and national ID the database holds: none may
// appear in an aggregate answer or file.
func personalData(t *testing.T, store *repository.Store) []string {
	t.Helper()
	var values []string
	err := store.DB().Select(&values, `SELECT v FROM (
	    SELECT full_name_ar AS v FROM trainees UNION SELECT full_name_latin FROM trainees
	    UNION SELECT national_id FROM trainees) x WHERE v IS NOT NULL AND length(v) > 3`)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) < 100 {
		t.Fatalf("want the demo's people to look for, got %d names", len(values))
	}
	return values
}

func noPersonalData(t *testing.T, what, body string, names []string) {
	t.Helper()
	for _, n := range names {
		if strings.Contains(body, n) {
			t.Fatalf("%s contains personal data: %q", what, n)
		}
	}
}

func TestDemoFiguresThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := newDashEnv(t)
	check := func(run string) {
		t.Helper()
		cp := env.totals(t, "programme=child-protection")
		if cp.LocalActors.Trained != 151 || cp.ByCategory.InstitutionalActor.Trained != 121 ||
			cp.ByCategory.AssociativeActor.Trained != 30 || cp.ByCategory.ChildParliamentarian.Trained != 30 {
			t.Fatalf("%s: child-protection: local %+v, by category %+v", run, cp.LocalActors, cp.ByCategory)
		}
		if cp.Filters.Programme != "child-protection" || len(cp.ByProvince) != 8 {
			t.Fatalf("%s: filters %+v, %d provinces", run, cp.Filters, len(cp.ByProvince))
		}
		pp := env.totals(t, "programme=positive-parenting")
		if pp.Associations.Trained != 96 {
			t.Fatalf("%s: positive-parenting associations: %+v", run, pp.Associations)
		}
	}
	env.seedDemo(t)
	check("after seed demo")
	if r := env.seedDemo(t); r.Changed() {
		t.Fatalf("a second seed created %+v", r)
	}
	check("after a second seed demo")

	// The answer is the Totals shape of the issue, and holds no personal data.
	r := env.ministryAPI.call("GET", "/api/v1/totals", "")
	expectStatus(t, "national totals", r, 200)
	for _, key := range []string{`"filters":`, `"local_actors":`, `"by_category":`, `"institutional_actor":`, `"associative_actor":`,
		`"child_parliamentarian":`, `"associations":`, `"courses":`, `"sessions_held":`, `"training_hours":`, `"attendance_rate":`,
		`"by_programme":`, `"by_year":`, `"by_region":`, `"by_province":`, `"by_sex":`} {
		if !strings.Contains(r.Body, key) {
			t.Errorf("the totals lack %s", key)
		}
	}
	noPersonalData(t, "the totals API", r.Body, personalData(t, env.store))
	expectStatus(t, "a trainer asks for the totals", env.trainerAPI.call("GET", "/api/v1/totals", ""), 403)
}

func TestTotalsFiltersCombine(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	ctx := context.Background()
	// The world's institutional actor (female) is present in course; a male
	// associative actor is present in otherCourse; a second female, absent.
	assoc := domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Omar Tazi"), Sex: domain.Male,
		OrganisationID: &env.association.ID}
	absent := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Salma Idrissi"), Sex: domain.Female,
		OrganisationID: &env.institution.ID}
	for _, e := range []struct {
		course int64
		t      *domain.Trainee
	}{{env.otherCourse.ID, &assoc}, {env.course.ID, &absent}} {
		if _, err := env.store.EnrollNew(ctx, e.course, e.t, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	mark := func(session int64, marks string) {
		expectStatus(t, "marks", env.coordinator.call("PUT", fmt.Sprintf("/api/v1/sessions/%d/attendance", session), marks), 200)
	}
	mark(env.session.ID, fmt.Sprintf(`[{"trainee_id": %d, "status": "present"}, {"trainee_id": %d, "status": "absent"}]`,
		env.trainee.ID, absent.ID))
	mark(env.otherSess.ID, fmt.Sprintf(`[{"trainee_id": %d, "status": "late"}]`, assoc.ID))

	// The coordinator reads exact figures; the ministry would read these
	// small ones as "<5" (TestMinistryReadsSmallCountsAsFewerThan5).
	get := func(query string) domain.Totals {
		t.Helper()
		r := env.coordinator.call("GET", "/api/v1/totals?"+query, "")
		expectStatus(t, query, r, 200)
		var tot domain.Totals
		decode(t, r, &tot)
		return tot
	}
	for _, c := range []struct {
		query                     string
		enrolled, trained, assocT int
	}{
		{"", 3, 2, 1},
		{"programme=child-protection&year=2019&region=" + regionCode(t, env) + "&province=rabat", 3, 2, 1},
		{"sex=female", 2, 1, 0},
		{"sex=female&category=associative_actor", 0, 0, 0},
		{"sex=male&category=associative_actor", 1, 1, 1},
		{fmt.Sprintf("course=%d", env.otherCourse.ID), 1, 1, 1},
		{fmt.Sprintf("course=%d&sex=female", env.course.ID), 2, 1, 0},
		{"year=2020", 0, 0, 0},
	} {
		tot := get(c.query)
		if tot.LocalActors.Enrolled != c.enrolled || tot.LocalActors.Trained != c.trained || tot.Associations.Trained != c.assocT {
			t.Errorf("%q: local actors %+v, associations %+v; want enrolled %d trained %d associations %d",
				c.query, tot.LocalActors, tot.Associations, c.enrolled, c.trained, c.assocT)
		}
	}
}

func regionCode(t *testing.T, env *apiEnv) string {
	t.Helper()
	var code string
	if err := env.store.DB().Get(&code, `SELECT r.code FROM regions r JOIN provinces p ON p.region_id = r.id WHERE p.code = 'rabat'`); err != nil {
		t.Fatal(err)
	}
	return code
}

func TestBadTotalsFiltersAre422WithMessages(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	env.ministry.headers["Accept-Language"] = "fr"
	r := env.ministry.call("GET", "/api/v1/totals?year=abc&sex=x&category=teacher&course=-3&programme=nope", "")
	expectStatus(t, "bad filters", r, 422)
	var e apiError
	decode(t, r, &e)
	for _, field := range []string{"year", "sex", "category", "course"} {
		if msg := e.Fields[field]; msg == "" || strings.Contains(msg, "totals.") {
			t.Errorf("field %s: want a French message, got %q (%s)", field, msg, r.Body)
		}
	}
	r = env.ministry.call("GET", "/api/v1/totals?programme=nope&province=nowhere", "")
	expectStatus(t, "unknown codes", r, 422)
	decode(t, r, &e)
	if e.Fields["programme"] == "" || e.Fields["province"] == "" {
		t.Errorf("unknown codes: %s", r.Body)
	}

	// Hostile filters: always a 4xx, never a 500, and nothing changes.
	before := countRows(t, env.store, `SELECT count(*) FROM trainees`)
	for _, payload := range []string{"x' OR '1'='1", "'; DROP TABLE trainees; --", "1 OR 1=1", "1; DELETE FROM enrollments",
		"child-protection'--", "\x00", "%00", "$1", "(SELECT 1)", strings.Repeat("a", 1000), "٢٠١٩٫٥", "2019.5", "99999999999999999999"} {
		for _, field := range domain.TotalsFilterFields {
			q := url.Values{field: {payload}}.Encode()
			for _, target := range []string{"/api/v1/totals?" + q, "/exports/totals.csv?" + q} {
				r := env.ministry.call("GET", target, "")
				if r.StatusCode < 400 || r.StatusCode >= 500 {
					t.Errorf("%s: want a 4xx, got %d", target, r.StatusCode)
				}
			}
		}
	}
	if after := countRows(t, env.store, `SELECT count(*) FROM trainees`); after != before {
		t.Fatalf("trainees %d → %d", before, after)
	}
}

func TestMinistryReadsTotalsButNoPeople(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	expectStatus(t, "totals", env.ministry.call("GET", "/api/v1/totals", ""), 200)
	expectStatus(t, "dashboard", env.ministry.call("GET", "/dashboard", ""), 200)
	expectStatus(t, "totals export", env.ministry.call("GET", "/exports/totals.csv", ""), 200)
	for _, target := range []string{
		fmt.Sprintf("/api/v1/courses/%d/roster", env.course.ID),
		fmt.Sprintf("/api/v1/trainees/%d", env.trainee.ID),
		fmt.Sprintf("/api/v1/sessions/%d/attendance", env.session.ID),
		fmt.Sprintf("/courses/%d", env.course.ID),
		fmt.Sprintf("/courses/%d/enrol", env.course.ID),
		fmt.Sprintf("/sessions/%d/attendance", env.session.ID),
		"/api/v1/trainees?q=fatima", "/api/v1/courses", "/courses",
		"/dashboard/reported",
	} {
		r := env.ministry.call("GET", target, "")
		if r.StatusCode != 403 && r.StatusCode != 404 {
			t.Errorf("ministry GET %s: want 403 or 404, got %d", target, r.StatusCode)
		}
	}
}

func TestDashboardInArabicAndFrench(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	for _, c := range []struct {
		lang  string
		wants []string
	}{
		{"ar", []string{`lang="ar" dir="rtl"`, "الفاعلون المحليون", "الأطفال البرلمانيون", "كيف نحتسب"}},
		{"fr", []string{`lang="fr" dir="ltr"`, "Acteurs locaux", "Enfants parlementaires", "Comment nous comptons"}},
	} {
		env.ministry.setLanguage(c.lang)
		r := env.ministry.get("/dashboard?programme=child-protection")
		expectStatus(t, c.lang, r, 200)
		wants := append(c.wants, `<dd class="big">151</dd>`, `<dd class="big">121</dd>`, `<dd class="big">30</dd>`,
			`<figure class="bars" id="chart-by_province" role="img"`,
			`href="/exports/totals.csv?programme=child-protection"`, `href="/exports/totals.xlsx?programme=child-protection"`,
			`<option value="child-protection" selected>`, `href="/dashboard"`)
		for _, want := range wants {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s: the dashboard lacks %s", c.lang, want)
			}
		}
		for _, leak := range []string{"dashboard.", "title.", "category."} {
			if strings.Contains(r.Body, ">"+leak) || strings.Contains(r.Body, `"`+leak) {
				t.Errorf("%s: a message key leaked into the page (%s)", c.lang, leak)
			}
		}
		// The reported figures of the demo match the records, and the
		// ministry cannot edit them.
		if !strings.Contains(r.Body, `class="comparison"`) || strings.Count(r.Body, `<tr class="matches">`) != 4 ||
			strings.Contains(r.Body, `<tr class="differs">`) {
			t.Errorf("%s: want the 4 child-protection reported figures, all matching", c.lang)
		}
		if strings.Contains(r.Body, `action="/dashboard/reported`) || strings.Contains(r.Body, `href="/dashboard/reported"`) {
			t.Errorf("%s: the ministry is offered to edit reported figures", c.lang)
		}
		noPersonalData(t, "the dashboard", r.Body, personalData(t, env.store))
	}

	// The whole country: every programme's row, positive parenting's 96 associations compared too.
	env.ministry.setLanguage("fr")
	r := env.ministry.get("/dashboard")
	expectStatus(t, "national", r, 200)
	if strings.Count(r.Body, `<tr class="matches">`) != 5 || !strings.Contains(r.Body, "Province pilote 8") {
		t.Errorf("national dashboard: comparisons or provinces missing")
	}

	// A bad filter: the form again, with the message next to its field.
	for query, field := range map[string]string{"year=1900&sex=female": "year", "province=nowhere": "province"} {
		r = env.ministry.get("/dashboard?" + query)
		expectStatus(t, "bad filter "+query, r, 422)
		for _, want := range []string{`id="e-` + field + `"`, `aria-invalid="true"`, `class="form-message"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("bad filter %s: the page lacks %s", query, want)
			}
		}
		if strings.Contains(r.Body, `class="figures"`) {
			t.Errorf("bad filter %s: figures shown", query)
		}
	}
	// The ministry's navigation leads to the dashboard.
	home := env.ministry.get("/")
	if !strings.Contains(home.Body, `href="/dashboard"`) {
		t.Error("the ministry's home page does not lead to the dashboard")
	}
	expectStatus(t, "trainer", env.trainer.get("/dashboard"), 403)
}

func TestTotalsExportHoldsAggregatesOnly(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	names := personalData(t, env.store)

	env.coordinator.setLanguage("fr")
	r := env.coordinator.get("/exports/totals.csv?programme=child-protection")
	expectStatus(t, "csv", r, 200)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `attachment; filename="totals_child-protection_`) ||
		!strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("content disposition %q", cd)
	}
	if !strings.HasPrefix(r.Body, "\ufeff") || !strings.Contains(r.Body, "\r\n") {
		t.Fatalf("want a UTF-8 BOM and CRLF line ends: %q", r.Body[:min(len(r.Body), 80)])
	}
	noPersonalData(t, "the CSV", r.Body, names)
	records, err := csvReader(r.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(records[0], "|") != "Rubrique|Clé|Libellé|Indicateur|Inscrits|Formés|Ayant achevé|Valeur" {
		t.Errorf("French headers: %q", records[0])
	}
	find := func(records [][]string, section, key, figure string) []string {
		for _, rec := range records {
			if rec[0] == section && rec[1] == key && rec[3] == figure {
				return rec
			}
		}
		t.Fatalf("no row %s/%s/%s", section, key, figure)
		return nil
	}
	if rec := find(records, "Total", "all", "Acteurs locaux"); rec[5] != "151" {
		t.Errorf("local actors trained: %q", rec)
	}
	if rec := find(records, "Total", "all", "Enfants parlementaires"); rec[5] != "30" {
		t.Errorf("child parliamentarians trained: %q", rec)
	}
	if rec := find(records, "Par province", "demo-pilot-1", "Acteurs locaux"); rec[2] != "Province pilote 1" && !strings.Contains(rec[2], "pilote 1") {
		t.Errorf("province row: %q", rec)
	}

	// Machine keys for scripts.
	r = env.coordinator.get("/exports/totals.csv?programme=child-protection&header=keys")
	keys, err := csvReader(r.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys[0], ",") != "section,key,label,figure,enrolled,trained,completed,value" {
		t.Errorf("machine headers: %q", keys[0])
	}
	if rec := find(keys, "total", "all", "institutional_actor"); rec[5] != "121" {
		t.Errorf("institutional actors trained: %q", rec)
	}

	// XLSX in Arabic: a right-to-left sheet with the same figures.
	env.ministry.setLanguage("ar")
	r = env.ministry.get("/exports/totals.xlsx?programme=positive-parenting")
	expectStatus(t, "xlsx", r, 200)
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "totals_positive-parenting_") || !strings.HasSuffix(cd, `.xlsx"`) {
		t.Errorf("content disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	view, err := f.GetSheetView(sheet, 0)
	if err != nil || view.RightToLeft == nil || !*view.RightToLeft {
		t.Errorf("the Arabic sheet is not right to left: %+v %v", view, err)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "القسم" {
		t.Errorf("Arabic header: %q", rows[0])
	}
	found := false
	for _, row := range rows {
		noPersonalData(t, "the XLSX", strings.Join(row, "|"), names)
		if len(row) > 5 && row[1] == "all" && row[3] == "الجمعيات" && row[5] == "96" {
			found = true
		}
	}
	if !found {
		t.Errorf("no row with the 96 associations: %q", rows[:8])
	}
	expectStatus(t, "trainer", env.trainer.get("/exports/totals.csv"), 403)
}

func TestCoordinatorRecordsReportedFigures(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	env.coordinator.setLanguage("fr")
	page := env.coordinator.get("/dashboard/reported")
	expectStatus(t, "page", page, 200)
	if strings.Count(page.Body, `<tr class="matches">`) != 5 {
		t.Errorf("want the 5 demo figures, all matching")
	}
	before := countRows(t, env.store, `SELECT count(*) FROM reported_figures`)

	// A report that states more courses than recorded: highlighted on the dashboard.
	form := url.Values{"figure": {"courses"}, "programme": {"child-protection"}, "year": {"2019"}, "value": {"99"},
		"source": {"Rapport d'étape 2019, p. 4"}, "reported_on": {"2020-01-15"}}
	expectStatus(t, "create", env.coordinator.post("/dashboard/reported", form), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM reported_figures WHERE figure = 'courses' AND year = 2019 AND value = 99`); n != 1 {
		t.Fatalf("the figure was not saved (%d)", n)
	}
	r := env.coordinator.post("/dashboard/reported", form)
	expectStatus(t, "the same figure twice", r, 409)
	if !strings.Contains(r.Body, "déjà enregistré") {
		t.Error("no message for the duplicate")
	}
	r = env.coordinator.post("/dashboard/reported", url.Values{"figure": {"nonsense"}, "programme": {"child-protection"},
		"value": {"-1"}, "year": {"abc"}})
	expectStatus(t, "invalid", r, 422)
	for _, field := range []string{"figure", "value", "year", "source"} {
		if !strings.Contains(r.Body, `id="e-`+field+`"`) {
			t.Errorf("no message next to %s", field)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM reported_figures`); n != before+1 {
		t.Fatalf("want %d reported figures, got %d", before+1, n)
	}

	env.ministry.setLanguage("fr")
	dash := env.ministry.get("/dashboard?programme=child-protection")
	if !strings.Contains(dash.Body, `<tr class="differs">`) || !strings.Contains(dash.Body, "Rapport d&#39;étape 2019, p. 4 (<bdi dir=\"ltr\" class=\"nowrap\">2020-01-15</bdi>)") {
		t.Error("the dashboard does not highlight the differing figure")
	}
	// The ministry sees it but cannot change it.
	var id int64
	if err := env.store.DB().Get(&id, `SELECT id FROM reported_figures WHERE figure = 'courses'`); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, "ministry deletes", env.ministry.post(fmt.Sprintf("/dashboard/reported/%d/delete", id), nil), 403)
	expectStatus(t, "ministry adds", env.ministry.post("/dashboard/reported", form), 403)

	expectStatus(t, "delete", env.coordinator.post(fmt.Sprintf("/dashboard/reported/%d/delete", id), nil), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM reported_figures`); n != before {
		t.Fatalf("after delete: %d", n)
	}
	// The seed's own figures are audited as the system's (no actor).
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id
		WHERE a.action IN ('reported_figure.create', 'reported_figure.delete') AND a.entity_id = $1 AND u.email = 'coordinator@dashboard.ma'`, id); n != 2 {
		t.Errorf("want the creation and the deletion audited as the coordinator's, got %d entries", n)
	}
}

// The printed dashboard states its filter in words (its filter form is not
// printed), or that it has none (issue 16, point 7).
func TestPrintedDashboardStatesItsFilter(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	env.ministry.setLanguage("fr")
	r := env.ministry.get("/dashboard?programme=positive-parenting&year=2018&sex=female")
	expectStatus(t, "filtered", r, 200)
	want := `<p class="print-only applied-filter"><strong>Filtre :</strong>
    Programme : Parentalité positive · Année : 2018 · Sexe : Femmes et filles</p>`
	if !strings.Contains(r.Body, want) {
		t.Errorf("the printed filter is not stated as\n%s\nin\n%s", want, r.Body)
	}
	r = env.ministry.get("/dashboard")
	if !strings.Contains(r.Body, "Filtre :</strong>\n    aucun (tous les programmes") {
		t.Error("the unfiltered dashboard does not say it has no filter")
	}
}

// Issue 14, point 3: "How we count" on the dashboard says that cancelled
// sessions count nowhere, in the reader's language.
func TestHowWeCountSaysCancelledSessionsCountNowhere(t *testing.T) {
	t.Parallel()
	env := newDemoDashEnv(t)
	for lang, want := range map[string]string{
		"ar": "الحصص الملغاة لا تُحتسب في أي رقم",
		"fr": "Les séances annulées ne comptent nulle part",
		"en": "Cancelled sessions count nowhere",
	} {
		env.ministry.setLanguage(lang)
		r := env.ministry.get("/dashboard")
		expectStatus(t, lang, r, 200)
		if !strings.Contains(html.UnescapeString(r.Body), want) {
			t.Errorf("%s: the dashboard's \"how we count\" does not say what a cancelled session counts", lang)
		}
	}
}
