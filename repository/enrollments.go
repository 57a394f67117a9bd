package repository

import (
	"context"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// EnrollOptions says who enrols and whether a full course may take one more.
type EnrollOptions struct {
	By               *int64 // the user enrolling, nil for the system (seed, import)
	OverrideCapacity bool   // coordinators may enrol beyond capacity
}

// Enroll enrols a trainee in a course, in one transaction.
func (s *Store) Enroll(ctx context.Context, courseID, traineeID int64, opt EnrollOptions) (*domain.Enrollment, error) {
	enrol, err := s.enrolStatements(ctx)
	if err != nil {
		return nil, err
	}
	var e *domain.Enrollment
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		e, err = enrol.run(ctx, tx, courseID, traineeID, opt)
		return err
	})
	return e, err
}

// enrolStatements are an enrolment's two statements, prepared (the
// busiest write of a trainer's day; see Store.statement).
type enrolStatements struct {
	lock, insert *preparedQuery
}

// The course row is locked so that two trainers enrolling the last place
// at once cannot both succeed; its places_taken counter is kept by a
// trigger (migration 00007).
const enrolLockSQL = `SELECT capacity, archived, places_taken FROM courses WHERE id = $1 FOR UPDATE`

// The enrolment and its audit entry in one statement.
const enrolInsertSQL = `WITH e AS (
    INSERT INTO enrollments (trainee_id, course_id, enrolled_by) VALUES ($1, $2, $3)
    RETURNING id, trainee_id, course_id, status, enrolled_by, enrolled_at, withdrawn_at
), logged AS (
    INSERT INTO audit_log (actor_id, action, entity, entity_id, after)
    SELECT $3, 'enrollment.create', 'enrollment', e.id, jsonb_build_object('course_id', e.course_id, 'trainee_id', e.trainee_id)
      FROM e
)
SELECT id, trainee_id, course_id, status, enrolled_by, enrolled_at, withdrawn_at FROM e`

// enrolStatements prepares them; call it before beginning the transaction.
func (s *Store) enrolStatements(ctx context.Context) (enrolStatements, error) {
	lock, err := s.statement(ctx, enrolLockSQL)
	if err != nil {
		return enrolStatements{}, err
	}
	insert, err := s.statement(ctx, enrolInsertSQL)
	return enrolStatements{lock: lock, insert: insert}, err
}

// run checks that the course is open and has room, then inserts the
// enrolment, in tx.
func (en enrolStatements) run(ctx context.Context, tx *sqlx.Tx, courseID, traineeID int64, opt EnrollOptions) (*domain.Enrollment, error) {
	var course struct {
		Capacity int  `db:"capacity"`
		Archived bool `db:"archived"`
		Taken    int  `db:"places_taken"`
	}
	if err := en.lock.get(ctx, tx, &course, courseID); err != nil {
		return nil, err
	}
	if course.Archived {
		return nil, domain.Invalid("course_id", "course.archived")
	}
	if course.Taken >= course.Capacity && !opt.OverrideCapacity {
		return nil, domain.Invalid("course_id", "enrollment.course_full")
	}
	var e domain.Enrollment
	if err := en.insert.get(ctx, tx, &e, traineeID, courseID, opt.By); err != nil {
		return nil, err
	}
	return &e, nil
}

// EnrollNew creates a trainee and enrols them in one transaction: if the
// enrolment is refused (course full, archived…), the person is not created.
func (s *Store) EnrollNew(ctx context.Context, courseID int64, t *domain.Trainee, opt EnrollOptions) (*domain.Enrollment, error) {
	enrol, err := s.enrolStatements(ctx)
	if err != nil {
		return nil, err
	}
	var e *domain.Enrollment
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := createTrainee(ctx, tx, t); err != nil {
			return err
		}
		var err error
		e, err = enrol.run(ctx, tx, courseID, t.ID, opt)
		return err
	})
	return e, err
}

// Withdraw marks a trainee's enrolment withdrawn. The enrolment and its
// attendance stay: the history of what happened is kept. Withdrawing twice
// changes nothing; no enrolment at all is domain.ErrNotFound.
func (s *Store) Withdraw(ctx context.Context, courseID, traineeID int64, by *int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var e struct {
			ID     int64                   `db:"id"`
			Status domain.EnrollmentStatus `db:"status"`
		}
		const lock = `SELECT id, status FROM enrollments WHERE course_id = $1 AND trainee_id = $2 FOR UPDATE`
		if err := getOne(ctx, tx, &e, lock, courseID, traineeID); err != nil {
			return err
		}
		if e.Status == domain.Withdrawn {
			return nil
		}
		const q = `UPDATE enrollments SET status = 'withdrawn', withdrawn_at = now() WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, e.ID); err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "enrollment.withdraw", Entity: "enrollment", EntityID: &e.ID,
			Before: map[string]string{"status": string(e.Status)}, After: map[string]string{"status": "withdrawn"}})
	})
}

// EnrollNewWithOrganisation is EnrollNew for a person whose organisation is
// new too (typed into the enrolment form): the organisation, the person and
// the enrolment are saved together or not at all.
func (s *Store) EnrollNewWithOrganisation(ctx context.Context, courseID int64, t *domain.Trainee, org *domain.Organisation, opt EnrollOptions) (*domain.Enrollment, error) {
	if org == nil {
		return s.EnrollNew(ctx, courseID, t, opt)
	}
	enrol, err := s.enrolStatements(ctx)
	if err != nil {
		return nil, err
	}
	var e *domain.Enrollment
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := createOrganisation(ctx, tx, org); err != nil {
			return err
		}
		t.OrganisationID = &org.ID
		if err := createTrainee(ctx, tx, t); err != nil {
			return err
		}
		var err error
		e, err = enrol.run(ctx, tx, courseID, t.ID, opt)
		return err
	})
	if err != nil {
		t.OrganisationID = nil
	}
	return e, err
}
