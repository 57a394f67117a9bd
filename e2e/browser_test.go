//go:build e2e

// Package e2e drives the real application in Debian's headless Chromium:
// what a trainer, a coordinator and a ministry officer do, on a phone-sized
// screen, in Arabic and French. Run with: go test -tags e2e ./e2e/
// (.ci/run installs chromium with apt first).
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"takaffoul/app"
	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const password = "e2e browser password"

// site is the application served on a loopback port, with its data.
type site struct {
	base    string
	store   *repository.Store
	course  domain.Course
	session domain.Session
}

func newSite(t *testing.T) *site {
	t.Helper()
	store := dbtest.Store(t)
	web, err := app.New(app.Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = web.Listener(ln) }()
	t.Cleanup(func() { _ = web.Shutdown() })
	s := &site{base: "http://" + ln.Addr().String(), store: store}
	s.seed(t)
	return s
}

// seed makes the users and a course with one session, assigned to the trainer.
func (s *site) seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	users := map[domain.Role]*domain.User{}
	for _, role := range []domain.Role{domain.RoleTrainer, domain.RoleCoordinator, domain.RoleMinistry} {
		u := &domain.User{Email: string(role) + "@e2e.ma", Name: "E2E " + string(role), Role: role, Language: "ar"}
		must(t, s.store.CreateUser(ctx, u, password, nil))
		users[role] = u
	}
	must(t, s.store.CreateProvince(ctx, &domain.Province{RegionID: 6, Code: "casablanca", NameAr: "عمالة الدار البيضاء", NameFr: "Préfecture de Casablanca"}))
	p := domain.Programme{Code: "child-protection", NameAr: "تقوية قدرات الفاعلين المحليين في مجال حماية الطفولة",
		NameFr: "Renforcement des capacités des acteurs locaux", NameEn: "Capacity building", StartYear: 2019, EndYear: 2020}
	must(t, s.store.CreateProgramme(ctx, &p, nil))
	start, _ := domain.ParseDate("2020-02-03")
	end, _ := domain.ParseDate("2020-02-28")
	s.course = domain.Course{ProgrammeID: p.ID, Code: "CP-CASA-1", TitleAr: "دورة الدار البيضاء", TitleFr: "Formation de Casablanca",
		Year: 2020, Province: "casablanca", StartDate: start, EndDate: end, Capacity: 30}
	must(t, s.store.CreateCourse(ctx, &s.course, nil))
	must(t, s.store.AssignTrainer(ctx, s.course.ID, users[domain.RoleTrainer].ID, nil))
	at := time.Date(2020, 2, 4, 9, 0, 0, 0, domain.Casablanca)
	sessions := []domain.Session{{StartsAt: at, EndsAt: at.Add(3 * time.Hour), Place: "Casablanca", Hours: 3}}
	must(t, s.store.CreateSessions(ctx, s.course.ID, sessions, nil))
	s.session = sessions[0]
	org := domain.Organisation{Kind: domain.Institution, NameAr: ptr("مركز متعدد الاختصاصات"), NameFr: ptr("Centre multifonctionnel")}
	must(t, s.store.CreateOrganisation(ctx, &org, nil))
}

// browser starts a headless Chromium of its own (its own cookies), sized
// like a phone when phone is true, with any further flags given (a fake
// camera: checkin_camera_test.go).
func browser(t *testing.T, phone bool, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	exec := os.Getenv("CHROMIUM")
	if exec == "" {
		exec = "/usr/bin/chromium"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exec), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	opts = append(opts, flags...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	width, height := int64(1280), int64(900)
	viewport := []chromedp.EmulateViewportOption{}
	if phone {
		width, height = 390, 844
		viewport = append(viewport, chromedp.EmulateScale(2), chromedp.EmulateMobile)
	}
	must(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, height, viewport...)))
	return ctx
}

