package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// Role sets used by the routes.
var (
	managers      = []domain.Role{domain.RoleAdmin, domain.RoleCoordinator}
	courseWorkers = []domain.Role{domain.RoleAdmin, domain.RoleCoordinator, domain.RoleTrainer}
	everyone      = []domain.Role{domain.RoleAdmin, domain.RoleCoordinator, domain.RoleTrainer, domain.RoleMinistry}
)

// apiRoutes registers the JSON API of courses, trainees, enrolment and
// attendance. Per-object checks (a trainer's own courses) are in the handlers.
func (s *Server) apiRoutes(api fiber.Router) {
	// Routes naming an object answer 404 to roles kept out, as for ids that
	// do not exist.
	onObject := s.requireOrHide(courseWorkers...)
	api.Get("/programmes", s.require(everyone...), s.apiListProgrammes)
	api.Post("/programmes", s.require(managers...), s.apiCreateProgramme)

	api.Get("/courses", s.require(courseWorkers...), s.apiListCourses)
	api.Post("/courses", s.require(managers...), s.apiCreateCourse)
	api.Get("/courses/:id", onObject, s.apiGetCourse)
	api.Patch("/courses/:id", s.require(managers...), s.apiPatchCourse)
	api.Post("/courses/:id/sessions", s.require(managers...), s.apiCreateSessions)
	api.Get("/courses/:id/roster", onObject, s.apiRoster)
	api.Post("/courses/:id/trainers", s.require(managers...), s.apiAssignTrainer)
	api.Delete("/courses/:id/trainers/:user_id", s.require(managers...), s.apiUnassignTrainer)
	api.Post("/courses/:id/enrollments", onObject, s.apiEnroll)
	api.Delete("/courses/:id/enrollments/:trainee_id", onObject, s.apiWithdraw)

	api.Get("/organisations", s.require(courseWorkers...), s.apiListOrganisations)
	api.Post("/organisations", s.require(courseWorkers...), s.apiCreateOrganisation)
	api.Get("/trainees", s.require(courseWorkers...), s.apiSearchTrainees)
	api.Post("/trainees", s.require(courseWorkers...), s.apiCreateTrainee)
	api.Get("/trainees/:id", onObject, s.apiGetTrainee)
	api.Patch("/trainees/:id", onObject, s.apiPatchTrainee)

	api.Get("/sessions/:id/attendance", onObject, s.apiGetAttendance)
	api.Put("/sessions/:id/attendance", onObject, s.apiPutAttendance)
}
