package repository

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Backups are PostgreSQL's own: pg_dump's custom format (-Fc) written by
// the machine's pg_dump, read back by its pg_restore. The connection is
// handed over in the environment (the password in PGPASSWORD), never on a
// command line that other users could read with ps.

// BackupOptions say which programs make a backup.
type BackupOptions struct {
	// BinDir is the folder of pg_dump and pg_restore; empty: the machine's
	// newest (/usr/lib/postgresql/NN/bin), else the PATH's.
	BinDir string
}

// Backup writes a custom-format dump of the database at dsn to w. pg_dump
// reads one consistent snapshot, so the application may keep working.
func Backup(ctx context.Context, dsn string, w io.Writer, opt BackupOptions) error {
	pgDump, err := clientProgram(opt.BinDir, "pg_dump")
	if err != nil {
		return err
	}
	if err := checkToolVersion(ctx, dsn, pgDump); err != nil {
		return err
	}
	conninfo, env := libpqConnection(dsn)
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--dbname="+conninfo)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = w
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_dump failed: %v: %s", err, stderr)
	}
	return nil
}

// RestoreOptions say how a backup is restored.
type RestoreOptions struct {
	BinDir string // as in BackupOptions
	// Force replaces a database that holds data; without it Restore refuses.
	Force bool
}

// ErrDatabaseHoldsData is Restore refusing to overwrite data without Force.
var ErrDatabaseHoldsData = errors.New("the database holds data")

// ErrDatabaseInUse is Restore refusing a database other sessions use.
var ErrDatabaseInUse = errors.New("the database is in use")

// RestoreReport says what a restore left in the database.
type RestoreReport struct {
	Replaced bool             // the database held data (restore -force)
	Rows     map[string]int64 // every table's row count after the restore and the migrations
}

// Restore loads a custom-format backup read from r into the database at
// dsn, created when missing, then migrates it up (a backup of an older
// version). The database must hold no data, or opt.Force be set; nobody
// else may be connected to it. Everything happens in one transaction: a
// backup that fails half way (a truncated file, a wrong key) leaves the
// database as it was.
func Restore(ctx context.Context, dsn string, r io.Reader, opt RestoreOptions) (*RestoreReport, error) {
	pgRestore, err := clientProgram(opt.BinDir, "pg_restore")
	if err != nil {
		return nil, err
	}
	psql, err := clientProgram(opt.BinDir, "psql")
	if err != nil {
		return nil, err
	}
	// Two connections: goose holds its lock on one while migrating on the other.
	store, err := Open(ctx, dsn, PoolConfig{MaxOpen: 2})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	target, err := store.describeTarget(ctx)
	if err != nil {
		return nil, err
	}
	if target.otherSessions > 0 {
		return nil, fmt.Errorf("%w: %d other connection(s) to it (is the application running? stop it first)", ErrDatabaseInUse, target.otherSessions)
	}
	if target.rowsOfData > 0 && !opt.Force {
		return nil, fmt.Errorf("%w: %d rows in %s; restore into an empty or new database, or pass -force to replace everything in it",
			ErrDatabaseHoldsData, target.rowsOfData, listSome(target.tablesWithData, 4))
	}
	if err := restoreInOneTransaction(ctx, dsn, r, pgRestore, psql, target.tables > 0); err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("the backup is restored but could not be migrated: %w", err)
	}
	rows, err := store.TableRows(ctx)
	if err != nil {
		return nil, err
	}
	return &RestoreReport{Replaced: target.rowsOfData > 0, Rows: rows}, nil
}

