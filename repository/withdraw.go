package repository

import (
	"context"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// Withdraw marks a trainee's enrolment withdrawn, keeping it and its
// attendance. Withdrawing twice changes nothing; no enrolment at all is
// domain.ErrNotFound.
//
// Merge note: main has this same method (same signature) in enrollments.go
// and deleted this file; when merging, keep main's and delete this file.
func (s *Store) Withdraw(ctx context.Context, courseID, traineeID int64, by *int64) error {
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
		const logQ = `INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after)
		              VALUES ($1, 'enrollment.withdraw', 'enrollment', $2,
		                      jsonb_build_object('status', $3::text), jsonb_build_object('status', 'withdrawn'))`
		_, err := tx.ExecContext(ctx, logQ, by, e.ID, string(e.Status))
		return mapError(err)
	})
}
