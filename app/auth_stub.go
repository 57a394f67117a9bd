package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// TEMPORARY: replaced by the accounts work (sessions, tokens, roles, i18n).

func currentUser(c *fiber.Ctx) *domain.User {
	u, _ := c.Locals("user").(*domain.User)
	return u
}

type stubTranslator struct{}

func (stubTranslator) T(key string, args ...any) string { return key }

func (s *Server) tr(c *fiber.Ctx) stubTranslator { return stubTranslator{} }

func (s *Server) require(roles ...domain.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := currentUser(c)
		if u == nil {
			return fiber.ErrUnauthorized
		}
		for _, r := range roles {
			if u.Role == r {
				return c.Next()
			}
		}
		return domain.ErrForbidden
	}
}
