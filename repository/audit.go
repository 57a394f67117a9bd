package repository

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// AuditEntry is one line of the audit log: who did what to which entity,
// with the state before and after (never a password or a token).
type AuditEntry struct {
	ActorID  *int64
	Action   string // "user.create", "login.failure", …
	Entity   string // "user", "api_token", …
	EntityID *int64
	Before   any // marshalled to JSON; nil is NULL
	After    any
	// The person, course and training session the entry is about, for the
	// audit page's filters and the histories. writeAudit fills those left
	// nil from the entity ("trainee", "course", "session") and from the
	// "trainee_id", "course_id" and "session_id" of After (else Before).
	TraineeID, CourseID, SessionID *int64
}

// Audit writes one audit-log entry on its own, for events that change no
// other row (a login, a logout).
func (s *Store) Audit(ctx context.Context, e AuditEntry) (err error) {
	defer wrap(&err, "Audit")
	return writeAudit(ctx, s.db, e)
}

// audit writes, with q (the change's transaction), that by did action to
// the entity's row id, changing it from before to after: any values that
// marshal to JSON, nil for none (a creation has no before, a deletion no
// after). The one call every change makes; see AuditEntry for the subjects
// it finds by itself.
func audit(ctx context.Context, q sqlx.ExecerContext, by *int64, action, entity string, id int64, before, after any) error {
	return writeAudit(ctx, q, AuditEntry{ActorID: by, Action: action, Entity: entity, EntityID: &id, Before: before, After: after})
}

// writeAudit writes e with q, so that a change and its audit entry share a
// transaction.
func writeAudit(ctx context.Context, q sqlx.ExecerContext, e AuditEntry) error {
	before, err := jsonOrNull(e.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNull(e.After)
	if err != nil {
		return err
	}
	if e.EntityID != nil {
		switch e.Entity {
		case "trainee":
			e.TraineeID = cmpOr(e.TraineeID, e.EntityID)
		case "course":
			e.CourseID = cmpOr(e.CourseID, e.EntityID)
		case "session":
			e.SessionID = cmpOr(e.SessionID, e.EntityID)
		}
	}
	// A subject still unknown is read from the JSON of after, else before
	// (jsonb ->> of an array or a scalar is NULL, not an error).
	const insert = `INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after, trainee_id, course_id, session_id)
	                VALUES ($1, $2, $3, $4, $5, $6,
	                        coalesce($7, ($6::jsonb ->> 'trainee_id')::bigint, ($5::jsonb ->> 'trainee_id')::bigint),
	                        coalesce($8, ($6::jsonb ->> 'course_id')::bigint, ($5::jsonb ->> 'course_id')::bigint),
	                        coalesce($9, ($6::jsonb ->> 'session_id')::bigint, ($5::jsonb ->> 'session_id')::bigint))`
	if _, err := q.ExecContext(ctx, insert, e.ActorID, e.Action, e.Entity, e.EntityID, before, after,
		e.TraineeID, e.CourseID, e.SessionID); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, mapError(err))
	}
	return nil
}

// cmpOr is the first non-nil id.
func cmpOr(ids ...*int64) *int64 {
	for _, id := range ids {
		if id != nil {
			return id
		}
	}
	return nil
}

func jsonOrNull(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	s := string(b)
	return &s, nil
}

// fieldChanges is what differs between two versions of one record, as the audit
// log keeps them: the fields (JSON names) whose values differ, with their
// value before and after. Fields equal in both are left out, so that an
// entry says what changed; both maps are empty when nothing did.
func fieldChanges(before, after any) (was, now map[string]json.RawMessage, err error) {
	if was, err = fieldsOf(before); err != nil {
		return nil, nil, err
	}
	if now, err = fieldsOf(after); err != nil {
		return nil, nil, err
	}
	for field, value := range was {
		if other, ok := now[field]; ok && bytes.Equal(value, other) {
			delete(was, field)
			delete(now, field)
		}
	}
	for field := range now {
		if _, ok := was[field]; !ok {
			was[field] = json.RawMessage("null")
		}
	}
	for field := range was {
		if _, ok := now[field]; !ok {
			now[field] = json.RawMessage("null")
		}
	}
	return was, now, nil
}

// fieldsOf is v's JSON object, field by field.
func fieldsOf(v any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("audit: %T is not a JSON object: %w", v, err)
	}
	return fields, nil
}

// Int64 is a pointer to id, for the optional ids of an AuditEntry.
func Int64(id int64) *int64 { return &id }
