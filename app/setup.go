package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The first run: on a database with no account, `serve` makes a one-time
// secret (Config.SetupToken) and prints the link /setup?token=… in its
// log. Whoever opens it creates the first administrator, and is signed in.
// The secret lives only in this process's memory; it opens nothing once
// any account exists (created here, by `user add` or by `seed demo`), and a
// restart prints a new one. Until then, the home and login pages send
// visitors to /setup, which says where the link is.

// firstRun remembers that the setup is over, so that once an account
// exists no request asks the database again.
type firstRun struct {
	over atomic.Bool
}

// setupOpen reports whether the setup page may be used: this process has
// a secret and the database holds no account.
func (s *Server) setupOpen(ctx context.Context) (bool, error) {
	if s.cfg.SetupToken == "" || s.firstRun.over.Load() {
		return false, nil
	}
	exists, err := s.store.HasUsers(ctx)
	if err != nil {
		return false, err
	}
	if exists {
		s.firstRun.over.Store(true)
	}
	return !exists, nil
}

// validSetupToken compares in constant time: the secret is the only key.
func (s *Server) validSetupToken(token string) bool {
	return s.cfg.SetupToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.SetupToken)) == 1
}

// offerSetup sends visitors of the home and login pages to the setup page
// while there is no account: a newcomer who opens the address finds out
// what to do instead of a login form no account can pass.
func (s *Server) offerSetup(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet || (c.Path() != "/" && c.Path() != "/login") {
		return c.Next()
	}
	open, err := s.setupOpen(c.UserContext())
	if err != nil {
		return err
	}
	if !open {
		return c.Next()
	}
	return c.Redirect("/setup", fiber.StatusSeeOther)
}

// setupData is what the setup page needs besides its form.
type setupData struct {
	Valid   bool // the link's secret is right: show the form
	Invalid bool // a secret was given, and it is wrong
}

// setupPage shows the form that creates the first administrator, or, with
// no secret or a wrong one, where to find the link. Once an account exists
// it leads to the login page.
func (s *Server) setupPage(c *fiber.Ctx) error {
	open, err := s.setupOpen(c.UserContext())
	if err != nil {
		return err
	}
	if !open {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	token := c.Query("token")
	if !s.validSetupToken(token) {
		return s.setupRefused(c, token)
	}
	return s.renderForm(c, "setup", &setupData{Valid: true}, formOf(setupForm{Token: token}), nil)
}

// setupRefused explains where the link is: 200 for a visitor sent here
// with no secret, 403 for a wrong (or older, before a restart) one.
func (s *Server) setupRefused(c *fiber.Ctx, token string) error {
	status := fiber.StatusOK
	if token != "" {
		status = fiber.StatusForbidden
	}
	return s.renderPage(c, status, "setup", &setupData{Invalid: token != ""}, nil)
}

// setup creates the first administrator from the form, in the page's
// language, with the password policy of every account, and signs them in.
// A second submit (the double click), or an account made meanwhile, leads
// to the login page and changes nothing.
func (s *Server) setup(c *fiber.Ctx) error {
	open, err := s.setupOpen(c.UserContext())
	if err != nil {
		return err
	}
	if !open {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	var f setupForm
	form := readForm(c, &f)
	if !s.validSetupToken(f.Token) {
		return s.setupRefused(c, f.Token)
	}
	data := &setupData{Valid: true}
	if f.Password != f.PasswordConfirm {
		return s.renderForm(c, "setup", data, form, domain.Invalid("password_confirm", "setup.passwords_differ"))
	}
	u := f.admin(s.tr(c).Lang)
	err = s.store.CreateFirstAdmin(c.UserContext(), u, f.Password)
	if errors.Is(err, repository.ErrAccountsExist) {
		s.firstRun.over.Store(true)
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	if err != nil {
		return s.renderForm(c, "setup", data, form, err)
	}
	s.firstRun.over.Store(true)
	// The flash goes into the session before it is renewed for the new
	// admin: startSession keeps its data under the new id.
	if err := s.setFlash(c, "success", "setup.done"); err != nil {
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.setLanguageCookie(c, u.Language)
	return c.Redirect("/", fiber.StatusSeeOther)
}
