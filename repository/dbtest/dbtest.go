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
// migrated schema, dropped when the test ends.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/repository"
)

var (
	serverURL string // the server's URL, on the "postgres" database
	template  string // a migrated database that each test copies
)

// Main starts (or connects to) the server, migrates a template database,
// runs the package's tests and drops what they made.
func Main(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
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
	return m.Run(), nil
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
	url := NewDatabase(t)
	store, err := repository.Open(context.Background(), url, repository.PoolConfig{MaxOpen: 10})
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
	name := "takaffoul_t_" + randomSuffix()
	admin, err := sqlx.Open("postgres", serverURL)
	if err != nil {
		t.Fatalf("test database server: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(template)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(name) })
	return withDatabase(serverURL, name)
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
	t.Cleanup(func() { dropDatabase(name) })
	return withDatabase(serverURL, name)
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
