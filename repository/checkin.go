package repository

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// CheckinCodes is the check-in code of every active enrolment of the
// course, by trainee id. Enrolments without one get theirs now (codes are
// made when a sheet or badges are first printed, so that the enrolment, the
// busiest write, stays one statement); when every enrolment has its code,
// this writes nothing. A person whose enrolments were merged keeps the
// oldest of their codes here; the others still scan.
func (s *Store) CheckinCodes(ctx context.Context, courseID int64) (_ map[int64]domain.CheckinCode, err error) {
	defer wrap(&err, "CheckinCodes %d", courseID)
	if err := s.makeCheckinCodes(ctx, courseID); err != nil {
		return nil, err
	}
	const q = `SELECT DISTINCT ON (e.trainee_id) e.trainee_id, c.token, c.short_code
	             FROM enrollments e JOIN enrollment_codes c ON c.enrollment_id = e.id
	            WHERE e.course_id = $1 AND e.status <> 'withdrawn'
	            ORDER BY e.trainee_id, c.id`
	var rows []struct {
		TraineeID int64 `db:"trainee_id"`
		domain.CheckinCode
	}
	if err := s.db.SelectContext(ctx, &rows, q, courseID); err != nil {
		return nil, mapError(err)
	}
	codes := make(map[int64]domain.CheckinCode, len(rows))
	for _, r := range rows {
		codes[r.TraineeID] = r.CheckinCode
	}
	return codes, nil
}

// codelessEnrolmentsSQL lists the course's active enrolments with no code.
const codelessEnrolmentsSQL = `SELECT e.id FROM enrollments e
     WHERE e.course_id = $1 AND e.status <> 'withdrawn'
       AND NOT EXISTS (SELECT 1 FROM enrollment_codes c WHERE c.enrollment_id = e.id)
     ORDER BY e.id`

// makeCheckinCodes gives a code to each active enrolment of the course
// that has none, in one transaction. Two printings at once take turns (an
// advisory lock per course), so that nobody gets two codes. A drawn code
// that is taken already (a one in 2^30 chance for a short code in a course
// of 30) is drawn again.
func (s *Store) makeCheckinCodes(ctx context.Context, courseID int64) error {
	var missing []int64
	if err := s.db.SelectContext(ctx, &missing, codelessEnrolmentsSQL, courseID); err != nil {
		return mapError(err)
	}
	if len(missing) == 0 {
		return nil // the usual case: nothing to write
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, $2))`, enrolmentCodesLock, courseID); err != nil {
			return mapError(err)
		}
		for range 5 {
			if err := tx.SelectContext(ctx, &missing, codelessEnrolmentsSQL, courseID); err != nil {
				return mapError(err)
			}
			if len(missing) == 0 {
				return nil
			}
			tokens, shorts := make([]string, len(missing)), make([]string, len(missing))
			for i := range missing {
				code, err := domain.NewCheckinCode()
				if err != nil {
					return err
				}
				tokens[i], shorts[i] = code.Token, code.Short
			}
			const insert = `INSERT INTO enrollment_codes (enrollment_id, course_id, token, short_code)
			                SELECT id, $1, token, short FROM unnest($2::bigint[], $3::text[], $4::text[]) AS c (id, token, short)
			                ON CONFLICT DO NOTHING`
			if _, err := tx.ExecContext(ctx, insert, courseID, pq.Array(missing), pq.Array(tokens), pq.Array(shorts)); err != nil {
				return mapError(err)
			}
		}
		return fmt.Errorf("check-in codes of course %d: still %d without one after five draws", courseID, len(missing))
	})
}

// CheckIn is what a scanned or typed code did, and the mark as it stands.
type CheckIn struct {
	Outcome       domain.CheckinOutcome   `json:"outcome"`
	TraineeID     int64                   `db:"trainee_id" json:"trainee_id"`
	FullNameAr    *string                 `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin *string                 `db:"full_name_latin" json:"full_name_latin"`
	Status        domain.AttendanceStatus `json:"status"`    // the person's mark for the session, now
	MarkedAt      time.Time               `json:"marked_at"` // when that mark was saved
	MarkedBy      *string                 `json:"marked_by"` // who saved it (nil: nobody known)
}

// Names is the person's name, for Names.In: the Arabic name for Arabic
// readers, the Latin one for the others.
func (c *CheckIn) Names() domain.Names {
	text := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	return domain.Names{Ar: text(c.FullNameAr), Fr: text(c.FullNameLatin), En: text(c.FullNameLatin)}
}

