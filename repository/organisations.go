package repository

import (
	"context"

	"github.com/jmoiron/sqlx"

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
	const insert = `INSERT INTO organisations (kind, name_ar, name_fr, province_id, registration_number, name_key)
	                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	if err := getOne(ctx, tx, &o.ID, insert, o.Kind, o.NameAr, o.NameFr, provinceID, o.RegistrationNumber, o.NameKey()); err != nil {
		return err
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
