package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// Indicators with targets (docs/INDICATORS.md): the store keeps what the
// results framework states; the recorded values are Totals of each
// indicator's filter, computed by the caller (the app reads them through
// its suppression, as every other figure).

const indicatorSelect = `SELECT i.id, i.code, i.title_ar, i.title_fr, i.figure, p.code AS programme,
       coalesce(i.sex, '') AS sex, coalesce(i.category, '') AS category, i.first_year, i.last_year,
       i.baseline_year, i.baseline_value, i.target, i.created_by, i.created_at
  FROM indicators i JOIN programmes p ON p.id = i.programme_id`

// CreateIndicator validates and stores an indicator with its yearly
// targets, audited as by's, in one transaction. A code already used is a
// conflict; an unknown programme is invalid input.
func (s *Store) CreateIndicator(ctx context.Context, ind *domain.Indicator, by *int64) (err error) {
	defer wrap(&err, "CreateIndicator")
	if err := ind.Validate(); err != nil {
		return err
	}
	ind.CreatedBy = by
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO indicators (code, title_ar, title_fr, figure, programme_id, sex, category,
		               first_year, last_year, baseline_year, baseline_value, target, created_by)
		           SELECT $1, $2, $3, $4, p.id, NULLIF($6, ''), NULLIF($7, ''), $8, $9, $10, $11, $12, $13
		             FROM programmes p WHERE p.code = $5
		           RETURNING id, created_at`
		err := getOne(ctx, tx, ind, q, ind.Code, ind.TitleAr, ind.TitleFr, ind.Figure, ind.Programme,
			string(ind.Sex), string(ind.Category), ind.FirstYear, ind.LastYear, ind.BaselineYear,
			ind.BaselineValue, ind.Target, ind.CreatedBy)
		if isNotFound(err) {
			return domain.Invalid("programme", "reported.unknown_programme")
		}
		if err != nil {
			return err
		}
		for _, t := range ind.Targets {
			if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_targets (indicator_id, year, target) VALUES ($1, $2, $3)`,
				ind.ID, t.Year, t.Target); err != nil {
				return mapError(err)
			}
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "indicator.create", Entity: "indicator",
			EntityID: &ind.ID, After: ind})
	})
}

// Indicators lists the indicators of a programme (all when programme is
// ""), by programme and code, each with its yearly targets.
func (s *Store) Indicators(ctx context.Context, programme string) (_ []domain.Indicator, err error) {
	defer wrap(&err, "Indicators")
	inds := []domain.Indicator{}
	const q = indicatorSelect + ` WHERE $1 = '' OR p.code = $1 ORDER BY p.code, i.code`
	if err := s.db.SelectContext(ctx, &inds, q, programme); err != nil {
		return nil, fmt.Errorf("indicators: %w", mapError(err))
	}
	var targets []struct {
		IndicatorID int64 `db:"indicator_id"`
		domain.IndicatorTarget
	}
	const tq = `SELECT t.indicator_id, t.year, t.target FROM indicator_targets t
	              JOIN indicators i ON i.id = t.indicator_id JOIN programmes p ON p.id = i.programme_id
	             WHERE $1 = '' OR p.code = $1 ORDER BY t.indicator_id, t.year`
	if err := s.db.SelectContext(ctx, &targets, tq, programme); err != nil {
		return nil, fmt.Errorf("indicator targets: %w", mapError(err))
	}
	byID := map[int64]*domain.Indicator{}
	for i := range inds {
		inds[i].Targets = []domain.IndicatorTarget{}
		byID[inds[i].ID] = &inds[i]
	}
	for _, t := range targets {
		if ind := byID[t.IndicatorID]; ind != nil {
			ind.Targets = append(ind.Targets, t.IndicatorTarget)
		}
	}
	return inds, nil
}

// DeleteIndicator removes an indicator (defined by mistake) and its
// targets, audited as by's with what it said; an unknown id is
// domain.ErrNotFound.
func (s *Store) DeleteIndicator(ctx context.Context, id int64, by *int64) (err error) {
	defer wrap(&err, "DeleteIndicator %d", id)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before domain.Indicator
		if err := getOne(ctx, tx, &before, indicatorSelect+` WHERE i.id = $1 FOR UPDATE OF i`, id); err != nil {
			return err
		}
		if err := sqlx.SelectContext(ctx, tx, &before.Targets,
			`SELECT year, target FROM indicator_targets WHERE indicator_id = $1 ORDER BY year`, id); err != nil {
			return mapError(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM indicators WHERE id = $1`, id); err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "indicator.delete", Entity: "indicator",
			EntityID: &id, Before: before})
	})
}
