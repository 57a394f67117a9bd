package repository

import (
	"context"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// An enrolment keeps what the person was when enrolled: their category and
// organisation (migration 00014 fills them at insert from the person's
// row). Every figure counts from them, so that reclassifying a person or
// moving them to another organisation changes their future enrolments only.
// A wrong value on one enrolment is a coordinator's to correct, with a
// reason, audited (CorrectEnrollment).

// EnrolledAs is one enrolment's record of the person as enrolled, and of the
// person now (to compare).
type EnrolledAs struct {
	EnrollmentID     int64                    `db:"enrollment_id" json:"enrollment_id"`
	CourseID         int64                    `db:"course_id" json:"course_id"`
	TraineeID        int64                    `db:"trainee_id" json:"trainee_id"`
	FullNameAr       *string                  `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin    *string                  `db:"full_name_latin" json:"full_name_latin"`
	Category         domain.Category          `db:"category" json:"category"`
	OrganisationID   *int64                   `db:"organisation_id" json:"organisation_id"`
	OrganisationKind *domain.OrganisationKind `db:"organisation_kind" json:"organisation_kind"`
	OrganisationName *string                  `db:"organisation_name" json:"organisation_name"`
	// The person's row today.
	CurrentCategory       domain.Category `db:"current_category" json:"current_category"`
	CurrentOrganisationID *int64          `db:"current_organisation_id" json:"current_organisation_id"`
}

const enrolledAsSQL = `SELECT e.id AS enrollment_id, e.course_id, e.trainee_id, t.full_name_ar, t.full_name_latin,
       e.category, e.organisation_id, e.organisation_kind, coalesce(o.name_ar, o.name_fr) AS organisation_name,
       t.category AS current_category, t.organisation_id AS current_organisation_id
  FROM enrollments e
  JOIN trainees t ON t.id = e.trainee_id
  LEFT JOIN organisations o ON o.id = e.organisation_id
 WHERE e.course_id = $1 AND e.trainee_id = $2`

// EnrolledAs reads what the enrolment of a person in a course keeps of
// them; no such enrolment is domain.ErrNotFound.
func (s *Store) EnrolledAs(ctx context.Context, courseID, traineeID int64) (_ *EnrolledAs, err error) {
	defer wrap(&err, "EnrolledAs %d/%d", courseID, traineeID)
	var e EnrolledAs
	if err := getOne(ctx, s.db, &e, enrolledAsSQL, courseID, traineeID); err != nil {
		return nil, err
	}
	return &e, nil
}

// CorrectEnrollment sets the category and organisation that one enrolment
// counts the person in, as by (a coordinator: the route's guard), audited
// with the values before and after and the reason, in one transaction.
// Invalid input (no reason, an organisation of the wrong kind, a child
// parliamentarian who was not a minor in the course year) is a
// *domain.ValidationError and changes nothing; no such enrolment is
// domain.ErrNotFound. The person's own row is left as it is.
func (s *Store) CorrectEnrollment(ctx context.Context, courseID, traineeID int64, c domain.EnrollmentCorrection, by *int64) (_ *EnrolledAs, err error) {
	defer wrap(&err, "CorrectEnrollment %d/%d", courseID, traineeID)
	c.Normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var out *EnrolledAs
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before struct {
			ID             int64           `db:"id"`
			Category       domain.Category `db:"category"`
			OrganisationID *int64          `db:"organisation_id"`
			BirthYear      *int            `db:"birth_year"`
			CourseYear     int             `db:"course_year"`
		}
		const lock = `SELECT e.id, e.category, e.organisation_id, t.birth_year, co.year AS course_year
		  FROM enrollments e JOIN trainees t ON t.id = e.trainee_id JOIN courses co ON co.id = e.course_id
		 WHERE e.course_id = $1 AND e.trainee_id = $2 FOR UPDATE OF e`
		if err := getOne(ctx, tx, &before, lock, courseID, traineeID); err != nil {
			return err
		}
		if err := childWasMinor(c.Category, before.BirthYear, before.CourseYear); err != nil {
			return err
		}
		kind, err := correctionOrganisationKind(ctx, tx, c)
		if err != nil {
			return err
		}
		const q = `UPDATE enrollments SET category = $2, organisation_id = $3, organisation_kind = $4 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, before.ID, c.Category, c.OrganisationID, kind); err != nil {
			return mapError(err)
		}
		if err := writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "enrollment.correct", Entity: "enrollment", EntityID: &before.ID,
			Before: map[string]any{"category": before.Category, "organisation_id": before.OrganisationID},
			After:  map[string]any{"category": c.Category, "organisation_id": c.OrganisationID, "reason": c.Reason}}); err != nil {
			return err
		}
		// The certificate says the category: a changed one is revoked and reissued.
		if err := recheckCertificates(ctx, tx, courseID, by); err != nil {
			return err
		}
		out = &EnrolledAs{}
		return getOne(ctx, tx, out, enrolledAsSQL, courseID, traineeID)
	})
	return out, err
}

// childWasMinor applies the minor's rule to a correction: an enrolment
// counted as a child parliamentarian's is a minor's in the course year.
func childWasMinor(category domain.Category, birthYear *int, courseYear int) error {
	if category != domain.ChildParliamentarian {
		return nil
	}
	if birthYear == nil {
		return domain.Invalid("category", "trainee.child_birth_year_required")
	}
	if !domain.IsMinorIn(*birthYear, courseYear) {
		return domain.Invalid("category", "enrollment.child_not_minor")
	}
	return nil
}

// correctionOrganisationKind checks the correction's organisation as the
// person's own is checked (it exists; its kind suits the category), and
// answers its kind (nil: none).
func correctionOrganisationKind(ctx context.Context, tx *sqlx.Tx, c domain.EnrollmentCorrection) (*domain.OrganisationKind, error) {
	return organisationKindFor(ctx, tx, &domain.Trainee{Category: c.Category, OrganisationID: c.OrganisationID})
}
