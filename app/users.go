package app

import (
	"strconv"

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
	form := formOf(newUserForm{Role: domain.RoleTrainer, Language: domain.Languages[0]})
	return s.renderForm(c, "users/new", domain.Roles, form, nil)
}

// createUser adds a user with the password the admin chose (the policy
// applies), recorded in the audit log as the admin's doing.
func (s *Server) createUser(c *fiber.Ctx) error {
	var f newUserForm
	form := readForm(c, &f)
	if err := s.store.CreateUser(c.UserContext(), f.user(), f.Password, actor(c)); err != nil {
		return s.renderFormAgain(c, "users/new", form, err, func() (any, error) { return domain.Roles, nil })
	}
	return s.redirectWithFlash(c, "/users", "flash.user_created")
}

// userPage shows one user with the forms that change them.
func (s *Server) userPage(c *fiber.Ctx) error {
	data, err := s.userPageData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "users/edit", data, formOf(userRoleForm{Role: data.Subject.Role}), nil)
}

func (s *Server) userPageData(c *fiber.Ctx) (*userPageData, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, err
	}
	u, err := s.store.User(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	return &userPageData{Subject: u, Roles: domain.Roles, Self: u.ID == currentUser(c).ID}, nil
}

// changeUserRole gives a user another role; the last active admin keeps theirs.
func (s *Server) changeUserRole(c *fiber.Ctx) error {
	var f userRoleForm
	form := readForm(c, &f)
	return s.changeUser(c, form, "flash.user_role_changed", func(id int64) error {
		return s.store.SetUserRole(c.UserContext(), id, f.Role, actor(c))
	})
}

// resetUserPassword sets a new password chosen by the admin; the user's
// open sessions end.
func (s *Server) resetUserPassword(c *fiber.Ctx) error {
	var f userPasswordForm
	form := readForm(c, &f)
	return s.changeUser(c, form, "flash.user_password_reset", func(id int64) error {
		return s.store.SetUserPassword(c.UserContext(), id, f.Password, actor(c))
	})
}

// setUserActive deactivates or reactivates a user ("active" = "true" or "false").
func (s *Server) setUserActive(c *fiber.Ctx) error {
	var f userActiveForm
	form := readForm(c, &f)
	flash := "flash.user_deactivated"
	if f.Active {
		flash = "flash.user_activated"
	}
	return s.changeUser(c, form, flash, func(id int64) error {
		return s.store.SetUserActive(c.UserContext(), id, f.Active, actor(c))
	})
}

// changeUser runs one of the user page's actions on the user of the path:
// on success back to the page with a flash message, on invalid input the
// page again (loaded only then) with the message next to the field.
func (s *Server) changeUser(c *fiber.Ctx, form *Form, flash string, change func(id int64) error) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := change(id); err != nil {
		return s.renderFormAgain(c, "users/edit", form, err, func() (any, error) { return s.userPageData(c) })
	}
	return s.redirectWithFlash(c, "/users/"+strconv.FormatInt(id, 10), flash)
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
