package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime/multipart"
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

// coordinatorDatabase is a fresh database with a coordinator and their API token.
func coordinatorDatabase(t *testing.T) (string, *repository.Store, string) {
	t.Helper()
	dbURL := dbtest.NewDatabase(t)
	ctx := context.Background()
	store, err := repository.Open(ctx, dbURL, repository.PoolConfig{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	u := &domain.User{Email: "coordinator@process.ma", Name: "Coordinator", Role: domain.RoleCoordinator}
	if err := store.CreateUser(ctx, u, "process-test-password"); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateAPIToken(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return dbURL, store, token
}

// TestSIGTERMLetsInFlightRequestsFinish sends SIGTERM while a request is
// half uploaded: the request completes and is saved, then the process exits 0.
func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	dbURL, store, token := coordinatorDatabase(t)
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

// TestSIGKILLDuringAnImportLeavesNothingPartial kills the server while an
// import is writing: the transaction dies with the connection, and the
// database holds none of the file's people.
func TestSIGKILLDuringAnImportLeavesNothingPartial(t *testing.T) {
	dbURL, store, token := coordinatorDatabase(t)
	ctx := context.Background()
	org := domain.Organisation{Kind: domain.Institution, NameFr: ptrTo("Centre de test")}
	if err := store.CreateOrganisation(ctx, &org); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, dbURL)

	var file strings.Builder
	file.WriteString("category,full_name_latin,sex,birth_year,organisation,national_id\n")
	for i := 0; i < 60_000; i++ {
		fmt.Fprintf(&file, "institutional_actor,Person %d,female,1980,%d,KL%07d\n", i, org.ID, i)
	}
	body, contentType := multipartBody("people.csv", file.String())
	go func() {
		req, _ := http.NewRequest("POST", srv.base+"/api/v1/imports/trainees", body)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	// Wait until the import holds its lock: it is inside its transaction.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var importing bool
		if err := store.DB().Get(&importing, `SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
			WHERE l.locktype = 'advisory' AND d.datname = current_database())`); err != nil {
			t.Fatal(err)
		}
		if importing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the import never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-srv.done
	// PostgreSQL notices the dead connection and rolls its transaction back.
	for i := 0; ; i++ {
		var busy int
		if err := store.DB().Get(&busy, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
		if busy <= 1 { // our own pool's other connection, at most
			break
		}
		if i > 300 {
			t.Fatal("the killed server's connections never went away")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var people, imports int
	if err := store.DB().Get(&people, `SELECT count(*) FROM trainees`); err != nil {
		t.Fatal(err)
	}
	if err := store.DB().Get(&imports, `SELECT count(*) FROM audit_log WHERE action LIKE '%import%'`); err != nil {
		t.Fatal(err)
	}
	if people != 0 || imports != 0 {
		t.Fatalf("a killed import left %d people and %d audit entries", people, imports)
	}
}

func multipartBody(name, content string) (io.Reader, string) {
	var buf strings.Builder
	w := multipart.NewWriter(&buf)
	part, _ := w.CreateFormFile("file", name)
	io.WriteString(part, content)
	w.Close()
	return strings.NewReader(buf.String()), w.FormDataContentType()
}

func ptrTo(s string) *string { return &s }
