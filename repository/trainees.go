package repository

import (
	"context"
	"strings"
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

// TraineeMatch is a search result: enough to recognise a person and enrol
// them, with the organisation's name for context.
type TraineeMatch struct {
	domain.Trainee
	OrganisationName *string `db:"organisation_name" json:"organisation_name"`
}

// SearchTrainees finds people by name (Arabic or Latin script, insensitive to
// case, accents and Arabic diacritics), phone or national ID.
func (s *Store) SearchTrainees(ctx context.Context, query string, limit int) ([]TraineeMatch, error) {
	key := domain.SearchKey(query)
	if key == "" {
		return []TraineeMatch{}, nil
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	probe := domain.Trainee{Phone: &query, NationalID: &query}
	probe.Normalize()
	const q = `SELECT t.id, t.category, t.full_name_ar, t.full_name_latin, t.sex, t.birth_year,
	       t.organisation_id, p.code AS province, t.phone, t.email, t.national_id, t.guardian_consent,
	       coalesce(o.name_ar, o.name_fr) AS organisation_name
	  FROM trainees t
	  LEFT JOIN provinces p ON p.id = t.province_id
	  LEFT JOIN organisations o ON o.id = t.organisation_id
	 WHERE t.name_key LIKE '%' || $1 || '%' OR t.phone = $2 OR t.national_id = $3
	 ORDER BY (t.national_id = $3 OR t.phone = $2) DESC, t.name_key
	 LIMIT $4`
	matches := []TraineeMatch{}
	err := s.db.SelectContext(ctx, &matches, q, escapeLike(key), *probe.Phone, *probe.NationalID, limit)
	return matches, mapError(err)
}

// escapeLike makes % and _ in a user's query match themselves.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// PossibleDuplicates lists people with the same folded name, birth year and
// organisation as t: probably the same person, whom the user should enrol
// instead of creating a new record.
func (s *Store) PossibleDuplicates(ctx context.Context, t *domain.Trainee) ([]TraineeMatch, error) {
	probe := *t
	probe.Normalize()
	const q = traineeSelect + ` WHERE t.name_key = $1 AND t.birth_year IS NOT DISTINCT FROM $2
	   AND t.organisation_id IS NOT DISTINCT FROM $3 AND t.id <> $4 LIMIT 10`
	var found []domain.Trainee
	if err := s.db.SelectContext(ctx, &found, q, probe.NameKey(), probe.BirthYear, probe.OrganisationID, probe.ID); err != nil {
		return nil, mapError(err)
	}
	matches := make([]TraineeMatch, len(found))
	for i := range found {
		matches[i].Trainee = found[i]
	}
	return matches, nil
}

// UpdateTrainee validates and saves a trainee's fields, logging the change.
func (s *Store) UpdateTrainee(ctx context.Context, t *domain.Trainee, by *int64) error {
	if err := t.Validate(time.Now()); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before domain.Trainee
		if err := getOne(ctx, tx, &before, traineeSelect+` WHERE t.id = $1 FOR UPDATE OF t`, t.ID); err != nil {
			return err
		}
		kind, err := organisationKindFor(ctx, tx, t)
		if err != nil {
			return err
		}
		province, err := provinceID(ctx, tx, t.Province)
		if err != nil {
			return err
		}
		const q = `UPDATE trainees SET category = $2, full_name_ar = $3, full_name_latin = $4, name_key = $5, sex = $6,
		                  birth_year = $7, organisation_id = $8, organisation_kind = $9, province_id = $10,
		                  phone = $11, email = $12, national_id = $13, guardian_consent = $14
		            WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, t.ID, t.Category, t.FullNameAr, t.FullNameLatin, t.NameKey(), t.Sex,
			t.BirthYear, t.OrganisationID, kind, province, t.Phone, t.Email, t.NationalID, t.GuardianConsent); err != nil {
			return mapError(err)
		}
		// The audit log records which fields changed, not the personal data itself.
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "trainee.update", Entity: "trainee", EntityID: &t.ID,
			After: map[string]any{"changed": changedFields(&before, t)}})
	})
}

// changedFields names the fields whose value differs between two versions.
func changedFields(a, b *domain.Trainee) []string {
	var changed []string
	differs := func(x, y *string) bool { return (x == nil) != (y == nil) || (x != nil && *x != *y) }
	if a.Category != b.Category {
		changed = append(changed, "category")
	}
	if differs(a.FullNameAr, b.FullNameAr) {
		changed = append(changed, "full_name_ar")
	}
	if differs(a.FullNameLatin, b.FullNameLatin) {
		changed = append(changed, "full_name_latin")
	}
	if a.Sex != b.Sex {
		changed = append(changed, "sex")
	}
	if differs(a.Phone, b.Phone) {
		changed = append(changed, "phone")
	}
	if differs(a.Email, b.Email) {
		changed = append(changed, "email")
	}
	if differs(a.NationalID, b.NationalID) {
		changed = append(changed, "national_id")
	}
	if differs(a.Province, b.Province) {
		changed = append(changed, "province")
	}
	return changed
}

// TraineeInTrainersCourses reports whether the trainee is enrolled in a
// course the trainer is assigned to: the trainees a trainer may see.
func (s *Store) TraineeInTrainersCourses(ctx context.Context, trainerID, traineeID int64) (bool, error) {
	var ok bool
	const q = `SELECT EXISTS (SELECT 1 FROM enrollments e JOIN course_trainers ct ON ct.course_id = e.course_id
	                           WHERE ct.user_id = $1 AND e.trainee_id = $2)`
	return ok, getOne(ctx, s.db, &ok, q, trainerID, traineeID)
}
