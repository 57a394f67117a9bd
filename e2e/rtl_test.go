//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// rtlDateScript measures, as drawn, the first session's date-time of the
// course page (the first cell with a time): its text, how many line boxes it takes, and whether the day
// is drawn left of the time, on the same line (issue 16: Chromium drew
// "في 2026-" / "01-12 20:36" on Arabic pages).
const rtlDateScript = `(() => {
  const cell = [...document.querySelectorAll('table td')].find(td => /\d:\d\d/.test(td.textContent));
  if (!cell) return JSON.stringify({text: ''});
  const t = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT).nextNode();
  const b = t.parentElement, s = t.data, space = s.indexOf(' ');
  const r = document.createRange();
  r.setStart(t, 0); r.setEnd(t, space); const day = r.getBoundingClientRect();
  r.setStart(t, space + 1); r.setEnd(t, s.length); const time = r.getBoundingClientRect();
  return JSON.stringify({text: s, lines: b.getClientRects().length,
    dayLeftOfTime: day.right <= time.left, sameLine: Math.abs(day.top - time.top) < 2});
})()`

// TestArabicDateTimeReadsLeftToRight: on the Arabic course page at phone
// width, a session's date and time is one line, the day before the time
// from left to right.
func TestArabicDateTimeReadsLeftToRight(t *testing.T) {
	s := newSite(t)
	b := browser(t, true)
	s.login(t, b, "trainer@e2e.ma")
	must(t, chromedp.Do(b,
		chromedp.Navigate(fmt.Sprintf("%s/courses/%d", s.base, s.course.ID)),
		chromedp.WaitVisible(chromedp.CSS(`table`)),
	))
	raw, err := chromedp.Run(b, chromedp.Evaluate[string](rtlDateScript))
	must(t, err)
	var got struct {
		Text          string
		Lines         int
		DayLeftOfTime bool
		SameLine      bool
	}
	must(t, json.Unmarshal([]byte(raw), &got))
	if got.Text != "04/02/2020 09:00" || got.Lines != 1 || !got.DayLeftOfTime || !got.SameLine {
		t.Fatalf("the session's date-time as drawn: %+v", got)
	}
}
