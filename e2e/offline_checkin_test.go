//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"takaffoul/domain"
	"takaffoul/repository"
)

// TestOfflineCheckinScansWithoutNetwork: the trainer's phone checks people
// in at the door of a room without network (issue 17, point 5, offline).
// One online visit of the check-in page; then the network off, a reload: the
// service worker shows the check-in page, the fake camera scans a badge
// (present, kept on the phone), another course's badge (refused with its
// sentence) and the first again (already present, from the phone's copy);
// typed codes: a withdrawn enrolment's (unknown), a person marked absent
// (already marked), a child's (present) and again. The network back: the
// database holds the two marks once; the same queue sent again changes
// nothing.
func TestOfflineCheckinScansWithoutNetwork(t *testing.T) {
	s := newOfflineSite(t)
	ctx := context.Background()
	var trainerID int64
	must(t, s.store.DB().Get(&trainerID, `SELECT id FROM users WHERE email = 'trainer@e2e.ma'`))
	// Another course of the same trainer, today too: its badges are on the phone, for another room.
	other := s.course
	other.ID, other.Code = 0, "CP-NOW-2"
	must(t, s.store.CreateCourse(ctx, &other, nil))
	must(t, s.store.AssignTrainer(ctx, other.ID, trainerID, nil))
	otherSessions := []domain.Session{{StartsAt: s.session.StartsAt, EndsAt: s.session.EndsAt, Place: "Casablanca", Hours: 3}}
	must(t, s.store.CreateSessions(ctx, other.ID, otherSessions, nil))
	var orgID int64
	must(t, s.store.DB().Get(&orgID, `SELECT min(id) FROM organisations`))
	stranger := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Stranger Elsewhere"), Sex: domain.Male, OrganisationID: &orgID}
	_, err := s.store.EnrollNew(ctx, other.ID, &stranger, repository.EnrollOptions{}, nil)
	must(t, err)
	gone := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Left Early"), Sex: domain.Male, OrganisationID: &orgID}
	_, err = s.store.EnrollNew(ctx, s.course.ID, &gone, repository.EnrollOptions{}, nil)
	must(t, err)
	codes, err := s.store.CheckinCodes(ctx, s.course.ID) // as when the badges were printed
	must(t, err)
	otherCodes, err := s.store.CheckinCodes(ctx, other.ID)
	must(t, err)
	must(t, s.store.Withdraw(ctx, s.course.ID, gone.ID, nil))

	video := filepath.Join(t.TempDir(), "badges.y4m")
	must(t, writeBadgeVideo(video, []string{codes[s.other.ID].Token, otherCodes[stranger.ID].Token}))
	phone := browser(t, true,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video))
	base := s.gate.url()
	checkin := fmt.Sprintf("%s/sessions/%d/checkin", base, s.session.ID)

	// One online visit of the check-in page: the app installs itself, the pack holds the codes' hashes.
	within(t, phone, time.Minute,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "trainer@e2e.ma"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
		chromedp.Navigate(checkin),
		chromedp.WaitVisible(chromedp.CSS(`[data-checkin-form]`)),
	)
	waitFor(t, phone, "the service worker", `navigator.serviceWorker.ready.then(() => true)`)
	waitFor(t, phone, "the shell in the cache", `caches.open('takaffoul-pages').then(c => c.match('/offline')).then(r => !!r)`)
	waitFor(t, phone, "the QR decoder in the cache", `caches.match('/static/vendor/jsqr/jsQR.min.js').then(r => !!r || 'BarcodeDetector' in window)`)
	waitFor(t, phone, "the codes' hashes in IndexedDB", `new Promise(ok => { const r = indexedDB.open('takaffoul-offline', 1);
	  r.onsuccess = () => { const q = r.result.transaction('meta').objectStore('meta').get('checkin'); q.onsuccess = () => ok(!!q.result && q.result.codes.length === 8); }; r.onerror = () => ok(false); })`)

	// The network goes; the check-in page comes from the app.
	s.gate.set("down")
	within(t, phone, time.Minute, emulate(offline), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-offline-view] [data-scan-start]`)),
		chromedp.Click(chromedp.CSS(`[data-scan-start]`)))
	want := []string{"checkin-checked_in|Brahim Saidi : présent", "checkin-refused|Ce badge est celui d'une autre formation",
		"checkin-already_present|Brahim Saidi est déjà présent"}
	answers := scanLog(t, phone, len(want))
	screenshot(t, phone, "offline-checkin-fr-phone")
	expectAnswers(t, answers, want)

	// Typed codes, the camera stopped.
	must(t, chromedp.Do(phone, chromedp.Click(chromedp.CSS(`[data-scan-stop]`))))
	for _, typed := range []struct{ code, want string }{
		{codes[gone.ID].ShortShown(), "checkin-refused|Ce code n'est pas dans la liste"},
		{codes[s.adult.ID].Short, "checkin-already_marked|Amina Tazi est déjà pointé « Absent »"},
		{strings.ToLower(codes[s.child.ID].ShortShown()), "checkin-checked_in|Chaimae Idrissi : présent"},
		{codes[s.child.ID].Short, "checkin-already_present|Chaimae Idrissi est déjà présent"},
	} {
		n := len(scanLog(t, phone, 0))
		must(t, chromedp.Do(phone,
			chromedp.SendKeys(chromedp.CSS(`#f-code`), typed.code),
			chromedp.Click(chromedp.CSS(`[data-checkin-form] button[type=submit]`))))
		expectAnswers(t, scanLog(t, phone, n+1)[n:], []string{typed.want})
	}
	if n := pendingCount(t, phone); n != "2" {
		t.Fatalf("%s changes waiting on the phone, want 2 (two people checked in)", n)
	}
	queue, err := chromedp.Run(phone, chromedp.Evaluate[string](`new Promise(ok => { const r = indexedDB.open('takaffoul-offline', 1);
	  r.onsuccess = () => { const q = r.result.transaction('queue').objectStore('queue').getAll(); q.onsuccess = () => ok(JSON.stringify(q.result.map(i => i.body))); }; })`,
		chromedp.EvalAwaitPromise))
	must(t, err)
	if n := countRows(t, s.store, `SELECT count(*) FROM attendance`); n != 1 {
		t.Fatalf("the server has %d marks before the network returns, want the one made before", n)
	}

	// The network returns: the queue is sent.
	s.gate.set("up")
	within(t, phone, time.Minute, emulate(online))
	waitFor(t, phone, "the queue sent", `Promise.resolve(!!document.querySelector('[data-pending][data-count="0"]'))`)
	var marks []string
	must(t, s.store.DB().Select(&marks, `SELECT t.full_name_latin || ':' || a.status FROM attendance a
	    JOIN enrollments e ON e.id = a.enrollment_id JOIN trainees t ON t.id = e.trainee_id ORDER BY 1`))
	if got, want := strings.Join(marks, ", "), "Amina Tazi:absent, Brahim Saidi:present, Chaimae Idrissi:present"; got != want {
		t.Errorf("marks: %s, want %s", got, want)
	}
	if n := countRows(t, s.store, `SELECT count(*) FROM offline_changes`); n != 2 {
		t.Errorf("%d changes recorded, want the two check-ins", n)
	}

	// The same queue sent a second time changes nothing.
	before := digest(t, s.store)
	replay, err := chromedp.Run(phone, chromedp.Evaluate[string](`fetch('/api/v1/offline/pack', {headers: {Accept: 'application/json'}}).then(r => r.json()).then(p =>
	  fetch('/api/v1/offline/sync', {method: 'POST', headers: {'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': p.csrf},
	    body: JSON.stringify({changes: `+queue+`})})).then(r => r.text())`, chromedp.EvalAwaitPromise))
	must(t, err)
	if strings.Contains(replay, "refused") || strings.Count(replay, `"applied"`) != 2 {
		t.Errorf("replay: %s", replay)
	}
	if after := digest(t, s.store); after != before {
		t.Errorf("the replay changed the database:\n%s\n%s", before, after)
	}
}

