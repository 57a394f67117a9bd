package repository_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"takaffoul/domain"
	"takaffoul/migrations"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// backupFilters are the totals compared between a database and its restored
// copy: national (the cube), per programme, and narrowed by person and place.
var backupFilters = []domain.TotalsFilter{
	{},
	{Programme: repository.DemoChildProtection},
	{Programme: repository.DemoPositiveParenting},
	{Programme: repository.DemoTakaffoul},
	{Programme: repository.DemoChildProtection, Sex: domain.Female},
	{Category: domain.ChildParliamentarian},
	{Province: "demo-pilot-1"},
}

// seededDemo is a database holding the demo, with its URL.
func seededDemo(t *testing.T) (string, *repository.Store) {
	t.Helper()
	url := dbtest.DemoDatabase(t) // the programmes, seeded once for the package
	store := openStore(t, url)
	ctx := context.Background()
	_, _, err := store.SeedDemoAccounts(ctx)
	must(t, err)
	_, err = store.SeedDemoProgrammes(ctx) // as `seed demo` does after the accounts: the trainer's courses
	must(t, err)
	return url, store
}

func openStore(t *testing.T, url string) *repository.Store {
	t.Helper()
	store, err := repository.Open(context.Background(), url, repository.PoolConfig{MaxOpen: 4})
	must(t, err)
	t.Cleanup(func() { store.Close() })
	return store
}

// openStoreOnce is a store closed as soon as rowsOf has read it.
func openStoreOnce(t *testing.T, url string) *repository.Store { return openStore(t, url) }

// rowsOf counts every table's rows, then closes the store.
func rowsOf(t *testing.T, store *repository.Store) map[string]int64 {
	t.Helper()
	rows, err := store.TableRows(context.Background())
	must(t, err)
	store.Close()
	return rows
}

func backupOf(t *testing.T, url string) []byte {
	t.Helper()
	var archive bytes.Buffer
	must(t, repository.Backup(context.Background(), url, &archive, repository.BackupOptions{}))
	if !bytes.HasPrefix(archive.Bytes(), []byte("PGDMP")) {
		t.Fatalf("not a custom-format archive: %q", archive.Bytes()[:min(16, archive.Len())])
	}
	return archive.Bytes()
}

// contents is what a restore must reproduce: every table's row count (as
// the backup saw them: a totals read folds the journal, moving rows from
// totals_pending into the cube) and the totals for every filter.
type contents struct {
	rows   map[string]int64
	totals []*domain.Totals
}

// contentsOf reads rows first, then totals.
func contentsOf(t *testing.T, store *repository.Store) contents {
	t.Helper()
	ctx := context.Background()
	rows, err := store.TableRows(ctx)
	must(t, err)
	c := contents{rows: rows}
	for _, f := range backupFilters {
		tot, err := store.Totals(ctx, f)
		must(t, err)
		c.totals = append(c.totals, tot)
	}
	return c
}

// sameContents fails unless the restored database holds the same number of
// rows in every table as the source and gives the same totals.
func sameContents(t *testing.T, want contents, restored *repository.Store) {
	t.Helper()
	got := contentsOf(t, restored)
	if len(want.rows) < 20 || !reflect.DeepEqual(got.rows, want.rows) {
		t.Errorf("row counts differ:\nsource   %v\nrestored %v", want.rows, got.rows)
	}
	for i, f := range backupFilters {
		if !reflect.DeepEqual(got.totals[i], want.totals[i]) {
			t.Errorf("totals for %+v differ:\nsource   %+v\nrestored %+v", f, want.totals[i], got.totals[i])
		}
	}
	if cp := got.totals[1]; cp.LocalActors.Trained != 151 {
		t.Errorf("restored child-protection local actors trained: want 151, got %d", cp.LocalActors.Trained)
	}
}

// TestBackupAndRestore makes one backup of the demo and restores it in
// every way a restore can go.
func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	sourceURL, store := seededDemo(t)
	archive := backupOf(t, sourceURL)
	source := contentsOf(t, store)
	t.Run("into a new database", func(t *testing.T) {
		t.Parallel()
		restoresIntoANewDatabase(t, source, archive)
	})
	t.Run("into a freshly migrated database", func(t *testing.T) {
		t.Parallel()
		restoresIntoAFreshlyMigratedDatabase(t, source, archive)
	})
	t.Run("over data", func(t *testing.T) {
		t.Parallel()
		refusesADatabaseWithDataUnlessForced(t, source, archive)
	})
	t.Run("in use", func(t *testing.T) {
		t.Parallel()
		refusesADatabaseInUse(t, archive)
	})
}

