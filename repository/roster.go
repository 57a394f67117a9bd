package repository

import (
	"context"
	"time"

	"takaffoul/domain"
)

// RosterEntry is one enrolled trainee on a course page: who they are, as
// what the course counts them (the category and organisation of the
// enrolment), and how much of the course they attended.
type RosterEntry struct {
	EnrollmentID   int64                   `db:"enrollment_id" json:"enrollment_id"`
	TraineeID      int64                   `db:"trainee_id" json:"trainee_id"`
	Category       domain.Category         `db:"category" json:"category"`
	FullNameAr     *string                 `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin  *string                 `db:"full_name_latin" json:"full_name_latin"`
	Sex            domain.Sex              `db:"sex" json:"sex"`
	Organisation   *string                 `db:"organisation" json:"organisation"`
	Status         domain.EnrollmentStatus `db:"status" json:"status"`
	Attended       int                     `db:"attended" json:"attended"` // present or late
	Marked         int                     `db:"marked" json:"marked"`
	Sessions       int                     `db:"sessions" json:"sessions"`
	AttendanceRate float64                 `db:"attendance_rate" json:"attendance_rate"` // attended / sessions, 0..1
	MeetsThreshold bool                    `db:"meets_threshold" json:"meets_threshold"`
	EnrolledAt     time.Time               `db:"enrolled_at" json:"enrolled_at"`
}

// Roster lists a course's enrolments (withdrawn ones last) with each
// trainee's attendance rate and whether it meets the course's completion
// threshold. It reads the counters the attendance trigger keeps on each
// enrolment and the course's session count, never the marks themselves: one
// small query whatever the number of sessions or marks.
func (s *Store) Roster(ctx context.Context, courseID int64) (_ []RosterEntry, err error) {
	defer wrap(&err, "Roster")
	const q = `
SELECT e.id AS enrollment_id, t.id AS trainee_id, e.category, t.full_name_ar, t.full_name_latin, t.sex,
       coalesce(o.name_ar, o.name_fr) AS organisation, e.status, e.enrolled_at,
       e.attended_count AS attended, e.marks_count AS marked, c.session_count AS sessions,
       CASE WHEN c.session_count = 0 THEN 0 ELSE e.attended_count::float8 / c.session_count END AS attendance_rate,
       ` + enrollmentCompletedSQL + ` AS meets_threshold
  FROM courses c
  JOIN enrollments e ON e.course_id = c.id
  JOIN trainees t ON t.id = e.trainee_id
  LEFT JOIN organisations o ON o.id = e.organisation_id
 WHERE c.id = $1
 ORDER BY e.status = 'withdrawn', coalesce(t.full_name_ar, t.full_name_latin), e.id`
	entries := []RosterEntry{}
	return entries, mapError(s.db.SelectContext(ctx, &entries, q, courseID))
}

// SessionSummary is a session on a course page with how many trainees were marked.
type SessionSummary struct {
	domain.Session
	Marked   int `db:"marked" json:"marked"`
	Attended int `db:"attended" json:"attended"`
}

// SessionSummaries lists a course's sessions with their marking counts, in
// one query (a course may have thousands of sessions).
func (s *Store) SessionSummaries(ctx context.Context, courseID int64) (_ []SessionSummary, err error) {
	defer wrap(&err, "SessionSummaries")
	// Marks are counted per session through the session index: a course's
	// sessions hold a few thousand marks at most, the table ten million.
	const q = `SELECT s.id, s.course_id, s.starts_at, s.ends_at, s.place, s.hours,
	       s.cancelled_at, s.cancelled_by, s.cancel_reason, s.has_marks, a.marked, a.attended
	  FROM sessions s
	  CROSS JOIN LATERAL (SELECT count(*) AS marked, count(*) FILTER (WHERE status IN ('present', 'late')) AS attended
	                        FROM attendance WHERE session_id = s.id) a
	 WHERE s.course_id = $1
	 ORDER BY s.starts_at, s.id`
	out := []SessionSummary{}
	return out, mapError(s.db.SelectContext(ctx, &out, q, courseID))
}

// SessionMark is one line of a session's attendance sheet: an active
// enrolment and its mark, nil while unmarked.
type SessionMark struct {
	TraineeID     int64                    `db:"trainee_id" json:"trainee_id"`
	FullNameAr    *string                  `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin *string                  `db:"full_name_latin" json:"full_name_latin"`
	Category      domain.Category          `db:"category" json:"category"`
	Status        *domain.AttendanceStatus `db:"status" json:"status"`
	MarkedBy      *string                  `db:"marked_by" json:"marked_by"`
	MarkedAt      *time.Time               `db:"marked_at" json:"marked_at"`
}

// SessionAttendance lists the session's course's active enrolments with
// their marks for that session.
func (s *Store) SessionAttendance(ctx context.Context, sessionID int64) (_ []SessionMark, err error) {
	defer wrap(&err, "SessionAttendance")
	const q = `SELECT t.id AS trainee_id, t.full_name_ar, t.full_name_latin, t.category,
	       a.status, u.name AS marked_by, a.marked_at
	  FROM sessions s
	  JOIN enrollments e ON e.course_id = s.course_id AND e.status <> 'withdrawn'
	  JOIN trainees t ON t.id = e.trainee_id
	  LEFT JOIN attendance a ON a.enrollment_id = e.id AND a.session_id = s.id
	  LEFT JOIN users u ON u.id = a.marked_by
	 WHERE s.id = $1
	 ORDER BY coalesce(t.full_name_ar, t.full_name_latin), t.id`
	out := []SessionMark{}
	return out, mapError(s.db.SelectContext(ctx, &out, q, sessionID))
}
