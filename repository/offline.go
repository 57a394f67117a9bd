package repository

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// The trainer's app offline (issue 17, docs/OFFLINE.md): changes made on a
// device without network and sent later, each applied once, none written
// over a mark that changed meanwhile.

// The outcomes of an offline change, as offline_changes records them and the
// device is told. A refusal is not an outcome: it is an error, and nothing is
// recorded, so that the change may be sent again once the refusal is lifted.
const (
	OutcomeApplied   = "applied"   // the change is in the database
	OutcomeUnchanged = "unchanged" // the database already said so: nothing to write
	OutcomeSkipped   = "skipped"   // "mark all present" for someone marked meanwhile: it never replaces a mark
	OutcomeConflict  = "conflict"  // held in the coordinators' list (OfflineConflicts)
)

// Refusals of an offline change, each sent back to the device with its own sentence.
var (
	ErrChangeNotYours   = domain.Refuse(domain.ErrForbidden, "offline.change_not_yours")
	ErrChangeIDReused   = domain.Refuse(domain.ErrInvalid, "offline.change_id_reused")
	ErrWalkInUnknown    = domain.Refuse(domain.ErrInvalid, "offline.walkin_unknown")
	ErrConflictResolved = domain.Refuse(domain.ErrConflict, "offline.conflict_resolved")
)

// MarkVersion is a mark as a copy saw it: its status and when it was saved.
type MarkVersion struct {
	Status   domain.AttendanceStatus `json:"status" db:"status"`
	MarkedAt time.Time               `json:"marked_at" db:"marked_at"`
}

// OfflineMark is a mark chosen on a device. Base is the mark the device's
// copy showed when the change was made (nil: unmarked): if the server's mark
// is no longer that one, the change is a conflict, never written over it.
type OfflineMark struct {
	SessionID int64
	TraineeID int64  // a person on record; 0 for a walk-in's mark
	WalkIn    string // the change id of the walk-in this marks, "" for a person on record
	Status    domain.AttendanceStatus
	Base      *MarkVersion
	FillOnly  bool // "mark all present": only while the person is unmarked
	// After is the id of the device's previous change of this mark, sent
	// before it without an answer yet: the mark it left counts as seen.
	After string
}

// OfflineWalkIn is a person enrolled provisionally on a device: the fields
// of the online form, already normalised and validated by the caller, and
// the people on record they look like (the online duplicate rules), found
// before the transaction.
type OfflineWalkIn struct {
	CourseID     int64
	Trainee      *domain.Trainee
	Organisation *domain.Organisation // typed on the device, nil when one was chosen
	Matches      []int64
}

// OfflineChange is one change of a device's queue.
type OfflineChange struct {
	ID      string          // a UUID made on the device
	MadeAt  time.Time       // when the device says it was made
	Payload json.RawMessage // as sent: a replay must send the same
	Mark    *OfflineMark
	WalkIn  *OfflineWalkIn
	Scores  *OfflineScores
}

func (ch *OfflineChange) kind() string {
	switch {
	case ch.WalkIn != nil:
		return "walkin"
	case ch.Scores != nil:
		return "scores"
	}
	return "mark"
}

// OfflineResult is what became of a change: the device keeps its copy of the
// mark (Mark) and, for a walk-in, the person's id.
type OfflineResult struct {
	ID         string       `json:"id"`
	Outcome    string       `json:"outcome"`
	TraineeID  *int64       `json:"trainee_id,omitempty"`
	ConflictID *int64       `json:"conflict_id,omitempty"`
	Mark       *MarkVersion `json:"mark,omitempty"` // the server's mark after the change (nil: unmarked)
	// Scores: the server's scores after the change (a conflict: the
	// server's, which stand), and the values in conflict.
	Scores         *domain.Scores `json:"scores,omitempty"`
	ConflictFields []string       `json:"conflict_fields,omitempty"`
}

