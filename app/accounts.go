package app

import (
	"context"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Longest e-mail address and password a login form accepts: anything longer
// is refused with a message before any work is done.
const (
	maxEmailLength    = 254
	maxPasswordLength = 1024
)

// loginPage shows the login form; a signed-in user goes home.
func (s *Server) loginPage(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect(safeRedirectPath(c.Query("next")), fiber.StatusSeeOther)
	}
	return s.renderForm(c, "login", nil, formOf(loginForm{Next: safeRedirectPath(c.Query("next"))}), nil)
}

// login checks the e-mail address and password. Unknown address, wrong
// password and deactivated account get the same message after the same
// bcrypt work. Before any of that work, the attempt must pass the gate that
// bounds concurrent password checks (503 when the server is busy) and be
// counted by the login limits (429, with the wait, when they refuse): see
// checkLogin and docs/SECURITY.md, "Login limits".
func (s *Server) login(c *fiber.Ctx) error {
	var f loginForm
	form := readForm(c, &f)
	email, password := f.Email, f.Password
	if err := checkLoginInput(email, password); err != nil {
		return s.renderForm(c, "login", nil, form, err)
	}
	ip := clientIP(c)
	verdict, err := s.checkLogin(c.UserContext(), email, password, domain.LoginAddress(ip))
	if err != nil {
		return err
	}
	t := s.tr(c)
	switch {
	case verdict.busy:
		form.Message = t.T("auth.busy")
		return s.refuseLogin(c, fiber.StatusServiceUnavailable, loginBusyRetry, form)
	case verdict.wait > 0:
		s.audit(c, repository.AuditEntry{Action: "login.throttled", Entity: "user", After: map[string]any{"ip": ip}})
		form.Message = t.T("auth.throttled", "Wait", waitText(t, verdict.wait))
		return s.refuseLogin(c, fiber.StatusTooManyRequests, verdict.wait, form)
	case !verdict.ok:
		s.audit(c, failedLogin(verdict.user, ip))
		form.Message = t.T("auth.invalid_credentials")
		return s.renderPage(c, fiber.StatusUnauthorized, "login", nil, form)
	}
	u := verdict.user
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.audit(c, repository.AuditEntry{ActorID: &u.ID, Action: "login.success", Entity: "user", EntityID: &u.ID,
		After: map[string]any{"ip": ip}})
	s.setLanguageCookie(c, u.Language)
	return c.Redirect(safeRedirectPath(f.Next), fiber.StatusSeeOther)
}

// loginVerdict is what checkLogin decided.
type loginVerdict struct {
	busy bool          // no password check could start in time: nothing was counted
	wait time.Duration // the login limits refuse for this long: nothing was checked
	ok   bool          // the password opens user's account
	user *domain.User  // the account of the e-mail address, when there is one
}

// How long a login waits for a free password check before the server
// answers that it is busy, and how long it then asks the browser to wait.
const (
	loginQueueWait = time.Second
	loginBusyRetry = 2 * time.Second
)

// checkLogin runs one login attempt, in this order: a place among the
// password checks allowed at once (the gate), the attempt counted by the
// limits (ReserveLogin), only then bcrypt, and the outcome recorded.
func (s *Server) checkLogin(ctx context.Context, email, password, address string) (loginVerdict, error) {
	if !s.loginGate.enter(ctx, loginQueueWait) {
		return loginVerdict{busy: true}, nil
	}
	defer s.loginGate.leave()
	attempt, wait, err := s.store.ReserveLogin(ctx, email, address)
	if err != nil || wait > 0 {
		return loginVerdict{wait: wait}, err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return loginVerdict{}, err
	}
	ok := s.checkPassword(u, password)
	if err := s.store.FinishLogin(ctx, attempt, ok); err != nil {
		return loginVerdict{}, err
	}
	return loginVerdict{ok: ok, user: u}, nil
}

// refuseLogin shows the login form again with form.Message, telling the
// browser (Retry-After) when to try again.
func (s *Server) refuseLogin(c *fiber.Ctx, status int, retry time.Duration, form *Form) error {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(retry.Round(time.Second)/time.Second)))
	return s.renderPage(c, status, "login", nil, form)
}

// waitText is a wait in words: seconds under a minute, else minutes rounded up.
func waitText(t *Translator, wait time.Duration) string {
	if wait < time.Minute {
		return t.N("auth.wait_seconds", int((wait+time.Second-1)/time.Second))
	}
	return t.N("auth.wait_minutes", int((wait+time.Minute-1)/time.Minute))
}

// passwordGate bounds how many password checks run at once. bcrypt costs a
// core for ~70 ms: a hundred logins at once used to take every core and
// make every other page time out. A login that finds no free place within
// its wait is answered "busy" (503) without any bcrypt or database work.
type passwordGate chan struct{}

func newPasswordGate(size int) passwordGate { return make(passwordGate, size) }

