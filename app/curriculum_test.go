package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// A coordinator manages a programme's modules on its page and through the
// API: valid input is saved and audited, bad input is a message in the
// user's language and nothing saved; other roles are refused.
func TestCoordinatorManagesModules(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	addUser(t, store, "coord@curriculum.ma", domain.RoleCoordinator)
	tr := addUser(t, store, "trainer@curriculum.ma", domain.RoleTrainer)
	w := newWorld(t, store, tr.ID)
	coord := newClient(t, web)
	coord.login("coord@curriculum.ma", testPassword)
	page := fmt.Sprintf("/programmes/%d/modules", w.programme.ID)
	modules := func() int {
		return countRows(t, store, `SELECT count(*) FROM programme_modules WHERE programme_id = $1`, w.programme.ID)
	}

	expectStatus(t, "modules page", coord.get(page), 200)
	resp := coord.post(page, url.Values{"position": {"1"}, "year": {"1"}, "name_ar": {"السنة الأولى"},
		"name_fr": {"Année 1"}, "expected_hours": {"24,5"}})
	expectStatus(t, "add a module", resp, 303)
	if got := countRows(t, store, `SELECT count(*) FROM programme_modules WHERE expected_hours = 24.5 AND year = 1`); got != 1 {
		t.Fatalf("modules of 24.5 hours: %d", got)
	}
	if got := countRows(t, store, `SELECT count(*) FROM audit_log WHERE action = 'module.create'`); got != 1 {
		t.Errorf("audited module.create: %d", got)
	}

	// Bad input, in Arabic: a message per field, nothing saved.
	coord.post("/language", url.Values{"lang": {"ar"}, "next": {page}})
	coord.get(page)
	for _, c := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"position taken", url.Values{"position": {"1"}, "year": {"2"}, "name_ar": {"ب"}, "name_fr": {"b"}, "expected_hours": {"10"}},
			"توجد وحدة أخرى في هذا البرنامج بنفس الترتيب."},
		{"year 4", url.Values{"position": {"2"}, "year": {"4"}, "name_ar": {"ب"}, "name_fr": {"b"}, "expected_hours": {"10"}}, "سنة المسار"},
		{"no hours", url.Values{"position": {"2"}, "year": {"2"}, "name_ar": {"ب"}, "name_fr": {"b"}, "expected_hours": {"abc"}}, "الساعات المتوقعة"},
		{"no name", url.Values{"position": {"2"}, "year": {"2"}, "name_ar": {" "}, "name_fr": {"b"}, "expected_hours": {"10"}}, "الاسم"},
	} {
		resp := coord.post(page, c.form)
		expectStatus(t, c.name, resp, 422)
		if !strings.Contains(resp.Body, c.message) {
			t.Errorf("%s: the page does not say %q", c.name, c.message)
		}
	}
	if got := modules(); got != 1 {
		t.Fatalf("modules after bad input: %d, want 1", got)
	}

	// The API: created, refused field by field, changed.
	resp = coord.sendJSON("POST", fmt.Sprintf("/api/v1/programmes/%d/modules", w.programme.ID),
		`{"position": 2, "year": 2, "name_ar": "السنة الثانية", "name_fr": "Année 2", "expected_hours": 30}`)
	expectStatus(t, "API module", resp, 201)
	var second domain.Module
	if err := json.Unmarshal([]byte(resp.Body), &second); err != nil || second.ID == 0 {
		t.Fatalf("API module: %v %s", err, resp.Body)
	}
	resp = coord.sendJSON("POST", fmt.Sprintf("/api/v1/programmes/%d/modules", w.programme.ID),
		`{"position": 3, "year": 0, "name_ar": "", "name_fr": "x", "expected_hours": -1}`)
	expectStatus(t, "API bad module", resp, 422)
	for _, field := range []string{`"year"`, `"name_ar"`, `"expected_hours"`} {
		if !strings.Contains(resp.Body, field) {
			t.Errorf("API bad module: no message for %s: %s", field, resp.Body)
		}
	}
	expectStatus(t, "API change", coord.sendJSON("PATCH", fmt.Sprintf("/api/v1/modules/%d", second.ID),
		`{"position": 2, "year": 3, "name_ar": "السنة الثالثة", "name_fr": "Année 3", "expected_hours": 30}`), 200)
	if got := countRows(t, store, `SELECT count(*) FROM programme_modules WHERE id = $1 AND year = 3`, second.ID); got != 1 {
		t.Errorf("module not changed")
	}
	if got := modules(); got != 2 {
		t.Fatalf("modules: %d, want 2", got)
	}
	// Changed on its page; a taken position is refused there too.
	edit := fmt.Sprintf("%s/%d", page, second.ID)
	expectStatus(t, "edit page", coord.get(edit), 200)
	resp = coord.post(edit, url.Values{"position": {"1"}, "year": {"2"}, "name_ar": {"ب"}, "name_fr": {"b"}, "expected_hours": {"12"}})
	expectStatus(t, "edit to a taken position", resp, 422)
	expectStatus(t, "edit", coord.post(edit, url.Values{"position": {"2"}, "year": {"2"}, "name_ar": {"السنة الثانية"},
		"name_fr": {"Année 2"}, "expected_hours": {"12"}}), 303)
	if got := countRows(t, store, `SELECT count(*) FROM programme_modules WHERE id = $1 AND year = 2 AND expected_hours = 12`, second.ID); got != 1 {
		t.Errorf("module not changed on its page")
	}
	if got := countRows(t, store, `SELECT count(*) FROM audit_log WHERE action = 'module.update'`); got != 2 {
		t.Errorf("audited module.update: %d, want 2", got)
	}

	// A course in a module (page), then in none (API); a module of another
	// programme is refused.
	resp = coord.post(fmt.Sprintf("/programmes/%d/course-module", w.programme.ID),
		url.Values{"course_id": {fmt.Sprint(w.course.ID)}, "module_id": {fmt.Sprint(second.ID)}})
	expectStatus(t, "course in module", resp, 303)
	if got := countRows(t, store, `SELECT count(*) FROM courses WHERE id = $1 AND module_id = $2`, w.course.ID, second.ID); got != 1 {
		t.Fatalf("course not in its module")
	}
	other := domain.Programme{Code: "other", NameAr: "آخر", NameFr: "Autre", NameEn: "Other", StartYear: 2019, EndYear: 2020}
	if err := store.CreateProgramme(context.Background(), &other, nil); err != nil {
		t.Fatal(err)
	}
	foreign := domain.Module{ProgrammeID: other.ID, Position: 1, Year: 1, NameAr: "أ", NameFr: "a", ExpectedHours: 1}
	if err := store.CreateModule(context.Background(), &foreign, nil); err != nil {
		t.Fatal(err)
	}
	resp = coord.sendJSON("PUT", fmt.Sprintf("/api/v1/courses/%d/module", w.course.ID), fmt.Sprintf(`{"module_id": %d}`, foreign.ID))
	expectStatus(t, "module of another programme", resp, 422)
	expectStatus(t, "out of the module", coord.sendJSON("PUT", fmt.Sprintf("/api/v1/courses/%d/module", w.course.ID), `{"module_id": null}`), 200)
	if got := countRows(t, store, `SELECT count(*) FROM courses WHERE id = $1 AND module_id IS NULL`, w.course.ID); got != 1 {
		t.Errorf("course still in a module")
	}
	if got := countRows(t, store, `SELECT count(*) FROM audit_log WHERE action = 'course.set_module'`); got != 2 {
		t.Errorf("audited course.set_module: %d, want 2", got)
	}

	// A trainer may read the modules, not change them.
	trainer := newClient(t, web)
	trainer.login("trainer@curriculum.ma", testPassword)
	expectStatus(t, "trainer page", trainer.get(page), 403)
	expectStatus(t, "trainer API", trainer.sendJSON("POST", fmt.Sprintf("/api/v1/programmes/%d/modules", w.programme.ID),
		`{"position": 9, "year": 1, "name_ar": "أ", "name_fr": "a", "expected_hours": 1}`), 403)
	expectStatus(t, "trainer reads", trainer.get(fmt.Sprintf("/api/v1/programmes/%d/modules", w.programme.ID)), 200)
}

