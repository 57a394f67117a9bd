package app_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

func TestAdminManagesUsers(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	boss := addUser(t, store, "admin@example.ma", domain.RoleAdmin)
	cl := newClient(t, web)
	cl.login(boss.Email, testPassword)

	// Invalid input: the form comes back with what was typed (never the
	// password) and each message next to its field.
	resp := cl.post("/users", url.Values{"email": {"fatima@example"}, "name": {"فاطمة الزهراء بنعلي"},
		"role": {"overlord"}, "password": {"short"}})
	expectStatus(t, "invalid new user", resp, 422)
	for _, want := range []string{`value="fatima@example"`, `value="فاطمة الزهراء بنعلي"`, "«البريد الإلكتروني»",
		`id="e-email"`, `id="e-role"`, `aria-invalid="true"`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("the re-rendered form lacks %s", want)
		}
	}
	if strings.Contains(resp.Body, `value="short"`) {
		t.Error("the password is sent back")
	}
	resp = cl.post("/users", url.Values{"email": {"fatima@example.ma"}, "name": {strings.Repeat("n", 10<<20)},
		"role": {"trainer"}, "password": {"a-good-long-password"}})
	expectStatus(t, "10 MB name", resp, 422)
	if !strings.Contains(resp.Body, "يجب ألا يتجاوز حقل «الاسم الكامل» 200 حرف.") || len(resp.Body) > 100_000 {
		t.Fatalf("a 10 MB name gets a short message (%d bytes)", len(resp.Body))
	}
	resp = cl.post("/users", url.Values{"email": {"fatima@example.ma"}, "name": {"فاطمة الزهراء بنعلي"},
		"role": {"trainer"}, "password": {"fatima@example.ma"}})
	expectStatus(t, "password = e-mail", resp, 422)
	if !strings.Contains(resp.Body, "يجب ألا تكون كلمة المرور هي عنوان البريد الإلكتروني.") {
		t.Error("the password policy message is missing")
	}

	resp = cl.post("/users", url.Values{"email": {"Fatima@Example.ma"}, "name": {"فاطمة الزهراء بنعلي"},
		"role": {"trainer"}, "language": {"fr"}, "password": {"a-good-long-password"}})
	expectStatus(t, "create", resp, 303)
	created, err := store.UserByEmail(t.Context(), "fatima@example.ma")
	if err != nil {
		t.Fatal(err)
	}
	if created.Role != domain.RoleTrainer || created.Language != "fr" || created.Name != "فاطمة الزهراء بنعلي" {
		t.Fatalf("created %+v", created)
	}
	list := cl.get(resp.Header.Get("Location"))
	if !strings.Contains(list.Body, "تم إنشاء المستخدم.") || !strings.Contains(list.Body, "فاطمة الزهراء بنعلي") {
		t.Fatal("the list shows neither the flash message nor the new user")
	}
	if strings.Contains(cl.get("/users").Body, "تم إنشاء المستخدم.") {
		t.Fatal("the flash message is shown twice")
	}

	resp = cl.post("/users", url.Values{"email": {"FATIMA@example.ma"}, "name": {"Another"},
		"role": {"trainer"}, "password": {"a-good-long-password"}})
	expectStatus(t, "same e-mail", resp, 409)
	if !strings.Contains(resp.Body, "يوجد مستخدم بعنوان البريد الإلكتروني هذا مسبقًا.") {
		t.Fatal("the duplicate e-mail message is missing")
	}

	page := "/users/" + strconv.FormatInt(created.ID, 10)
	expectStatus(t, "user page", cl.get(page), 200)
	expectStatus(t, "change role", cl.post(page+"/role", url.Values{"role": {"coordinator"}}), 303)
	expectStatus(t, "bad role", cl.post(page+"/role", url.Values{"role": {"root"}}), 422)
	expectStatus(t, "weak password", cl.post(page+"/password", url.Values{"password": {"123"}}), 422)
	expectStatus(t, "reset password", cl.post(page+"/password", url.Values{"password": {"the-new-password"}}), 303)
	expectStatus(t, "deactivate", cl.post(page+"/active", url.Values{"active": {"false"}}), 303)

	var actions []string
	if err := store.DB().Select(&actions, `SELECT action FROM audit_log WHERE entity = 'user' AND entity_id = $1 AND actor_id = $2 ORDER BY id`,
		created.ID, boss.ID); err != nil {
		t.Fatal(err)
	}
	want := "user.create user.role user.password_reset user.deactivate"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audit: want %q, got %q", want, actions)
	}
	if n := countRows(t, store, `SELECT count(*) FROM audit_log WHERE after::text LIKE '%$2a$%' OR before::text LIKE '%$2a$%'`); n != 0 {
		t.Fatal("a password hash is in the audit log")
	}

	fatima := newClient(t, web)
	fatima.get("/login")
	expectStatus(t, "deactivated user's login", fatima.post("/login", url.Values{"email": {created.Email}, "password": {"the-new-password"}}), 401)

	// The last active admin cannot lock everybody out.
	self := "/users/" + strconv.FormatInt(boss.ID, 10)
	resp = cl.post(self+"/active", url.Values{"active": {"false"}})
	expectStatus(t, "deactivate the last admin", resp, 422)
	if !strings.Contains(resp.Body, "يجب أن يبقى مدير نظام نشط واحد على الأقل.") {
		t.Fatal("no message about the last admin")
	}
	expectStatus(t, "demote the last admin", cl.post(self+"/role", url.Values{"role": {"trainer"}}), 422)
	expectStatus(t, "unknown user", cl.get("/users/999999"), 404)
}

