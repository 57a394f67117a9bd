//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"takaffoul/app"
	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// The trainer's app offline (issue 17, docs/OFFLINE.md), in a real Chromium:
// one online visit, the network off, a reload, marks and a walk-in, the
// browser closed and opened again, the network back, and the database holds
// exactly those rows once.

// gate stands between the browser and the application: down, it cuts every
// request, as a room without network does (DevTools' emulation alone would
// let the service worker's own requests through); static-only, it lets the
// assets through and nothing else. It can serve sw.js as a new release
// would (another VERSION).
type gate struct {
	mu        sync.Mutex
	mode      string // "up", "down", "static-only"
	swVersion string // "" : the embedded sw.js as it is
	slow      bool   // slow 3G: 400 ms per round trip, 400 kbit/s (see slowWriter)
	ln        net.Listener
	proxy     *httputil.ReverseProxy
}

func newGate(t *testing.T, backend string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	target, _ := url.Parse("http://" + backend)
	g := &gate{mode: "up", ln: ln, proxy: httputil.NewSingleHostReverseProxy(target)}
	g.proxy.ModifyResponse = g.rewrite
	srv := &http.Server{Handler: g}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return g
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	mode := g.mode
	g.mu.Unlock()
	if mode == "down" || (mode == "static-only" && !strings.HasPrefix(r.URL.Path, "/static/")) {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close() // no answer at all: a network error for the browser
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if g.isSlow() {
		time.Sleep(400 * time.Millisecond) // the request's round trip
		w = &slowWriter{ResponseWriter: w}
	}
	g.proxy.ServeHTTP(w, r)
}

func (g *gate) isSlow() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.slow
}

// slowWriter sends a response at 400 kbit/s (50,000 bytes a second), in
// chunks of 5,000 bytes. Per request: parallel requests each get the rate,
// so the figures are a lower bound of slow 3G's.
type slowWriter struct {
	http.ResponseWriter
	written int64
}

func (s *slowWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		chunk := min(len(b), 5000)
		m, err := s.ResponseWriter.Write(b[:chunk])
		n += m
		s.written += int64(m)
		if err != nil {
			return n, err
		}
		if f, ok := s.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		time.Sleep(time.Duration(chunk) * time.Second / 50000)
		b = b[chunk:]
	}
	return n, nil
}

func (s *slowWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// rewrite serves sw.js with another VERSION when asked.
func (g *gate) rewrite(resp *http.Response) error {
	g.mu.Lock()
	version := g.swVersion
	g.mu.Unlock()
	if version == "" || resp.Request.URL.Path != "/static/sw.js" {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	resp.Body.Close()
	body = regexp.MustCompile(`var VERSION = "[^"]*";`).ReplaceAll(body, []byte(`var VERSION = "`+version+`";`))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
	return nil
}

func (g *gate) set(mode string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.mode = mode
}

func (g *gate) url() string { return "http://" + g.ln.Addr().String() }

// emulateNetworkConditions is DevTools' Network.emulateNetworkConditions
// (deprecated in the protocol, still served by Chromium; cdproto no longer
// names it).
var emulateNetworkConditions = cdp.Command[networkConditions, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

type networkConditions struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

func emulate(nc networkConditions) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulateNetworkConditions, nc)
		return err
	})
}

var offline = networkConditions{Offline: true, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1}
var online = networkConditions{Offline: false, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1}

// offlineSite is the application behind a gate, with a course running this
// week: a session today, three people (one a minor), one already marked.
type offlineSite struct {
	store   *repository.Store
	gate    *gate
	course  domain.Course
	session domain.Session
	adult   domain.Trainee // marked absent before the visit; marked late offline
	other   domain.Trainee // unmarked; marked absent offline while a coordinator marks them present
	child   domain.Trainee // unmarked: "mark all present"
	coordID int64
}

