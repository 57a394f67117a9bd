package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"takaffoul/app"
	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// testPassword is every test user's password (it meets the policy).
const testPassword = "correct horse battery"

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// newApp builds the application on store, as serve does. Requests made
// through a client come from the address the client names in
// X-Forwarded-For (the test connection's 0.0.0.0 is the trusted proxy).
func newApp(t *testing.T, store *repository.Store) *fiber.App {
	t.Helper()
	web, err := app.New(app.Config{TrustedProxies: []string{"0.0.0.0"}, SessionPurgeInterval: -1}, store, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	return web
}

// addUser stores a user with testPassword.
func addUser(t *testing.T, store *repository.Store, email string, role domain.Role) *domain.User {
	t.Helper()
	u := &domain.User{Email: email, Name: "Test " + string(role), Role: role}
	if err := store.CreateUser(context.Background(), u, testPassword, nil); err != nil {
		t.Fatalf("add user %s: %v", email, err)
	}
	return u
}

// client is a browser: it keeps cookies, and finds the CSRF token in pages.
type client struct {
	t       *testing.T
	app     *fiber.App
	cookies map[string]string
	ip      string
	headers map[string]string
	token   string // the last CSRF token seen in a page
}

func newClient(t *testing.T, web *fiber.App) *client {
	return &client{t: t, app: web, cookies: map[string]string{}, ip: "192.0.2.10", headers: map[string]string{}}
}

// response is a response with its body read.
type response struct {
	*http.Response
	Body string
}

var csrfInPage = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (cl *client) do(method, target string, body io.Reader, contentType string) response {
	cl.t.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Forwarded-For", cl.ip)
	for k, v := range cl.headers {
		req.Header.Set(k, v)
	}
	var parts []string
	for name, value := range cl.cookies {
		parts = append(parts, name+"="+value)
	}
	if len(parts) > 0 {
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	resp, err := cl.app.Test(req, -1)
	if err != nil {
		cl.t.Fatalf("%s %s: %v", method, target, err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.Value == "" || c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(cl.cookies, c.Name)
		} else {
			cl.cookies[c.Name] = c.Value
		}
	}
	if m := csrfInPage.FindStringSubmatch(string(b)); m != nil {
		cl.token = m[1]
	}
	return response{resp, string(b)}
}

func (cl *client) get(target string) response { return cl.do("GET", target, nil, "") }

// post sends a form with the CSRF token of the last page seen (fetching
// the login page first when no page was seen yet).
func (cl *client) post(target string, form url.Values) response {
	cl.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		if cl.token == "" {
			cl.get("/login")
		}
		form.Set("_csrf", cl.token)
	}
	return cl.postRaw(target, form)
}

// postRaw sends the form exactly as given.
func (cl *client) postRaw(target string, form url.Values) response {
	return cl.do("POST", target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// login signs in and fails the test unless it worked.
func (cl *client) login(email, password string) {
	cl.t.Helper()
	cl.get("/login")
	resp := cl.post("/login", url.Values{"email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		cl.t.Fatalf("login %s: want 303, got %d: %s", email, resp.StatusCode, resp.Body)
	}
	cl.get("/") // a page, for a fresh CSRF token
}

func expectStatus(t *testing.T, what string, resp response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		body := resp.Body
		if len(body) > 600 {
			body = body[:600] + "…"
		}
		t.Fatalf("%s: want %d, got %d (%s)", what, want, resp.StatusCode, body)
	}
}

func countRows(t *testing.T, store *repository.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := store.DB().Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// atDefaultPasswordCost hashes passwords at bcrypt's default cost until the
// test ends (dbtest lowers it for the suite), for the tests about its
// cost. Such a test must not call t.Parallel: the cost is the process's.
func atDefaultPasswordCost(t *testing.T) {
	t.Cleanup(domain.SetPasswordCostForTests(bcrypt.DefaultCost))
}

// newStore is a store on a fresh migrated database.
func newStore(t *testing.T) *repository.Store { return dbtest.Store(t) }

// newSecureApp is the application as served over TLS (COOKIE_SECURE=true).
func newSecureApp(store *repository.Store) (*fiber.App, error) {
	return app.New(app.Config{CookieSecure: true, TrustedProxies: []string{"0.0.0.0"}, SessionPurgeInterval: -1}, store, quietLog)
}

// serveOnLoopback serves web on a free loopback port until the test ends,
// for the few answers app.Test cannot show (a body over the limit).
func serveOnLoopback(t *testing.T, web *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = web.Listener(ln) }()
	t.Cleanup(func() { _ = web.Shutdown() })
	return "http://" + ln.Addr().String()
}
