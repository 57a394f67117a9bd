package repository

import (
	"context"
	"errors"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// The curriculum (issue 19): a programme's modules, the courses that belong
// to them, and who completed the whole path (domain/curriculum.go states the
// rule; docs/TOTALS.md "Programme completion" explains it).

const moduleColumns = `id, programme_id, position, year, name_ar, name_fr, expected_hours::float8 AS expected_hours`

// Modules lists a programme's modules in their order ([] for none).
func (s *Store) Modules(ctx context.Context, programmeID int64) (_ []domain.Module, err error) {
	defer wrap(&err, "Modules %d", programmeID)
	ms := []domain.Module{}
	const q = `SELECT ` + moduleColumns + ` FROM programme_modules WHERE programme_id = $1 ORDER BY position`
	return ms, s.db.SelectContext(ctx, &ms, q, programmeID)
}

// Module finds a module by id.
func (s *Store) Module(ctx context.Context, id int64) (_ *domain.Module, err error) {
	defer wrap(&err, "Module %d", id)
	var m domain.Module
	const q = `SELECT ` + moduleColumns + ` FROM programme_modules WHERE id = $1`
	if err := getOne(ctx, s.db, &m, q, id); err != nil {
		return nil, err
	}
	return &m, nil
}

// CreateModule validates and adds a module to its programme, audited as
// by's; a position the programme uses already is a problem of that field.
func (s *Store) CreateModule(ctx context.Context, m *domain.Module, by *int64) (err error) {
	defer wrap(&err, "CreateModule")
	if err := m.Validate(); err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		const q = `INSERT INTO programme_modules (programme_id, position, year, name_ar, name_fr, expected_hours)
		           SELECT id, $2, $3, $4, $5, $6 FROM programmes WHERE id = $1 RETURNING id`
		if err := getOne(ctx, tx, &m.ID, q, m.ProgrammeID, m.Position, m.Year, m.NameAr, m.NameFr, m.ExpectedHours); err != nil {
			return err
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "module.create", Entity: "module", EntityID: &m.ID, After: m})
	})
	return positionTaken(err)
}

// UpdateModule changes a module's fields (it stays in its programme),
// audited with what it was.
func (s *Store) UpdateModule(ctx context.Context, m *domain.Module, by *int64) (err error) {
	defer wrap(&err, "UpdateModule %d", m.ID)
	if err := m.Validate(); err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before domain.Module
		const lock = `SELECT ` + moduleColumns + ` FROM programme_modules WHERE id = $1 FOR UPDATE`
		if err := getOne(ctx, tx, &before, lock, m.ID); err != nil {
			return err
		}
		m.ProgrammeID = before.ProgrammeID
		const q = `UPDATE programme_modules SET position = $2, year = $3, name_ar = $4, name_fr = $5, expected_hours = $6
		            WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, m.ID, m.Position, m.Year, m.NameAr, m.NameFr, m.ExpectedHours); err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "module.update", Entity: "module", EntityID: &m.ID,
			Before: before, After: m})
	})
	return positionTaken(err)
}

// positionTaken turns the unique position's conflict into the form's message.
func positionTaken(err error) error {
	if errors.Is(err, domain.ErrConflict) {
		return domain.Invalid("position", "curriculum.position_taken")
	}
	return err
}

// courseModule is what the audit keeps of a course's module.
type courseModule struct {
	CourseID int64  `json:"course_id" db:"id"`
	ModuleID *int64 `json:"module_id" db:"module_id"`
}

// SetCourseModule puts a course in a module of its programme, or in none
// (moduleID nil), audited before/after. A module of another programme is a
// problem of the field. A closed course may change module: the module is
// not one of the fields its closing keeps (docs/TOTALS.md).
func (s *Store) SetCourseModule(ctx context.Context, courseID int64, moduleID *int64, by *int64) (err error) {
	defer wrap(&err, "SetCourseModule %d", courseID)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var course struct {
			courseModule
			ProgrammeID int64 `db:"programme_id"`
		}
		const lock = `SELECT id, module_id, programme_id FROM courses WHERE id = $1 FOR UPDATE`
		if err := getOne(ctx, tx, &course, lock, courseID); err != nil {
			return err
		}
		if moduleID != nil {
			var programmeID int64
			err := getOne(ctx, tx, &programmeID, `SELECT programme_id FROM programme_modules WHERE id = $1`, *moduleID)
			if errors.Is(err, domain.ErrNotFound) || (err == nil && programmeID != course.ProgrammeID) {
				return domain.Invalid("module_id", "curriculum.module_other_programme")
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE courses SET module_id = $2 WHERE id = $1`, courseID, moduleID); err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "course.set_module", Entity: "course", EntityID: &courseID,
			Before: course.courseModule, After: courseModule{CourseID: courseID, ModuleID: moduleID}})
	})
}

