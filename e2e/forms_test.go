//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEnrolmentFormOnAPhone: on a 360 px phone, in Arabic, the enrolment
// form shows only the fields of the category chosen (hidden, not greyed:
// the others take no room), and once sent with a mistake it comes back
// with its error summary focused at the top of the screen, linking to the
// field to fix.
func TestEnrolmentFormOnAPhone(t *testing.T) {
	s := newSite(t)
	phone := browser(t, true)
	must(t, chromedp.Do(phone, chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile)))
	s.login(t, phone, "trainer@e2e.ma")
	must(t, chromedp.Do(phone, chromedp.Navigate(fmt.Sprintf("%s/courses/%d/enrol", s.base, s.course.ID))))

	// shown reports, for each field, whether it takes room on the page.
	shown := func() map[string]bool {
		t.Helper()
		got, err := chromedp.Run(phone, chromedp.Evaluate[map[string]bool](`Object.fromEntries(
			["phone", "email", "national_id", "organisation_id", "new_organisation_name", "guardian_consent", "consent_method", "birth_year"]
			.map(f => [f, document.getElementById("f-" + f).checkVisibility()]))`))
		must(t, err)
		return got
	}
	adults := map[string]bool{"phone": true, "email": true, "national_id": true, "organisation_id": true,
		"new_organisation_name": true, "guardian_consent": false, "consent_method": false, "birth_year": true}
	for category, want := range map[string]map[string]bool{
		"child_parliamentarian": {"phone": false, "email": false, "national_id": false, "organisation_id": false,
			"new_organisation_name": false, "guardian_consent": true, "consent_method": true, "birth_year": true},
		"institutional_actor": adults,
		"associative_actor":   adults,
	} {
		must(t, chromedp.Do(phone, chromedp.Click(chromedp.CSS(`input[name=category][value=`+category+`]`))))
		for field, visible := range shown() {
			if visible != want[field] {
				t.Errorf("%s: %s shown = %v, want %v", category, field, visible, want[field])
			}
		}
	}

	// A child without the guardian's consent: refused, the summary first.
	must(t, chromedp.Do(phone,
		chromedp.Click(chromedp.CSS(`input[name=category][value=child_parliamentarian]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-full_name_ar`), "ياسين العمراني"),
		chromedp.Click(chromedp.CSS(`input[name=sex][value=male]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-birth_year`), "٢٠١٢"),
		chromedp.Submit(chromedp.CSS(`form[data-category-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-summary]`)),
	))
	type place struct {
		Focused  bool     `json:"focused"`
		Top      float64  `json:"top"`
		Scrolled float64  `json:"scrolled"`
		Links    []string `json:"links"`
		Typed    string   `json:"typed"`
	}
	got, err := chromedp.Run(phone, chromedp.Evaluate[place](`(() => {
		const summary = document.querySelector("[data-error-summary]");
		return {focused: document.activeElement === summary, top: summary.getBoundingClientRect().top, scrolled: window.scrollY,
			links: [...summary.querySelectorAll("a")].map(a => a.getAttribute("href")), typed: document.getElementById("f-birth_year").value};
	})()`))
	must(t, err)
	screenshot(t, phone, "enrol-error-ar-360")
	if !got.Focused {
		t.Error("the error summary does not have the focus")
	}
	if got.Top < 0 || got.Top > 40 || got.Scrolled == 0 {
		t.Errorf("the error summary is not at the top of the screen: %.0f px from it, page scrolled %.0f px", got.Top, got.Scrolled)
	}
	if len(got.Links) != 1 || got.Links[0] != "#f-guardian_consent" {
		t.Errorf("the summary links to %v, want the guardian's consent", got.Links)
	}
	if got.Typed != "٢٠١٢" || !shown()["guardian_consent"] || shown()["phone"] {
		t.Errorf("the form came back without what was typed (%q) or the child's fields", got.Typed)
	}
	must(t, chromedp.Do(phone, chromedp.Click(chromedp.CSS(`[data-error-summary] a`))))
	focused, err := chromedp.Run(phone, chromedp.Evaluate[string](`document.activeElement.id`))
	must(t, err)
	if focused != "f-guardian_consent" {
		t.Errorf("the summary's link leads to %q", focused)
	}
}
