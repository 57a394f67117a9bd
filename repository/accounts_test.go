package repository_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func TestSessionStorage(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	st := store.SessionStorage(0, 0)
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

func TestLoginLimits(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	// attempt reserves an attempt and, when allowed, records its outcome.
	attempt := func(email, address string, ok bool) time.Duration {
		t.Helper()
		id, wait, err := store.ReserveLogin(ctx, email, address)
		must(t, err)
		if wait == 0 {
			must(t, store.FinishLogin(ctx, id, ok))
		}
		return wait
	}
	for i := 0; i < domain.MaxPairFailures-1; i++ {
		if wait := attempt("A@example.ma", "10.0.0.1", false); wait != 0 {
			t.Fatalf("failure %d refused (%v)", i+1, wait)
		}
	}
	// A success starts the pair's count again.
	attempt("a@example.ma", "10.0.0.1", true)
	for i := 0; i < domain.MaxPairFailures; i++ {
		if wait := attempt("a@example.ma", "10.0.0.1", false); wait != 0 {
			t.Fatalf("failures before a success still count for the pair (%d, %v)", i, wait)
		}
	}
	// Five failures since: this pair (in any letter case) waits for the window…
	if wait := attempt(" A@Example.ma ", "10.0.0.1", true); wait < domain.LoginWindow-time.Minute || wait > domain.LoginWindow {
		t.Fatalf("sixth attempt of the pair: wait %v, want about %v", wait, domain.LoginWindow)
	}
	// …but it is the owner's usual address for nothing else: another
	// address of the account still gets in.
	if wait := attempt("a@example.ma", "10.0.0.2", true); wait != 0 {
		t.Fatalf("another address is held by the pair's failures (%v)", wait)
	}
	if _, err := store.DB().Exec(`UPDATE login_attempts SET at = at - interval '15 minutes 1 second'`); err != nil {
		t.Fatal(err)
	}
	if wait := attempt("a@example.ma", "10.0.0.1", true); wait != 0 {
		t.Fatalf("still refused after the window (%v)", wait)
	}

	// One address, many accounts.
	for i := 0; i < domain.MaxAddressFailures; i++ {
		if wait := attempt(fmt.Sprintf("user%d@example.ma", i), "10.0.0.3", false); wait != 0 {
			t.Fatalf("guess %d refused (%v)", i, wait)
		}
	}
	if wait := attempt("someone-else@example.ma", "10.0.0.3", false); wait == 0 {
		t.Fatal("the address is not held after guessing many accounts")
	}

	// Failures leave after a day, the owner's successes after 90 days.
	if _, err := store.DB().Exec(`UPDATE login_attempts SET at = at - interval '2 days'`); err != nil {
		t.Fatal(err)
	}
	must(t, store.PurgeExpired(ctx))
	var failures, successes int
	must(t, store.DB().Get(&failures, `SELECT count(*) FROM login_attempts WHERE succeeded IS NOT TRUE`))
	must(t, store.DB().Get(&successes, `SELECT count(*) FROM login_attempts WHERE succeeded`))
	if failures != 0 || successes != 3 {
		t.Fatalf("after the purge: %d failures, %d successes (want 0 and 3)", failures, successes)
	}
}

// Attempts that arrive together are counted one after the other: of thirty
// at once for one pair (none finished yet: pending counts as failed),
// exactly MaxPairFailures are reserved.
func TestConcurrentLoginReservations(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var reserved, refused atomic.Int32
	errs := make(chan error, 30)
	start := make(chan struct{})
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, wait, err := store.ReserveLogin(ctx, "admin@example.ma", "192.0.2.1")
			switch {
			case err != nil:
				errs <- err
			case wait > 0:
				refused.Add(1)
			default:
				reserved.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if reserved.Load() != domain.MaxPairFailures || refused.Load() != 30-domain.MaxPairFailures {
		t.Fatalf("%d reserved, %d refused; want %d reserved", reserved.Load(), refused.Load(), domain.MaxPairFailures)
	}
	var pending int
	must(t, store.DB().Get(&pending, `SELECT count(*) FROM login_attempts WHERE succeeded IS NULL`))
	if pending != domain.MaxPairFailures {
		t.Fatalf("%d pending attempts written", pending)
	}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
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
	third, _, err := store.CreateAPIToken(ctx, u.ID, nil)
	must(t, err)
	n, err = store.RevokeAPITokens(ctx, u.ID, "", nil)
	if err != nil || n != 2 {
		t.Fatalf("revoke all: %d, %v", n, err)
	}
	if _, err := store.RevokeAPITokens(ctx, u.ID, "", nil); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("nothing left to revoke: %v", err)
	}
	if _, err := store.UserByAPIToken(ctx, third); !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("a revoked token still works")
	}
	tokens, err := store.APITokens(ctx, u.ID)
	if err != nil || len(tokens) != 3 || tokens[0].RevokedAt == nil {
		t.Fatalf("list: %+v, %v", tokens, err)
	}
}

