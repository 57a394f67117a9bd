package repository_test

import (
	"context"
	"errors"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// TestFirstAdminOnlyOnAnEmptyDatabase: the first-run setup creates an
// admin while no account exists, with the password policy, and refuses
// once any account does.
func TestFirstAdminOnlyOnAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.Store(t)
	if exists, err := store.HasUsers(ctx); err != nil || exists {
		t.Fatalf("an empty database: %v %v", exists, err)
	}
	weak := &domain.User{Email: "admin@example.ma", Name: "Admin"}
	if _, ok := domain.AsValidation(store.CreateFirstAdmin(ctx, weak, "short")); !ok {
		t.Fatal("a password under the policy must be refused")
	}
	u := &domain.User{Email: "Admin@Example.ma", Name: "Admin", Role: domain.RoleTrainer}
	must(t, store.CreateFirstAdmin(ctx, u, "a-long-enough-password"))
	if u.ID == 0 || u.Role != domain.RoleAdmin || u.Email != "admin@example.ma" {
		t.Fatalf("the first account is an admin whatever was asked: %+v", u)
	}
	if exists, err := store.HasUsers(ctx); err != nil || !exists {
		t.Fatalf("after the setup: %v %v", exists, err)
	}
	second := &domain.User{Email: "second@example.ma", Name: "Second"}
	if err := store.CreateFirstAdmin(ctx, second, "a-long-enough-password"); !errors.Is(err, repository.ErrAccountsExist) ||
		!errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a second first admin: %v", err)
	}
	var n int
	must(t, store.DB().Get(&n, `SELECT count(*) FROM users`))
	if n != 1 {
		t.Fatalf("%d accounts", n)
	}
}
