package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m, removeBuiltBinary) }

func TestSeedDemoPrintsThePasswordOnce(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := seedDemo(ctx, store, &out); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	if !strings.Contains(first, "admin@demo.ma") || !strings.Contains(first, "shown only this once") {
		t.Fatalf("first run:\n%s", first)
	}
	lines := strings.Split(strings.TrimSpace(first), "\n")
	if !strings.Contains(lines[len(lines)-1], "password") {
		t.Fatalf("the password comes last:\n%s", first)
	}
	out.Reset()
	if err := seedDemo(ctx, store, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first, "demo programmes (DEMO ONLY") || !strings.Contains(first, "reported figures") {
		t.Fatalf("first run does not report the demo programmes:\n%s", first)
	}
	if second := out.String(); strings.Contains(second, "password, shown") || !strings.Contains(second, "passwords unchanged") ||
		!strings.Contains(second, "demo programmes already present") {
		t.Fatalf("second run:\n%s", second)
	}
}

func TestTokenCommands(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	u := &domain.User{Email: "script@example.ma", Name: "Script", Role: domain.RoleCoordinator}
	if err := store.CreateUser(ctx, u, "a-long-password", nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := createToken(ctx, store, u, &out); err != nil {
		t.Fatal(err)
	}
	var token string
	for _, line := range strings.Split(out.String(), "\n") {
		if domain.LooksLikeAPIToken(line) {
			token = line
		}
	}
	if token == "" {
		t.Fatalf("no token printed:\n%s", out.String())
	}
	out.Reset()
	if err := listTokens(ctx, store, u, &out); err != nil || strings.Contains(out.String(), token) || !strings.Contains(out.String(), "live") {
		t.Fatalf("list (%v):\n%s", err, out.String())
	}
	out.Reset()
	if err := revokeTokens(ctx, store, u, "", &out); err != nil || !strings.Contains(out.String(), "1 token(s) revoked") {
		t.Fatalf("revoke (%v): %s", err, out.String())
	}
	if err := revokeTokens(ctx, store, u, "", &out); err == nil {
		t.Fatal("revoking again should say there is nothing to revoke")
	}
	if _, err := store.UserByAPIToken(ctx, token); err == nil {
		t.Fatal("the revoked token still works")
	}
}

// `user add` (store.CreateUser, then describeUserError) refuses an easy
// password with the interface's English advice, not a message key.
func TestUserAddRefusesWeakPasswords(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	for _, weak := range []string{"aaaaaaaaaa", "          ", "password123"} {
		u := &domain.User{Email: "admin@example.ma", Name: "Admin", Role: domain.RoleAdmin}
		err := describeUserError(store.CreateUser(t.Context(), u, weak, nil))
		if err == nil || !strings.Contains(err.Error(), "a few unrelated words") {
			t.Errorf("user add with %q: %v", weak, err)
		}
	}
	if _, err := store.UserByEmail(t.Context(), "admin@example.ma"); err == nil {
		t.Fatal("a user was added with a weak password")
	}
}
