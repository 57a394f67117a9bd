package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"

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
// [{"trainee_id": N, "status": "present"}, …]: saved whole or not at all,
// each mark the one chosen for that person. With ?others=present, everyone
// else with no mark yet is marked present too (the sheet's "mark all
// present"), which never replaces a saved mark.
func (s *Server) apiPutAttendance(c *fiber.Ctx) error {
	session := sessionOf(c)
	var marks []repository.Mark
	if err := decodeJSON(c, &marks); err != nil {
		return err
	}
	save := s.store.SaveAttendance
	switch c.Query("others") {
	case "":
	case "present":
		save = s.store.MarkOthersPresent
	default:
		return domain.Invalid("others", "attendance.others_present_only")
	}
	if err := save(c.UserContext(), session.ID, marks, actor(c)); err != nil {
		return err
	}
	return s.apiGetAttendance(c)
}
