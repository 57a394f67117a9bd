package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"takaffoul/app"
	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// TestEncryptedBackupRoundTrip: seed demo → backup encrypted to an age
// recipient → restore with the identity into a new database, which the
// application then serves with the demo's figures.
func TestEncryptedBackupRoundTrip(t *testing.T) {
	ctx := context.Background()
	sourceURL := dbtest.NewDatabase(t)
	seeded, err := repository.Open(ctx, sourceURL, repository.PoolConfig{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer seeded.Close()
	if err := seedDemo(ctx, seeded, io.Discard); err != nil {
		t.Fatal(err)
	}

	identity, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "takaffoul.dump.age")
	t.Setenv("DATABASE_URL", sourceURL)
	t.Setenv("BACKUP_RECIPIENT", identity.Recipient().String())
	if err := run([]string{"backup", file}, slog.Default()); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(written, []byte(ageHeader)) || bytes.Contains(written, []byte("PGDMP")) || bytes.Contains(written, []byte("demo.ma")) {
		t.Fatalf("the backup is not encrypted: %q…", written[:40])
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*partial*")); len(leftovers) > 0 {
		t.Errorf("partial files left beside the backup: %v", leftovers)
	}

	targetURL := dbtest.EmptyDatabase(t)
	t.Setenv("DATABASE_URL", targetURL)
	err = run([]string{"restore", file}, slog.Default())
	if err == nil || !strings.Contains(err.Error(), "-identity") {
		t.Fatalf("restore of an encrypted backup without -identity: %v", err)
	}
	other, _ := age.GenerateX25519Identity()
	otherFile := filepath.Join(dir, "other.key")
	writeFile(t, otherFile, other.String()+"\n")
	if err := run([]string{"restore", "-identity", otherFile, file}, slog.Default()); err == nil || !strings.Contains(err.Error(), "cannot decrypt") {
		t.Fatalf("restore with the wrong identity: %v", err)
	}
	keyFile := filepath.Join(dir, "backup.key")
	writeFile(t, keyFile, "# created: by the test\n"+identity.String()+"\n")
	if err := run([]string{"restore", "-identity", keyFile, file}, slog.Default()); err != nil {
		t.Fatal(err)
	}

	restored, err := repository.Open(ctx, targetURL, repository.PoolConfig{MaxOpen: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	web, err := app.New(app.Config{SessionPurgeInterval: -1}, restored, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"/readyz", "/login"} {
		r, err := web.Test(httptest.NewRequest("GET", page, nil), -1)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("%s from the restored database: %v %v", page, r.StatusCode, err)
		}
	}
	coordinator, err := restored.UserByEmail(ctx, "coordinator@demo.ma")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := restored.CreateAPIToken(ctx, coordinator.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/totals?programme=child-protection", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := web.Test(req, -1)
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("totals from the restored database: %v %v", r.StatusCode, err)
	}
	var totals domain.Totals
	if err := json.NewDecoder(r.Body).Decode(&totals); err != nil {
		t.Fatal(err)
	}
	if totals.LocalActors.Trained != 151 {
		t.Errorf("child-protection local actors trained from the restored database: want 151, got %d", totals.LocalActors.Trained)
	}
}

func TestBackupRefusesABadRecipientAndRestoreSomethingElse(t *testing.T) {
	t.Setenv("DATABASE_URL", dbtest.NewDatabase(t))
	err := run([]string{"backup", "-recipient", "age1notakey", filepath.Join(t.TempDir(), "x.dump")}, slog.Default())
	if err == nil || !strings.Contains(err.Error(), "invalid age recipient") {
		t.Fatalf("a bad recipient: %v", err)
	}
	notABackup := filepath.Join(t.TempDir(), "notes.txt")
	writeFile(t, notABackup, "hello\n")
	if err := run([]string{"restore", notABackup}, slog.Default()); err == nil || !strings.Contains(err.Error(), "not a Takaffoul backup") {
		t.Fatalf("restore of a text file: %v", err)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
