package repository_test

import (
	"context"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is dbtest's world as repository's tests know it: one province,
// one programme with two courses (one session each), an institution and an
// association.
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

	world *dbtest.World
	// importer: the user imports are made as (they record consents)
	importer *int64
}

// importerID is the user the fixture's imports are made as.
func (f *fixture) importerID() *int64 { return f.importer }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, dbtest.Store(t))
}

// newFixtureOn builds dbtest's world (the one builder) as repository's
// tests name it, on a migrated, empty database of one's own.
func newFixtureOn(t *testing.T, store *repository.Store) *fixture {
	t.Helper()
	w := dbtest.NewWorld(t, store, dbtest.WorldNames{Courses: [2]string{"CP-RABAT-1", "CP-RABAT-2"}, Institution: "Centre multifonctionnel"})
	importer := &domain.User{Email: "importer@example.ma", Name: "Importer", Role: domain.RoleCoordinator}
	must(t, store.CreateUser(context.Background(), importer, "a-long-enough-password", nil))
	return &fixture{store: store, ctx: context.Background(), world: w, province: w.Province, programme: w.Programme,
		course: w.Course, otherCourse: w.OtherCourse, session: w.Session, otherSess: w.OtherSession,
		institution: w.Institution, association: w.Association, importer: &importer.ID}
}

func (f *fixture) newCourse(t *testing.T, code string) domain.Course {
	return f.world.NewCourse(t, code)
}

func (f *fixture) newSession(t *testing.T, courseID int64) domain.Session {
	return f.world.NewSession(t, courseID)
}

// institutionalActor returns a valid institutional actor, not yet stored.
func (f *fixture) institutionalActor(latin string) *domain.Trainee {
	return &domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(latin), Sex: domain.Female,
		OrganisationID: &f.institution.ID}
}

// child returns a valid child parliamentarian, not yet stored.
func (f *fixture) child(name string) *domain.Trainee {
	return &domain.Trainee{Category: domain.ChildParliamentarian, FullNameAr: ptr(name), Sex: domain.Male,
		BirthYear: ptr(2006), GuardianConsent: true, ConsentMethod: domain.ConsentBeforeRecords}
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

// user stores a coordinator for a test that needs someone to act: the one
// who records a consent, say.
func (f *fixture) user(t *testing.T, email string) *domain.User {
	t.Helper()
	u := &domain.User{Email: email, Name: "Coordinatrice " + email, Role: domain.RoleCoordinator}
	must(t, f.store.CreateUser(f.ctx, u, "a-long-enough-password", nil))
	return u
}
