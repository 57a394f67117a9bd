package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The totals comparison needs "the same SQL, run by psql". Rather than keep
// a copy of the statements here, the bench runs Store.Totals once through a
// driver that records every statement with its arguments, and hands them,
// with the arguments written in as literals, to psql.

// recorder wraps lib/pq's connector and notes every query. A prepared
// statement is noted as psql would run it: PREPARE once (the preamble),
// EXECUTE with the arguments as literals where it ran.
type recorder struct {
	mu         sync.Mutex
	preamble   []string
	statements []string
	prepared   map[string]string // query → its name
}

func (r *recorder) note(query string, args []driver.NamedValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statements = append(r.statements, withLiterals(query, args))
}

// noteExecute notes a run of a prepared query.
func (r *recorder) noteExecute(query string, args []driver.NamedValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.prepared == nil {
		r.prepared = map[string]string{}
	}
	name, ok := r.prepared[query]
	if !ok {
		name = fmt.Sprintf("bench_%d", len(r.prepared)+1)
		r.prepared[query] = name
		r.preamble = append(r.preamble, "PREPARE "+name+" AS "+query)
	}
	literals := make([]string, len(args))
	for i := range args {
		literals[i] = withLiterals(fmt.Sprintf("$%d", i+1), args)
	}
	execute := "EXECUTE " + name
	if len(literals) > 0 {
		execute += "(" + strings.Join(literals, ", ") + ")"
	}
	r.statements = append(r.statements, execute)
}

type recordingConnector struct {
	driver.Connector
	rec *recorder
}

func (c recordingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: conn, rec: c.rec}, nil
}

type recordingConn struct {
	driver.Conn
	rec *recorder
}

func (c *recordingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.rec.note(query, args)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c *recordingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.rec.note(query, args)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *recordingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	stmt, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &recordingStmt{Stmt: stmt, query: query, rec: c.rec}, nil
}

// recordingStmt notes each run of a prepared statement.
type recordingStmt struct {
	driver.Stmt
	query string
	rec   *recorder
}

func (s *recordingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.rec.noteExecute(s.query, args)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *recordingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.rec.noteExecute(s.query, args)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *recordingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.rec.note(beginStatement(opts), nil)
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// beginStatement is the BEGIN that psql must run to get the same snapshot.
func beginStatement(opts driver.TxOptions) string {
	s := "BEGIN"
	switch sql.IsolationLevel(opts.Isolation) {
	case sql.LevelRepeatableRead, sql.LevelSnapshot:
		s += " ISOLATION LEVEL REPEATABLE READ"
	case sql.LevelSerializable:
		s += " ISOLATION LEVEL SERIALIZABLE"
	}
	if opts.ReadOnly {
		s += " READ ONLY"
	}
	return s
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// withLiterals writes the arguments into the query as SQL literals.
func withLiterals(query string, args []driver.NamedValue) string {
	return placeholder.ReplaceAllStringFunc(query, func(p string) string {
		n, _ := strconv.Atoi(p[1:])
		if n < 1 || n > len(args) {
			return p
		}
		switch v := args[n-1].Value.(type) {
		case nil:
			return "NULL"
		case string:
			return pq.QuoteLiteral(v)
		case []byte:
			return pq.QuoteLiteral(string(v))
		case time.Time:
			return pq.QuoteLiteral(v.Format(time.RFC3339Nano))
		case bool:
			return strconv.FormatBool(v)
		default:
			return fmt.Sprint(v)
		}
	})
}

// totalsStatements records the statements of one Store.Totals call: what
// psql runs once first (the preamble), and the statements of a call.
func totalsStatements(dbURL string, f domain.TotalsFilter) (preamble, statements []string, err error) {
	connector, err := pq.NewConnector(dbURL)
	if err != nil {
		return nil, nil, err
	}
	rec := &recorder{}
	db := sqlx.NewDb(sql.OpenDB(recordingConnector{Connector: connector, rec: rec}), "postgres")
	defer db.Close()
	if _, err := repository.NewStore(db).Totals(context.Background(), f); err != nil {
		return nil, nil, err
	}
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, s := range rec.preamble {
		preamble = append(preamble, oneLine(s))
	}
	for _, s := range rec.statements {
		statements = append(statements, oneLine(s))
	}
	// The commit is not a statement the driver sees: psql needs it written.
	if slices.ContainsFunc(statements, func(s string) bool { return strings.HasPrefix(s, "BEGIN") }) {
		statements = append(statements, "COMMIT")
	}
	return preamble, statements, nil
}
