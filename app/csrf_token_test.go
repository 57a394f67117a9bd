package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
)

func TestCSRF(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	boss := addUser(t, store, "admin@example.ma", domain.RoleAdmin)
	cl := newClient(t, web)
	cl.login(boss.Email, testPassword)

	form := func() url.Values {
		return url.Values{"email": {"new@example.ma"}, "name": {"Nouvelle"}, "role": {"trainer"}, "password": {"a-long-enough-password"}}
	}
	resp := cl.postRaw("/users", form())
	expectStatus(t, "POST /users without _csrf", resp, 403)
	if !strings.Contains(resp.Body, "انتهت صلاحية هذه الاستمارة") || strings.Contains(strings.ToLower(resp.Body), "csrf token") {
		t.Fatalf("the 403 page explains in the user's language, without internals:\n%s", resp.Body)
	}
	wrong := form()
	wrong.Set("_csrf", "forged-token")
	expectStatus(t, "POST /users with a forged _csrf", cl.postRaw("/users", wrong), 403)
	if n := countRows(t, store, `SELECT count(*) FROM users WHERE email = 'new@example.ma'`); n != 0 {
		t.Fatal("a forged request created a user")
	}

	expectStatus(t, "POST /users with _csrf", cl.post("/users", form()), 303)
	if n := countRows(t, store, `SELECT count(*) FROM users WHERE email = 'new@example.ma'`); n != 1 {
		t.Fatal("the user was not created")
	}

	// Scripts of the page send the token in a header instead.
	cl.headers["X-CSRF-Token"] = cl.token
	expectStatus(t, "POST /language with X-CSRF-Token", cl.postRaw("/language", url.Values{"lang": {"fr"}}), 303)
	delete(cl.headers, "X-CSRF-Token")

	// Anonymous forms are protected too (login CSRF).
	anon := newClient(t, web)
	expectStatus(t, "POST /login without _csrf", anon.postRaw("/login", url.Values{"email": {boss.Email}, "password": {testPassword}}), 403)
}

func TestBearerTokens(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	ctx := context.Background()
	u := addUser(t, store, "coordinator@example.ma", domain.RoleCoordinator)
	if err := store.SetUserLanguage(ctx, u.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	token, info, err := store.CreateAPIToken(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, store, `SELECT count(*) FROM api_tokens WHERE token_hash = sha256($1::bytea)`, token); n != 1 {
		t.Fatal("the token's SHA-256 must be stored")
	}
	if n := countRows(t, store, `SELECT count(*) FROM api_tokens WHERE position($1 in encode(token_hash, 'escape')) > 0`, token); n != 0 {
		t.Fatal("the token itself is stored")
	}

	script := newClient(t, web)
	script.headers["Authorization"] = "Bearer " + token
	resp := script.get("/api/me")
	expectStatus(t, "GET /api/me with a token", resp, 200)
	var me map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &me); err != nil || me["role"] != "coordinator" || me["email"] != u.Email {
		t.Fatalf("/api/me: %s (%v)", resp.Body, err)
	}
	// The token acts with the user's role: not an admin.
	resp = script.get("/api/users")
	expectStatus(t, "GET /api/users as coordinator", resp, 403)
	assertJSONError(t, resp, "Vous n'avez pas accès") // the user's language
	// No CSRF token needed: a browser never sends this header by itself.
	expectStatus(t, "POST with a token, without _csrf", script.postRaw("/language", url.Values{"lang": {"en"}}), 303)
	if _, ok := script.cookies["takaffoul_session"]; ok {
		t.Fatalf("token requests get no session: %v", script.cookies)
	}

	if _, err := store.RevokeAPITokens(ctx, u.ID, info.Prefix, nil); err != nil {
		t.Fatal(err)
	}
	resp = script.get("/api/me")
	expectStatus(t, "GET /api/me with a revoked token", resp, 401)
	assertJSONError(t, resp, "")

	for _, header := range []string{"Bearer nonsense", "Bearer tkf_" + strings.Repeat("A", 43), "Basic dXNlcjpwYXNz"} {
		bad := newClient(t, web)
		bad.headers["Authorization"] = header
		expectStatus(t, header, bad.get("/api/me"), 401)
	}
	expectStatus(t, "anonymous /api/me", newClient(t, web).get("/api/me"), 401)
}

// assertJSONError checks the shape {"error": "…"} and, when want is not
// empty, that the message contains it.
func assertJSONError(t *testing.T, resp response, want string) {
	t.Helper()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("want JSON, got %s: %s", resp.Header.Get("Content-Type"), resp.Body)
	}
	var body struct {
		Error  string            `json:"error"`
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error == "" {
		t.Fatalf("want {\"error\": …}, got %s", resp.Body)
	}
	if want != "" && !strings.Contains(body.Error, want) {
		t.Fatalf("error %q does not contain %q", body.Error, want)
	}
}