func restoresIntoANewDatabase(t *testing.T, source contents, archive []byte) {
	targetURL := dbtest.EmptyDatabase(t)
	report, err := repository.Restore(context.Background(), targetURL, bytes.NewReader(archive), repository.RestoreOptions{})
	must(t, err)
	if report.Replaced || report.Rows["public.trainees"] == 0 {
		t.Errorf("report: %+v", report)
	}
	restored := openStore(t, targetURL)
	sameContents(t, source, restored)
	// The restored database works for the application: a sign-in check reads users.
	if _, err := restored.UserByEmail(context.Background(), "coordinator@demo.ma"); err != nil {
		t.Errorf("the demo coordinator in the restored database: %v", err)
	}
}

// A freshly migrated database holds no data: restoring into it needs no
// -force. This also fails when a migration starts filling a table that
// tablesFilledByMigrations does not name.
func restoresIntoAFreshlyMigratedDatabase(t *testing.T, source contents, archive []byte) {
	targetURL := dbtest.NewDatabase(t) // migrated, no data
	_, err := repository.Restore(context.Background(), targetURL, bytes.NewReader(archive), repository.RestoreOptions{})
	must(t, err)
	sameContents(t, source, openStore(t, targetURL))
}

func refusesADatabaseWithDataUnlessForced(t *testing.T, source contents, archive []byte) {
	ctx := context.Background()

	// The target holds one user of its own.
	targetURL := dbtest.NewDatabase(t)
	target := openStore(t, targetURL)
	must(t, target.CreateUser(ctx, &domain.User{Email: "mine@target.ma", Name: "Mine", Role: domain.RoleAdmin}, "a-long-password", nil))
	before := rowsOf(t, target)
	target.Close() // Restore refuses a database others are connected to

	_, err := repository.Restore(ctx, targetURL, bytes.NewReader(archive), repository.RestoreOptions{})
	if !errors.Is(err, repository.ErrDatabaseHoldsData) || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("restore over data without -force: %v", err)
	}
	if after := rowsOf(t, openStoreOnce(t, targetURL)); !reflect.DeepEqual(before, after) {
		t.Fatalf("a refused restore changed the database:\n%v\n%v", before, after)
	}

	// A truncated backup with -force: refused half way, everything kept.
	_, err = repository.Restore(ctx, targetURL, bytes.NewReader(archive[:len(archive)*2/3]), repository.RestoreOptions{Force: true})
	if err == nil || !strings.Contains(err.Error(), "nothing changed") {
		t.Fatalf("a truncated backup: %v", err)
	}
	if after := rowsOf(t, openStoreOnce(t, targetURL)); !reflect.DeepEqual(before, after) {
		t.Fatalf("a failed restore changed the database:\n%v\n%v", before, after)
	}

	report, err := repository.Restore(ctx, targetURL, bytes.NewReader(archive), repository.RestoreOptions{Force: true})
	must(t, err)
	if !report.Replaced {
		t.Error("the report does not say the contents were replaced")
	}
	restored := openStore(t, targetURL)
	sameContents(t, source, restored)
	if _, err := restored.UserByEmail(ctx, "mine@target.ma"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the replaced database's own user: %v", err)
	}
}

func refusesADatabaseInUse(t *testing.T, archive []byte) {
	targetURL := dbtest.EmptyDatabase(t)
	openStore(t, targetURL) // an application connected to it
	_, err := repository.Restore(context.Background(), targetURL, bytes.NewReader(archive), repository.RestoreOptions{})
	if !errors.Is(err, repository.ErrDatabaseInUse) {
		t.Fatalf("restore under a connected application: %v", err)
	}
}

// A backup made before the latest migration is migrated up by the restore.
func TestRestoreMigratesAnOlderBackup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sourceURL := dbtest.EmptyDatabase(t)
	source := openStore(t, sourceURL)
	p, err := goose.NewProvider(goose.DialectPostgres, source.DB().DB, migrations.FS)
	must(t, err)
	sources := p.ListSources()
	latest := sources[len(sources)-1].Version
	_, err = p.UpTo(ctx, sources[len(sources)-2].Version)
	must(t, err)
	archive := backupOf(t, sourceURL)

	targetURL := dbtest.EmptyDatabase(t)
	_, err = repository.Restore(ctx, targetURL, bytes.NewReader(archive), repository.RestoreOptions{})
	must(t, err)
	var version int64
	must(t, openStore(t, targetURL).DB().Get(&version, `SELECT max(version_id) FROM goose_db_version`))
	if version != latest {
		t.Errorf("restored database at version %d, want %d", version, latest)
	}
}

func TestARestoreOfSomethingElseIsRefused(t *testing.T) {
	t.Parallel()
	targetURL := dbtest.EmptyDatabase(t)
	_, err := repository.Restore(context.Background(), targetURL, strings.NewReader("PGDMP but not really"), repository.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Fatalf("a broken archive: %v", err)
	}
	rows, err := openStore(t, targetURL).TableRows(context.Background())
	must(t, err)
	if len(rows) != 0 {
		t.Errorf("a broken archive left tables: %v", rows)
	}
}
