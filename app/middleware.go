package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

const requestIDKey = "request_id"

// requestID gives each request an id, echoed in X-Request-ID and in its log
// line, so that a user's report can be matched to the log.
func (s *Server) requestID(c *fiber.Ctx) error {
	buf := make([]byte, 8)
	_, _ = rand.Read(buf)
	id := hex.EncodeToString(buf)
	c.Locals(requestIDKey, id)
	c.Set("X-Request-ID", id)
	return c.Next()
}

// logRequests writes one structured line per request: never a query string
// or a body, which may hold personal data.
func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now, so the status is known.
		if handlerErr := c.App().ErrorHandler(c, err); handlerErr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	s.log.Info("request",
		"request_id", c.Locals(requestIDKey),
		"method", c.Method(),
		"path", c.Path(),
		"status", c.Response().StatusCode(),
		"duration_ms", float64(time.Since(start).Microseconds())/1000,
	)
	return nil
}

// recoverPanics turns a panic into an ordinary error (a 500 with the generic
// page), logging its stack.
func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "request_id", c.Locals(requestIDKey), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Next()
}

// contentSecurityPolicy allows nothing but this site's own files: no inline
// script or style, no framing, forms posting only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries; pages (which
// show personal data) are never cached.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	setSecurityHeaders(c)
	return c.Next()
}

func setSecurityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	if !strings.HasPrefix(c.Path(), "/static/") {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
}

// withRequestTimeout bounds the database work of a request, so that a
// database that hangs gives a 503 instead of a request that never ends.
// Exports stream for as long as they need: they are bounded by the write
// timeout instead.
func (s *Server) withRequestTimeout(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), "/exports/") {
		return c.Next()
	}
	bound := &requestBound{unbounded: c.UserContext(), timeout: s.cfg.RequestTimeout}
	defer bound.end()
	bound.restart(c)
	c.Locals(requestBoundKey, bound)
	return c.Next()
}

const requestBoundKey = "request_bound"

// requestBound is a request's bound on its database work (withRequestTimeout).
type requestBound struct {
	unbounded context.Context
	timeout   time.Duration
	cancels   []context.CancelFunc
}

func (b *requestBound) restart(c *fiber.Ctx) {
	ctx, cancel := context.WithTimeout(b.unbounded, b.timeout)
	b.cancels = append(b.cancels, cancel)
	c.SetUserContext(ctx)
}

func (b *requestBound) end() {
	for _, cancel := range b.cancels {
		cancel()
	}
}

// restartRequestBound gives the rest of the request its whole bound on
// database work again, after long work that was not database work:
// reading the rows of an imported list, which a large workbook or a
// loaded server can make longer than the bound itself.
func restartRequestBound(c *fiber.Ctx) {
	if bound, ok := c.Locals(requestBoundKey).(*requestBound); ok {
		bound.restart(c)
	}
}
