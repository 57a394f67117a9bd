package repository

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// The life of sessions and courses (issue 14, points 3 and 6): editing,
// deleting and cancelling a session; closing and reopening a course; a
// coordinator's correction on a closed course. The guard that refuses
// writes on a closed course is in the database (migration 00016,
// refuse_writes_on_closed_course): every writer, this code's and a psql
// session's alike, meets it.

// The refusals, each with its sentence (views/locales/lifecycle.*.json).
var (
	// ErrCourseClosed: a write on a closed course without a correction reason.
	ErrCourseClosed      = domain.Refuse(domain.ErrConflict, "course.closed")
	errCourseNotClosed   = domain.Refuse(domain.ErrConflict, "course.not_closed")
	errCourseClosedTwice = domain.Refuse(domain.ErrConflict, "course.already_closed")
	errSessionMarked     = domain.Refuse(domain.ErrConflict, "session.has_marks")
	errSessionMarkedDel  = domain.Refuse(domain.ErrConflict, "session.has_marks_delete")
	errSessionCancelled  = domain.Refuse(domain.ErrConflict, "session.cancelled")
)

// correctionKey is the context key of a correction's reason.
type correctionKey struct{}

// WithCorrection is ctx carrying the reason a coordinator gave for changing
// a closed course. A transaction begun with it (Store.inTx) may write on a
// closed course, and every audit entry it writes carries the reason
// (audit_log.reason). Only a coordinator's or an admin's request carries
// one (app: onCourse, onSession).
func WithCorrection(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, correctionKey{}, reason)
}

// CorrectionOf is the correction reason ctx carries, "" for none.
func CorrectionOf(ctx context.Context) string {
	reason, _ := ctx.Value(correctionKey{}).(string)
	return reason
}

// beginCorrection tells the database, for tx only, the reason of the
// correction ctx carries (nothing without one).
func beginCorrection(ctx context.Context, tx *sqlx.Tx) error {
	reason := CorrectionOf(ctx)
	if reason == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT set_config('takaffoul.correction_reason', $1, true)`, reason)
	return mapError(err)
}

// lockedSession reads a session and locks it for the change of tx: a mark
// saved meanwhile (which sets has_marks) waits, or is seen.
func lockedSession(ctx context.Context, tx *sqlx.Tx, id int64) (*domain.Session, error) {
	var ss domain.Session
	if err := getOne(ctx, tx, &ss, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, err
	}
	return &ss, nil
}

// sessionAudit is a session as its audit entries show it.
func sessionAudit(ss *domain.Session) map[string]any {
	return map[string]any{"course_id": ss.CourseID, "starts_at": ss.StartsAt, "ends_at": ss.EndsAt, "place": ss.Place,
		"hours": ss.Hours, "cancelled_at": ss.CancelledAt, "cancel_reason": ss.CancelReason}
}

// UpdateSession saves a session's date, times, place and hours, as by's,
// audited with before and after. A session with marks (what was recorded
// happened at that time, in that place) or cancelled is not edited: 409.
func (s *Store) UpdateSession(ctx context.Context, ss *domain.Session, by *int64) (err error) {
	defer wrap(&err, "UpdateSession %d", ss.ID)
	if err := ss.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		before, err := lockedSession(ctx, tx, ss.ID)
		if err != nil {
			return err
		}
		switch {
		case before.Cancelled():
			return errSessionCancelled
		case before.HasMarks:
			return errSessionMarked
		}
		const q = `UPDATE sessions SET starts_at = $2, ends_at = $3, place = $4, hours = $5 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, ss.ID, ss.StartsAt, ss.EndsAt, ss.Place, ss.Hours); err != nil {
			return mapError(err)
		}
		ss.CourseID = before.CourseID
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "session.update", Entity: "session", EntityID: &ss.ID,
			Before: sessionAudit(before), After: sessionAudit(ss)})
	})
}

// DeleteSession deletes a session that has no mark (one created by
// mistake), as by's, audited with what it was. A session with marks is
// cancelled instead: 409.
func (s *Store) DeleteSession(ctx context.Context, id int64, by *int64) (err error) {
	defer wrap(&err, "DeleteSession %d", id)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		before, err := lockedSession(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.HasMarks {
			return errSessionMarkedDel
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
			return mapError(err)
		}
		if err := writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "session.delete", Entity: "session", EntityID: &id,
			Before: sessionAudit(before)}); err != nil {
			return err
		}
		return recheckCertificates(ctx, tx, before.CourseID, by) // the completion denominator moves
	})
}

