package repository_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func TestSessionStorage(t *testing.T) {
	store := dbtest.Store(t)
	st := store.SessionStorage(0)
	defer st.Close()

	if got, err := st.Get("missing"); got != nil || err != nil {
		t.Fatalf("missing session: %v, %v", got, err)
	}
	must(t, st.Set("abc", []byte("data"), time.Hour))
	got, err := st.Get("abc")
	if err != nil || string(got) != "data" {
		t.Fatalf("get: %q, %v", got, err)
	}
	must(t, st.Set("abc", []byte("newer"), time.Hour))
	if got, _ := st.Get("abc"); string(got) != "newer" {
		t.Fatalf("set again: %q", got)
	}
	// The id is not stored in clear.
	var n int
	must(t, store.DB().Get(&n, `SELECT count(*) FROM web_sessions WHERE position('abc'::bytea in id_hash) > 0`))
	if n != 0 {
		t.Fatal("the session id is stored in clear")
	}
	must(t, st.Set("forever", []byte("x"), 0))
	if got, _ := st.Get("forever"); string(got) != "x" {
		t.Fatal("a session without expiry")
	}
	must(t, st.Set("short", []byte("x"), time.Millisecond))
	time.Sleep(20 * time.Millisecond)
	if got, err := st.Get("short"); got != nil || err != nil {
		t.Fatalf("expired session: %q, %v", got, err)
	}
	must(t, st.Delete("abc"))
	if got, _ := st.Get("abc"); got != nil {
		t.Fatal("deleted session still there")
	}
	must(t, st.Reset())
	if got, _ := st.Get("forever"); got != nil {
		t.Fatal("reset left a session")
	}
}

func TestLoginThrottle(t *testing.T) {
	store := dbtest.Store(t)
	ctx := context.Background()
	throttled := func(email, ip string) bool {
		t.Helper()
		got, err := store.LoginThrottled(ctx, email, ip)
		must(t, err)
		return got
	}
	for i := 0; i < domain.MaxFailedLogins-1; i++ {
		must(t, store.RecordLogin(ctx, "A@example.ma", "10.0.0.1", false))
	}
	if throttled("a@example.ma", "10.0.0.2") {
		t.Fatal("throttled before the limit")
	}
	// A success starts the account's count again.
	must(t, store.RecordLogin(ctx, "a@example.ma", "10.0.0.1", true))
	must(t, store.RecordLogin(ctx, "a@example.ma", "10.0.0.1", false))
	if throttled("a@example.ma", "10.0.0.2") {
		t.Fatal("failures before a success still count for the account")
	}
	// …but not the address's: it has failed five times now.
	if !throttled("b@example.ma", "10.0.0.1") {
		t.Fatal("the address is not throttled after five failures")
	}
	for i := 0; i < 4; i++ {
		must(t, store.RecordLogin(ctx, "a@example.ma", "10.0.0.9", false))
	}
	if !throttled(" A@Example.ma ", "192.0.2.1") {
		t.Fatal("the account (in any letter case) is not throttled after five failures")
	}
	_, err := store.DB().Exec(`UPDATE login_attempts SET at = at - interval '15 minutes 1 second'`)
	must(t, err)
	if throttled("a@example.ma", "10.0.0.1") {
		t.Fatal("still throttled after the window")
	}
	must(t, store.PurgeExpired(ctx))
}