// scanLog waits for at least n answers in the check-in page's log and
// answers them oldest first, as "outcome class|sentence".
func scanLog(t *testing.T, ctx context.Context, n int) []string {
	t.Helper()
	var answers []string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		var err error
		answers, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll('[data-scan-log] li')).reverse().map(li => li.className + '|' + li.textContent)`))
		must(t, err)
		if len(answers) >= n || time.Now().After(deadline) {
			break
		}
	}
	if len(answers) < n {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({status: (document.querySelector('[data-scan-status]') || {}).textContent,
		  decoder: (document.querySelector('[data-scanner]') || {dataset: {}}).dataset.decoder, result: (document.querySelector('[data-checkin-result]') || {}).textContent,
		  scripts: Array.from(document.scripts).map(s => s.src)})`))
		t.Fatalf("want %d answers on the check-in page, got %q (page: %s)", n, answers, state)
	}
	return answers
}

// expectAnswers checks each answer's outcome and the start of its sentence.
func expectAnswers(t *testing.T, answers, want []string) {
	t.Helper()
	for i, w := range want {
		kind, sentence, _ := strings.Cut(w, "|")
		if i >= len(answers) || !strings.HasPrefix(answers[i], kind+"|") || !strings.Contains(answers[i], sentence) {
			t.Errorf("answer %d: want %s «%s», got %q", i+1, kind, sentence, answers)
		}
	}
}
