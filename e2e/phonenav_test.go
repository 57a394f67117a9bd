//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"takaffoul/domain"
)

// navScript measures the main navigation as drawn on load: its height, the
// page's width, whether the current page's link shows on the screen and
// the links' order on it; then brings each link into view in turn (as a
// swipe would) and answers those that could not be seen whole or tapped.
const navScript = `(() => {
  const nav = document.querySelector('nav.main-nav');
  const links = [...nav.querySelectorAll('a')];
  const box = el => el.getBoundingClientRect();
  const seen = a => { const b = box(a); return b.width > 0 && b.left >= -0.5 && b.right <= innerWidth + 0.5 && b.top >= 0 && b.bottom <= innerHeight; };
  const name = a => a.textContent.trim();
  const current = nav.querySelector('a[aria-current=page]');
  const got = {height: Math.round(box(nav).height), width: document.documentElement.scrollWidth, screen: innerWidth,
    scrolled: Math.round(scrollY), links: links.length, current: current ? name(current) : '', currentSeen: !!current && seen(current),
    lefts: links.map(a => Math.round(box(a).left)), unreachable: [], small: []};
  for (const a of links) {
    a.scrollIntoView({block: 'nearest', inline: 'nearest'});
    const b = box(a);
    const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    if (!seen(a) || !hit || !(hit === a || a.contains(hit))) got.unreachable.push(name(a));
    if (b.height < 44 || b.width < 44) got.small.push(name(a) + ' ' + Math.round(b.width) + '×' + Math.round(b.height));
  }
  got.widthAfter = document.documentElement.scrollWidth;
  if (current) { // the keyboard's focus ring, drawn inside the link: the row would clip one drawn outside it
    current.focus();
    const st = getComputedStyle(current);
    got.ring = current.matches(':focus-visible') && st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0 &&
      parseFloat(st.outlineOffset) + parseFloat(st.outlineWidth) <= 0;
    current.blur();
  }
  return JSON.stringify(got);
})()`

// navMeasure is what navScript answers.
type navMeasure struct {
	Height, Width, Screen, Scrolled, Links int
	Current                                string
	CurrentSeen                            bool
	Lefts                                  []int
	Unreachable, Small                     []string
	WidthAfter                             int
	Ring                                   bool
}