// ApplyOfflineChange applies one change of a device's queue as the user by
// within scope, once: the change's id is claimed in offline_changes in the
// same transaction as the change, so that a replay (or twenty at once)
// reads the first outcome back instead of applying it again. A refusal
// (outside the scope, session not open, not enrolled, invalid person)
// writes nothing and is returned as the error.
func (s *Store) ApplyOfflineChange(ctx context.Context, ch OfflineChange, scope Scope, by *int64) (_ OfflineResult, err error) {
	defer wrap(&err, "ApplyOfflineChange %s", ch.ID)
	if by == nil { // a device's change is always a signed-in user's
		return OfflineResult{}, domain.ErrUnauthenticated
	}
	user := *by
	if done, err := s.offlineOutcome(ctx, s.db, ch, user); err != nil || done != nil {
		return deref(done), err
	}
	stmt, err := s.statement(ctx, enrolSQL) // before the transaction: see statement
	if err != nil {
		return OfflineResult{}, err
	}
	var res OfflineResult
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		const claim = `INSERT INTO offline_changes (change_id, user_id, kind, payload, outcome, made_at)
		               VALUES ($1, $2, $3, $4, 'applied', $5) ON CONFLICT (change_id) DO NOTHING`
		r, err := tx.ExecContext(ctx, claim, ch.ID, user, ch.kind(), string(ch.Payload), ch.MadeAt)
		if err != nil {
			return mapError(err)
		}
		if n, _ := r.RowsAffected(); n == 0 { // a replay that ran at the same time committed first
			done, err := s.offlineOutcome(ctx, tx, ch, user)
			res = deref(done)
			return err
		}
		switch {
		case ch.WalkIn != nil:
			res, err = applyWalkIn(ctx, tx, stmt, ch, scope, user)
		case ch.Scores != nil:
			res, err = applyOfflineScores(ctx, tx, ch, scope, user)
		default:
			res, err = applyOfflineMark(ctx, tx, ch, scope, user)
		}
		if err != nil {
			return err
		}
		const record = `UPDATE offline_changes SET outcome = $2, trainee_id = $3, conflict_id = $4 WHERE change_id = $1`
		_, err = tx.ExecContext(ctx, record, ch.ID, res.Outcome, res.TraineeID, res.ConflictID)
		return mapError(err)
	})
	return res, err
}

func deref(r *OfflineResult) OfflineResult {
	if r == nil {
		return OfflineResult{}
	}
	return *r
}

