package repository

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// AttendanceFilter narrows the attendance export. Zero fields do not filter.
type AttendanceFilter struct {
	Programme string          // programme code
	CourseID  int64           //
	SessionID int64           //
	From      domain.Date     // first day, inclusive, on the session's start in Africa/Casablanca
	To        domain.Date     // last day, inclusive
	Province  string          // code of the course's province
	Category  domain.Category // trainee category
}

// Validate refuses values that cannot match anything meaningful, with the
// query parameter's name as the field.
func (f *AttendanceFilter) Validate() error {
	f.Programme = strings.ToLower(strings.TrimSpace(f.Programme))
	f.Province = strings.ToLower(strings.TrimSpace(f.Province))
	p := domain.Problems{}
	if f.Category != "" && !f.Category.Valid() {
		p.Add("category", "validation.oneof")
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From.Time) {
		p.Add("to", "export.to_before_from")
	}
	if f.CourseID < 0 {
		p.Add("course", "validation.gte")
	}
	if f.SessionID < 0 {
		p.Add("session", "validation.gte")
	}
	return p.Err()
}

// AttendanceColumns are the columns of the flat attendance export, in
// order; their keys are the headers with ?header=keys and never change.
var AttendanceColumns = []domain.Column{
	{Key: "attendance_id", Kind: domain.Integer, Width: 12},
	{Key: "enrollment_id", Kind: domain.Integer, Width: 12},
	{Key: "trainee_id", Kind: domain.Integer, Width: 12},
	{Key: "course_id", Kind: domain.Integer, Width: 10},
	{Key: "session_id", Kind: domain.Integer, Width: 10},
	{Key: "programme", Kind: domain.Text, Width: 18},
	{Key: "course_code", Kind: domain.Text, Width: 16},
	{Key: "course_title", Kind: domain.Text, Width: 32},
	{Key: "session_start", Kind: domain.DateTime, Width: 17},
	{Key: "full_name_ar", Kind: domain.Text, Width: 28},
	{Key: "full_name_latin", Kind: domain.Text, Width: 28},
	{Key: "category", Kind: domain.Text, Width: 22},
	{Key: "organisation", Kind: domain.Text, Width: 30},
	{Key: "province", Kind: domain.Text, Width: 22},
	{Key: "sex", Kind: domain.Text, Width: 8},
	{Key: "status", Kind: domain.Text, Width: 10},
	{Key: "marked_by", Kind: domain.Text, Width: 22},
	{Key: "marked_at", Kind: domain.DateTime, Width: 17},
}

// attendanceExportSQL yields one row per enrolled trainee × session of the
// course (LEFT JOIN: an unmarked session has an empty status). The WHERE
// clause is appended by attendanceQuery. Both languages of each name are
// read so that one pass serves every language.
const attendanceExportSQL = `
SELECT a.id, e.id, t.id, c.id, s.id, pg.code, c.code, c.title_ar, c.title_fr, s.starts_at,
       t.full_name_ar, t.full_name_latin, t.category, o.name_ar, o.name_fr,
       pv.code, pv.name_ar, pv.name_fr, t.sex, a.status, u.name, a.marked_at
  FROM courses c
  JOIN programmes pg ON pg.id = c.programme_id
  JOIN provinces pv ON pv.id = c.province_id
  JOIN sessions s ON s.course_id = c.id
  JOIN enrollments e ON e.course_id = c.id
  JOIN trainees t ON t.id = e.trainee_id
  LEFT JOIN organisations o ON o.id = t.organisation_id
  LEFT JOIN attendance a ON a.enrollment_id = e.id AND a.session_id = s.id
  LEFT JOIN users u ON u.id = a.marked_by`

// attendanceQuery builds the export query for a filter and a scope. Only
// the conditions in use are written, so the planner sees a plain query.
func attendanceQuery(f AttendanceFilter, scope Scope) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if !scope.All() {
		add("c.id = ANY(?)", pq.Array(scope.courses))
	}
	if f.Programme != "" {
		add("pg.code = ?", f.Programme)
	}
	if f.CourseID != 0 {
		add("c.id = ?", f.CourseID)
	}
	if f.SessionID != 0 {
		add("s.id = ?", f.SessionID)
	}
	if !f.From.IsZero() {
		add("s.starts_at >= ?", startOfDay(f.From))
	}
	if !f.To.IsZero() {
		add("s.starts_at < ?", startOfDay(f.To).AddDate(0, 0, 1))
	}
	if f.Province != "" {
		add("pv.code = ?", f.Province)
	}
	if f.Category != "" {
		add("t.category = ?", string(f.Category))
	}
	q := attendanceExportSQL
	if len(where) > 0 {
		q += "\n WHERE " + strings.Join(where, " AND ")
	}
	return q + "\n ORDER BY c.id, s.starts_at, s.id, e.id", args
}

// startOfDay is midnight of day in Africa/Casablanca, where users live.
func startOfDay(day domain.Date) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, domain.Casablanca)
}

// attendanceRow is one scanned row; its fields are reused row after row.
type attendanceRow struct {
	attendanceID                       sql.NullInt64
	enrollmentID, traineeID            int64
	courseID, sessionID                int64
	programme, courseCode              string
	titleAr, titleFr                   string
	startsAt                           time.Time
	nameAr, nameLatin                  sql.NullString
	category                           string
	orgAr, orgFr                       sql.NullString
	provinceCode, provinceAr, province string
	sex                                string
	status, markedBy                   sql.NullString
	markedAt                           sql.NullTime
}

