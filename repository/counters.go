package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// RecountAttendance recomputes every enrolment's attendance counters and
// every session's has_marks from the marks themselves, in one transaction.
// The attendance trigger keeps them in step on every write; this is for a
// bulk loader that disabled the trigger while it copied marks in, and for
// checking the counters after an incident. It returns how many enrolments
// and sessions it corrected.
func (s *Store) RecountAttendance(ctx context.Context) (corrected int64, err error) {
	defer wrap(&err, "RecountAttendance")
	const enrolments = `
UPDATE enrollments e
   SET attended_count = coalesce(a.attended, 0), marks_count = coalesce(a.marks, 0)
  FROM enrollments e2
  LEFT JOIN (SELECT enrollment_id,
                    count(*) FILTER (WHERE status IN ('present', 'late')) AS attended,
                    count(*) AS marks
               FROM attendance
              WHERE session_id IN (SELECT id FROM sessions WHERE cancelled_at IS NULL) /* a cancelled session's marks count for nobody */
              GROUP BY enrollment_id) a ON a.enrollment_id = e2.id
 WHERE e.id = e2.id
   AND (e.attended_count <> coalesce(a.attended, 0) OR e.marks_count <> coalesce(a.marks, 0))`
	const sessions = `
UPDATE sessions s SET has_marks = NOT s.has_marks
 WHERE s.has_marks <> EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id)`
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, q := range []string{enrolments, sessions} {
			res, err := tx.ExecContext(ctx, q)
			if err != nil {
				return fmt.Errorf("recount attendance: %w", mapError(err))
			}
			n, _ := res.RowsAffected()
			corrected += n
		}
		return nil
	})
	return corrected, err
}
