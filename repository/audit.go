package repository

import (
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
}

// Audit writes one audit-log entry on its own, for events that change no
// other row (a login, a logout).
func (s *Store) Audit(ctx context.Context, e AuditEntry) (err error) {
	defer wrap(&err, "Audit")
	return writeAudit(ctx, s.db, e)
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
	const insert = `INSERT INTO audit_log (actor_id, action, entity, entity_id, before, after)
	                VALUES ($1, $2, $3, $4, $5, $6)`
	if _, err := q.ExecContext(ctx, insert, e.ActorID, e.Action, e.Entity, e.EntityID, before, after); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
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

// Int64 is a pointer to id, for the optional ids of an AuditEntry.
func Int64(id int64) *int64 { return &id }