// offlineOutcome is the recorded outcome of a change already applied (nil
// when it was not), with the server's mark as it is now. The id of another
// user's change, or the same id with another content, is refused.
func (s *Store) offlineOutcome(ctx context.Context, q sqlx.QueryerContext, ch OfflineChange, by int64) (*OfflineResult, error) {
	var row struct {
		UserID     int64   `db:"user_id"`
		Same       bool    `db:"same"`
		Outcome    string  `db:"outcome"`
		TraineeID  *int64  `db:"trainee_id"`
		ConflictID *int64  `db:"conflict_id"`
		Payload    []byte  `db:"payload"`
		Kind       *string `db:"kind"`
	}
	const q1 = `SELECT user_id, payload = $2::jsonb AS same, outcome, trainee_id, conflict_id, payload, kind
	              FROM offline_changes WHERE change_id = $1`
	err := getOne(ctx, q, &row, q1, ch.ID, string(ch.Payload))
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case row.UserID != by:
		return nil, ErrChangeNotYours
	case !row.Same:
		return nil, ErrChangeIDReused
	}
	res := &OfflineResult{ID: ch.ID, Outcome: row.Outcome, TraineeID: row.TraineeID, ConflictID: row.ConflictID}
	if ch.Mark != nil && res.Outcome != OutcomeConflict {
		traineeID := ch.Mark.TraineeID
		if traineeID == 0 && row.TraineeID != nil {
			traineeID = *row.TraineeID
		}
		if res.Mark, err = currentMark(ctx, q, ch.Mark.SessionID, traineeID, false); err != nil {
			return nil, err
		}
	}
	if ch.Scores != nil {
		if err := replayedScores(ctx, q, ch.Scores, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// serverMark is a session's mark of one person with who saved it.
type serverMark struct {
	EnrollmentID int64                    `db:"enrollment_id"`
	CourseID     int64                    `db:"course_id"`
	Status       *domain.AttendanceStatus `db:"status"`
	MarkedAt     *time.Time               `db:"marked_at"`
	MarkedBy     *int64                   `db:"marked_by"`
}

func (m serverMark) version() *MarkVersion {
	if m.Status == nil || m.MarkedAt == nil {
		return nil
	}
	return &MarkVersion{Status: *m.Status, MarkedAt: *m.MarkedAt}
}

// markOf reads (and with lock, locks) the person's active enrolment in the
// session's course and their mark: not enrolled is a refusal.
func markOf(ctx context.Context, q sqlx.QueryerContext, sessionID, traineeID int64, lock bool) (serverMark, error) {
	query := `SELECT e.id AS enrollment_id, s.course_id, a.status, a.marked_at, a.marked_by
	  FROM sessions s
	  JOIN enrollments e ON e.course_id = s.course_id AND e.trainee_id = $2 AND e.status <> 'withdrawn'
	  LEFT JOIN attendance a ON a.enrollment_id = e.id AND a.session_id = s.id
	 WHERE s.id = $1`
	if lock {
		query += ` FOR UPDATE OF e`
	}
	var m serverMark
	err := getOne(ctx, q, &m, query, sessionID, traineeID)
	if errors.Is(err, domain.ErrNotFound) {
		return m, domain.Invalid("trainee_id", "attendance.not_enrolled")
	}
	return m, err
}

func currentMark(ctx context.Context, q sqlx.QueryerContext, sessionID, traineeID int64, lock bool) (*MarkVersion, error) {
	m, err := markOf(ctx, q, sessionID, traineeID, lock)
	if v, ok := domain.AsValidation(err); ok && v != nil {
		return nil, nil // withdrawn since: the device's copy has no mark to show
	}
	return m.version(), err
}

// lockSessionForMarks locks the session as saveAttendance does (a
// cancellation or another save of its sheet waits) and checks that it is in
// the scope and open for marks.
func lockSessionForMarks(ctx context.Context, tx *sqlx.Tx, sessionID int64, scope Scope) (domain.Session, error) {
	var session domain.Session
	const lock = `SELECT ` + sessionColumns + ` FROM sessions WHERE id = $1 FOR NO KEY UPDATE`
	if err := getOne(ctx, tx, &session, lock, sessionID); err != nil {
		return session, err
	}
	if !scope.Allows(session.CourseID) {
		return session, fmt.Errorf("session %d outside the scope: %w", sessionID, ErrNotTrainerOfCourse)
	}
	return session, domain.SessionOpenForMarks(session, time.Now())
}

// ErrNotTrainerOfCourse refuses a change on a course that is not (or no
// longer) the trainer's: the device keeps it for a coordinator.
var ErrNotTrainerOfCourse = domain.Refuse(domain.ErrForbidden, "offline.not_your_course")

// applyOfflineMark applies a mark: written when the server's mark is still
// the one the device saw, unchanged when it already says so, skipped for
// "mark all present" on someone marked meanwhile, else a conflict.
func applyOfflineMark(ctx context.Context, tx *sqlx.Tx, ch OfflineChange, scope Scope, by int64) (OfflineResult, error) {
	m := ch.Mark
	res := OfflineResult{ID: ch.ID}
	if !m.Status.Valid() {
		return res, domain.Invalid("status", "attendance.status_unknown")
	}
	session, err := lockSessionForMarks(ctx, tx, m.SessionID, scope)
	if err != nil {
		return res, err
	}
	traineeID := m.TraineeID
	if m.WalkIn != "" {
		walkIn, err := walkInOutcome(ctx, tx, m.WalkIn, by)
		if err != nil {
			return res, err
		}
		if walkIn.TraineeID == nil { // the walk-in waits for a coordinator: so does their mark
			return holdMark(ctx, tx, *walkIn.ConflictID, ch, session)
		}
		traineeID = *walkIn.TraineeID
		res.TraineeID = &traineeID
	}
	current, err := markOf(ctx, tx, session.ID, traineeID, true)
	if err != nil {
		return res, err
	}
	seen := current.version()
	switch {
	case seen != nil && seen.Status == m.Status:
		res.Outcome, res.Mark = OutcomeUnchanged, seen
		return res, nil
	case m.FillOnly && seen != nil:
		res.Outcome, res.Mark = OutcomeSkipped, seen
		return res, nil
	case !sameVersion(seen, m.Base) && m.WalkIn == "":
		left, err := leftByPrevious(ctx, tx, m.After, current, by)
		if err != nil {
			return res, err
		}
		if !left {
			return markConflict(ctx, tx, ch, session, traineeID, current, by)
		}
	}
	var unmatched int
	err = getOne(ctx, tx, &unmatched, saveAttendanceSQL, session.ID, pq.Array([]int64{traineeID}),
		pq.Array([]string{string(m.Status)}), by, false)
	if err != nil {
		return res, err
	}
	res.Outcome = OutcomeApplied
	res.Mark, err = currentMark(ctx, tx, session.ID, traineeID, false)
	return res, err
}

// leftByPrevious reports whether the server's mark is the one the device's
// previous change of it (after) wrote: the device had seen its own change.
func leftByPrevious(ctx context.Context, tx *sqlx.Tx, after string, current serverMark, by int64) (bool, error) {
	if after == "" || current.Status == nil || current.MarkedBy == nil || *current.MarkedBy != by {
		return false, nil
	}
	var status string
	const q = `SELECT payload->>'status' FROM offline_changes
	            WHERE change_id = $1 AND user_id = $2 AND kind = 'mark' AND outcome IN ('applied', 'unchanged')`
	err := getOne(ctx, tx, &status, q, after, by)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	return err == nil && status == string(*current.Status), err
}

// sameVersion reports whether the server's mark is the one the device saw.
// Times are compared to the microsecond, PostgreSQL's precision.
func sameVersion(server, device *MarkVersion) bool {
	if server == nil || device == nil {
		return server == nil && device == nil
	}
	return server.Status == device.Status && server.MarkedAt.Truncate(time.Microsecond).Equal(device.MarkedAt.Truncate(time.Microsecond))
}

// markConflict puts the mark in the coordinators' list with the server's.
func markConflict(ctx context.Context, tx *sqlx.Tx, ch OfflineChange, session domain.Session, traineeID int64, server serverMark, by int64) (OfflineResult, error) {
	res := OfflineResult{ID: ch.ID, Outcome: OutcomeConflict, Mark: server.version()}
	const q = `INSERT INTO offline_conflicts (kind, change_id, course_id, session_id, trainee_id,
	           device_status, device_by, device_at, server_status, server_by, server_at)
	           VALUES ('mark', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`
	var id int64
	err := getOne(ctx, tx, &id, q, ch.ID, session.CourseID, session.ID, traineeID, ch.Mark.Status, by, ch.MadeAt,
		server.Status, server.MarkedBy, server.MarkedAt)
	if err != nil {
		return res, err
	}
	res.ConflictID = &id
	return res, writeAudit(ctx, tx, AuditEntry{ActorID: &by, Action: "offline.conflict", Entity: "offline_conflict", EntityID: &id,
		After: map[string]any{"device": ch.Mark.Status, "server": server.Status}, TraineeID: &traineeID,
		CourseID: &session.CourseID, SessionID: &session.ID})
}

// heldMark is a walk-in's mark waiting with them in the coordinators' list.
type heldMark struct {
	ChangeID  string                  `json:"change_id"`
	SessionID int64                   `json:"session_id"`
	Status    domain.AttendanceStatus `json:"status"`
}

// holdMark adds a walk-in's mark to their entry in the coordinators' list.
func holdMark(ctx context.Context, tx *sqlx.Tx, conflictID int64, ch OfflineChange, session domain.Session) (OfflineResult, error) {
	held, err := json.Marshal([]heldMark{{ChangeID: ch.ID, SessionID: session.ID, Status: ch.Mark.Status}})
	if err != nil {
		return OfflineResult{}, err
	}
	const q = `UPDATE offline_conflicts SET held_marks = held_marks || $2::jsonb WHERE id = $1`
	if _, err := tx.ExecContext(ctx, q, conflictID, string(held)); err != nil {
		return OfflineResult{}, mapError(err)
	}
	return OfflineResult{ID: ch.ID, Outcome: OutcomeConflict, ConflictID: &conflictID}, nil
}

// walkInOutcome is the recorded outcome of the user's walk-in change id: a
// person (TraineeID) or an entry of the coordinators' list (ConflictID).
func walkInOutcome(ctx context.Context, tx *sqlx.Tx, changeID string, by int64) (OfflineResult, error) {
	var r struct {
		TraineeID  *int64 `db:"trainee_id"`
		ConflictID *int64 `db:"conflict_id"`
	}
	const q = `SELECT trainee_id, conflict_id FROM offline_changes WHERE change_id = $1 AND user_id = $2 AND kind = 'walkin'`
	err := getOne(ctx, tx, &r, q, changeID, by)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && r.TraineeID == nil && r.ConflictID == nil) {
		return OfflineResult{}, ErrWalkInUnknown
	}
	return OfflineResult{TraineeID: r.TraineeID, ConflictID: r.ConflictID}, err
}

// applyWalkIn creates and enrols the walk-in, or, when they look like a
// person on record, puts them in the coordinators' list instead.
func applyWalkIn(ctx context.Context, tx *sqlx.Tx, stmt *preparedQuery, ch OfflineChange, scope Scope, by int64) (OfflineResult, error) {
	w := ch.WalkIn
	res := OfflineResult{ID: ch.ID}
	if !scope.Allows(w.CourseID) {
		return res, fmt.Errorf("course %d outside the scope: %w", w.CourseID, ErrNotTrainerOfCourse)
	}
	if len(w.Matches) > 0 {
		return walkInConflict(ctx, tx, ch, by)
	}
	if err := enrolWalkIn(ctx, tx, stmt, w, by); err != nil {
		return res, err
	}
	res.Outcome, res.TraineeID = OutcomeApplied, &w.Trainee.ID
	return res, nil
}

// enrolWalkIn creates the person (and the organisation typed with them; one
// on record with that name is used instead, as the online form offers it)
// and enrols them.
func enrolWalkIn(ctx context.Context, tx *sqlx.Tx, stmt *preparedQuery, w *OfflineWalkIn, by int64) error {
	t := *w.Trainee
	if w.Organisation != nil {
		org := *w.Organisation
		err := createOrganisation(ctx, tx, &org, &by)
		var exists *domain.OrganisationExists
		switch {
		case errors.As(err, &exists):
			org.ID = exists.Existing.ID
		case err != nil:
			return err
		}
		t.OrganisationID = &org.ID
	}
	if err := createTrainee(ctx, tx, &t, &by); err != nil {
		return err
	}
	if _, err := enrol(ctx, tx, stmt, w.CourseID, t.ID, EnrollOptions{}, &by); err != nil {
		return err
	}
	w.Trainee.ID = t.ID
	return nil
}

// walkInConflict puts a walk-in who looks like people on record in the
// coordinators' list, with the person as typed.
func walkInConflict(ctx context.Context, tx *sqlx.Tx, ch OfflineChange, by int64) (OfflineResult, error) {
	w := ch.WalkIn
	typed, err := json.Marshal(walkInRecord{Trainee: w.Trainee, Organisation: w.Organisation})
	if err != nil {
		return OfflineResult{}, err
	}
	const q = `INSERT INTO offline_conflicts (kind, change_id, course_id, device_by, device_at, walkin, matches)
	           VALUES ('walkin', $1, $2, $3, $4, $5, $6) RETURNING id`
	var id int64
	if err := getOne(ctx, tx, &id, q, ch.ID, w.CourseID, by, ch.MadeAt, string(typed), pq.Array(w.Matches)); err != nil {
		return OfflineResult{}, err
	}
	return OfflineResult{ID: ch.ID, Outcome: OutcomeConflict, ConflictID: &id},
		writeAudit(ctx, tx, AuditEntry{ActorID: &by, Action: "offline.conflict", Entity: "offline_conflict", EntityID: &id,
			After: map[string]any{"walkin": true, "matches": len(w.Matches)}, CourseID: &w.CourseID})
}

// walkInRecord is a walk-in as the coordinators' list keeps them.
type walkInRecord struct {
	Trainee      *domain.Trainee      `json:"trainee"`
	Organisation *domain.Organisation `json:"organisation,omitempty"`
}

// OfflineConflict is an entry of the coordinators' list: both values, who
// set them and when.
type OfflineConflict struct {
	ID            int64                   `db:"id" json:"id"`
	Kind          string                  `db:"kind" json:"kind"`
	CourseID      int64                   `db:"course_id" json:"course_id"`
	CourseCode    string                  `db:"course_code" json:"course_code"`
	SessionID     *int64                  `db:"session_id" json:"session_id"`
	SessionStarts *time.Time              `db:"session_starts" json:"session_starts_at"`
	TraineeID     *int64                  `db:"trainee_id" json:"trainee_id"`
	FullNameAr    *string                 `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin *string                 `db:"full_name_latin" json:"full_name_latin"`
	DeviceStatus  domain.AttendanceStatus `db:"device_status" json:"device_status"` // "" for a walk-in
	DeviceBy      string                  `db:"device_by" json:"device_by"`
	DeviceAt      time.Time               `db:"device_at" json:"device_at"`
	ServerStatus  domain.AttendanceStatus `db:"server_status" json:"server_status"` // "": unmarked
	ServerBy      string                  `db:"server_by" json:"server_by"`
	ServerAt      *time.Time              `db:"server_at" json:"server_at"`
	CurrentStatus domain.AttendanceStatus `db:"current_status" json:"current_status"` // the mark now ("": unmarked)
	WalkIn        *json.RawMessage        `db:"walkin" json:"walkin"`
	Person        *domain.Trainee         `db:"-" json:"-"` // a walk-in as typed, read from WalkIn
	Matches       []TraineeMatch          `db:"-" json:"matches"`
	HeldMarks     int                     `db:"held_marks" json:"held_marks"`
	CreatedAt     time.Time               `db:"created_at" json:"created_at"`
}

// offlineConflictSelect reads the list's entries with names instead of ids.
const offlineConflictSelect = `SELECT oc.id, oc.kind, oc.course_id, c.code AS course_code, oc.session_id, s.starts_at AS session_starts,
       oc.trainee_id, t.full_name_ar, t.full_name_latin, coalesce(oc.device_status, '') AS device_status, du.name AS device_by,
       oc.device_at, coalesce(oc.server_status, '') AS server_status, coalesce(su.name, '') AS server_by, oc.server_at,
       coalesce(a.status, '') AS current_status, oc.walkin,
       jsonb_array_length(oc.held_marks) AS held_marks, oc.created_at, oc.matches
  FROM offline_conflicts oc
  JOIN courses c ON c.id = oc.course_id
  JOIN users du ON du.id = oc.device_by
  LEFT JOIN users su ON su.id = oc.server_by
  LEFT JOIN sessions s ON s.id = oc.session_id
  LEFT JOIN trainees t ON t.id = oc.trainee_id
  LEFT JOIN enrollments e ON e.course_id = oc.course_id AND e.trainee_id = oc.trainee_id
  LEFT JOIN attendance a ON a.enrollment_id = e.id AND a.session_id = oc.session_id`

type conflictRow struct {
	OfflineConflict
	MatchIDs pq.Int64Array `db:"matches"`
}

// OfflineConflicts lists the entries no coordinator has resolved yet, oldest
// first, with the people each walk-in looks like.
func (s *Store) OfflineConflicts(ctx context.Context, page Page) (_ []OfflineConflict, err error) {
	defer wrap(&err, "OfflineConflicts")
	var rows []conflictRow
	const q = offlineConflictSelect + ` WHERE oc.resolved_at IS NULL ORDER BY oc.created_at, oc.id LIMIT $1 OFFSET $2`
	if err := s.db.SelectContext(ctx, &rows, q, page.limit(), page.Offset); err != nil {
		return nil, mapError(err)
	}
	out := make([]OfflineConflict, len(rows))
	for i, r := range rows {
		out[i] = r.OfflineConflict
		if r.WalkIn != nil {
			var w walkInRecord
			if err := json.Unmarshal(*r.WalkIn, &w); err != nil {
				return nil, fmt.Errorf("walk-in of conflict %d: %w", r.ID, err)
			}
			out[i].Person = w.Trainee
		}
		if out[i].Matches, err = s.traineeMatches(ctx, r.MatchIDs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// traineeMatches are the people of ids as a coordinator's list shows them.
func (s *Store) traineeMatches(ctx context.Context, ids []int64) ([]TraineeMatch, error) {
	out := []TraineeMatch{}
	if len(ids) == 0 {
		return out, nil
	}
	var found []domain.Trainee
	if err := s.db.SelectContext(ctx, &found, traineeSelect+` WHERE t.id = ANY($1) ORDER BY t.id`, pq.Array(ids)); err != nil {
		return nil, mapError(err)
	}
	for _, t := range found {
		out = append(out, TraineeMatch{Trainee: t})
	}
	return out, nil
}

// The choices of a coordinator on an entry of the list.
const (
	KeepDevice     = "device"          // the device's mark replaces the server's
	KeepServer     = "server"          // the server's mark stays
	NewPerson      = "new_person"      // the walk-in is someone new: created and enrolled
	ExistingPerson = "existing_person" // the walk-in is a person on record (PersonID): enrolled
)

// ResolveOfflineConflict applies a coordinator's choice on an entry of the
// list, in one transaction, audited as by's. A walk-in's held marks are
// saved for the person chosen (created); an entry resolved already is
// ErrConflictResolved (two coordinators choosing at once: the second is told).
func (s *Store) ResolveOfflineConflict(ctx context.Context, id int64, choice string, personID int64, by *int64) (err error) {
	defer wrap(&err, "ResolveOfflineConflict %d", id)
	stmt, err := s.statement(ctx, enrolSQL)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var c struct {
			Kind      string                   `db:"kind"`
			ChangeID  string                   `db:"change_id"`
			CourseID  int64                    `db:"course_id"`
			SessionID *int64                   `db:"session_id"`
			TraineeID *int64                   `db:"trainee_id"`
			Device    *domain.AttendanceStatus `db:"device_status"`
			WalkIn    []byte                   `db:"walkin"`
			Matches   pq.Int64Array            `db:"matches"`
			Held      []byte                   `db:"held_marks"`
			Resolved  bool                     `db:"resolved"`
		}
		const lock = `SELECT kind, change_id, course_id, session_id, trainee_id, device_status, walkin, matches, held_marks,
		                     resolved_at IS NOT NULL AS resolved FROM offline_conflicts WHERE id = $1 FOR UPDATE`
		if err := getOne(ctx, tx, &c, lock, id); err != nil {
			return err
		}
		if c.Resolved {
			return ErrConflictResolved
		}
		switch {
		case c.Kind == "mark" && choice == KeepDevice:
			if err := saveMarkAs(ctx, tx, *c.SessionID, *c.TraineeID, *c.Device, by); err != nil {
				return err
			}
		case c.Kind == "mark" && choice == KeepServer:
		case c.Kind == "walkin" && (choice == NewPerson || choice == ExistingPerson):
			traineeID, err := settleWalkIn(ctx, tx, stmt, c.CourseID, c.WalkIn, choice, personID, c.Matches, by)
			if err != nil {
				return err
			}
			if err := saveHeldMarks(ctx, tx, c.Held, traineeID, by); err != nil {
				return err
			}
			const known = `UPDATE offline_changes SET trainee_id = $2 WHERE change_id = $1`
			if _, err := tx.ExecContext(ctx, known, c.ChangeID, traineeID); err != nil {
				return mapError(err)
			}
			const person = `UPDATE offline_conflicts SET trainee_id = $2 WHERE id = $1`
			if _, err := tx.ExecContext(ctx, person, id, traineeID); err != nil {
				return mapError(err)
			}
		default:
			return domain.Invalid("choice", "offline.choice_unknown")
		}
		const done = `UPDATE offline_conflicts SET resolved_at = now(), resolved_by = $2, resolution = $3 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, done, id, by, choice); err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "offline.resolve", Entity: "offline_conflict", EntityID: &id,
			After: map[string]any{"choice": choice}, TraineeID: c.TraineeID, CourseID: &c.CourseID, SessionID: c.SessionID})
	})
}

