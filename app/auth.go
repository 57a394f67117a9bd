package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/gofiber/fiber/v2/utils"

	"takaffoul/domain"
)

const (
	sessionCookie = "takaffoul_session"
	csrfCookie    = "takaffoul_csrf"
	// CSRFField is the hidden form field that carries the CSRF token.
	CSRFField = "_csrf"
	// CSRFHeader carries the token for scripts of progressive enhancement
	// (read it from <meta name="csrf-token">).
	CSRFHeader = "X-CSRF-Token"

	// sessionLifetime is how long a session lives without a request: each
	// request extends it.
	sessionLifetime = 8 * time.Hour
	// sessionMaxAge is how long a session lives at most, however busy:
	// a stolen cookie stops working within a day.
	sessionMaxAge = 24 * time.Hour

	// Session keys.
	sessionUserID      = "uid"
	sessionFingerprint = "pwv" // which password hash the session was opened with
	sessionFlash       = "flash"
	sessionStarted     = "since" // Unix time of the login
	csrfSessionKey     = "csrf"

	// c.Locals keys.
	userKey      = "user"    // *domain.User of the request, when signed in
	authByKey    = "auth_by" // "session" or "token"
	csrfTokenKey = "csrf"    // the CSRF token to put in forms
	flashKey     = "flash"   // a flash message waiting in the session
	authBySess   = "session"
	authByToken  = "token"
)

// errUnauthenticated: no valid session or token. Pages redirect to the
// login page; the API answers 401.
var errUnauthenticated = domain.ErrUnauthenticated

// errCSRF: a state-changing request without the right CSRF token: 403
// saying the form expired.
var errCSRF = domain.Refuse(domain.ErrForbidden, "error.csrf")

// newSessions is the session store over PostgreSQL (repository.SessionStorage).
func (s *Server) newSessions(storage fiber.Storage) *session.Store {
	return session.New(session.Config{
		Storage:        storage,
		Expiration:     sessionLifetime,
		KeyLookup:      "cookie:" + sessionCookie,
		CookieHTTPOnly: true,
		CookieSecure:   s.cfg.CookieSecure,
		CookieSameSite: fiber.CookieSameSiteLaxMode,
		CookiePath:     "/",
		KeyGenerator:   utils.UUIDv4, // 122 random bits from crypto/rand
	})
}

// csrfProtection is fiber's CSRF middleware bound to the session: the token
// is kept in the session and must come back in the "_csrf" form field (or
// the X-CSRF-Token header) and in the CSRF cookie. Requests that carry an
// API token are exempt: a browser never adds that header on its own.
func (s *Server) csrfProtection() fiber.Handler {
	return csrf.New(csrf.Config{
		Next:           hasBearerToken,
		Session:        s.sessions,
		SessionKey:     csrfSessionKey,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.cfg.CookieSecure,
		CookieSameSite: fiber.CookieSameSiteLaxMode,
		Expiration:     sessionLifetime,
		ContextKey:     csrfTokenKey,
		Extractor:      csrfFromFormOrHeader,
		ErrorHandler:   s.csrfRefused,
	})
}

// csrfRefused answers a failed CSRF check: "forbidden", unless the session
// holding the token could not be read in time, or its token could not be
// saved when it was handed out (fiber's middleware cannot tell these from a
// forged request): then the database was unavailable, 503, try again.
func (s *Server) csrfRefused(c *fiber.Ctx, _ error) error {
	if id := c.Cookies(sessionCookie); id != "" && s.sessionStorage.FailedRecently(id) {
		return domain.ErrUnavailable
	}
	return errCSRF
}

func csrfFromFormOrHeader(c *fiber.Ctx) (string, error) {
	if token := c.Get(CSRFHeader); token != "" {
		return token, nil
	}
	if token := c.FormValue(CSRFField); token != "" {
		return token, nil
	}
	return "", csrf.ErrTokenNotFound
}

func hasBearerToken(c *fiber.Ctx) bool {
	return c.Get(fiber.HeaderAuthorization) != ""
}

// authenticate finds who makes the request: the API token in the
// Authorization header, else the session. The user is loaded afresh on each
// request, so that a deactivation, a role change or a password reset takes
// effect at once. A session whose user is gone or inactive, whose password
// changed, or older than sessionMaxAge is destroyed: the request continues
// as anonymous.
func (s *Server) authenticate(c *fiber.Ctx) error {
	if header := c.Get(fiber.HeaderAuthorization); header != "" {
		return s.authenticateToken(c, header)
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	if _, waiting := sess.Get(sessionFlash).(string); waiting {
		c.Locals(flashKey, true)
	}
	id, ok := sess.Get(sessionUserID).(int64)
	if !ok {
		return c.Next()
	}
	u, err := s.store.User(c.UserContext(), id)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	started, _ := sess.Get(sessionStarted).(int64)
	tooOld := time.Since(time.Unix(started, 0)) > sessionMaxAge
	if u == nil || !u.Active || tooOld || sess.Get(sessionFingerprint) != passwordFingerprint(u) {
		if err := sess.Destroy(); err != nil {
			return fmt.Errorf("end stale session: %w", err)
		}
		return c.Next()
	}
	c.Locals(userKey, u)
	c.Locals(authByKey, authBySess)
	return c.Next()
}

func (s *Server) authenticateToken(c *fiber.Ctx, header string) error {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return errUnauthenticated
	}
	u, err := s.store.UserByAPIToken(c.UserContext(), strings.TrimSpace(token))
	if errors.Is(err, domain.ErrNotFound) {
		return errUnauthenticated
	}
	if err != nil {
		return err
	}
	s.tokens.remember(sha256.Sum256([]byte(strings.TrimSpace(token))), u, time.Now()) // for the enrolment API (token_cache.go)
	c.Locals(userKey, u)
	c.Locals(authByKey, authByToken)
	return c.Next()
}

