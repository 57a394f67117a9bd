package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// Mark is one trainee's attendance status for a session, as a roster sends it.
type Mark struct {
	TraineeID int64                   `json:"trainee_id"`
	Status    domain.AttendanceStatus `json:"status"`
}

// SaveAttendance records marks for a session in one transaction: each mark
// given is that person's mark, a deliberate act per person (a saved mark it
// names is replaced), and every change is written to the audit log. If any
// trainee is not enrolled (or has withdrawn) in the session's course, or
// the session is not open for marks (domain.SessionOpenForMarks), nothing is
// saved and the error says why.
func (s *Store) SaveAttendance(ctx context.Context, sessionID int64, marks []Mark, by *int64) (err error) {
	defer wrap(&err, "SaveAttendance")
	return s.saveAttendance(ctx, sessionID, marks, false, time.Now(), by)
}

// MarkOthersPresent is "mark all present": it saves marks as SaveAttendance
// does, then marks present every other active enrolment that has no mark
// yet for the session. A saved mark (late, absent, excused, present) is
// never overwritten by it, even one saved meanwhile by someone else.
func (s *Store) MarkOthersPresent(ctx context.Context, sessionID int64, marks []Mark, by *int64) (err error) {
	defer wrap(&err, "MarkOthersPresent")
	return s.saveAttendance(ctx, sessionID, marks, true, time.Now(), by)
}

// saveAttendance locks the session (a cancellation or a change of date
// waits for the marks, and two saves of one sheet run one after the other),
// checks it is open for marks at now (the demo seed runs as of a day of its
// own), and saves in one statement.
func (s *Store) saveAttendance(ctx context.Context, sessionID int64, marks []Mark, othersPresent bool, now time.Time, by *int64) error {
	if err := validateMarks(marks); err != nil {
		return err
	}
	traineeIDs := make([]int64, len(marks))
	statuses := make([]string, len(marks))
	for i, m := range marks {
		traineeIDs[i], statuses[i] = m.TraineeID, string(m.Status)
	}
	// Prepared (before the transaction, see Store.statement): planning the
	// save took longer than running it for a roster of 40.
	lock, err := s.statement(ctx, lockSessionForMarksSQL)
	if err != nil {
		return err
	}
	save, err := s.statement(ctx, saveAttendanceSQL)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var session domain.Session
		if err := lock.get(ctx, tx, &session, sessionID); err != nil {
			return err
		}
		if err := domain.SessionOpenForMarks(session, now); err != nil {
			return err
		}
		var unmatched int
		err := save.get(ctx, tx, &unmatched, sessionID, pq.Array(traineeIDs), pq.Array(statuses), by, othersPresent)
		if err != nil {
			return err
		}
		if unmatched > 0 {
			return domain.Invalid("trainee_id", "attendance.not_enrolled")
		}
		return recheckCertificates(ctx, tx, session.CourseID, by) // a mark removed may undo a completion
	})
}

// lockSessionForMarksSQL reads the session and locks it for the save.
const lockSessionForMarksSQL = `SELECT ` + sessionColumns + ` FROM sessions WHERE id = $1 FOR NO KEY UPDATE`

// saveAttendanceSQL upserts the marks given ($2, $3) only when every
// trainee matched an active enrolment of the session's course; with $5, it
// adds "present" for every other active enrolment with no mark, which
// never replaces a mark (one committed meanwhile included: the upsert's
// WHERE lets only the marks given replace). Each real change is logged
// with the person, the course and the session it is about.
const saveAttendanceSQL = `
WITH session AS (
    SELECT id, course_id FROM sessions WHERE id = $1
), marks AS (
    SELECT trainee_id, status FROM unnest($2::bigint[], $3::text[]) AS m (trainee_id, status)
), matched AS (
    SELECT e.id AS enrollment_id, e.trainee_id, s.id AS session_id, s.course_id, m.status
      FROM marks m
      JOIN session s ON true
      JOIN enrollments e ON e.trainee_id = m.trainee_id AND e.course_id = s.course_id AND e.status <> 'withdrawn'
), complete AS (
    SELECT (SELECT count(*) FROM matched) = (SELECT count(*) FROM marks) AS ok
), unmarked AS (
    SELECT e.id AS enrollment_id, e.trainee_id, s.id AS session_id, s.course_id, 'present'::text AS status
      FROM session s
      JOIN enrollments e ON e.course_id = s.course_id AND e.status <> 'withdrawn'
     WHERE $5 AND e.trainee_id <> ALL ($2::bigint[])
       AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.enrollment_id = e.id AND a.session_id = s.id)
), wanted AS (
    SELECT * FROM matched UNION ALL SELECT * FROM unmarked
), previous AS (
    SELECT a.enrollment_id, a.status FROM attendance a JOIN wanted w USING (enrollment_id, session_id)
), saved AS (
    INSERT INTO attendance (enrollment_id, session_id, course_id, status, marked_by, marked_at)
    SELECT enrollment_id, session_id, course_id, status, $4, now() FROM wanted WHERE (SELECT ok FROM complete)
     ORDER BY enrollment_id  -- the counters trigger locks enrolments in this order: two saves cannot deadlock
    ON CONFLICT (enrollment_id, session_id) DO UPDATE
       SET status = excluded.status, marked_by = excluded.marked_by, marked_at = excluded.marked_at
     WHERE attendance.status IS DISTINCT FROM excluded.status
       AND excluded.enrollment_id IN (SELECT enrollment_id FROM matched)
    RETURNING id, enrollment_id, session_id, course_id, status
), logged AS (
    INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, trainee_id, course_id, session_id)
    SELECT $4, 'attendance.mark', 'attendance', sv.id,
           CASE WHEN p.status IS NULL THEN NULL ELSE jsonb_build_object('status', p.status) END,
           jsonb_build_object('status', sv.status, 'session_id', sv.session_id, 'enrollment_id', sv.enrollment_id),
           w.trainee_id, sv.course_id, sv.session_id
      FROM saved sv JOIN wanted w USING (enrollment_id) LEFT JOIN previous p USING (enrollment_id)
)
SELECT (SELECT count(*) FROM marks) - (SELECT count(*) FROM matched) AS unmatched`

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
