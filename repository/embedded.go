package repository

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// Embedded is a PostgreSQL server that Takaffoul starts for itself when no
// DATABASE_URL is given, so that `go run .` works on a fresh machine. Every
// process of one DATA_DIR shares one server: the first starts it, the others
// (a `seed demo` beside a running app) join it, and it is stopped only when
// nobody else uses it, so that a command never takes the database from
// under a running application.
type Embedded struct {
	server  *embeddedpostgres.EmbeddedPostgres // nil when we joined a server another process started
	layout  *embeddedLayout
	URL     string // connection URL, with sslmode=disable (lib/pq needs it) and this process's application_name
	DataDir string // where the cluster's files live
	BinDir  string // the folder of the server's programs, where pg_dump of the same version lives
	Joined  bool   // the server was already running, started by another process
}

// rootDataParent is where the cluster lives when we run as root and the
// unprivileged database user cannot reach the chosen data folder.
const rootDataParent = "/var/lib/takaffoul"

// readyMarker is written once a first start has finished: a cluster without
// it is the debris of an interrupted first start, never user data.
const readyMarker = "takaffoul-ready"

// ownerFile holds the process id of the process that started the running
// server; it is removed when the server stops or is handed over.
const ownerFile = "owner"

// StartEmbedded joins the PostgreSQL cluster kept under dir when a server
// already runs on it, else starts it (initialising it on first use) on a
// free loopback port; it returns once the server answers. The decision is
// taken under a lock on the cluster folder, so that two processes starting
// at once never both start it.
func StartEmbedded(dir string, logOutput io.Writer) (*Embedded, error) {
	layout, err := planEmbedded(dir)
	if err != nil {
		return nil, err
	}
	if err := layout.makeFolders(); err != nil {
		return nil, err
	}
	unlock, err := layout.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := layout.prepare(); err != nil {
		return nil, err
	}
	joined, err := layout.joinRunning()
	if err != nil || joined != nil {
		return joined, err
	}
	return layout.start(logOutput)
}

// start starts the cluster's server, this process becoming its owner.
func (l *embeddedLayout) start(logOutput io.Writer) (*Embedded, error) {
	if err := l.checkExistingCluster(); err != nil {
		return nil, err
	}
	port, err := l.port()
	if err != nil {
		return nil, err
	}
	password, err := l.password()
	if err != nil {
		return nil, err
	}
	cfg := embeddedpostgres.DefaultConfig().
		Version(embeddedpostgres.PostgresVersion(l.major + ".0.0")).
		Port(port).
		Database("takaffoul").
		Username("postgres").
		Password(password).
		Encoding("UTF8").
		Locale("C").
		RuntimePath(l.runtimeDir()).
		DataPath(l.data).
		StartTimeout(60 * time.Second).
		Logger(logOutput).
		StartParameters(map[string]string{
			"listen_addresses":        "localhost",
			"unix_socket_directories": l.socketDir(),
		})
	if l.realBin != "" {
		cfg = cfg.BinariesPath(l.binaries)
	}
	server := embeddedpostgres.NewDatabase(cfg)
	if err := server.Start(); err != nil {
		return nil, fmt.Errorf("embedded PostgreSQL did not start: %w", err)
	}
	e := l.embedded(server, port, password)
	e.closeStartupCheck()
	for _, f := range []struct{ name, content string }{
		{readyMarker, time.Now().UTC().Format(time.RFC3339)},
		{ownerFile, strconv.Itoa(os.Getpid())},
	} {
		if err := os.WriteFile(filepath.Join(l.root, f.name), []byte(f.content), 0o600); err != nil {
			_ = server.Stop()
			return nil, fmt.Errorf("embedded PostgreSQL: %w", err)
		}
	}
	return e, nil
}

