package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/repository"
)

// apiGetAttendance answers GET /api/v1/sessions/{id}/attendance.
func (s *Server) apiGetAttendance(c *fiber.Ctx) error {
	session := sessionOf(c)
	marks, err := s.store.SessionAttendance(c.UserContext(), session.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"session": session, "attendance": marks})
}

// apiPutAttendance answers PUT /api/v1/sessions/{id}/attendance with
// [{"trainee_id": N, "status": "present"}, …]: saved whole or not at all.
func (s *Server) apiPutAttendance(c *fiber.Ctx) error {
	session := sessionOf(c)
	var marks []repository.Mark
	if err := decodeJSON(c, &marks); err != nil {
		return err
	}
	if err := s.store.SaveAttendance(c.UserContext(), session.ID, marks, actor(c)); err != nil {
		return err
	}
	return s.apiGetAttendance(c)
}
