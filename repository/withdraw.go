package repository

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Withdraw marks an enrolment withdrawn, keeping it and its attendance (the
// marks stay part of the record: see "How we count"). Withdrawing twice
// changes nothing; an unknown enrolment is domain.ErrNotFound. The change
// is written to the audit log in the same transaction.
func (s *Store) Withdraw(ctx context.Context, enrollmentID int64, by *int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var previous string
		const lock = `SELECT status FROM enrollments WHERE id = $1 FOR UPDATE`
		if err := getOne(ctx, tx, &previous, lock, enrollmentID); err != nil {
			return err
		}
		if previous == "withdrawn" {
			return nil
		}
		const q = `UPDATE enrollments SET status = 'withdrawn', withdrawn_at = now() WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, enrollmentID); err != nil {
			return mapError(err)
		}
		const logQ = `INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after)
		              VALUES ($1, 'enrollment.withdraw', 'enrollment', $2,
		                      jsonb_build_object('status', $3::text), jsonb_build_object('status', 'withdrawn'))`
		_, err := tx.ExecContext(ctx, logQ, by, enrollmentID, previous)
		return mapError(err)
	})
}
