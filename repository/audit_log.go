package repository

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// LoggedChange is one line of the audit log as the audit page and the
// histories show it: who did what, when, to what, from what to what.
type LoggedChange struct {
	ID         int64           `db:"id" json:"id"`
	At         time.Time       `db:"at" json:"at"`
	Action     string          `db:"action" json:"action"`
	Entity     string          `db:"entity" json:"entity"`
	EntityID   *int64          `db:"entity_id" json:"entity_id"`
	ActorID    *int64          `db:"actor_id" json:"actor_id"`
	ActorName  *string         `db:"actor_name" json:"actor_name"` // nil: the system (a seed, a migration)
	TraineeID  *int64          `db:"trainee_id" json:"trainee_id"`
	PersonAr   *string         `db:"person_ar" json:"person_ar"`
	PersonLat  *string         `db:"person_latin" json:"person_latin"`
	CourseID   *int64          `db:"course_id" json:"course_id"`
	CourseCode *string         `db:"course_code" json:"course_code"`
	SessionID  *int64          `db:"session_id" json:"session_id"`
	Before     json.RawMessage `db:"before" json:"before"` // null when there was nothing before
	After      json.RawMessage `db:"after" json:"after"`
}

// AuditFilter narrows the audit log; a nil or empty field does not filter.
// From and To bound the time of the change: From ≤ at < To.
type AuditFilter struct {
	TraineeID, CourseID, SessionID, ActorID *int64
	Action                                  string
	From, To                                *time.Time
}

// AuditLog lists a page of the audit log, newest first, as f narrows it.
// Each filter is an index of the log (migration 00011), read newest first.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter, page Page) (_ []LoggedChange, err error) {
	defer wrap(&err, "AuditLog")
	const q = `SELECT a.id, a.at, a.action, a.entity, a.entity_id, a.actor_id, u.name AS actor_name,
	       a.trainee_id, t.full_name_ar AS person_ar, t.full_name_latin AS person_latin,
	       a.course_id, c.code AS course_code, a.session_id,
	       coalesce(a.before, 'null'::jsonb) AS before, coalesce(a.after, 'null'::jsonb) AS after
	  FROM audit_log a
	  LEFT JOIN users u ON u.id = a.actor_id
	  LEFT JOIN trainees t ON t.id = a.trainee_id
	  LEFT JOIN courses c ON c.id = a.course_id
	 WHERE ($1::bigint IS NULL OR a.trainee_id = $1)
	   AND ($2::bigint IS NULL OR a.course_id = $2)
	   AND ($3::bigint IS NULL OR a.session_id = $3)
	   AND ($4::bigint IS NULL OR a.actor_id = $4)
	   AND ($5 = '' OR a.action = $5)
	   AND ($6::timestamptz IS NULL OR a.at >= $6)
	   AND ($7::timestamptz IS NULL OR a.at < $7)
	 ORDER BY a.id DESC
	 LIMIT $8 OFFSET $9`
	out := []LoggedChange{}
	err = s.db.SelectContext(ctx, &out, q, f.TraineeID, f.CourseID, f.SessionID, f.ActorID, f.Action, f.From, f.To,
		page.limit(), page.offset())
	return out, mapError(err)
}

// AuditActions lists the actions the log holds, for the audit page's
// filter: a walk down the index on action, one probe per action, so that
// it costs the same on a log of ten million lines.
func (s *Store) AuditActions(ctx context.Context) (_ []string, err error) {
	defer wrap(&err, "AuditActions")
	const q = `WITH RECURSIVE actions AS (
	    (SELECT action FROM audit_log ORDER BY action LIMIT 1)
	    UNION ALL
	    SELECT (SELECT a.action FROM audit_log a WHERE a.action > actions.action ORDER BY a.action LIMIT 1)
	      FROM actions WHERE actions.action IS NOT NULL
	)
	SELECT action FROM actions WHERE action IS NOT NULL ORDER BY action`
	out := []string{}
	return out, mapError(s.db.SelectContext(ctx, &out, q))
}

// TraineeRecord is a person's full record as shown to by (the person's page,
// the API). Reading a minor's full record is logged ("trainee.read"), in
// the transaction of the read: the log says who saw which child's record.
func (s *Store) TraineeRecord(ctx context.Context, id int64, by *int64) (_ *domain.Trainee, err error) {
	defer wrap(&err, "TraineeRecord %d", id)
	var t domain.Trainee
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := getOne(ctx, tx, &t, traineeSelect+` WHERE t.id = $1`, id); err != nil {
			return err
		}
		if t.Category != domain.ChildParliamentarian {
			return nil
		}
		return audit(ctx, tx, by, "trainee.read", "trainee", t.ID, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}
