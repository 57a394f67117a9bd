package repository

import (
	"context"

	"takaffoul/domain"
)

const userColumns = `id, email, name, role, password_hash, active, language, created_at`

// CreateUser validates u, hashes password and stores both; an e-mail address
// already in use (in any letter case) is a conflict.
func (s *Store) CreateUser(ctx context.Context, u *domain.User, password string) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if err := domain.CheckPasswordPolicy(password, u.Email); err != nil {
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
	return getOne(ctx, s.db, u, q, u.Email, u.Name, u.Role, u.PasswordHash, u.Language)
}

// UserByEmail finds a user by e-mail address, in any letter case.
func (s *Store) UserByEmail(ctx context.Context, email string) (*domain.User, error) {
	var u domain.User
	const q = `SELECT ` + userColumns + ` FROM users WHERE lower(email) = $1`
	if err := getOne(ctx, s.db, &u, q, domain.NormalizeEmail(email)); err != nil {
		return nil, err
	}
	return &u, nil
}

// User finds a user by id.
func (s *Store) User(ctx context.Context, id int64) (*domain.User, error) {
	var u domain.User
	const q = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	if err := getOne(ctx, s.db, &u, q, id); err != nil {
		return nil, err
	}
	return &u, nil
}