func newOfflineSite(t *testing.T) *offlineSite {
	t.Helper()
	store := dbtest.Store(t)
	web, err := app.New(app.Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go func() { _ = web.Listener(ln) }()
	t.Cleanup(func() { _ = web.Shutdown() })
	s := &offlineSite{store: store, gate: newGate(t, ln.Addr().String())}
	ctx := context.Background()
	trainer := &domain.User{Email: "trainer@e2e.ma", Name: "E2E trainer", Role: domain.RoleTrainer, Language: "fr"}
	coord := &domain.User{Email: "coordinator@e2e.ma", Name: "E2E coordinator", Role: domain.RoleCoordinator, Language: "fr"}
	must(t, store.CreateUser(ctx, trainer, password, nil))
	must(t, store.CreateUser(ctx, coord, password, nil))
	s.coordID = coord.ID
	must(t, store.CreateProvince(ctx, &domain.Province{RegionID: 6, Code: "casablanca", NameAr: "عمالة الدار البيضاء", NameFr: "Préfecture de Casablanca"}))
	now := time.Now().In(domain.Casablanca)
	p := domain.Programme{Code: "child-protection", NameAr: "تقوية قدرات الفاعلين المحليين", NameFr: "Renforcement des capacités",
		NameEn: "Capacity building", StartYear: now.Year() - 1, EndYear: now.Year() + 1}
	must(t, store.CreateProgramme(ctx, &p, nil))
	s.course = domain.Course{ProgrammeID: p.ID, Code: "CP-NOW-1", TitleAr: "دورة الأسبوع", TitleFr: "Formation de la semaine",
		Year: now.Year(), Province: "casablanca", StartDate: domain.Date{Time: now.AddDate(0, 0, -3)},
		EndDate: domain.Date{Time: now.AddDate(0, 0, 10)}, Capacity: 30}
	must(t, store.CreateCourse(ctx, &s.course, nil))
	must(t, store.AssignTrainer(ctx, s.course.ID, trainer.ID, nil))
	at := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, domain.Casablanca)
	sessions := []domain.Session{{StartsAt: at, EndsAt: at.Add(3 * time.Hour), Place: "Casablanca", Hours: 3}}
	must(t, store.CreateSessions(ctx, s.course.ID, sessions, nil))
	s.session = sessions[0]
	org := domain.Organisation{Kind: domain.Institution, NameFr: ptr("Centre multifonctionnel")}
	must(t, store.CreateOrganisation(ctx, &org, nil))
	s.adult = domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Amina Tazi"), Sex: domain.Female, OrganisationID: &org.ID}
	s.other = domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Brahim Saidi"), Sex: domain.Male, OrganisationID: &org.ID}
	s.child = domain.Trainee{Category: domain.ChildParliamentarian, FullNameLatin: ptr("Chaimae Idrissi"), Sex: domain.Female,
		BirthYear: ptr(now.Year() - 13), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords}
	for _, tr := range []*domain.Trainee{&s.adult, &s.other, &s.child} {
		_, err := store.EnrollNew(ctx, s.course.ID, tr, repository.EnrollOptions{}, nil)
		must(t, err)
	}
	must(t, store.SaveAttendance(ctx, s.session.ID, []repository.Mark{{TraineeID: s.adult.ID, Status: domain.Absent}}, &coord.ID))
	return s
}

// profileBrowser is a headless Chromium on the profile in dir: closing it
// and opening another on the same dir is closing and reopening the browser.
func profileBrowser(t *testing.T, dir string) (context.Context, func()) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(dir),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	must(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)))
	closed := false
	closeIt := func() {
		if closed {
			return
		}
		closed = true
		_ = chromedp.Cancel(ctx) // a graceful close: the profile is written out
		cancelCtx()
		cancelAlloc()
	}
	t.Cleanup(closeIt)
	return ctx, closeIt
}

// within runs actions with a deadline of their own.
func within(t *testing.T, ctx context.Context, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	must(t, chromedp.Do(c, actions...))
}

