package repository

import (
	"context"
	"database/sql"
	"io"
	"strconv"
	"time"

	"github.com/lib/pq"

	"takaffoul/domain"
)

// matrixLeadColumns come before the one column per session of the matrix.
var matrixLeadColumns = []domain.Column{
	{Key: "trainee_id", Kind: domain.Integer, Width: 10},
	{Key: "enrollment_id", Kind: domain.Integer, Width: 10},
	{Key: "full_name_ar", Kind: domain.Text, Width: 28},
	{Key: "full_name_latin", Kind: domain.Text, Width: 28},
	{Key: "category", Kind: domain.Text, Width: 22},
	{Key: "sex", Kind: domain.Text, Width: 8},
	{Key: "enrollment_status", Kind: domain.Text, Width: 12},
}

// matrixTailColumns close each row: sessions attended and the rate.
var matrixTailColumns = []domain.Column{
	{Key: "attended", Kind: domain.Integer, Width: 10},
	{Key: "attendance_rate", Kind: domain.Percent, Width: 10},
}

// matrixCodes are the one-letter status codes of the matrix with
// ?header=keys; translated codes come from "export.code.<status>".
var matrixCodes = map[string]string{"present": "P", "late": "L", "excused": "E", "absent": "A"}

// matrixSQL returns, per enrolment of the course, the session ids and the
// statuses marked (empty when unmarked), ordered by name.
const matrixSQL = `
SELECT e.id, t.id, t.full_name_ar, t.full_name_latin, e.category, t.sex, e.status,
       coalesce(array_agg(s.id ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL), '{}'),
       coalesce(array_agg(coalesce(a.status, '') ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL), '{}')
  FROM enrollments e
  JOIN trainees t ON t.id = e.trainee_id
  LEFT JOIN sessions s ON s.course_id = e.course_id AND s.id = ANY($2)
  LEFT JOIN attendance a ON a.enrollment_id = e.id AND a.session_id = s.id
 WHERE e.course_id = $1
 GROUP BY e.id, t.id
 ORDER BY t.name_key, t.id`

// ExportCourseMatrix writes a course's attendance as a matrix: one row per
// enrolled trainee (withdrawn ones included, with their status), one column
// per session holding a status code, then the number of sessions attended
// (present or late) and the attendance rate over all the course's sessions.
// A course outside the scope is domain.ErrNotFound, as if it did not exist.
func (s *Store) ExportCourseMatrix(ctx context.Context, w io.Writer, courseID int64, scope Scope, opts domain.ExportOptions) (int64, error) {
	if !scope.Allows(courseID) {
		return 0, notFound("course")
	}
	sessions, err := s.Sessions(ctx, courseID)
	if err != nil {
		return 0, err
	}
	if len(sessions) == 0 {
		// No session and no course look alike from here: tell them apart.
		if _, err := s.Course(ctx, courseID); err != nil {
			return 0, err
		}
	}
	columns, position, ids := matrixColumns(sessions, opts)
	table, err := domain.NewTableWriter(w, columns, opts)
	if err != nil {
		return 0, err
	}
	var (
		enrollmentID, traineeID int64
		nameAr, nameLatin       sql.NullString
		category, sex, status   string
		sessionIDs              pq.Int64Array
		marks                   pq.StringArray
	)
	values := make([]any, len(columns))
	lead := len(matrixLeadColumns)
	n, err := s.stream(ctx, 0, nil, matrixSQL, []any{courseID, pq.Array(ids)}, func(rows *sql.Rows) error {
		if err := rows.Scan(&enrollmentID, &traineeID, &nameAr, &nameLatin, &category, &sex, &status, &sessionIDs, &marks); err != nil {
			return err
		}
		values[0], values[1] = traineeID, enrollmentID
		values[2], values[3] = nullString(nameAr), nullString(nameLatin)
		values[4], values[5] = opts.Value("category", category), opts.Value("sex", sex)
		values[6] = opts.Value("enrollment", status)
		for i := range sessions {
			values[lead+i] = nil
		}
		var attended int64
		for i, id := range sessionIDs {
			values[lead+position[id]] = matrixCode(opts, marks[i])
			if domain.AttendanceStatus(marks[i]).Attended() {
				attended++
			}
		}
		values[lead+len(sessions)] = attended
		if len(sessions) > 0 {
			values[lead+len(sessions)+1] = float64(attended) / float64(len(sessions))
		} else {
			values[lead+len(sessions)+1] = nil
		}
		return table.WriteRow(values)
	})
	if err != nil {
		table.Abort()
		return n, err
	}
	return n, table.Close()
}

// matrixColumns lays out the matrix: lead columns, one per session (headed
// by its local start time, or session_<id> for machines), tail columns. It
// also returns each session's column position and the session ids.
func matrixColumns(sessions []domain.Session, opts domain.ExportOptions) ([]domain.Column, map[int64]int, []int64) {
	columns := append([]domain.Column{}, matrixLeadColumns...)
	position := make(map[int64]int, len(sessions))
	ids := make([]int64, len(sessions))
	for i, ss := range sessions {
		label := ss.StartsAt.In(domain.Casablanca).Format(domain.CSVDateTimeLayout)
		if opts.Keys || opts.T == nil {
			label = "session_" + strconv.FormatInt(ss.ID, 10)
		}
		columns = append(columns, domain.Column{Key: "session", Kind: domain.Text, Width: 17, Label: label})
		position[ss.ID], ids[i] = i, ss.ID
	}
	return append(columns, matrixTailColumns...), position, ids
}

// matrixCode is the cell of one mark: a one-letter code, empty if unmarked.
func matrixCode(opts domain.ExportOptions, status string) any {
	if status == "" {
		return nil
	}
	if opts.Keys || opts.T == nil {
		return matrixCodes[status]
	}
	return opts.T("export.code." + status)
}

// CourseMatrixName names the matrix file: matrix_CP-RABAT-1_2026-11-28.xlsx.
func (s *Store) CourseMatrixName(ctx context.Context, courseID int64, format domain.Format, now time.Time) string {
	scope := "course-" + strconv.FormatInt(courseID, 10)
	var code string
	if err := getOne(ctx, s.db, &code, `SELECT code FROM courses WHERE id = $1`, courseID); err == nil {
		scope = code
	}
	return domain.ExportFileName("matrix", scope, now, format)
}
