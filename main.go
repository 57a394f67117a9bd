// Command takaffoul is the training-management server of the national
// training programmes: CLI and wiring only, the work is in app/ and repository/.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Africa/Casablanca on machines without a zoneinfo database

	"golang.org/x/term"

	"takaffoul/app"
	"takaffoul/domain"
	"takaffoul/repository"
)

const usage = `takaffoul — training management for the national training programmes

Usage:
  takaffoul [serve]                       run the web server (default)
  takaffoul migrate [up|status]           apply or list database migrations
  takaffoul user add -email E -name N -role R
                                          add a user; the password is read from stdin or a prompt
  takaffoul token create -email E         print a new API token for the user (shown once)
  takaffoul token list -email E           list the user's tokens (prefix, dates; never the token)
  takaffoul token revoke -email E [-prefix P]
                                          revoke all the user's tokens, or the one with prefix P
  takaffoul seed demo                     load the demo programmes and accounts (demo only, never with real data)
  takaffoul seed scale -trainees N -courses C -sessions S
                                          generate a synthetic national dataset (benchmarks)
  takaffoul backup [-recipient age1…] FILE|-
                                          write a pg_dump custom-format backup, encrypted when a recipient is given
  takaffoul restore [-identity FILE] [-force] FILE|-
                                          restore a backup into an empty or new database, then migrate it
  takaffoul retention [-apply]            list what the retention policy would do today; -apply does it

Environment:
  DATABASE_URL   PostgreSQL URL; when empty an embedded server is started, its data under DATA_DIR
  DATABASE_READ_URL a hot standby of DATABASE_URL that serves the totals (dashboard, API, exports); optional
  DATA_DIR       where the embedded database keeps its data (default ./data)
  ADDR           address to listen on (default :8080)
  COOKIE_SECURE  true when served over TLS: cookies are then marked Secure
  TRUSTED_PROXIES comma-separated addresses of load balancers whose X-Forwarded-For is believed
  DB_MAX_CONNS   connection pool size (default 20)
  MEMORY_LIMIT   the Go runtime's soft memory limit, e.g. 512MiB (default: 3/4 of the container's, else 512MiB;
                 GOMEMLIMIT wins when set)
  LOG_LEVEL      debug, info, warn or error (default info)
  DEBUG_PPROF_ADDR a loopback address (127.0.0.1:6060) to serve net/http/pprof on; empty (default): none
  BACKUP_RECIPIENT age recipient(s) backups are encrypted to (comma-separated; backup -recipient)
  RETENTION_CHILD_YEARS years after their last course a child parliamentarian is anonymised (default 2; 0: never)
  RETENTION_SCAN_YEARS  years after a consent its form's scan is deleted (default 5; 0: never)

Run "takaffoul COMMAND -h" for a command's flags.
`

func main() {
	log := newLogger(os.Getenv("LOG_LEVEL"))
	slog.SetDefault(log)
	if err := run(os.Args[1:], log); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "takaffoul:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// run dispatches to the command named by the first argument.
func run(args []string, log *slog.Logger) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Print(usage)
		return flag.ErrHelp
	}
	command := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		command, args = args[0], args[1:]
	}
	switch command {
	case "serve":
		return serve(args, log)
	case "migrate":
		return migrate(args)
	case "user":
		return userCommand(args)
	case "token":
		return tokenCommand(args)
	case "seed":
		return seedCommand(args)
	case "backup":
		return backupCommand(args)
	case "restore":
		return restoreCommand(args)
	case "retention":
		return retentionCommand(args)
	case "help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (see takaffoul -h)", command)
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// newFlags makes a command's flag set with the shared -h text.
func newFlags(name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: takaffoul %s\n", summary)
		fs.PrintDefaults()
	}
	return fs
}

// database is the store every command uses: DATABASE_URL's server, else the
// embedded one — joined when another process (the running app) has it up,
// else started for the command; close stops it only if nobody else uses it.
type database struct {
	store    *repository.Store
	embedded *repository.Embedded
	dsn      string
}

