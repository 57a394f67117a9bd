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
