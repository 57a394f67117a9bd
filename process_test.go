package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	return serveWith(t, buildBinary(t), append(os.Environ(), "DATABASE_URL="+dbURL, "LOG_LEVEL=error"), 10*time.Second)
}

// buildBinary builds takaffoul once for the package's tests (linking it
// takes seconds of a core each time) and returns its path; the first test
// that asks builds it, the others wait. TestMain removes it.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "takaffoul-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.dir, built.path = dir, filepath.Join(dir, "takaffoul")
		if out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// built is the binary buildBinary made.
var built struct {
	once      sync.Once
	dir, path string
	err       error
}

// removeBuiltBinary removes the binary, once every test has ended.
func removeBuiltBinary() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// serveWith runs `bin serve` with env on a free port and waits until it is ready.
func serveWith(t *testing.T, bin string, env []string, readyWithin time.Duration) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{cmd: exec.Command(bin, "serve", "-addr", addr), base: "http://" + addr, addr: addr, done: make(chan error, 1)}
	s.cmd.Env = env
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	for deadline := time.Now().Add(readyWithin); time.Now().Before(deadline); {
		if r, err := http.Get(s.base + "/readyz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			return s
		}
		select {
		case err := <-s.done:
			t.Fatalf("the server exited before it was ready: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
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
	if err := store.CreateUser(ctx, u, "process-test-password", nil); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateAPIToken(ctx, u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dbURL, store, token
}

// TestSIGTERMLetsInFlightRequestsFinish sends SIGTERM while a request is
// half uploaded: the request completes and is saved, then the process exits 0.
func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
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
// import job is writing: the transaction dies with the connection, the
// database holds none of the file's people, and the server started again
// says the job failed. The import is sent as a job (Prefer: respond-async):
// the request answers at once, so no request timeout can cut it first.
func TestSIGKILLDuringAnImportLeavesNothingPartial(t *testing.T) {
	t.Parallel()
	dbURL, store, token := coordinatorDatabase(t)
	ctx := context.Background()
	org := domain.Organisation{Kind: domain.Institution, NameFr: ptrTo("Centre de test")}
	if err := store.CreateOrganisation(ctx, &org, nil); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, dbURL)

	var file strings.Builder
	file.WriteString("category,full_name_latin,sex,birth_year,organisation,national_id\n")
	for i := 0; i < 60_000; i++ {
		fmt.Fprintf(&file, "institutional_actor,Person %d,female,1980,%d,KL%07d\n", i, org.ID, i)
	}
	body, contentType := multipartBody("people.csv", file.String())
	req, _ := http.NewRequest("POST", srv.base+"/api/v1/imports/trainees", body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Prefer", "respond-async")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Status    string `json:"status"`
		StatusURL string `json:"status_url"`
	}
	err = json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 202 || job.Status != "running" {
		t.Fatalf("want 202 and a running job, got %d %+v %v", resp.StatusCode, job, err)
	}
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

	// The server started again marks the job failed (its sweep at start;
	// reading the job would too), and lets the file go.
	srv = startServer(t, dbURL)
	for i := 0; ; i++ {
		var status string
		var kept bool
		if err := store.DB().QueryRow(`SELECT status, file IS NOT NULL FROM import_jobs`).Scan(&status, &kept); err != nil {
			t.Fatal(err)
		}
		if status == "failed" && !kept {
			break
		}
		if i > 200 {
			t.Fatalf("the restarted server left the killed job %q (file kept: %v)", status, kept)
		}
		time.Sleep(50 * time.Millisecond)
	}
	req, _ = http.NewRequest("GET", srv.base+job.StatusURL, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&job); err != nil || resp.StatusCode != 200 || job.Status != "failed" {
		t.Fatalf("the status URL after the restart: %d %+v %v", resp.StatusCode, job, err)
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

// TestCommandsBesideARunningEmbeddedApp takes the newcomer's order: `go
// run .`, then `seed demo` and `user add` in another terminal. The commands
// join the app's embedded server and leave it running: /readyz answers 200
// throughout, and the app serves what they wrote.
func TestCommandsBesideARunningEmbeddedApp(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dataDir := embeddedDataDir(t, bin)
	env := embeddedEnv(dataDir)
	srv := serveWith(t, bin, env, 90*time.Second)
	notReady := watchReadyz(srv.base)

	command(t, bin, env, nil, "seed", "demo")
	command(t, bin, env, strings.NewReader("a-long-password-beside\n"), "user", "add", "-email", "beside@process.ma", "-name", "Beside", "-role", "coordinator")
	token := apiToken(t, command(t, bin, env, nil, "token", "create", "-email", "beside@process.ma"))
	command(t, bin, env, nil, "migrate")
	time.Sleep(300 * time.Millisecond) // a few more answers after the last command ended
	if seen := notReady(); len(seen) > 0 {
		t.Fatalf("/readyz while the commands ran beside the app: %d answers not 200, the first %v", len(seen), seen[:min(3, len(seen))])
	}
	wantPage(t, srv.base+"/login", "", 200)
	wantChildProtectionTrained(t, srv.base, token, 151)

	// The server is the app's: it stops with the app, nothing is left running.
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Fatalf("the app did not exit cleanly: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("the app did not exit after SIGTERM")
	}
	if postmasterRunning(dataDir) {
		t.Error("the embedded PostgreSQL is still running after the app stopped")
	}
}

// TestBackupAndRestoreOnTheEmbeddedServer backs the embedded database up
// beside the running app and with the server stopped, refuses to restore
// under the running app, and restores into a new DATA_DIR (and into a
// database on DATABASE_URL's server) that the app then serves.
func TestBackupAndRestoreOnTheEmbeddedServer(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dataDir := embeddedDataDir(t, bin)
	env := embeddedEnv(dataDir)
	srv := serveWith(t, bin, env, 90*time.Second)
	command(t, bin, env, nil, "seed", "demo")
	command(t, bin, env, strings.NewReader("a-long-password-backup\n"), "user", "add", "-email", "backup@process.ma", "-name", "Backup", "-role", "coordinator")
	token := apiToken(t, command(t, bin, env, nil, "token", "create", "-email", "backup@process.ma"))

	files := t.TempDir()
	besideTheApp := filepath.Join(files, "beside.dump")
	notReady := watchReadyz(srv.base)
	command(t, bin, env, nil, "backup", besideTheApp)
	out, err := runBinary(bin, env, nil, "restore", "-force", besideTheApp)
	if err == nil || !strings.Contains(out, "stop it first") {
		t.Fatalf("restore under the running app: %v\n%s", err, out)
	}
	if seen := notReady(); len(seen) > 0 {
		t.Fatalf("/readyz during the backup: %d answers not 200, the first %v", len(seen), seen[:min(3, len(seen))])
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-srv.done

	// With the app stopped, the command starts the server and stops it after.
	stopped := filepath.Join(files, "stopped.dump")
	command(t, bin, env, nil, "backup", stopped)
	if postmasterRunning(dataDir) {
		t.Error("backup left the embedded PostgreSQL running")
	}

	// A new DATA_DIR: restored into, then served.
	newDir := embeddedDataDir(t, bin)
	newEnv := embeddedEnv(newDir)
	if out := command(t, bin, newEnv, nil, "restore", besideTheApp); !strings.Contains(out, "restored and migrated") {
		t.Fatalf("restore:\n%s", out)
	}
	restored := serveWith(t, bin, newEnv, 90*time.Second)
	wantPage(t, restored.base+"/readyz", "", 200)
	wantPage(t, restored.base+"/login", "", 200)
	wantChildProtectionTrained(t, restored.base, token, 151) // the token is in the backup too

	// The other backup, from stdin, into a new database on DATABASE_URL's server.
	targetURL := dbtest.EmptyDatabase(t)
	archive, err := os.Open(stopped)
	if err != nil {
		t.Fatal(err)
	}
	defer archive.Close()
	command(t, bin, append(newEnv, "DATABASE_URL="+targetURL), archive, "restore", "-")
	store, err := repository.Open(context.Background(), targetURL, repository.PoolConfig{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	totals, err := store.Totals(context.Background(), domain.TotalsFilter{Programme: repository.DemoChildProtection})
	if err != nil || totals.LocalActors.Trained != 151 {
		t.Fatalf("child-protection local actors trained after a restore from stdin: %v %v", totals, err)
	}
}

// embeddedDataDir is a fresh DATA_DIR that the "postgres" user can enter
// (as root the server runs as that user). At the end of the test a server
// still running on it (the test failed half way) is stopped by a command
// that joins it, then the folder is removed.
func embeddedDataDir(t *testing.T, bin string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "takaffoul-process-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	t.Cleanup(func() {
		if postmasterRunning(data) {
			_, _ = runBinary(bin, embeddedEnv(data), nil, "migrate", "status")
		}
		os.RemoveAll(dir)
	})
	return data
}

// embeddedEnv is the environment of a process on the embedded database in dataDir.
func embeddedEnv(dataDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); name != "DATABASE_URL" && name != "DATA_DIR" && name != "BACKUP_RECIPIENT" {
			env = append(env, kv)
		}
	}
	return append(env, "DATA_DIR="+dataDir, "LOG_LEVEL=error")
}

// postmasterRunning reports whether a server holds the cluster in dataDir.
func postmasterRunning(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, "postgres", "data", "postmaster.pid"))
	return err == nil
}

// runBinary runs bin with args, returning its stdout and stderr together.
func runBinary(bin string, env []string, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// command is runBinary, failing the test when the command fails.
func command(t *testing.T, bin string, env []string, stdin io.Reader, args ...string) string {
	t.Helper()
	out, err := runBinary(bin, env, stdin, args...)
	if err != nil {
		t.Fatalf("takaffoul %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// watchReadyz asks /readyz every 20 ms until the returned function is
// called, which returns the answers that were not 200.
func watchReadyz(base string) (stop func() []string) {
	done := make(chan struct{})
	result := make(chan []string, 1)
	go func() {
		var bad []string
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-done:
				result <- bad
				return
			case <-time.After(20 * time.Millisecond):
			}
			r, err := client.Get(base + "/readyz")
			if err != nil {
				bad = append(bad, err.Error())
				continue
			}
			r.Body.Close()
			if r.StatusCode != 200 {
				bad = append(bad, fmt.Sprintf("%s: %d", time.Now().Format("15:04:05.000"), r.StatusCode))
			}
		}
	}()
	return func() []string { close(done); return <-result }
}

func apiToken(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if domain.LooksLikeAPIToken(strings.TrimSpace(line)) {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("no token in:\n%s", out)
	return ""
}

func wantPage(t *testing.T, url, token string, status int) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != status {
		t.Fatalf("GET %s: want %d, got %d: %.300s", url, status, r.StatusCode, body)
	}
	return string(body)
}

func wantChildProtectionTrained(t *testing.T, base, token string, want int) {
	t.Helper()
	var totals domain.Totals
	body := wantPage(t, base+"/api/v1/totals?programme=child-protection", token, 200)
	if err := json.Unmarshal([]byte(body), &totals); err != nil {
		t.Fatal(err)
	}
	if totals.LocalActors.Trained != want {
		t.Errorf("child-protection local actors trained: want %d, got %d", want, totals.LocalActors.Trained)
	}
}
