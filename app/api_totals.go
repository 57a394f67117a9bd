package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// totalsOf reads the filter from the query string and computes its totals.
// A malformed filter or an unknown code is a *domain.ValidationError (422
// with a message per field): user input never reaches SQL as text, the
// store binds every value as a parameter.
func (s *Server) totalsOf(c *fiber.Ctx) (*domain.Totals, error) {
	f, err := domain.ParseTotalsFilter(c.Queries())
	if err != nil {
		return nil, err
	}
	return s.store.Totals(c.UserContext(), f)
}

// apiTotals answers GET /api/v1/totals?programme=&year=&region=&province=&course=&sex=&category=
// with the Totals as they are: counts only, never a name.
func (s *Server) apiTotals(c *fiber.Ctx) error {
	t, err := s.totalsOf(c)
	if err != nil {
		return err
	}
	return c.JSON(t)
}