// pathWorld is a programme of two modules: module 1 offered by two courses
// (Rabat 2019, Salé 2019), module 2 by one (Rabat 2020), each of one
// session (completion threshold 80 %: present is completed).
type pathWorld struct {
	store      *repository.Store
	programme  domain.Programme
	m1a, m1b   domain.Course
	m2         domain.Course
	sessionsOf map[int64]int64 // course → its session
	employer   int64           // everyone's institution
}

func newPathWorld(t *testing.T, store *repository.Store) *pathWorld {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	pw := &pathWorld{store: store, sessionsOf: map[int64]int64{}}
	for _, p := range []domain.Province{{RegionID: 4, Code: "rabat", NameAr: "الرباط", NameFr: "Rabat"},
		{RegionID: 4, Code: "sale", NameAr: "سلا", NameFr: "Salé"}} {
		must(store.CreateProvince(ctx, &p))
	}
	centre := "Centre"
	employer := domain.Organisation{Kind: domain.Institution, NameFr: &centre}
	must(store.CreateOrganisation(ctx, &employer, nil))
	pw.employer = employer.ID
	pw.programme = domain.Programme{Code: "path", NameAr: "مسار", NameFr: "Parcours", NameEn: "Path", StartYear: 2019, EndYear: 2021}
	must(store.CreateProgramme(ctx, &pw.programme, nil))
	var ids [2]int64
	for i := range ids {
		m := domain.Module{ProgrammeID: pw.programme.ID, Position: i + 1, Year: i + 1, NameAr: "و", NameFr: "m", ExpectedHours: 6}
		must(store.CreateModule(ctx, &m, nil))
		ids[i] = m.ID
	}
	course := func(code string, year int, province string, module int64) domain.Course {
		start, _ := domain.ParseDate(fmt.Sprintf("%d-03-01", year))
		c := domain.Course{ProgrammeID: pw.programme.ID, Code: code, TitleAr: "د " + code, TitleFr: "F " + code,
			Year: year, Province: province, StartDate: start, EndDate: start, Capacity: 100}
		must(store.CreateCourse(ctx, &c, nil))
		at := time.Date(year, 3, 1, 9, 0, 0, 0, time.UTC)
		ss := []domain.Session{{StartsAt: at, EndsAt: at.Add(3 * time.Hour), Place: "x", Hours: 3}}
		must(store.CreateSessions(ctx, c.ID, ss, nil))
		pw.sessionsOf[c.ID] = ss[0].ID
		must(store.SetCourseModule(ctx, c.ID, &module, nil))
		return c
	}
	pw.m1a, pw.m1b, pw.m2 = course("M1-RABAT", 2019, "rabat", ids[0]), course("M1-SALE", 2019, "sale", ids[0]), course("M2", 2020, "rabat", ids[1])
	return pw
}