func (r *attendanceRow) scan(rows *sql.Rows) error {
	return rows.Scan(&r.attendanceID, &r.enrollmentID, &r.traineeID, &r.courseID, &r.sessionID,
		&r.programme, &r.courseCode, &r.titleAr, &r.titleFr, &r.startsAt,
		&r.nameAr, &r.nameLatin, &r.category, &r.orgAr, &r.orgFr,
		&r.provinceCode, &r.provinceAr, &r.province, &r.sex, &r.status, &r.markedBy, &r.markedAt)
}

// values fills out with the row's cells in AttendanceColumns order.
func (r *attendanceRow) values(out []any, opts domain.ExportOptions) {
	out[0] = nullInt(r.attendanceID)
	out[1], out[2], out[3], out[4] = r.enrollmentID, r.traineeID, r.courseID, r.sessionID
	out[5], out[6] = r.programme, r.courseCode
	out[7] = inLanguage(opts.Lang, r.titleAr, r.titleFr)
	out[8] = r.startsAt
	out[9], out[10] = nullString(r.nameAr), nullString(r.nameLatin)
	out[11] = opts.Value("category", r.category)
	out[12] = inLanguage(opts.Lang, r.orgAr.String, r.orgFr.String)
	if opts.Keys || opts.T == nil {
		out[13] = r.provinceCode
	} else {
		out[13] = inLanguage(opts.Lang, r.provinceAr, r.province)
	}
	out[14] = opts.Value("sex", r.sex)
	out[15] = opts.Value("status", r.status.String)
	out[16] = nullString(r.markedBy)
	if r.markedAt.Valid {
		out[17] = r.markedAt.Time
	} else {
		out[17] = nil
	}
}

// inLanguage picks the Arabic or French text for the reader's language,
// falling back to the other when one is missing. English readers get French,
// the ministry's second language.
func inLanguage(lang, ar, fr string) string {
	if (lang == "ar" && ar != "") || fr == "" {
		return ar
	}
	return fr
}

func nullString(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.String
}

func nullInt(n sql.NullInt64) any {
	if !n.Valid {
		return nil
	}
	return n.Int64
}

// ExportAttendance writes the attendance of the courses in scope that match
// the filter to w, in opts.Format, one row per enrolled trainee × session,
// streamed: memory stays constant whatever the number of rows. It returns
// the number of data rows written.
//
// A failure after the first bytes were sent cannot become an error page any
// more; the caller logs it and the download ends short.
func (s *Store) ExportAttendance(ctx context.Context, w io.Writer, f AttendanceFilter, scope Scope, opts domain.ExportOptions) (int64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	table, err := domain.NewTableWriter(w, AttendanceColumns, opts)
	if err != nil {
		return 0, err
	}
	q, args := attendanceQuery(f, scope)
	var row attendanceRow
	values := make([]any, len(AttendanceColumns))
	n, err := s.stream(ctx, exportFetchSize, q, args, func(rows *sql.Rows) error {
		if err := row.scan(rows); err != nil {
			return err
		}
		row.values(values, opts)
		return table.WriteRow(values)
	})
	if err != nil {
		return n, err
	}
	return n, table.Close()
}

// exportFetchSize is how many rows a cursor fetches at a time; 0 runs one
// plain query instead. lib/pq reads a plain query's rows from the socket as
// they are scanned, so both keep memory flat; the benchmark
// (BenchmarkExportAttendanceCSV) measured the plain query faster, which is
// therefore the default.
var exportFetchSize = 0

// stream runs q in a read-only, repeatable-read transaction (one consistent
// snapshot for the whole file) and calls fn for each row. With fetch > 0 it
// reads through a server-side cursor, fetch rows per round trip.
func (s *Store) stream(ctx context.Context, fetch int, q string, args []any, fn func(*sql.Rows) error) (int64, error) {
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return 0, fmt.Errorf("begin export: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to commit
	if fetch <= 0 {
		return scanAll(ctx, tx, q, args, fn)
	}
	if _, err := tx.ExecContext(ctx, "DECLARE export_cursor NO SCROLL CURSOR FOR "+q, args...); err != nil {
		return 0, mapError(fmt.Errorf("declare export cursor: %w", err))
	}
	var total int64
	fetchQ := "FETCH FORWARD " + strconv.Itoa(fetch) + " FROM export_cursor"
	for {
		n, err := scanAll(ctx, tx, fetchQ, nil, fn)
		total += n
		if err != nil || n < int64(fetch) {
			return total, err
		}
	}
}

// scanAll runs one query and hands each row to fn.
func scanAll(ctx context.Context, tx *sqlx.Tx, q string, args []any, fn func(*sql.Rows) error) (int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, mapError(fmt.Errorf("export query: %w", err))
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if err := fn(rows); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// AttendanceExportName names the attendance file after the narrowest filter
// in use (session, course code, programme code, province) and the day:
// attendance_child-protection_2026-11-28.csv.
func (s *Store) AttendanceExportName(ctx context.Context, f AttendanceFilter, format domain.Format, now time.Time) string {
	scope := "all"
	switch {
	case f.SessionID != 0:
		scope = "session-" + strconv.FormatInt(f.SessionID, 10)
	case f.CourseID != 0:
		var code string
		if err := getOne(ctx, s.db, &code, `SELECT code FROM courses WHERE id = $1`, f.CourseID); err == nil {
			scope = code
		} else {
			scope = "course-" + strconv.FormatInt(f.CourseID, 10)
		}
	case f.Programme != "":
		scope = f.Programme
	case f.Province != "":
		scope = f.Province
	}
	return domain.ExportFileName("attendance", scope, now, format)
}
