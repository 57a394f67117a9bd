// Package dbtest gives each test package a real, freshly migrated PostgreSQL
// database: TEST_DATABASE_URL's server when set, else an embedded server
// started for the package. There is no mock and no skip: a test that cannot
// reach a database fails.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// then dbtest.Store(t) in each test for a store on a fresh copy of the
// migrated schema, dropped when the test ends (DemoStore: a copy that holds
// the demo programmes already).
//
// A suite spends most of its time waiting on the server, not computing, so
// Main lets defaultParallel tests that called t.Parallel run at once (unless
// -test.parallel is given), drops the tests' databases in the background
// (each DROP DATABASE waits for a checkpoint) and makes bcrypt cheap
// (domain.SetPasswordCostForTests). docs/TESTING.md has the figures.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"

	"takaffoul/domain"
	"takaffoul/repository"
)

// defaultParallel is how many parallel tests of a package run at once when
// -test.parallel is not given (go test's default is GOMAXPROCS, 2 here).
// Each holds a few connections (testPool): with go test's two packages at
// once that stays far under the server's max_connections (100), which
// other engineers' suites share.
const defaultParallel = 4

// testPool is the pool of a test's store: enough for the concurrency tests
// (50 goroutines on 10 connections), all kept while the test runs. Fewer
// idle ones would not lower the peak, and made the login burst open and
// close connections until its session saves timed out (403 on the CSRF).
// Most tests hold one or two.
var testPool = repository.PoolConfig{MaxOpen: 10}

// fastCommits is a setting the tests' stores ask for (lib/pq sends the
// URL's unknown keys as settings): a commit does not wait for its WAL to
// reach the disk. Nothing a test checks depends on it (the server never
// crashes under a test; it still writes everything), and most statements
// of a test are commits. The URLs NewDatabase hands out do not carry it
// (libpq's programs, pg_dump, would refuse the key).
const fastCommits = "synchronous_commit"

var (
	serverURL string // the server's URL, on the "postgres" database
	template  string // a migrated database that each test copies
)

// Main starts (or connects to) the server, migrates a template database,
// runs the package's tests and drops what they made; then it calls after
// (the package's own cleanup: a binary built once for its tests).
func Main(m *testing.M, after ...func()) {
	code, err := run(m)
	for _, f := range after {
		f()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	domain.SetPasswordCostForTests(bcrypt.MinCost)
	defaultParallelism()
	serverURL = os.Getenv("TEST_DATABASE_URL")
	if serverURL == "" {
		dir, err := os.MkdirTemp("", "takaffoul-test-")
		if err != nil {
			return 1, err
		}
		defer os.RemoveAll(dir)
		// The database may run as another user (as root, "postgres"): let it in.
		if err := os.Chmod(dir, 0o755); err != nil {
			return 1, err
		}
		embedded, err := repository.StartEmbedded(dir, io.Discard)
		if err != nil {
			return 1, err
		}
		defer embedded.Stop()
		serverURL = embedded.URL
	}
	template = "takaffoul_tpl_" + randomSuffix()
	if err := createTemplate(); err != nil {
		return 1, err
	}
	defer dropDatabase(template)
	defer dropDemoTemplate()
	defer drops.Wait() // the tests' databases go before the templates they copy
	return m.Run(), nil
}

// defaultParallelism sets -test.parallel to defaultParallel unless the
// command line gave it.
func defaultParallelism() {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", fmt.Sprint(defaultParallel))
	}
}

// createTemplate creates and migrates the template database, then closes
// every connection to it (PostgreSQL copies only an idle template).
func createTemplate() error {
	ctx := context.Background()
	store, err := repository.Open(ctx, withDatabase(serverURL, template), repository.PoolConfig{MaxOpen: 2})
	if err != nil {
		return err
	}
	defer store.Close()
	return store.Migrate(ctx)
}

// Store returns a store on a fresh copy of the migrated schema, dropped
// when the test ends.
func Store(t testing.TB) *repository.Store {
	t.Helper()
	return open(t, NewDatabase(t))
}

// open opens a store on url for the test, closed when it ends.
func open(t testing.TB, url string) *repository.Store {
	t.Helper()
	store, err := repository.Open(context.Background(), fastURL(url), testPool)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// NewDatabase creates a fresh copy of the migrated schema and returns its
// URL (for tests that start the whole server); it is dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return copyOf(t, template)
}