func TestAPITokens(t *testing.T) {
	store := dbtest.Store(t)
	ctx := context.Background()
	u := &domain.User{Email: "script@example.ma", Name: "Script", Role: domain.RoleCoordinator}
	must(t, store.CreateUser(ctx, u, "a-long-password", nil))

	first, info1, err := store.CreateAPIToken(ctx, u.ID, nil)
	must(t, err)
	second, _, err := store.CreateAPIToken(ctx, u.ID, nil)
	must(t, err)
	if first == second || !domain.LooksLikeAPIToken(first) {
		t.Fatalf("tokens %q %q", first, second)
	}
	if got, err := store.UserByAPIToken(ctx, first); err != nil || got.ID != u.ID {
		t.Fatalf("token → user: %v, %v", got, err)
	}
	if _, err := store.UserByAPIToken(ctx, first+"x"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("wrong token: %v", err)
	}
	n, err := store.RevokeAPITokens(ctx, u.ID, info1.Prefix, nil)
	if err != nil || n != 1 {
		t.Fatalf("revoke by prefix: %d, %v", n, err)
	}
	if _, err := store.UserByAPIToken(ctx, first); !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("a revoked token still works")
	}
	if _, err := store.UserByAPIToken(ctx, second); err != nil {
		t.Fatal("revoking one token revoked another")
	}
	// A deactivated user's tokens stop working.
	admin := &domain.User{Email: "admin@example.ma", Name: "Admin", Role: domain.RoleAdmin}
	must(t, store.CreateUser(ctx, admin, "a-long-password", nil))
	must(t, store.SetUserActive(ctx, u.ID, false, &admin.ID))
	if _, err := store.UserByAPIToken(ctx, second); !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("a deactivated user's token still works")
	}
	n, err = store.RevokeAPITokens(ctx, u.ID, "", nil)
	if err != nil || n != 1 {
		t.Fatalf("revoke all: %d, %v", n, err)
	}
	if _, err := store.RevokeAPITokens(ctx, u.ID, "", nil); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("nothing left to revoke: %v", err)
	}
	tokens, err := store.APITokens(ctx, u.ID)
	if err != nil || len(tokens) != 2 || tokens[0].RevokedAt == nil {
		t.Fatalf("list: %+v, %v", tokens, err)
	}
}

func TestSeedDemoAccountsIsIdempotent(t *testing.T) {
	store := dbtest.Store(t)
	ctx := context.Background()
	password, created, err := store.SeedDemoAccounts(ctx)
	must(t, err)
	if len(created) != 4 || len(password) < domain.MinPasswordLength {
		t.Fatalf("first run: %v, password of %d characters", created, len(password))
	}
	for _, a := range repository.DemoAccounts {
		u, err := store.UserByEmail(ctx, a.Email)
		must(t, err)
		if u.Role != a.Role || !domain.PasswordMatches(u.PasswordHash, password) {
			t.Fatalf("%s: role %s, password matches %v", a.Email, u.Role, domain.PasswordMatches(u.PasswordHash, password))
		}
	}
	var before []string
	must(t, store.DB().Select(&before, `SELECT password_hash FROM users ORDER BY id`))

	again, created, err := store.SeedDemoAccounts(ctx)
	must(t, err)
	if again != "" || len(created) != 0 {
		t.Fatalf("second run created %v (password %q)", created, again)
	}
	var after []string
	must(t, store.DB().Select(&after, `SELECT password_hash FROM users ORDER BY id`))
	if len(after) != 4 || after[0] != before[0] || after[3] != before[3] {
		t.Fatal("the second run changed the accounts")
	}
}

func TestLastAdminStays(t *testing.T) {
	store := dbtest.Store(t)
	ctx := context.Background()
	a := &domain.User{Email: "a@example.ma", Name: "A", Role: domain.RoleAdmin}
	b := &domain.User{Email: "b@example.ma", Name: "B", Role: domain.RoleAdmin}
	must(t, store.CreateUser(ctx, a, "a-long-password", nil))
	must(t, store.CreateUser(ctx, b, "a-long-password", nil))
	must(t, store.SetUserRole(ctx, b.ID, domain.RoleCoordinator, &a.ID))
	err := store.SetUserRole(ctx, a.ID, domain.RoleTrainer, &a.ID)
	if v, ok := domain.AsValidation(err); !ok || v.Fields["role"].Key != "user.last_admin" {
		t.Fatalf("demoting the last admin: %v", err)
	}
	err = store.SetUserActive(ctx, a.ID, false, &a.ID)
	if v, ok := domain.AsValidation(err); !ok || v.Fields["active"].Key != "user.last_admin" {
		t.Fatalf("deactivating the last admin: %v", err)
	}
	if _, err := store.User(ctx, 424242); !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("unknown user")
	}
	if err := store.SetUserRole(ctx, 424242, domain.RoleTrainer, &a.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("changing an unknown user: %v", err)
	}
}
