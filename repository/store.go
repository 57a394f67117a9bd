// Package repository is Takaffoul's only door to PostgreSQL: SQL next to the
// Go that runs it, one transaction per user action, SQL errors translated
// into the domain's errors.
package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// Store runs every query of the application.
type Store struct {
	db       *sqlx.DB
	reads    *Store   // on a hot standby, for the totals; nil: see UseReadReplica
	prepared sync.Map // query → *preparedQuery, see statement
}

// PoolConfig sizes the connection pool; zero values take the defaults.
type PoolConfig struct {
	MaxOpen int
	MaxIdle int
}

// Open connects to the database at dsn, creating the database first when the
// server answers that it does not exist, and checks that it answers.
func Open(ctx context.Context, dsn string, pool PoolConfig) (*Store, error) {
	db, err := connect(ctx, dsn)
	if err != nil && isMissingDatabase(err) {
		if err := createDatabase(ctx, dsn); err != nil {
			return nil, err
		}
		db, err = connect(ctx, dsn)
	}
	if err != nil {
		return nil, err
	}
	if pool.MaxOpen == 0 {
		pool.MaxOpen = 20
	}
	if pool.MaxIdle == 0 {
		pool.MaxIdle = pool.MaxOpen
	}
	db.SetMaxOpenConns(pool.MaxOpen)
	db.SetMaxIdleConns(pool.MaxIdle)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{db: db}, nil
}

// connect opens a pool and pings it within a few seconds, so that an
// unreachable server gives one clear error instead of a hang. Its
// connections come from our connector, so that a silent link cannot hang
// them either (dial.go).
func connect(ctx context.Context, dsn string) (*sqlx.DB, error) {
	conns, err := newConnector(withOneRoundTrip(dsn))
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(conns), "postgres")
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot reach the database at %s: %w", RedactURL(dsn), err)
	}
	return db, nil
}

// withOneRoundTrip asks lib/pq (binary_parameters) to send a parameterised
// statement's parse, bind and execute together: one round trip instead of
// two for every query with arguments. Its one side effect, []byte arguments
// travelling in binary, suits ours (bytea only; JSON goes as text). A DSN
// that sets the option itself is left as it is.
func withOneRoundTrip(dsn string) string {
	if strings.Contains(dsn, "binary_parameters") {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " binary_parameters=yes"
}

func isMissingDatabase(err error) bool {
	return pq.As(err, pqerror.InvalidCatalogName) != nil
}

// createDatabase creates the database named in dsn, connecting to the
// server's "postgres" database to do so.
func createDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("cannot create the database: DATABASE_URL must be a postgres:// URL")
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := connect(ctx, u.String())
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil &&
		pq.As(err, pqerror.DuplicateDatabase) == nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// RedactURL hides the password of a database URL, for logs and messages.
func RedactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "(the configured database)"
	}
	return u.Redacted()
}

// Close releases the pool (and the read replica's).
func (s *Store) Close() error {
	if s.reads != nil {
		_ = s.reads.Close()
	}
	return s.db.Close()
}

// Ping reports whether the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error { return mapError(s.db.PingContext(ctx)) }

// DB exposes the pool to tests and benchmarks that inspect rows directly.
func (s *Store) DB() *sqlx.DB { return s.db }

// inTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise, so that a user action is saved whole or not at all.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return mapError(fmt.Errorf("begin: %w", err))
	}
	if err := beginCorrection(ctx, tx); err != nil { // a closed course's correction (lifecycle.go)
		_ = tx.Rollback()
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapError(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// getOne runs a single-row query; no row is domain.ErrNotFound.
func getOne(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	err := sqlx.GetContext(ctx, q, dest, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(query)
	}
	return mapError(err)
}

// preparedQuery is a query prepared once for the pool, see statement.
type preparedQuery struct {
	stmt  *sqlx.Stmt
	query string
}

// statement is query prepared once for the pool. The hottest paths use it
// (an enrolment, the API token lookup): PostgreSQL then parses and plans
// them once per connection instead of at every request, which gave a third
// more enrolments a second. Preparing the first time takes a connection of
// its own: get the statement before beginning a transaction, never inside
// one (with every connection in a transaction, it would wait forever). Two
// first uses at once may both prepare it: the one not kept is closed.
func (s *Store) statement(ctx context.Context, query string) (*preparedQuery, error) {
	if p, ok := s.prepared.Load(query); ok {
		return p.(*preparedQuery), nil
	}
	stmt, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, mapError(fmt.Errorf("prepare: %w", err))
	}
	p, loaded := s.prepared.LoadOrStore(query, &preparedQuery{stmt: stmt, query: query})
	if loaded {
		_ = stmt.Close()
	}
	return p.(*preparedQuery), nil
}

// get is getOne for the prepared query, run in tx (nil: on the pool).
// Within a transaction it is prepared on the transaction's own connection
// the first time that connection runs it.
func (p *preparedQuery) get(ctx context.Context, tx *sqlx.Tx, dest any, args ...any) error {
	stmt := p.stmt
	if tx != nil {
		stmt = tx.StmtxContext(ctx, stmt)
	}
	err := stmt.GetContext(ctx, dest, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(p.query)
	}
	return mapError(err)
}

// NewStore wraps an open pool (the benchmark records the statements the
// store runs through a driver of its own).
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }
