package repository

import (
	"context"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

const sessionColumns = `id, course_id, starts_at, ends_at, place, hours, cancelled_at, cancelled_by, cancel_reason, has_marks`

// CreateSessions validates and stores sessions of one course in one
// transaction, audited as by's: a series is saved whole or not at all.
func (s *Store) CreateSessions(ctx context.Context, courseID int64, sessions []domain.Session, by *int64) (err error) {
	defer wrap(&err, "CreateSessions")
	for i := range sessions {
		sessions[i].CourseID = courseID
		if err := sessions[i].Validate(); err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO sessions (course_id, starts_at, ends_at, place, hours)
		           VALUES ($1, $2, $3, $4, $5) RETURNING id`
		for i := range sessions {
			ss := &sessions[i]
			if err := getOne(ctx, tx, &ss.ID, q, courseID, ss.StartsAt, ss.EndsAt, ss.Place, ss.Hours); err != nil {
				return err
			}
			// One entry per session, so that the session's page shows its history.
			if err := audit(ctx, tx, by, "sessions.create", "session", ss.ID, nil, ss); err != nil {
				return err
			}
		}
		return recheckCertificates(ctx, tx, courseID, by) // more sessions to attend: completion may move
	})
}

// Session finds a training session by id.
func (s *Store) Session(ctx context.Context, id int64) (_ *domain.Session, err error) {
	defer wrap(&err, "Session")
	var ss domain.Session
	const q = `SELECT ` + sessionColumns + ` FROM sessions WHERE id = $1`
	if err := getOne(ctx, s.db, &ss, q, id); err != nil {
		return nil, err
	}
	return &ss, nil
}

// Sessions lists a course's sessions in time order.
func (s *Store) Sessions(ctx context.Context, courseID int64) (_ []domain.Session, err error) {
	defer wrap(&err, "Sessions")
	ss := []domain.Session{}
	const q = `SELECT ` + sessionColumns + ` FROM sessions WHERE course_id = $1 ORDER BY starts_at, id`
	return ss, mapError(s.db.SelectContext(ctx, &ss, q, courseID))
}
