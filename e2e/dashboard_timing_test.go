//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
)

// rendererMetrics reads the renderer's own counters (Performance.getMetrics,
// seconds of work on its main thread): what a page costs the browser, less
// moved than the clock by the other processes of a shared machine.
func rendererMetrics(t *testing.T, ctx context.Context) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, performance.GetMetrics, cdp.Empty{})
		if err != nil {
			return err
		}
		for _, m := range res.Metrics {
			out[m.Name] = m.Value
		}
		return nil
	})))
	return out
}

// dashboardTimingScript reads the navigation's timing as Chromium drew it
// (ms from the start of the navigation): the server's first byte, the
// document parsed, the first paint with content, the fonts ready, the
// load event; the document's size and each resource's time.
const dashboardTimingScript = `document.fonts.ready.then(() => new Promise(r => setTimeout(r, 50))).then(() => {
  const n = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return JSON.stringify({ttfb: n.responseStart, response: n.responseEnd, dcl: n.domContentLoadedEventEnd,
    fcp: fcp ? fcp.startTime : -1, load: n.loadEventEnd, bytes: n.transferSize, decoded: n.decodedBodySize,
    nodes: document.getElementsByTagName('*').length,
    resources: performance.getEntriesByType('resource').map(e => e.name.replace(location.origin, '') + ' ' + Math.round(e.duration) + ' ms ' + e.transferSize + ' B')});
})`

type dashboardTiming struct {
	TTFB, Response, DCL, FCP, Load float64
	Bytes, Decoded, Nodes          int
	Resources                      []string
}

// serverTime asks for page n times with the browser's cookies, without the
// browser, and gives the median time to the whole answer: the server's
// share of the browser's time.
func serverTime(t *testing.T, ctx context.Context, page string, n int) time.Duration {
	t.Helper()
	var jar []*network.Cookie
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{page}})
		if err != nil {
			return err
		}
		jar = res.Cookies
		return nil
	})))
	var took []time.Duration
	for range n {
		req, err := http.NewRequest("GET", page, nil)
		must(t, err)
		for _, c := range jar {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		_, err = io.Copy(io.Discard, res.Body)
		must(t, err)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("GET %s without the browser: %d", page, res.StatusCode)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[len(took)/2]
}

// TestDashboardTimeToDrawn loads the demo's dashboard as the ministry in
// Arabic, at a phone's and a desk's width, five times each (the first
// load fills the cache of the stylesheets and fonts, as the page before
// it would have), and logs the median of each figure. Its figures are in
// docs/BENCHMARKS.md ("The dashboard in the browser"). It measures and
// never fails on a figure: timing targets are not pass/fail tests (a shared
// machine's load moves them by half).
func TestDashboardTimeToDrawn(t *testing.T) {
	base, accounts := newDemoSite(t)
	ctx := walkBrowser(t)
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), accounts["ministry"]),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
	))
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, performance.Enable, performance.EnableParams{})
		return err
	})))
	for _, w := range walkWidths {
		must(t, chromedp.Do(ctx, chromedp.EmulateViewport(w.width, w.height)))
		var runs []dashboardTiming
		work := map[string]float64{} // the renderer's work, summed over the measured loads
		for i := 0; i < 12; i++ {
			must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/dashboard")))
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](dashboardTimingScript, chromedp.EvalAwaitPromise))
			must(t, err)
			var got dashboardTiming
			must(t, json.Unmarshal([]byte(raw), &got))
			if i == 0 {
				t.Logf("%s, first load: %s", w.name, strings.Join(got.Resources, "; "))
				continue
			}
			runs = append(runs, got)
			after := rendererMetrics(t, ctx)
			for _, k := range []string{"TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration"} {
				work[k] += after[k] // counted from the navigation: the document's renderer starts afresh
			}
		}
		median := func(f func(dashboardTiming) float64) float64 {
			v := make([]float64, len(runs))
			for i, r := range runs {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		load := median(func(r dashboardTiming) float64 { return r.Load })
		t.Logf("%s: median of %d loads: first byte %.0f ms, response %.0f ms, parsed %.0f ms, first paint %.0f ms, load %.0f ms; %d bytes sent (%d decoded), %d elements",
			w.name, len(runs), median(func(r dashboardTiming) float64 { return r.TTFB }), median(func(r dashboardTiming) float64 { return r.Response }),
			median(func(r dashboardTiming) float64 { return r.DCL }), median(func(r dashboardTiming) float64 { return r.FCP }), load,
			runs[0].Bytes, runs[0].Decoded, runs[0].Nodes)
		n := float64(len(runs)) / 1000 // seconds to milliseconds per load
		t.Logf("%s: the renderer's work per load: %.0f ms of tasks, of which %.0f ms layout, %.0f ms style, %.0f ms script",
			w.name, work["TaskDuration"]/n, work["LayoutDuration"]/n, work["RecalcStyleDuration"]/n, work["ScriptDuration"]/n)
	}
	t.Logf("server: median of 11 answers to GET /dashboard without the browser: %.0f ms", float64(serverTime(t, ctx, base+"/dashboard", 11).Microseconds())/1000)
}
