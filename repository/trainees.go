package repository

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

const traineeSelect = `SELECT t.id, t.category, t.full_name_ar, t.full_name_latin, t.sex, t.birth_year,
       t.organisation_id, p.code AS province, t.phone, t.email, t.national_id, t.guardian_consent
  FROM trainees t LEFT JOIN provinces p ON p.id = t.province_id`

// CreateTrainee validates and stores a trainee. A national ID already on
// record is a conflict: the same CIN is always the same person.
func (s *Store) CreateTrainee(ctx context.Context, t *domain.Trainee) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return createTrainee(ctx, tx, t) })
}

func createTrainee(ctx context.Context, tx *sqlx.Tx, t *domain.Trainee) error {
	if err := t.Validate(time.Now()); err != nil {
		return err
	}
	kind, err := organisationKindFor(ctx, tx, t)
	if err != nil {
		return err
	}
	provinceID, err := provinceID(ctx, tx, t.Province)
	if err != nil {
		return err
	}
	const q = `INSERT INTO trainees (category, full_name_ar, full_name_latin, name_key, sex, birth_year,
	                                 organisation_id, organisation_kind, province_id, phone, email, national_id, guardian_consent)
	           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`
	return getOne(ctx, tx, &t.ID, q, t.Category, t.FullNameAr, t.FullNameLatin, t.NameKey(), t.Sex, t.BirthYear,
		t.OrganisationID, kind, provinceID, t.Phone, t.Email, t.NationalID, t.GuardianConsent)
}

// organisationKindFor looks up the trainee's organisation and checks that its
// kind suits the category: an institution for an institutional actor, an
// association for an associative actor.
func organisationKindFor(ctx context.Context, q sqlx.QueryerContext, t *domain.Trainee) (*domain.OrganisationKind, error) {
	if t.OrganisationID == nil {
		return nil, nil
	}
	var kind domain.OrganisationKind
	err := getOne(ctx, q, &kind, `SELECT kind FROM organisations WHERE id = $1`, *t.OrganisationID)
	if isNotFound(err) {
		return nil, domain.Invalid("organisation_id", "trainee.organisation_unknown")
	}
	if err != nil {
		return nil, err
	}
	if want := t.Category.OrganisationKind(); want != "" && kind != want {
		key := "trainee.institution_required"
		if want == domain.Association {
			key = "trainee.association_required"
		}
		return nil, domain.Invalid("organisation_id", key)
	}
	return &kind, nil
}

// Trainee finds a trainee by id.
func (s *Store) Trainee(ctx context.Context, id int64) (*domain.Trainee, error) {
	var t domain.Trainee
	if err := getOne(ctx, s.db, &t, traineeSelect+` WHERE t.id = $1`, id); err != nil {
		return nil, err
	}
	return &t, nil
}
