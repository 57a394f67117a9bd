package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/app"
	"takaffoul/domain"
	"takaffoul/repository/dbtest"
)

// blackholeRequestTimeout is the test server's request timeout, short so
// that the test is.
const blackholeRequestTimeout = 2 * time.Second

// margin is the time allowed to answer once a deadline has passed: lib/pq
// makes a prepared statement's caller (the API token lookup) wait up to a
// second for its cancel request, and the machine is shared.
const margin = 1500 * time.Millisecond

// hangLimit is how long the test waits before it calls a request hung.
const hangLimit = 30 * time.Second

// blackholeRequest is one request fired while the link is silent.
type blackholeRequest struct {
	name   string
	target string
	want   int
	header map[string]string
	json   bool          // the answer is JSON (else an HTML page)
	within time.Duration // how late the answer may come while the link is silent
}

type blackholeAnswer struct {
	blackholeRequest
	status int
	body   string
	took   time.Duration
	err    error
}

// TestSilentDatabaseLinkDoesNotHangRequests puts a TCP proxy between the
// application and PostgreSQL and makes it silent (nothing forwarded,
// nothing closed: a dropped route). 25 requests at once, more than the pool
// has connections, of every kind (the login page, readiness, liveness, a
// signed-in page, the API) each answer within their timeouts: 503 with the
// translated page or JSON, 200 for /healthz. Once the link is back, the
// same requests succeed at their first try, on fresh connections.
func TestSilentDatabaseLinkDoesNotHangRequests(t *testing.T) {
	t.Parallel()
	proxy := dbtest.NewProxy(t, dbtest.NewDatabase(t))
	store := openStore(t, proxy.URL) // 5 connections
	ctx := context.Background()
	coordinator := addUser(t, store, "coordinator@blackhole.ma", domain.RoleCoordinator)
	token, _, err := store.CreateAPIToken(ctx, coordinator.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	web, err := app.New(app.Config{RequestTimeout: blackholeRequestTimeout, TrustedProxies: []string{"0.0.0.0"},
		SessionPurgeInterval: -1}, store, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	browser := newClient(t, web)
	browser.login("coordinator@blackhole.ma", testPassword)

	signedIn := map[string]string{"Cookie": cookieHeader(browser.cookies), "X-Forwarded-For": browser.ip}
	withToken := map[string]string{"Authorization": "Bearer " + token}
	// Pages share the request timeout among their session-storage calls.
	pages := blackholeRequestTimeout + margin
	kinds := []blackholeRequest{
		{name: "login page", target: "/login", want: 503, within: pages},
		{name: "readiness", target: "/readyz", want: 503, json: true, within: 2*time.Second + margin},
		{name: "liveness", target: "/healthz", want: 200, json: true, within: margin},
		{name: "signed-in page", target: "/courses", want: 503, header: signedIn, within: pages},
		{name: "API", target: "/api/v1/courses", want: 503, header: withToken, json: true,
			within: blackholeRequestTimeout + margin},
	}
	for _, r := range kinds { // every kind answers while the link is up
		if a := fire(web, r); a.err != nil || a.status != 200 {
			t.Fatalf("%s with the link up: %d %v %.300s", r.name, a.status, a.err, a.body)
		}
	}

	proxy.Blackhole()
	var requests []blackholeRequest
	for i := range 25 {
		requests = append(requests, kinds[i%len(kinds)])
	}
	answers := fireAll(t, web, requests, proxy)
	slowest := map[string]time.Duration{}
	for _, a := range answers {
		if a.err != nil {
			t.Errorf("%s: %v", a.name, a.err)
			continue
		}
		if a.took > a.within {
			t.Errorf("%s answered after %v, more than %v", a.name, a.took.Round(time.Millisecond), a.within)
		}
		slowest[a.name] = max(slowest[a.name], a.took)
		if a.status != a.want {
			t.Errorf("%s with the link silent: want %d, got %d (%.300s)", a.name, a.want, a.status, a.body)
			continue
		}
		if a.status == 503 {
			checkUnavailableBody(t, a)
		}
	}

	for name, took := range slowest {
		t.Logf("slowest %s: %v", name, took.Round(time.Millisecond))
	}

	proxy.Restore()
	for _, r := range kinds {
		if a := fire(web, r); a.err != nil || a.status != 200 {
			t.Errorf("%s once the link is back: want 200 at the first try, got %d %v %.300s", r.name, a.status, a.err, a.body)
		}
	}
}

// checkUnavailableBody: the 503 says so in the user's language (Arabic by
// default), as JSON for the API, and shows nothing of the internal error.
func checkUnavailableBody(t *testing.T, a blackholeAnswer) {
	t.Helper()
	for _, internal := range []string{"timeout", "deadline", "tcp", "pq:"} {
		if strings.Contains(a.body, internal) {
			t.Errorf("%s shows the internal error (%q): %.300s", a.name, internal, a.body)
		}
	}
	switch {
	case a.target == "/readyz":
		if !strings.Contains(a.body, `"status":"unavailable"`) {
			t.Errorf("%s: %s", a.name, a.body)
		}
	case a.json:
		if !strings.Contains(a.body, `"error":"الخدمة غير متاحة مؤقتًا`) {
			t.Errorf("%s: want the translated JSON error, got %.300s", a.name, a.body)
		}
	default:
		if !strings.Contains(a.body, "الخدمة غير متاحة") || !strings.Contains(a.body, "<html") {
			t.Errorf("%s: want the translated error page, got %.300s", a.name, a.body)
		}
	}
}

// fireAll sends every request at once and collects the answers. A request
// still unanswered after hangLimit is reported as hung; the link is then
// restored so that it ends, and the test with it.
func fireAll(t *testing.T, web *fiber.App, requests []blackholeRequest, proxy *dbtest.Proxy) []blackholeAnswer {
	t.Helper()
	done := make(chan blackholeAnswer, len(requests))
	for _, r := range requests {
		go func() { done <- fire(web, r) }()
	}
	var answers []blackholeAnswer
	timeout := time.After(hangLimit)
	for len(answers) < len(requests) {
		select {
		case a := <-done:
			answers = append(answers, a)
		case <-timeout:
			t.Errorf("%d of %d requests hung for %v with the link silent", len(requests)-len(answers), len(requests), hangLimit)
			proxy.Restore()
			for range len(requests) - len(answers) {
				<-done // the hung ones, already reported
			}
			return nil
		}
	}
	return answers
}

// fire sends one request through the whole application and times the answer.
func fire(web *fiber.App, r blackholeRequest) blackholeAnswer {
	req := httptest.NewRequest("GET", r.target, nil)
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := web.Test(req, -1)
	a := blackholeAnswer{blackholeRequest: r}
	if err != nil {
		a.err = err
		return a
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	a.status, a.body, a.took, a.err = resp.StatusCode, string(b), time.Since(start), err
	return a
}

func cookieHeader(cookies map[string]string) string {
	var parts []string
	for name, value := range cookies {
		parts = append(parts, fmt.Sprintf("%s=%s", name, value))
	}
	return strings.Join(parts, "; ")
}