// closeStartupCheck ends the connection the library's start-up check
// leaves open (it never closes its "SELECT 1" rows): it would count as
// another process using the server until we exit. Right after the start,
// under the lock, an unnamed connection can only be that one.
func (e *Embedded) closeStartupCheck() {
	db, err := sql.Open("postgres", e.URL)
	if err != nil {
		return
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND application_name = '' AND pid <> pg_backend_pid()`)
}

func (l *embeddedLayout) embedded(server *embeddedpostgres.EmbeddedPostgres, port uint32, password string) *Embedded {
	return &Embedded{
		server:  server,
		layout:  l,
		DataDir: l.data,
		BinDir:  l.serverBin(),
		Joined:  server == nil,
		URL: fmt.Sprintf("postgres://postgres:%s@localhost:%d/takaffoul?sslmode=disable&application_name=%s",
			password, port, ourApplicationName()),
	}
}

// ourApplicationName tells this process's connections from other
// processes' in pg_stat_activity: see Embedded.Stop.
func ourApplicationName() string { return "takaffoul-" + strconv.Itoa(os.Getpid()) }

// Stop stops the server, unless another process still needs it: when the
// process that started it still runs, it is that process's to stop; when
// other processes are connected, it is left running for them and handed
// over (the last one out stops it). A process that joined a server thus
// never stops it under its starter.
func (e *Embedded) Stop() error {
	unlock, err := e.layout.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if owner := e.layout.owner(); owner != 0 && owner != os.Getpid() && processAlive(owner) {
		return nil
	}
	if others := e.otherClients(); others > 0 {
		_ = os.Remove(filepath.Join(e.layout.root, ownerFile))
		slog.Info("embedded PostgreSQL left running: other processes use it", "connections", others, "data", e.DataDir)
		return nil
	}
	if e.server != nil {
		err = e.server.Stop()
	} else {
		err = e.layout.pgCtlStop()
	}
	_ = os.Remove(filepath.Join(e.layout.root, ownerFile))
	return err
}

// otherClients counts the connections of other processes (psql included),
// waiting a second for those just closed to go. Our own pool, closed or
// not, carries our application_name and is not counted.
func (e *Embedded) otherClients() int {
	db, err := sql.Open("postgres", e.URL)
	if err != nil {
		return 0
	}
	defer db.Close()
	const q = `SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name <> $1`
	n := 0
	for i := 0; i < 10; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := db.QueryRowContext(ctx, q, ourApplicationName()).Scan(&n)
		cancel()
		if err != nil || n == 0 {
			return 0 // a server that does not answer has nobody to protect
		}
		time.Sleep(100 * time.Millisecond)
	}
	return n
}

// embeddedLayout says where the cluster lives and which programs run it.
type embeddedLayout struct {
	root      string // our folder for the cluster: data, runtime, socket, password
	data      string // PGDATA
	major     string // major version of the binaries ("15")
	realBin   string // the machine's binaries ("/usr/lib/postgresql/15/bin"), or "" to download
	binaries  string // BinariesPath given to the library
	runAsUser *user.User
}

// planEmbedded decides the layout. As root, the database programs refuse to
// run, so they run as the "postgres" system user through small wrappers; when
// that user cannot reach dir (a folder under /root, say), the cluster lives
// under /var/lib/takaffoul instead, in a folder named after dir.
func planEmbedded(dir string) (*embeddedLayout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	l := &embeddedLayout{root: filepath.Join(abs, "postgres")}
	l.realBin, l.major = machineBinaries()
	if os.Geteuid() == 0 {
		if l.realBin == "" {
			return nil, errors.New("running as root needs the machine's PostgreSQL (apt-get install postgresql) or DATABASE_URL")
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New(`running as root: the database runs as the "postgres" system user, which does not exist; create it, run as another user, or set DATABASE_URL`)
		}
		l.runAsUser = u
		if !reachableByOthers(abs) {
			sum := sha256.Sum256([]byte(abs))
			l.root = filepath.Join(rootDataParent, hex.EncodeToString(sum[:6]))
		}
		slog.Info("running as root: the embedded database runs as the postgres user", "data", l.root)
	}
	if l.major == "" {
		l.major = "18" // no local binaries: the library downloads its default version
	}
	l.data = filepath.Join(l.root, "data")
	return l, nil
}

func (l *embeddedLayout) socketDir() string  { return filepath.Join(l.root, "socket") }
func (l *embeddedLayout) runtimeDir() string { return filepath.Join(l.root, "runtime") }

// serverBin is the folder of the programs that run the server: the
// machine's, else those the library downloaded into the runtime folder.
func (l *embeddedLayout) serverBin() string {
	if l.realBin != "" {
		return l.realBin
	}
	return filepath.Join(l.runtimeDir(), "bin")
}

// makeFolders creates our folders, owned by the user the server runs as.
func (l *embeddedLayout) makeFolders() error {
	// The folders above ours stay enterable, for the unprivileged user.
	if err := os.MkdirAll(filepath.Dir(l.root), 0o755); err != nil {
		return fmt.Errorf("embedded PostgreSQL folder: %w", err)
	}
	for _, d := range []string{l.root, l.socketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("embedded PostgreSQL folder: %w", err)
		}
		if err := l.chownToRunAs(d); err != nil {
			return err
		}
	}
	return nil
}

// lock takes the cluster folder's lock (flock, released by the kernel if
// we die), held while deciding to start, join or stop the server.
func (l *embeddedLayout) lock() (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(l.root, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded PostgreSQL lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("embedded PostgreSQL lock: %w", err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// prepare writes the root wrappers: the programs that start and stop the
// server as the unprivileged user.
func (l *embeddedLayout) prepare() error {
	l.binaries = l.runtimeDir() // the library's own download, extracted there
	if l.realBin != "" {
		l.binaries = filepath.Dir(l.realBin)
	}
	if l.runAsUser != nil {
		return l.writeWrappers()
	}
	return nil
}

// checkExistingCluster refuses a cluster of another major version (the
// library would wipe it) and removes the debris of an unfinished first start.
func (l *embeddedLayout) checkExistingCluster() error {
	version, err := os.ReadFile(filepath.Join(l.data, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		// Nothing yet, or a folder without a cluster: a first start follows,
		// and the marker is written again only once it has finished.
		_ = os.Remove(filepath.Join(l.root, readyMarker))
		return os.RemoveAll(l.data)
	}
	if err != nil {
		return fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	if _, err := os.Stat(filepath.Join(l.root, readyMarker)); errors.Is(err, os.ErrNotExist) {
		slog.Warn("an earlier first start did not finish; initialising the embedded database afresh", "data", l.data)
		return os.RemoveAll(l.data)
	}
	if got := strings.TrimSpace(string(version)); got != l.major {
		return fmt.Errorf("the data in %s was made by PostgreSQL %s but this machine has PostgreSQL %s; refusing to start (it would be wiped): upgrade it with pg_upgrade or move it aside", l.data, got, l.major)
	}
	return nil
}

// joinRunning returns the server running on this cluster when there is one
// and it answers; a lock file whose process is gone (or is no postmaster of
// ours) is a dead leftover, removed so that the start that follows works.
// A live postmaster of ours is never stopped here: it is another process's.
func (l *embeddedLayout) joinRunning() (*Embedded, error) {
	pidFile := filepath.Join(l.data, "postmaster.pid")
	pm, err := readPostmasterPid(pidFile)
	for i := 0; err != nil && !errors.Is(err, os.ErrNotExist) && i < 25; i++ {
		time.Sleep(200 * time.Millisecond) // a starting server writes it in steps
		pm, err = readPostmasterPid(pidFile)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil || !l.isOurPostmaster(pm.pid) {
		slog.Warn("removing the lock file of an embedded PostgreSQL that is no longer running", "data", l.data)
		return nil, os.Remove(pidFile)
	}
	if _, err := os.Stat(filepath.Join(l.root, readyMarker)); errors.Is(err, os.ErrNotExist) {
		// A first start that died half way (the lock says nobody is in
		// one now) left its server running: nobody can be using it.
		slog.Warn("stopping the server of an interrupted first start", "data", l.data)
		return nil, l.pgCtlStop()
	}
	password, err := os.ReadFile(filepath.Join(l.root, "password"))
	if err != nil {
		return nil, fmt.Errorf("embedded PostgreSQL runs (pid %d) but its password file is missing: %w", pm.pid, err)
	}
	e := l.embedded(nil, pm.port, string(password))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if answers(e.URL) {
			slog.Info("using the embedded PostgreSQL already running", "pid", pm.pid, "port", pm.port, "data", l.data)
			return e, nil
		}
		if !processAlive(pm.pid) { // it was stopping: start afresh
			return nil, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("an embedded PostgreSQL (pid %d) runs on %s but does not answer on port %d; "+
				"it is left alone: wait for it, or stop it with pg_ctl stop -D %s", pm.pid, l.data, pm.port, l.data)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// postmaster is what postmaster.pid says: its first line is the process
// id, its fourth the port.
type postmaster struct {
	pid  int
	port uint32
}

func readPostmasterPid(file string) (postmaster, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return postmaster{}, err
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return postmaster{}, errors.New("postmaster.pid: too short")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return postmaster{}, fmt.Errorf("postmaster.pid: %w", err)
	}
	port, err := strconv.ParseUint(strings.TrimSpace(lines[3]), 10, 16)
	if err != nil {
		return postmaster{}, fmt.Errorf("postmaster.pid: %w", err)
	}
	return postmaster{pid: pid, port: uint32(port)}, nil
}

// isOurPostmaster reports whether pid is alive and a PostgreSQL server of
// this data folder (its command line names it): a pid reused by another
// program after a crash is not.
func (l *embeddedLayout) isOurPostmaster(pid int) bool {
	if !processAlive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true // no /proc: trust the live process
	}
	args := strings.Split(string(cmdline), "\x00")
	for i, a := range args {
		if (a == "-D" && i+1 < len(args) && args[i+1] == l.data) || a == "-D"+l.data {
			return true
		}
	}
	return false
}

// processAlive reports whether a process with this id exists (EPERM: it
// does, under another user).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// answers reports whether the server at url accepts our connection.
func answers(url string) bool {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return false
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return db.PingContext(ctx) == nil
}

// owner is the process id in the owner file, 0 when there is none.
func (l *embeddedLayout) owner() int {
	b, err := os.ReadFile(filepath.Join(l.root, ownerFile))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// pgCtlStop stops the server (one another process started and handed over).
func (l *embeddedLayout) pgCtlStop() error {
	cmd := exec.Command(filepath.Join(l.binaries, "bin", "pg_ctl"), "stop", "-m", "fast", "-w", "-D", l.data)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("stop the embedded PostgreSQL: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// writeWrappers writes pg_ctl and initdb scripts that run the machine's
// programs as the unprivileged user; the library runs them in their place.
func (l *embeddedLayout) writeWrappers() error {
	wrapperRoot := filepath.Join(l.root, "as-postgres")
	bin := filepath.Join(wrapperRoot, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("embedded PostgreSQL wrappers: %w", err)
	}
	runuser, err := findRunuser()
	if err != nil {
		return err
	}
	name := l.runAsUser.Username
	for _, prog := range []string{"pg_ctl", "initdb"} {
		// The library writes initdb's password file as root: hand it over first.
		script := "#!/bin/sh\ncd / || exit 1\n"
		if prog == "initdb" {
			script += "for a in \"$@\"; do case \"$a\" in --pwfile=*) chown " + name + " \"${a#--pwfile=}\";; esac; done\n"
		}
		script += fmt.Sprintf("exec %s -u %s -- %s \"$@\"\n", runuser, name, filepath.Join(l.realBin, prog))
		if err := os.WriteFile(filepath.Join(bin, prog), []byte(script), 0o755); err != nil {
			return fmt.Errorf("embedded PostgreSQL wrappers: %w", err)
		}
	}
	l.binaries = wrapperRoot
	return nil
}

func (l *embeddedLayout) chownToRunAs(path string) error {
	if l.runAsUser == nil {
		return nil
	}
	uid, _ := strconv.Atoi(l.runAsUser.Uid)
	gid, _ := strconv.Atoi(l.runAsUser.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("embedded PostgreSQL folder: %w", err)
	}
	return nil
}

// password returns the superuser password of the cluster, made on first use
// and kept beside it (readable by us only).
func (l *embeddedLayout) password() (string, error) {
	file := filepath.Join(l.root, "password")
	if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
		if _, statErr := os.Stat(filepath.Join(l.data, "PG_VERSION")); statErr == nil {
			return string(b), nil
		}
	}
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(buf)
	if err := os.WriteFile(file, []byte(pw), 0o600); err != nil {
		return "", fmt.Errorf("embedded PostgreSQL password: %w", err)
	}
	return pw, nil
}

// machineBinaries finds the newest PostgreSQL server installed the Debian
// way (/usr/lib/postgresql/NN/bin), so that nothing needs downloading.
func machineBinaries() (binDir, major string) {
	bin := newestMachineDir("pg_ctl")
	if bin == "" {
		return "", ""
	}
	return bin, strconv.Itoa(versionOf(bin))
}

// newestMachineDir is the bin folder of the newest /usr/lib/postgresql/NN
// that has program, or "".
func newestMachineDir(program string) string {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + program)
	sort.Slice(found, func(i, j int) bool { return versionOf(filepath.Dir(found[i])) > versionOf(filepath.Dir(found[j])) })
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[0])
}

// versionOf reads NN from /usr/lib/postgresql/NN/bin.
func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// reachableByOthers reports whether a user other than the owner may enter
// dir and every folder above it (the execute bit for "others").
func reachableByOthers(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err == nil && info.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func findRunuser() (string, error) {
	for _, candidate := range []string{"runuser", "/usr/sbin/runuser", "/sbin/runuser"} {
		if p, err := exec.LookPath(candidate); err == nil {
			return p, nil
		}
	}
	return "", errors.New("running as root needs runuser (util-linux) to start the database as the postgres user")
}

// port is the cluster's port: the one it had last time when still free (so
// that its URL stays the same across restarts and a running application
// reconnects to a restarted database), else a new free one, remembered.
func (l *embeddedLayout) port() (uint32, error) {
	file := filepath.Join(l.root, "port")
	if b, err := os.ReadFile(file); err == nil {
		if p, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 16); err == nil && portFree(uint32(p)) {
			return uint32(p), nil
		}
	}
	p, err := freePort()
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(file, []byte(strconv.FormatUint(uint64(p), 10)), 0o600); err != nil {
		return 0, fmt.Errorf("embedded PostgreSQL port: %w", err)
	}
	return p, nil
}

func portFree(p uint32) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// freePort asks the kernel for a free loopback port: the machine's own
// PostgreSQL may hold 5432.
func freePort() (uint32, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free port for the embedded database: %w", err)
	}
	defer l.Close()
	return uint32(l.Addr().(*net.TCPAddr).Port), nil
}
