package app

import "takaffoul/domain"

// newUserForm is the form that adds a user (views/pages/users/new.html).
type newUserForm struct {
	Name     string      `form:"name"`
	Email    string      `form:"email"`
	Role     domain.Role `form:"role"`
	Language string      `form:"language"`
	Password string      `form:"password,secret"`
}

// user is the account the form describes; a language we do not speak is Arabic.
func (f *newUserForm) user() *domain.User {
	language := f.Language
	if !domain.ValidLanguage(language) {
		language = domain.Languages[0]
	}
	return &domain.User{Email: f.Email, Name: f.Name, Role: f.Role, Language: language}
}

// The forms of a user's page (views/pages/users/edit.html), one per action.
type (
	// userRoleForm gives the user another role.
	userRoleForm struct {
		Role domain.Role `form:"role"`
	}
	// userPasswordForm sets a new password chosen by the admin.
	userPasswordForm struct {
		Password string `form:"password,secret"`
	}
	// userActiveForm deactivates ("false") or reactivates ("true") the user.
	userActiveForm struct {
		Active bool `form:"active"`
	}
)
