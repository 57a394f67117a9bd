package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"takaffoul/app"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	web, err := app.New(app.Config{}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := web.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%s: want 200, got %d", path, resp.StatusCode)
		}
	}

	// With the database gone, /readyz says so instead of hanging.
	closed, err := repository.Open(context.Background(), dbtest.NewDatabase(t), repository.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	web, _ = app.New(app.Config{}, closed, slog.New(slog.NewTextHandler(io.Discard, nil)))
	resp, err := web.Test(httptest.NewRequest("GET", "/readyz", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 {
		t.Fatalf("/readyz with no database: want 503, got %d", resp.StatusCode)
	}
}