func openDatabase(ctx context.Context, migrateUp bool) (*database, error) {
	d, err := startDatabase()
	if err != nil {
		return nil, err
	}
	maxConns, _ := strconv.Atoi(os.Getenv("DB_MAX_CONNS"))
	store, err := repository.Open(ctx, d.dsn, repository.PoolConfig{MaxOpen: maxConns})
	if err != nil {
		d.close()
		return nil, err
	}
	d.store = store
	if migrateUp {
		if err := store.Migrate(ctx); err != nil {
			d.close()
			return nil, err
		}
	}
	return d, nil
}

// startDatabase finds the database without opening a store on it (backup
// and restore hand it to PostgreSQL's own programs).
func startDatabase() (*database, error) {
	d := &database{dsn: os.Getenv("DATABASE_URL")}
	if d.dsn == "" {
		dir := envOr("DATA_DIR", "data")
		slog.Info("DATABASE_URL is not set: using the embedded PostgreSQL", "data_dir", dir)
		embedded, err := repository.StartEmbedded(dir, io.Discard)
		if err != nil {
			return nil, err
		}
		d.embedded = embedded
		d.dsn = embedded.URL
	}
	return d, nil
}

func (d *database) close() {
	if d.store != nil {
		_ = d.store.Close()
	}
	if d.embedded != nil {
		if err := d.embedded.Stop(); err != nil {
			slog.Error("embedded PostgreSQL did not stop cleanly", "error", err)
		}
	}
}

// splitList reads a comma-separated setting.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// iatiPublisher is the IATI export's publisher: IATI_REPORTING_ORG (the
// ministry's organisation identifier registered with IATI) and
// IATI_ACTIVITY_PREFIX (default: the reporting organisation's identifier);
// unset, the placeholder app.DefaultIATIReportingOrg (docs/INDICATORS.md).
func iatiPublisher() app.IATI {
	return app.IATI{ReportingOrg: strings.TrimSpace(os.Getenv("IATI_REPORTING_ORG")),
		ActivityPrefix: strings.TrimSpace(os.Getenv("IATI_ACTIVITY_PREFIX"))}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// defaultMemoryLimit is the Go runtime's soft memory limit when nothing
// else says: room for the two largest imports the server runs at once
// (about 420 MB of RSS measured, docs/BENCHMARKS.md#hostile-imports).
const defaultMemoryLimit = 512 << 20

// setMemoryLimit gives the Go runtime a soft memory limit, so that the
// garbage collector works harder rather than let the heap outgrow the
// machine (docs/SECURITY.md#import-limits). GOMEMLIMIT is the runtime's own
// setting and wins; otherwise MEMORY_LIMIT, else three quarters of the
// container's memory (the rest for the stacks, the binary and an embedded
// PostgreSQL), else defaultMemoryLimit.
func setMemoryLimit(log *slog.Logger) error {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	limit, from, err := memoryLimit(os.Getenv("MEMORY_LIMIT"), cgroupMemoryLimit())
	if err != nil {
		return err
	}
	debug.SetMemoryLimit(limit)
	log.Info("memory limit", "mib", limit>>20, "from", from)
	return nil
}

// memoryLimit chooses the limit from MEMORY_LIMIT's value and the
// container's limit (0: none), and says where it came from.
func memoryLimit(setting string, container int64) (limit int64, from string, err error) {
	switch {
	case setting == "off":
		return math.MaxInt64, "MEMORY_LIMIT", nil
	case setting != "":
		limit, err := parseByteSize(setting)
		if err != nil {
			return 0, "", fmt.Errorf("MEMORY_LIMIT: %w", err)
		}
		return limit, "MEMORY_LIMIT", nil
	case container > 0:
		return container / 4 * 3, "container", nil
	}
	return defaultMemoryLimit, "default", nil
}

// parseByteSize reads a size as GOMEMLIMIT writes it: a whole number of
// bytes with an optional B, KiB, MiB, GiB or TiB.
func parseByteSize(s string) (int64, error) {
	number, unit := s, int64(1)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			number, unit = rest, u.size
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(number), 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%q is not a size such as 512MiB or 2GiB", s)
	}
	return n * unit, nil
}

