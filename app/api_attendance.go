package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// sessionFromPath loads the session named in the path after checking that
// the user may see its course.
func (s *Server) sessionFromPath(c *fiber.Ctx) (*domain.Session, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, err
	}
	session, err := s.store.Session(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeCourse(c, session.CourseID); err != nil {
		return nil, err
	}
	return session, nil
}

// apiGetAttendance answers GET /api/v1/sessions/{id}/attendance.
func (s *Server) apiGetAttendance(c *fiber.Ctx) error {
	session, err := s.sessionFromPath(c)
	if err != nil {
		return err
	}
	marks, err := s.store.SessionAttendance(c.UserContext(), session.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"session": session, "attendance": marks})
}

// apiPutAttendance answers PUT /api/v1/sessions/{id}/attendance with
// [{"trainee_id": N, "status": "present"}, …]: saved whole or not at all.
func (s *Server) apiPutAttendance(c *fiber.Ctx) error {
	session, err := s.sessionFromPath(c)
	if err != nil {
		return err
	}
	var marks []repository.Mark
	if err := decodeJSON(c, &marks); err != nil {
		return err
	}
	if err := s.store.SaveAttendance(c.UserContext(), session.ID, marks, userIDOf(currentUser(c))); err != nil {
		return err
	}
	return s.apiGetAttendance(c)
}
