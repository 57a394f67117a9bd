//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"takaffoul/domain"
)

// The phone's first screen (issue 16, point 3): at 360 × 800 a trainer
// opening a session's attendance sees the first trainee without scrolling,
// and a coordinator opening the course list sees the first course.

// phoneScreen is the phone of these tests: 360 × 800 CSS px.
func phoneScreen(t *testing.T, ctx context.Context) {
	t.Helper()
	must(t, chromedp.Do(ctx, chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile)))
}

// switchLanguage moves the signed-in account to lang by the header's buttons.
func switchLanguage(t *testing.T, ctx context.Context, lang string) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.lang-switch button[value=`+lang+`]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=`+lang+`]`)),
	))
}

// walkLogin signs an account of newDemoSite in.
func walkLogin(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
	))
}

// attendanceTopScript measures the attendance page once offline.js has
// drawn its status box: where the first trainee's row starts, and the
// header's and the status box's heights (for the message when it fails).
const attendanceTopScript = `(() => {
  const row = document.querySelector('ol.marks > li');
  const box = el => el ? Math.round(el.getBoundingClientRect().height) : -1;
  return JSON.stringify({row: row ? Math.round(row.getBoundingClientRect().top) : -1,
    header: box(document.querySelector('.site-header')), status: box(document.querySelector('.offline-status')),
    scrolled: Math.round(window.scrollY)});
})()`

// TestAttendanceListStartsHighOnAPhone: at 360 × 800, in Arabic and in
// French, the first trainee's row of a session's attendance starts less
// than 350 px from the top of the screen (it started at 706–872 px: the
// header, the offline box and the page's own top took the first screen).
func TestAttendanceListStartsHighOnAPhone(t *testing.T) {
	axe := axeSource(t)
	base, accounts, sessionID := demoSiteWithSession(t)
	phone := browser(t, true)
	phoneScreen(t, phone)
	walkLogin(t, phone, base, accounts[domain.RoleTrainer])
	sheet := fmt.Sprintf("%s/sessions/%d/attendance", base, sessionID)
	for _, lang := range []string{"ar", "fr"} {
		if lang != "ar" {
			switchLanguage(t, phone, lang)
		}
		must(t, chromedp.Do(phone, chromedp.Navigate(sheet), chromedp.WaitVisible(chromedp.CSS(`ol.marks > li fieldset`))))
		waitFor(t, phone, "the offline status box", `Promise.resolve(!!document.querySelector('.offline-status [data-pending]'))`)
		raw, err := chromedp.Run(phone, chromedp.Evaluate[string](attendanceTopScript))
		must(t, err)
		var got struct{ Row, Header, Status, Scrolled int }
		must(t, json.Unmarshal([]byte(raw), &got))
		firstScreen(t, phone, "attendance-top-"+lang+"-360")
		t.Logf("%s: first row at %d px (header %d px, offline box %d px)", lang, got.Row, got.Header, got.Status)
		if got.Row < 0 || got.Row >= 350 || got.Scrolled != 0 {
			t.Errorf("%s: the first trainee's row starts %d px from the top (want < 350; header %d px, offline box %d px, scrolled %d px)",
				lang, got.Row, got.Header, got.Status, got.Scrolled)
		}
		for _, p := range checkPage(t, phone, sheet, lang, true, axe) { // the walk's checks, in both languages
			t.Errorf("%s %s: %s", lang, sheet, p)
		}
	}
}

// demoSiteWithSession is newDemoSite and a session of one of the trainer's
// courses, not cancelled, of a course still open, that has people enrolled.
func demoSiteWithSession(t *testing.T) (string, map[domain.Role]string, int64) {
	t.Helper()
	base, accounts, store := newDemoSiteAndStore(t)
	var id int64
	must(t, store.DB().Get(&id, `SELECT s.id FROM sessions s
	  JOIN courses c ON c.id = s.course_id AND c.closed_at IS NULL AND c.places_taken > 0
	  JOIN course_trainers ct ON ct.course_id = c.id JOIN users u ON u.id = ct.user_id AND u.email = $1
	  WHERE s.cancelled_at IS NULL AND s.starts_at <= now() ORDER BY s.starts_at DESC LIMIT 1`, accounts[domain.RoleTrainer]))
	return base, accounts, id
}

// firstScreen writes what the screen shows, without scrolling, as a PNG
// under e2e/artifacts/.
func firstScreen(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	must(t, err)
	must(t, os.MkdirAll("artifacts", 0o755))
	must(t, os.WriteFile(filepath.Join("artifacts", name+".png"), png, 0o644))
}

// courseListScript measures the course list as drawn: where the first
// course's card starts, the tallest card, how many cards, and whether the
// filter form shows.
const courseListScript = `(() => {
  const cards = [...document.querySelectorAll('.table-wrap tbody tr')].map(tr => tr.getBoundingClientRect());
  const form = document.querySelector('form[role=search]');
  return JSON.stringify({first: cards.length ? Math.round(cards[0].top) : -1, tallest: Math.round(Math.max(0, ...cards.map(r => r.height))),
    cards: cards.length, filters: !!form && form.checkVisibility()});
})()`

// courseList is what courseListScript answers.
type courseList struct {
	First, Tallest, Cards int
	Filters               bool
}

func measureCourseList(t *testing.T, ctx context.Context, target string) courseList {
	t.Helper()
	must(t, chromedp.Do(ctx, chromedp.Navigate(target), chromedp.WaitReady(chromedp.CSS(`.table-wrap tbody tr`))))
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](courseListScript))
	must(t, err)
	var got courseList
	must(t, json.Unmarshal([]byte(raw), &got))
	return got
}

// TestCourseListFitsAPhone: at 360 × 800, in Arabic and in French, the
// coordinator's course list shows its first course on the first screen,
// each course a card at most 170 px tall, the filters folded away until
// asked for (a <details>); open once a filter is applied, and on a desk.
func TestCourseListFitsAPhone(t *testing.T) {
	axe := axeSource(t)
	base, accounts, _ := newDemoSiteAndStore(t)
	phone := browser(t, true)
	phoneScreen(t, phone)
	walkLogin(t, phone, base, accounts[domain.RoleCoordinator])
	for _, lang := range []string{"ar", "fr"} {
		if lang != "ar" {
			switchLanguage(t, phone, lang)
		}
		got := measureCourseList(t, phone, base+"/courses")
		firstScreen(t, phone, "courses-top-"+lang+"-360")
		t.Logf("%s: %+v", lang, got)
		if got.Cards == 0 || got.First < 0 || got.First >= 800 {
			t.Errorf("%s: the first course's card starts %d px from the top (want within the 800 px screen)", lang, got.First)
		}
		if got.Tallest > 170 {
			t.Errorf("%s: a course's card is %d px tall (want ≤ 170)", lang, got.Tallest)
		}
		if got.Filters {
			t.Errorf("%s: the filter form takes the phone's screen before anything is filtered", lang)
		}
		if filtered := measureCourseList(t, phone, base+"/courses?year=2026"); !filtered.Filters {
			t.Errorf("%s: a filter is applied and the form that shows it is folded", lang)
		}
		for _, target := range []string{base + "/courses", base + "/courses?year=2026"} { // the walk's checks, folded and open
			for _, p := range checkPage(t, phone, target, lang, true, axe) {
				t.Errorf("%s %s: %s", lang, target, p)
			}
		}
	}
	desk := browser(t, false)
	walkLogin(t, desk, base, accounts[domain.RoleCoordinator])
	if got := measureCourseList(t, desk, base+"/courses"); !got.Filters {
		t.Error("on a desk the filter form is folded")
	}
}
