package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

const userColumns = `id, email, name, role, password_hash, active, language, created_at,
       coalesce(csv_separator, '') AS csv_separator`

// CreateUser validates u, hashes password and stores both, audited as by's
// (an admin; nil from the command line); an e-mail address already in use
// (in any letter case) is a conflict.
func (s *Store) CreateUser(ctx context.Context, u *domain.User, password string, by *int64) (err error) {
	defer wrap(&err, "CreateUser")
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := insertUser(ctx, tx, u, password); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "user.create", Entity: "user", EntityID: &u.ID, After: auditedUser(u)})
	})
}

// ErrAccountsExist: the first administrator can be created only while the
// database holds no account at all.
var ErrAccountsExist = fmt.Errorf("an account exists already: %w", domain.ErrConflict)

// HasUsers reports whether any account exists; none is a first run.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var exists bool
	err := getOne(ctx, s.db, &exists, `SELECT EXISTS (SELECT 1 FROM users)`)
	if err != nil {
		return false, fmt.Errorf("HasUsers: %w", err)
	}
	return exists, nil
}

// CreateFirstAdmin creates the first account, an admin, on a database that
// holds none (the first-run setup page); with any account in it, it is
// ErrAccountsExist and nothing is written. The same policy as every
// password applies; the audit entry says it came from the setup.
func (s *Store) CreateFirstAdmin(ctx context.Context, u *domain.User, password string) error {
	u.Role = domain.RoleAdmin
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, firstAdminLock); err != nil {
			return fmt.Errorf("CreateFirstAdmin: %w", mapError(err))
		}
		var exists bool
		if err := getOne(ctx, tx, &exists, `SELECT EXISTS (SELECT 1 FROM users)`); err != nil {
			return fmt.Errorf("CreateFirstAdmin: %w", err)
		}
		if exists {
			return ErrAccountsExist
		}
		if err := insertUser(ctx, tx, u, password); err != nil {
			return err
		}
		after := auditedUser(u)
		after["setup"] = true
		return writeAudit(ctx, tx, AuditEntry{ActorID: &u.ID, Action: "user.create", Entity: "user", EntityID: &u.ID, After: after})
	})
}

func insertUser(ctx context.Context, tx *sqlx.Tx, u *domain.User, password string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if err := domain.CheckPasswordPolicy(password, u.Email, u.Name); err != nil {
		return err
	}
	hash, err := domain.HashPassword(password)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if u.Language == "" {
		u.Language = "ar"
	}
	const q = `INSERT INTO users (email, name, role, password_hash, active, language)
	           VALUES ($1, $2, $3, $4, true, $5) RETURNING ` + userColumns
	return getOne(ctx, tx, u, q, u.Email, u.Name, u.Role, u.PasswordHash, u.Language)
}

// UserByEmail finds a user by e-mail address, in any letter case.
func (s *Store) UserByEmail(ctx context.Context, email string) (_ *domain.User, err error) {
	defer wrap(&err, "UserByEmail")
	var u domain.User
	const q = `SELECT ` + userColumns + ` FROM users WHERE lower(email) = $1`
	if err := getOne(ctx, s.db, &u, q, domain.NormalizeEmail(email)); err != nil {
		return nil, err
	}
	return &u, nil
}

// User finds a user by id.
func (s *Store) User(ctx context.Context, id int64) (_ *domain.User, err error) {
	defer wrap(&err, "User")
	var u domain.User
	const q = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	if err := getOne(ctx, s.db, &u, q, id); err != nil {
		return nil, err
	}
	return &u, nil
}

// auditedUser is what the audit log keeps of a user: never the password hash.
func auditedUser(u *domain.User) map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "role": u.Role, "active": u.Active}
}

// Users lists a page of the users, active ones first, by name.
func (s *Store) Users(ctx context.Context, page Page) (_ []domain.User, err error) {
	defer wrap(&err, "Users")
	users := []domain.User{}
	const q = `SELECT ` + userColumns + ` FROM users ORDER BY active DESC, lower(name), id LIMIT $1 OFFSET $2`
	return users, s.db.SelectContext(ctx, &users, q, page.limit(), page.offset())
}

// SetUserRole changes a user's role. The last active admin keeps the role:
// otherwise nobody could manage users any more.
func (s *Store) SetUserRole(ctx context.Context, id int64, role domain.Role, by *int64) (err error) {
	defer wrap(&err, "SetUserRole")
	if !role.Valid() {
		return domain.Invalid("role", "validation.oneof")
	}
	return s.changeUser(ctx, id, "user.role", by, func(tx *sqlx.Tx, u *domain.User) (map[string]any, error) {
		if u.Role == domain.RoleAdmin && role != domain.RoleAdmin && u.Active {
			if err := keepAnAdmin(ctx, tx, id, "role"); err != nil {
				return nil, err
			}
		}
		u.Role = role
		_, err := tx.ExecContext(ctx, `UPDATE users SET role = $2 WHERE id = $1`, id, role)
		return nil, mapError(err)
	})
}

