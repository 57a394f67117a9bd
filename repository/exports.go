package repository

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// AttendanceFilter narrows the attendance export. Zero fields do not filter.
type AttendanceFilter struct {
	Programme string          // programme code
	CourseID  int64           // one course
	SessionID int64           // one session
	From      domain.Date     // first day, inclusive, on the session's start in Africa/Casablanca
	To        domain.Date     // last day, inclusive
	Province  string          // code of the course's province
	Category  domain.Category // the category the trainee was enrolled as
	// NamesIn sorts each course's people by their name in this script
	// (the reader's), the other one next; "" is Latin.
	NamesIn domain.Script
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

// attendanceSQL yields one row per enrolled trainee × session (LEFT JOIN
// attendance: an unmarked session has an empty status), course after
// course. The per-course LATERAL subquery sorts one course at a time (a few
// hundred rows, in memory) while the courses come in primary-key order, so
// the rows stream from the first one on. A flat join with one ORDER BY over
// everything made PostgreSQL sort the whole export (gigabytes, on disk, at
// national scale) before sending the first byte; see exportPlanner for the
// plan this query needs. Both languages of each name are read so that one
// pass serves every language.
//
// The filters are attendanceArgs, NULL when not in use. The query is not
// prepared: PostgreSQL plans it with the values given, so that "$2 IS NULL"
// is folded away and the plan is the one of a query without that filter
// (measured, docs/EXPORTS.md). The session filters are written twice: in
// the subquery they pick the rows, on the courses they spare visiting
// courses that have none. (A var only because namesOrder writes its ORDER BY.)
var attendanceSQL = `
SELECT x.attendance_id, x.enrollment_id, x.trainee_id, c.id, x.session_id, pg.code, pg.name_ar, pg.name_fr, pg.name_en,
       c.code, c.title_ar, c.title_fr,
       x.starts_at, x.full_name_ar, x.full_name_latin, x.national_id, x.phone, x.category, x.org_ar, x.org_fr,
       pv.code, pv.name_ar, pv.name_fr, x.sex, x.status, x.marked_by, x.marked_at, x.cancelled
  FROM courses c
  JOIN programmes pg ON pg.id = c.programme_id
  JOIN provinces pv ON pv.id = c.province_id
  CROSS JOIN LATERAL (
      SELECT a.id AS attendance_id, e.id AS enrollment_id, t.id AS trainee_id, s.id AS session_id, s.starts_at,
             ` + shownNameArSQL + ` AS full_name_ar, ` + shownNameLatinSQL + ` AS full_name_latin,
             t.national_id, t.phone, e.category, o.name_ar AS org_ar,
             o.name_fr AS org_fr, t.sex, a.status, u.name AS marked_by, a.marked_at, s.cancelled_at IS NOT NULL AS cancelled
        FROM sessions s
        JOIN enrollments e ON e.course_id = s.course_id
        JOIN trainees t ON t.id = e.trainee_id
        LEFT JOIN organisations o ON o.id = e.organisation_id
        LEFT JOIN attendance a ON a.enrollment_id = e.id AND a.session_id = s.id
        LEFT JOIN users u ON u.id = a.marked_by
       WHERE s.course_id = c.id` + attendanceRowConditions + `
       ORDER BY ` + namesOrder("$9") + `, s.starts_at, s.id, e.id) x
 WHERE ` + attendanceCourseConditions + `
 ORDER BY c.id`

// namesOrder sorts people (alias t) by their name in the script given by
// the parameter ('ar' or not), then by the other one, then by id: the
// order a reader looks people up in, the same from one file to the next
// (enrolment order is an import's, scrambled). The names' folded keys are
// compared (trainees.name_key: the Arabic name's key, " | ", the Latin
// one's; lower case, no accents, Arabic letter variants unified), so that
// "Élodie" sorts with "Elodie" and not after "Zineb".
func namesOrder(script string) string {
	ar := `CASE WHEN t.full_name_ar IS NOT NULL THEN split_part(t.name_key, ' | ', 1) END`
	latin := `CASE WHEN t.full_name_latin IS NOT NULL
	           THEN split_part(t.name_key, ' | ', CASE WHEN t.full_name_ar IS NULL THEN 1 ELSE 2 END) END`
	return `CASE WHEN ` + script + ` = 'ar' THEN ` + ar + ` ELSE ` + latin + ` END,
	        CASE WHEN ` + script + ` = 'ar' THEN ` + latin + ` ELSE ` + ar + ` END, t.id`
}

// attendanceCountSQL counts the rows attendanceSQL would return, without
// reading attendance: trainees × sessions per course.
const attendanceCountSQL = `
SELECT count(*)
  FROM courses c
  JOIN programmes pg ON pg.id = c.programme_id
  JOIN provinces pv ON pv.id = c.province_id
  JOIN sessions s ON s.course_id = c.id
  JOIN enrollments e ON e.course_id = c.id
  JOIN trainees t ON t.id = e.trainee_id
 WHERE ` + attendanceCourseConditions + attendanceRowConditions

// attendanceCourseConditions filter the courses (aliases c, pg, pv):
// $1 scope, $2 programme, $3 course, $4 province, $5 session, $6 and $7
// the first instant and the instant after the period.
const attendanceCourseConditions = `($1::bigint[] IS NULL OR c.id = ANY($1))
   AND ($2::text IS NULL OR pg.code = $2)
   AND ($3::bigint IS NULL OR c.id = $3)
   AND ($4::text IS NULL OR pv.code = $4)
   AND ($5::bigint IS NULL OR c.id = (SELECT course_id FROM sessions WHERE id = $5))
   AND ($6::timestamptz IS NULL AND $7::timestamptz IS NULL
        OR c.id IN (SELECT course_id FROM sessions
                     WHERE ($6 IS NULL OR starts_at >= $6) AND ($7 IS NULL OR starts_at < $7)))`

// attendanceRowConditions filter the rows (aliases s, e): $5 session, $6
// and $7 the period, $8 category.
const attendanceRowConditions = `
         AND ($5::bigint IS NULL OR s.id = $5)
         AND ($6::timestamptz IS NULL OR s.starts_at >= $6)
         AND ($7::timestamptz IS NULL OR s.starts_at < $7)
         AND ($8::text IS NULL OR e.category = $8)` // as enrolled, as the figures count

// attendanceArgs are the parameters of attendanceSQL and attendanceCountSQL.
func attendanceArgs(f AttendanceFilter, scope Scope) []any {
	var from, until *time.Time
	if !f.From.IsZero() {
		t := startOfDay(f.From)
		from = &t
	}
	if !f.To.IsZero() {
		t := startOfDay(f.To).AddDate(0, 0, 1)
		until = &t
	}
	return []any{scope.courseIDs(), orNull(f.Programme), orNull(f.CourseID), orNull(f.Province),
		orNull(f.SessionID), from, until, orNull(string(f.Category))}
}

// orNull is v as a query parameter, NULL (no filter) when it is zero.
func orNull[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// startOfDay is midnight of day in Africa/Casablanca, where users live.
func startOfDay(day domain.Date) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, domain.Casablanca)
}

