package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// apiListProgrammes answers GET /api/v1/programmes?limit=&offset=.
func (s *Server) apiListProgrammes(c *fiber.Ctx) error {
	page, err := pageOf(c, repository.DefaultPage, repository.DefaultPage)
	if err != nil {
		return err
	}
	ps, err := s.store.Programmes(c.UserContext(), page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, ps)
}

// apiCreateProgramme answers POST /api/v1/programmes.
func (s *Server) apiCreateProgramme(c *fiber.Ctx) error {
	var p domain.Programme
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	p.ID = 0
	if err := s.store.CreateProgramme(c.UserContext(), &p, actor(c)); err != nil {
		return err
	}
	return created(c, p)
}

// apiListCourses answers GET /api/v1/courses?programme_id=&year=&archived=&limit=&offset=:
// the courses of the user's scope (every course for coordinators, a
// trainer's own for a trainer).
func (s *Server) apiListCourses(c *fiber.Ctx) error {
	page, err := pageOf(c, repository.DefaultPage, repository.DefaultPage)
	if err != nil {
		return err
	}
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	f := repository.CourseFilter{ProgrammeID: int64(queryInt(c, "programme_id")), Year: queryInt(c, "year"),
		IncludeArchived: c.QueryBool("archived")}
	cs, err := s.store.Courses(c.UserContext(), scope, f, page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, cs)
}

// apiCreateCourse answers POST /api/v1/courses.
func (s *Server) apiCreateCourse(c *fiber.Ctx) error {
	var course domain.Course
	if err := decodeJSON(c, &course); err != nil {
		return err
	}
	course.ID = 0
	if err := s.store.CreateCourse(c.UserContext(), &course, actor(c)); err != nil {
		return err
	}
	return created(c, course)
}

// apiGetCourse answers GET /api/v1/courses/{id}.
func (s *Server) apiGetCourse(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	return c.JSON(course)
}

// apiPatchCourse answers PATCH /api/v1/courses/{id}: the fields sent replace
// the stored ones, the others stay.
func (s *Server) apiPatchCourse(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	id, programme := course.ID, course.ProgrammeID
	if err := decodeJSON(c, course); err != nil {
		return err
	}
	course.ID, course.ProgrammeID = id, programme
	if err := s.store.UpdateCourse(c.UserContext(), course, actor(c)); err != nil {
		return err
	}
	return c.JSON(course)
}

// sessionsRequest is either one session or a series of them.
type sessionsRequest struct {
	domain.Session
	Series *domain.SessionSeries `json:"series"`
}

// apiCreateSessions answers POST /api/v1/courses/{id}/sessions with one
// session ({starts_at, ends_at, place, hours}) or a series ({"series": {...}}).
func (s *Server) apiCreateSessions(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	var req sessionsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	sessions := []domain.Session{req.Session}
	if req.Series != nil {
		if sessions, err = req.Series.Sessions(); err != nil {
			return err
		}
	}
	if err := s.store.CreateSessions(c.UserContext(), course.ID, sessions, actor(c)); err != nil {
		return err
	}
	return created(c, sessions)
}

// apiRoster answers GET /api/v1/courses/{id}/roster.
func (s *Server) apiRoster(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	roster, err := s.store.Roster(c.UserContext(), course.ID)
	if err != nil {
		return err
	}
	sessions, err := s.store.SessionSummaries(c.UserContext(), course.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"course": course, "roster": roster, "sessions": sessions})
}

// apiAssignTrainer answers POST /api/v1/courses/{id}/trainers {"user_id": N}.
func (s *Server) apiAssignTrainer(c *fiber.Ctx) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	var req struct {
		UserID int64 `json:"user_id"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.store.AssignTrainer(c.UserContext(), course.ID, req.UserID, actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// unassignFromPath takes the course named in the path away from the trainer
// named in the path (the page and the API share it).
func (s *Server) unassignFromPath(c *fiber.Ctx) (*domain.Course, error) {
	course, err := s.course(c)
	if err != nil {
		return nil, err
	}
	userID, err := paramID(c, "user_id")
	if err != nil {
		return nil, err
	}
	return course, s.store.UnassignTrainer(c.UserContext(), course.ID, userID, actor(c))
}

// apiUnassignTrainer answers DELETE /api/v1/courses/{id}/trainers/{user_id}.
func (s *Server) apiUnassignTrainer(c *fiber.Ctx) error {
	if _, err := s.unassignFromPath(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
