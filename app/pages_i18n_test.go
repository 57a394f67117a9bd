package app_test

import (
	"context"
	"io/fs"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/views"
)

// looksLikeKey is what a message key shown raw looks like: "sex.male",
// "dashboard.export.col.label", "error.404.title". A missing translation
// shows its key (Translator.T), so any such text on a page is a defect.
var looksLikeKey = regexp.MustCompile(`\b[a-z_]+(?:\.[a-z0-9_]+)+\b`)

// Real dotted things a page may show: e-mail addresses (removed before the
// search), file names and abbreviations of English prose.
var (
	emailAddress  = regexp.MustCompile(`[^\s<>"'@]+@[^\s<>"'@]+`)
	fileName      = regexp.MustCompile(`\.(csv|xlsx|svg|css|js|json|html|txt|pdf|png)$`)
	notMessageKey = map[string]bool{"e.g": true, "i.e": true}
)

// readAttributes are the attributes people read or hear (screen readers);
// the value of a button-like input is its label.
var readAttributes = map[string]bool{"aria-label": true, "aria-description": true, "aria-placeholder": true,
	"aria-roledescription": true, "title": true, "alt": true, "placeholder": true, "label": true}

// messageKeysIn lists the texts of an HTML page that look like message keys:
// in its visible text (scripts and styles aside) and in the attributes read
// to people.
func messageKeysIn(page string) []string {
	var found []string
	look := func(text string) {
		text = emailAddress.ReplaceAllString(text, " ")
		for _, m := range looksLikeKey.FindAllString(text, -1) {
			if !fileName.MatchString(m) && !notMessageKey[m] {
				found = append(found, m)
			}
		}
	}
	z := html.NewTokenizer(strings.NewReader(page))
	skip := "" // inside <script> or <style>
	for {
		switch z.Next() {
		case html.ErrorToken:
			return found
		case html.TextToken:
			if skip == "" {
				look(string(z.Text()))
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == skip {
				skip = ""
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "script" || tok.Data == "style" {
				skip = tok.Data
			}
			buttonLike := false
			for _, a := range tok.Attr {
				if a.Key == "type" && (a.Val == "submit" || a.Val == "button" || a.Val == "reset") {
					buttonLike = tok.Data == "input"
				}
			}
			for _, a := range tok.Attr {
				if readAttributes[a.Key] || (buttonLike && a.Key == "value") {
					look(a.Val)
				}
			}
		}
	}
}

func TestMessageKeysAreFoundOnAPage(t *testing.T) {
	page := `<html><head><title>sex.male — Takaffoul</title><style>.a.b{}</style><script>x.y.z()</script></head>
	<body><p>Signed in as admin@demo.ma</p><a href="/static/app.css">app.css</a><p>3.5 h</p>
	<label><input type="radio"> sex.female</label><button aria-label="layout.language">ع</button>
	<input type="submit" value="courses.save"><svg><text>error.404.title</text></svg></body></html>`
	got := strings.Join(messageKeysIn(page), " ")
	if got != "sex.male sex.female layout.language courses.save error.404.title" {
		t.Fatalf("keys found: %q", got)
	}
}

// TestNoPageShowsAMessageKey renders every page each role can reach — the
// GET routes of the authorisation matrix, and the forms it sends invalid,
// which come back with their messages — in Arabic, French and English, on a
// world with marks, a withdrawal, a reported figure and a session today, and
// fails on any text that looks like a message key: a translation that is
// missing in one language, or a key written in a template that no message
// file has (the enrolment form's "sex.male" was one).
func TestNoPageShowsAMessageKey(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	emails := map[string]string{}
	for _, role := range domain.Roles {
		emails[string(role)] = string(role) + "@pages.ma"
		addUser(t, store, emails[string(role)], role)
	}
	target := addUser(t, store, "target@pages.ma", domain.RoleTrainer)
	trainerUser, err := store.UserByEmail(context.Background(), emails[trainer])
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, store, trainerUser.ID)
	w.addActivity(t)
	ids := map[string]int64{"{user}": target.ID, "{course}": w.course.ID, "{session}": w.session.ID, "{trainee}": w.trainee.ID}

	urls := []string{"/dashboard", "/courses?archived=true", "/imports?course={course}", "/setup"}
	var forms []string
	keys := make([]string, 0, len(authzMatrix))
	for key := range authzMatrix {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		entry := authzMatrix[key]
		method, _, _ := strings.Cut(key, " ")
		switch {
		case strings.HasPrefix(entry.url, "/api/") || entry.json != "":
		case method == "GET" && !strings.Contains(entry.url, ".csv") && !strings.Contains(entry.url, ".xlsx"):
			urls = append(urls, entry.url)
		case method == "POST" && entry.form != nil:
			forms = append(forms, key)
		}
	}
	fill := func(u string) string {
		for placeholder, id := range ids {
			u = strings.ReplaceAll(u, placeholder, strconv.FormatInt(id, 10))
		}
		return u
	}

	pagesSeen := 0
	for i, p := range principals {
		for _, lang := range domain.Languages {
			cl := newClient(t, web)
			cl.ip = "198.51.100." + strconv.Itoa(60+i)
			if p == anonymous {
				cl.cookies["lang"] = lang
				cl.get("/login")
			} else {
				cl.login(emails[p], testPassword)
				cl.setLanguage(lang)
			}
			check := func(what string, r response) {
				t.Helper()
				if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
					return
				}
				pagesSeen++
				if !strings.Contains(r.Body, `lang="`+lang+`"`) {
					t.Errorf("%s as %s: the page is not in %s", what, p, lang)
				}
				if found := messageKeysIn(r.Body); len(found) > 0 {
					t.Errorf("%s as %s in %s (%d): message keys shown as text: %v", what, p, lang, r.StatusCode, found)
				}
			}
			for _, u := range urls {
				check("GET "+u, cl.get(fill(u)))
			}
			for _, key := range forms {
				entry := authzMatrix[key]
				// Only the answers that change nothing: a form sent invalid.
				if entry.want[p] != 422 {
					continue
				}
				form := url.Values{}
				for k, v := range entry.form {
					form[k] = v
				}
				check(key, cl.post(fill(entry.url), form))
			}
		}
	}
	if pagesSeen < 150 {
		t.Fatalf("only %d pages rendered: is the route list empty?", pagesSeen)
	}
}

