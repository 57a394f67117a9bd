package repository

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// DemoAccounts are the accounts `takaffoul seed demo` creates, one per role.
// Demo only: never seed them on a server that holds real people's data.
var DemoAccounts = []domain.User{
	{Email: "admin@demo.ma", Name: "مدير تجريبي — Admin démo", Role: domain.RoleAdmin},
	{Email: "coordinator@demo.ma", Name: "منسق تجريبي — Coordinateur démo", Role: domain.RoleCoordinator},
	{Email: "trainer@demo.ma", Name: "مكون تجريبي — Formateur démo", Role: domain.RoleTrainer},
	{Email: "ministry@demo.ma", Name: "الوزارة — Ministère (démo)", Role: domain.RoleMinistry},
}

// SeedDemoAccounts creates the demo accounts that do not exist yet, all with
// one new random password, and returns that password and the e-mail
// addresses it created. Existing accounts are left exactly as they are
// (their password included), so a second run changes nothing; when nothing
// was created the password is "".
func (s *Store) SeedDemoAccounts(ctx context.Context) (password string, created []string, err error) {
	password, err = demoPassword()
	if err != nil {
		return "", nil, err
	}
	hash, err := domain.HashPassword(password)
	if err != nil {
		return "", nil, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		created = nil
		for _, account := range DemoAccounts {
			var id int64
			const q = `INSERT INTO users (email, name, role, password_hash, active, language)
			           VALUES ($1, $2, $3, $4, true, 'ar')
			           ON CONFLICT ((lower(email))) DO NOTHING RETURNING id`
			err := getOne(ctx, tx, &id, q, account.Email, account.Name, account.Role, hash)
			if isNotFound(err) {
				continue // exists already: keep it untouched
			}
			if err != nil {
				return fmt.Errorf("seed %s: %w", account.Role, err)
			}
			u := account
			u.Active = true
			if err := writeAudit(ctx, tx, AuditEntry{Action: "user.create", Entity: "user", EntityID: &id,
				After: map[string]any{"email": u.Email, "role": u.Role, "seed": "demo"}}); err != nil {
				return err
			}
			created = append(created, account.Email)
		}
		return nil
	})
	if err != nil || len(created) == 0 {
		return "", nil, err
	}
	return password, created, nil
}

// demoPassword is 16 random characters that are easy to type (base32, lower case).
func demoPassword() (string, error) {
	buf := make([]byte, 10)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(buf)), nil
}
