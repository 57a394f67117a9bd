package repository_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/pressly/goose/v3"

	"takaffoul/domain"
	"takaffoul/migrations"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// Migration 00014 fills the enrolments of an existing database with the
// category and organisation their people have that day, and the figures
// count them.
func TestMigrationBackfillsEnrolmentsFromTodaysPeople(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := repository.Open(ctx, dbtest.EmptyDatabase(t), repository.PoolConfig{})
	must(t, err)
	defer store.Close()
	migrator, err := goose.NewProvider(goose.DialectPostgres, store.DB().DB, migrations.FS)
	must(t, err)
	_, err = migrator.UpTo(ctx, 10)
	must(t, err)
	db := store.DB()
	db.MustExec(`INSERT INTO provinces (id, region_id, code, name_ar, name_fr) VALUES (1, 4, 'rabat', 'الرباط', 'Rabat')`)
	db.MustExec(`INSERT INTO programmes (id, code, name_ar, name_fr, name_en, start_year, end_year)
	             VALUES (1, 'p', 'ب', 'P', 'P', 2019, 2020)`)
	db.MustExec(`INSERT INTO courses (id, programme_id, code, title_ar, title_fr, year, province_id, start_date, end_date, capacity)
	             VALUES (1, 1, 'C1', 'د', 'C', 2019, 1, '2019-03-01', '2019-03-30', 40)`)
	db.MustExec(`INSERT INTO organisations (id, kind, name_fr) VALUES (1, 'association', 'A'), (2, 'institution', 'I')`)
	db.MustExec(`INSERT INTO trainees (id, category, full_name_latin, name_key, sex, organisation_id, organisation_kind, birth_year, guardian_consent)
	             VALUES (1, 'associative_actor', 'A', 'a', 'female', 1, 'association', NULL, false),
	                    (2, 'institutional_actor', 'B', 'b', 'male', 2, 'institution', NULL, false),
	                    (3, 'child_parliamentarian', 'C', 'c', 'male', NULL, NULL, 2007, true)`)
	db.MustExec(`INSERT INTO enrollments (trainee_id, course_id) VALUES (1, 1), (2, 1), (3, 1)`)
	_, err = migrator.UpTo(ctx, 14)
	must(t, err)
	_, err = migrator.DownTo(ctx, 10) // the way back works, and up again
	must(t, err)
	_, err = migrator.UpTo(ctx, 14)
	must(t, err)
	var wrong int
	must(t, db.Get(&wrong, `SELECT count(*) FROM enrollments e JOIN trainees t ON t.id = e.trainee_id
	     WHERE (e.category, e.organisation_id, e.organisation_kind) IS DISTINCT FROM (t.category, t.organisation_id, t.organisation_kind)`))
	if wrong != 0 {
		t.Fatalf("%d enrolments not filled from their people", wrong)
	}
	// The figures, read by today's code, after the later migrations too
	// (today's read needs their tables).
	must(t, store.Migrate(ctx))
	_, err = store.FoldTotals(ctx) // what the journal noted before the migration
	must(t, err)
	tot := figuresOf(t, store)
	if tot.ByCategory.AssociativeActor.Enrolled != 1 || tot.ByCategory.InstitutionalActor.Enrolled != 1 ||
		tot.ByCategory.ChildParliamentarian.Enrolled != 1 || tot.Associations.Enrolled != 1 {
		t.Fatalf("the figures after the migration: %+v, %+v", tot.ByCategory, tot.Associations)
	}
	assertCubeMatchesRebuild(t, store)
}