// saveMarkAs saves one mark as saveAttendance does, inside tx, after locking
// the session (a cancelled session or one not yet come refuses it).
func saveMarkAs(ctx context.Context, tx *sqlx.Tx, sessionID, traineeID int64, status domain.AttendanceStatus, by *int64) error {
	if _, err := lockSessionForMarks(ctx, tx, sessionID, AllCourses()); err != nil {
		return err
	}
	var unmatched int
	err := getOne(ctx, tx, &unmatched, saveAttendanceSQL, sessionID, pq.Array([]int64{traineeID}), pq.Array([]string{string(status)}), by, false)
	if err == nil && unmatched > 0 {
		return domain.Invalid("trainee_id", "attendance.not_enrolled")
	}
	return err
}

// settleWalkIn enrols the walk-in as the coordinator chose: a new person as
// typed, or one of the people on record they looked like (already enrolled:
// kept as is).
func settleWalkIn(ctx context.Context, tx *sqlx.Tx, stmt *preparedQuery, courseID int64, typed []byte, choice string, personID int64, matches []int64, by *int64) (int64, error) {
	if choice == ExistingPerson {
		found := false
		for _, m := range matches {
			found = found || m == personID
		}
		if !found {
			return 0, domain.Invalid("person_id", "offline.person_not_a_match")
		}
		var enrolled bool
		const q = `SELECT EXISTS (SELECT 1 FROM enrollments WHERE course_id = $1 AND trainee_id = $2 AND status <> 'withdrawn')`
		if err := getOne(ctx, tx, &enrolled, q, courseID, personID); err != nil {
			return 0, err
		}
		if !enrolled {
			if _, err := enrol(ctx, tx, stmt, courseID, personID, EnrollOptions{OverrideCapacity: true}, by); err != nil {
				return 0, err
			}
		}
		return personID, nil
	}
	var w walkInRecord
	if err := json.Unmarshal(typed, &w); err != nil || w.Trainee == nil {
		return 0, fmt.Errorf("walk-in of the list unreadable: %v", err)
	}
	w.Trainee.ID = 0
	who := int64(0)
	if by != nil {
		who = *by
	}
	walkIn := &OfflineWalkIn{CourseID: courseID, Trainee: w.Trainee, Organisation: w.Organisation}
	if err := enrolWalkIn(ctx, tx, stmt, walkIn, who); err != nil {
		return 0, err
	}
	return walkIn.Trainee.ID, nil
}

