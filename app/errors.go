package app

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// handleError is the one place where an error becomes a response: invalid
// input → 422 with per-field messages, unknown → 404, conflict → 409,
// database unreachable → 503, anything unexpected → 500 with a generic
// message and the real error in the log. Pages get an HTML page in the
// user's language, the API (and Accept: application/json) gets
// {"error": "...", "fields": {...}}. A user never sees err.Error().
//
// Fiber also calls it for errors raised before any middleware ran (a body
// over BodyLimit → 413, a malformed request → 400): it must not rely on
// anything the middleware would have set.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status := statusOf(err)
	if status >= 500 {
		s.log.Error("request failed", "request_id", c.Locals(requestIDKey), "path", c.Path(), "error", err)
	}
	setSecurityHeaders(c)
	c.Response().ResetBody()
	if errors.Is(err, errUnauthenticated) && !wantsJSON(c) {
		return c.Redirect(loginURL(c), fiber.StatusSeeOther)
	}
	if wantsJSON(c) {
		return c.Status(status).JSON(s.errorBody(c, status, err))
	}
	return s.renderError(c, status, err)
}

// errorBody is the JSON answer: a sentence in the user's language and, for
// invalid input, one per field.
func (s *Server) errorBody(c *fiber.Ctx, status int, err error) fiber.Map {
	t := s.tr(c)
	body := fiber.Map{"error": t.T(errorMessageKey(status, err))}
	var refused *domain.ImportError
	if v, ok := domain.AsValidation(err); ok {
		body["fields"] = t.Problems(v)
	} else if field, problem, ok := conflictProblem(err); ok {
		body["fields"] = map[string]string{field: t.Problem(field, problem)}
	} else if errors.As(err, &refused) {
		body["problems"] = translateImportProblems(t, refused.Problems)
	}
	return body
}

// renderError writes the error page; should that fail too, a one-line
// translated text.
func (s *Server) renderError(c *fiber.Ctx, status int, err error) error {
	p := s.page(c, "error")
	p.Error = &ErrorInfo{
		Status:    status,
		TitleKey:  errorKey(status) + ".title",
		BodyKey:   errorMessageKey(status, err),
		RequestID: requestIDOf(c),
	}
	p.Title = p.T(p.Error.TitleKey)
	if v, ok := domain.AsValidation(err); ok {
		p.Form.Errors = s.tr(c).Problems(v)
	}
	var refused *domain.ImportError
	if errors.As(err, &refused) {
		for i, problem := range translateImportProblems(s.tr(c), refused.Problems) {
			p.Form.Errors[fmt.Sprintf("%05d", i)] = problem.Message // the page lists them in key order
		}
	}
	if renderErr := s.writePage(c, status, "pages/error", p); renderErr != nil {
		s.log.Error("error page failed", "request_id", c.Locals(requestIDKey), "error", renderErr)
		c.Response().ResetBody()
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(status).SendString(s.tr(c).T(p.Error.BodyKey))
	}
	return nil
}

// knownErrorStatuses have their own title and text in the message files;
// other statuses use their class's (400 or 500).
var knownErrorStatuses = map[int]bool{400: true, 401: true, 403: true, 404: true, 405: true, 409: true,
	413: true, 422: true, 429: true, 500: true, 503: true}

func errorKey(status int) string {
	switch {
	case knownErrorStatuses[status]:
	case status >= 500:
		status = 500
	default:
		status = 400
	}
	return "error." + strconv.Itoa(status)
}

func errorMessageKey(status int, err error) string {
	if errors.Is(err, errCSRF) {
		return "error.csrf"
	}
	var r *refusal
	if errors.As(err, &r) {
		return r.key
	}
	if errors.Is(err, errImportBusy) {
		return "import.busy"
	}
	var refused *domain.ImportError
	if errors.As(err, &refused) && status == fiber.StatusUnprocessableEntity {
		return "import.refused"
	}
	return errorKey(status) + ".body"
}

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	var fe *fiber.Error
	var r *refusal
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.As(err, &r):
		return fiber.StatusForbidden
	case errors.Is(err, domain.ErrNotFound):
		return fiber.StatusNotFound
	case errors.Is(err, domain.ErrConflict):
		return fiber.StatusConflict
	case errors.Is(err, domain.ErrForbidden):
		return fiber.StatusForbidden
	case databaseUnavailable(err):
		return fiber.StatusServiceUnavailable
	}
	if _, ok := domain.AsValidation(err); ok {
		return fiber.StatusUnprocessableEntity
	}
	var refused *domain.ImportError
	if errors.As(err, &refused) {
		if importTooLarge(refused) {
			return fiber.StatusRequestEntityTooLarge
		}
		return fiber.StatusUnprocessableEntity
	}
	return fiber.StatusInternalServerError
}

// databaseUnavailable reports whether err says the database cannot be
// reached (down, restarting, too slow) rather than that a query is wrong.
func databaseUnavailable(err error) bool {
	var netErr net.Error
	var pqErr *pq.Error
	switch {
	case errors.Is(err, domain.ErrUnavailable), // the store's mapping; the rest for errors that bypass it
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return true
	case errors.As(err, &netErr):
		return true
	case errors.As(err, &pqErr):
		// class 08: connection exception; 57P: operator intervention (shutdown, restart)
		code := string(pqErr.Code)
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P")
	}
	return false
}

// wantsJSON: the API, scripts with a token, and clients that ask for JSON
// get JSON errors; browsers get pages.
func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") || c.Path() == "/api" || hasBearerToken(c) {
		return true
	}
	accept := c.Get(fiber.HeaderAccept)
	return strings.Contains(accept, fiber.MIMEApplicationJSON) && !strings.Contains(accept, fiber.MIMETextHTML)
}

// loginURL sends an anonymous visitor to the login page, coming back to the
// page they asked for afterwards (for a GET; a POST's URL is an action).
func loginURL(c *fiber.Ctx) string {
	if c.Method() != fiber.MethodGet || c.Path() == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(c.OriginalURL())
}

func requestIDOf(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDKey).(string)
	return id
}
