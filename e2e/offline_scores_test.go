//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"takaffoul/domain"
)

// TestOfflineScoresEnteredInTheRoom: scores entered on the phone without
// network (issue 19 point 2 through the queue of issue 17; docs/OFFLINE.md,
// "Scores"): one online visit of the course's scores page; network off, a
// reload: the list and a person's form from the app; two people's scores
// entered (Arabic-Indic digits too), kept on the device; meanwhile a
// coordinator changes one of them on the server; network on: the other's
// scores are saved, the changed one is shown to the trainer with both
// values, never written over; "save what I entered" then saves it.
func TestOfflineScoresEnteredInTheRoom(t *testing.T) {
	s := newOfflineSite(t)
	bg := context.Background()
	must(t, s.store.SaveScores(bg, s.course.ID, s.adult.ID, domain.Scores{Pre: ptr(30)}, &s.coordID))
	base := s.gate.url()
	list := fmt.Sprintf("%s/courses/%d/scores", base, s.course.ID)
	form := func(traineeID int64) string { return fmt.Sprintf("/courses/%d/scores/%d", s.course.ID, traineeID) }
	ctx, _ := profileBrowser(t, t.TempDir())

	within(t, ctx, time.Minute,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "trainer@e2e.ma"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
		chromedp.Navigate(list),
		chromedp.WaitVisible(chromedp.CSS(`ul.score-people`)),
	)
	waitFor(t, ctx, "the service worker", `navigator.serviceWorker.ready.then(() => true)`)
	waitFor(t, ctx, "the shell in the cache", `caches.open('takaffoul-pages').then(c => c.match('/offline')).then(r => !!r)`)
	waitFor(t, ctx, "the course's scores in IndexedDB", `new Promise(ok => { const r = indexedDB.open('takaffoul-offline', 1);
	  r.onsuccess = () => { const q = r.result.transaction('meta').objectStore('meta').get('courses');
	    q.onsuccess = () => ok(!!q.result && q.result.length === 1 && q.result[0].people.length === 3); }; r.onerror = () => ok(false); })`)

	// The network goes: the list and the forms come from the app.
	s.gate.set("down")
	within(t, ctx, time.Minute, emulate(offline), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`ul[data-offline-scores]`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="%s"]`, form(s.other.ID)))),
		chromedp.WaitVisible(chromedp.CSS(`form[data-offline-score]`)),
		chromedp.SendKeys(chromedp.CSS(`#s-pre_score`), "٤٠"),
		chromedp.SendKeys(chromedp.CSS(`#s-post_score`), "75"),
		chromedp.Click(chromedp.CSS(`form[data-offline-score] input[name=satisfaction_1][value="4"]`)),
		chromedp.Click(chromedp.CSS(`form[data-offline-score] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`li[data-person="t:%d"] [data-note=pending]`, s.other.ID))),
		chromedp.WaitVisible(chromedp.CSS(`[data-pending][data-count="1"]`)),
	)
	// A value out of range is refused on the phone, with the page's sentence; nothing queued.
	within(t, ctx, time.Minute,
		chromedp.Navigate(base+form(s.adult.ID)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-offline-score]`)),
	)
	pre, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#s-pre_score').value`))
	must(t, err)
	if pre != "30" {
		t.Fatalf("offline, the form shows the pre-test %q, want the 30 entered online", pre)
	}
	within(t, ctx, time.Minute,
		setField(`#s-post_score`, "120"),
		chromedp.Click(chromedp.CSS(`form[data-offline-score] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error=post_score]:not(:empty)`)),
	)
	if n := pendingCount(t, ctx); n != "1" {
		t.Fatalf("a score of 120 was queued (%s waiting)", n)
	}
	refusal, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-error=post_score]').textContent`))
	must(t, err)
	if !strings.Contains(refusal, "100") || strings.Contains(refusal, "{field}") || !strings.Contains(refusal, "post-test") {
		t.Errorf("the refusal of 120 says %q", refusal)
	}
	within(t, ctx, time.Minute,
		setField(`#s-post_score`, ""),
		setField(`#s-pre_score`, "35"),
		chromedp.Click(chromedp.CSS(`form[data-offline-score] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-pending][data-count="2"]`)),
	)
	screenshot(t, ctx, "offline-scores-fr-phone")
	if got := scoresOf(t, s, s.other.ID); got != "none" {
		t.Fatalf("the server has scores before the network returns: %s", got)
	}

	// Meanwhile a coordinator corrects the pre-test the phone changed.
	must(t, s.store.SaveScores(bg, s.course.ID, s.adult.ID, domain.Scores{Pre: ptr(33)}, &s.coordID))

	// The network returns.
	s.gate.set("up")
	within(t, ctx, time.Minute, emulate(online))
	waitFor(t, ctx, "the queue sent", `Promise.resolve(!!document.querySelector('[data-pending][data-count="0"]') && !!document.querySelector('[data-scores-conflicts][data-count="1"]'))`)
	if got := scoresOf(t, s, s.other.ID); got != "40 75 4 - -" {
		t.Errorf("the scores entered offline: %s", got)
	}
	if got := scoresOf(t, s, s.adult.ID); got != "33 - - - -" {
		t.Errorf("the coordinator's pre-test was overwritten: %s", got)
	}

	// The trainer opens that person's page (online): both values, and the choice.
	within(t, ctx, time.Minute,
		chromedp.Navigate(base+form(s.adult.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-scores-conflict] [data-conflict-field=pre_score]`)),
	)
	server, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-scores-conflict] [data-server=pre_score]').textContent`))
	must(t, err)
	if server != "33" {
		t.Errorf("the conflict shows the server's pre-test %q, want 33", server)
	}
	screenshot(t, ctx, "offline-scores-conflict-fr-phone")
	within(t, ctx, time.Minute, chromedp.Click(chromedp.CSS(`[data-keep-mine]`)))
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && scoresOf(t, s, s.adult.ID) != "35 - - - -"; {
		time.Sleep(200 * time.Millisecond)
	}
	if got := scoresOf(t, s, s.adult.ID); got != "35 - - - -" {
		t.Errorf("after \"save what I entered\": %s", got)
	}
	if n := countRows(t, s.store, `SELECT count(*) FROM offline_changes WHERE kind = 'scores'`); n != 3 {
		t.Errorf("%d scores changes recorded, want 3 (applied, conflict, applied)", n)
	}
}

// scoresOf is a person's scores in the site's course, "pre post s1 s2 s3" ("-": none; "none": no row).
func scoresOf(t *testing.T, s *offlineSite, traineeID int64) string {
	t.Helper()
	var out string
	must(t, s.store.DB().Get(&out, `SELECT coalesce((SELECT concat_ws(' ', coalesce(x.pre_score::text, '-'), coalesce(x.post_score::text, '-'),
	         coalesce(x.satisfaction_1::text, '-'), coalesce(x.satisfaction_2::text, '-'), coalesce(x.satisfaction_3::text, '-'))
	    FROM enrollment_scores x JOIN enrollments e ON e.id = x.enrollment_id WHERE e.course_id = $1 AND e.trainee_id = $2), 'none')`,
		s.course.ID, traineeID))
	return out
}

// setField types a value over a field's (the form is drawn by the page's script).
func setField(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const i = document.querySelector(%q); i.value = %q; return true; })()`, sel, value)))
		return err
	})
}
