package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"takaffoul/domain"
)

// handleError is the one place where an error becomes a response: invalid
// input → 422 with per-field messages, unknown → 404, conflict → 409,
// anything unexpected → 500 with a generic message and the real error in
// the log. A user never sees err.Error().
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status := statusOf(err)
	if status >= 500 {
		s.log.Error("request failed", "request_id", c.Locals(requestIDKey), "path", c.Path(), "error", err)
	}
	body := fiber.Map{"error": fallbackMessage(status)}
	if v, ok := domain.AsValidation(err); ok {
		fields := fiber.Map{}
		for field, p := range v.Fields {
			fields[field] = p.Key
		}
		body["fields"] = fields
	}
	return c.Status(status).JSON(body)
}

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.Is(err, domain.ErrNotFound):
		return fiber.StatusNotFound
	case errors.Is(err, domain.ErrConflict):
		return fiber.StatusConflict
	case errors.Is(err, domain.ErrForbidden):
		return fiber.StatusForbidden
	}
	if _, ok := domain.AsValidation(err); ok {
		return fiber.StatusUnprocessableEntity
	}
	return fiber.StatusInternalServerError
}

// fallbackMessage is used until the pages and messages of the accounts issue
// translate errors into the user's language.
func fallbackMessage(status int) string {
	return utils.StatusMessage(status)
}
