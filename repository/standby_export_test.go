package repository

// A streaming replica for the read-replica test: a primary of the test's
// own (StartEmbedded: initdb in a temporary folder, replication allowed
// from loopback by initdb's default pg_hba.conf) and a hot standby made
// from it with pg_basebackup -R, on another port. The machine's server is
// not used: its pg_hba.conf allows no replication connection, and a test
// does not change the machine's configuration.

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Replication is a primary and its hot standby, both stopped when the test ends.
type Replication struct {
	PrimaryURL, StandbyURL string
}

// StartReplication starts a primary and a streaming replica of it.
func StartReplication(t *testing.T) *Replication {
	t.Helper()
	dir, err := os.MkdirTemp("", "takaffoul-replication-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The database runs as another user when we are root: let it in.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	primary, err := StartEmbedded(filepath.Join(dir, "primary"), io.Discard)
	if err != nil {
		t.Fatalf("primary: %v", err)
	}
	t.Cleanup(func() { _ = primary.Stop() })

	bin, _ := machineBinaries()
	if bin == "" {
		t.Fatal("the replication test needs the machine's PostgreSQL (apt-get install postgresql)")
	}
	standby := filepath.Join(dir, "standby")
	if err := os.MkdirAll(standby, 0o700); err != nil {
		t.Fatal(err)
	}
	as, err := runAsDatabaseUser(standby)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(primary.URL)
	password, _ := u.User.Password()
	data := filepath.Join(standby, "data")
	backup := as(filepath.Join(bin, "pg_basebackup"), "-R", "-X", "stream", "-c", "fast", "-D", data,
		"-h", u.Hostname(), "-p", u.Port(), "-U", u.User.Username())
	backup.Env = append(os.Environ(), "PGPASSWORD="+password)
	if out, err := backup.CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	options := fmt.Sprintf("-p %d -c listen_addresses=localhost -c unix_socket_directories=%s", port, standby)
	start := as(filepath.Join(bin, "pg_ctl"), "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(standby, "log"), "-o", options)
	if out, err := start.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(standby, "log"))
		t.Fatalf("start the standby: %v: %s\n%s", err, out, log)
	}
	t.Cleanup(func() { _ = as(filepath.Join(bin, "pg_ctl"), "stop", "-m", "fast", "-w", "-D", data).Run() })
	standbyURL := *u
	standbyURL.Host = fmt.Sprintf("localhost:%d", port)
	return &Replication{PrimaryURL: primary.URL, StandbyURL: standbyURL.String()}
}

// runAsDatabaseUser makes commands that run as the database's system
// user: ourselves, or "postgres" when we are root (PostgreSQL's programs
// refuse to run as root), who is then given dir.
func runAsDatabaseUser(dir string) (func(name string, args ...string) *exec.Cmd, error) {
	if os.Geteuid() != 0 {
		return exec.Command, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	runuser, err := findRunuser()
	if err != nil {
		return nil, err
	}
	return func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(runuser, append([]string{"-u", u.Username, "--", name}, args...)...)
		cmd.Dir = "/"
		return cmd
	}, nil
}

// WaitForReplay waits until the standby has replayed everything the
// primary had written when it was called.
func (r *Replication) WaitForReplay(t *testing.T, primary, standby *Store) {
	t.Helper()
	ctx := context.Background()
	var lsn string
	if err := primary.db.GetContext(ctx, &lsn, `SELECT pg_current_wal_lsn()::text`); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		var done bool
		if err := standby.db.GetContext(ctx, &done, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby has not replayed %s after 30 s", lsn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ReadsFromAStandby reports whether the store's totals reads go to a
// server in recovery (a standby).
func (s *Store) ReadsFromAStandby(ctx context.Context) (bool, error) {
	var standby bool
	err := s.readStore().db.GetContext(ctx, &standby, `SELECT pg_is_in_recovery()`)
	return standby, err
}
