package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// SessionStorage is a fiber.Storage over the web_sessions table: the web
// sessions of every app instance live in PostgreSQL, so they survive a
// restart and follow a user across instances behind a load balancer.
//
// Rows are keyed by the SHA-256 of the session id. Expired rows are never
// returned, are deleted when read, and are purged every purgeInterval.
//
// fiber.Storage has no context parameter: each call gets its own timeout.
type SessionStorage struct {
	db       *sqlx.DB
	timeout  time.Duration
	stopOnce sync.Once
	stop     chan struct{}
	// failed holds, per session key, when reading or saving it last failed:
	// fiber's CSRF middleware takes a failed read for a missing token, and a
	// failed save hands out a token that was never kept (the cookie is set
	// first); its refusal asks FailedRecently to answer "unavailable"
	// instead of "forbidden".
	failed sync.Map
}

// defaultSessionCallTimeout bounds each storage call when the caller gives
// no bound: a hung database must not hang every request.
const defaultSessionCallTimeout = 5 * time.Second

// SessionStorage returns the web-session storage, purging expired sessions
// (and old login attempts) every purgeInterval until Close; 0 disables the
// periodic purge. Each call is bounded by callTimeout (0: 5 s): fiber's
// storage interface takes no context, so a request's deadline cannot reach
// the call, and the caller divides its own budget among the calls a request
// makes.
func (s *Store) SessionStorage(purgeInterval, callTimeout time.Duration) *SessionStorage {
	if callTimeout <= 0 {
		callTimeout = defaultSessionCallTimeout
	}
	st := &SessionStorage{db: s.db, timeout: callTimeout, stop: make(chan struct{})}
	if purgeInterval > 0 {
		go st.purgeEvery(purgeInterval, s)
	}
	return st
}

func (st *SessionStorage) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), st.timeout)
}

// Get returns the session's data, or nil (and no error) when there is no
// such session or it has expired: fiber then starts a fresh one.
func (st *SessionStorage) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	ctx, cancel := st.ctx()
	defer cancel()
	var row struct {
		Data    []byte `db:"data"`
		Expired bool   `db:"expired"`
	}
	const q = `SELECT data, coalesce(expires_at <= now(), false) AS expired FROM web_sessions WHERE id_hash = $1`
	err := sqlx.GetContext(ctx, st.db, &row, q, domain.HashSecret(key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		st.failed.Store(key, time.Now())
		return nil, fmt.Errorf("web session: %w", mapError(err))
	}
	if row.Expired {
		return nil, st.Delete(key)
	}
	return row.Data, nil
}

// FailedRecently reports whether reading or saving the session failed
// within the last minute (the database did not answer in time), and forgets it.
func (st *SessionStorage) FailedRecently(key string) bool {
	at, ok := st.failed.LoadAndDelete(key)
	return ok && time.Since(at.(time.Time)) < time.Minute
}

// forgetOldFailures drops the failures no CSRF check asked about.
func (st *SessionStorage) forgetOldFailures() {
	st.failed.Range(func(key, at any) bool {
		if time.Since(at.(time.Time)) >= time.Minute {
			st.failed.Delete(key)
		}
		return true
	})
}

// Set stores the session's data for exp (0: without expiry).
func (st *SessionStorage) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	ctx, cancel := st.ctx()
	defer cancel()
	var expiresAt *time.Time
	if exp > 0 {
		t := time.Now().Add(exp)
		expiresAt = &t
	}
	const q = `INSERT INTO web_sessions (id_hash, data, expires_at) VALUES ($1, $2, $3)
	           ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`
	if _, err := st.db.ExecContext(ctx, q, domain.HashSecret(key), val, expiresAt); err != nil {
		st.failed.Store(key, time.Now())
		return fmt.Errorf("save web session: %w", mapError(err))
	}
	return nil
}

// Delete removes a session; an unknown one is no error.
func (st *SessionStorage) Delete(key string) error {
	if key == "" {
		return nil
	}
	ctx, cancel := st.ctx()
	defer cancel()
	const q = `DELETE FROM web_sessions WHERE id_hash = $1`
	if _, err := st.db.ExecContext(ctx, q, domain.HashSecret(key)); err != nil {
		return fmt.Errorf("delete web session: %w", mapError(err))
	}
	return nil
}

// SetSessionUser records whose the signed-in session id is (fiber's
// storage sees only bytes), so that deleteUserSessions finds it. Later saves
// of the session keep it.
func (s *Store) SetSessionUser(ctx context.Context, sessionID string, userID int64) error {
	const q = `UPDATE web_sessions SET user_id = $2 WHERE id_hash = $1`
	res, err := s.db.ExecContext(ctx, q, domain.HashSecret(sessionID), userID)
	if err != nil {
		return fmt.Errorf("set session user: %w", mapError(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return notFound("web session")
	}
	return nil
}

// deleteUserSessions deletes the user's web sessions within tx and says how many.
func deleteUserSessions(ctx context.Context, tx *sqlx.Tx, userID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete web sessions of user %d: %w", userID, mapError(err))
	}
	return res.RowsAffected()
}

// Reset removes every session: everybody is signed out.
func (st *SessionStorage) Reset() error {
	ctx, cancel := st.ctx()
	defer cancel()
	if _, err := st.db.ExecContext(ctx, `DELETE FROM web_sessions`); err != nil {
		return fmt.Errorf("reset web sessions: %w", mapError(err))
	}
	return nil
}

// Close stops the periodic purge; the pool belongs to the Store.
func (st *SessionStorage) Close() error {
	st.stopOnce.Do(func() { close(st.stop) })
	return nil
}

func (st *SessionStorage) purgeEvery(interval time.Duration, s *Store) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-st.stop:
			return
		case <-ticker.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := s.PurgeExpired(ctx); err != nil {
				slog.Warn("purge of expired sessions failed", "error", err)
			}
			cancel()
			st.forgetOldFailures()
		}
	}
}

// PurgeExpired deletes expired web sessions and the login attempts that no
// limit needs any more: failures after domain.AccountWindow, successes (the
// owner's usual addresses) after domain.KnownAddressMemory. Several
// instances may run it at once: the deletes are idempotent.
func (s *Store) PurgeExpired(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at <= now()`); err != nil {
		return fmt.Errorf("purge web sessions: %w", err)
	}
	const q = `DELETE FROM login_attempts
	            WHERE at < now() - $1 * interval '1 second' AND (succeeded IS NOT TRUE OR at < now() - $2 * interval '1 second')`
	if _, err := s.db.ExecContext(ctx, q, domain.AccountWindow.Seconds(), domain.KnownAddressMemory.Seconds()); err != nil {
		return fmt.Errorf("purge login attempts: %w", err)
	}
	return nil
}
