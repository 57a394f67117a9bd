package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

const reportedSelect = `SELECT r.id, r.figure, p.code AS programme, r.year, r.value, r.source, r.reported_on,
       r.created_by, r.created_at
  FROM reported_figures r JOIN programmes p ON p.id = r.programme_id`

// CreateReportedFigure validates and stores a figure stated by a published
// report, entered (and audited) as by's: the ministry reads these beside
// the records, so who entered what is kept. The same figure, scope and
// source twice is a conflict.
func (s *Store) CreateReportedFigure(ctx context.Context, r *domain.ReportedFigure, by *int64) (err error) {
	defer wrap(&err, "CreateReportedFigure")
	if err := r.Validate(); err != nil {
		return err
	}
	r.CreatedBy = by
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO reported_figures (figure, programme_id, year, value, source, reported_on, created_by)
		           SELECT $1, p.id, $3, $4, $5, $6, $7 FROM programmes p WHERE p.code = $2
		           RETURNING id, created_at`
		err := getOne(ctx, tx, r, q, r.Figure, r.Programme, r.Year, r.Value, r.Source, r.ReportedOn, r.CreatedBy)
		if isNotFound(err) {
			return domain.Invalid("programme", "reported.unknown_programme")
		}
		if err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "reported_figure.create", Entity: "reported_figure",
			EntityID: &r.ID, After: r})
	})
}

// ReportedFigures lists the reported figures of a programme (all programmes
// when programme is ""), by programme, year and figure.
func (s *Store) ReportedFigures(ctx context.Context, programme string) (_ []domain.ReportedFigure, err error) {
	defer wrap(&err, "ReportedFigures")
	rs := []domain.ReportedFigure{}
	const q = reportedSelect + ` WHERE $1 = '' OR p.code = $1 ORDER BY p.code, r.year NULLS FIRST, r.figure, r.id`
	if err := s.db.SelectContext(ctx, &rs, q, programme); err != nil {
		return nil, fmt.Errorf("reported figures: %w", mapError(err))
	}
	return rs, nil
}

// DeleteReportedFigure removes a reported figure (entered by mistake),
// audited as by's with what it said; an unknown id is domain.ErrNotFound.
func (s *Store) DeleteReportedFigure(ctx context.Context, id int64, by *int64) (err error) {
	defer wrap(&err, "DeleteReportedFigure %d", id)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before domain.ReportedFigure
		if err := getOne(ctx, tx, &before, reportedSelect+` WHERE r.id = $1 FOR UPDATE OF r`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM reported_figures WHERE id = $1`, id); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "reported_figure.delete", Entity: "reported_figure",
			EntityID: &id, Before: before})
	})
}

// ReportedComparison pairs each reported figure of a programme (all when
// programme is "") with the value the records give for the same figure and
// scope, computed by Totals: the same queries that count real data. The
// totals of each distinct scope are computed once.
func (s *Store) ReportedComparison(ctx context.Context, programme string) (_ []domain.Comparison, err error) {
	defer wrap(&err, "ReportedComparison")
	reported, err := s.ReportedFigures(ctx, programme)
	if err != nil {
		return nil, err
	}
	totals := map[domain.TotalsFilter]*domain.Totals{}
	out := make([]domain.Comparison, 0, len(reported))
	for _, r := range reported {
		scope := r.Scope()
		t, ok := totals[scope]
		if !ok {
			if t, err = s.Totals(ctx, scope); err != nil {
				return nil, err
			}
			totals[scope] = t
		}
		out = append(out, domain.Compare(r, t))
	}
	return out, nil
}
