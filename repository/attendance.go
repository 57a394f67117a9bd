package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// Mark is one trainee's attendance status for a session, as a roster sends it.
type Mark struct {
	TraineeID int64                   `json:"trainee_id"`
	Status    domain.AttendanceStatus `json:"status"`
}

// SaveAttendance records a session's marks in one statement, hence one
// transaction and one round trip: every mark is upserted and every change
// written to the audit log. If any trainee is not enrolled (or has withdrawn)
// in the session's course, nothing is saved and the error names the field.
func (s *Store) SaveAttendance(ctx context.Context, sessionID int64, marks []Mark, by *int64) (err error) {
	defer wrap(&err, "SaveAttendance")
	if err := validateMarks(marks); err != nil {
		return err
	}
	traineeIDs := make([]int64, len(marks))
	statuses := make([]string, len(marks))
	for i, m := range marks {
		traineeIDs[i], statuses[i] = m.TraineeID, string(m.Status)
	}
	var result struct {
		Sessions  int `db:"sessions"`
		Unmatched int `db:"unmatched"`
	}
	err = s.inCorrection(ctx, func(q sqlx.ExtContext) error { // a closed course's correction: its reason first
		return getOne(ctx, q, &result, saveAttendanceSQL, sessionID, pq.Array(traineeIDs), pq.Array(statuses), by)
	})
	if err != nil {
		return err
	}
	if result.Sessions == 0 {
		return notFound("session")
	}
	if result.Unmatched > 0 {
		return domain.Invalid("trainee_id", "attendance.not_enrolled")
	}
	return nil
}

// saveAttendanceSQL upserts the marks only when every trainee matched an
// active enrolment of the session's course, and logs each real change.
const saveAttendanceSQL = `
WITH session AS (
    SELECT id, course_id FROM sessions WHERE id = $1
), marks AS (
    SELECT trainee_id, status FROM unnest($2::bigint[], $3::text[]) AS m (trainee_id, status)
), matched AS (
    SELECT e.id AS enrollment_id, s.id AS session_id, s.course_id, m.status
      FROM marks m
      JOIN session s ON true
      JOIN enrollments e ON e.trainee_id = m.trainee_id AND e.course_id = s.course_id AND e.status <> 'withdrawn'
), complete AS (
    SELECT (SELECT count(*) FROM matched) = (SELECT count(*) FROM marks) AS ok
), previous AS (
    SELECT a.enrollment_id, a.status FROM attendance a JOIN matched m USING (enrollment_id, session_id)
), saved AS (
    INSERT INTO attendance (enrollment_id, session_id, course_id, status, marked_by, marked_at)
    SELECT enrollment_id, session_id, course_id, status, $4, now() FROM matched WHERE (SELECT ok FROM complete)
     ORDER BY enrollment_id  -- the counters trigger locks enrolments in this order: two saves cannot deadlock
    ON CONFLICT (enrollment_id, session_id) DO UPDATE
       SET status = excluded.status, marked_by = excluded.marked_by, marked_at = excluded.marked_at
     WHERE attendance.status IS DISTINCT FROM excluded.status
    RETURNING id, enrollment_id, session_id, status
), logged AS (
    INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after)
    SELECT $4, 'attendance.mark', 'attendance', sv.id,
           CASE WHEN p.status IS NULL THEN NULL ELSE jsonb_build_object('status', p.status) END,
           jsonb_build_object('status', sv.status, 'session_id', sv.session_id, 'enrollment_id', sv.enrollment_id)
      FROM saved sv LEFT JOIN previous p USING (enrollment_id)
)
SELECT (SELECT count(*) FROM session) AS sessions,
       (SELECT count(*) FROM marks) - (SELECT count(*) FROM matched) AS unmatched`

// validateMarks refuses unknown statuses and a trainee marked twice.
func validateMarks(marks []Mark) error {
	seen := make(map[int64]bool, len(marks))
	for i, m := range marks {
		if !m.Status.Valid() {
			return domain.Invalid(fmt.Sprintf("marks[%d].status", i), "attendance.status_unknown")
		}
		if seen[m.TraineeID] {
			return domain.Invalid(fmt.Sprintf("marks[%d].trainee_id", i), "attendance.duplicate_trainee")
		}
		seen[m.TraineeID] = true
	}
	return nil
}
