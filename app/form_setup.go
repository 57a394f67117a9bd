package app

import "takaffoul/domain"

// setupForm is the first run's form that creates the first administrator
// (views/pages/setup.html); the token is the link's one-time secret.
type setupForm struct {
	Token           string `form:"token"`
	Name            string `form:"name"`
	Email           string `form:"email"`
	Password        string `form:"password,secret"`
	PasswordConfirm string `form:"password_confirm,secret"`
}

// admin is the account the form describes, in the page's language.
func (f *setupForm) admin(language string) *domain.User {
	return &domain.User{Email: f.Email, Name: f.Name, Language: language}
}

// loginForm is the login form (views/pages/login.html): next is the page
// to go back to afterwards.
type loginForm struct {
	Next     string `form:"next"`
	Email    string `form:"email"`
	Password string `form:"password,secret"`
}
