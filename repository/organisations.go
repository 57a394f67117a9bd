package repository

import (
	"context"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

const organisationSelect = `SELECT o.id, o.kind, o.name_ar, o.name_fr, p.code AS province, o.registration_number
  FROM organisations o LEFT JOIN provinces p ON p.id = o.province_id`

// CreateOrganisation validates and stores an institution or association,
// audited as by's.
func (s *Store) CreateOrganisation(ctx context.Context, o *domain.Organisation, by *int64) (err error) {
	defer wrap(&err, "CreateOrganisation")
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return createOrganisation(ctx, tx, o, by) })
}

// createOrganisation is CreateOrganisation in tx.
func createOrganisation(ctx context.Context, tx *sqlx.Tx, o *domain.Organisation, by *int64) error {
	if err := o.Validate(); err != nil {
		return err
	}
	provinceID, err := provinceID(ctx, tx, o.Province)
	if err != nil {
		return err
	}
	if err := refuseExistingOrganisation(ctx, tx, o, provinceID); err != nil {
		return err
	}
	const insert = `INSERT INTO organisations (kind, name_ar, name_fr, province_id, registration_number, name_key)
	                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	if err := getOne(ctx, tx, &o.ID, insert, o.Kind, o.NameAr, o.NameFr, provinceID, o.RegistrationNumber, o.NameKey()); err != nil {
		return err
	}
	// The unique index on the keys is the guarantee against a twin created
	// at the same moment (refuseExistingOrganisation saw neither).
	const keys = `INSERT INTO organisation_keys (organisation_id, kind, province_id, key)
	              SELECT $1, $2, $3, unnest($4::text[])`
	if _, err := tx.ExecContext(ctx, keys, o.ID, o.Kind, provinceID, pq.Array(o.FoldedNames())); err != nil {
		return mapError(err)
	}
	return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "organisation.create", Entity: "organisation", EntityID: &o.ID, After: o})
}

// Organisation finds an organisation by id.
func (s *Store) Organisation(ctx context.Context, id int64) (_ *domain.Organisation, err error) {
	defer wrap(&err, "Organisation")
	return organisationIn(ctx, s.db, id)
}

func organisationIn(ctx context.Context, q sqlx.QueryerContext, id int64) (*domain.Organisation, error) {
	var o domain.Organisation
	if err := getOne(ctx, q, &o, organisationSelect+` WHERE o.id = $1`, id); err != nil {
		return nil, err
	}
	return &o, nil
}

// provinceID resolves an optional province code to its id; an unknown code
// is invalid input.
func provinceID(ctx context.Context, q sqlx.QueryerContext, code *string) (*int64, error) {
	if code == nil {
		return nil, nil
	}
	var id int64
	err := getOne(ctx, q, &id, `SELECT id FROM provinces WHERE code = lower($1)`, *code)
	if isNotFound(err) {
		return nil, domain.Invalid("province", "province.unknown")
	}
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// Organisations lists a page of the organisations whose name contains q
// (any script, accents ignored), optionally of one kind, by name.
func (s *Store) Organisations(ctx context.Context, q string, kind domain.OrganisationKind, page Page) (_ []domain.Organisation, err error) {
	defer wrap(&err, "Organisations")
	const query = organisationSelect + `
	 WHERE ($1 = '' OR o.kind = $1)
	   AND ($2 = '' OR o.name_key LIKE '%' || $2 || '%')
	 ORDER BY coalesce(o.name_fr, o.name_ar), o.id LIMIT $3 OFFSET $4`
	orgs := []domain.Organisation{}
	return orgs, s.db.SelectContext(ctx, &orgs, query, string(kind), escapeLike(domain.SearchKey(q)), page.limit(), page.offset())
}

// existingOrganisationSQL finds an organisation of kind $1 with one of the
// folded names $3, in province $2 or without one (or in any province when
// $2 is NULL): the same province first, then the oldest. It also answers
// which of the new one's names matched.
const existingOrganisationSQL = organisationSelect + `
 WHERE o.kind = $1
   AND ($2::bigint IS NULL OR o.province_id IS NULL OR o.province_id = $2)
   AND EXISTS (SELECT 1 FROM organisation_keys k WHERE k.organisation_id = o.id AND k.key = ANY($3))
 ORDER BY o.province_id IS NOT DISTINCT FROM $2 DESC, o.id LIMIT 1`

// refuseExistingOrganisation answers *domain.OrganisationExists when an
// organisation of o's kind and province is on record under one of o's
// folded names: the user is offered that one instead of a twin.
func refuseExistingOrganisation(ctx context.Context, tx *sqlx.Tx, o *domain.Organisation, provinceID *int64) error {
	existing, err := existingOrganisation(ctx, tx, o, provinceID)
	if err != nil || existing == nil {
		return err
	}
	field := "name_fr"
	if o.NameAr != nil && slices.Contains(existing.FoldedNames(), domain.SearchKey(*o.NameAr)) {
		field = "name_ar"
	}
	return &domain.OrganisationExists{Existing: *existing, Field: field}
}

// existingOrganisation is the organisation o would duplicate; nil if none.
func existingOrganisation(ctx context.Context, q sqlx.QueryerContext, o *domain.Organisation, provinceID *int64) (*domain.Organisation, error) {
	var found domain.Organisation
	err := getOne(ctx, q, &found, existingOrganisationSQL, o.Kind, provinceID, pq.Array(o.FoldedNames()))
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &found, nil
}
