//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// chartLabelsScript measures, as drawn, every piece of text of the
// dashboard's charts (labels, values, legends): the smallest font size
// rendered, and the texts that do not show whole (their box narrower than
// their words: clipped, or cut with an ellipsis).
const chartLabelsScript = `(() => {
  const charts = [...document.querySelectorAll('figure.bars')];
  let smallest = 1000, texts = 0;
  const cut = [];
  for (const chart of charts) {
    const walker = document.createTreeWalker(chart, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.data.trim()) continue;
      const el = n.parentElement, s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      texts++;
      smallest = Math.min(smallest, parseFloat(s.fontSize));
      if (el.scrollWidth > el.clientWidth + 1) // an inline box measures 0 × 0: its block is measured
        cut.push(n.data.trim().slice(0, 40) + ' ' + el.scrollWidth + '>' + el.clientWidth);
    }
  }
  return JSON.stringify({charts: charts.length, texts, smallest, cut: cut.slice(0, 8)});
})()`

// TestDashboardChartLabelsReadOnAPhone (issue 16, point 7): on the demo's
// dashboard, in Arabic and French, at a phone's 360 px and a desk's
// 1280 px, no chart text is drawn under 12 px and none is cut: long
// labels (the demo's provinces, its programmes) wrap.
func TestDashboardChartLabelsReadOnAPhone(t *testing.T) {
	base, accounts := newDemoSite(t)
	ctx := walkBrowser(t)
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), accounts["ministry"]),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
	))
	for i, lang := range walkLanguages {
		if i > 0 {
			must(t, chromedp.Do(ctx,
				chromedp.Navigate(base+"/"),
				chromedp.Click(chromedp.CSS(`.lang-switch button[value=`+lang+`]`)),
				chromedp.WaitVisible(chromedp.CSS(`html[lang=`+lang+`]`)),
			))
		}
		for _, w := range walkWidths {
			must(t, chromedp.Do(ctx, chromedp.EmulateViewport(w.width, w.height), chromedp.Navigate(base+"/dashboard")))
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](chartLabelsScript))
			must(t, err)
			var got struct {
				Charts, Texts int
				Smallest      float64
				Cut           []string
			}
			must(t, json.Unmarshal([]byte(raw), &got))
			t.Logf("%s %s: %d charts, %d texts, the smallest drawn at %.1f px", lang, w.name, got.Charts, got.Texts, got.Smallest)
			if got.Charts < 4 || got.Texts < 40 {
				t.Fatalf("%s %s: %d charts with %d texts: is the dashboard drawn?", lang, w.name, got.Charts, got.Texts)
			}
			if got.Smallest < 12 {
				t.Errorf("%s %s: chart text drawn at %.1f px, under 12 px", lang, w.name, got.Smallest)
			}
			if len(got.Cut) > 0 {
				t.Errorf("%s %s: chart texts cut: %s", lang, w.name, strings.Join(got.Cut, "; "))
			}
		}
	}
}
