package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// APIToken describes a token without the token itself (only its hash is stored).
type APIToken struct {
	ID         int64      `db:"id" json:"id"`
	UserID     int64      `db:"user_id" json:"user_id"`
	Prefix     string     `db:"prefix" json:"prefix"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
}

const apiTokenColumns = `id, user_id, prefix, created_at, last_used_at, revoked_at`

// CreateAPIToken makes a new token for the user and returns it in plain
// text: the only time it is ever seen; the database keeps its hash. It is
// audited as by's (nil from the command line).
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, by *int64) (_ string, _ APIToken, err error) {
	defer wrap(&err, "CreateAPIToken")
	plain, prefix, hash, err := domain.NewAPIToken()
	if err != nil {
		return "", APIToken{}, fmt.Errorf("new API token: %w", err)
	}
	var t APIToken
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO api_tokens (user_id, token_hash, prefix) VALUES ($1, $2, $3) RETURNING ` + apiTokenColumns
		if err := getOne(ctx, tx, &t, q, userID, hash, prefix); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "api_token.create", Entity: "api_token", EntityID: &t.ID,
			After: map[string]any{"user_id": userID, "prefix": prefix}})
	})
	if err != nil {
		return "", APIToken{}, err
	}
	return plain, t, nil
}

// APITokens lists a user's tokens, newest first.
func (s *Store) APITokens(ctx context.Context, userID int64) (_ []APIToken, err error) {
	defer wrap(&err, "APITokens")
	tokens := []APIToken{}
	const q = `SELECT ` + apiTokenColumns + ` FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`
	if err := sqlx.SelectContext(ctx, s.db, &tokens, q, userID); err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	return tokens, nil
}

// RevokeAPITokens revokes the user's live tokens: all of them when prefix is
// empty, else the one with that prefix. It returns how many it revoked;
// none is domain.ErrNotFound. It is audited as by's.
func (s *Store) RevokeAPITokens(ctx context.Context, userID int64, prefix string, by *int64) (_ int, err error) {
	defer wrap(&err, "RevokeAPITokens")
	var revoked []int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		const q = `UPDATE api_tokens SET revoked_at = now()
		            WHERE user_id = $1 AND revoked_at IS NULL AND ($2 = '' OR prefix = $2) RETURNING id`
		if err := sqlx.SelectContext(ctx, tx, &revoked, q, userID, prefix); err != nil {
			return fmt.Errorf("revoke api tokens: %w", err)
		}
		if len(revoked) == 0 {
			return notFound("api token")
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "api_token.revoke", Entity: "user", EntityID: &userID,
			After: map[string]any{"token_ids": revoked}})
	})
	return len(revoked), err
}

// revokeAllAPITokens revokes every live token of the user within tx and
// returns their ids ([] when there was none).
func revokeAllAPITokens(ctx context.Context, tx *sqlx.Tx, userID int64) ([]int64, error) {
	revoked := []int64{}
	const q = `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`
	if err := sqlx.SelectContext(ctx, tx, &revoked, q, userID); err != nil {
		return nil, fmt.Errorf("revoke api tokens of user %d: %w", userID, err)
	}
	return revoked, nil
}

// UserByAPIToken finds the active user whose live token this is; anything
// else (unknown, revoked, deactivated user) is domain.ErrNotFound.
func (s *Store) UserByAPIToken(ctx context.Context, token string) (_ *domain.User, err error) {
	defer wrap(&err, "UserByAPIToken")
	if !domain.LooksLikeAPIToken(token) {
		return nil, notFound("api token")
	}
	var found struct {
		domain.User
		Stale bool `db:"stale"`
	}
	const q = `SELECT u.id, u.email, u.name, u.role, u.password_hash, u.active, u.language, u.created_at,
	                  coalesce(u.csv_separator, '') AS csv_separator,
	                  t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS stale
	             FROM api_tokens t JOIN users u ON u.id = t.user_id
	            WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active`
	stmt, err := s.statement(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := stmt.get(ctx, nil, &found, domain.HashSecret(token)); err != nil {
		return nil, err
	}
	// Remember when the token was last used, at most once a minute, so that
	// a busy script does not write (or even ask to write) on every request.
	if found.Stale {
		const touch = `UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1`
		if _, err := s.db.ExecContext(ctx, touch, domain.HashSecret(token)); err != nil {
			return nil, fmt.Errorf("api token last use: %w", err)
		}
	}
	return &found.User, nil
}
