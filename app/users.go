package app

import (
	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// usersList is the data of pages/users/list.
type usersList struct {
	Users []domain.User
}

// userPageData is the data of pages/users/edit.
type userPageData struct {
	Subject *domain.User // the user being managed
	Roles   []domain.Role
	Self    bool // the admin is looking at their own account
}

// listUsers shows every user to an admin.
func (s *Server) listUsers(c *fiber.Ctx) error {
	users, err := s.store.Users(c.UserContext(), repository.Page{Limit: repository.MaxRows})
	if err != nil {
		return err
	}
	return s.render(c, "users/list", usersList{Users: users})
}

// newUserPage shows the form to add a user.
func (s *Server) newUserPage(c *fiber.Ctx) error {
	form := NewForm(map[string]string{"role": string(domain.RoleTrainer), "language": "ar"})
	return s.renderForm(c, "users/new", domain.Roles, form, nil)
}

// createUser adds a user with the password the admin chose (the policy
// applies), recorded in the audit log as the admin's doing.
func (s *Server) createUser(c *fiber.Ctx) error {
	language := c.FormValue("language")
	if !domain.ValidLanguage(language) {
		language = "ar"
	}
	u := &domain.User{Email: c.FormValue("email"), Name: c.FormValue("name"),
		Role: domain.Role(c.FormValue("role")), Language: language}
	err := s.store.CreateUser(c.UserContext(), u, c.FormValue("password"), actor(c))
	if err != nil {
		form := NewForm(map[string]string{"email": c.FormValue("email"), "name": c.FormValue("name"),
			"role": c.FormValue("role"), "language": language})
		return s.renderForm(c, "users/new", domain.Roles, form, err)
	}
	return s.redirectWithFlash(c, "/users", "flash.user_created")
}

// userPage shows one user with the forms that change them.
func (s *Server) userPage(c *fiber.Ctx) error {
	data, err := s.userPageData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "users/edit", data, NewForm(map[string]string{"role": string(data.Subject.Role)}), nil)
}

func (s *Server) userPageData(c *fiber.Ctx) (*userPageData, error) {
	id, err := c.ParamsInt("id")
	if err != nil {
		return nil, domain.ErrNotFound
	}
	u, err := s.store.User(c.UserContext(), int64(id))
	if err != nil {
		return nil, err
	}
	return &userPageData{Subject: u, Roles: domain.Roles, Self: u.ID == currentUser(c).ID}, nil
}

// changeUserRole gives a user another role; the last active admin keeps theirs.
func (s *Server) changeUserRole(c *fiber.Ctx) error {
	return s.changeUser(c, "flash.user_role_changed", func(data *userPageData) error {
		return s.store.SetUserRole(c.UserContext(), data.Subject.ID, domain.Role(c.FormValue("role")), actor(c))
	})
}

// resetUserPassword sets a new password chosen by the admin; the user's
// open sessions end.
func (s *Server) resetUserPassword(c *fiber.Ctx) error {
	return s.changeUser(c, "flash.user_password_reset", func(data *userPageData) error {
		return s.store.SetUserPassword(c.UserContext(), data.Subject.ID, c.FormValue("password"), actor(c))
	})
}

// setUserActive deactivates or reactivates a user ("active" = "true" or "false").
func (s *Server) setUserActive(c *fiber.Ctx) error {
	active := c.FormValue("active") == "true"
	flash := "flash.user_deactivated"
	if active {
		flash = "flash.user_activated"
	}
	return s.changeUser(c, flash, func(data *userPageData) error {
		return s.store.SetUserActive(c.UserContext(), data.Subject.ID, active, actor(c))
	})
}

// changeUser runs one of the user page's actions: on success back to the
// page with a flash message, on invalid input the page again with the
// message next to the field.
func (s *Server) changeUser(c *fiber.Ctx, flash string, change func(*userPageData) error) error {
	data, err := s.userPageData(c)
	if err != nil {
		return err
	}
	if err := change(data); err != nil {
		form := NewForm(map[string]string{"role": c.FormValue("role", string(data.Subject.Role))})
		return s.renderForm(c, "users/edit", data, form, err)
	}
	return s.redirectWithFlash(c, "/users/"+c.Params("id"), flash)
}

// redirectWithFlash answers a successful POST: a redirect (so that reloading
// does not post again) and a message shown once on the next page.
func (s *Server) redirectWithFlash(c *fiber.Ctx, to, key string) error {
	if err := s.setFlash(c, "success", key); err != nil {
		return err
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// apiUsers answers GET /api/users?limit=&offset=: the users, for admins'
// scripts.
func (s *Server) apiUsers(c *fiber.Ctx) error {
	page, err := pageOf(c, repository.DefaultPage, repository.DefaultPage)
	if err != nil {
		return err
	}
	users, err := s.store.Users(c.UserContext(), page.ask())
	if err != nil {
		return err
	}
	return sendList(c, page, users)
}
