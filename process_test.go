package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// server is the built binary serving on a loopback port.
type server struct {
	cmd  *exec.Cmd
	base string
	addr string
	done chan error
}

// startServer builds takaffoul and runs `serve` on a fresh database.
func startServer(t *testing.T, dbURL string) *server {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "takaffoul")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{cmd: exec.Command(bin, "serve", "-addr", addr), base: "http://" + addr, addr: addr, done: make(chan error, 1)}
	s.cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "LOG_LEVEL=error")
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	for i := 0; i < 100; i++ {
		if r, err := http.Get(s.base + "/readyz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the server did not become ready")
	return nil
}

// TestSIGTERMLetsInFlightRequestsFinish sends SIGTERM while a request is
// half uploaded: the request completes and is saved, then the process exits 0.
func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	dbURL := dbtest.NewDatabase(t)
	ctx := context.Background()
	store, err := repository.Open(ctx, dbURL, repository.PoolConfig{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u := &domain.User{Email: "coordinator@sigterm.ma", Name: "Coordinator", Role: domain.RoleCoordinator}
	if err := store.CreateUser(ctx, u, "sigterm-password"); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateAPIToken(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, dbURL)

	body := `{"code": "late-programme", "name_ar": "برنامج", "name_fr": "Programme", "name_en": "Programme", "start_year": 2020, "end_year": 2021}`
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/programmes HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		srv.addr, token, len(body))
	io.WriteString(conn, body[:20]) // half the body: the request is in flight
	time.Sleep(300 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	io.WriteString(conn, body[20:])
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, "201") {
		t.Fatalf("the in-flight request: %q %v", status, err)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Fatalf("the server did not exit cleanly: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
	var n int
	if err := store.DB().Get(&n, `SELECT count(*) FROM programmes WHERE code = 'late-programme'`); err != nil || n != 1 {
		t.Fatalf("the request's programme: %d %v", n, err)
	}
}
