package repository

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// courseSelect reads a course with its province's code.
const courseSelect = `SELECT c.id, c.programme_id, c.code, c.title_ar, c.title_fr, c.year, p.code AS province,
       c.start_date, c.end_date, c.capacity, c.completion_threshold, c.archived, c.closed_at, c.closed_by
  FROM courses c JOIN provinces p ON p.id = c.province_id`

// CreateCourse validates and stores a course, audited as by's; its province
// is given by code.
func (s *Store) CreateCourse(ctx context.Context, c *domain.Course, by *int64) (err error) {
	defer wrap(&err, "CreateCourse")
	if err := c.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO courses (programme_id, code, title_ar, title_fr, year, province_id,
		                                start_date, end_date, capacity, completion_threshold)
		           SELECT $1, $2, $3, $4, $5, p.id, $7, $8, $9, $10 FROM provinces p WHERE p.code = $6
		           RETURNING id`
		err := getOne(ctx, tx, &c.ID, q, c.ProgrammeID, c.Code, c.TitleAr, c.TitleFr, c.Year, c.Province,
			c.StartDate, c.EndDate, c.Capacity, c.CompletionThreshold)
		if isNotFound(err) {
			return domain.Invalid("province", "province.unknown")
		}
		if err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "course.create", Entity: "course", EntityID: &c.ID, After: c})
	})
}

// Course finds a course by id.
func (s *Store) Course(ctx context.Context, id int64) (_ *domain.Course, err error) {
	defer wrap(&err, "Course")
	return courseIn(ctx, s.db, id)
}

// CourseClosed reports whether a course is closed (a missing one is
// domain.ErrNotFound). The guard of every coordinator's write on a course
// asks it (app: allowCorrection), the enrolment and the attendance save
// included: one prepared point read, where loading the whole course with
// its province, planned at each request, cost an enrolment a third of its
// database time (docs/BENCHMARKS.md, issue 14's regression).
func (s *Store) CourseClosed(ctx context.Context, id int64) (closed bool, err error) {
	defer wrap(&err, "CourseClosed")
	stmt, err := s.statement(ctx, `SELECT closed_at IS NOT NULL FROM courses WHERE id = $1`)
	if err != nil {
		return false, err
	}
	return closed, stmt.get(ctx, nil, &closed, id)
}

func courseIn(ctx context.Context, q sqlx.QueryerContext, id int64) (*domain.Course, error) {
	var c domain.Course
	if err := getOne(ctx, q, &c, courseSelect+` WHERE c.id = $1`, id); err != nil {
		return nil, err
	}
	return &c, nil
}

// CourseFilter narrows a list of courses.
type CourseFilter struct {
	ProgrammeID     int64
	Year            int
	Programme       string // a programme's code, beside ProgrammeID; "" for any
	Province        string // a province's code; "" for any
	Search          string // part of the code or of a title, accents, case and Arabic spelling folded (search_fold, migration 00037); "" for any
	IncludeArchived bool
}

// CourseSummary is a course with what a list of courses shows beside it.
type CourseSummary struct {
	domain.Course
	ProgrammeCode string `db:"programme_code" json:"programme_code"`
	Enrolled      int    `db:"enrolled" json:"enrolled"`
	Sessions      int    `db:"sessions" json:"sessions"`
	// The names a person reads instead of the codes (pages, not the API).
	ProgrammeNameAr string `db:"programme_name_ar" json:"-"`
	ProgrammeNameFr string `db:"programme_name_fr" json:"-"`
	ProgrammeNameEn string `db:"programme_name_en" json:"-"`
	ProvinceNameAr  string `db:"province_name_ar" json:"-"`
	ProvinceNameFr  string `db:"province_name_fr" json:"-"`
}

// ProgrammeNames is the name of the course's programme in each language.
func (c CourseSummary) ProgrammeNames() domain.Names {
	return domain.Names{Ar: c.ProgrammeNameAr, Fr: c.ProgrammeNameFr, En: c.ProgrammeNameEn}
}

// ProvinceNames is the name of the course's province in each language.
func (c CourseSummary) ProvinceNames() domain.Names {
	return domain.Names{Ar: c.ProvinceNameAr, Fr: c.ProvinceNameFr}
}

// Courses lists a page of the courses of the scope that match f, newest first.
func (s *Store) Courses(ctx context.Context, scope Scope, f CourseFilter, page Page) (_ []CourseSummary, err error) {
	defer wrap(&err, "Courses")
	const q = `SELECT c.id, c.programme_id, c.code, c.title_ar, c.title_fr, c.year, p.code AS province,
	       c.start_date, c.end_date, c.capacity, c.completion_threshold, c.archived, c.closed_at, pr.code AS programme_code,
	       c.places_taken AS enrolled, c.session_count AS sessions,
	       pr.name_ar AS programme_name_ar, pr.name_fr AS programme_name_fr, pr.name_en AS programme_name_en,
	       p.name_ar AS province_name_ar, p.name_fr AS province_name_fr
	  FROM courses c
	  JOIN provinces p ON p.id = c.province_id
	  JOIN programmes pr ON pr.id = c.programme_id
	 WHERE ($1 = 0 OR c.programme_id = $1)
	   AND ($2 = 0 OR c.year = $2)
	   AND ($3::bigint[] IS NULL OR c.id = ANY($3))
	   AND ($4 OR NOT c.archived)
	   AND ($7 = '' OR p.code = $7)
	   AND ($9 = '' OR pr.code = $9)
	   AND ($8 = '' OR search_fold(c.code || ' ' || c.title_ar || ' ' || c.title_fr) LIKE '%' || search_fold($8) || '%')
	 ORDER BY c.start_date DESC, c.id DESC
	 LIMIT $5 OFFSET $6`
	cs := []CourseSummary{}
	return cs, s.db.SelectContext(ctx, &cs, q, f.ProgrammeID, f.Year, scope.courseIDs(), f.IncludeArchived, page.limit(), page.offset(),
		f.Province, escapeLike(strings.TrimSpace(f.Search)), f.Programme)
}

// CourseYears lists, in order, the years of the courses in scope, archived
// ones included: the course list's year filter offers them beside its
// programmes' years (a course may run outside them, as the demo's course
// of this week does).
func (s *Store) CourseYears(ctx context.Context, scope Scope) (_ []int, err error) {
	defer wrap(&err, "CourseYears")
	const q = `SELECT DISTINCT c.year FROM courses c WHERE ($1::bigint[] IS NULL OR c.id = ANY($1)) ORDER BY c.year`
	years := []int{}
	return years, s.db.SelectContext(ctx, &years, q, scope.courseIDs())
}

// UpdateCourse validates and saves a course's editable fields, logging the
// change. The programme of a course does not change.
func (s *Store) UpdateCourse(ctx context.Context, c *domain.Course, by *int64) (err error) {
	defer wrap(&err, "UpdateCourse")
	if err := c.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before domain.Course // locked: the entry's before is what this change replaced
		if err := getOne(ctx, tx, &before, courseSelect+` WHERE c.id = $1 FOR UPDATE OF c`, c.ID); err != nil {
			return err
		}
		province, err := provinceID(ctx, tx, &c.Province)
		if err != nil {
			return err
		}
		const q = `UPDATE courses SET code = $2, title_ar = $3, title_fr = $4, year = $5, province_id = $6,
		                  start_date = $7, end_date = $8, capacity = $9, completion_threshold = $10, archived = $11
		            WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, c.ID, c.Code, c.TitleAr, c.TitleFr, c.Year, *province,
			c.StartDate, c.EndDate, c.Capacity, c.CompletionThreshold, c.Archived); err != nil {
			return mapError(err)
		}
		c.ProgrammeID = before.ProgrammeID
		was, now, err := fieldChanges(before, c)
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, by, "course.update", "course", c.ID, was, now); err != nil {
			return err
		}
		return recheckCertificates(ctx, tx, c.ID, by) // the threshold, titles and dates are on the certificates
	})
}

