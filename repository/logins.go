package repository

import (
	"context"
	"fmt"

	"takaffoul/domain"
)

// LoginThrottled reports whether sign-in attempts for this account or from
// this address are refused for now: domain.MaxFailedLogins failures within
// domain.LoginWindow. An account's count starts again after a successful
// login; an address's does not (one valid account must not reset the count
// of an address that is guessing others' passwords).
//
// Concurrent attempts may each see a count just under the limit; a handful
// of extra guesses is the price of not serialising every login.
func (s *Store) LoginThrottled(ctx context.Context, email, ip string) (bool, error) {
	const q = `
WITH window_start AS (SELECT now() - $3 * interval '1 second' AS t),
     account AS (
        SELECT count(*) AS failures FROM login_attempts
         WHERE email_hash = $1 AND NOT succeeded AND at > (SELECT t FROM window_start)
           AND at > coalesce((SELECT max(at) FROM login_attempts WHERE email_hash = $1 AND succeeded), '-infinity')),
     address AS (
        SELECT count(*) AS failures FROM login_attempts
         WHERE ip = $2 AND NOT succeeded AND at > (SELECT t FROM window_start))
SELECT (SELECT failures FROM account) >= $4 OR (SELECT failures FROM address) >= $4`
	var throttled bool
	err := getOne(ctx, s.db, &throttled, q, emailHash(email), ip, domain.LoginWindow.Seconds(), domain.MaxFailedLogins)
	if err != nil {
		return false, fmt.Errorf("login throttle: %w", mapError(err))
	}
	return throttled, nil
}

// RecordLogin counts one sign-in attempt for throttling.
func (s *Store) RecordLogin(ctx context.Context, email, ip string, succeeded bool) error {
	const q = `INSERT INTO login_attempts (email_hash, ip, succeeded) VALUES ($1, $2, $3)`
	if _, err := s.db.ExecContext(ctx, q, emailHash(email), ip, succeeded); err != nil {
		return fmt.Errorf("record login attempt: %w", mapError(err))
	}
	return nil
}

// emailHash identifies an account in login_attempts without keeping the
// address in clear.
func emailHash(email string) []byte { return domain.HashSecret(domain.NormalizeEmail(email)) }
