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

// TestSilentLinkEndsStatementsAtTheirDeadline runs the store's kinds of
// work through a proxy that goes silent (nothing forwarded, nothing
// closed): each ends within a second or so of its context's deadline with
// domain.ErrUnavailable, whether it ran on an open connection, needed a
// new one or waited for one. Once the link is
// back, the same work succeeds at its first try: the cut connections were
// discarded, not handed out again.
func TestSilentLinkEndsStatementsAtTheirDeadline(t *testing.T) {
	t.Parallel()
	proxy := dbtest.NewProxy(t, dbtest.NewDatabase(t))
	ctx := context.Background()
	store, err := repository.Open(ctx, proxy.URL, repository.PoolConfig{MaxOpen: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u := &domain.User{Email: "admin@silent.ma", Name: "Admin", Role: domain.RoleAdmin}
	if err := store.CreateUser(ctx, u, "correct horse battery", nil); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateAPIToken(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	work := map[string]func(context.Context) error{
		"ping": store.Ping,
		"query": func(ctx context.Context) error {
			_, err := store.User(ctx, u.ID)
			return err
		},
		"prepared statement": func(ctx context.Context) error {
			_, err := store.UserByAPIToken(ctx, token)
			return err
		},
		"transaction": func(ctx context.Context) error {
			_, _, err := store.CreateAPIToken(ctx, u.ID, nil)
			return err
		},
	}
	for name, do := range work { // the prepared statement is prepared with the link up
		if err := do(ctx); err != nil {
			t.Fatalf("%s with the link up: %v", name, err)
		}
	}

	proxy.Blackhole()
	// lateness is how long after its deadline work may end: lib/pq makes a
	// prepared statement's caller wait for the cancel request (at most a
	// second), and the machine is shared.
	const deadline, lateness = time.Second, 1500 * time.Millisecond
	type outcome struct {
		name string
		err  error
		took time.Duration
	}
	done := make(chan outcome)
	runs := 0
	for range 3 { // 12 at once on 4 connections: some wait for the pool, some open one
		for name, do := range work {
			runs++
			go func() {
				ctx, cancel := context.WithTimeout(ctx, deadline)
				defer cancel()
				start := time.Now()
				err := do(ctx)
				done <- outcome{name, err, time.Since(start)}
			}()
		}
	}
	hung := time.After(20 * time.Second)
	slowest := map[string]time.Duration{}
	for range runs {
		select {
		case o := <-done:
			slowest[o.name] = max(slowest[o.name], o.took)
			if !errors.Is(o.err, domain.ErrUnavailable) {
				t.Errorf("%s with the link silent: want domain.ErrUnavailable, got %v", o.name, o.err)
			}
			if o.took > deadline+lateness {
				t.Errorf("%s ended %v after its start, its deadline was %v", o.name, o.took.Round(time.Millisecond), deadline)
			}
		case <-hung:
			proxy.Restore() // so that the hung ones end, and the test
			t.Fatalf("work hung for 20 s with the link silent (deadline %v)", deadline)
		}
	}

	for name, took := range slowest {
		t.Logf("slowest %s: %v", name, took.Round(time.Millisecond))
	}

	proxy.Restore()
	for name, do := range work {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := do(ctx); err != nil {
			t.Errorf("%s once the link is back: %v", name, err)
		}
		cancel()
	}
}

// A session that cannot be read or saved because the database is silent is
// remembered, once, so that the CSRF check answers "unavailable" (503)
// instead of "forbidden"; a session that is merely unknown is not.
func TestSessionFailuresAreRemembered(t *testing.T) {
	t.Parallel()
	proxy := dbtest.NewProxy(t, dbtest.NewDatabase(t))
	store, err := repository.Open(context.Background(), proxy.URL, repository.PoolConfig{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sessions := store.SessionStorage(0, 500*time.Millisecond)
	if data, err := sessions.Get("no-such-session"); err != nil || data != nil || sessions.FailedRecently("no-such-session") {
		t.Fatalf("unknown session: %q %v, remembered %v", data, err, sessions.FailedRecently("no-such-session"))
	}
	proxy.Blackhole()
	if _, err := sessions.Get("some-session"); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("read over a silent link: %v, want domain.ErrUnavailable", err)
	}
	if !sessions.FailedRecently("some-session") {
		t.Fatal("the failed read was not remembered")
	}
	if sessions.FailedRecently("some-session") {
		t.Fatal("a failed read is answered once")
	}
	if err := sessions.Set("saved-session", []byte("token"), time.Minute); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("save over a silent link: %v, want domain.ErrUnavailable", err)
	}
	if !sessions.FailedRecently("saved-session") {
		t.Fatal("the failed save was not remembered")
	}
	proxy.Restore()
}