// CheckIn marks present, as by, the person whose code was scanned or typed
// at the door of a session, in one transaction. It never changes a mark
// that is there already: present stays present (AlreadyPresent), and late,
// excused or absent stay as they were (AlreadyMarked) — a trainer changes
// those on the attendance sheet, deliberately. The session follows the
// attendance sheet's rules (domain.SessionOpenForMarks, a closed course's
// guard). A code that matches no enrolment of the session's course is
// refused with what it is: unknown, another course's, or a withdrawn
// enrolment's (a dead badge).
func (s *Store) CheckIn(ctx context.Context, sessionID int64, code domain.CheckinInput, by *int64) (_ *CheckIn, err error) {
	defer wrap(&err, "CheckIn")
	var result *CheckIn
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Locked as the sheet's save locks it: marks of a session are written one save at a time.
		var session domain.Session
		const lock = `SELECT ` + sessionColumns + ` FROM sessions WHERE id = $1 FOR NO KEY UPDATE`
		if err := getOne(ctx, tx, &session, lock, sessionID); err != nil {
			return err
		}
		if err := domain.SessionOpenForMarks(session, time.Now()); err != nil {
			return err
		}
		holder, err := codeHolder(ctx, tx, session.CourseID, code)
		if err != nil {
			return err
		}
		var mark struct {
			Inserted bool                    `db:"inserted"`
			Status   domain.AttendanceStatus `db:"status"`
			MarkedAt time.Time               `db:"marked_at"`
			MarkedBy *string                 `db:"marked_by"`
		}
		if err := getOne(ctx, tx, &mark, checkInSQL, holder.EnrollmentID, sessionID, session.CourseID, by, holder.TraineeID); err != nil {
			return err
		}
		result = &CheckIn{TraineeID: holder.TraineeID, FullNameAr: holder.FullNameAr, FullNameLatin: holder.FullNameLatin,
			Status: mark.Status, MarkedAt: mark.MarkedAt, MarkedBy: mark.MarkedBy}
		switch {
		case mark.Inserted:
			result.Outcome = domain.CheckedIn
		case mark.Status == domain.Present:
			result.Outcome = domain.AlreadyPresent
		default:
			result.Outcome = domain.AlreadyMarked
		}
		return nil
	})
	return result, err
}

// codeHolder is the active enrolment of the course that code names, or the
// refusal that says why there is none.
func codeHolder(ctx context.Context, tx *sqlx.Tx, courseID int64, code domain.CheckinInput) (*checkinHolder, error) {
	const q = `SELECT e.id AS enrollment_id, e.course_id, e.status, t.id AS trainee_id, t.full_name_ar, t.full_name_latin
	             FROM enrollment_codes c
	             JOIN enrollments e ON e.id = c.enrollment_id
	             JOIN trainees t ON t.id = e.trainee_id
	            WHERE c.token = $1 OR (c.course_id = $2 AND c.short_code = $3)
	            LIMIT 1`
	var h checkinHolder
	orNull := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	err := getOne(ctx, tx, &h, q, orNull(code.Token), courseID, orNull(code.Short))
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return nil, domain.ErrCheckinCodeUnknown
	case err != nil:
		return nil, err
	case h.CourseID != courseID:
		return nil, domain.ErrCheckinOtherCourse
	case h.Status == domain.Withdrawn:
		return nil, domain.ErrCheckinWithdrawn
	}
	return &h, nil
}

// checkinHolder is the enrolment a code belongs to.
type checkinHolder struct {
	EnrollmentID  int64                   `db:"enrollment_id"`
	CourseID      int64                   `db:"course_id"`
	Status        domain.EnrollmentStatus `db:"status"`
	TraineeID     int64                   `db:"trainee_id"`
	FullNameAr    *string                 `db:"full_name_ar"`
	FullNameLatin *string                 `db:"full_name_latin"`
}

// checkInSQL marks the enrolment ($1) present for the session ($2) unless
// it has a mark, audited as a check-in, and answers the mark as it stands:
// the new one, or the one that was there (with who saved it).
const checkInSQL = `WITH saved AS (
    INSERT INTO attendance (enrollment_id, session_id, course_id, status, marked_by, marked_at)
    VALUES ($1, $2, $3, 'present', $4, now())
    ON CONFLICT (enrollment_id, session_id) DO NOTHING
    RETURNING id, status, marked_at
), logged AS (
    INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, trainee_id, course_id, session_id)
    SELECT $4, 'attendance.checkin', 'attendance', sv.id, NULL,
           jsonb_build_object('status', sv.status, 'session_id', $2::bigint, 'enrollment_id', $1::bigint), $5, $3, $2
      FROM saved sv
)
SELECT true AS inserted, sv.status, sv.marked_at, NULL::text AS marked_by FROM saved sv
UNION ALL
SELECT false, a.status, a.marked_at, u.name
  FROM attendance a LEFT JOIN users u ON u.id = a.marked_by
 WHERE a.enrollment_id = $1 AND a.session_id = $2 AND NOT EXISTS (SELECT 1 FROM saved)`