func (s *site) login(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav`)),
	))
}

// screenshot writes a full-page PNG under e2e/artifacts/ (git-ignored).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	dir := filepath.Join("artifacts")
	must(t, os.MkdirAll(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// TestATrainingDay: the ministry looks at the totals; a trainer, in Arabic
// on a phone, enrols an institutional actor and a child parliamentarian and
// marks attendance; a coordinator downloads the attendance CSV; the ministry
// sees the totals change, and still cannot open the roster.
func TestATrainingDay(t *testing.T) {
	s := newSite(t)
	ministry := browser(t, false)
	s.login(t, ministry, "ministry@e2e.ma")
	before := trainedTotals(t, ministry)
	if before.institutional != 0 || before.children != 0 {
		t.Fatalf("totals before the day: %+v", before)
	}

	phone := browser(t, true)
	s.login(t, phone, "trainer@e2e.ma")

	lang, err := chromedp.Run(phone, chromedp.AttributeValue(chromedp.CSS(`html`), "lang"))
	must(t, err)
	dir, err := chromedp.Run(phone, chromedp.AttributeValue(chromedp.CSS(`html`), "dir"))
	must(t, err)
	if lang.Value != "ar" || dir.Value != "rtl" {
		t.Fatalf("the interface is not Arabic right-to-left: lang=%q dir=%q", lang.Value, dir.Value)
	}

	enrol := fmt.Sprintf("%s/courses/%d/enrol", s.base, s.course.ID)
	// An institutional actor of an existing institution.
	must(t, chromedp.Do(phone,
		chromedp.Navigate(enrol),
		chromedp.Click(chromedp.CSS(`input[name=category][value=institutional_actor]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-full_name_ar`), "فاطمة الزهراء بنعلي"),
		chromedp.SendKeys(chromedp.CSS(`#f-full_name_latin`), "Fatima Zahra Benali"),
		chromedp.Click(chromedp.CSS(`input[name=sex][value=female]`)),
		chromedp.SetValue(chromedp.CSS(`#f-organisation_id`), firstOptionValue(t, s)),
		chromedp.Submit(chromedp.CSS(`form[data-category-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	))
	// A child parliamentarian: the phone, e-mail and CIN fields disappear.
	must(t, chromedp.Do(phone,
		chromedp.Navigate(enrol),
		chromedp.Click(chromedp.CSS(`input[name=category][value=child_parliamentarian]`))))
	phoneHidden, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.querySelector('#f-phone').closest('[data-for]').hidden`))
	must(t, err)
	must(t, chromedp.Do(phone,
		chromedp.SendKeys(chromedp.CSS(`#f-full_name_ar`), "ياسين العمراني"),
		chromedp.Click(chromedp.CSS(`input[name=sex][value=male]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-birth_year`), "2008"),
		chromedp.Click(chromedp.CSS(`#f-guardian_consent`)),
		chromedp.Submit(chromedp.CSS(`form[data-category-form]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	))
	if !phoneHidden {
		t.Error("the phone field stays visible for a child parliamentarian")
	}
	screenshot(t, phone, "course-ar-phone")

	// Attendance: everyone present with one tap, then one correction.
	sheet := fmt.Sprintf("%s/sessions/%d/attendance", s.base, s.session.ID)
	must(t, chromedp.Do(phone,
		chromedp.Navigate(sheet),
		chromedp.Click(chromedp.CSS(`button[name=action][value=all_present]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	))
	screenshot(t, phone, "attendance-ar-phone")
	var present int
	must(t, s.store.DB().Get(&present, `SELECT count(*) FROM attendance WHERE session_id = $1 AND status = 'present'`, s.session.ID))
	if present != 2 {
		t.Fatalf("want 2 present marks, got %d", present)
	}

	// The same page in French, left to right.
	must(t, chromedp.Do(phone,
		chromedp.Click(chromedp.CSS(`.lang-switch button[value=fr]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=fr][dir=ltr]`)),
	))
	screenshot(t, phone, "attendance-fr-phone")

	// The coordinator's download, read as the browser received it.
	desk := browser(t, false)
	s.login(t, desk, "coordinator@e2e.ma")
	csv, err := chromedp.Run(desk, chromedp.Evaluate[string](
		`fetch('/exports/attendance.csv?programme=child-protection').then(r => r.arrayBuffer()).then(b => new TextDecoder('utf-8', {ignoreBOM: true}).decode(b))`,
		chromedp.EvalAwaitPromise))
	must(t, err)
	if !strings.HasPrefix(csv, "\ufeff") || !strings.Contains(csv, "\r\n") {
		t.Error("the CSV lacks its BOM or its CRLF line ends")
	}
	for _, want := range []string{"فاطمة الزهراء بنعلي", "ياسين العمراني", "CP-CASA-1"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV lacks %q", want)
		}
	}
	if lines := strings.Count(csv, "\r\n"); lines != 3 { // header + two trainees × one session
		t.Errorf("want 3 lines in the CSV, got %d:\n%s", lines, csv)
	}

	// The figures moved: the coordinator reads them exactly; the ministry,
	// one person each, as "fewer than 5" (docs/SECURITY.md, "Small counts").
	// And the roster stays out of the ministry's reach.
	after := trainedTotals(t, desk)
	if after.institutional != 1 || after.children != 1 || after.localActors != 1 {
		t.Errorf("totals after the day: %+v", after)
	}
	for _, figure := range []string{"local_actors.trained", "by_category.child_parliamentarian.trained"} {
		if hidden := trainedTotals(t, ministry).suppressed; !slices.Contains(hidden, figure) {
			t.Errorf("the ministry reads %s of one person (suppressed: %q)", figure, hidden)
		}
	}
	must(t, chromedp.Do(ministry, chromedp.Navigate(s.base+"/dashboard?programme=child-protection")))
	screenshot(t, ministry, "dashboard-ar")
	ctx := ministry
	must(t, chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/courses/%d", s.base, s.course.ID))))
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
	must(t, err)
	if strings.Contains(body, "CP-CASA-1") {
		t.Fatal("the ministry sees the course")
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`fetch('/courses/%d').then(r => r.status)`, s.course.ID),
		chromedp.EvalAwaitPromise))
	must(t, err)
	if status != 404 {
		t.Fatalf("the ministry's roster request: want 404, got %d", status)
	}
	screenshot(t, ctx, "ministry-404-ar")
	must(t, chromedp.Do(ministry,
		chromedp.Navigate(s.base+"/dashboard?programme=child-protection"),
		chromedp.Click(chromedp.CSS(`.lang-switch button[value=fr]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=fr][dir=ltr]`)),
	))
	screenshot(t, ministry, "dashboard-fr")
}

// trained is what a reader reads of the child-protection totals.
type trained struct {
	localActors, institutional, children int
	suppressed                           []string // what the ministry does not see
}

func trainedTotals(t *testing.T, ctx context.Context) trained {
	t.Helper()
	var totals struct {
		LocalActors struct {
			Trained int `json:"trained"`
		} `json:"local_actors"`
		ByCategory map[string]struct {
			Trained int `json:"trained"`
		} `json:"by_category"`
		Suppressed []string `json:"suppressed"`
	}
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch('/api/v1/totals?programme=child-protection').then(r => r.text())`,
		chromedp.EvalAwaitPromise))
	must(t, err)
	must(t, json.Unmarshal([]byte(body), &totals))
	return trained{totals.LocalActors.Trained, totals.ByCategory["institutional_actor"].Trained,
		totals.ByCategory["child_parliamentarian"].Trained, totals.Suppressed}
}

func firstOptionValue(t *testing.T, s *site) string {
	t.Helper()
	var id int64
	must(t, s.store.DB().Get(&id, `SELECT min(id) FROM organisations WHERE kind = 'institution'`))
	return fmt.Sprint(id)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
