package repository

// Hooks for the benchmarks of the external test package.

import (
	"context"

	"takaffoul/domain"
)

// TotalsFromRecords counts per request from the records, whatever the
// filter: the reference the cube-backed Totals is compared with.
func (s *Store) TotalsFromRecords(ctx context.Context, f domain.TotalsFilter) (*domain.Totals, error) {
	return s.totalsFromRecords(ctx, f)
}

// SetExportFetchSize switches the attendance export between one plain query
// (0) and a server-side cursor fetching n rows at a time.
func SetExportFetchSize(n int) { exportFetchSize = n }

// AttendanceQueryForAll is the unfiltered export query, for psql's \copy.
func AttendanceQueryForAll() string {
	q, _ := attendanceQuery(AttendanceFilter{}, AllCourses())
	return q
}

// ExportPlannerSettings are the SET LOCAL statements the export runs first,
// so that psql runs the same plan.
func ExportPlannerSettings() []string { return exportPlanner }

// SetXLSXRowLimit lowers the XLSX row limit for a test; it returns the
// function that restores it.
func SetXLSXRowLimit(n int) func() {
	old := xlsxRowLimit
	xlsxRowLimit = n
	return func() { xlsxRowLimit = old }
}

// WithOneRoundTrip is withOneRoundTrip, for its test.
func WithOneRoundTrip(dsn string) string { return withOneRoundTrip(dsn) }
