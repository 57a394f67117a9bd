package repository_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func TestMigrateUpFromEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := repository.Open(ctx, dbtest.EmptyDatabase(t), repository.PoolConfig{})
	must(t, err)
	defer store.Close()
	must(t, store.Migrate(ctx))
	must(t, store.Migrate(ctx)) // a second run is a no-op

	regions, err := store.Regions(ctx)
	must(t, err)
	if len(regions) != 12 {
		t.Fatalf("want the 12 regions of Morocco, got %d", len(regions))
	}
	var tables int
	must(t, store.DB().Get(&tables, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name = ANY('{programmes,courses,sessions,organisations,trainees,enrollments,attendance,users,course_trainers,audit_log,provinces}')`))
	if tables != 11 {
		t.Fatalf("want 11 core tables, got %d", tables)
	}
}

func TestChildParliamentarianWithPhoneIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	child := f.child("ياسين")
	child.Phone = ptr("0612345678")
	wantInvalid(t, f.store.CreateTrainee(f.ctx, child, nil), "phone")

	// The database refuses it too, whatever the Go code does.
	_, err := f.store.DB().Exec(`INSERT INTO trainees (category, full_name_ar, name_key, sex, birth_year, phone)
		VALUES ('child_parliamentarian', 'ياسين', 'ياسين', 'male', 2006, '0612345678')`)
	wantCheckViolation(t, err, "trainees_child_minimal_data")
	assertCount(t, f, "trainees", 0)
}

func TestChildParliamentarianNeedsConsentAndBirthYear(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	child := f.child("سلمى")
	child.GuardianConsent = false
	child.BirthYear = nil
	err := f.store.CreateTrainee(f.ctx, child, nil)
	wantInvalid(t, err, "guardian_consent")
	wantInvalid(t, err, "birth_year")
	_, err = f.store.DB().Exec(`INSERT INTO trainees (category, full_name_ar, name_key, sex)
		VALUES ('child_parliamentarian', 'سلمى', 'سلمى', 'female')`)
	wantCheckViolation(t, err, "trainees_child_minimal_data")
}

// The database itself enrols a child parliamentarian only with an active
// consent for training (issue 18): a raw INSERT without one is refused, one
// with a consent passes, and once it is withdrawn neither a new enrolment
// nor making a withdrawn one current again passes.
func TestChildEnrolmentNeedsAnActiveConsentInTheDatabase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	db := f.store.DB()
	coordinator := f.user(t, "consent@example.ma")
	var child int64
	must(t, db.Get(&child, `INSERT INTO trainees (category, full_name_ar, name_key, sex, birth_year)
		VALUES ('child_parliamentarian', 'سلمى', 'سلمى', 'female', 2008) RETURNING id`))
	enrolRaw := func(course int64) error {
		_, err := db.Exec(`INSERT INTO enrollments (trainee_id, course_id) VALUES ($1, $2)`, child, course)
		return err
	}
	wantCheckViolation(t, enrolRaw(f.course.ID), "enrollments_child_consent")
	// A consent for photographs only is no consent for training.
	db.MustExec(`INSERT INTO consents (trainee_id, scope, method, wording_version, given_on, recorded_by)
		VALUES ($1, 'photographs', 'signed_form', 'v1', '2019-01-10', $2)`, child, coordinator.ID)
	wantCheckViolation(t, enrolRaw(f.course.ID), "enrollments_child_consent")
	db.MustExec(`INSERT INTO consents (trainee_id, scope, method, wording_version, given_on, recorded_by)
		VALUES ($1, 'training', 'signed_form', 'v1', '2019-01-10', $2)`, child, coordinator.ID)
	must(t, enrolRaw(f.course.ID))
	db.MustExec(`UPDATE enrollments SET status = 'withdrawn' WHERE trainee_id = $1`, child)

	db.MustExec(`UPDATE consents SET withdrawn_at = now(), withdrawn_by = $2 WHERE trainee_id = $1`, child, coordinator.ID)
	other := f.newCourse(t, "C-2")
	wantCheckViolation(t, enrolRaw(other.ID), "enrollments_child_consent")
	_, err := db.Exec(`UPDATE enrollments SET status = 'enrolled' WHERE trainee_id = $1`, child)
	wantCheckViolation(t, err, "enrollments_child_consent")
	// The store says why, on the person's field.
	_, err = f.store.Enroll(f.ctx, other.ID, child, repository.EnrollOptions{}, nil)
	wantInvalid(t, err, "trainee_id")
	// A consent recorded by nobody is refused (only the migration's are).
	_, err = db.Exec(`INSERT INTO consents (trainee_id, scope, method, wording_version, given_on)
		VALUES ($1, 'training', 'signed_form', 'v1', '2019-01-10')`, child)
	wantCheckViolation(t, err, "consents_asserted_by")
}

func TestChildParliamentarianMustBeAMinorInTheCourseYear(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	adult := f.child("كريم")
	adult.BirthYear = ptr(1995) // 24 in 2019
	must(t, f.store.CreateTrainee(f.ctx, adult, nil))
	_, err := f.store.Enroll(f.ctx, f.course.ID, adult.ID, repository.EnrollOptions{}, nil)
	wantInvalid(t, err, "birth_year")

	minor := f.child("سلمى")
	must(t, f.store.CreateTrainee(f.ctx, minor, nil))
	if _, err := f.store.Enroll(f.ctx, f.course.ID, minor.ID, repository.EnrollOptions{}, nil); err != nil {
		t.Fatalf("a 13-year-old child parliamentarian enrols: %v", err)
	}
}

func TestActorsBelongToTheRightKindOfOrganisation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wrong := f.institutionalActor("Amina Tazi")
	wrong.OrganisationID = &f.association.ID
	wantInvalid(t, f.store.CreateTrainee(f.ctx, wrong, nil), "organisation_id")

	_, err := f.store.DB().Exec(`INSERT INTO trainees (category, full_name_latin, name_key, sex, organisation_id, organisation_kind)
		VALUES ('institutional_actor', 'Amina', 'amina', 'female', $1, 'association')`, f.association.ID)
	wantCheckViolation(t, err, "trainees_institutional_actor")

	noOrg := &domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Said"), Sex: domain.Male}
	wantInvalid(t, f.store.CreateTrainee(f.ctx, noOrg, nil), "organisation_id")
	// A kind that lies about the organisation is caught by the composite foreign key.
	_, err = f.store.DB().Exec(`INSERT INTO trainees (category, full_name_latin, name_key, sex, organisation_id, organisation_kind)
		VALUES ('associative_actor', 'Said', 'said', 'male', $1, 'association')`, f.institution.ID)
	if pq.As(err, pqerror.ForeignKeyViolation) == nil {
		t.Fatalf("want a foreign key violation, got %v", err)
	}
}

func TestDuplicateNationalIDIsAConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.institutionalActor("Nadia Alaoui")
	first.NationalID = ptr("AB123456")
	must(t, f.store.CreateTrainee(f.ctx, first, nil))
	second := f.institutionalActor("Nadia El Alaoui")
	second.NationalID = ptr(" ab123456 ") // typed differently, same CIN
	err := f.store.CreateTrainee(f.ctx, second, nil)
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("want domain.ErrConflict, got %v", err)
	}
	assertCount(t, f, "trainees", 1)
}

func TestAttendanceForAnotherCoursesSessionIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.institutionalActor("Hélène Aït-Lahcen")
	must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	e, err := f.store.Enroll(f.ctx, f.course.ID, tr.ID, repository.EnrollOptions{}, nil)
	must(t, err)

	err = f.store.SaveAttendance(f.ctx, f.otherSess.ID, []repository.Mark{{TraineeID: tr.ID, Status: domain.Present}}, nil)
	wantInvalid(t, err, "trainee_id")
	assertCount(t, f, "attendance", 0)

	// Written directly, the composite foreign keys refuse the cross-course mark.
	_, err = f.store.DB().Exec(`INSERT INTO attendance (enrollment_id, session_id, course_id, status)
		VALUES ($1, $2, $3, 'present')`, e.ID, f.otherSess.ID, f.course.ID)
	if pq.As(err, pqerror.ForeignKeyViolation) == nil {
		t.Fatalf("want a foreign key violation, got %v", err)
	}

	must(t, f.store.SaveAttendance(f.ctx, f.session.ID, []repository.Mark{{TraineeID: tr.ID, Status: domain.Present}}, nil))
	assertCount(t, f, "attendance", 1)
}

func TestDoubleEnrolmentIsAConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.institutionalActor("Youssef Benali")
	must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	_, err := f.store.Enroll(f.ctx, f.course.ID, tr.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	_, err = f.store.Enroll(f.ctx, f.course.ID, tr.ID, repository.EnrollOptions{}, nil)
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("want domain.ErrConflict, got %v", err)
	}
	assertCount(t, f, "enrollments", 1)
}

func TestSessionMustEndAfterItStarts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.store.DB().Exec(`INSERT INTO sessions (course_id, starts_at, ends_at, hours) VALUES ($1, now(), now() - interval '1 hour', 1)`, f.course.ID)
	if pq.As(err, pqerror.CheckViolation) == nil {
		t.Fatalf("want a check violation, got %v", err)
	}
}

func TestArabicAndFrenchNamesRoundTripByteForByte(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tr := f.institutionalActor("Hélène Aït-Lahcen")
	tr.FullNameAr = ptr("فاطمة الزهراء بنعلي")
	must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	got, err := f.store.Trainee(f.ctx, tr.ID)
	must(t, err)
	if *got.FullNameAr != "فاطمة الزهراء بنعلي" || *got.FullNameLatin != "Hélène Aït-Lahcen" {
		t.Fatalf("names changed on the way: %q / %q", *got.FullNameAr, *got.FullNameLatin)
	}
	if _, err := f.store.Trainee(f.ctx, tr.ID+1000); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an unknown id: want domain.ErrNotFound, got %v", err)
	}
}

func wantCheckViolation(t *testing.T, err error, constraint string) {
	t.Helper()
	pqErr := pq.As(err, pqerror.CheckViolation)
	if pqErr == nil || pqErr.Constraint != constraint {
		t.Fatalf("want check violation of %s, got %v", constraint, err)
	}
}

func assertCount(t *testing.T, f *fixture, table string, want int) {
	t.Helper()
	var got int
	must(t, f.store.DB().Get(&got, "SELECT count(*) FROM "+table))
	if got != want {
		t.Fatalf("%s: want %d rows, got %d", table, want, got)
	}
}