// person enrols a new person in each course with the mark given there.
func (pw *pathWorld) person(t *testing.T, sex domain.Sex, marks map[domain.Course]domain.AttendanceStatus) {
	t.Helper()
	ctx := context.Background()
	var id int64
	for _, c := range []domain.Course{pw.m1a, pw.m1b, pw.m2} { // in date order: the first is who they were
		mark, ok := marks[c]
		if !ok {
			continue
		}
		if id == 0 {
			p := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(fmt.Sprintf("Personne %d", time.Now().UnixNano())), Sex: sex,
				OrganisationID: &pw.employer}
			if _, err := pw.store.EnrollNew(ctx, c.ID, &p, repository.EnrollOptions{}, nil); err != nil {
				t.Fatal(err)
			}
			id = p.ID
		} else if _, err := pw.store.Enroll(ctx, c.ID, id, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
		if mark != "" {
			if err := pw.store.SaveAttendance(ctx, pw.sessionsOf[c.ID], []repository.Mark{{TraineeID: id, Status: mark}}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Programme completion: every module completed, in any of its courses;
// each person once per breakdown, as at their first course; exact for a
// coordinator, small cells hidden for the ministry (with what would give
// them away), through the API and on the dashboard.
func TestProgrammeCompletionCountsEveryModule(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	addUser(t, store, "coord@path.ma", domain.RoleCoordinator)
	addUser(t, store, "ministry@path.ma", domain.RoleMinistry)
	pw := newPathWorld(t, store)
	P, A := domain.Present, domain.Absent
	// Completed: 6 women (4 through Rabat, 2 through Salé), 2 men (Rabat).
	for i := range 6 {
		first := pw.m1a
		if i >= 4 {
			first = pw.m1b
		}
		pw.person(t, domain.Female, map[domain.Course]domain.AttendanceStatus{first: P, pw.m2: P})
	}
	for range 2 {
		pw.person(t, domain.Male, map[domain.Course]domain.AttendanceStatus{pw.m1a: P, pw.m2: P})
	}
	// Not completed: absent from module 1 in Rabat but completed it in Salé
	// and module 2 (completed: one course of the module is enough) — a woman
	// of Rabat; module 1 only (a man); module 2 absent (a woman); only
	// enrolled in module 2, cohort 2020 (a woman).
	pw.person(t, domain.Female, map[domain.Course]domain.AttendanceStatus{pw.m1a: A, pw.m1b: P, pw.m2: P})
	pw.person(t, domain.Male, map[domain.Course]domain.AttendanceStatus{pw.m1a: P})
	pw.person(t, domain.Female, map[domain.Course]domain.AttendanceStatus{pw.m1a: P, pw.m2: A})
	pw.person(t, domain.Female, map[domain.Course]domain.AttendanceStatus{pw.m2: P})
	// 12 started, 9 completed. Women: 9 started, 7 completed; men: 3, 2.
	// Rabat (first course): 4+2+1+1+1+1 = 10 started, 4+2+1 = 7 completed; Salé: 2, 2.
	// Cohort 2019: 11 started, 9 completed; 2020: 1, 0.
	want := domain.ProgrammeCompletion{Programme: "path", Modules: 2, Started: 12, Completed: 9,
		ByCategory: []domain.CompletionRow{{Key: "institutional_actor", Started: 12, Completed: 9}},
		BySex:      []domain.CompletionRow{{Key: "female", Started: 9, Completed: 7}, {Key: "male", Started: 3, Completed: 2}},
		ByProvince: []domain.CompletionRow{{Key: "rabat", NameAr: "الرباط", NameFr: "Rabat", Started: 10, Completed: 7},
			{Key: "sale", NameAr: "سلا", NameFr: "Salé", Started: 2, Completed: 2}},
		ByCohort: []domain.CompletionRow{{Key: "2019", Started: 11, Completed: 9}, {Key: "2020", Started: 1, Completed: 0}}}

	api := fmt.Sprintf("/api/v1/programmes/%d/completion", pw.programme.ID)
	coord := newClient(t, web)
	coord.login("coord@path.ma", testPassword)
	resp := coord.get(api)
	expectStatus(t, "coordinator completion", resp, 200)
	exact, _ := json.Marshal(domain.ExactCompletion(want))
	if strings.TrimSpace(resp.Body) != string(exact) {
		t.Errorf("coordinator reads\n %s\nwant\n %s", resp.Body, exact)
	}

	// The ministry: Salé's 2 (started and completed) hidden, so Rabat's too
	// (else 12 − 10); men's 3 and 2 hidden, so women's too; cohort 2020's 1
	// started hidden, so 2019's started too; its 0 completed stays shown.
	min := newClient(t, web)
	min.login("ministry@path.ma", testPassword)
	resp = min.get(api)
	expectStatus(t, "ministry completion", resp, 200)
	var shown struct {
		Started, Completed *int
		Suppressed         []string
	}
	if err := json.Unmarshal([]byte(resp.Body), &shown); err != nil {
		t.Fatal(err)
	}
	wantHidden := []string{"by_sex.female.started", "by_sex.female.completed", "by_sex.male.started", "by_sex.male.completed",
		"by_province.rabat.started", "by_province.rabat.completed", "by_province.sale.started", "by_province.sale.completed",
		"by_cohort.2019.started", "by_cohort.2020.started"}
	if fmt.Sprint(sorted(shown.Suppressed)) != fmt.Sprint(sorted(wantHidden)) {
		t.Errorf("ministry: hidden %v, want %v", shown.Suppressed, wantHidden)
	}
	if shown.Started == nil || *shown.Started != 12 || shown.Completed == nil || *shown.Completed != 9 {
		t.Errorf("ministry headline: %s", resp.Body)
	}
	if strings.Contains(resp.Body, `"started":10`) || strings.Contains(resp.Body, `"started":3`) {
		t.Errorf("ministry reads a hidden value: %s", resp.Body)
	}

	// The dashboard shows the same, as each reader may read it.
	page := min.get("/dashboard?programme=path")
	expectStatus(t, "ministry dashboard", page, 200)
	if !strings.Contains(page.Body, `data-row="by_province.sale"`) || strings.Count(rowOf(page.Body, "by_province.sale"), "&lt;5") != 2 {
		t.Errorf("ministry dashboard: Salé's row is not hidden: %q", rowOf(page.Body, "by_province.sale"))
	}
	page = coord.get("/dashboard?programme=path")
	if row := rowOf(page.Body, "by_province.sale"); !strings.Contains(row, `<td class="num">2</td>`) {
		t.Errorf("coordinator dashboard: Salé's row %q", row)
	}
	expectStatus(t, "trainer may not", func() response {
		addUser(t, store, "trainer@path.ma", domain.RoleTrainer)
		tr := newClient(t, web)
		tr.login("trainer@path.ma", testPassword)
		return tr.get(api)
	}(), 403)
}

// rowOf is the dashboard's table row data-row=key.
func rowOf(body, key string) string {
	i := strings.Index(body, `data-row="`+key+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</tr>")
	return body[i : i+j]
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// The demo's takaffoul path: three yearly modules, its three yearly
// courses in them; the cohort of 22 started it, and the published figures
// are those of the demo test (repository/seed_demo_test.go).
func TestDemoTakaffoulHasAThreeYearPath(t *testing.T) {
	t.Parallel()
	store := dbtest.DemoStore(t)
	web := newApp(t, store)
	addUser(t, store, "coord@demo-path.ma", domain.RoleCoordinator)
	p, err := store.ProgrammeByCode(context.Background(), repository.DemoTakaffoul)
	if err != nil {
		t.Fatal(err)
	}
	coord := newClient(t, web)
	coord.login("coord@demo-path.ma", testPassword)
	resp := coord.get(fmt.Sprintf("/api/v1/programmes/%d/modules", p.ID))
	var modules []domain.Module
	if err := json.Unmarshal([]byte(resp.Body), &modules); err != nil || len(modules) != 3 {
		t.Fatalf("demo modules: %v %s", err, resp.Body)
	}
	for i, m := range modules {
		if m.Year != i+1 || m.Position != i+1 {
			t.Errorf("module %d: %+v", i, m)
		}
	}
	resp = coord.get(fmt.Sprintf("/api/v1/programmes/%d/completion", p.ID))
	var pc struct {
		Started, Completed int
		ByCohort           []struct{ Key string } `json:"by_cohort"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &pc); err != nil {
		t.Fatal(err)
	}
	// 22 people started in 2018; the one never trained and the one who
	// withdrew before 2020 did not complete, nor anyone below 80 % somewhere.
	if pc.Started != 22 || pc.Completed > 20 || pc.Completed == 0 || len(pc.ByCohort) != 1 || pc.ByCohort[0].Key != "2018" {
		t.Errorf("demo completion: %s", resp.Body)
	}
	if got := countRows(t, store, `SELECT count(*) FROM courses WHERE module_id IS NOT NULL`); got != 3 {
		t.Errorf("demo courses in a module: %d, want 3", got)
	}
	// Scores for part of the cohort: 16 of the 2020 module's 20, the last without a third rating.
	resp = coord.get("/api/v1/outcomes?programme=" + repository.DemoTakaffoul)
	var o struct {
		All struct {
			Tested, Rated    int
			MeanSatisfaction *float64 `json:"mean_satisfaction"`
		} `json:"all"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &o); err != nil || o.All.Tested != 16 || o.All.Rated != 16 || o.All.MeanSatisfaction == nil {
		t.Errorf("demo outcomes: %v %s", err, resp.Body)
	}
}

// The completion headline's two figures are joined as each language joins
// the parts of a sentence: the Arabic comma in Arabic (the template wrote
// a Latin "," in every language).
func TestCompletionHeadlineUsesTheLanguagesComma(t *testing.T) {
	t.Parallel()
	store := dbtest.DemoStore(t)
	web := newApp(t, store)
	addUser(t, store, "coord@demo-comma.ma", domain.RoleCoordinator)
	coord := newClient(t, web)
	coord.login("coord@demo-comma.ma", testPassword)
	for lang, want := range map[string]string{"ar": "</strong> بدأوا،\n", "fr": "</strong> ont commencé,\n"} {
		coord.setLanguage(lang)
		page := coord.get("/dashboard?programme=" + repository.DemoTakaffoul)
		expectStatus(t, "dashboard", page, 200)
		i := strings.Index(page.Body, `data-figure="completion.started"`)
		if i < 0 {
			t.Fatalf("%s: no completion headline", lang)
		}
		if headline := page.Body[i:min(len(page.Body), i+120)]; !strings.Contains(headline, want) {
			t.Errorf("%s: the completion headline %q lacks %q", lang, headline, want)
		}
	}
}
