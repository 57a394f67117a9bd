package repository

import (
	"context"

	"takaffoul/domain"
)

// TrainerAgenda is a trainer's week: the sessions of their courses in the
// week, and where each of their courses stands.
type TrainerAgenda struct {
	Sessions []AgendaSession
	Courses  []CourseProgress
}

// AgendaSession is one session of a trainer's week, with its course and
// how far its attendance was taken.
type AgendaSession struct {
	domain.Session
	CourseCode    string `db:"course_code"`
	CourseTitleAr string `db:"course_title_ar"`
	CourseTitleFr string `db:"course_title_fr"`
	Enrolled      int    `db:"enrolled"` // places taken in the course
	Marked        int    `db:"marked"`   // marks recorded for this session
}

// CourseTitle is the session's course title in each language.
func (a AgendaSession) CourseTitle() domain.Names {
	return domain.Names{Ar: a.CourseTitleAr, Fr: a.CourseTitleFr}
}

// CourseProgress is where a course stands: sessions held out of all its
// sessions, and the share of its marks that are present or late.
type CourseProgress struct {
	ID              int64       `db:"id"`
	Code            string      `db:"code"`
	TitleAr         string      `db:"title_ar"`
	TitleFr         string      `db:"title_fr"`
	ProgrammeNameAr string      `db:"programme_name_ar"`
	ProgrammeNameFr string      `db:"programme_name_fr"`
	ProgrammeNameEn string      `db:"programme_name_en"`
	ProvinceNameAr  string      `db:"province_name_ar"`
	ProvinceNameFr  string      `db:"province_name_fr"`
	StartDate       domain.Date `db:"start_date"`
	EndDate         domain.Date `db:"end_date"`
	Enrolled        int         `db:"enrolled"`
	Sessions        int         `db:"sessions"` // all the course's sessions
	Held            int         `db:"held"`     // sessions with at least one mark
	Attended        int         `db:"attended"` // present and late marks
	Marks           int         `db:"marks"`    // marks of any status
}

// Title is the course's title in each language.
func (p CourseProgress) Title() domain.Names { return domain.Names{Ar: p.TitleAr, Fr: p.TitleFr} }

// ProgrammeNames is the name of the course's programme in each language.
func (p CourseProgress) ProgrammeNames() domain.Names {
	return domain.Names{Ar: p.ProgrammeNameAr, Fr: p.ProgrammeNameFr, En: p.ProgrammeNameEn}
}

// ProvinceNames is the name of the course's province in each language.
func (p CourseProgress) ProvinceNames() domain.Names {
	return domain.Names{Ar: p.ProvinceNameAr, Fr: p.ProvinceNameFr}
}

// AttendanceRate is present and late marks over all marks, 0 without marks
// (the dashboard's rule, for one course).
func (p CourseProgress) AttendanceRate() float64 {
	if p.Marks == 0 {
		return 0
	}
	return float64(p.Attended) / float64(p.Marks)
}

// agendaSessionsSQL lists the sessions of the scope's courses ($1,
// Scope.courseIDs; archived ones aside) that start in [$2, $3), with their
// marks counted through the attendance session index.
const agendaSessionsSQL = `
SELECT s.id, s.course_id, s.starts_at, s.ends_at, s.place, s.hours,
       c.code AS course_code, c.title_ar AS course_title_ar, c.title_fr AS course_title_fr,
       c.places_taken AS enrolled,
       (SELECT count(*) FROM attendance a WHERE a.session_id = s.id) AS marked
  FROM courses c
  JOIN sessions s ON s.course_id = c.id AND s.starts_at >= $2 AND s.starts_at < $3
 WHERE NOT c.archived AND ($1::bigint[] IS NULL OR c.id = ANY($1))
 ORDER BY s.starts_at, s.id`

// agendaCoursesSQL gives each course of the scope ($1; archived ones aside)
// its progress from the counters the triggers keep: running and coming
// courses first ($2 is today), then the latest.
const agendaCoursesSQL = `
SELECT c.id, c.code, c.title_ar, c.title_fr, c.start_date, c.end_date,
       pr.name_ar AS programme_name_ar, pr.name_fr AS programme_name_fr, pr.name_en AS programme_name_en,
       pv.name_ar AS province_name_ar, pv.name_fr AS province_name_fr,
       c.places_taken AS enrolled, c.session_count AS sessions, c.sessions_held AS held,
       e.attended, e.marks
  FROM courses c
  JOIN programmes pr ON pr.id = c.programme_id
  JOIN provinces pv ON pv.id = c.province_id
  CROSS JOIN LATERAL (SELECT coalesce(sum(attended_count), 0) AS attended, coalesce(sum(marks_count), 0) AS marks
                        FROM enrollments WHERE course_id = c.id) e
 WHERE NOT c.archived AND ($1::bigint[] IS NULL OR c.id = ANY($1))
 ORDER BY c.end_date < $2, c.start_date DESC, c.id DESC
 LIMIT 50`

// TrainerAgenda is a trainer's week, the courses of their scope: their
// sessions in the week and their courses' progress.
func (s *Store) TrainerAgenda(ctx context.Context, scope Scope, week domain.Week) (_ *TrainerAgenda, err error) {
	defer wrap(&err, "TrainerAgenda")
	a := &TrainerAgenda{Sessions: []AgendaSession{}, Courses: []CourseProgress{}}
	if err := s.db.SelectContext(ctx, &a.Sessions, agendaSessionsSQL, scope.courseIDs(), week.Start(), week.End()); err != nil {
		return nil, mapError(err)
	}
	if err := s.db.SelectContext(ctx, &a.Courses, agendaCoursesSQL, scope.courseIDs(), week.Today); err != nil {
		return nil, mapError(err)
	}
	return a, nil
}
