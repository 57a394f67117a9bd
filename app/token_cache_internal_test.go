package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// tokenCacheEnv is a server, a world, a coordinator and people to enrol
// through the API.
type tokenCacheEnv struct {
	t           *testing.T
	s           *Server
	web         *fiber.App
	store       *repository.Store
	world       *dbtest.World
	coordinator *domain.User
	people      []int64
	next        int
}

func newTokenCacheEnv(t *testing.T) *tokenCacheEnv {
	store := dbtest.Store(t)
	s, web, err := newServer(Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	env := &tokenCacheEnv{t: t, s: s, web: web, store: store,
		world: dbtest.NewWorld(t, store, dbtest.WorldNames{Courses: [2]string{"TC-1", "TC-2"}, Institution: "Centre de Rabat"})}
	env.coordinator = &domain.User{Email: "coordinator@example.ma", Name: "Coordinatrice", Role: domain.RoleCoordinator}
	if err := store.CreateUser(t.Context(), env.coordinator, "a-long-password", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		name := fmt.Sprintf("Personne %d", i)
		p := &domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: &name, Sex: domain.Female, OrganisationID: &env.world.Institution.ID}
		if err := store.CreateTrainee(t.Context(), p, nil); err != nil {
			t.Fatal(err)
		}
		env.people = append(env.people, p.ID)
	}
	return env
}

// token is a new API token of the coordinator.
func (env *tokenCacheEnv) token() string {
	token, _, err := env.store.CreateAPIToken(env.t.Context(), env.coordinator.ID, nil)
	if err != nil {
		env.t.Fatal(err)
	}
	return token
}

// person is someone not enrolled yet.
func (env *tokenCacheEnv) person() int64 {
	env.next++
	return env.people[env.next-1]
}