// enter takes a place, waiting at most wait (or until ctx ends); false: none.
func (g passwordGate) enter(ctx context.Context, wait time.Duration) bool {
	select {
	case g <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case g <- struct{}{}:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// leave gives the place back.
func (g passwordGate) leave() { <-g }

func checkLoginInput(email, password string) error {
	p := domain.Problems{}
	switch {
	case email == "":
		p.Add("email", "validation.required")
	case utf8.RuneCountInString(email) > maxEmailLength:
		p.AddParam("email", "validation.max", "254")
	}
	switch {
	case password == "":
		p.Add("password", "validation.required")
	case len(password) > maxPasswordLength:
		p.AddParam("password", "validation.max", "1024")
	}
	return p.Err()
}

// failedLogin is the audit entry of a refused login: the account when it
// exists, never the password or the address typed.
func failedLogin(u *domain.User, ip string) repository.AuditEntry {
	e := repository.AuditEntry{Action: "login.failure", Entity: "user", After: map[string]any{"ip": ip}}
	if u != nil {
		e.EntityID = &u.ID
	}
	return e
}

// startSession signs u in: the session gets a new id (an id planted before
// login is worthless after it) and a new CSRF token on the next page. The
// stored session names its user, so that a password reset or a deactivation
// can delete it.
func (s *Server) startSession(c *fiber.Ctx, u *domain.User) error {
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	if err := sess.Regenerate(); err != nil {
		return err
	}
	sess.Delete(csrfSessionKey)
	sess.Set(sessionUserID, u.ID)
	sess.Set(sessionFingerprint, passwordFingerprint(u))
	sess.Set(sessionStarted, time.Now().Unix())
	id := sess.ID()
	if err := sess.Save(); err != nil {
		return err
	}
	return s.store.SetSessionUser(c.UserContext(), id, u.ID)
}

// logout ends the session on the server: the old cookie opens nothing.
func (s *Server) logout(c *fiber.Ctx) error {
	u := currentUser(c)
	if c.Locals(authByKey) == authBySess {
		sess, err := s.sessions.Get(c)
		if err != nil {
			return err
		}
		if err := sess.Destroy(); err != nil {
			return err
		}
		c.ClearCookie(csrfCookie)
		// What the trainer's app kept on this device (docs/OFFLINE.md): its
		// IndexedDB, its caches, its service worker. offline.js empties them
		// too, after sending what it can; this works without it.
		c.Set("Clear-Site-Data", `"cache", "storage"`)
		s.audit(c, repository.AuditEntry{ActorID: &u.ID, Action: "logout", Entity: "user", EntityID: &u.ID})
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// switchLanguage remembers the chosen language in a cookie and, for a
// signed-in user, in their account, then goes back to the page.
func (s *Server) switchLanguage(c *fiber.Ctx) error {
	lang := c.FormValue("lang")
	if domain.ValidLanguage(lang) {
		s.setLanguageCookie(c, lang)
		if u := currentUser(c); u != nil {
			if err := s.store.SetUserLanguage(c.UserContext(), u.ID, lang); err != nil {
				return err
			}
		}
	}
	return c.Redirect(safeRedirectPath(c.FormValue("next")), fiber.StatusSeeOther)
}

func (s *Server) setLanguageCookie(c *fiber.Ctx, lang string) {
	c.Cookie(&fiber.Cookie{
		Name: langCookie, Value: lang, Path: "/", Expires: time.Now().AddDate(1, 0, 0),
		HTTPOnly: true, Secure: s.cfg.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// home is the landing page after login; what it offers depends on the
// role: a trainer's day (today's sessions, the week, their courses'
// progress), links to their work for the other roles.
func (s *Server) home(c *fiber.Ctx) error {
	u := currentUser(c)
	if u.Role != domain.RoleTrainer {
		return s.render(c, "home", nil)
	}
	scope, err := s.scope(c)
	if err != nil {
		return err
	}
	week := domain.WeekOf(time.Now())
	agenda, err := s.store.TrainerAgenda(c.UserContext(), scope, week)
	if err != nil {
		return err
	}
	return s.render(c, "home", newTrainerHome(agenda, week))
}

// apiMe answers who the token (or session) belongs to: a script's first check.
func (s *Server) apiMe(c *fiber.Ctx) error {
	u := currentUser(c)
	return c.JSON(fiber.Map{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role, "language": u.Language})
}

// audit writes an audit entry for an event that changes nothing else (a
// login, a logout). Failing to write it does not fail the request: it is
// logged, without personal data.
func (s *Server) audit(c *fiber.Ctx, e repository.AuditEntry) {
	if err := s.store.Audit(c.UserContext(), e); err != nil {
		s.log.Error("audit entry not written", "request_id", c.Locals(requestIDKey), "action", e.Action, "error", err)
	}
}

// clientIP is the client's address (from X-Forwarded-For when the request
// comes through a trusted proxy), as login throttling counts it.
func clientIP(c *fiber.Ctx) string {
	ip := c.IP()
	if len(ip) > 64 {
		ip = ip[:64]
	}
	return ip
}
