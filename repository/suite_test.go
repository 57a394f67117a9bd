package repository_test

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// What makes the suite fast (repository/dbtest, docs/TESTING.md) is in
// effect: the tests' stores commit without waiting for the disk, and their
// passwords are hashed at bcrypt's minimum cost, still checked as usual.
func TestSuiteStoresCommitFastAndHashCheaply(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	var commit string
	must(t, store.DB().Get(&commit, `SHOW synchronous_commit`))
	if commit != "off" {
		t.Errorf("synchronous_commit %q in a test's store, want off", commit)
	}
	u := &domain.User{Email: "cheap@example.ma", Name: "Cheap Hash", Role: domain.RoleTrainer}
	must(t, store.CreateUser(ctx, u, "correct horse battery", nil))
	stored, err := store.UserByEmail(ctx, u.Email)
	must(t, err)
	if cost, err := bcrypt.Cost([]byte(stored.PasswordHash)); err != nil || cost != bcrypt.MinCost {
		t.Errorf("a test's password hashed at cost %d (%v), want bcrypt.MinCost", cost, err)
	}
	if !domain.Authenticate(stored, "correct horse battery") || domain.Authenticate(stored, "wrong horse battery") {
		t.Error("a cheap hash must still open its account, and only with its password")
	}
}

// DemoStore hands each test its own copy of the seeded demo: a change in
// one is not seen in another, and both hold the demo's published figures.
func TestDemoStoresAreCopiesOfTheSeededDemo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first, second := dbtest.DemoStore(t), dbtest.DemoStore(t)
	trained := func(s *repository.Store) int {
		tot, err := s.Totals(ctx, domain.TotalsFilter{Programme: repository.DemoChildProtection})
		must(t, err)
		return tot.LocalActors.Trained
	}
	if got := trained(first); got != 151 {
		t.Fatalf("the demo copy trained %d, want the published 151", got)
	}
	_, err := first.DB().Exec(`DELETE FROM attendance`)
	must(t, err)
	if got := trained(second); got != 151 {
		t.Errorf("a change in one demo copy reached another: trained %d, want 151", got)
	}
	if dbtest.DemoSeededAt().IsZero() {
		t.Error("DemoSeededAt is zero after a DemoStore")
	}
}
