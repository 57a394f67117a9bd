package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// courseRoutes registers the pages of programmes, courses, enrolment and
// attendance. Roles are checked here; each handler checks the object too
// (a trainer's own courses).
func (s *Server) courseRoutes(f *fiber.App) {
	coordinators := s.require(domain.RoleCoordinator)
	workers := s.require(domain.RoleCoordinator, domain.RoleTrainer)
	// Routes naming a course or session: 404 for other roles, as for ids
	// that do not exist.
	workersOnObject := s.requireOrHide(domain.RoleCoordinator, domain.RoleTrainer)

	f.Get("/programmes", coordinators, s.programmesPage)
	f.Post("/programmes", coordinators, s.createProgramme)

	f.Get("/courses", workers, s.coursesPage)
	f.Get("/courses/new", coordinators, s.newCoursePage)
	f.Post("/courses", coordinators, s.createCourse)
	f.Get("/courses/:id<int>", workersOnObject, s.coursePage)
	f.Get("/courses/:id<int>/edit", coordinators, s.editCoursePage)
	f.Post("/courses/:id<int>", coordinators, s.updateCourse)
	f.Post("/courses/:id<int>/sessions", coordinators, s.addSessions)
	f.Post("/courses/:id<int>/trainers", coordinators, s.assignTrainerForm)
	f.Post("/courses/:id<int>/trainers/:user_id<int>/remove", coordinators, s.unassignTrainerForm)
	f.Get("/courses/:id<int>/enrol", workersOnObject, s.enrolPage)
	f.Post("/courses/:id<int>/enrollments", workersOnObject, s.enrolForm)
	f.Post("/courses/:id<int>/enrollments/:trainee_id<int>/withdraw", workersOnObject, s.withdrawForm)

	f.Get("/sessions/:id<int>/attendance", workersOnObject, s.attendancePage)
	f.Post("/sessions/:id<int>/attendance", workersOnObject, s.saveAttendanceForm)
}