// SetUserActive deactivates (or reactivates) a user, audited as by's.
// Deactivation revokes the user's API tokens and deletes their web sessions,
// in the same transaction: reactivating the account later brings none of
// them back. The last active admin cannot be deactivated.
func (s *Store) SetUserActive(ctx context.Context, id int64, active bool, by *int64) (err error) {
	defer wrap(&err, "SetUserActive")
	action := "user.deactivate"
	if active {
		action = "user.activate"
	}
	return s.changeUser(ctx, id, action, by, func(tx *sqlx.Tx, u *domain.User) (map[string]any, error) {
		if !active && u.Role == domain.RoleAdmin && u.Active {
			if err := keepAnAdmin(ctx, tx, id, "active"); err != nil {
				return nil, err
			}
		}
		u.Active = active
		if _, err := tx.ExecContext(ctx, `UPDATE users SET active = $2 WHERE id = $1`, id, active); err != nil {
			return nil, mapError(err)
		}
		if active {
			return nil, nil
		}
		return endCredentials(ctx, tx, id)
	})
}

// SetUserPassword replaces a user's password (an admin's reset) under the
// password policy, audited as by's. Whoever held the old password loses what
// it opened: the user's API tokens are revoked, their web sessions deleted,
// and the addresses they signed in from are no longer trusted by the login
// limits.
func (s *Store) SetUserPassword(ctx context.Context, id int64, password string, by *int64) (err error) {
	defer wrap(&err, "SetUserPassword")
	return s.changeUser(ctx, id, "user.password_reset", by, func(tx *sqlx.Tx, u *domain.User) (map[string]any, error) {
		if err := domain.CheckPasswordPolicy(password, u.Email, u.Name); err != nil {
			return nil, err
		}
		hash, err := domain.HashPassword(password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = hash
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, id, hash); err != nil {
			return nil, mapError(err)
		}
		if err := forgetKnownAddresses(ctx, tx, u.Email); err != nil {
			return nil, err
		}
		return endCredentials(ctx, tx, id)
	})
}

// SetUserLanguage records the interface language a user chose.
func (s *Store) SetUserLanguage(ctx context.Context, id int64, lang string) (err error) {
	defer wrap(&err, "SetUserLanguage")
	if !domain.ValidLanguage(lang) {
		return domain.Invalid("language", "validation.oneof")
	}
	_, err = s.db.ExecContext(ctx, `UPDATE users SET language = $2 WHERE id = $1`, id, lang)
	return mapError(err)
}

// SetUserCSVSeparator records the separator a user chose for their CSV
// files; "" forgets the choice (the language decides again).
func (s *Store) SetUserCSVSeparator(ctx context.Context, id int64, sep domain.CSVSeparator) (err error) {
	defer wrap(&err, "SetUserCSVSeparator")
	if sep != "" && !sep.Valid() {
		return domain.Invalid("separator", "validation.oneof")
	}
	_, err = s.db.ExecContext(ctx, `UPDATE users SET csv_separator = $2 WHERE id = $1`, id, orNull(sep))
	return mapError(err)
}

// changeUser runs change on the locked user row and writes the audit entry
// as by's, all in one transaction. What change returns (credentials it
// revoked) is added to the entry's "after".
func (s *Store) changeUser(ctx context.Context, id int64, action string, by *int64,
	change func(*sqlx.Tx, *domain.User) (map[string]any, error)) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var u domain.User
		if err := getOne(ctx, tx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		before := auditedUser(&u)
		facts, err := change(tx, &u)
		if err != nil {
			return err
		}
		after := auditedUser(&u)
		for k, v := range facts {
			after[k] = v
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: action, Entity: "user", EntityID: &id,
			Before: before, After: after})
	})
}

// endCredentials revokes the user's live API tokens and deletes their web
// sessions, in the transaction of the change that calls for it (a password
// reset, a deactivation), and says what it ended for the audit entry.
func endCredentials(ctx context.Context, tx *sqlx.Tx, userID int64) (map[string]any, error) {
	tokens, err := revokeAllAPITokens(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	sessions, err := deleteUserSessions(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"revoked_token_ids": tokens, "ended_sessions": sessions}, nil
}

// keepAnAdmin refuses a change that would leave no active admin. The admin
// rows are locked so that two admins demoting each other cannot both succeed.
func keepAnAdmin(ctx context.Context, tx *sqlx.Tx, exceptID int64, field string) error {
	var others []int64
	const q = `SELECT id FROM users WHERE role = 'admin' AND active AND id <> $1 FOR UPDATE`
	if err := sqlx.SelectContext(ctx, tx, &others, q, exceptID); err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if len(others) == 0 {
		return domain.Invalid(field, "user.last_admin")
	}
	return nil
}

// ActiveUsersWithRole lists the active users of one role, by name (the
// trainers a coordinator can assign to a course).
func (s *Store) ActiveUsersWithRole(ctx context.Context, role domain.Role) (_ []domain.User, err error) {
	defer wrap(&err, "ActiveUsersWithRole")
	const q = `SELECT ` + userColumns + ` FROM users WHERE role = $1 AND active ORDER BY name`
	users := []domain.User{}
	return users, mapError(s.db.SelectContext(ctx, &users, q, role))
}
