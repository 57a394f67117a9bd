package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// EnrollOptions says whether a full course may take one more, and which
// cached API token the enrolment confirms (Enroll only).
type EnrollOptions struct {
	OverrideCapacity bool // coordinators may enrol beyond capacity
	// Token, when set, is the API token the request was authenticated with
	// from the server's cache, not from the database: the enrolment
	// statement confirms it is still live, or refuses (ErrTokenNotConfirmed).
	Token *TokenToConfirm
}

// TokenToConfirm is an API token (its hash) and the role the server took
// its user to have.
type TokenToConfirm struct {
	Hash []byte // domain.HashSecret of the token
	Role domain.Role
}

// Enroll enrols a trainee in a course as by (nil for the system: the demo
// seed), audited in the same statement: one round trip to PostgreSQL and
// its own transaction.
func (s *Store) Enroll(ctx context.Context, courseID, traineeID int64, opt EnrollOptions, by *int64) (_ *domain.Enrollment, err error) {
	defer wrap(&err, "Enroll")
	stmt, err := s.statement(ctx, enrolSQL)
	if err != nil {
		return nil, err
	}
	if CorrectionOf(ctx) == "" {
		return enrol(ctx, nil, stmt, courseID, traineeID, opt, by)
	}
	var e *domain.Enrollment // a closed course's correction: its reason first (lifecycle.go)
	err = s.inTx(ctx, func(tx *sqlx.Tx) (err error) {
		e, err = enrol(ctx, tx, stmt, courseID, traineeID, opt, by)
		return err
	})
	return e, err
}

// enrolSQL locks the course row (two trainers enrolling the last place at
// once cannot both succeed: the second reads the first's place taken once
// it commits), inserts the enrolment and its audit entry if the course is
// open and has room, and answers the course's state, so that a refusal can
// say why. places_taken is kept by a trigger (migration 00007); a closed
// course is refused by another (00016: ErrCourseClosed). Prepared (see
// Store.statement): it is the busiest write of a trainer's day.
//
// When the request's user came from the server's token cache ($5, the
// token's hash, not null: EnrollOptions.Token), the statement first
// confirms that the token is still live and still its user's, with the
// role the server acted on ($6): else it touches nothing and answers
// confirmed = false, which is the same refusal as an unknown token. An
// enrolment is then one round trip. With $5 null, who is not read.
const enrolSQL = `WITH who AS (
    SELECT $5::bytea IS NULL OR EXISTS (
        SELECT FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $5 AND t.revoked_at IS NULL AND u.active AND u.id = $3 AND u.role = $6) AS confirmed
), c AS (
    SELECT id, archived, places_taken < capacity OR $4 AS has_room FROM courses
     WHERE id = $2 AND (SELECT confirmed FROM who) FOR UPDATE
), e AS (
    INSERT INTO enrollments (trainee_id, course_id, enrolled_by)
    SELECT $1, c.id, $3 FROM c WHERE NOT c.archived AND c.has_room
    RETURNING id, status, enrolled_at
), logged AS (
    INSERT INTO audit_log (actor_id, action, entity, entity_id, after, trainee_id, course_id)
    SELECT $3, 'enrollment.create', 'enrollment', e.id,
           jsonb_build_object('course_id', $2::bigint, 'trainee_id', $1::bigint, 'status', e.status), $1, $2
      FROM e
)
SELECT who.confirmed, c.id IS NOT NULL AS found, coalesce(c.archived, false) AS archived, coalesce(c.has_room, false) AS has_room,
       e.id, e.status, e.enrolled_at
  FROM who LEFT JOIN c ON true LEFT JOIN e ON true`

// ErrTokenNotConfirmed: the cached token the enrolment was to confirm is
// revoked, or its user deactivated or given another role. The server
// forgets it; the request is refused as an unknown token's would be.
var ErrTokenNotConfirmed = fmt.Errorf("the API token is no longer valid: %w", domain.ErrUnauthenticated)