// saveHeldMarks saves a walk-in's marks held in the list for the person.
func saveHeldMarks(ctx context.Context, tx *sqlx.Tx, held []byte, traineeID int64, by *int64) error {
	var marks []heldMark
	if err := json.Unmarshal(held, &marks); err != nil {
		return fmt.Errorf("held marks unreadable: %w", err)
	}
	for _, m := range marks {
		if err := saveMarkAs(ctx, tx, m.SessionID, traineeID, m.Status, by); err != nil {
			return err
		}
	}
	return nil
}

// PackSession is a session as the device keeps it, with its roster.
type PackSession struct {
	ID         int64       `db:"id" json:"id"`
	CourseID   int64       `db:"course_id" json:"course_id"`
	CourseCode string      `db:"course_code" json:"course_code"`
	TitleAr    string      `db:"title_ar" json:"title_ar"`
	TitleFr    string      `db:"title_fr" json:"title_fr"`
	StartsAt   time.Time   `db:"starts_at" json:"starts_at"`
	EndsAt     time.Time   `db:"ends_at" json:"ends_at"`
	Place      string      `db:"place" json:"place"`
	Cancelled  bool        `db:"cancelled" json:"cancelled"`
	CourseShut bool        `db:"course_closed" json:"course_closed"`
	Roster     []PackEntry `db:"-" json:"roster"`
}