// cgroupMemoryLimit is the memory limit of the container the server runs
// in (cgroup v2, then v1), 0 when there is none.
func cgroupMemoryLimit() int64 {
	for _, file := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<62 { // "max", or v1's way of saying none
			return 0
		}
		return n
	}
	return 0
}

// serve runs the web server until SIGINT or SIGTERM, then lets in-flight
// requests finish before stopping the database.
func serve(args []string, log *slog.Logger) error {
	fs := newFlags("serve", "serve [-addr :8080]")
	addr := fs.String("addr", envOr("ADDR", ":8080"), "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := setMemoryLimit(log); err != nil {
		return err
	}
	if addr := os.Getenv("DEBUG_PPROF_ADDR"); addr != "" {
		if err := servePprof(addr, log); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer db.close()
	if dsn := os.Getenv("DATABASE_READ_URL"); dsn != "" {
		maxConns, _ := strconv.Atoi(os.Getenv("DB_MAX_CONNS"))
		if err := db.store.UseReadReplica(ctx, dsn, repository.PoolConfig{MaxOpen: maxConns}); err != nil {
			return fmt.Errorf("DATABASE_READ_URL: %w", err)
		}
		log.Info("the totals are read from a replica", "url", repository.RedactURL(dsn))
	}

	policy, err := retentionPolicy()
	if err != nil {
		return err
	}
	autoRetention, err := retentionAutoApply()
	if err != nil {
		return err
	}
	setupToken, err := firstRunToken(ctx, db.store)
	if err != nil {
		return err
	}
	iati := iatiPublisher()
	if err := iati.Validate(); err != nil {
		return err
	}
	web, err := app.New(app.Config{
		CookieSecure:   os.Getenv("COOKIE_SECURE") == "true",
		TrustedProxies: splitList(os.Getenv("TRUSTED_PROXIES")),
		SetupToken:     setupToken,
		IATI:           iati,
	}, db.store, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	go foldTotalsInBackground(ctx, db.store, log)
	go sweepImportJobsInBackground(ctx, db.store, log)
	go applyRetentionDaily(ctx, db.store, policy, autoRetention, log)
	listenErr := make(chan error, 1)
	go func() { listenErr <- web.Listener(ln) }()
	base := serverURL(ln.Addr())
	log.Info("serving at "+base, "addr", ln.Addr().String())
	if setupToken != "" {
		link := base + "/setup?token=" + setupToken
		log.Warn("no account yet: create the first administrator at "+link+
			" (this link works once, until an account exists; each start prints a new one)."+
			" For a demonstration instead: takaffoul seed demo", "setup_url", link)
	}

	select {
	case err := <-listenErr:
		return fmt.Errorf("listen on %s: %w", *addr, err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	if err := web.ShutdownWithTimeout(30 * time.Second); err != nil {
		log.Error("shutdown", "error", err)
	}
	return nil
}

// firstRunToken is the one-time secret of the setup page when the database
// holds no account (app/setup.go), "" otherwise. It is kept only in this
// process's memory.
func firstRunToken(ctx context.Context, store *repository.Store) (string, error) {
	exists, err := store.HasUsers(ctx)
	if err != nil || exists {
		return "", err
	}
	return rand.Text(), nil
}

// serverURL is the address to open in a browser for what the listener
// serves (plain HTTP: TLS, if any, is a proxy's): the loopback name when it
// listens on every interface.
func serverURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// foldInterval is how often the server folds the totals journal into the
// cube. Reads do not wait for it (they add what the journal still holds to
// the cube): folding often keeps the journal, and so each read's share of
// the work, short. An idle tick is one short statement.
const foldInterval = 50 * time.Millisecond

// foldTotalsInBackground folds the totals journal until ctx ends: the only
// writer of the totals cube. A failure (the database away) is logged once,
// not at every tick.
func foldTotalsInBackground(ctx context.Context, store *repository.Store, log *slog.Logger) {
	tick := time.NewTicker(foldInterval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		n, err := store.FoldTotals(ctx)
		if n > 0 {
			log.Debug("folded the totals journal", "rows", n, "ms", time.Since(start).Milliseconds())
		}
		if err != nil && !failing && ctx.Err() == nil {
			log.Warn("folding the totals journal", "error", err)
		}
		failing = err != nil
	}
}

// importSweepInterval is how often the server sweeps the import jobs.
const importSweepInterval = time.Minute

// sweepImportJobsInBackground marks failed, at start and then every
// importSweepInterval, the import jobs whose server died while they ran
// (a restart finds its own jobs of before gone), and clears old files
// (repository.SweepImportJobs).
func sweepImportJobsInBackground(ctx context.Context, store *repository.Store, log *slog.Logger) {
	tick := time.NewTicker(importSweepInterval)
	defer tick.Stop()
	for {
		n, err := store.SweepImportJobs(ctx)
		if n > 0 {
			log.Warn("import jobs whose server stopped while they ran are marked failed", "jobs", n)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("sweeping the import jobs", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// migrate applies the migrations (up) or lists them (status).
func migrate(args []string) error {
	fs := newFlags("migrate", "migrate [up|status]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	action := fs.Arg(0)
	if action == "" {
		action = "up"
	}
	if action != "up" && action != "status" {
		return fmt.Errorf("unknown migrate action %q: use up or status", action)
	}
	ctx := context.Background()
	db, err := openDatabase(ctx, false)
	if err != nil {
		return err
	}
	defer db.close()
	if action == "status" {
		return db.store.MigrationStatus(ctx, os.Stdout)
	}
	if err := db.store.Migrate(ctx); err != nil {
		return err
	}
	fmt.Println("database is up to date")
	return nil
}

// userCommand manages users: only "add" for now.
func userCommand(args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: takaffoul user add -email E -name N -role admin|coordinator|trainer|ministry")
	}
	fs := newFlags("user add", "user add -email E -name N -role R  (password from stdin or a prompt)")
	email := fs.String("email", "", "e-mail address used to sign in")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "admin, coordinator, trainer or ministry")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	password, err := readPassword()
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer db.close()
	u := &domain.User{Email: *email, Name: *name, Role: domain.Role(*role)}
	if err := db.store.CreateUser(ctx, u, password, nil); err != nil {
		return describeUserError(err)
	}
	fmt.Printf("user %d added: %s (%s)\n", u.ID, u.Email, u.Role)
	return nil
}

// describeUserError turns store errors into one line for the terminal.
func describeUserError(err error) error {
	if errors.Is(err, domain.ErrConflict) {
		return errors.New("a user with this e-mail address exists already")
	}
	if v, ok := domain.AsValidation(err); ok {
		var parts []string
		for field, p := range v.Fields {
			parts = append(parts, field+": "+problemInEnglish(p))
		}
		return fmt.Errorf("invalid user: %s", strings.Join(parts, ", "))
	}
	return err
}

// readPassword reads the password without echo from a terminal, or as the
// first line of stdin: never from argv, where other users could see it.
func readPassword() (string, error) {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(os.Stderr, "Password: ")
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// seedCommand loads data: "demo" the demo programmes and accounts, "scale"
// a synthetic national dataset.
func seedCommand(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			return seedDemoCommand(args[1:])
		case "scale":
			return seedScaleCommand(args[1:])
		}
	}
	return errors.New("usage: takaffoul seed demo | takaffoul seed scale -trainees N -courses C -sessions S")
}

// seedScaleCommand generates a synthetic national dataset for benchmarks.
func seedScaleCommand(args []string) error {
	fs := newFlags("seed scale", "seed scale -trainees N -courses C -sessions S")
	trainees := fs.Int("trainees", 1_000_000, "number of people")
	courses := fs.Int("courses", 20_000, "number of courses")
	sessions := fs.Int("sessions", 10, "sessions per course")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := openDatabase(ctx, true)
	if err != nil {
		return err
	}
	defer db.close()
	start := time.Now()
	opt := repository.ScaleOptions{Trainees: *trainees, Courses: *courses, SessionsPerCourse: *sessions, Progress: os.Stdout}
	if err := db.store.SeedScale(ctx, opt); err != nil {
		return err
	}
	fmt.Printf("synthetic dataset ready in %.1fs\n", time.Since(start).Seconds())
	return nil
}
