package repository

// Hooks for the benchmarks of the external test package.

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// TotalsFromRecords counts per request from the records, whatever the
// filter: the reference the cube-backed Totals is compared with.
func (s *Store) TotalsFromRecords(ctx context.Context, f domain.TotalsFilter) (*domain.Totals, error) {
	var t *domain.Totals
	err := inReadSnapshot(ctx, s.db, func(tx *sqlx.Tx) (err error) {
		t, err = totalsFromRecords(ctx, tx, f)
		return err
	})
	return t, err
}

// TotalsAndRecordsInOneSnapshot reads filter f (no course) from the cube
// and the journal, and counts it from the records, in one snapshot: the
// two must agree whatever writers and folder are doing meanwhile.
// It also answers how many journal rows the snapshot held.
func (s *Store) TotalsAndRecordsInOneSnapshot(ctx context.Context, f domain.TotalsFilter) (cube, records *domain.Totals, journal int, err error) {
	st, err := s.readStatement(ctx, f)
	if err != nil {
		return nil, nil, 0, err
	}
	err = inReadSnapshot(ctx, s.db, func(tx *sqlx.Tx) error {
		if records, err = totalsFromRecords(ctx, tx, f); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &journal, `SELECT count(*) FROM totals_pending`); err != nil {
			return err
		}
		cube, err = totalsFromCube(ctx, tx, st, f)
		return err
	})
	return cube, records, journal, err
}

// FoldOneBatch folds at most n journal rows, as one batch of FoldTotals.
func (s *Store) FoldOneBatch(ctx context.Context, n int) (int, error) { return s.foldOnce(ctx, n) }

// FoldLock is the folder's advisory lock key, for a test that holds it.
const FoldLock = foldLock

// AttendanceQueryForAll is the unfiltered export query, for psql's \copy.
func AttendanceQueryForAll() string { return withoutFilters(attendanceSQL) }

// AttendanceQuery is the export query and its parameters for a filter, for
// EXPLAIN ANALYZE in the benchmark.
func AttendanceQuery(f AttendanceFilter, scope Scope) (string, []any) {
	return attendanceSQL, attendanceArgs(f, scope)
}

// ExportPlannerSettings are the SET LOCAL statements the export runs first,
// so that psql runs the same plan.
func ExportPlannerSettings() []string { return exportPlanner }

// WithOneRoundTrip is withOneRoundTrip, for its test.
func WithOneRoundTrip(dsn string) string { return withOneRoundTrip(dsn) }

// ImportMatchPlans runs an import's steps up to its matches, in a
// transaction it rolls back, and answers the plan (EXPLAIN) of each match
// step as the import would run it.
func (s *Store) ImportMatchPlans(ctx context.Context, file *domain.ImportFile, opt ImportOptions, by *int64) ([]string, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	im := &importer{ctx: ctx, tx: tx, file: file, opt: opt, by: by, report: newImportReport(file, opt), now: time.Now(),
		phase: func(string) {}}
	if err := im.loadForMatching(); err != nil {
		return nil, err
	}
	var plans []string
	for _, step := range matchSteps {
		var lines []string
		if err := tx.SelectContext(ctx, &lines, "EXPLAIN "+step.q); err != nil {
			return nil, err
		}
		plans = append(plans, step.what+":\n"+strings.Join(lines, "\n"))
	}
	return plans, nil
}