// PackEntry is one person of a session's roster on the device: their names
// and their mark. A minor is reduced to name and birth year; an adult's
// birth year is not kept (the sheet does not need it).
type PackEntry struct {
	SessionID     int64                    `db:"session_id" json:"-"`
	TraineeID     int64                    `db:"trainee_id" json:"trainee_id"`
	FullNameAr    *string                  `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin *string                  `db:"full_name_latin" json:"full_name_latin"`
	Minor         bool                     `db:"minor" json:"minor"`
	BirthYear     *int                     `db:"birth_year" json:"birth_year,omitempty"`
	Status        *domain.AttendanceStatus `db:"status" json:"status"`
	MarkedAt      *time.Time               `db:"marked_at" json:"marked_at"`
	MarkedBy      *string                  `db:"marked_by" json:"marked_by"`
}

// OfflinePack is what a device keeps of the scope's sessions starting in
// [from, to): each with its course's active enrolments and their marks.
func (s *Store) OfflinePack(ctx context.Context, scope Scope, from, to time.Time) (_ []PackSession, err error) {
	defer wrap(&err, "OfflinePack")
	sessions := []PackSession{}
	const q = `SELECT s.id, s.course_id, c.code AS course_code, c.title_ar, c.title_fr, s.starts_at, s.ends_at, s.place,
	       s.cancelled_at IS NOT NULL AS cancelled,
	       EXISTS (SELECT 1 FROM course_closings cc WHERE cc.course_id = c.id AND cc.reopened_at IS NULL) AS course_closed
	  FROM sessions s JOIN courses c ON c.id = s.course_id
	 WHERE ($1::bigint[] IS NULL OR s.course_id = ANY($1)) AND s.starts_at >= $2 AND s.starts_at < $3
	 ORDER BY s.starts_at, s.id LIMIT 200`
	if err := s.db.SelectContext(ctx, &sessions, q, scope.courseIDs(), from, to); err != nil {
		return nil, mapError(err)
	}
	if len(sessions) == 0 {
		return sessions, nil
	}
	ids := make([]int64, len(sessions))
	bySession := make(map[int64]*PackSession, len(sessions))
	for i := range sessions {
		ids[i] = sessions[i].ID
		sessions[i].Roster = []PackEntry{}
		bySession[sessions[i].ID] = &sessions[i]
	}
	const r = `SELECT s.id AS session_id, t.id AS trainee_id, t.full_name_ar, t.full_name_latin,
	       t.category = 'child_parliamentarian' AS minor,
	       CASE WHEN t.category = 'child_parliamentarian' THEN t.birth_year END AS birth_year,
	       a.status, a.marked_at, u.name AS marked_by
	  FROM sessions s
	  JOIN enrollments e ON e.course_id = s.course_id AND e.status <> 'withdrawn'
	  JOIN trainees t ON t.id = e.trainee_id
	  LEFT JOIN attendance a ON a.enrollment_id = e.id AND a.session_id = s.id
	  LEFT JOIN users u ON u.id = a.marked_by
	 WHERE s.id = ANY($1)
	 ORDER BY s.id, coalesce(t.full_name_ar, t.full_name_latin), t.id`
	var entries []PackEntry
	if err := s.db.SelectContext(ctx, &entries, r, pq.Array(ids)); err != nil {
		return nil, mapError(err)
	}
	for _, e := range entries {
		ps := bySession[e.SessionID]
		ps.Roster = append(ps.Roster, e)
	}
	return sessions, nil
}

// PackCode is one check-in code of an active enrolment in a course of the
// pack: the offline app keeps only its hash (domain.CheckinDigest).
type PackCode struct {
	CourseID  int64 `db:"course_id"`
	TraineeID int64 `db:"trainee_id"`
	domain.CheckinCode
}

// OfflineCheckinCodes is every code of the courses' active enrolments, as
// CheckIn finds them (a person whose enrolments were merged may hold
// several). It reads only: codes are made when a sheet or badges are
// printed, and a code never printed is never scanned.
func (s *Store) OfflineCheckinCodes(ctx context.Context, courseIDs []int64) (_ []PackCode, err error) {
	defer wrap(&err, "OfflineCheckinCodes")
	codes := []PackCode{}
	if len(courseIDs) == 0 {
		return codes, nil
	}
	const q = `SELECT e.course_id, e.trainee_id, c.token, c.short_code
	  FROM enrollment_codes c JOIN enrollments e ON e.id = c.enrollment_id
	 WHERE e.course_id = ANY($1) AND e.status <> 'withdrawn'
	 ORDER BY e.course_id, e.trainee_id, c.id`
	if err := s.db.SelectContext(ctx, &codes, q, pq.Array(courseIDs)); err != nil {
		return nil, mapError(err)
	}
	return codes, nil
}