// attendanceRow holds what the driver hands over for one row, where it
// differs from the record's field (NULLs); it is reused row after row.
type attendanceRow struct {
	attendanceID                   sql.NullInt64
	nameAr, nameLatin              sql.NullString
	nationalID, phone              sql.NullString
	category, sex                  string
	orgAr, orgFr, status, markedBy sql.NullString
	markedAt                       sql.NullTime
}

// scan reads one row of attendanceSQL into r and rec.
func (r *attendanceRow) scan(rows *sql.Rows, rec *domain.AttendanceRecord) error {
	err := rows.Scan(&r.attendanceID, &rec.EnrollmentID, &rec.TraineeID, &rec.CourseID, &rec.SessionID,
		&rec.Programme, &rec.ProgrammeName.Ar, &rec.ProgrammeName.Fr, &rec.ProgrammeName.En,
		&rec.CourseCode, &rec.CourseTitle.Ar, &rec.CourseTitle.Fr,
		&rec.SessionStart, &r.nameAr, &r.nameLatin, &r.nationalID, &r.phone, &r.category, &r.orgAr, &r.orgFr,
		&rec.Province, &rec.ProvinceName.Ar, &rec.ProvinceName.Fr, &r.sex, &r.status, &r.markedBy, &r.markedAt,
		&rec.Cancelled)
	if err != nil {
		return err
	}
	rec.AttendanceID = r.attendanceID.Int64 // 0 when NULL
	rec.FullNameAr, rec.FullNameLatin = textOrNil(r.nameAr), textOrNil(r.nameLatin)
	rec.NationalID, rec.Phone = textOrNil(r.nationalID), textOrNil(r.phone)
	rec.Category, rec.Sex = domain.Category(r.category), domain.Sex(r.sex)
	rec.Organisation = domain.Names{Ar: r.orgAr.String, Fr: r.orgFr.String}
	rec.Status, rec.MarkedBy = domain.AttendanceStatus(r.status.String), r.markedBy.String
	rec.MarkedAt = time.Time{}
	if r.markedAt.Valid {
		rec.MarkedAt = r.markedAt.Time
	}
	return nil
}

