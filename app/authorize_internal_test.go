package app

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
	"takaffoul/repository/dbtest"
)

// onCourse: admins and coordinators see every course, a trainer only the
// courses assigned to them (another course is a 404, like a course that
// does not exist), the ministry none; the handler gets the course it checked.
func TestOnCourse(t *testing.T) {
	t.Parallel()
	store := dbtest.Store(t)
	ctx := context.Background()
	s, web, err := newServer(Config{SessionPurgeInterval: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// A route as the courses feature writes it.
	web.Get("/test/courses/:id<int>", s.onCourse(workers), func(c *fiber.Ctx) error {
		course, err := s.course(c)
		if err != nil {
			return err
		}
		return c.SendString("course page " + strconv.FormatInt(course.ID, 10))
	})

	users := map[domain.Role]*domain.User{}
	for _, r := range domain.Roles {
		u := &domain.User{Email: string(r) + "@example.ma", Name: string(r), Role: r}
		if err := store.CreateUser(ctx, u, "a-long-password", nil); err != nil {
			t.Fatal(err)
		}
		users[r] = u
	}
	other := &domain.User{Email: "other.trainer@example.ma", Name: "Other", Role: domain.RoleTrainer}
	if err := store.CreateUser(ctx, other, "a-long-password", nil); err != nil {
		t.Fatal(err)
	}
	mine, theirs := courseFixture(t, store), courseFixture(t, store)
	assign(t, store, mine, users[domain.RoleTrainer].ID)
	assign(t, store, theirs, other.ID)

	const missing = 987654321
	want := map[domain.Role][3]int{ // status for mine, theirs, a course that does not exist
		domain.RoleAdmin:       {200, 200, 404},
		domain.RoleCoordinator: {200, 200, 404},
		domain.RoleTrainer:     {200, 404, 404},
		domain.RoleMinistry:    {404, 404, 404},
	}
	for role, statuses := range want {
		token, _, err := store.CreateAPIToken(ctx, users[role].ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, course := range []int64{mine, theirs, missing} {
			req := httptest.NewRequest("GET", "/test/courses/"+strconv.FormatInt(course, 10), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := web.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != statuses[i] {
				t.Errorf("%s, course %d: want %d, got %d", role, course, statuses[i], resp.StatusCode)
			}
			if resp.StatusCode == 404 && (strings.Contains(string(body), "scope") || strings.Contains(string(body), "hidden")) {
				t.Errorf("the 404 leaks the reason: %s", body)
			}
			if resp.StatusCode == 200 && string(body) != "course page "+strconv.FormatInt(course, 10) {
				t.Errorf("%s, course %d: the handler got %q", role, course, body)
			}
		}
	}
}

func courseFixture(t *testing.T, store *repository.Store) int64 {
	t.Helper()
	var id int64
	err := store.DB().Get(&id, `
WITH p AS (INSERT INTO provinces (region_id, code, name_ar, name_fr)
           VALUES (4, 'p-' || floor(random() * 1e9)::text, 'الرباط', 'Rabat') RETURNING id),
     g AS (INSERT INTO programmes (code, name_ar, name_fr, name_en, start_year, end_year)
           VALUES ('g-' || floor(random() * 1e9)::text, 'برنامج', 'Programme', 'Programme', 2025, 2026) RETURNING id)
INSERT INTO courses (programme_id, code, title_ar, title_fr, year, province_id, start_date, end_date, capacity)
SELECT g.id, 'C1', 'دورة', 'Formation', 2025, p.id, '2025-03-01', '2025-03-05', 30 FROM p, g RETURNING id`)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func assign(t *testing.T, store *repository.Store, courseID, userID int64) {
	t.Helper()
	if _, err := store.DB().Exec(`INSERT INTO course_trainers (course_id, user_id) VALUES ($1, $2)`, courseID, userID); err != nil {
		t.Fatal(err)
	}
}
