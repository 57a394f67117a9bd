package repository

import (
	"crypto/rand"
	"crypto/sha256"
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
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// Embedded is a PostgreSQL server that Takaffoul starts for itself when no
// DATABASE_URL is given, so that `go run .` works on a fresh machine.
type Embedded struct {
	server  *embeddedpostgres.EmbeddedPostgres
	URL     string // connection URL, with sslmode=disable (lib/pq needs it)
	DataDir string // where the cluster's files live
}

// rootDataParent is where the cluster lives when we run as root and the
// unprivileged database user cannot reach the chosen data folder.
const rootDataParent = "/var/lib/takaffoul"

// readyMarker is written once a first start has finished: a cluster without
// it is the debris of an interrupted first start, never user data.
const readyMarker = "takaffoul-ready"

// StartEmbedded starts (initialising on first use) a PostgreSQL cluster kept
// under dir, on a free loopback port, and returns once it answers.
func StartEmbedded(dir string, logOutput io.Writer) (*Embedded, error) {
	layout, err := planEmbedded(dir)
	if err != nil {
		return nil, err
	}
	if err := layout.prepare(); err != nil {
		return nil, err
	}
	port, err := layout.port()
	if err != nil {
		return nil, err
	}
	password, err := layout.password()
	if err != nil {
		return nil, err
	}
	cfg := embeddedpostgres.DefaultConfig().
		Version(embeddedpostgres.PostgresVersion(layout.major + ".0.0")).
		Port(port).
		Database("takaffoul").
		Username("postgres").
		Password(password).
		Encoding("UTF8").
		Locale("C").
		RuntimePath(filepath.Join(layout.root, "runtime")).
		DataPath(layout.data).
		StartTimeout(60 * time.Second).
		Logger(logOutput).
		StartParameters(map[string]string{
			"listen_addresses":        "localhost",
			"unix_socket_directories": layout.socketDir(),
		})
	if layout.binaries != "" {
		cfg = cfg.BinariesPath(layout.binaries)
	}
	server := embeddedpostgres.NewDatabase(cfg)
	if err := server.Start(); err != nil {
		return nil, fmt.Errorf("embedded PostgreSQL did not start: %w", err)
	}
	if err := os.WriteFile(filepath.Join(layout.root, readyMarker), []byte(time.Now().UTC().Format(time.RFC3339)), 0o600); err != nil {
		_ = server.Stop()
		return nil, fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	return &Embedded{
		server:  server,
		DataDir: layout.data,
		URL:     fmt.Sprintf("postgres://postgres:%s@localhost:%d/takaffoul?sslmode=disable", password, port),
	}, nil
}

// Stop shuts the server down, waiting for it to finish.
func (e *Embedded) Stop() error { return e.server.Stop() }

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

func (l *embeddedLayout) socketDir() string { return filepath.Join(l.root, "socket") }

// prepare creates our folders, writes the root wrappers, and clears what an
// earlier run may have left: a server still running after a crash, or the
// half-made cluster of an interrupted first start.
func (l *embeddedLayout) prepare() error {
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
	l.binaries = filepath.Dir(l.realBin)
	if l.runAsUser != nil {
		if err := l.writeWrappers(); err != nil {
			return err
		}
	}
	if err := l.checkExistingCluster(); err != nil {
		return err
	}
	if l.binaries != "" {
		l.stopLeftoverServer()
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

// stopLeftoverServer stops a server that a killed process left running on
// this data folder, so that the start below does not fail.
func (l *embeddedLayout) stopLeftoverServer() {
	if _, err := os.Stat(filepath.Join(l.data, "postmaster.pid")); err != nil {
		return
	}
	cmd := exec.Command(filepath.Join(l.binaries, "bin", "pg_ctl"), "stop", "-m", "fast", "-w", "-D", l.data)
	if out, err := cmd.CombinedOutput(); err == nil {
		slog.Warn("stopped an embedded PostgreSQL left running by an earlier process", "data", l.data)
	} else {
		slog.Debug("no leftover PostgreSQL to stop", "output", string(out))
	}
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

// machineBinaries finds the newest PostgreSQL installed the Debian way
// (/usr/lib/postgresql/NN/bin), so that nothing needs downloading.
func machineBinaries() (binDir, major string) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	if len(dirs) == 0 {
		return "", ""
	}
	bin := filepath.Dir(dirs[0])
	return bin, strconv.Itoa(versionOf(dirs[0]))
}

func versionOf(pgCtlPath string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(pgCtlPath))))
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
