package dbtest

import (
	"context"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// World is the data most tests start from, the one builder of the suites
// (app's world and repository's fixture are views of it): the province of
// Rabat, a programme, two courses of it in March 2019 with one session
// each, an institution and an association.
type World struct {
	Store                    *repository.Store
	Province                 domain.Province
	Programme                domain.Programme
	Course, OtherCourse      domain.Course
	Session, OtherSession    domain.Session
	Institution, Association domain.Organisation
}

// WorldNames are the names a package's tests assert on: the two courses'
// codes and the institution's French name.
type WorldNames struct {
	Courses     [2]string
	Institution string
}

// NewWorld builds the world on store (a migrated, empty database of the
// test's own), failing the test on any error.
func NewWorld(t testing.TB, store *repository.Store, names WorldNames) *World {
	t.Helper()
	ctx := context.Background()
	w := &World{Store: store}
	w.Province = domain.Province{RegionID: 4, Code: "rabat", NameAr: "عمالة الرباط", NameFr: "Préfecture de Rabat"}
	check(t, store.CreateProvince(ctx, &w.Province))
	w.Programme = domain.Programme{Code: "child-protection", NameAr: "تقوية قدرات الفاعلين المحليين",
		NameFr: "Renforcement des capacités", NameEn: "Capacity building", StartYear: 2019, EndYear: 2020}
	check(t, store.CreateProgramme(ctx, &w.Programme, nil))
	w.Course = w.NewCourse(t, names.Courses[0])
	w.OtherCourse = w.NewCourse(t, names.Courses[1])
	w.Session = w.NewSession(t, w.Course.ID)
	w.OtherSession = w.NewSession(t, w.OtherCourse.ID)
	w.Institution = domain.Organisation{Kind: domain.Institution, NameFr: &names.Institution}
	check(t, store.CreateOrganisation(ctx, &w.Institution, nil))
	association := "جمعية الأمل"
	w.Association = domain.Organisation{Kind: domain.Association, NameAr: &association}
	check(t, store.CreateOrganisation(ctx, &w.Association, nil))
	return w
}

// NewCourse stores another course of the programme, in Rabat in March 2019.
func (w *World) NewCourse(t testing.TB, code string) domain.Course {
	t.Helper()
	start, _ := domain.ParseDate("2019-03-01")
	end, _ := domain.ParseDate("2019-03-30")
	c := domain.Course{ProgrammeID: w.Programme.ID, Code: code, TitleAr: "دورة تكوينية " + code, TitleFr: "Formation " + code,
		Year: 2019, Province: "rabat", StartDate: start, EndDate: end, Capacity: 40}
	check(t, w.Store.CreateCourse(context.Background(), &c, nil))
	return c
}

// NewSession stores a session of three hours in the course, on 5 March 2019.
func (w *World) NewSession(t testing.TB, courseID int64) domain.Session {
	t.Helper()
	start := time.Date(2019, 3, 5, 9, 0, 0, 0, time.UTC)
	s := []domain.Session{{StartsAt: start, EndsAt: start.Add(3 * time.Hour), Place: "Rabat", Hours: 3}}
	check(t, w.Store.CreateSessions(context.Background(), courseID, s, nil))
	return s[0]
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
