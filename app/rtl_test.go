package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"takaffoul/domain"
)

// leftToRight are the values that read left to right and must sit inside
// an isolate on an Arabic page (issue 16, point 4): outside one, the
// browser reorders their parts against the Arabic words ("في 2026-" /
// "01-12 20:36", "–2017 / 2020", "% 86").
var leftToRight = map[string]*regexp.Regexp{
	"date":       regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}`),
	"time":       regexp.MustCompile(`\d{1,2}:\d{2}`),
	"year range": regexp.MustCompile(`\d{4}\s*[–-]\s*\d{4}`),
	"percentage": regexp.MustCompile(`\d\s*[%٪]|[%٪]\s*\d`),
	"fraction":   regexp.MustCompile(`\d+\s*/\s*\d+`),
	"code":       regexp.MustCompile(`^\s*(CP|PP)-\d`), // a title may hold one: a code cell starts with it
	"file name":  regexp.MustCompile(`\.xlsx?\b`),
}

// unicodeIsolate is text between the isolate controls LRI/RLI/FSI and PDI:
// isolated too, where markup cannot go (an <option>, a message's example).
var unicodeIsolate = regexp.MustCompile("[\u2066\u2067\u2068][^\u2069]*\u2069")

// dateTime is a day and its time: they must stay on one line.
var dateTime = regexp.MustCompile(`(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}) \d{2}:\d{2}`)

// isolating reports whether n isolates its text from the line around it:
// <bdi>, or any element with a dir attribute (the HTML rendering rules give
// [dir] unicode-bidi: isolate).
func isolating(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if n.Data == "bdi" {
		return true
	}
	for _, a := range n.Attr {
		if a.Key == "dir" && n.Data != "html" {
			return true
		}
	}
	return false
}

func hasClass(n *html.Node, class string) bool {
	for _, a := range n.Attr {
		if a.Key == "class" && strings.Contains(" "+a.Val+" ", " "+class+" ") {
			return true
		}
	}
	return false
}

// bidiProblems lists the left-to-right values of page's text that are not
// isolated, and the dates-with-times an isolate lets wrap.
func bidiProblems(page string) ([]string, error) {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return nil, err
	}
	var problems []string
	var walk func(n *html.Node, isolate *html.Node)
	walk = func(n *html.Node, isolate *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head" || n.Data == "svg") {
			return
		}
		if isolating(n) {
			isolate = n
		}
		if n.Type == html.TextNode {
			text := unicodeIsolate.ReplaceAllString(n.Data, "\u2066\u2069")
			for kind, re := range leftToRight {
				if isolate == nil && re.MatchString(text) {
					problems = append(problems, fmt.Sprintf("%s not isolated: %q", kind, strings.TrimSpace(text)))
				}
			}
			if isolate != nil && dateTime.MatchString(text) && !hasClass(isolate, "nowrap") {
				problems = append(problems, fmt.Sprintf("date and time may wrap apart: %q", text))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, isolate)
		}
	}
	walk(doc, nil)
	return problems, nil
}

// isolatedTexts are the texts of page's isolates.
func isolatedTexts(t *testing.T, page string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "bdi" {
			var b strings.Builder
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					b.WriteString(c.Data)
				}
			}
			out = append(out, b.String())
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// rtlPages signs in a trainer and an admin on a world with one mark taken,
// and returns the main pages, as each role sees them, in lang.
func rtlPages(t *testing.T, lang string) map[string]string {
	t.Helper()
	store := newStore(t)
	web := newApp(t, store)
	addSpeaker := func(email string, role domain.Role) *domain.User {
		u := &domain.User{Email: email, Name: "Test " + string(role), Role: role, Language: lang}
		if err := store.CreateUser(context.Background(), u, testPassword, nil); err != nil {
			t.Fatal(err)
		}
		return u
	}
	trainer := addSpeaker("rtl-trainer-"+lang+"@example.org", domain.RoleTrainer)
	addSpeaker("rtl-admin-"+lang+"@example.org", domain.RoleAdmin)
	w := newWorld(t, store, trainer.ID)

	tr := newClient(t, web)
	tr.login(trainer.Email, testPassword)
	field := fmt.Sprintf("status_%d", w.trainee.ID)
	resp := tr.post(fmt.Sprintf("/sessions/%d/attendance", w.session.ID), url.Values{field: {"present"}, "action": {"save"}})
	if resp.StatusCode >= 400 {
		t.Fatalf("mark attendance: %d %s", resp.StatusCode, resp.Body)
	}
	admin := newClient(t, web)
	admin.login("rtl-admin-"+lang+"@example.org", testPassword)

	pages := map[string]string{}
	get := func(cl *client, name, target string) {
		resp := cl.get(target)
		expectStatus(t, name, resp, http.StatusOK)
		pages[name] = resp.Body
	}
	get(tr, "trainer home", "/")
	get(tr, "attendance", fmt.Sprintf("/sessions/%d/attendance", w.session.ID))
	get(tr, "sign-in sheet", fmt.Sprintf("/sessions/%d/sign-in-sheet", w.session.ID))
	get(admin, "course list", "/courses")
	get(admin, "course page", fmt.Sprintf("/courses/%d", w.course.ID))
	get(admin, "programmes", "/programmes")
	get(admin, "dashboard", "/dashboard")
	get(admin, "users", "/users")
	get(admin, "imports", "/imports")
	get(admin, "duplicates", "/duplicates")
	return pages
}

// TestArabicPagesIsolateLeftToRightValues: on every main page in Arabic,
// each date, time, range of years, percentage, fraction, code and file name
// is inside an isolate, and a date's time cannot wrap away from it.
func TestArabicPagesIsolateLeftToRightValues(t *testing.T) {
	for name, page := range rtlPages(t, "ar") {
		problems, err := bidiProblems(page)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// TestPercentagesFollowTheLanguage: the attendance rates of the course page
// and the trainer's home read "100%" in Arabic and English (CLDR ar-MA,
// en), "100 %" with a narrow no-break space in French: never "% 100".
func TestPercentagesFollowTheLanguage(t *testing.T) {
	want := map[string]string{"ar": "100%", "fr": "100\u202f%", "en": "100%"}
	for _, lang := range []string{"ar", "fr"} {
		pages := rtlPages(t, lang)
		for _, name := range []string{"course page", "trainer home"} {
			found := false
			for _, text := range isolatedTexts(t, pages[name]) {
				if strings.ContainsAny(text, "%٪") {
					if text != want[lang] && !strings.HasSuffix(text, strings.TrimPrefix(want[lang], "100")) {
						t.Errorf("%s %s: percentage %q, want the form of %q", lang, name, text, want[lang])
					}
					found = found || text == want[lang]
				}
			}
			if !found {
				t.Errorf("%s %s: no isolated %q", lang, name, want[lang])
			}
		}
	}
}
