package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// TEMPORARY: replaced by the accounts work (sessions, tokens, roles, i18n).

const userKey = "user"

func (s *Server) currentUser(c *fiber.Ctx) *domain.User {
	u, _ := c.Locals(userKey).(*domain.User)
	return u
}

func (s *Server) message(c *fiber.Ctx, key string) string { return key }

func requireRoles(roles ...domain.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, _ := c.Locals(userKey).(*domain.User)
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
