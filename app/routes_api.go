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
	api.Get("/programmes", s.require(everyone...), s.apiListProgrammes)
	api.Post("/programmes", s.require(managers...), s.apiCreateProgramme)

	api.Get("/courses", s.require(courseWorkers...), s.apiListCourses)
	api.Post("/courses", s.require(managers...), s.apiCreateCourse)
	api.Get("/courses/:id", s.require(courseWorkers...), s.apiGetCourse)
	api.Patch("/courses/:id", s.require(managers...), s.apiPatchCourse)
	api.Post("/courses/:id/sessions", s.require(managers...), s.apiCreateSessions)
	api.Get("/courses/:id/roster", s.require(courseWorkers...), s.apiRoster)
	api.Post("/courses/:id/trainers", s.require(managers...), s.apiAssignTrainer)
	api.Delete("/courses/:id/trainers/:user_id", s.require(managers...), s.apiUnassignTrainer)
	api.Post("/courses/:id/enrollments", s.require(courseWorkers...), s.apiEnroll)
	api.Delete("/courses/:id/enrollments/:trainee_id", s.require(courseWorkers...), s.apiWithdraw)

	api.Get("/organisations", s.require(courseWorkers...), s.apiListOrganisations)
	api.Post("/organisations", s.require(courseWorkers...), s.apiCreateOrganisation)
	api.Get("/trainees", s.require(courseWorkers...), s.apiSearchTrainees)
	api.Post("/trainees", s.require(courseWorkers...), s.apiCreateTrainee)
	api.Get("/trainees/:id", s.require(courseWorkers...), s.apiGetTrainee)
	api.Patch("/trainees/:id", s.require(courseWorkers...), s.apiPatchTrainee)

	api.Get("/sessions/:id/attendance", s.require(courseWorkers...), s.apiGetAttendance)
	api.Put("/sessions/:id/attendance", s.require(courseWorkers...), s.apiPutAttendance)
}
