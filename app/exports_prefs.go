package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// saveCSVSeparator answers POST /preferences/csv-separator: the separator
// of every CSV file the user downloads from now on (attendance, matrices,
// figures), then back to the page the form was on. Anything but comma or
// semicolon is a 422 that changes nothing.
func (s *Server) saveCSVSeparator(c *fiber.Ctx) error {
	sep := domain.CSVSeparator(c.FormValue("separator"))
	if !sep.Valid() {
		return domain.Invalid("separator", "validation.oneof")
	}
	if err := s.store.SetUserCSVSeparator(c.UserContext(), currentUser(c).ID, sep); err != nil {
		return err
	}
	if err := s.setFlash(c, "success", "exportfiles.separator.saved"); err != nil {
		return err
	}
	return c.Redirect(safeRedirectPath(c.FormValue("next")), fiber.StatusSeeOther)
}

// CSVSeparator is the separator the signed-in user's CSV files use: their
// choice, else their language's (the choice shown checked on the form).
func (p *Page) CSVSeparator() domain.CSVSeparator {
	var chosen domain.CSVSeparator
	if p.User != nil {
		chosen = p.User.CSVSeparator
	}
	return domain.CSVSeparatorFor(chosen, p.Lang)
}
