package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// TestTrainersHomeIsTheirDay: a trainer's home lists today's sessions of
// their courses with a "take attendance" button (a review link once
// taken), the other sessions of this week (Monday to Sunday, in
// Casablanca), and each course's sessions held and attendance rate; never
// another trainer's course, never next week.
func TestTrainersHomeIsTheirDay(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	ctx := context.Background()
	tr := addUser(t, store, "trainer@home.ma", domain.RoleTrainer)
	w := newWorld(t, store, tr.ID)

	week := domain.WeekOf(time.Now())
	at := func(day, hour int) time.Time { // day 0 is Monday
		d := week.Monday.AddDate(0, 0, day)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, domain.Casablanca)
	}
	today, otherDay := week.TodayDay(), (week.TodayDay()+3)%7
	session := func(courseID int64, start time.Time) int64 {
		t.Helper()
		s := []domain.Session{{StartsAt: start, EndsAt: start.Add(3 * time.Hour), Place: "Salle " + strconv.Itoa(start.Hour()), Hours: 3}}
		if err := store.CreateSessions(ctx, courseID, s, nil); err != nil {
			t.Fatal(err)
		}
		return s[0].ID
	}
	taken := session(w.course.ID, at(today, 9))
	due := session(w.course.ID, at(today, 14))
	later := session(w.course.ID, at(otherDay, 9))
	nextWeek := session(w.course.ID, at(7+today, 9))
	notMine := session(w.otherCourse.ID, at(today, 10))
	if err := store.SaveAttendance(ctx, taken, []repository.Mark{{TraineeID: w.trainee.ID, Status: domain.Present}}, nil); err != nil {
		t.Fatal(err)
	}

	cl := newClient(t, web)
	cl.login(tr.Email, testPassword)
	cl.setLanguage("fr")
	r := cl.get("/")
	expectStatus(t, "trainer's home", r, 200)
	text := visibleText(r.Body)
	link := func(id int64) string { return `href="/sessions/` + itoa(id) + `/attendance"` }
	todayPart, weekPart, _ := strings.Cut(r.Body, `id="week"`)
	weekPart, coursesPart, _ := strings.Cut(weekPart, `id="courses"`)
	if !strings.Contains(todayPart, link(due)+`>Faire l&#39;appel<`) || !strings.Contains(todayPart, link(taken)+`>Voir ou corriger les présences<`) {
		t.Errorf("today's sessions with their buttons:\n%s", todayPart)
	}
	if !strings.Contains(todayPart, "Appel fait (1 sur 1)") || !strings.Contains(todayPart, "Appel pas encore fait") ||
		!strings.Contains(todayPart, "<bdi dir=\"ltr\">14:00–17:00</bdi>") {
		t.Errorf("today's sessions say where their attendance is and when they are:\n%s", visibleText(todayPart))
	}
	if !strings.Contains(weekPart, link(later)) || strings.Contains(weekPart, link(due)) {
		t.Errorf("the rest of the week holds the other day's session, not today's:\n%s", weekPart)
	}
	weekday := []string{"Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"}[otherDay]
	wantState := map[bool]string{true: "Appel pas encore fait", false: "À venir"}[otherDay < today]
	if !strings.Contains(weekPart, weekday) || !strings.Contains(weekPart, wantState) {
		t.Errorf("the other day is named (%s) and its session is %q:\n%s", weekday, wantState, visibleText(weekPart))
	}
	if strings.Contains(r.Body, link(nextWeek)) || strings.Contains(r.Body, link(notMine)) {
		t.Error("next week's session or another trainer's session is listed")
	}
	// The course: the 2019 session and the four above, one of them held;
	// its one mark is a presence.
	if !strings.Contains(coursesPart, "Formation CP-1") || !strings.Contains(coursesPart, "Séances tenues : 1 sur 5") ||
		!strings.Contains(coursesPart, "Taux de présence : <bdi dir=\"ltr\" class=\"nowrap\">100\u202f%</bdi>") || strings.Contains(coursesPart, "Formation CP-2") ||
		!strings.Contains(coursesPart, w.programme.NameFr) || !strings.Contains(coursesPart, "Préfecture de Rabat") {
		t.Errorf("the trainer's courses and their progress:\n%s", visibleText(coursesPart))
	}
	if strings.Contains(text, "home.") {
		t.Errorf("a message key on the page:\n%s", text)
	}
}

// TestOtherRolesHomeLeadsToTheirWork: coordinators find their courses,
// imports and the dashboard; the ministry the dashboard, and no link that
// would answer 403.
func TestOtherRolesHomeLeadsToTheirWork(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	want := map[domain.Role][]string{
		domain.RoleCoordinator: {"/courses", "/courses/new", "/imports", "/dashboard", "/dashboard/reported"},
		domain.RoleAdmin:       {"/users", "/courses", "/imports", "/dashboard"},
		domain.RoleMinistry:    {"/dashboard"},
	}
	for role, links := range want {
		u := addUser(t, store, string(role)+"@home.ma", role)
		cl := newClient(t, web)
		cl.login(u.Email, testPassword)
		body := cl.get("/").Body
		_, main, _ := strings.Cut(body, `<main`)
		for _, l := range links {
			if !strings.Contains(main, `<a href="`+l+`">`) {
				t.Errorf("%s's home has no link to %s", role, l)
			}
		}
		if role == domain.RoleMinistry && (strings.Contains(main, `href="/courses"`) || strings.Contains(main, `href="/imports"`)) {
			t.Error("the ministry's home links to pages it may not open")
		}
	}
}
