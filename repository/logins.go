package repository

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// ReserveLogin counts a sign-in attempt before its password is checked: it
// reads the history of the account and the address, asks domain's limits
// whether the attempt may go ahead, and if so writes it as pending. It
// returns the attempt's id, or the wait (> 0, nothing written) when the
// limits refuse. address is domain.LoginAddress of the client's.
//
// The account's and the address's locks are held from the reading to the
// writing, so concurrent attempts are counted one after the other: thirty
// at once for one account from one address get domain.MaxPairFailures
// reservations, not thirty. The transaction ends before the password is
// checked (bcrypt holds no connection); FinishLogin records the outcome.
func (s *Store) ReserveLogin(ctx context.Context, email, address string) (id int64, wait time.Duration, err error) {
	account := emailHash(email)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Account first, then address, in every transaction: no deadlock.
		const lock = `SELECT pg_advisory_xact_lock($1, $2)`
		if _, err := tx.ExecContext(ctx, lock, loginAccountLock, lockKey(account)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, lock, loginAddressLock, lockKey([]byte(address))); err != nil {
			return err
		}
		h, err := loginHistory(ctx, tx, account, address)
		if err != nil {
			return err
		}
		if wait = h.LoginWait(); wait > 0 {
			return nil
		}
		const q = `INSERT INTO login_attempts (email_hash, ip, succeeded) VALUES ($1, $2, NULL) RETURNING id`
		return getOne(ctx, tx, &id, q, account, address)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("ReserveLogin: %w", mapError(err))
	}
	return id, wait, nil
}

// FinishLogin records the outcome of a reserved attempt.
func (s *Store) FinishLogin(ctx context.Context, id int64, succeeded bool) error {
	const q = `UPDATE login_attempts SET succeeded = $2 WHERE id = $1`
	if _, err := s.db.ExecContext(ctx, q, id, succeeded); err != nil {
		return fmt.Errorf("FinishLogin %d: %w", id, mapError(err))
	}
	return nil
}

// loginHistory reads what domain.LoginHistory needs in one statement. The
// account's rows are few (its successes of the last 90 days, its failures of
// the last day); the address's come from login_attempts_ip_idx.
func loginHistory(ctx context.Context, tx *sqlx.Tx, account []byte, address string) (domain.LoginHistory, error) {
	const q = `
WITH account AS (
        SELECT ip, succeeded, at FROM login_attempts
         WHERE email_hash = $1 AND at > now() - $5 * interval '1 second'),
     failures AS (
        SELECT ip, at FROM account WHERE succeeded IS NOT TRUE AND at > now() - $4 * interval '1 second'),
     pair AS (
        SELECT at FROM failures
         WHERE ip = $2 AND at > now() - $3 * interval '1 second'
           AND at > (SELECT coalesce(max(at), '-infinity') FROM account WHERE ip = $2 AND succeeded)),
     address AS (
        SELECT at FROM login_attempts
         WHERE ip = $2 AND succeeded IS NOT TRUE AND at > now() - $3 * interval '1 second')
SELECT now() AS now,
       (SELECT count(*) FROM pair) AS pair_failures,
       (SELECT at FROM pair ORDER BY at DESC OFFSET $6 - 1 LIMIT 1) AS pair_limit_at,
       (SELECT count(*) FROM address) AS address_failures,
       (SELECT at FROM address ORDER BY at DESC OFFSET $7 - 1 LIMIT 1) AS address_limit_at,
       (SELECT count(*) FROM failures) AS account_failures,
       (SELECT max(at) FROM failures) AS account_last_failure,
       EXISTS (SELECT 1 FROM account WHERE ip = $2 AND succeeded) AS known_address,
       EXISTS (SELECT 1 FROM failures WHERE ip = $2) AS address_failed,
       (SELECT count(DISTINCT ip) FROM failures WHERE at > now() - $3 * interval '1 second') AS failing_addresses`
	var row struct {
		Now                time.Time  `db:"now"`
		PairFailures       int        `db:"pair_failures"`
		PairLimitAt        *time.Time `db:"pair_limit_at"`
		AddressFailures    int        `db:"address_failures"`
		AddressLimitAt     *time.Time `db:"address_limit_at"`
		AccountFailures    int        `db:"account_failures"`
		AccountLastFailure *time.Time `db:"account_last_failure"`
		KnownAddress       bool       `db:"known_address"`
		AddressFailed      bool       `db:"address_failed"`
		FailingAddresses   int        `db:"failing_addresses"`
	}
	err := getOne(ctx, tx, &row, q, account, address, domain.LoginWindow.Seconds(), domain.AccountWindow.Seconds(),
		domain.KnownAddressMemory.Seconds(), domain.MaxPairFailures, domain.MaxAddressFailures)
	if err != nil {
		return domain.LoginHistory{}, fmt.Errorf("login history: %w", err)
	}
	return domain.LoginHistory{
		Now:          row.Now,
		PairFailures: row.PairFailures, PairLimitAt: orZero(row.PairLimitAt),
		AddressFailures: row.AddressFailures, AddressLimitAt: orZero(row.AddressLimitAt),
		AccountFailures: row.AccountFailures, AccountLastFailure: orZero(row.AccountLastFailure),
		KnownAddress: row.KnownAddress, AddressFailed: row.AddressFailed, FailingAddresses: row.FailingAddresses,
	}, nil
}

func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// lockKey folds a value into an advisory lock's 32-bit key; two values that
// share a key only wait for each other.
func lockKey(b []byte) int32 {
	h := fnv.New32a()
	h.Write(b)
	return int32(binary.BigEndian.Uint32(h.Sum(nil)))
}

// emailHash identifies an account in login_attempts without keeping the
// address in clear.
func emailHash(email string) []byte { return domain.HashSecret(domain.NormalizeEmail(email)) }

// forgetKnownAddresses drops the account's successful logins within tx: after
// a password reset, an address that signed in with the old password (maybe
// the thief's) no longer counts as the owner's usual one.
func forgetKnownAddresses(ctx context.Context, tx *sqlx.Tx, email string) error {
	const q = `DELETE FROM login_attempts WHERE email_hash = $1 AND succeeded`
	if _, err := tx.ExecContext(ctx, q, emailHash(email)); err != nil {
		return fmt.Errorf("forget known addresses: %w", err)
	}
	return nil
}
