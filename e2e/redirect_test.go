//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// nastyNext are ?next= values (as they appear in the URL) that once sent, or
// could send, a signed-in user to another site: Chromium drops a tab or a
// newline anywhere and reads "\" as "/".
var nastyNext = []string{
	"/%09/evil.example/",
	"/%0A/evil.example/",
	"/%0D%0A/evil.example/",
	"%09//evil.example/",
	"//evil.example/",
	"///evil.example/",
	"/%5Cevil.example/",
	"/%5C/evil.example/",
	"%5C%5Cevil.example/",
	"/%2F/evil.example/",
	"/%252F%252Fevil.example/",
	"/.//evil.example/",
	"/%00/evil.example/",
	"/%E2%80%AE/evil.example/",
	"https://evil.example/",
	"http:%5C%5Cevil.example/",
}

// A browser signed in, sent to /login?next=… (the link an attacker mails),
// after signing in with such a link, and through the language switch, stays
// on the site; the "other site" (evil.example, resolved by Chromium to a
// server of the test's) is never asked for anything.
func TestRedirectsStayOnTheSite(t *testing.T) {
	s := newSite(t)
	var visits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/favicon.ico" {
			visits.Add(1)
		}
		_, _ = w.Write([]byte("<html><body><h1 id=evil>evil</h1></body></html>"))
	}))
	defer evil.Close()
	b := browserResolving(t, "evil.example", strings.TrimPrefix(evil.URL, "http://"))

	// The test can see an escape: evil.example does reach the other server.
	must(t, chromedp.Do(b, chromedp.Navigate("http://evil.example/"), chromedp.WaitVisible(chromedp.CSS("#evil"))))
	if visits.Load() != 1 {
		t.Fatal("evil.example does not reach the test's other site: the test could not see an escape")
	}
	visits.Store(0)

	// visit runs the actions (the last one navigates) and checks that the
	// browser arrives on a page of the site: it waits for a page, the site's
	// or the other site's, that is not the one the actions started from.
	visit := func(b context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		_, err := chromedp.Run(b, chromedp.Evaluate[string](`document.body ? (document.body.dataset.left = "yes") : ""`))
		must(t, err)
		must(t, chromedp.Do(b, actions...))
		wait, cancel := context.WithTimeout(b, 15*time.Second)
		defer cancel()
		waitErr := chromedp.Do(wait, chromedp.WaitVisible(chromedp.CSS(`body:not([data-left]) :is(nav.main-nav, #evil)`)))
		loc, err := chromedp.Run(b, chromedp.Location())
		must(t, err)
		switch {
		case !strings.HasPrefix(loc, s.base+"/") || visits.Load() != 0:
			t.Errorf("%s: the browser is at %q (the other site was asked %d times)", what, loc, visits.Load())
			visits.Store(0)
		case waitErr != nil:
			t.Errorf("%s: no new page of the site at %q: %v", what, loc, waitErr)
		}
	}

	// Anonymous, with the attacker's link: sign in, land on the site.
	must(t, chromedp.Do(b, chromedp.Navigate(s.base+"/login?next=/%09/evil.example/")))
	visit(b, "signing in from /login?next=/%09/evil.example/",
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "trainer@e2e.ma"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))

	// Signed in: /login sends straight to next.
	for _, next := range nastyNext {
		visit(b, "GET /login?next="+next, chromedp.Navigate(s.base+"/login?next="+next))
	}

	// The forms' own "next" fields, altered in the page: the language switch…
	for _, next := range []string{"/\t/evil.example/", "/\\evil.example/", "//evil.example/"} {
		must(t, chromedp.Do(b, chromedp.Navigate(s.base+"/")))
		visit(b, fmt.Sprintf("language switch with next %q", next),
			chromedp.SetValue(chromedp.CSS(`.lang-switch input[name=next]`), next),
			chromedp.Click(chromedp.CSS(`.lang-switch button[value=fr]`)))
	}

	// …and the login form, in a second browser that is not signed in.
	other := browserResolving(t, "evil.example", strings.TrimPrefix(evil.URL, "http://"))
	must(t, chromedp.Do(other, chromedp.Navigate(s.base+"/login")))
	visit(other, "login form posted with next /\\t/evil.example/",
		chromedp.SetValue(chromedp.CSS(`form[action="/login"] input[name=next]`), "/\t/evil.example/"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "coordinator@e2e.ma"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
}

// browserResolving is a headless Chromium of its own, like browser, that
// resolves host to addr (a loopback server of the test's) instead of asking DNS.
func browserResolving(t *testing.T, host, addr string) context.Context {
	t.Helper()
	exec := os.Getenv("CHROMIUM")
	if exec == "" {
		exec = "/usr/bin/chromium"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exec), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP "+host+" "+addr))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	must(t, chromedp.Do(ctx))
	return ctx
}
