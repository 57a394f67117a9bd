package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// world is the data most handler tests need: a province, a programme, a
// course assigned to a trainer and one that is not, a session in each, an
// institution, an association and a trainee enrolled in the first course.
type world struct {
	store       *repository.Store
	programme   domain.Programme
	course      domain.Course // assigned to the trainer
	otherCourse domain.Course // assigned to nobody
	session     domain.Session
	otherSess   domain.Session
	institution domain.Organisation
	association domain.Organisation
	trainee     domain.Trainee // enrolled in course
}

func newWorld(t *testing.T, store *repository.Store, trainerID int64) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{store: store}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(store.CreateProvince(ctx, &domain.Province{RegionID: 4, Code: "rabat", NameAr: "عمالة الرباط", NameFr: "Préfecture de Rabat"}))
	w.programme = domain.Programme{Code: "child-protection", NameAr: "تقوية قدرات الفاعلين المحليين", NameFr: "Renforcement des capacités",
		NameEn: "Capacity building", StartYear: 2019, EndYear: 2020}
	check(store.CreateProgramme(ctx, &w.programme, nil))
	w.course = w.newCourse(t, "CP-1")
	w.otherCourse = w.newCourse(t, "CP-2")
	check(store.AssignTrainer(ctx, w.course.ID, trainerID, nil))
	w.session = w.newSession(t, w.course.ID)
	w.otherSess = w.newSession(t, w.otherCourse.ID)
	w.institution = domain.Organisation{Kind: domain.Institution, NameFr: ptr("Centre multifonctionnel de Rabat")}
	check(store.CreateOrganisation(ctx, &w.institution, nil))
	w.association = domain.Organisation{Kind: domain.Association, NameAr: ptr("جمعية الأمل")}
	check(store.CreateOrganisation(ctx, &w.association, nil))
	w.trainee = domain.Trainee{Category: domain.InstitutionalActor, FullNameAr: ptr("فاطمة الزهراء بنعلي"),
		FullNameLatin: ptr("Hélène Aït-Lahcen"), Sex: domain.Female, OrganisationID: &w.institution.ID}
	_, err := store.EnrollNew(ctx, w.course.ID, &w.trainee, repository.EnrollOptions{}, nil)
	check(err)
	return w
}

func (w *world) newCourse(t *testing.T, code string) domain.Course {
	t.Helper()
	start, _ := domain.ParseDate("2019-03-01")
	end, _ := domain.ParseDate("2019-03-30")
	c := domain.Course{ProgrammeID: w.programme.ID, Code: code, TitleAr: "دورة تكوينية " + code, TitleFr: "Formation " + code,
		Year: 2019, Province: "rabat", StartDate: start, EndDate: end, Capacity: 40}
	if err := w.store.CreateCourse(context.Background(), &c, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) newSession(t *testing.T, courseID int64) domain.Session {
	t.Helper()
	start := time.Date(2019, 3, 5, 9, 0, 0, 0, time.UTC)
	s := []domain.Session{{StartsAt: start, EndsAt: start.Add(3 * time.Hour), Place: "Rabat", Hours: 3}}
	if err := w.store.CreateSessions(context.Background(), courseID, s, nil); err != nil {
		t.Fatal(err)
	}
	return s[0]
}

func ptr[T any](v T) *T { return &v }

// sendJSON sends a JSON body with the method given, as a browser script
// would: the session cookie and the CSRF token in X-CSRF-Token.
func (cl *client) sendJSON(method, target, body string) response {
	cl.t.Helper()
	if cl.token == "" {
		cl.get("/login")
	}
	cl.headers["X-CSRF-Token"] = cl.token
	cl.headers["Accept"] = "application/json"
	defer delete(cl.headers, "X-CSRF-Token")
	defer delete(cl.headers, "Accept")
	return cl.do(method, target, strings.NewReader(body), "application/json")
}

func urlQuery(s string) string { return url.QueryEscape(s) }