// copyOf creates a copy of the template database tpl for the test and
// returns its URL; it is dropped, in the background, when the test ends.
func copyOf(t testing.TB, tpl string) string {
	t.Helper()
	name := "takaffoul_t_" + randomSuffix()
	if err := createDatabase(name, tpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { dropLater(name) })
	return withDatabase(serverURL, name)
}

// createDatabase creates database name as a copy of tpl.
func createDatabase(name, tpl string) error {
	admin, err := sqlx.Open("postgres", serverURL)
	if err != nil {
		return fmt.Errorf("test database server: %w", err)
	}
	defer admin.Close()
	_, err = admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(tpl))
	return err
}

// drops are the DROP DATABASEs under way, at most maxDrops at once: each
// waits for a checkpoint, and those that wait together share one.
var (
	drops    sync.WaitGroup
	dropping = make(chan struct{}, maxDrops)
)

const maxDrops = 4

// dropLater drops database name in the background (Main waits for it).
func dropLater(name string) {
	drops.Add(1)
	go func() {
		defer drops.Done()
		dropping <- struct{}{}
		defer func() { <-dropping }()
		dropDatabase(name)
	}()
}

// fastURL adds fastCommits to a database URL.
func fastURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("dbtest: bad database URL: %v", err))
	}
	q := u.Query()
	q.Set(fastCommits, "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// EmptyDatabase creates an empty database (no schema at all) and returns
// its URL, for tests of the migrations themselves.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	name := "takaffoul_e_" + randomSuffix()
	admin, err := sqlx.Open("postgres", serverURL)
	if err != nil {
		t.Fatalf("test database server: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE template0"); err != nil {
		t.Fatalf("create empty database: %v", err)
	}
	t.Cleanup(func() { dropLater(name) })
	return withDatabase(serverURL, name)
}

// DemoStore returns a store on a fresh copy of a database that holds the
// demo programmes, as `takaffoul seed demo` leaves them (SeedDemoProgrammes,
// no accounts), dropped when the test ends. The demo is seeded once per
// package run, at its first use: for tests that read the demo, or change
// it on a copy of their own. DemoSeededAt says when.
func DemoStore(t testing.TB) *repository.Store {
	t.Helper()
	return open(t, DemoDatabase(t))
}

// DemoDatabase is DemoStore's database, by its URL (for tests that open
// their own stores or run programs on it); dropped when the test ends.
func DemoDatabase(t testing.TB) string {
	t.Helper()
	tpl, err := demoTemplate()
	if err != nil {
		t.Fatalf("demo template: %v", err)
	}
	return copyOf(t, tpl)
}

// DemoSeededAt is the time the demo template was seeded at (its week of
// work), zero before the first DemoStore.
func DemoSeededAt() time.Time {
	demo.mu.Lock()
	defer demo.mu.Unlock()
	return demo.at
}

// demo is the template seeded with the demo programmes, made at the first
// DemoStore (a failure is kept, not retried: every test after it fails).
var demo struct {
	mu   sync.Mutex
	name string
	at   time.Time
	err  error
}

func demoTemplate() (string, error) {
	demo.mu.Lock()
	defer demo.mu.Unlock()
	if demo.name != "" || demo.err != nil {
		return demo.name, demo.err
	}
	name := "takaffoul_tpl_demo_" + randomSuffix()
	demo.err = seedDemoTemplate(name)
	if demo.err == nil {
		demo.name = name
	}
	return demo.name, demo.err
}

// seedDemoTemplate copies the migrated template to name and seeds the demo
// programmes in it, then closes every connection to it (PostgreSQL copies
// only an idle template).
func seedDemoTemplate(name string) error {
	if err := createDatabase(name, template); err != nil {
		return err
	}
	ctx := context.Background()
	store, err := repository.Open(ctx, fastURL(withDatabase(serverURL, name)), repository.PoolConfig{MaxOpen: 4})
	if err != nil {
		dropDatabase(name)
		return err
	}
	defer store.Close()
	demo.at = time.Now()
	if _, err := store.SeedDemoProgrammesAt(ctx, demo.at); err != nil {
		dropDatabase(name)
		return err
	}
	return nil
}

func dropDemoTemplate() {
	if demo.name != "" {
		dropDatabase(demo.name)
	}
}

// ServerURL is the URL of the test server's "postgres" database.
func ServerURL() string { return serverURL }

func dropDatabase(name string) {
	admin, err := sqlx.Open("postgres", serverURL)
	if err != nil {
		return
	}
	defer admin.Close()
	_, _ = admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
}

// withDatabase returns dsn with its database name replaced.
func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("dbtest: bad database URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