// enrol POSTs body to the course's enrolments with token, and answers the
// status and the body.
func (env *tokenCacheEnv) enrol(token, query, body string) (int, string) {
	req := httptest.NewRequest("POST", fmt.Sprintf("/api/v1/courses/%d/enrollments%s", env.world.OtherCourse.ID, query), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := env.web.Test(req, -1)
	if err != nil {
		env.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (env *tokenCacheEnv) cached(token string) bool {
	_, ok := env.s.tokens.user(sha256.Sum256([]byte(token)), time.Now())
	return ok
}

// written counts what an enrolment writes: people, enrolments, audit entries.
func (env *tokenCacheEnv) written() int {
	var n int
	const q = `SELECT (SELECT count(*) FROM trainees) + (SELECT count(*) FROM enrollments) + (SELECT count(*) FROM audit_log)`
	if err := env.store.DB().GetContext(env.t.Context(), &n, q); err != nil {
		env.t.Fatal(err)
	}
	return n
}

// An enrolment whose token came from the server's cache is refused, and
// writes nothing, as soon as the database no longer confirms the token:
// revoked (as `takaffoul token revoke` does, from another process), its
// user deactivated or given another role. The token is then forgotten, and
// the next request is authenticated by the database again.
func TestACachedTokenIsRefusedAtOnceWhenTheDatabaseNoLongerConfirmsIt(t *testing.T) {
	t.Parallel()
	env := newTokenCacheEnv(t)
	ctx := context.Background()
	newPerson := fmt.Sprintf(`{"trainee": {"category": "institutional_actor", "full_name_latin": "Nouvelle Personne", "sex": "female", "organisation_id": %d}, "confirm_new": true}`,
		env.world.Institution.ID)
	for _, tc := range []struct {
		what   string
		change func(prefix string) error
		body   func() string
	}{
		{"revoked, an existing person", func(prefix string) error {
			_, err := env.store.RevokeAPITokens(ctx, env.coordinator.ID, prefix, nil)
			return err
		}, func() string { return fmt.Sprintf(`{"trainee_id": %d}`, env.person()) }},
		{"revoked, a new person", func(prefix string) error {
			_, err := env.store.RevokeAPITokens(ctx, env.coordinator.ID, prefix, nil)
			return err
		}, func() string { return newPerson }},
		{"revoked, a malformed body", func(prefix string) error {
			_, err := env.store.RevokeAPITokens(ctx, env.coordinator.ID, prefix, nil)
			return err
		}, func() string { return `{"trainee_id": "x"}` }},
		{"user deactivated", func(string) error { return env.store.SetUserActive(ctx, env.coordinator.ID, false, nil) },
			func() string { return fmt.Sprintf(`{"trainee_id": %d}`, env.person()) }},
		{"user made a ministry reader", func(string) error {
			return env.store.SetUserRole(ctx, env.coordinator.ID, domain.RoleMinistry, nil)
		}, func() string { return fmt.Sprintf(`{"trainee_id": %d}`, env.person()) }},
	} {
		token := env.token()
		for i := range 2 { // the first is read from the database, the second from the cache
			if status, body := env.enrol(token, "", fmt.Sprintf(`{"trainee_id": %d}`, env.person())); status != 201 {
				t.Fatalf("%s: enrolment %d: %d %s", tc.what, i+1, status, body)
			}
		}
		if !env.cached(token) {
			t.Fatalf("%s: the token is not in the cache", tc.what)
		}
		if err := tc.change(strings.TrimPrefix(token, domain.APITokenPrefix)[:8]); err != nil {
			t.Fatal(err)
		}
		before := env.written()
		if status, body := env.enrol(token, "", tc.body()); status != 401 {
			t.Errorf("%s: want 401, got %d %s", tc.what, status, body)
		}
		if n := env.written(); n != before {
			t.Errorf("%s: the refused enrolment wrote %d rows", tc.what, n-before)
		}
		if env.cached(token) {
			t.Errorf("%s: the token is still in the cache", tc.what)
		}
		// Back as it was for the next case.
		if err := env.store.SetUserActive(ctx, env.coordinator.ID, true, nil); err != nil {
			t.Fatal(err)
		}
		if err := env.store.SetUserRole(ctx, env.coordinator.ID, domain.RoleCoordinator, nil); err != nil {
			t.Fatal(err)
		}
	}

	// A user given another role is read afresh after the one refusal.
	token := env.token()
	env.enrol(token, "", fmt.Sprintf(`{"trainee_id": %d}`, env.person()))
	if err := env.store.SetUserRole(ctx, env.coordinator.ID, domain.RoleMinistry, nil); err != nil {
		t.Fatal(err)
	}
	env.enrol(token, "", fmt.Sprintf(`{"trainee_id": %d}`, env.person()))
	if status, body := env.enrol(token, "", fmt.Sprintf(`{"trainee_id": %d}`, env.person())); status != 404 {
		t.Errorf("a ministry reader's enrolment, read afresh: want 404, got %d %s", status, body)
	}
}

// On a closed course, a coordinator's enrolment through the API with no
// reason is asked why (422 on correction_reason) and writes nothing,
// whether the token came from the database or from the cache; with a
// reason it is made.
func TestACoordinatorsEnrolmentOnAClosedCourseIsAskedWhy(t *testing.T) {
	t.Parallel()
	env := newTokenCacheEnv(t)
	token := env.token()
	if status, body := env.enrol(token, "", fmt.Sprintf(`{"trainee_id": %d}`, env.person())); status != 201 {
		t.Fatalf("enrolment: %d %s", status, body)
	}
	if _, err := env.store.CloseCourse(t.Context(), env.world.OtherCourse.ID, &env.coordinator.ID); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"the cache", "the database"} {
		if from == "the database" {
			env.s.tokens.forget(sha256.Sum256([]byte(token)))
		}
		before := env.written()
		status, body := env.enrol(token, "", fmt.Sprintf(`{"trainee_id": %d}`, env.person()))
		var e struct {
			Fields map[string]string `json:"fields"`
		}
		_ = json.Unmarshal([]byte(body), &e)
		if status != 422 || e.Fields[correctionField] == "" {
			t.Errorf("token from %s: want 422 on %s, got %d %s", from, correctionField, status, body)
		}
		if n := env.written(); n != before {
			t.Errorf("token from %s: the refused enrolment wrote %d rows", from, n-before)
		}
	}
	if status, body := env.enrol(token, "?correction_reason=Liste+oubli%C3%A9e", fmt.Sprintf(`{"trainee_id": %d}`, env.person())); status != 201 {
		t.Errorf("with a reason: want 201, got %d %s", status, body)
	}
}