// CancelSession cancels a session, at any time, with a reason, as by's,
// audited with before and after. It is kept; it leaves the completion
// denominator, the sessions held and the hours, and its marks count for
// nobody (the counters' triggers, migration 00016). Cancelling twice: 409.
func (s *Store) CancelSession(ctx context.Context, id int64, reason string, by *int64) (err error) {
	defer wrap(&err, "CancelSession %d", id)
	reason, err = domain.CleanReason("cancel_reason", reason)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		before, err := lockedSession(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Cancelled() {
			return errSessionCancelled
		}
		var after domain.Session
		const q = `UPDATE sessions SET cancelled_at = now(), cancelled_by = $2, cancel_reason = $3 WHERE id = $1
		           RETURNING ` + sessionColumns
		if err := getOne(ctx, tx, &after, q, id, by, reason); err != nil {
			return err
		}
		if err := writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "session.cancel", Entity: "session", EntityID: &id,
			Before: sessionAudit(before), After: sessionAudit(&after)}); err != nil {
			return err
		}
		return recheckCertificates(ctx, tx, before.CourseID, by) // completion and hours move
	})
}

// CourseClosing is one closing of a course, with the figures the totals
// gave then.
type CourseClosing struct {
	ID                   int64          `db:"id" json:"id"`
	CourseID             int64          `db:"course_id" json:"course_id"`
	ClosedAt             time.Time      `db:"closed_at" json:"closed_at"`
	ClosedBy             *int64         `db:"closed_by" json:"closed_by"`
	Figures              map[string]int `db:"-" json:"figures"`
	ProgrammeFigures     map[string]int `db:"-" json:"programme_figures"`
	ProgrammeYearFigures map[string]int `db:"-" json:"programme_year_figures"`
	ReopenedAt           *time.Time     `db:"reopened_at" json:"reopened_at"`
	ReopenReason         *string        `db:"reopen_reason" json:"reopen_reason"`
}