// scriptTag is a <script> element's opening tag.
var scriptTag = regexp.MustCompile(`<script\b[^>]*>`)

func TestErrorPagesNeverShowInternals(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	u := addUser(t, store, "coordinator@example.ma", domain.RoleCoordinator)
	cl := newClient(t, web)
	cl.login(u.Email, testPassword)
	cl.post("/language", url.Values{"lang": {"en"}, "next": {"/"}})

	resp := cl.get("/no/such/page")
	expectStatus(t, "unknown page", resp, 404)
	if !strings.Contains(resp.Body, "Page not found") || !strings.Contains(resp.Body, `<html lang="en" dir="ltr">`) {
		t.Fatalf("404 page:\n%.800s", resp.Body)
	}
	if strings.Contains(resp.Body, "Cannot GET") {
		t.Fatal("Fiber's own text leaks")
	}
	resp = cl.get("/api/nothing")
	expectStatus(t, "unknown API route", resp, 404)
	assertJSONError(t, resp, "does not exist")

	cl.headers["Accept"] = "application/json"
	resp = cl.get("/users")
	expectStatus(t, "403 as JSON", resp, 403)
	assertJSONError(t, resp, "You do not have access")
	delete(cl.headers, "Accept")
	resp = cl.get("/users")
	if !strings.Contains(resp.Body, "Access denied") {
		t.Fatal("403 page")
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for _, tag := range scriptTag.FindAllString(resp.Body, -1) { // scripts from files only (nav.js on every signed-in page)
		if !strings.Contains(tag, ` src="/static/`) {
			t.Errorf("inline script in a page: %s", tag)
		}
	}
	if strings.Contains(resp.Body, "style=") {
		t.Error("inline style in a page")
	}

	// The database gone: a generic page, the cause in the log only.
	store.Close()
	resp = cl.get("/")
	if resp.StatusCode < 500 || strings.Contains(resp.Body, "database is closed") || strings.Contains(resp.Body, "sql:") {
		t.Fatalf("with the database closed: %d\n%.800s", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(resp.Body, "An unexpected error occurred") && !strings.Contains(resp.Body, "temporarily unavailable") {
		t.Fatalf("the 5xx page says nothing useful:\n%.800s", resp.Body)
	}
}

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	cl := newClient(t, newApp(t, store))
	resp := cl.get("/static/app.css")
	expectStatus(t, "app.css", resp, 200)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(resp.Body, "margin-inline") {
		t.Fatalf("app.css: %s", resp.Header.Get("Content-Type"))
	}
	if strings.Contains(resp.Body, "margin-left") || strings.Contains(resp.Body, "padding-right") {
		t.Error("physical properties in the stylesheet: use logical ones")
	}
	if !strings.Contains(resp.Body, "@media print") {
		t.Error("no print stylesheet")
	}
	for _, path := range []string{"/static/", "/static/../go.mod", "/static/%2e%2e/views.go", "/static/nope.css"} {
		if got := cl.get(path); got.StatusCode != 404 {
			t.Errorf("%s: want 404, got %d", path, got.StatusCode)
		}
	}
}

// An admin's password reset or deactivation, from the user page, ends the
// user's sessions (their rows are gone, the cookie opens nothing) and
// revokes their API tokens; a reactivated account gets none of them back.
func TestResetAndDeactivationEndSessionsAndTokens(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	boss := addUser(t, store, "admin@example.ma", domain.RoleAdmin)
	u := addUser(t, store, "trainer@example.ma", domain.RoleTrainer)
	admin := newClient(t, web)
	admin.login(boss.Email, testPassword)
	page := "/users/" + strconv.FormatInt(u.ID, 10)
	password := testPassword

	for _, change := range []struct {
		name string
		path string
		form url.Values
	}{
		{"password reset", page + "/password", url.Values{"password": {"tea olive rocket lamp"}}},
		{"deactivation", page + "/active", url.Values{"active": {"false"}}},
	} {
		phone := newClient(t, web)
		phone.login(u.Email, password)
		token, _, err := store.CreateAPIToken(t.Context(), u.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		script := newClient(t, web)
		script.headers["Authorization"] = "Bearer " + token
		expectStatus(t, change.name+": token before", script.get("/api/me"), 200)
		if n := countRows(t, store, `SELECT count(*) FROM web_sessions WHERE user_id = $1`, u.ID); n != 1 {
			t.Fatalf("%s: the signed-in session does not name its user (%d rows)", change.name, n)
		}

		expectStatus(t, change.name, admin.post(change.path, change.form), 303)
		if n := countRows(t, store, `SELECT count(*) FROM web_sessions WHERE user_id = $1`, u.ID); n != 0 {
			t.Errorf("%s: %d sessions of the user left", change.name, n)
		}
		if n := countRows(t, store, `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`, u.ID); n != 0 {
			t.Errorf("%s: %d live tokens left", change.name, n)
		}
		expectStatus(t, change.name+": token after", script.get("/api/me"), 401)
		expectStatus(t, change.name+": session after", phone.get("/"), 303)
		expectStatus(t, change.name+": the admin's own session", admin.get("/users"), 200)
		password = "tea olive rocket lamp"
	}
	expectStatus(t, "reactivate", admin.post(page+"/active", url.Values{"active": {"true"}}), 303)
	if n := countRows(t, store, `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`, u.ID); n != 0 {
		t.Errorf("reactivation brought %d tokens back", n)
	}
}

// Passwords that are easy to guess are refused on creation and reset, with
// a message that says what makes a good one, in the admin's language.
func TestWeakPasswordsAreRefused(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	boss := addUser(t, store, "admin@example.ma", domain.RoleAdmin)
	u := addUser(t, store, "trainer@example.ma", domain.RoleTrainer)
	cl := newClient(t, web)
	cl.login(boss.Email, testPassword)
	advice := map[string]string{"ar": "بضع كلمات لا علاقة بينها", "fr": "quelques mots sans rapport entre eux", "en": "a few unrelated words"}
	page := "/users/" + strconv.FormatInt(u.ID, 10)
	for _, lang := range []string{"ar", "fr", "en"} {
		cl.post("/language", url.Values{"lang": {lang}, "next": {"/"}})
		for _, weak := range []string{"aaaaaaaaaa", "          ", "password123", "azertyuiop", "nouvelle1990"} {
			resp := cl.post("/users", url.Values{"email": {"new@example.ma"}, "name": {"Nouvelle"}, "role": {"trainer"}, "password": {weak}})
			expectStatus(t, lang+" create with "+strconv.Quote(weak), resp, 422)
			if !strings.Contains(resp.Body, advice[lang]) {
				t.Errorf("%s: creating with %q: the page does not explain a good password", lang, weak)
			}
			resp = cl.post(page+"/password", url.Values{"password": {weak}})
			expectStatus(t, lang+" reset to "+strconv.Quote(weak), resp, 422)
			if !strings.Contains(resp.Body, advice[lang]) {
				t.Errorf("%s: reset to %q: the page does not explain a good password", lang, weak)
			}
		}
	}
	if n := countRows(t, store, `SELECT count(*) FROM users WHERE email = 'new@example.ma'`); n != 0 {
		t.Fatal("a user was created with a weak password")
	}
	if !domain.PasswordMatches(mustUser(t, store, u.ID).PasswordHash, testPassword) {
		t.Fatal("a weak password replaced the user's")
	}
}

func mustUser(t *testing.T, store *repository.Store, id int64) *domain.User {
	t.Helper()
	u, err := store.User(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
