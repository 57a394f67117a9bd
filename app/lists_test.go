package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// objectEndpoints are the GET routes of the API that answer one object,
// not a list; every other GET route without a parameter is a list.
var objectEndpoints = map[string]bool{"/api/me": true, "/api/v1/totals": true, "/api/v1/outcomes": true, "/api/v1/offline/pack": true}

// listQuery is what a list endpoint needs to answer anything at all.
var listQuery = map[string]string{"/api/v1/trainees": "q=abc"}

// apiToken signs a script in as u.
func apiToken(t *testing.T, store *repository.Store, u *domain.User) *client {
	t.Helper()
	token, _, err := store.CreateAPIToken(context.Background(), u.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, cookies: map[string]string{}, ip: "192.0.2.30", headers: map[string]string{"Authorization": "Bearer " + token}}
}

// Every list endpoint answers a JSON array, [] when there is nothing (a
// trainer with no course among them), never null. The list endpoints are
// found among the routes, so that a new one is checked too.
func TestEveryListIsAnArrayEvenEmpty(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	admin := apiToken(t, store, addUser(t, store, "admin@lists.ma", domain.RoleAdmin))
	trainer := apiToken(t, store, addUser(t, store, "trainer@lists.ma", domain.RoleTrainer))
	admin.app, trainer.app = web, web
	var lists []string
	for _, r := range web.GetRoutes(true) {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/api") && !strings.Contains(r.Path, ":") && !objectEndpoints[r.Path] {
			lists = append(lists, r.Path)
		}
	}
	sort.Strings(lists)
	if len(lists) < 5 {
		t.Fatalf("found only %v: is the route scan broken?", lists)
	}
	for _, path := range lists {
		target := path + "?" + listQuery[path]
		r := admin.get(target)
		expectStatus(t, path, r, 200)
		if path == "/api/users" { // the caller is a user: the one list that cannot be empty
			var users []map[string]any
			if err := json.Unmarshal([]byte(r.Body), &users); err != nil || len(users) != 2 {
				t.Errorf("%s: want the 2 users, got %s", path, r.Body)
			}
			continue
		}
		if r.Body != "[]" {
			t.Errorf("%s with nothing to list: want [], got %s", path, r.Body)
		}
		if r := trainer.get(target); r.StatusCode == 200 && r.Body != "[]" {
			t.Errorf("%s, a trainer with no course: want [], got %s", path, r.Body)
		}
	}
	expectStatus(t, "a trainer with no course lists theirs", trainer.get("/api/v1/courses"), 200)
}

var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// Every list endpoint pages the same way: ?limit= rows after ?offset=
// rows, a Link to the next page while there is one, and every row once.
func TestEveryListPagesTheSameWay(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web := newApp(t, store)
	ctx := context.Background()
	adminUser := addUser(t, store, "admin@pages.ma", domain.RoleAdmin)
	trainerUser := addUser(t, store, "trainer@pages.ma", domain.RoleTrainer)
	addUser(t, store, "coordinator@pages.ma", domain.RoleCoordinator)
	w := newWorld(t, store, trainerUser.ID) // one programme, two courses, two organisations, one trainee
	for i := range 3 {
		p := domain.Programme{Code: fmt.Sprintf("extra-%d", i), NameAr: "برنامج", NameFr: "Programme", NameEn: "Programme",
			StartYear: 2020 + i, EndYear: 2021 + i}
		if err := store.CreateProgramme(ctx, &p, nil); err != nil {
			t.Fatal(err)
		}
		w.newCourse(t, fmt.Sprintf("CP-X%d", i))
		o := domain.Organisation{Kind: domain.Institution, NameFr: ptr(fmt.Sprintf("Centre %d", i))}
		if err := store.CreateOrganisation(ctx, &o, nil); err != nil {
			t.Fatal(err)
		}
		tr := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(fmt.Sprintf("Karim Bennani %d", i)),
			Sex: domain.Male, OrganisationID: &o.ID}
		if err := store.CreateTrainee(ctx, &tr, nil); err != nil {
			t.Fatal(err)
		}
	}
	admin := apiToken(t, store, adminUser)
	admin.app = web
	for path, want := range map[string]int{
		"/api/v1/programmes":               4,
		"/api/v1/courses":                  5,
		"/api/v1/organisations":            5,
		"/api/v1/trainees?q=karim+bennani": 3,
		"/api/users":                       3,
	} {
		seen := map[float64]bool{}
		pages := 0
		target := path + map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "limit=2"
		for target != "" {
			r := admin.get(target)
			expectStatus(t, target, r, 200)
			var rows []struct {
				ID float64 `json:"id"`
			}
			if err := json.Unmarshal([]byte(r.Body), &rows); err != nil || len(rows) == 0 || len(rows) > 2 {
				t.Fatalf("%s: want 1 or 2 rows, got %s", target, r.Body)
			}
			for _, row := range rows {
				if seen[row.ID] {
					t.Errorf("%s: row %v twice", path, row.ID)
				}
				seen[row.ID] = true
			}
			pages++
			target = ""
			if link := r.Header.Get("Link"); link != "" {
				m := nextLink.FindStringSubmatch(link)
				if m == nil {
					t.Fatalf("%s: Link %q", path, link)
				}
				target = m[1]
			}
		}
		if len(seen) != want || pages != (want+1)/2 {
			t.Errorf("%s: want %d rows on %d pages, got %d on %d", path, want, (want+1)/2, len(seen), pages)
		}
	}

	// Bad paging is a 422 on its field, in every list.
	for _, target := range []string{"/api/v1/courses?limit=abc", "/api/v1/programmes?offset=-1", "/api/users?limit=1.5"} {
		r := admin.get(target)
		expectStatus(t, target, r, 422)
		field := "limit"
		if strings.Contains(target, "offset") {
			field = "offset"
		}
		if !strings.Contains(r.Body, `"fields":{"`+field+`":`) {
			t.Errorf("%s: no message on %s: %s", target, field, r.Body)
		}
	}
	// A trainer's search is one page: no next page to list everyone from.
	trainer := apiToken(t, store, trainerUser)
	trainer.app = web
	r := trainer.get("/api/v1/trainees?q=karim&limit=2")
	expectStatus(t, "a trainer's search", r, 200)
	if r.Header.Get("Link") != "" {
		t.Errorf("a trainer's search offers a next page: %s", r.Header.Get("Link"))
	}
	expectStatus(t, "a trainer's second page", trainer.get("/api/v1/trainees?q=karim&offset=10"), 422)
}