// waitFor polls a JavaScript condition (a promise of a boolean).
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func pendingCount(t *testing.T, ctx context.Context) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('[data-pending]') || {getAttribute: () => 'none'}).getAttribute('data-count')`))
	must(t, err)
	return v
}

// TestOfflineAttendanceSurvivesTheRoom is the acceptance test of issue 17's
// offline attendance.
func TestOfflineAttendanceSurvivesTheRoom(t *testing.T) {
	s := newOfflineSite(t)
	base := s.gate.url()
	sheet := fmt.Sprintf("%s/sessions/%d/attendance", base, s.session.ID)
	profile := t.TempDir()
	ctx, closeBrowser := profileBrowser(t, profile)

	// One online visit: sign in, open the day's sheet; the app installs itself.
	within(t, ctx, time.Minute,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "trainer@e2e.ma"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
		chromedp.Navigate(sheet),
		chromedp.WaitVisible(chromedp.CSS(`form.sheet`)),
	)
	waitFor(t, ctx, "the service worker", `navigator.serviceWorker.ready.then(() => true)`)
	waitFor(t, ctx, "the shell in the cache", `caches.open('takaffoul-pages').then(c => c.match('/offline')).then(r => !!r)`)
	waitFor(t, ctx, "the sessions in IndexedDB", `new Promise(ok => { const r = indexedDB.open('takaffoul-offline', 1);
	  r.onsuccess = () => { const q = r.result.transaction('sessions').objectStore('sessions').getAll(); q.onsuccess = () => ok(q.result.length === 1 && q.result[0].roster.length === 3); }; r.onerror = () => ok(false); })`)

	// The network goes.
	s.gate.set("down")
	within(t, ctx, time.Minute, emulate(offline), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`form[data-offline-sheet]`)))
	screenshot(t, ctx, "offline-sheet-fr-phone")
	marked, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(document.querySelector('input[name="status_t:%d"]:checked') || {}).value || ''`, s.adult.ID)))
	must(t, err)
	if marked != "absent" {
		t.Fatalf("offline, the sheet shows %q for the person marked absent online", marked)
	}

	// Marks, a walk-in, "mark all present".
	within(t, ctx, time.Minute,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="status_t:%d"][value=late]`, s.adult.ID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="status_t:%d"][value=absent]`, s.other.ID))),
		chromedp.Click(chromedp.CSS(`form[data-offline-sheet] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-pending][data-count="2"]`)),
		chromedp.Click(chromedp.CSS(`details.walkin summary`)),
		chromedp.Click(chromedp.CSS(`form[data-walkin] input[name=category][value=institutional_actor]`)),
		chromedp.SendKeys(chromedp.CSS(`#w-full_name_latin`), "Driss Walkin"),
		chromedp.Click(chromedp.CSS(`form[data-walkin] input[name=sex][value=male]`)),
		chromedp.SetValue(chromedp.CSS(`#w-organisation_id`), firstOrganisation(t, s)),
		chromedp.Click(chromedp.CSS(`form[data-walkin] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-pending][data-count="3"]`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-person^="w:"]`)),
		chromedp.Click(chromedp.CSS(`button[data-all-present]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-pending][data-count="5"]`)), // the child and the walk-in
	)
	screenshot(t, ctx, "offline-queued-fr-phone")
	queue, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(ok => { const r = indexedDB.open('takaffoul-offline', 1);
	  r.onsuccess = () => { const q = r.result.transaction('queue').objectStore('queue').getAll(); q.onsuccess = () => ok(JSON.stringify(q.result.map(i => i.body))); }; })`,
		chromedp.EvalAwaitPromise))
	must(t, err)

	// The browser is closed and opened again, still without network.
	closeBrowser()
	ctx, _ = profileBrowser(t, profile)
	within(t, ctx, time.Minute, emulate(offline), chromedp.Navigate(sheet), chromedp.WaitVisible(chromedp.CSS(`form[data-offline-sheet]`)))
	if n := pendingCount(t, ctx); n != "5" {
		t.Fatalf("after reopening the browser: %s changes waiting, want 5", n)
	}
	// The home, offline too: the shell lists the session kept.
	within(t, ctx, time.Minute, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-offline-view] a[href="/sessions/`+fmt.Sprint(s.session.ID)+`/attendance"]`)))
	within(t, ctx, time.Minute, chromedp.Navigate(sheet), chromedp.WaitVisible(chromedp.CSS(`form[data-offline-sheet]`)))
	if n := countRows(t, s.store, `SELECT count(*) FROM attendance`); n != 1 {
		t.Fatalf("the server has %d marks before the network returns", n)
	}

	// A new release's service worker arrives (only the assets get through):
	// it replaces the old one and its caches; the queue and the sessions,
	// in IndexedDB, stay.
	s.gate.mu.Lock()
	s.gate.swVersion = "e2e-next"
	s.gate.mu.Unlock()
	s.gate.set("static-only")
	within(t, ctx, time.Minute, emulate(online))
	waitFor(t, ctx, "the new service worker", `navigator.serviceWorker.getRegistration().then(r => r.update()).then(() =>
	  caches.keys()).then(k => k.includes('takaffoul-assets-e2e-next') && !k.some(n => n.startsWith('takaffoul-assets-') && n !== 'takaffoul-assets-e2e-next'))`)
	s.gate.set("down")
	within(t, ctx, time.Minute, emulate(offline), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`form[data-offline-sheet]`)))
	if n := pendingCount(t, ctx); n != "5" {
		t.Fatalf("after a new service worker: %s changes waiting, want 5", n)
	}

	// Meanwhile a coordinator marks present the person the device marks absent.
	must(t, s.store.SaveAttendance(context.Background(), s.session.ID, []repository.Mark{{TraineeID: s.other.ID, Status: domain.Present}}, &s.coordID))

	// The network returns.
	s.gate.set("up")
	within(t, ctx, time.Minute, emulate(online))
	waitFor(t, ctx, "the queue sent", `Promise.resolve((document.querySelector('[data-pending]') || {}).getAttribute && document.querySelector('[data-pending]').getAttribute('data-count') === '0')`)
	screenshot(t, ctx, "offline-sent-fr-phone")

	marks := map[string]string{}
	rows, err := s.store.DB().Query(`SELECT coalesce(t.full_name_latin, ''), a.status FROM attendance a
	    JOIN enrollments e ON e.id = a.enrollment_id JOIN trainees t ON t.id = e.trainee_id WHERE a.session_id = $1`, s.session.ID)
	must(t, err)
	for rows.Next() {
		var name, status string
		must(t, rows.Scan(&name, &status))
		if _, twice := marks[name]; twice {
			t.Errorf("%s marked twice", name)
		}
		marks[name] = status
	}
	must(t, rows.Err())
	want := map[string]string{"Amina Tazi": "late", "Brahim Saidi": "present", "Chaimae Idrissi": "present", "Driss Walkin": "present"}
	for name, status := range want {
		if marks[name] != status {
			t.Errorf("%s: %q, want %q", name, marks[name], status)
		}
	}
	if len(marks) != len(want) {
		t.Errorf("marks: %v", marks)
	}
	if n := countRows(t, s.store, `SELECT count(*) FROM trainees WHERE full_name_latin = 'Driss Walkin'`); n != 1 {
		t.Errorf("the walk-in is %d people", n)
	}
	if n := countRows(t, s.store, `SELECT count(*) FROM offline_conflicts WHERE kind = 'mark' AND device_status = 'absent' AND server_status = 'present' AND resolved_at IS NULL`); n != 1 {
		t.Errorf("the conflicting mark is not in the coordinators' list (%d)", n)
	}
	var held int
	must(t, s.store.DB().Get(&held, `SELECT attended_count FROM enrollments WHERE trainee_id = $1`, s.child.ID))
	if held != 1 {
		t.Errorf("the child's totals do not follow the mark: attended %d", held)
	}

	// The same queue sent a second time changes nothing.
	before := digest(t, s.store)
	replay, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch('/api/v1/offline/pack', {headers: {Accept: 'application/json'}}).then(r => r.json()).then(p =>
	  fetch('/api/v1/offline/sync', {method: 'POST', headers: {'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': p.csrf},
	    body: JSON.stringify({changes: `+queue+`})})).then(r => r.text())`, chromedp.EvalAwaitPromise))
	must(t, err)
	if strings.Contains(replay, "refused") || !strings.Contains(replay, "conflict") {
		t.Errorf("replay: %s", replay)
	}
	if after := digest(t, s.store); after != before {
		t.Errorf("the replay changed the database:\n%s\n%s", before, after)
	}
}

