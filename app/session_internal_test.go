package app

import (
	"bytes"
	"encoding/gob"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository/dbtest"
)

// A session older than sessionMaxAge opens nothing, however recently used.
func TestSessionMaxAge(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	_, web, err := newServer(Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	u := &domain.User{Email: "trainer@example.ma", Name: "Trainer", Role: domain.RoleTrainer}
	if err := store.CreateUser(t.Context(), u, "a-long-password", nil); err != nil {
		t.Fatal(err)
	}
	storage := store.SessionStorage(0, 0)
	plant := func(id string, since time.Time) {
		data := map[string]interface{}{sessionUserID: u.ID, sessionFingerprint: passwordFingerprint(u), sessionStarted: since.Unix()}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(&data); err != nil {
			t.Fatal(err)
		}
		if err := storage.Set(id, buf.Bytes(), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	status := func(id string) int {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Cookie", sessionCookie+"="+id)
		resp, err := web.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	plant("recent-session", time.Now().Add(-time.Hour))
	plant("old-session", time.Now().Add(-sessionMaxAge-time.Minute))
	if got := status("recent-session"); got != 200 {
		t.Fatalf("a session opened an hour ago: want 200, got %d", got)
	}
	if got := status("old-session"); got != 303 {
		t.Fatalf("a session older than %v: want 303 to /login, got %d", sessionMaxAge, got)
	}
}
