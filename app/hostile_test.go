package app_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"takaffoul/domain"
)

// garbage is what a careless or hostile user may type anywhere.
var garbage = []string{
	"", "0", "-1", "99999999999999999999", "abc", "' OR 1=1 --", "1; DROP TABLE trainees; --",
	"<script>alert(1)</script>", "%00", "\x00\xff\xfe", strings.Repeat("ج", 5000), "../../etc/passwd", "{{.}}",
}

var routeParam = regexp.MustCompile(`:[a-z_]+(<[a-z]+>)?|\*`)

// TestEveryRouteWithGarbageNeverAnswers500 calls every registered route, as
// each role, with garbage in its path parameters, query and body.
func TestEveryRouteWithGarbageNeverAnswers500(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	tr := addUser(t, store, "trainer@garbage.ma", domain.RoleTrainer)
	addUser(t, store, "coordinator@garbage.ma", domain.RoleCoordinator)
	addUser(t, store, "ministry@garbage.ma", domain.RoleMinistry)
	newWorld(t, store, tr.ID)
	clients := map[string]*client{"anonymous": newClient(t, web)}
	for i, who := range []string{"coordinator", "trainer", "ministry"} {
		cl := newClient(t, web)
		cl.ip = fmt.Sprintf("203.0.113.%d", i+1)
		cl.login(who+"@garbage.ma", testPassword)
		clients[who] = cl
	}
	for _, route := range web.GetRoutes(true) {
		if route.Path == "/logout" || route.Method == "HEAD" {
			continue // logging out ends the session the other calls need
		}
		for who, cl := range clients {
			for i, g := range garbage {
				param := g
				if param == "" || strings.ContainsAny(param, "/%\x00") {
					param = "x"
				}
				if len(param) > 100 {
					param = param[:100]
				}
				// URLs stay under the server's 4 KB header buffer; bodies get everything.
				short := g
				if len(short) > 200 {
					short = short[:200]
				}
				target := routeParam.ReplaceAllString(route.Path, url.PathEscape(param))
				target += "?q=" + url.QueryEscape(short) + "&programme=" + url.QueryEscape(short) + "&year=" + url.QueryEscape(short)
				var r response
				switch {
				case route.Method == "GET":
					r = cl.get(target)
				case i%2 == 0:
					r = cl.sendJSON(route.Method, target, `{"x": "`+strings.ReplaceAll(g, `"`, "")+`", "trainee_id": "`+g+`"`)
				default:
					form := url.Values{}
					for _, field := range []string{"code", "name", "email", "category", "sex", "birth_year", "year", "capacity",
						"trainee_id", "user_id", "organisation_id", "first_day", "start_time", "count", "status", "role", "lang"} {
						form.Set(field, g)
					}
					r = cl.post(target, form)
				}
				if r.StatusCode >= 500 {
					t.Errorf("%s %s as %s: %d", route.Method, target, who, r.StatusCode)
				}
			}
		}
	}
}

func TestScriptInFreeTextComesBackEscaped(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	payload := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	env.trainer.get(fmt.Sprintf("/courses/%d/enrol", env.course.ID))
	r := env.trainer.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"associative_actor"},
		"full_name_latin": {payload}, "sex": {"female"}, "new_organisation_name": {payload}})
	expectStatus(t, "enrol", r, 303)
	for _, page := range []string{fmt.Sprintf("/courses/%d", env.course.ID), fmt.Sprintf("/sessions/%d/attendance", env.session.ID),
		fmt.Sprintf("/courses/%d/enrol?q=%s", env.course.ID, url.QueryEscape(payload))} {
		body := env.trainer.get(page).Body
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s renders the payload as HTML", page)
		}
		if !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s does not show the payload as text", page)
		}
	}
}

func TestInjectionInSearchIsJustText(t *testing.T) {
	t.Parallel()
	env := newAPIEnv(t)
	for _, q := range []string{"' OR 1=1 --", "%", "_", `\`, "'; DELETE FROM trainees; --"} {
		r := env.coordinator.call("GET", "/api/v1/trainees?q="+url.QueryEscape(q), "")
		expectStatus(t, q, r, 200)
		if strings.TrimSpace(r.Body) != "[]" {
			t.Errorf("search %q matched: %s", q, r.Body)
		}
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees`); n != 1 {
		t.Fatalf("trainees changed: %d", n)
	}
}