// CloseCourse closes a course whose report is done, as by's: from then on
// trainers' writes on it are refused, and a coordinator's need a reason.
// It stores the figures as the totals compute them at that moment, for the
// course (counted from its records, in the closing's transaction, after
// its row is locked: no write of it can slip in between) and for the
// scopes reported figures are about (its programme, and its programme in
// its year), audited. Closing a closed course: 409.
func (s *Store) CloseCourse(ctx context.Context, courseID int64, by *int64) (_ *CourseClosing, err error) {
	defer wrap(&err, "CloseCourse %d", courseID)
	var scope struct {
		Programme string     `db:"programme"`
		Year      int        `db:"year"`
		ClosedAt  *time.Time `db:"closed_at"`
	}
	const course = `SELECT p.code AS programme, c.year, c.closed_at FROM courses c JOIN programmes p ON p.id = c.programme_id WHERE c.id = $1`
	if err := getOne(ctx, s.db, &scope, course, courseID); err != nil {
		return nil, err
	}
	if scope.ClosedAt != nil {
		return nil, errCourseClosedTwice
	}
	// The scopes' figures come from the cube (a programme is many courses),
	// read on the primary just before: as of the closing.
	programme, err := s.primaryTotals(ctx, domain.TotalsFilter{Programme: scope.Programme})
	if err != nil {
		return nil, err
	}
	programmeYear, err := s.primaryTotals(ctx, domain.TotalsFilter{Programme: scope.Programme, Year: scope.Year})
	if err != nil {
		return nil, err
	}
	closing := &CourseClosing{CourseID: courseID, ClosedBy: by,
		ProgrammeFigures: domain.Figures(programme), ProgrammeYearFigures: domain.Figures(programmeYear)}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var closedAt *time.Time
		if err := getOne(ctx, tx, &closedAt, `SELECT closed_at FROM courses WHERE id = $1 FOR UPDATE`, courseID); err != nil {
			return err
		}
		if closedAt != nil {
			return errCourseClosedTwice
		}
		own, err := totalsFromRecords(ctx, tx, domain.TotalsFilter{Course: courseID})
		if err != nil {
			return err
		}
		closing.Figures = domain.Figures(own)
		var raw [3][]byte
		for i, m := range []map[string]int{closing.Figures, closing.ProgrammeFigures, closing.ProgrammeYearFigures} {
			if raw[i], err = json.Marshal(m); err != nil {
				return fmt.Errorf("figures: %w", err)
			}
		}
		const insert = `INSERT INTO course_closings (course_id, closed_by, figures, programme_figures, programme_year_figures)
		                VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb) RETURNING id, closed_at`
		if err := getOne(ctx, tx, closing, insert, courseID, by, string(raw[0]), string(raw[1]), string(raw[2])); err != nil {
			return err
		}
		const close = `UPDATE courses SET closed_at = $2, closed_by = $3 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, close, courseID, closing.ClosedAt, by); err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "course.close", Entity: "course", EntityID: &courseID,
			Before: map[string]any{"closed_at": nil}, After: closing})
	})
	if err != nil {
		return nil, err
	}
	return closing, nil
}

// ReopenCourse reopens a closed course, as by's, with a reason kept on its
// closing and in the audit. A course not closed: 409.
func (s *Store) ReopenCourse(ctx context.Context, courseID int64, reason string, by *int64) (err error) {
	defer wrap(&err, "ReopenCourse %d", courseID)
	reason, err = domain.CleanReason("reopen_reason", reason)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var closedAt *time.Time
		if err := getOne(ctx, tx, &closedAt, `SELECT closed_at FROM courses WHERE id = $1 FOR UPDATE`, courseID); err != nil {
			return err
		}
		if closedAt == nil {
			return errCourseNotClosed
		}
		if _, err := tx.ExecContext(ctx, `UPDATE courses SET closed_at = NULL, closed_by = NULL WHERE id = $1`, courseID); err != nil {
			return mapError(err)
		}
		const reopen = `UPDATE course_closings SET reopened_at = now(), reopened_by = $2, reopen_reason = $3
		                 WHERE course_id = $1 AND reopened_at IS NULL`
		if _, err := tx.ExecContext(ctx, reopen, courseID, by, reason); err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "course.reopen", Entity: "course", EntityID: &courseID,
			Before: map[string]any{"closed_at": closedAt}, After: map[string]any{"closed_at": nil, "reason": reason}})
	})
}

// CourseClosings lists a course's closings, the latest first.
func (s *Store) CourseClosings(ctx context.Context, courseID int64) (_ []CourseClosing, err error) {
	defer wrap(&err, "CourseClosings %d", courseID)
	var rows []struct {
		CourseClosing
		Raw     []byte `db:"figures"`
		RawProg []byte `db:"programme_figures"`
		RawYear []byte `db:"programme_year_figures"`
	}
	const q = `SELECT id, course_id, closed_at, closed_by, figures, programme_figures, programme_year_figures,
	       reopened_at, reopen_reason
	  FROM course_closings WHERE course_id = $1 ORDER BY closed_at DESC, id DESC`
	if err := s.db.SelectContext(ctx, &rows, q, courseID); err != nil {
		return nil, mapError(err)
	}
	out := make([]CourseClosing, len(rows))
	for i, r := range rows {
		out[i] = r.CourseClosing
		if err := unjson(r.Raw, &out[i].Figures, r.RawProg, &out[i].ProgrammeFigures, r.RawYear, &out[i].ProgrammeYearFigures); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ScopeClosing is what the reported-vs-recorded panel shows beside a
// reported figure's scope (a programme, or a programme in a year): the
// figures of that scope when the latest closing in force of one of its
// courses was made.
type ScopeClosing struct {
	ClosedAt time.Time
	Figures  map[string]int
}

// ScopeClosings gives, for every scope of reported figures that has a
// closed course, the figures of its latest closing in force: keyed as
// ReportedFigure.Scope() is (programme code, and year or 0).
func (s *Store) ScopeClosings(ctx context.Context) (_ map[domain.TotalsFilter]ScopeClosing, err error) {
	defer wrap(&err, "ScopeClosings")
	var rows []struct {
		Programme string    `db:"programme"`
		Year      int       `db:"year"`
		ClosedAt  time.Time `db:"closed_at"`
		RawProg   []byte    `db:"programme_figures"`
		RawYear   []byte    `db:"programme_year_figures"`
	}
	// The latest closing in force per programme and year; a programme's
	// latest is the latest of its years'.
	const q = `SELECT DISTINCT ON (p.code, c.year) p.code AS programme, c.year, cc.closed_at,
	       cc.programme_figures, cc.programme_year_figures
	  FROM course_closings cc
	  JOIN courses c ON c.id = cc.course_id
	  JOIN programmes p ON p.id = c.programme_id
	 WHERE cc.reopened_at IS NULL
	 ORDER BY p.code, c.year, cc.closed_at DESC, cc.id DESC`
	if err := s.db.SelectContext(ctx, &rows, q); err != nil {
		return nil, mapError(err)
	}
	out := map[domain.TotalsFilter]ScopeClosing{}
	for _, r := range rows {
		var prog, year map[string]int
		if err := unjson(r.RawProg, &prog, r.RawYear, &year); err != nil {
			return nil, err
		}
		out[domain.TotalsFilter{Programme: r.Programme, Year: r.Year}] = ScopeClosing{ClosedAt: r.ClosedAt, Figures: year}
		all := domain.TotalsFilter{Programme: r.Programme}
		if latest, ok := out[all]; !ok || r.ClosedAt.After(latest.ClosedAt) {
			out[all] = ScopeClosing{ClosedAt: r.ClosedAt, Figures: prog}
		}
	}
	return out, nil
}

// primaryTotals is Totals read on the primary (a closing keeps the figures
// as of itself, not as of a standby's replay).
func (s *Store) primaryTotals(ctx context.Context, f domain.TotalsFilter) (*domain.Totals, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	st, err := s.readStatement(ctx, f)
	if err != nil {
		return nil, err
	}
	return totalsFromCube(ctx, nil, st, f)
}

// unjson reads pairs of (raw JSON, destination).
func unjson(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := json.Unmarshal(pairs[i].([]byte), pairs[i+1]); err != nil {
			return fmt.Errorf("figures: %w", err)
		}
	}
	return nil
}