// enrol runs enrolSQL in tx (nil: on its own). A missing course is
// domain.ErrNotFound; an archived or full one a validation error.
func enrol(ctx context.Context, tx *sqlx.Tx, stmt *preparedQuery, courseID, traineeID int64, opt EnrollOptions, by *int64) (*domain.Enrollment, error) {
	var r struct {
		Confirmed  bool                     `db:"confirmed"`
		Found      bool                     `db:"found"`
		Archived   bool                     `db:"archived"`
		HasRoom    bool                     `db:"has_room"`
		ID         *int64                   `db:"id"`
		Status     *domain.EnrollmentStatus `db:"status"`
		EnrolledAt *time.Time               `db:"enrolled_at"`
	}
	var hash, role any // null: the request's user was read from the database
	if opt.Token != nil {
		hash, role = opt.Token.Hash, string(opt.Token.Role)
	}
	if err := stmt.get(ctx, tx, &r, traineeID, courseID, by, opt.OverrideCapacity, hash, role); err != nil {
		return nil, err
	}
	switch {
	case !r.Confirmed:
		return nil, ErrTokenNotConfirmed
	case !r.Found:
		return nil, notFound("course")
	case r.Archived:
		return nil, domain.Invalid("course_id", "course.archived")
	case !r.HasRoom:
		return nil, domain.Invalid("course_id", "enrollment.course_full")
	case r.ID == nil || r.Status == nil || r.EnrolledAt == nil:
		return nil, fmt.Errorf("enrol %d in %d: no enrolment returned", traineeID, courseID)
	}
	return &domain.Enrollment{ID: *r.ID, TraineeID: traineeID, CourseID: courseID, Status: *r.Status,
		EnrolledBy: by, EnrolledAt: *r.EnrolledAt}, nil
}

// EnrollNew creates a trainee and enrols them in one transaction, as by: if
// the enrolment is refused (course full, archived…), the person is not created.
func (s *Store) EnrollNew(ctx context.Context, courseID int64, t *domain.Trainee, opt EnrollOptions, by *int64) (_ *domain.Enrollment, err error) {
	defer wrap(&err, "EnrollNew")
	stmt, err := s.statement(ctx, enrolSQL)
	if err != nil {
		return nil, err
	}
	var e *domain.Enrollment
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := createTrainee(ctx, tx, t, by); err != nil {
			return err
		}
		var err error
		e, err = enrol(ctx, tx, stmt, courseID, t.ID, opt, by)
		return err
	})
	return e, err
}

// Withdraw marks a trainee's enrolment withdrawn. The enrolment and its
// attendance stay: the history of what happened is kept. Withdrawing twice
// changes nothing; no enrolment at all is domain.ErrNotFound.
func (s *Store) Withdraw(ctx context.Context, courseID, traineeID int64, by *int64) (err error) {
	defer wrap(&err, "Withdraw")
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
		if err := writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "enrollment.withdraw", Entity: "enrollment", EntityID: &e.ID,
			Before: map[string]string{"status": string(e.Status)}, After: map[string]string{"status": "withdrawn"},
			TraineeID: &traineeID, CourseID: &courseID}); err != nil {
			return err
		}
		return recheckCertificates(ctx, tx, courseID, by) // a withdrawn enrolment holds no certificate
	})
}

// EnrollNewWithOrganisation is EnrollNew for a person whose organisation is
// new too (typed into the enrolment form): the organisation, the person and
// the enrolment are saved together or not at all.
func (s *Store) EnrollNewWithOrganisation(ctx context.Context, courseID int64, t *domain.Trainee, org *domain.Organisation, opt EnrollOptions, by *int64) (_ *domain.Enrollment, err error) {
	defer wrap(&err, "EnrollNewWithOrganisation")
	if org == nil {
		return s.EnrollNew(ctx, courseID, t, opt, by)
	}
	stmt, err := s.statement(ctx, enrolSQL)
	if err != nil {
		return nil, err
	}
	var e *domain.Enrollment
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := createOrganisation(ctx, tx, org, by); err != nil {
			return err
		}
		t.OrganisationID = &org.ID
		if err := createTrainee(ctx, tx, t, by); err != nil {
			return err
		}
		var err error
		e, err = enrol(ctx, tx, stmt, courseID, t.ID, opt, by)
		return err
	})
	if err != nil {
		t.OrganisationID = nil
	}
	return e, err
}