func firstOrganisation(t *testing.T, s *offlineSite) string {
	t.Helper()
	var id int64
	must(t, s.store.DB().Get(&id, `SELECT min(id) FROM organisations`))
	return fmt.Sprint(id)
}

func countRows(t *testing.T, store *repository.Store, q string, args ...any) int {
	t.Helper()
	var n int
	must(t, store.DB().Get(&n, q, args...))
	return n
}

// digest is the rows a sync may write, as text.
func digest(t *testing.T, store *repository.Store) string {
	t.Helper()
	var out []string
	for _, table := range []string{"attendance", "enrollments", "trainees", "offline_changes", "offline_conflicts"} {
		var s string
		must(t, store.DB().Get(&s, `SELECT coalesce(string_agg(x::text, '|' ORDER BY x::text), '') FROM `+table+` x`))
		out = append(out, s)
	}
	var audit int
	must(t, store.DB().Get(&audit, `SELECT count(*) FROM audit_log WHERE action NOT IN ('login', 'logout')`))
	return strings.Join(out, "\n") + fmt.Sprint(audit)
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// TestOfflineAttendancePageOnSlow3G measures the attendance page on a slow
// 3G network (400 ms round trip, 400 kbit/s, made by the gate for every
// request, the service worker's included): a first visit with empty caches,
// a visit once the app is installed, and with the network off. It logs the
// figures (docs/OFFLINE.md quotes them); it asserts only that each visit shows the sheet.
func TestOfflineAttendancePageOnSlow3G(t *testing.T) {
	s := newOfflineSite(t)
	base := s.gate.url()
	sheet := fmt.Sprintf("%s/sessions/%d/attendance", base, s.session.ID)
	ctx, _ := profileBrowser(t, t.TempDir())
	within(t, ctx, time.Minute,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "trainer@e2e.ma"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
	)
	// Forget what the sign-in left: the HTTP cache, the app's caches and worker.
	waitFor(t, ctx, "the app forgotten", `navigator.serviceWorker.getRegistrations().then(rs => Promise.all(rs.map(r => r.unregister())))
	  .then(() => caches.keys()).then(ks => Promise.all(ks.map(k => caches.delete(k)))).then(() => true)`)
	within(t, ctx, time.Minute, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, clearBrowserCache, cdp.Empty{})
		return err
	}))
	s.gate.mu.Lock()
	s.gate.slow = true
	s.gate.mu.Unlock()

	measure := func(what string, sel string) {
		t.Helper()
		start := time.Now()
		within(t, ctx, 2*time.Minute, chromedp.Navigate(sheet), chromedp.WaitVisible(chromedp.CSS(sel)))
		shown := time.Since(start)
		waitFor(t, ctx, "the page settled", `new Promise(ok => setTimeout(() => ok(document.readyState === 'complete'), 1500))`)
		bytes, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
		  .reduce((n, e) => n + (e.transferSize || 0), 0)`))
		must(t, err)
		load, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType('navigation')[0].loadEventEnd`))
		must(t, err)
		parts, err := chromedp.Run(ctx, chromedp.Evaluate[string](`performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
		  .filter(e => e.transferSize > 0).map(e => new URL(e.name).pathname + ' ' + e.transferSize).join(', ')`))
		must(t, err)
		t.Logf("slow 3G, %s: sheet shown after %d ms (load event %.0f ms), %.0f bytes transferred by the page (%s)", what, shown.Milliseconds(), load, bytes, parts)
	}
	measure("first visit, empty caches", `form.sheet`)
	waitFor(t, ctx, "the app installed", `caches.open('takaffoul-pages').then(c => c.match('/offline')).then(r => !!r)`)
	measure("second visit, the app installed", `form.sheet`)
	s.gate.set("down")
	within(t, ctx, time.Minute, emulate(offline))
	measure("network off, from the app's cache", `form[data-offline-sheet]`)
}