// A password reset and a deactivation take the user's credentials along, in
// the same transaction: API tokens revoked, web sessions deleted (another
// user's are kept), and a reactivation brings none of them back.
func TestResetAndDeactivationRevokeCredentials(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	admin := &domain.User{Email: "admin@example.ma", Name: "Admin", Role: domain.RoleAdmin}
	must(t, store.CreateUser(ctx, admin, "a-long-password", nil))
	u := &domain.User{Email: "trainer@example.ma", Name: "Trainer", Role: domain.RoleTrainer}
	must(t, store.CreateUser(ctx, u, "a-long-password", nil))
	sessions := store.SessionStorage(0, 0)
	signIn := func(id string, userID int64) {
		t.Helper()
		must(t, sessions.Set(id, []byte("data"), time.Hour))
		must(t, store.SetSessionUser(ctx, id, userID))
	}
	live := func(id string) bool {
		t.Helper()
		data, err := sessions.Get(id)
		must(t, err)
		return data != nil
	}
	revokedTokens := func() int {
		t.Helper()
		var n int
		must(t, store.DB().Get(&n, `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NOT NULL`, u.ID))
		return n
	}

	for _, change := range []struct {
		name string
		do   func() error
	}{
		{"password reset", func() error { return store.SetUserPassword(ctx, u.ID, "tea olive rocket lamp", &admin.ID) }},
		{"deactivation", func() error { return store.SetUserActive(ctx, u.ID, false, &admin.ID) }},
	} {
		token, _, err := store.CreateAPIToken(ctx, u.ID, nil)
		must(t, err)
		signIn("phone-"+change.name, u.ID)
		signIn("laptop-"+change.name, u.ID)
		signIn("admin-"+change.name, admin.ID)
		before := revokedTokens()
		must(t, change.do())
		if _, err := store.UserByAPIToken(ctx, token); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: the token still works (%v)", change.name, err)
		}
		if revokedTokens() != before+1 {
			t.Errorf("%s: the token is not marked revoked", change.name)
		}
		if live("phone-"+change.name) || live("laptop-"+change.name) {
			t.Errorf("%s: a session of the user is left", change.name)
		}
		if !live("admin-" + change.name) {
			t.Errorf("%s: another user's session was deleted", change.name)
		}
	}
	var after string
	must(t, store.DB().Get(&after, `SELECT after::text FROM audit_log WHERE action = 'user.deactivate' AND entity_id = $1`, u.ID))
	if !strings.Contains(after, `"ended_sessions": 2`) || !strings.Contains(after, `"revoked_token_ids": [`) {
		t.Errorf("the audit entry does not say what ended: %s", after)
	}
	must(t, store.SetUserActive(ctx, u.ID, true, &admin.ID))
	var live2 int
	must(t, store.DB().Get(&live2, `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`, u.ID))
	if live2 != 0 {
		t.Errorf("reactivation brought %d tokens back", live2)
	}

	// The reset's password follows the policy.
	for _, weak := range []string{"aaaaaaaaaa", "          ", "password123", "trainer@example.ma"} {
		err := store.SetUserPassword(ctx, u.ID, weak, &admin.ID)
		if _, ok := domain.AsValidation(err); !ok {
			t.Errorf("reset to %q: want a validation error, got %v", weak, err)
		}
	}
}

func TestSeedDemoAccountsIsIdempotent(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	password, created, err := store.SeedDemoAccounts(ctx)
	must(t, err)
	if len(created) != 4 || len(password) < domain.MinPasswordLength {
		t.Fatalf("first run: %v, password of %d characters", created, len(password))
	}
	for _, a := range repository.DemoAccounts {
		if err := domain.CheckPasswordPolicy(password, a.Email, a.Name); err != nil {
			t.Fatalf("the demo password fails the policy for %s: %v", a.Email, err)
		}
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
	t.Parallel()
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