// AttendanceRecords streams the attendance of the courses in scope that
// match the filter: one record per enrolled trainee × session, course after
// course, then by name (f.NamesIn) and session start, read from one consistent
// snapshot as the consumer takes them (memory stays constant whatever the
// number of rows). The record is reused from one row to the next; range
// over the stream once.
//
// A bad filter is the first and only value, a *domain.ValidationError.
func (s *Store) AttendanceRecords(ctx context.Context, f AttendanceFilter, scope Scope) iter.Seq2[*domain.AttendanceRecord, error] {
	if err := f.Validate(); err != nil {
		return failed[domain.AttendanceRecord](err)
	}
	var row attendanceRow
	args := append(attendanceArgs(f, scope), string(f.NamesIn))
	return streamRecords(ctx, s.db, exportPlanner, attendanceSQL, args, row.scan)
}

// AttendanceRowCount is the number of records AttendanceRecords would
// stream for the filter, counted without reading the marks (a file format
// with a row limit refuses a larger export before writing a byte).
func (s *Store) AttendanceRowCount(ctx context.Context, f AttendanceFilter, scope Scope) (n int64, err error) {
	defer wrap(&err, "AttendanceRowCount")
	if err := f.Validate(); err != nil {
		return 0, err
	}
	err = getOne(ctx, s.db, &n, attendanceCountSQL, attendanceArgs(f, scope)...)
	return n, err
}

// exportPlanner are planner settings for the attendance export, local to
// its transaction. Every join of the per-course subquery has an index
// (sessions and enrollments by course, trainees by id, attendance by
// enrollment and session), so nested loops cost O(rows) and stream at once;
// left to itself the planner under-estimates the per-course loops and
// chose hash and merge joins that re-read whole tables for each course
// (100,000 rows: 4.5 s instead of 0.5 s; 1,000,000 rows: 9.6 s instead of
// 6.8 s, against 11.8 s for the flat sorted join). JIT compiles for tens of
// milliseconds to save nothing on a query of index lookups.
var exportPlanner = []string{"SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off", "SET LOCAL jit = off"}

// streamRecords runs q in a read-only, repeatable-read transaction (one
// consistent snapshot for the whole file), after the given SET LOCAL
// settings, and yields one record per row, filled by scan into the one
// record it reuses. A plain query, not a cursor: lib/pq reads a plain
// query's rows from the socket as they are scanned, so memory is flat, and
// a cursor's FETCH is a round trip during which neither side works
// (measured slower, docs/EXPORTS.md).
//
// A consumer that stops early (a client gone) cancels the query rather
// than letting the driver read the rest of the result to close it.
func streamRecords[R any](ctx context.Context, db *sqlx.DB, settings []string, q string, args []any,
	scan func(*sql.Rows, *R) error) iter.Seq2[*R, error] {
	return func(yield func(*R, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stopped := false
		err := inExportSnapshot(ctx, db, settings, func(tx *sqlx.Tx) error {
			rows, err := tx.QueryContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("export query: %w", err)
			}
			defer rows.Close()
			var rec R
			for rows.Next() {
				if err := scan(rows, &rec); err != nil {
					return err
				}
				if !yield(&rec, nil) {
					stopped = true
					cancel() // before rows.Close, which would read every remaining row
					return nil
				}
			}
			return rows.Err()
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// inExportSnapshot runs fn in a read-only, repeatable-read transaction
// after the SET LOCAL settings; read-only, it is rolled back, never committed.
func inExportSnapshot(ctx context.Context, db *sqlx.DB, settings []string, fn func(*sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return fmt.Errorf("begin export: %w", mapError(err))
	}
	defer func() { _ = tx.Rollback() }()
	for _, set := range settings {
		if _, err := tx.ExecContext(ctx, set); err != nil {
			return fmt.Errorf("export settings: %w", mapError(err))
		}
	}
	return mapError(fn(tx))
}

// textOrNil is a nullable text as a pointer of its own, nil when NULL.
func textOrNil(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// failed is a stream whose one value is err.
func failed[R any](err error) iter.Seq2[*R, error] {
	return func(yield func(*R, error) bool) { yield(nil, err) }
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