// A child parliamentarian who came of age is reclassified: their past
// enrolment stays a child's (and so the figures about it), the minor's
// rules stop applying to their record (a phone number is accepted), and a
// new enrolment counts them as what they are now. The minor's rule of the
// enrolment applies to the enrolment's own category.
func TestReclassifyingAPersonChangesTheirFutureEnrolmentsOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kid := f.child("طفل بلغ سن الرشد")
	must(t, f.store.CreateTrainee(f.ctx, kid, nil))
	past := f.enroll(t, f.course.ID, kid)

	kid.Category, kid.OrganisationID, kid.Phone = domain.AssociativeActor, &f.association.ID, ptr("0612345678")
	must(t, f.store.UpdateTrainee(f.ctx, kid, repository.AllCourses(), nil))
	var kept struct {
		Category string `db:"category"`
		Org      *int64 `db:"organisation_id"`
	}
	must(t, f.store.DB().Get(&kept, `SELECT category, organisation_id FROM enrollments WHERE id = $1`, past.ID))
	if kept.Category != "child_parliamentarian" || kept.Org != nil {
		t.Fatalf("the past enrolment follows the person: %+v", kept)
	}
	if tot := figuresOf(t, f.store); tot.ByCategory.ChildParliamentarian.Enrolled != 1 || tot.Associations.Enrolled != 0 {
		t.Fatalf("the past figures moved: %+v, %+v", tot.ByCategory, tot.Associations)
	}
	later := f.enroll(t, f.otherCourse.ID, kid)
	must(t, f.store.DB().Get(&kept, `SELECT category, organisation_id FROM enrollments WHERE id = $1`, later.ID))
	if kept.Category != "associative_actor" || kept.Org == nil || *kept.Org != f.association.ID {
		t.Fatalf("a new enrolment does not count the person as they are: %+v", kept)
	}
	tot := figuresOf(t, f.store)
	if tot.ByCategory.ChildParliamentarian.Enrolled != 1 || tot.ByCategory.AssociativeActor.Enrolled != 1 || tot.Associations.Enrolled != 1 {
		t.Fatalf("one child's enrolment and one associative actor's: %+v, %+v", tot.ByCategory, tot.Associations)
	}

	// The enrolment's minor rule is the enrolment's: an adult's enrolment
	// set to a child's by hand is refused by the database itself.
	adult := f.person(t, domain.InstitutionalActor, domain.Female, "Adulte")
	must(t, f.store.DB().Get(new(int), `UPDATE trainees SET birth_year = 1980 WHERE id = $1 RETURNING 1`, adult.ID))
	e := f.enroll(t, f.course.ID, adult)
	_, err := f.store.DB().Exec(`UPDATE enrollments SET category = 'child_parliamentarian', organisation_id = NULL,
	                              organisation_kind = NULL WHERE id = $1`, e.ID)
	wantCheckViolation(t, err, "enrollments_child_is_minor")
	_, err = f.store.DB().Exec(`UPDATE enrollments SET category = 'associative_actor' WHERE id = $1`, e.ID)
	wantCheckViolation(t, err, "enrollments_associative_actor")
}

// A correction changes one enrolment, audited with before, after and the
// reason; what is refused is a validation error and changes nothing.
func TestCorrectEnrollment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.person(t, domain.InstitutionalActor, domain.Female, "Corrigée")
	must(t, f.store.DB().Get(new(int), `UPDATE trainees SET birth_year = 1990 WHERE id = $1 RETURNING 1`, p.ID))
	e := f.enroll(t, f.course.ID, p)
	by := actingCoordinator(t, f)
	stored := func() string {
		var s string
		must(t, f.store.DB().Get(&s, `SELECT category || ' ' || coalesce(organisation_id::text, '-') FROM enrollments WHERE id = $1`, e.ID))
		return s
	}
	was := stored()
	for _, c := range []struct {
		name  string
		in    domain.EnrollmentCorrection
		field string
	}{
		{"no reason", domain.EnrollmentCorrection{Category: domain.AssociativeActor, OrganisationID: &f.association.ID, Reason: " \n "}, "reason"},
		{"unknown category", domain.EnrollmentCorrection{Category: "ministre", Reason: "x"}, "category"},
		{"no organisation", domain.EnrollmentCorrection{Category: domain.AssociativeActor, Reason: "x"}, "organisation_id"},
		{"wrong kind", domain.EnrollmentCorrection{Category: domain.AssociativeActor, OrganisationID: &f.institution.ID, Reason: "x"}, "organisation_id"},
		{"unknown organisation", domain.EnrollmentCorrection{Category: domain.InstitutionalActor, OrganisationID: ptr(int64(999999)), Reason: "x"}, "organisation_id"},
		{"an adult as a child", domain.EnrollmentCorrection{Category: domain.ChildParliamentarian, Reason: "x"}, "category"},
	} {
		_, err := f.store.CorrectEnrollment(f.ctx, f.course.ID, p.ID, c.in, by)
		wantInvalid(t, err, c.field)
		if now := stored(); now != was {
			t.Fatalf("%s: a refused correction changed the enrolment: %s", c.name, now)
		}
	}
	if _, err := f.store.CorrectEnrollment(f.ctx, f.otherCourse.ID, p.ID, domain.EnrollmentCorrection{
		Category: domain.InstitutionalActor, OrganisationID: &f.institution.ID, Reason: "x"}, by); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("no such enrolment: want not found, got %v", err)
	}
	assertCount(t, f, "audit_log WHERE action = 'enrollment.correct'", 0)

	got, err := f.store.CorrectEnrollment(f.ctx, f.course.ID, p.ID, domain.EnrollmentCorrection{
		Category: domain.AssociativeActor, OrganisationID: &f.association.ID, Reason: "  Agent de l'association, pas du centre.  "}, by)
	must(t, err)
	if got.Category != domain.AssociativeActor || got.OrganisationID == nil || *got.OrganisationID != f.association.ID ||
		got.CurrentCategory != domain.InstitutionalActor {
		t.Fatalf("the corrected enrolment: %+v", got)
	}
	var audit struct {
		Actor  *int64 `db:"actor_id"`
		Before []byte `db:"before"`
		After  []byte `db:"after"`
	}
	must(t, f.store.DB().Get(&audit, `SELECT actor_id, before, after FROM audit_log WHERE action = 'enrollment.correct' AND entity_id = $1`, e.ID))
	var before, after map[string]any
	must(t, json.Unmarshal(audit.Before, &before))
	must(t, json.Unmarshal(audit.After, &after))
	if audit.Actor == nil || *audit.Actor != *by || before["category"] != "institutional_actor" || before["organisation_id"] != float64(f.institution.ID) ||
		after["category"] != "associative_actor" || after["organisation_id"] != float64(f.association.ID) ||
		after["reason"] != "Agent de l'association, pas du centre." {
		t.Fatalf("the audit: by %v, before %v, after %v", audit.Actor, before, after)
	}
	tot := figuresOf(t, f.store)
	if tot.ByCategory.AssociativeActor.Enrolled != 1 || tot.ByCategory.InstitutionalActor.Enrolled != 0 || tot.Associations.Enrolled != 1 {
		t.Fatalf("the figures do not follow the correction: %+v %+v", tot.ByCategory, tot.Associations)
	}
}

