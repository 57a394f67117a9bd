package app

import (
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
)

// answer is what an error becomes for the user, whatever asked (a page, a
// form, a script): a status, the sentence that says it (a message key) and
// what to fix, field by field or, for a refused file, row by row.
type answer struct {
	status int
	key    string                    // message key of the sentence
	own    bool                      // the sentence is the error's own, not its status's
	fields map[string]domain.Problem // next to a form's fields; "fields" in JSON
	rows   []domain.ImportProblem    // a refused file's problems; "problems" in JSON
}

// statusOfKind is the status of each kind of error the domain names, in
// the order they are tested (an error may wrap more than one).
var statusOfKind = []struct {
	kind   error
	status int
}{
	{domain.ErrUnauthenticated, fiber.StatusUnauthorized},
	{domain.ErrUnavailable, fiber.StatusServiceUnavailable},
	{domain.ErrTooLarge, fiber.StatusRequestEntityTooLarge},
	{domain.ErrInvalid, fiber.StatusUnprocessableEntity},
	{domain.ErrNotFound, fiber.StatusNotFound},
	{domain.ErrForbidden, fiber.StatusForbidden},
	{domain.ErrConflict, fiber.StatusConflict},
	{domain.ErrBusy, fiber.StatusTooManyRequests},
	{domain.ErrMalformed, fiber.StatusBadRequest},
}

// classify is the one place where an error becomes an answer (pkgsite's
// serveError): the kind gives the status, and the error itself what to
// tell. Anything the domain does not name is a 500, whose real error only
// the log sees. Errors Fiber raises itself, before any handler (a body over
// BodyLimit, an unknown route), keep their status.
func classify(err error) answer {
	a := answer{status: fiber.StatusInternalServerError}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		a.status = fe.Code
	}
	for _, k := range statusOfKind {
		if errors.Is(err, k.kind) {
			a.status = k.status
			break
		}
	}
	a.key = errorKey(a.status) + ".body"
	var invalid *domain.ValidationError
	var refusal *domain.Refusal
	var refused *domain.ImportError
	switch {
	case errors.As(err, &invalid):
		a.fields = invalid.Fields
	case errors.As(err, &refusal):
		if refusal.Key != "" {
			a.key, a.own = refusal.Key, true
		}
		a.fields = refusal.Fields
	case errors.As(err, &refused):
		a.rows = refused.Problems
		if a.status == fiber.StatusUnprocessableEntity {
			a.key, a.own = "import.refused", true
		}
	}
	return a
}

// handleError answers a handler's error: JSON for the API (and clients
// asking for JSON), {"error": "...", "fields": {...}}; an HTML page in the
// user's language otherwise; an anonymous page visitor goes to the login
// page. A user never sees err.Error(): a 500 is logged with it.
//
// Fiber also calls it for errors raised before any middleware ran (a body
// over BodyLimit → 413, a malformed request → 400): it must not rely on
// anything the middleware would have set.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	a := classify(err)
	if a.status >= 500 {
		s.log.Error("request failed", "request_id", c.Locals(requestIDKey), "path", c.Path(), "error", err)
	}
	setSecurityHeaders(c)
	c.Response().ResetBody()
	if a.status == fiber.StatusUnauthorized && !wantsJSON(c) {
		return c.Redirect(loginURL(c), fiber.StatusSeeOther)
	}
	if wantsJSON(c) {
		return c.Status(a.status).JSON(s.errorBody(c, a))
	}
	return s.renderError(c, a)
}

// errorBody is the JSON answer: a sentence in the user's language and, for
// invalid input, one per field (or per row of a refused file).
func (s *Server) errorBody(c *fiber.Ctx, a answer) fiber.Map {
	t := s.tr(c)
	body := fiber.Map{"error": t.T(a.key)}
	if len(a.fields) > 0 {
		body["fields"] = t.FieldProblems(a.fields)
	}
	if a.rows != nil {
		body["problems"] = translateImportProblems(t, a.rows)
	}
	return body
}

// renderError writes the error page; should that fail too, a one-line
// translated text.
func (s *Server) renderError(c *fiber.Ctx, a answer) error {
	p := s.page(c, "error")
	t := s.tr(c)
	p.Error = &ErrorInfo{
		Status:    a.status,
		TitleKey:  errorKey(a.status) + ".title",
		BodyKey:   a.key,
		RequestID: requestIDOf(c),
	}
	p.Title = p.T(p.Error.TitleKey)
	messages := t.FieldProblems(a.fields)
	fields := make([]string, 0, len(messages))
	for field := range messages {
		fields = append(fields, field)
	}
	sort.Strings(fields)
	for _, field := range fields {
		p.Error.Problems = append(p.Error.Problems, messages[field])
	}
	for _, problem := range translateImportProblems(t, a.rows) {
		p.Error.Problems = append(p.Error.Problems, problem.Message)
	}
	if renderErr := s.writePage(c, a.status, "pages/error", p); renderErr != nil {
		s.log.Error("error page failed", "request_id", c.Locals(requestIDKey), "error", renderErr)
		c.Response().ResetBody()
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(a.status).SendString(t.T(a.key))
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