// AssignTrainer gives a trainer a course; assigning twice changes nothing.
// Only users with the trainer role can be assigned.
func (s *Store) AssignTrainer(ctx context.Context, courseID, userID int64, by *int64) (err error) {
	defer wrap(&err, "AssignTrainer")
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var role domain.Role
		err := getOne(ctx, tx, &role, `SELECT role FROM users WHERE id = $1 AND active`, userID)
		if isNotFound(err) || (err == nil && role != domain.RoleTrainer) {
			return domain.Invalid("user_id", "course.trainer_unknown")
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO course_trainers (course_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, courseID, userID)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "course.assign_trainer", Entity: "course", EntityID: &courseID,
			After: map[string]int64{"user_id": userID}})
	})
}

// UnassignTrainer takes a course away from a trainer.
func (s *Store) UnassignTrainer(ctx context.Context, courseID, userID int64, by *int64) (err error) {
	defer wrap(&err, "UnassignTrainer")
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM course_trainers WHERE course_id = $1 AND user_id = $2`, courseID, userID)
		if err != nil {
			return mapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("course trainer")
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "course.unassign_trainer", Entity: "course", EntityID: &courseID,
			Before: map[string]int64{"user_id": userID}})
	})
}

// CourseTrainers lists the trainers assigned to a course.
func (s *Store) CourseTrainers(ctx context.Context, courseID int64) (_ []domain.User, err error) {
	defer wrap(&err, "CourseTrainers")
	const q = `SELECT u.id, u.email, u.name, u.role, u.password_hash, u.active, u.language, u.created_at
	             FROM users u JOIN course_trainers ct ON ct.user_id = u.id
	            WHERE ct.course_id = $1 ORDER BY u.name`
	us := []domain.User{}
	return us, s.db.SelectContext(ctx, &us, q, courseID)
}
