package repository_test

import (
	"context"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a minimal world: one province, one programme with two courses
// (one session each), an institution and an association.
type fixture struct {
	store       *repository.Store
	ctx         context.Context
	province    domain.Province
	programme   domain.Programme
	course      domain.Course
	otherCourse domain.Course
	session     domain.Session
	otherSess   domain.Session
	institution domain.Organisation
	association domain.Organisation
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, dbtest.Store(t))
}

// newFixtureOn builds the fixture on a migrated, empty database of one's own.
func newFixtureOn(t *testing.T, store *repository.Store) *fixture {
	t.Helper()
	f := &fixture{store: store, ctx: context.Background()}
	f.province = domain.Province{RegionID: 4, Code: "rabat", NameAr: "عمالة الرباط", NameFr: "Préfecture de Rabat"}
	must(t, f.store.CreateProvince(f.ctx, &f.province))
	f.programme = domain.Programme{Code: "child-protection", NameAr: "تقوية قدرات الفاعلين المحليين",
		NameFr: "Renforcement des capacités", NameEn: "Capacity building", StartYear: 2019, EndYear: 2020}
	must(t, f.store.CreateProgramme(f.ctx, &f.programme, nil))
	f.course = f.newCourse(t, "CP-RABAT-1")
	f.otherCourse = f.newCourse(t, "CP-RABAT-2")
	f.session = f.newSession(t, f.course.ID)
	f.otherSess = f.newSession(t, f.otherCourse.ID)
	f.institution = domain.Organisation{Kind: domain.Institution, NameFr: ptr("Centre multifonctionnel")}
	must(t, f.store.CreateOrganisation(f.ctx, &f.institution, nil))
	f.association = domain.Organisation{Kind: domain.Association, NameAr: ptr("جمعية الأمل")}
	must(t, f.store.CreateOrganisation(f.ctx, &f.association, nil))
	return f
}

func (f *fixture) newCourse(t *testing.T, code string) domain.Course {
	t.Helper()
	c := domain.Course{ProgrammeID: f.programme.ID, Code: code, TitleAr: "دورة تكوينية", TitleFr: "Session de formation",
		Year: 2019, Province: "rabat", StartDate: date("2019-03-01"), EndDate: date("2019-03-30"), Capacity: 40}
	must(t, f.store.CreateCourse(f.ctx, &c, nil))
	return c
}

func (f *fixture) newSession(t *testing.T, courseID int64) domain.Session {
	t.Helper()
	start := time.Date(2019, 3, 5, 9, 0, 0, 0, time.UTC)
	s := []domain.Session{{StartsAt: start, EndsAt: start.Add(3 * time.Hour), Place: "Rabat", Hours: 3}}
	must(t, f.store.CreateSessions(f.ctx, courseID, s, nil))
	return s[0]
}

// institutionalActor returns a valid institutional actor, not yet stored.
func (f *fixture) institutionalActor(latin string) *domain.Trainee {
	return &domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(latin), Sex: domain.Female,
		OrganisationID: &f.institution.ID}
}

// child returns a valid child parliamentarian, not yet stored.
func (f *fixture) child(name string) *domain.Trainee {
	return &domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr(name), Sex: domain.Male,
		BirthYear: ptr(2006), GuardianConsent: true}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func date(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// wantInvalid fails unless err is a validation error on field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	v, ok := domain.AsValidation(err)
	if !ok {
		t.Fatalf("want a validation error on %s, got %v", field, err)
	}
	if _, ok := v.Fields[field]; !ok {
		t.Fatalf("want a validation error on %s, got %v", field, v)
	}
}