var clearBrowserCache = cdp.Command[cdp.Empty, cdp.Empty]{Method: "Network.clearBrowserCache"}

// TestAttendanceWithoutJavaScript: with scripts off, nothing of the app
// offline runs and the trainer's sheet works online as before (point 6).
func TestAttendanceWithoutJavaScript(t *testing.T) {
	s := newOfflineSite(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("blink-settings", "scriptEnabled=false"), chromedp.Flag("disable-background-networking", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	must(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1600))) // the first run starts the browser: no deadline on it; tall: no sticky bar over the radios
	base := s.gate.url()
	within(t, ctx, time.Minute,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "trainer@e2e.ma"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
		chromedp.Navigate(fmt.Sprintf("%s/sessions/%d/attendance", base, s.session.ID)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`label:has(> input[name=status_%d][value=late])`, s.other.ID))),
		chromedp.Click(chromedp.CSS(`button[name=action][value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
		chromedp.Click(chromedp.CSS(`button[name=action][value=all_present]`)),
	)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if countRows(t, s.store, `SELECT count(*) FROM attendance WHERE session_id = $1`, s.session.ID) == 3 {
			break
		}
	}
	if n := countRows(t, s.store, `SELECT count(*) FROM attendance WHERE session_id = $1`, s.session.ID); n != 3 {
		var got []string
		must(t, s.store.DB().Select(&got, `SELECT status FROM attendance`))
		t.Errorf("without JavaScript: %d marks, want 3: %v", n, got)
	}
	if n := countRows(t, s.store, `SELECT count(*) FROM attendance WHERE status = 'late'`); n != 1 {
		var got []string
		must(t, s.store.DB().Select(&got, `SELECT t.full_name_latin || ' ' || a.status FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id JOIN trainees t ON t.id = e.trainee_id`))
		t.Errorf("the late mark: %d %v", n, got)
	}
	if n := countRows(t, s.store, `SELECT count(*) FROM attendance WHERE status = 'absent'`); n != 1 {
		t.Errorf("the saved absent mark was replaced by mark-all-present (%d absent left)", n)
	}
	if n := countRows(t, s.store, `SELECT count(*) FROM offline_changes`); n != 0 {
		t.Errorf("%d offline changes without JavaScript", n)
	}
}
