package app_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"takaffoul/app"
	"takaffoul/domain"
	"takaffoul/repository"
)

const setupSecret = "HR7Y2QKXW4PZ3NVB5MDT6LCJ9A"

// newFirstRunApp is the application as serve starts it on a database
// with no account: with a setup secret.
func newFirstRunApp(t *testing.T, store *repository.Store) *fiber.App {
	t.Helper()
	web, err := app.New(app.Config{TrustedProxies: []string{"0.0.0.0"}, SessionPurgeInterval: -1, SetupToken: setupSecret}, store, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	return web
}

func setupForm(email, password, confirm string) url.Values {
	return url.Values{"token": {setupSecret}, "name": {"Première Administratrice"}, "email": {email},
		"password": {password}, "password_confirm": {confirm}}
}

// TestFirstRunCreatesTheAdministrator walks a newcomer's first run: the
// address leads to the setup page, which without the log's link only says
// where it is; with it, a form (CSRF-protected, the password policy of
// every account) creates the first administrator and signs them in. Then
// the link opens nothing any more.
func TestFirstRunCreatesTheAdministrator(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newFirstRunApp(t, store)
	cl := newClient(t, web)
	cl.cookies["lang"] = "fr"

	for _, page := range []string{"/", "/login"} {
		r := cl.get(page)
		if r.StatusCode != 303 || r.Header.Get("Location") != "/setup" {
			t.Fatalf("GET %s with no account: want 303 to /setup, got %d %q", page, r.StatusCode, r.Header.Get("Location"))
		}
	}
	r := cl.get("/setup")
	expectStatus(t, "setup without the secret", r, 200)
	if strings.Contains(r.Body, `action="/setup"`) || !strings.Contains(r.Body, "go run . seed demo") ||
		!strings.Contains(r.Body, "journal du serveur") {
		t.Fatalf("without the secret the page says where the link is, and shows no form:\n%s", visibleText(r.Body))
	}
	expectStatus(t, "setup with a wrong secret", cl.get("/setup?token=WRONG"+setupSecret[5:]), 403)
	r = cl.get("/setup?token=" + setupSecret)
	expectStatus(t, "setup with the secret", r, 200)
	if !strings.Contains(r.Body, `action="/setup"`) || !strings.Contains(r.Body, `name="token" value="`+setupSecret+`"`) {
		t.Fatalf("the setup form:\n%s", r.Body)
	}

	noCSRF := setupForm("admin@example.ma", "a-long-enough-password", "a-long-enough-password")
	noCSRF.Set("_csrf", "forged")
	expectStatus(t, "setup without the CSRF token", cl.postRaw("/setup", noCSRF), 403)
	r = cl.post("/setup", setupForm("admin@example.ma", "a-long-enough-password", "another-long-password"))
	expectStatus(t, "two different passwords", r, 422)
	if !strings.Contains(r.Body, "Les deux mots de passe ne sont pas identiques.") || !strings.Contains(r.Body, `value="admin@example.ma"`) {
		t.Fatalf("the form comes back with the message and the values:\n%s", visibleText(r.Body))
	}
	r = cl.post("/setup", setupForm("admin@example.ma", "short", "short"))
	expectStatus(t, "a password under the policy", r, 422)
	wrongSecret := setupForm("admin@example.ma", "a-long-enough-password", "a-long-enough-password")
	wrongSecret.Set("token", "WRONG")
	expectStatus(t, "a post with a wrong secret", cl.post("/setup", wrongSecret), 403)
	if n := countRows(t, store, `SELECT count(*) FROM users`); n != 0 {
		t.Fatalf("refused setups created %d accounts", n)
	}

	r = cl.post("/setup", setupForm("Admin@Example.ma", "a-long-enough-password", "a-long-enough-password"))
	if r.StatusCode != 303 || r.Header.Get("Location") != "/" {
		t.Fatalf("setup: want 303 to /, got %d %q: %s", r.StatusCode, r.Header.Get("Location"), visibleText(r.Body))
	}
	if n := countRows(t, store, `SELECT count(*) FROM users WHERE email = 'admin@example.ma' AND role = 'admin' AND active AND language = 'fr'`); n != 1 {
		t.Fatal("the administrator was not created as such, in the page's language")
	}
	if n := countRows(t, store, `SELECT count(*) FROM audit_log WHERE action = 'user.create' AND after->>'setup' = 'true'`); n != 1 {
		t.Fatal("the setup is not in the audit log")
	}
	home := cl.get("/")
	expectStatus(t, "home after the setup", home, 200)
	if !strings.Contains(home.Body, "Le compte administrateur est prêt.") || !strings.Contains(home.Body, `<a href="/users">`) {
		t.Fatalf("the new administrator is signed in and told what next:\n%s", visibleText(home.Body))
	}

	// The link is spent: every way back leads to the login page, nothing changes.
	again := newClient(t, web)
	if r := again.get("/setup?token=" + setupSecret); r.StatusCode != 303 || r.Header.Get("Location") != "/login" {
		t.Fatalf("the link after the setup: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	expectStatus(t, "the login page after the setup", again.get("/login"), 200)
	if r := again.post("/setup", setupForm("second@example.ma", "a-long-enough-password", "a-long-enough-password")); r.StatusCode != 303 ||
		r.Header.Get("Location") != "/login" {
		t.Fatalf("a second setup: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if n := countRows(t, store, `SELECT count(*) FROM users`); n != 1 {
		t.Fatalf("a second setup made %d accounts", n)
	}
}

// TestSetupClosesWhenAnAccountAppears: an account made another way (user
// add, seed demo) while the server runs ends the setup; a server given no
// secret has no setup page at all.
func TestSetupClosesWhenAnAccountAppears(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newFirstRunApp(t, store)
	cl := newClient(t, web)
	expectStatus(t, "the form before", cl.get("/setup?token="+setupSecret), 200)
	addUser(t, store, "seeded@example.ma", domain.RoleCoordinator)
	if r := cl.get("/setup?token=" + setupSecret); r.StatusCode != 303 {
		t.Fatalf("the link once an account exists: %d", r.StatusCode)
	}
	if r := cl.post("/setup", setupForm("late@example.ma", "a-long-enough-password", "a-long-enough-password")); r.StatusCode != 303 ||
		countRows(t, store, `SELECT count(*) FROM users WHERE role = 'admin'`) != 0 {
		t.Fatalf("a setup once an account exists: %d", r.StatusCode)
	}

	empty := newStore(t)
	plain := newApp(t, empty) // no secret: serve found accounts, or a test
	other := newClient(t, plain)
	expectStatus(t, "login with no secret", other.get("/login"), 200)
	if r := other.get("/setup?token=" + setupSecret); r.StatusCode != 303 || r.Header.Get("Location") != "/login" {
		t.Fatalf("setup with no secret configured: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestTwoSetupsAtOnceMakeOneAdministrator: a double submit, or two tabs.
func TestTwoSetupsAtOnceMakeOneAdministrator(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newFirstRunApp(t, store)
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	clients := make([]*client, len(statuses))
	for i := range clients {
		clients[i] = newClient(t, web)
		clients[i].get("/setup?token=" + setupSecret)
	}
	for i, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = cl.post("/setup", setupForm("admin"+itoa(int64(i))+"@example.ma", "a-long-enough-password", "a-long-enough-password")).StatusCode
		}()
	}
	wg.Wait()
	if n := countRows(t, store, `SELECT count(*) FROM users`); n != 1 {
		t.Fatalf("%d setups at once made %d accounts (statuses %v)", len(statuses), n, statuses)
	}
}

// TestSetupPagesShowNoMessageKey: the setup page's states in every language.
func TestSetupPagesShowNoMessageKey(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newFirstRunApp(t, store)
	for _, lang := range domain.Languages {
		cl := newClient(t, web)
		cl.cookies["lang"] = lang
		pages := map[string]response{
			"no secret":    cl.get("/setup"),
			"wrong secret": cl.get("/setup?token=nope"),
			"form":         cl.get("/setup?token=" + setupSecret),
			"invalid form": cl.post("/setup", setupForm("not-an-address", "short", "other")),
		}
		for what, r := range pages {
			if found := messageKeysIn(r.Body); len(found) > 0 || !strings.Contains(r.Body, `lang="`+lang+`"`) {
				t.Errorf("setup page (%s) in %s: keys %v", what, lang, found)
			}
		}
	}
}
