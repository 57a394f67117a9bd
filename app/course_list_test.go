package app_test

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository/dbtest"
)

// courseLinks are the course codes a course list shows, in order.
var courseLinks = regexp.MustCompile(`<tr[^>]*>\s*<td data-label="[^"]*"><a href="/courses/\d+">(?:<bdi[^>]*>)?([^<]+)`)

func listedCodes(body string) []string {
	var codes []string
	for _, m := range courseLinks.FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	return codes
}

// relLink is the href of the pager's link rel (prev or next), unescaped.
func relLink(body, rel string) string {
	m := regexp.MustCompile(`href="([^"]+)" rel="` + rel + `"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// The course list pages on the server: 20 courses a page, a link to the
// next page and back, each course once (issue 16: the 23 demo courses made
// one 7,361 px page on a phone).
func TestCourseListPagesOnTheServer(t *testing.T) {
	t.Parallel()
	store := dbtest.DemoStore(t)
	web := newApp(t, store)
	addUser(t, store, "coordinator@list.ma", domain.RoleCoordinator)
	cl := newClient(t, web)
	cl.login("coordinator@list.ma", testPassword)
	total := countRows(t, store, `SELECT count(*) FROM courses WHERE NOT archived`)
	if total <= 20 {
		t.Fatalf("the demo has %d courses: too few to page", total)
	}
	first := cl.get("/courses")
	expectStatus(t, "first page", first, 200)
	seen := listedCodes(first.Body)
	if len(seen) != 20 {
		t.Fatalf("the first page lists %d courses, want 20", len(seen))
	}
	if relLink(first.Body, "prev") != "" {
		t.Error("the first page links to a previous one")
	}
	next := relLink(first.Body, "next")
	if next != "/courses?offset=20" {
		t.Fatalf("the first page's next link: %q", next)
	}
	second := cl.get(next)
	expectStatus(t, "second page", second, 200)
	seen = append(seen, listedCodes(second.Body)...)
	if len(seen) != total || relLink(second.Body, "next") != "" || relLink(second.Body, "prev") != "/courses" {
		t.Fatalf("two pages list %d of %d courses (next %q, prev %q)", len(seen), total, relLink(second.Body, "next"), relLink(second.Body, "prev"))
	}
	unique := map[string]bool{}
	for _, code := range seen {
		unique[code] = true
	}
	if len(unique) != total {
		t.Errorf("a course is listed twice: %v", seen)
	}
	expectStatus(t, "a page that is not a number", cl.get("/courses?offset=abc"), 422)
}

// The filters narrow the list on the server, keep their values in the
// form and in the pager's links, and combine.
func TestCourseListFiltersOnTheServer(t *testing.T) {
	t.Parallel()
	store := dbtest.DemoStore(t)
	web := newApp(t, store)
	addUser(t, store, "coordinator@filter.ma", domain.RoleCoordinator)
	cl := newClient(t, web)
	cl.login("coordinator@filter.ma", testPassword)
	var c struct {
		Code, Programme, Province string
		Year                      int
	}
	must(t, store.DB().Get(&c, `SELECT c.code, pr.code AS programme, p.code AS province, c.year
	  FROM courses c JOIN programmes pr ON pr.id = c.programme_id JOIN provinces p ON p.id = c.province_id
	 WHERE NOT c.archived ORDER BY c.id LIMIT 1`))
	cases := []struct {
		name  string
		query url.Values
		where string
		args  []any
	}{
		{"search, any case", url.Values{"q": {strings.ToLower(c.Code[:len(c.Code)-1])}}, `c.code ILIKE $1`, []any{"%" + c.Code[:len(c.Code)-1] + "%"}},
		{"programme", url.Values{"programme": {c.Programme}}, `pr.code = $1`, []any{c.Programme}},
		{"year", url.Values{"year": {"٢٠" + itoa(int64(c.Year))[2:]}}, `c.year = $1`, []any{c.Year}}, // typed in Arabic-Indic digits, in part
		{"province", url.Values{"province": {c.Province}}, `p.code = $1`, []any{c.Province}},
		{"all four", url.Values{"q": {c.Code}, "programme": {c.Programme}, "year": {itoa(int64(c.Year))}, "province": {c.Province}},
			`c.code ILIKE $1 AND pr.code = $2 AND c.year = $3 AND p.code = $4`, []any{"%" + c.Code + "%", c.Programme, c.Year, c.Province}},
	}
	for _, tc := range cases {
		want := countRows(t, store, `SELECT count(*) FROM courses c JOIN programmes pr ON pr.id = c.programme_id
		  JOIN provinces p ON p.id = c.province_id WHERE NOT c.archived AND `+tc.where, tc.args...)
		all := countRows(t, store, `SELECT count(*) FROM courses WHERE NOT archived`)
		if want == 0 || want == all {
			t.Fatalf("%s: the demo does not test this filter (%d of %d)", tc.name, want, all)
		}
		r := cl.get("/courses?" + tc.query.Encode())
		expectStatus(t, tc.name, r, 200)
		if got := listedCodes(r.Body); len(got) != min(want, 20) {
			t.Errorf("%s: %d courses listed, want %d", tc.name, len(got), want)
		}
		for name, values := range tc.query {
			if name == "q" && !strings.Contains(r.Body, `value="`+values[0]+`"`) {
				t.Errorf("%s: the search box lost %q", tc.name, values[0])
			}
			if name != "q" && name != "year" && !strings.Contains(r.Body, `value="`+values[0]+`" selected`) {
				t.Errorf("%s: the %s filter lost %q", tc.name, name, values[0])
			}
		}
	}
	// The pager keeps the filter: a filter matching more than a page.
	r := cl.get("/courses?archived=true&year=")
	if next := relLink(r.Body, "next"); !strings.Contains(next, "archived=true") || !strings.Contains(next, "offset=20") {
		t.Errorf("the next page forgets the filter: %q", next)
	}
	none := cl.get("/courses?q=" + url.QueryEscape("100%_nothing"))
	expectStatus(t, "no match", none, 200)
	if len(listedCodes(none.Body)) != 0 || !strings.Contains(none.Body, "لا توجد دورة تطابق") {
		t.Errorf("a search that matches nothing does not say so:\n%s", none.Body)
	}
	expectStatus(t, "a year that is not a number", cl.get("/courses?year=20x6"), 422)
}

// A trainer's list, filtered, still holds only their own courses.
func TestCourseListFilterKeepsATrainerToTheirCourses(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	r := env.trainer.get("/courses?archived=true&q=" + url.QueryEscape(env.otherCourse.Code[:2]))
	expectStatus(t, "trainer", r, 200)
	if strings.Contains(r.Body, env.otherCourse.Code) {
		t.Errorf("the trainer's search finds another's course %s", env.otherCourse.Code)
	}
}

// The course list's year filter offers every year a course of the list
// runs in, not only its programmes' years: the demo's course of this week
// (2026, in a programme of 2018–2020) could not be chosen by its year.
func TestCourseListOffersTheYearsOfItsCourses(t *testing.T) {
	t.Parallel()
	store := dbtest.DemoStore(t)
	web := newApp(t, store)
	addUser(t, store, "coordinator@years.ma", domain.RoleCoordinator)
	cl := newClient(t, web)
	cl.login("coordinator@years.ma", testPassword)
	var running string
	if err := store.DB().Get(&running, `SELECT c.code FROM courses c JOIN programmes p ON p.id = c.programme_id
	  WHERE c.year > p.end_year ORDER BY c.id LIMIT 1`); err != nil {
		t.Fatalf("the demo's course outside its programme's years: %v", err)
	}
	page := cl.get("/courses")
	expectStatus(t, "course list", page, 200)
	year := regexp.MustCompile(`(?s)<select id="f-year" name="year">(.*?)</select>`).FindStringSubmatch(page.Body)
	if year == nil {
		t.Fatal("no year filter")
	}
	options := regexp.MustCompile(`<option value="(\d+)"`).FindAllStringSubmatch(year[1], -1)
	var offered []string
	for _, o := range options {
		offered = append(offered, o[1])
	}
	if got := strings.Join(offered, " "); got != "2017 2018 2019 2020 2026" {
		t.Errorf("the year filter offers %q, want the programmes' years and 2026", got)
	}
	chosen := cl.get("/courses?year=2026")
	if codes := listedCodes(chosen.Body); len(codes) != 1 || codes[0] != running {
		t.Errorf("the courses of 2026: %v, want %s", codes, running)
	}
	if !strings.Contains(chosen.Body, `<option value="2026" selected>`) {
		t.Error("the year chosen is not shown chosen")
	}
}

// The course list's search folds accents, case and Arabic spelling, as
// names are searched elsewhere: «ecole» finds «École», and an Arabic title
// is found typed without its harakat, with «ا» for «آ» or «ه» for «ة»
// (issue 16, point 3; migration 00037).
func TestCourseListSearchFoldsAccentsCaseAndArabicSpelling(t *testing.T) {
	t.Parallel()
	store := dbtest.DemoStore(t)
	web := newApp(t, store)
	addUser(t, store, "coordinator@search.ma", domain.RoleCoordinator)
	cl := newClient(t, web)
	cl.login("coordinator@search.ma", testPassword)
	var code string
	must(t, store.DB().Get(&code, `UPDATE courses SET title_fr = 'L’École des parents — séance d’ouverture',
	       title_ar = 'مَدْرَسَةُ الآباء'
	 WHERE id = (SELECT min(id) FROM courses WHERE NOT archived) RETURNING code`))
	for _, q := range []string{"ecole", "ÉCOLE DES", "l'ecole", "Seance d'Ouverture", "parents - seance",
		"مدرسة الآباء", "مدرسه الاباء", "مـدرسة", "مَدرسة"} {
		r := cl.get("/courses?q=" + url.QueryEscape(q))
		expectStatus(t, q, r, 200)
		if got := listedCodes(r.Body); !slices.Contains(got, code) {
			t.Errorf("search %q: the course %s is not listed (%v)", q, code, got)
		}
	}
	for _, q := range []string{"ecolx", "مدرستي"} {
		r := cl.get("/courses?q=" + url.QueryEscape(q))
		if got := listedCodes(r.Body); slices.Contains(got, code) {
			t.Errorf("search %q: the course %s is listed", q, code)
		}
	}
}
