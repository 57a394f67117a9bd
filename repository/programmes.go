package repository

import (
	"context"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

const programmeColumns = `id, code, name_ar, name_fr, name_en, start_year, end_year, archived`

// CreateProgramme validates and stores a programme, audited as by's; a code
// in use is a conflict.
func (s *Store) CreateProgramme(ctx context.Context, p *domain.Programme, by *int64) (err error) {
	defer wrap(&err, "CreateProgramme")
	if err := p.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO programmes (code, name_ar, name_fr, name_en, start_year, end_year)
		           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
		if err := getOne(ctx, tx, &p.ID, q, p.Code, p.NameAr, p.NameFr, p.NameEn, p.StartYear, p.EndYear); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "programme.create", Entity: "programme", EntityID: &p.ID, After: p})
	})
}

// Programmes lists a page of the programmes, oldest first.
func (s *Store) Programmes(ctx context.Context, page Page) (_ []domain.Programme, err error) {
	defer wrap(&err, "Programmes")
	ps := []domain.Programme{}
	const q = `SELECT ` + programmeColumns + ` FROM programmes ORDER BY start_year, code LIMIT $1 OFFSET $2`
	return ps, s.db.SelectContext(ctx, &ps, q, page.limit(), page.offset())
}

// Programme finds a programme by id.
func (s *Store) Programme(ctx context.Context, id int64) (_ *domain.Programme, err error) {
	defer wrap(&err, "Programme")
	var p domain.Programme
	const q = `SELECT ` + programmeColumns + ` FROM programmes WHERE id = $1`
	if err := getOne(ctx, s.db, &p, q, id); err != nil {
		return nil, err
	}
	return &p, nil
}

// ProgrammeByCode finds a programme by its code.
func (s *Store) ProgrammeByCode(ctx context.Context, code string) (_ *domain.Programme, err error) {
	defer wrap(&err, "ProgrammeByCode")
	var p domain.Programme
	const q = `SELECT ` + programmeColumns + ` FROM programmes WHERE code = $1`
	if err := getOne(ctx, s.db, &p, q, code); err != nil {
		return nil, err
	}
	return &p, nil
}
