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
	api.Get("/programmes", requireRoles(everyone...), s.apiListProgrammes)
	api.Post("/programmes", requireRoles(managers...), s.apiCreateProgramme)

	api.Get("/courses", requireRoles(courseWorkers...), s.apiListCourses)
	api.Post("/courses", requireRoles(managers...), s.apiCreateCourse)
	api.Get("/courses/:id", requireRoles(courseWorkers...), s.apiGetCourse)
	api.Patch("/courses/:id", requireRoles(managers...), s.apiPatchCourse)
	api.Post("/courses/:id/sessions", requireRoles(managers...), s.apiCreateSessions)
	api.Get("/courses/:id/roster", requireRoles(courseWorkers...), s.apiRoster)
	api.Post("/courses/:id/trainers", requireRoles(managers...), s.apiAssignTrainer)
	api.Delete("/courses/:id/trainers/:user_id", requireRoles(managers...), s.apiUnassignTrainer)
	api.Post("/courses/:id/enrollments", requireRoles(courseWorkers...), s.apiEnroll)
	api.Delete("/courses/:id/enrollments/:trainee_id", requireRoles(courseWorkers...), s.apiWithdraw)

	api.Get("/organisations", requireRoles(courseWorkers...), s.apiListOrganisations)
	api.Post("/organisations", requireRoles(courseWorkers...), s.apiCreateOrganisation)
	api.Get("/trainees", requireRoles(courseWorkers...), s.apiSearchTrainees)
	api.Post("/trainees", requireRoles(courseWorkers...), s.apiCreateTrainee)
	api.Get("/trainees/:id", requireRoles(courseWorkers...), s.apiGetTrainee)
	api.Patch("/trainees/:id", requireRoles(courseWorkers...), s.apiPatchTrainee)

	api.Get("/sessions/:id/attendance", requireRoles(courseWorkers...), s.apiGetAttendance)
	api.Put("/sessions/:id/attendance", requireRoles(courseWorkers...), s.apiPutAttendance)
}
