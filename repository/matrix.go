package repository

import (
	"context"
	"database/sql"
	"iter"
	"strconv"
	"time"

	"github.com/lib/pq"

	"takaffoul/domain"
)

// matrixSQL returns, per enrolment of the course, the session ids and the
// statuses marked (empty when unmarked), ordered by name in the script $3.
var matrixSQL = `
SELECT e.id, t.id, ` + shownNameArSQL + `, ` + shownNameLatinSQL + `, t.national_id, t.phone, e.category, t.sex, e.status,
       coalesce(array_agg(s.id ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL), '{}'),
       coalesce(array_agg(coalesce(a.status, '') ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL), '{}')
  FROM enrollments e
  JOIN trainees t ON t.id = e.trainee_id
  LEFT JOIN sessions s ON s.course_id = e.course_id AND s.id = ANY($2)
  LEFT JOIN attendance a ON a.enrollment_id = e.id AND a.session_id = s.id
 WHERE e.course_id = $1
 GROUP BY e.id, t.id
 ORDER BY ` + namesOrder("$3")

// CourseMatrix is a course's attendance as a matrix: its sessions (the
// columns, by start) and a stream of one record per enrolled trainee
// (withdrawn ones included, with their status) holding their mark at each
// session, ordered by name in the script namesIn. A course outside the scope is
// domain.ErrNotFound, as if it did not exist.
func (s *Store) CourseMatrix(ctx context.Context, courseID int64, scope Scope, namesIn domain.Script) (_ []domain.Session,
	_ iter.Seq2[*domain.MatrixRecord, error], err error) {
	defer wrap(&err, "CourseMatrix %d", courseID)
	if !scope.Allows(courseID) {
		return nil, nil, notFound("course")
	}
	sessions, err := s.Sessions(ctx, courseID)
	if err != nil {
		return nil, nil, err
	}
	if len(sessions) == 0 {
		// No session and no course look alike from here: tell them apart.
		if _, err := s.Course(ctx, courseID); err != nil {
			return nil, nil, err
		}
	}
	row := matrixRow{position: make(map[int64]int, len(sessions)), sessions: len(sessions)}
	ids := make([]int64, len(sessions))
	for i, ss := range sessions {
		row.position[ss.ID], ids[i] = i, ss.ID
	}
	return sessions, streamRecords(ctx, s.db, nil, matrixSQL, []any{courseID, pq.Array(ids), string(namesIn)}, row.scan), nil
}

// matrixRow holds what the driver hands over for one row of matrixSQL.
type matrixRow struct {
	position              map[int64]int // a session's column, by id
	sessions              int
	nameAr, nameLatin     sql.NullString
	nationalID, phone     sql.NullString
	category, sex, status string
	sessionIDs            pq.Int64Array
	marks                 pq.StringArray
}

// scan reads one row into r and rec, placing each mark in its session's column.
func (r *matrixRow) scan(rows *sql.Rows, rec *domain.MatrixRecord) error {
	if err := rows.Scan(&rec.EnrollmentID, &rec.TraineeID, &r.nameAr, &r.nameLatin, &r.nationalID, &r.phone, &r.category, &r.sex, &r.status,
		&r.sessionIDs, &r.marks); err != nil {
		return err
	}
	rec.FullNameAr, rec.FullNameLatin = textOrNil(r.nameAr), textOrNil(r.nameLatin)
	rec.NationalID, rec.Phone = textOrNil(r.nationalID), textOrNil(r.phone)
	rec.Category, rec.Sex, rec.EnrollmentStatus = domain.Category(r.category), domain.Sex(r.sex), domain.EnrollmentStatus(r.status)
	if rec.Marks == nil {
		rec.Marks = make([]domain.AttendanceStatus, r.sessions)
	}
	clear(rec.Marks)
	for i, id := range r.sessionIDs {
		rec.Marks[r.position[id]] = domain.AttendanceStatus(r.marks[i])
	}
	return nil
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