// passwordFingerprint ties a session to the password it was opened with:
// resetting the password ends every other session of the user.
func passwordFingerprint(u *domain.User) string {
	sum := sha256.Sum256([]byte(u.PasswordHash))
	return hex.EncodeToString(sum[:8])
}

// publicRoutes are the routes an anonymous visitor may use (besides the
// health endpoints and /static/, which are registered before any session
// middleware). Every other route requires a signed-in user, so a route
// added without thinking about access is at least closed to strangers.
var publicRoutes = map[string]bool{
	"GET /login":     true,
	"HEAD /login":    true,
	"POST /login":    true,
	"POST /language": true,
	"GET /setup":     true, // the first run (setup.go)
	"HEAD /setup":    true,
	"POST /setup":    true,
}

// requireSignIn refuses anonymous requests outside publicRoutes.
func (s *Server) requireSignIn(c *fiber.Ctx) error {
	if currentUser(c) != nil || s.openRoutes[c.Method()+" "+c.Path()] || isVerifyPath(c) {
		return c.Next()
	}
	return errUnauthenticated
}

// currentUser is the signed-in user of the request, or nil.
func currentUser(c *fiber.Ctx) *domain.User {
	u, _ := c.Locals(userKey).(*domain.User)
	return u
}

// csrfToken is the token to put in the request's forms ("" when the request
// did not pass through the CSRF middleware, e.g. an error before it).
func csrfToken(c *fiber.Ctx) string {
	t, _ := c.Locals(csrfTokenKey).(string)
	return t
}

// maxRedirectLength is the longest ?next= kept: no page of ours has a longer URL.
const maxRedirectLength = 4096

// safeRedirectPath returns next when it is a path on this site
// ("/users?page=2"), else "/": ?next= and the language switch's "next" field
// must never send a user to another site. See isLocalPath.
func safeRedirectPath(next string) string {
	if !isLocalPath(next) {
		return "/"
	}
	return next
}

// isLocalPath reports whether next, put in a Location header, keeps the
// browser on this site. Browsers forgive a lot: Chromium drops tabs and
// newlines anywhere in a URL ("/\t/evil.example" becomes "//evil.example",
// another host), reads "\" as "/", and proxies may decode %2F or %5C once
// more. So next must start with a single "/", parse (net/url) with no scheme
// or host, and neither as written nor decoded (repeatedly) hold a backslash,
// a control or invisible character, a leading "//" or a "." or ".." segment.
func isLocalPath(next string) bool {
	if next == "" || len(next) > maxRedirectLength || next[0] != '/' || strings.HasPrefix(next, "//") {
		return false
	}
	for _, r := range next {
		if r <= ' ' || unsafeInURL(r) { // raw, not even a space is expected
			return false
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	decoded, ok := decodings(next)
	if !ok {
		return false
	}
	for _, d := range decoded {
		if strings.HasPrefix(d, "//") || strings.ContainsFunc(d, unsafeInURL) {
			return false
		}
	}
	paths, ok := decodings(u.EscapedPath())
	if !ok {
		return false
	}
	for _, p := range paths {
		for _, segment := range strings.Split(p, "/") {
			if segment == "." || segment == ".." {
				return false
			}
		}
	}
	return true
}

// unsafeInURL: a backslash, a control character (C0, DEL, C1), or one that
// is invisible or prints as something else (bidi controls, zero-width and
// non-ASCII spaces); broken UTF-8 decodes to U+FFFD and is refused too.
func unsafeInURL(r rune) bool {
	return r == '\\' || r == utf8.RuneError || unicode.IsControl(r) || (r != ' ' && !unicode.IsPrint(r))
}

// decodings is s followed by each percent-decoding of it until nothing is
// left to decode ("%252F" → "%2F" → "/"); ok is false for a broken escape
// or a value encoded more than three times over, which no page of ours makes.
func decodings(s string) (forms []string, ok bool) {
	forms = []string{s}
	for range 4 {
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		if d == s {
			return forms, true
		}
		forms, s = append(forms, d), d
	}
	return nil, false
}