// completionSQL counts, for programme $1, who started its path and who
// completed it (domain/curriculum.go), once per person in the headline and
// in each breakdown:
//
//  1. path: the enrolments in the courses of its modules, each with the
//     course completion flag of totals.go (the counters, never the marks);
//  2. people: per person, whether the modules they completed are all of them;
//  3. firsts: per person, their first enrolment there (who they were);
//  4. one row per breakdown value, counted from facts.
const completionSQL = `
WITH path AS (
    SELECT e.trainee_id, e.category, c.province_id, c.year, c.start_date, c.id AS course_id, c.module_id,
           c.session_count > 0 AND e.attended_count * 100 >= c.completion_threshold * c.session_count AS completed
      FROM enrollments e JOIN courses c ON c.id = e.course_id
     WHERE c.programme_id = $1 AND c.module_id IS NOT NULL
), people AS (
    SELECT trainee_id,
           count(DISTINCT module_id) FILTER (WHERE completed)
             = (SELECT count(*) FROM programme_modules WHERE programme_id = $1) AS completed
      FROM path GROUP BY trainee_id
), firsts AS (
    SELECT DISTINCT ON (trainee_id) trainee_id, category, province_id, year
      FROM path ORDER BY trainee_id, start_date, course_id
), facts AS MATERIALIZED (
    SELECT f.category, f.province_id, f.year, t.sex, p.completed
      FROM people p JOIN firsts f USING (trainee_id) JOIN trainees t ON t.id = p.trainee_id
)
SELECT 'all' AS dim, '' AS key, '' AS name_ar, '' AS name_fr,
       count(*) AS started, count(*) FILTER (WHERE completed) AS completed FROM facts
UNION ALL
SELECT 'category', category, '', '', count(*), count(*) FILTER (WHERE completed) FROM facts GROUP BY category
UNION ALL
SELECT 'sex', sex, '', '', count(*), count(*) FILTER (WHERE completed) FROM facts GROUP BY sex
UNION ALL
SELECT 'province', pr.code, pr.name_ar, pr.name_fr, count(*), count(*) FILTER (WHERE completed)
  FROM facts JOIN provinces pr ON pr.id = facts.province_id GROUP BY pr.code, pr.name_ar, pr.name_fr
UNION ALL
SELECT 'cohort', year::text, '', '', count(*), count(*) FILTER (WHERE completed) FROM facts GROUP BY year
ORDER BY 1, 2`

// ProgrammeCompletion counts who started and completed the programme's
// path, exactly (the app suppresses small counts for the ministry). A
// programme without modules has Modules 0 and no one in it.
func (s *Store) ProgrammeCompletion(ctx context.Context, programmeID int64) (_ *domain.ProgrammeCompletion, err error) {
	defer wrap(&err, "ProgrammeCompletion %d", programmeID)
	pc := &domain.ProgrammeCompletion{ByCategory: []domain.CompletionRow{}, BySex: []domain.CompletionRow{},
		ByProvince: []domain.CompletionRow{}, ByCohort: []domain.CompletionRow{}}
	var head struct {
		Code    string `db:"code"`
		Modules int    `db:"modules"`
	}
	const q = `SELECT p.code, (SELECT count(*) FROM programme_modules m WHERE m.programme_id = p.id) AS modules
	             FROM programmes p WHERE p.id = $1`
	if err := getOne(ctx, s.db, &head, q, programmeID); err != nil {
		return nil, err
	}
	pc.Programme, pc.Modules = head.Code, head.Modules
	if pc.Modules == 0 {
		return pc, nil // no path, nobody on it: the dashboard asks for every programme
	}
	var rows []struct {
		Dim string `db:"dim"`
		domain.CompletionRow
	}
	if err := s.db.SelectContext(ctx, &rows, completionSQL, programmeID); err != nil {
		return nil, mapError(err)
	}
	for _, r := range rows {
		switch r.Dim {
		case "all":
			pc.Started, pc.Completed = r.Started, r.Completed
		case "category":
			pc.ByCategory = append(pc.ByCategory, r.CompletionRow)
		case "sex":
			pc.BySex = append(pc.BySex, r.CompletionRow)
		case "province":
			pc.ByProvince = append(pc.ByProvince, r.CompletionRow)
		case "cohort":
			pc.ByCohort = append(pc.ByCohort, r.CompletionRow)
		}
	}
	return pc, nil
}

// ModuleCourse is a course of a programme with its module (0: none).
type ModuleCourse struct {
	ID       int64  `db:"id"`
	Code     string `db:"code"`
	TitleAr  string `db:"title_ar"`
	TitleFr  string `db:"title_fr"`
	Year     int    `db:"year"`
	ModuleID int64  `db:"module_id"`
}

// ModuleCourses lists a programme's courses with their modules, by year and code.
func (s *Store) ModuleCourses(ctx context.Context, programmeID int64) (_ []ModuleCourse, err error) {
	defer wrap(&err, "ModuleCourses %d", programmeID)
	cs := []ModuleCourse{}
	const q = `SELECT id, code, title_ar, title_fr, year, coalesce(module_id, 0) AS module_id
	             FROM courses WHERE programme_id = $1 AND NOT archived ORDER BY year, code`
	return cs, s.db.SelectContext(ctx, &cs, q, programmeID)
}
