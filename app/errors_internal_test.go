package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository/dbtest"
)

// The error handler: JSON for the API and for clients asking for JSON, a
// page otherwise; translated; never the error's own text.
func TestErrorHandler(t *testing.T) {
	t.Parallel()
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
		"/login/x/invalid": invalid,
		"/login/x/secret":  errors.New("pq: password authentication failed for user secret_admin"),
		// What the store returns for a database it cannot reach (its mapping of
		// driver errors is tested in repository, TestUnreachableErrorsAreUnavailable).
		"/login/x/down": fmt.Errorf("load: %w: %w", domain.ErrUnavailable,
			&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}),
		"/login/x/conflict": &domain.Refusal{Kind: domain.ErrConflict,
			Fields: map[string]domain.Problem{"email": {Key: "user.email_taken"}}, Cause: errors.New("pq: duplicate key")},
	}
	for path, e := range errorsByPath {
		e := e
		web.Get(path, func(*fiber.Ctx) error { return e })
	}
	// These test routes are not public: sign in through a token.
	u := &domain.User{Email: "admin@example.ma", Name: "Admin", Role: domain.RoleAdmin}
	if err := store.CreateUser(t.Context(), u, "a-long-password", nil); err != nil {
		t.Fatal(err)
	}
	if err := store.SetUserLanguage(t.Context(), u.ID, "fr"); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateAPIToken(t.Context(), u.ID, nil)
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
	t.Parallel()
	store := dbtest.Store(t)
	s, web, err := newServer(Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.openRoutes["GET /login/x/page"] = true
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

// One classification answers pages, forms and JSON alike: for every kind
// of error the same status and the same sentence, whichever asked; a form
// shows what the error says about its fields (or its own sentence) next to
// what was entered, and leaves anything else to the error page.
func TestOneAnswerForPagesFormsAndJSON(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	s, web, err := newServer(Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	fr := newTranslator(s.messages, "fr", s.log)
	cases := []struct {
		name   string
		err    error
		status int
		key    string
		field  string // the field the form shows a message next to ("" for none)
		inForm bool   // the form is shown again (else the error page)
	}{
		{"invalid", domain.Invalid("email", "validation.required"), 422, "error.422.body", "email", true},
		{"conflict on a field", &domain.Refusal{Kind: domain.ErrConflict,
			Fields: map[string]domain.Problem{"email": {Key: "user.email_taken"}}}, 409, "error.409.body", "email", true},
		{"conflict", fmt.Errorf("x: %w", domain.ErrConflict), 409, "error.409.body", "", false},
		{"not found", fmt.Errorf("x: %w", domain.ErrNotFound), 404, "error.404.body", "", false},
		{"forbidden", domain.ErrForbidden, 403, "error.403.body", "", false},
		{"forbidden, saying what to do", fmt.Errorf("x: %w", domain.Refuse(domain.ErrForbidden, "people.ask_coordinator")),
			403, "people.ask_coordinator", "", true},
		{"busy", domain.Refuse(domain.ErrBusy, "import.busy"), 429, "import.busy", "", true},
		{"refused file", &domain.ImportError{Problems: []domain.ImportProblem{{Row: 2, Column: "sex", Key: "import.sex_unknown"}}},
			422, "import.refused", "", true},
		{"file over a limit", &domain.ImportError{Problems: []domain.ImportProblem{{Key: "import.too_many_columns", Param: "200"}}},
			413, "error.413.body", "", false},
		{"database unreachable", fmt.Errorf("x: %w: %w", domain.ErrUnavailable, errors.New("dial tcp: refused")), 503, "error.503.body", "", false},
		{"malformed", errMalformedJSON, 400, "error.400.body", "", false},
		{"not signed in", errUnauthenticated, 401, "error.401.body", "", false},
		{"anything else", errors.New("pq: something internal"), 500, "error.500.body", "", false},
	}
	for i, c := range cases {
		path := fmt.Sprintf("/login/x/%d", i)
		for _, suffix := range []string{"", "/form"} {
			s.openRoutes["GET "+path+suffix] = true
		}
		web.Get(path, func(*fiber.Ctx) error { return c.err })
		web.Get(path+"/form", func(ctx *fiber.Ctx) error {
			return s.renderForm(ctx, "login", nil, NewForm(map[string]string{"email": "typed@example.ma"}), c.err)
		})
	}
	get := func(path, accept string) (int, string) {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Cookie", "lang=fr")
		req.Header.Set("Accept", accept)
		resp, err := web.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for i, c := range cases {
		path := fmt.Sprintf("/login/x/%d", i)
		sentence := fr.T(c.key)
		if c.status == 401 {
			if status, _ := get(path, "text/html"); status != 303 {
				t.Errorf("%s: a page sends an anonymous visitor to log in, got %d", c.name, status)
			}
		} else if status, body := get(path, "text/html"); status != c.status || !strings.Contains(body, htmlEscape(sentence)) {
			t.Errorf("%s, page: want %d saying %q, got %d %.300s", c.name, c.status, sentence, status, body)
		}
		status, body := get(path, "application/json")
		var answer struct {
			Error    string            `json:"error"`
			Fields   map[string]string `json:"fields"`
			Problems []importProblem   `json:"problems"`
		}
		if err := json.Unmarshal([]byte(body), &answer); err != nil || status != c.status || answer.Error != sentence {
			t.Errorf("%s, JSON: want %d %q, got %d %s", c.name, c.status, sentence, status, body)
		}
		if c.field != "" && answer.Fields[c.field] == "" {
			t.Errorf("%s, JSON: no message for %s: %s", c.name, c.field, body)
		}
		if _, refused := c.err.(*domain.ImportError); refused && len(answer.Problems) != 1 {
			t.Errorf("%s, JSON: want the file's problem, got %s", c.name, body)
		}
		if strings.Contains(body, "internal") || strings.Contains(body, "dial tcp") {
			t.Errorf("%s shows the error's own text: %s", c.name, body)
		}
		if c.status == 401 {
			continue
		}
		status, body = get(path+"/form", "text/html")
		shown := strings.Contains(body, `value="typed@example.ma"`)
		if status != c.status || shown != c.inForm || (c.inForm && !strings.Contains(body, htmlEscape(sentenceInForm(fr, c.key, c.field)))) {
			t.Errorf("%s, form: want %d (form shown again: %v), got %d (%v) %.300s", c.name, c.status, c.inForm, status, shown, body)
		}
	}
}

// sentenceInForm is what a form shows for an error: its own sentence, or
// "fix the fields below" when the fields say what is wrong.
func sentenceInForm(t *Translator, key, field string) string {
	if field != "" {
		return t.T("form.invalid")
	}
	return t.T(key)
}

func htmlEscape(s string) string { return template.HTMLEscapeString(s) }