// TestNavigationIsOneRowOnAPhone: at 360 × 800 the main navigation takes
// one row for the roles with the most links (the coordinator's eight, the
// administrator's nine), in Arabic, French and English: it wrapped to
// three rows (≈130 px) above every page. Every link can still be brought
// into view and tapped, the current page's link (on /audit, the last) is
// on the screen on load, in Arabic the first link is on the right, and the
// page does not scroll sideways.
func TestNavigationIsOneRowOnAPhone(t *testing.T) {
	base, accounts := newDemoSite(t)
	for _, role := range []domain.Role{domain.RoleCoordinator, domain.RoleAdmin} {
		phone := browser(t, true)
		phoneScreen(t, phone)
		walkLogin(t, phone, base, accounts[role])
		for _, lang := range []string{"ar", "fr", "en"} {
			must(t, chromedp.Do(phone, chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`))))
			if lang != "ar" {
				switchLanguage(t, phone, lang)
				must(t, chromedp.Do(phone, chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`))))
			}
			firstScreen(t, phone, "nav-"+string(role)+"-"+lang+"-360")
			raw, err := chromedp.Run(phone, chromedp.Evaluate[string](navScript))
			must(t, err)
			var got navMeasure
			must(t, json.Unmarshal([]byte(raw), &got))
			where := string(role) + " " + lang
			t.Logf("%s: navigation %d px tall, %d links, page %d px wide at %d", where, got.Height, got.Links, got.Width, got.Screen)
			if got.Height > 56 {
				t.Errorf("%s: the navigation is %d px tall (want one row, ≤ 56 px)", where, got.Height)
			}
			if got.Links < 8 {
				t.Errorf("%s: %d links in the navigation (want the role's 8 or more)", where, got.Links)
			}
			if got.Current == "" || !got.CurrentSeen {
				t.Errorf("%s: the current page's link (%q) is not on the screen on load", where, got.Current)
			}
			if got.Scrolled != 0 {
				t.Errorf("%s: the page was scrolled %d px on load", where, got.Scrolled)
			}
			if got.Width > got.Screen || got.WidthAfter > got.Screen {
				t.Errorf("%s: the page scrolls sideways (%d, then %d px wide at %d)", where, got.Width, got.WidthAfter, got.Screen)
			}
			if len(got.Unreachable) > 0 {
				t.Errorf("%s: links that cannot be brought into view and tapped: %s", where, strings.Join(got.Unreachable, "; "))
			}
			if !got.Ring {
				t.Errorf("%s: a link focused by the keyboard shows no focus ring inside the row", where)
			}
			if len(got.Small) > 0 {
				t.Errorf("%s: targets under 44 px: %s", where, strings.Join(got.Small, "; "))
			}
			for i := 1; i < len(got.Lefts); i++ {
				if rtl := lang == "ar"; (rtl && got.Lefts[i] >= got.Lefts[i-1]) || (!rtl && got.Lefts[i] <= got.Lefts[i-1]) {
					t.Errorf("%s: the links are not in reading order (left edges %v)", where, got.Lefts)
					break
				}
			}
			// The first link, furthest from the current one, by a real tap.
			must(t, chromedp.Do(phone, chromedp.Navigate(base+"/audit"), chromedp.Click(chromedp.CSS(`nav.main-nav li:first-child a`))))
			waitFor(t, phone, "the home page by the navigation's first link", `Promise.resolve(location.pathname === "/")`)
		}
	}
	// On a desk the navigation is as it was: its links wrap, nothing scrolls.
	desk := browser(t, false)
	walkLogin(t, desk, base, accounts[domain.RoleAdmin])
	must(t, chromedp.Do(desk, chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`))))
	got, err := chromedp.Run(desk, chromedp.Evaluate[string](`(() => { const ul = document.querySelector('nav.main-nav ul'), st = getComputedStyle(ul);
	  return st.flexWrap + ' ' + st.overflowX + ' ' + ul.scrollLeft + ' ' + Math.round(ul.getBoundingClientRect().height); })()`))
	must(t, err)
	t.Logf("desk: navigation %s (wrap, overflow, scrolled, px tall)", got)
	if f := strings.Fields(got); len(f) != 4 || f[0] != "wrap" || f[1] != "visible" || f[2] != "0" {
		t.Errorf("desk: the navigation is %q (want wrapping, not scrolling)", got)
	}
}

// TestFilterFormsKeepTheirPaddingOnAPhone: at 360 px the audit log's and
// the dashboard's filters (a form in a card) keep space between the card's
// edge and their fields. The phone rule meant for the course list's
// folding filters (a <details>, whose summary gives the space) took every
// card of filters' padding away: the first label touched the border.
func TestFilterFormsKeepTheirPaddingOnAPhone(t *testing.T) {
	base, accounts := newDemoSite(t)
	phone := browser(t, true)
	phoneScreen(t, phone)
	walkLogin(t, phone, base, accounts[domain.RoleCoordinator])
	const gaps = `(() => {
	  const card = document.querySelector('form.card.filters'), b = card.getBoundingClientRect();
	  const inside = [...card.querySelectorAll('label, input, select, button')].map(e => e.getBoundingClientRect()).filter(r => r.height > 0);
	  return JSON.stringify({top: Math.round(Math.min(...inside.map(r => r.top)) - b.top), bottom: Math.round(b.bottom - Math.max(...inside.map(r => r.bottom)))});
	})()`
	for _, page := range []string{"/audit", "/dashboard"} {
		must(t, chromedp.Do(phone, chromedp.Navigate(base+page), chromedp.WaitVisible(chromedp.CSS(`form.card.filters`))))
		raw, err := chromedp.Run(phone, chromedp.Evaluate[string](gaps))
		must(t, err)
		var got struct{ Top, Bottom int }
		must(t, json.Unmarshal([]byte(raw), &got))
		t.Logf("%s: %d px above the first field, %d px below the last", page, got.Top, got.Bottom)
		if got.Top < 8 || got.Bottom < 8 {
			t.Errorf("%s: the filters' fields are %d px from the card's top and %d px from its bottom (want ≥ 8)", page, got.Top, got.Bottom)
		}
	}
}