// A change of a person's birth year, organisation, category or consent is
// audited with the values before and after, in the change's transaction;
// a minor's birth year only by name.
func TestPersonChangesThatDecideCountingAreAudited(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kid := f.child("طفلة")
	must(t, f.store.CreateTrainee(f.ctx, kid, nil))
	by := actingCoordinator(t, f)
	kid.BirthYear = ptr(2008)
	must(t, f.store.UpdateTrainee(f.ctx, kid, repository.AllCourses(), by))
	kid.Category, kid.OrganisationID, kid.GuardianConsent = domain.AssociativeActor, &f.association.ID, false
	must(t, f.store.UpdateTrainee(f.ctx, kid, repository.AllCourses(), by))
	kid.BirthYear = ptr(2007) // an adult now
	must(t, f.store.UpdateTrainee(f.ctx, kid, repository.AllCourses(), by))
	var rows []struct {
		Before []byte `db:"before"`
		After  []byte `db:"after"`
	}
	must(t, f.store.DB().Select(&rows, `SELECT before, after FROM audit_log WHERE action = 'trainee.update' AND entity_id = $1 ORDER BY id`, kid.ID))
	if len(rows) != 3 {
		t.Fatalf("want 3 audit entries, got %d", len(rows))
	}
	want := []struct{ before, after string }{
		{`{}`, `{"changed": ["birth_year"]}`},
		{`{"category": "child_parliamentarian", "organisation_id": null, "guardian_consent": true}`,
			`{"changed": ["category", "organisation_id", "guardian_consent"], "category": "associative_actor", "organisation_id": ` +
				jsonOf(t, f.association.ID) + `, "guardian_consent": false}`},
		{`{"birth_year": 2008}`, `{"changed": ["birth_year"], "birth_year": 2007}`},
	}
	for i, r := range rows {
		if !sameJSON(t, r.Before, want[i].before) || !sameJSON(t, r.After, want[i].after) {
			t.Errorf("change %d: before %s, after %s; want %s, %s", i, r.Before, r.After, want[i].before, want[i].after)
		}
	}
}

// actingCoordinator makes a user to act as, and answers its id.
func actingCoordinator(t *testing.T, f *fixture) *int64 {
	t.Helper()
	var id int64
	must(t, f.store.DB().Get(&id, `INSERT INTO users (email, name, role, password_hash) VALUES ('coord@snapshot.ma', 'Coord', 'coordinator', 'x') RETURNING id`))
	return &id
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}

func sameJSON(t *testing.T, got []byte, want string) bool {
	var g, w any
	must(t, json.Unmarshal(got, &g))
	must(t, json.Unmarshal([]byte(want), &w))
	return jsonOf(t, g) == jsonOf(t, w)
}

// figuresOf is the national figures as the dashboard reads them (the cube
// and the journal).
func figuresOf(t *testing.T, store *repository.Store) *domain.Totals {
	t.Helper()
	tot, err := store.Totals(context.Background(), domain.TotalsFilter{})
	must(t, err)
	return tot
}