// restoreInOneTransaction turns the archive into SQL with pg_restore and
// runs it with psql inside BEGIN … COMMIT, the COMMIT written only once
// pg_restore has read the whole archive without error. dropSchema first
// empties the schema (its tables, when only the migrations' rows or data
// being replaced are in them), in the same transaction. (Large objects
// would come in a transaction of their own: the schema has none, files
// are bytea.)
func restoreInOneTransaction(ctx context.Context, dsn string, r io.Reader, pgRestore, psql string, dropSchema bool) error {
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	conninfo, env := libpqConnection(dsn)
	toSQL := exec.CommandContext(readCtx, pgRestore, "--no-owner", "--no-acl", "--file=-")
	toSQL.Stdin = r
	restoreErr := &tailBuffer{}
	toSQL.Stderr = restoreErr
	script, err := toSQL.StdoutPipe()
	if err != nil {
		return err
	}
	run := exec.CommandContext(ctx, psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--set=VERBOSITY=terse", "--dbname="+conninfo)
	// Notices ("drop cascades to …") are not news; errors still show.
	run.Env = append(os.Environ(), append(env, "PGOPTIONS=-c client_min_messages=warning")...)
	run.Stdout = io.Discard
	psqlErr := &tailBuffer{}
	run.Stderr = psqlErr
	input, err := run.StdinPipe()
	if err != nil {
		return err
	}
	if err := run.Start(); err != nil {
		return fmt.Errorf("psql: %w", err)
	}
	if err := toSQL.Start(); err != nil {
		_ = input.Close()
		_ = run.Wait()
		return fmt.Errorf("pg_restore: %w", err)
	}
	preamble := "BEGIN;\n"
	if dropSchema {
		preamble += "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\nGRANT USAGE ON SCHEMA public TO PUBLIC;\n"
	}
	_, writeErr := io.WriteString(input, preamble)
	if writeErr == nil {
		_, writeErr = io.Copy(input, script)
	}
	if writeErr != nil {
		stopReading() // psql stopped on an error: pg_restore need not go on
	}
	readErr := toSQL.Wait() // also an error reading r (a wrong key, a truncated file)
	if writeErr == nil && readErr == nil {
		_, writeErr = io.WriteString(input, "COMMIT;\n")
	}
	// Without COMMIT, psql ends with the transaction open and the server
	// rolls it back (a ROLLBACK written now could land inside a COPY).
	_ = input.Close()
	runErr := run.Wait()
	switch {
	case writeErr != nil || (runErr != nil && readErr == nil):
		return fmt.Errorf("restore failed, nothing changed: %s", firstNonEmpty(psqlErr.String(), fmt.Sprint(runErr, writeErr)))
	case readErr != nil:
		return fmt.Errorf("the backup could not be read, nothing changed: %s", firstNonEmpty(restoreErr.String(), readErr.Error()))
	}
	return nil
}

// restoreTarget is what the database to restore into holds.
type restoreTarget struct {
	tables         int      // tables in the user schemas
	rowsOfData     int64    // rows besides those the migrations write
	tablesWithData []string // the tables holding them, for the message
	otherSessions  int      // connections other than ours
}

// tablesFilledByMigrations are the tables a freshly migrated database
// already fills: their rows are not data a restore would lose. A test
// checks that a freshly migrated database holds no data.
var tablesFilledByMigrations = map[string]bool{"goose_db_version": true, "regions": true}

// otherSessionsGrace is how long a restore waits for connections that are
// going away before it calls the database in use.
const otherSessionsGrace = 3 * time.Second

func (s *Store) describeTarget(ctx context.Context) (*restoreTarget, error) {
	const sessions = `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`
	var t restoreTarget
	// A client that has just closed its connections (an application just
	// stopped) still shows for a moment, until its backends have exited:
	// give them a few seconds before calling the database in use.
	for wait := time.Now().Add(otherSessionsGrace); ; time.Sleep(100 * time.Millisecond) {
		if err := s.db.GetContext(ctx, &t.otherSessions, sessions); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		if t.otherSessions == 0 || time.Now().After(wait) {
			break
		}
	}
	rows, err := s.TableRows(ctx)
	if err != nil {
		return nil, err
	}
	t.tables = len(rows)
	for table, n := range rows {
		if n > 0 && !tablesFilledByMigrations[strings.TrimPrefix(table, "public.")] {
			t.rowsOfData += n
			t.tablesWithData = append(t.tablesWithData, table)
		}
	}
	sort.Strings(t.tablesWithData)
	return &t, nil
}

// TableRows counts the rows of every table in the user schemas, keyed
// "schema.table": what a restore is checked against.
func (s *Store) TableRows(ctx context.Context) (map[string]int64, error) {
	const q = `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'`
	var tables []struct {
		Schema string `db:"nspname"`
		Name   string `db:"relname"`
	}
	if err := s.db.SelectContext(ctx, &tables, q); err != nil {
		return nil, fmt.Errorf("TableRows: %w", err)
	}
	counts := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		qualified := pq.QuoteIdentifier(t.Schema) + "." + pq.QuoteIdentifier(t.Name)
		if err := s.db.GetContext(ctx, &n, "SELECT count(*) FROM "+qualified); err != nil {
			return nil, fmt.Errorf("TableRows %s: %w", qualified, err)
		}
		counts[t.Schema+"."+t.Name] = n
	}
	return counts, nil
}

// clientProgram finds pg_dump, pg_restore or psql: in binDir when given,
// else in the machine's newest PostgreSQL (the one the embedded server
// uses), else on the PATH.
func clientProgram(binDir, name string) (string, error) {
	if binDir == "" {
		binDir = newestMachineDir(name)
	}
	if binDir != "" {
		p := filepath.Join(binDir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found: install PostgreSQL's client programs (apt-get install postgresql-client)", name)
}

// checkToolVersion refuses a pg_dump older than the server (it would
// refuse too, in words less clear about what to install).
func checkToolVersion(ctx context.Context, dsn, program string) error {
	out, err := exec.CommandContext(ctx, program, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %w", program, err)
	}
	tool := majorVersion(string(out))
	db, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var serverNum int
	if err := db.GetContext(ctx, &serverNum, `SELECT current_setting('server_version_num')::int`); err != nil {
		return fmt.Errorf("server version: %w", err)
	}
	if server := serverNum / 10000; tool != 0 && tool < server {
		return fmt.Errorf("%s is PostgreSQL %d's but the server runs PostgreSQL %d: install the client programs of %d or newer (apt-get install postgresql-client-%d)",
			filepath.Base(program), tool, server, server, server)
	}
	return nil
}

var versionPattern = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

func majorVersion(versionLine string) int {
	m := versionPattern.FindStringSubmatch(versionLine)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// libpqConnection turns a lib/pq DSN into what libpq's programs take: the
// URL without its password (passed as PGPASSWORD) and without the options
// only lib/pq knows (libpq rejects them). A key=value DSN is passed as is.
func libpqConnection(dsn string) (conninfo string, env []string) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn, nil
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	for _, onlyLibPQ := range []string{"binary_parameters", "disable_prepared_binary_result"} {
		q.Del(onlyLibPQ)
	}
	// url.Values encodes a space as "+", which libpq reads as a plus sign
	// (options=-c statement_timeout=0 would reach the server as
	// "-c+statement_timeout=0"); a literal "+" is already "%2B".
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String(), env
}

// tailBuffer keeps the last few kilobytes a program wrote on stderr, for
// the error message.
type tailBuffer struct{ bytes.Buffer }

const tailLimit = 4 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	n, _ := t.Buffer.Write(p)
	if t.Len() > 2*tailLimit {
		keep := append([]byte(nil), t.Bytes()[t.Len()-tailLimit:]...)
		t.Reset()
		t.Buffer.Write(keep)
	}
	return n, nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(t.Buffer.String()) }

// listSome names the first n items and counts the rest.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d other tables", strings.Join(items[:n], ", "), len(items)-n)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