// addActivity gives the world what makes pages show more of their labels:
// marks, a withdrawn trainee, a reported figure, and a session today in the
// trainer's course.
func (w *world) addActivity(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(w.store.SaveAttendance(ctx, w.session.ID, []repository.Mark{{TraineeID: w.trainee.ID, Status: domain.Late}}, nil))
	gone := domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Youssef Alaoui"), Sex: domain.Male,
		OrganisationID: &w.association.ID}
	_, err := w.store.EnrollNew(ctx, w.course.ID, &gone, repository.EnrollOptions{}, nil)
	check(err)
	check(w.store.Withdraw(ctx, w.course.ID, gone.ID, nil))
	check(w.store.CreateReportedFigure(ctx, &domain.ReportedFigure{Figure: "local_actors.trained",
		Programme: w.programme.Code, Value: 3, Source: "Rapport annuel (test)"}, nil))
	now := time.Now().In(domain.Casablanca)
	start := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, domain.Casablanca)
	check(w.store.CreateSessions(ctx, w.course.ID, []domain.Session{{StartsAt: start, EndsAt: start.Add(3 * time.Hour),
		Place: "Rabat", Hours: 3}}, nil))
}

// templateKey finds the message keys written literally in templates:
// {{.T "key"}}, {{$.N "key" n}}, and the "Label"/"Hint" of the input partial.
var templateKey = regexp.MustCompile(`(?:\.T|\.N|"Label"|"Hint") "([a-z_]+(?:\.[a-z0-9_]+)+)"`)

// TestEveryKeyInATemplateHasAMessage catches, without rendering, a key that
// only shows on a path the page test does not take.
func TestEveryKeyInATemplateHasAMessage(t *testing.T) {
	byLang, _ := loadAllMessages(t)
	templates, err := fs.Glob(views.FS, "*/*.html")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := fs.Glob(views.FS, "*/*/*.html")
	found := 0
	for _, file := range append(templates, more...) {
		raw, err := fs.ReadFile(views.FS, file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateKey.FindAllStringSubmatch(string(raw), -1) {
			found++
			for _, lang := range domain.Languages {
				if _, ok := byLang[lang][m[1]]; !ok {
					t.Errorf("%s: %q has no %s message", file, m[1], lang)
				}
			}
		}
	}
	if found < 100 {
		t.Fatalf("only %d keys found in the templates: is the scan broken?", found)
	}
}
