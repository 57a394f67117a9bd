package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// The error handler: JSON for the API and for clients asking for JSON, a
// page otherwise; translated; never the error's own text.
func TestErrorHandler(t *testing.T) {
	store := dbtest.Store(t)
	var logged strings.Builder
	_, web, err := newServer(Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	invalid := &domain.ValidationError{Fields: map[string]domain.Problem{
		"email": {Key: "validation.required"},
		"name":  {Key: "validation.max", Param: "200"},
	}}
	errorsByPath := map[string]error{
		"/login/x/invalid":  invalid,
		"/login/x/secret":   errors.New("pq: password authentication failed for user secret_admin"),
		"/login/x/down":     fmt.Errorf("load: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}),
		"/login/x/conflict": &repository.ConflictError{Constraint: "users_email_key", Field: "email", Key: "user.email_taken"},
	}
	for path, e := range errorsByPath {
		e := e
		web.Get(path, func(*fiber.Ctx) error { return e })
	}
	// These test routes are not public: sign in through a token.
	u := &domain.User{Email: "admin@example.ma", Name: "Admin", Role: domain.RoleAdmin}
	if err := store.CreateUser(t.Context(), u, "a-long-password"); err != nil {
		t.Fatal(err)
	}
	if err := store.SetUserLanguage(t.Context(), u.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateAPIToken(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string, string) {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := web.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}

	status, ctype, body := get("/login/x/invalid")
	var answer struct {
		Error  string            `json:"error"`
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil || status != 422 || !strings.HasPrefix(ctype, "application/json") {
		t.Fatalf("validation: %d %s %s", status, ctype, body)
	}
	if answer.Error != "Certains champs ne sont pas valides." ||
		answer.Fields["email"] != "Le champ « Adresse e-mail » est obligatoire." ||
		answer.Fields["name"] != "Le champ « Nom complet » doit faire au plus 200 caractères." {
		t.Fatalf("validation answer: %+v", answer)
	}

	status, _, body = get("/login/x/conflict")
	if status != 409 || !strings.Contains(body, "Un utilisateur avec cette adresse e-mail existe déjà.") {
		t.Fatalf("conflict: %d %s", status, body)
	}

	status, _, body = get("/login/x/secret")
	if status != 500 || strings.Contains(body, "secret_admin") || !strings.Contains(body, "Une erreur inattendue") {
		t.Fatalf("internal error: %d %s", status, body)
	}
	if !strings.Contains(logged.String(), "secret_admin") {
		t.Fatal("the real error must be in the log")
	}

	status, _, body = get("/login/x/down")
	if status != 503 || strings.Contains(body, "connection refused") {
		t.Fatalf("database down: %d %s", status, body)
	}
}

// A page request gets the same answer as a page: translated, with the
// field messages listed.
func TestErrorPageForValidation(t *testing.T) {
	store := dbtest.Store(t)
	_, web, err := newServer(Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	publicRoutes["GET /login/x/page"] = true
	t.Cleanup(func() { delete(publicRoutes, "GET /login/x/page") })
	web.Get("/login/x/page", func(*fiber.Ctx) error { return domain.Invalid("birth_year", "trainee.birth_year_future") })
	req := httptest.NewRequest("GET", "/login/x/page", nil)
	req.Header.Set("Cookie", "lang=en")
	resp, err := web.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 422 || !strings.Contains(string(body), "The birth year cannot be in the future.") ||
		!strings.Contains(string(body), `<html lang="en" dir="ltr">`) {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
}
