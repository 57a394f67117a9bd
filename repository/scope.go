package repository

import (
	"context"

	"github.com/lib/pq"

	"takaffoul/domain"
)

// Scope is the set of courses a user may read, export or import into:
// every course for coordinators and admins, their own courses for a trainer.
// The zero Scope allows nothing, so a forgotten scope leaks nothing. It is
// the one answer to "which courses may this user see": every store method
// that lists or reads courses, or the people in them, for a user takes one
// (in SQL: `($n::bigint[] IS NULL OR c.id = ANY($n))` with courseIDs).
type Scope struct {
	all     bool
	courses []int64
}

// AllCourses is the scope of coordinators and admins.
func AllCourses() Scope { return Scope{all: true} }

// OnlyCourses is the scope of a trainer: the courses they teach.
func OnlyCourses(ids ...int64) Scope { return Scope{courses: append([]int64{}, ids...)} }

// All reports whether the scope covers every course.
func (s Scope) All() bool { return s.all }

// Allows reports whether the scope covers the course.
func (s Scope) Allows(courseID int64) bool {
	if s.all {
		return true
	}
	for _, id := range s.courses {
		if id == courseID {
			return true
		}
	}
	return false
}

// courseIDs is the scope as a query parameter: NULL for every course, else
// the courses' ids (an empty array for none, which matches nothing).
func (s Scope) courseIDs() any {
	if s.all {
		return nil
	}
	return pq.Array(append([]int64{}, s.courses...))
}

// ScopeFor is the scope of a signed-in user: admins and coordinators see
// every course, trainers the courses they are assigned to, and the ministry
// none (it reads aggregates only): domain.ErrForbidden.
func (s *Store) ScopeFor(ctx context.Context, u *domain.User) (_ Scope, err error) {
	defer wrap(&err, "ScopeFor")
	switch u.Role {
	case domain.RoleAdmin, domain.RoleCoordinator:
		return AllCourses(), nil
	case domain.RoleTrainer:
		var ids []int64
		const q = `SELECT course_id FROM course_trainers WHERE user_id = $1 ORDER BY course_id`
		if err := s.db.SelectContext(ctx, &ids, q, u.ID); err != nil {
			return Scope{}, mapError(err)
		}
		return OnlyCourses(ids...), nil
	}
	return Scope{}, domain.ErrForbidden
}
