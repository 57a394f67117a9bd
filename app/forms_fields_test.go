package app_test

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"takaffoul/app"
	"takaffoul/domain"
)

// formInputs reads, in an HTML page, the names of the inputs of each POST
// form (the CSRF field aside), by the form's action; a form with the
// data-category-form attribute (the new-person form) is under its action
// followed by " new".
func formInputs(t *testing.T, page string) map[string]map[string]bool {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]map[string]bool{}
	var walk func(n *html.Node, form map[string]bool)
	walk = func(n *html.Node, form map[string]bool) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			newPerson := false
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
				newPerson = newPerson || a.Key == "data-category-form"
			}
			switch n.Data {
			case "form":
				if attrs["method"] == "post" {
					key := attrs["action"]
					if newPerson {
						key += " new"
					}
					if forms[key] == nil {
						forms[key] = map[string]bool{}
					}
					form = forms[key]
				}
			case "input", "select", "textarea":
				if name := attrs["name"]; form != nil && name != "" && name != "_csrf" {
					form[name] = true
				}
			}
		}
		for child := n.FirstChild; child != nil; child = child.NextSibling {
			walk(child, form)
		}
	}
	walk(doc, nil)
	return forms
}

// Each form type lists the inputs of its page's form, no more and no less:
// the fields named once in Go are the ones the templates show (taken
// together over the pages that show the form, as some fields show on one
// page only: a course's programme when it is created, archiving when it
// is edited).
func TestEachFormTypeNamesTheInputsOfItsPage(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	web, err := app.New(app.Config{SetupToken: "first-run-secret", TrustedProxies: []string{"0.0.0.0"}, SessionPurgeInterval: -1},
		store, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]bool{}
	take := func(formType, action string, page response) {
		t.Helper()
		inputs, ok := formInputs(t, page.Body)[action]
		if !ok {
			t.Fatalf("%s: no form %q on the page (%d)", formType, action, page.StatusCode)
		}
		if seen[formType] == nil {
			seen[formType] = map[string]bool{}
		}
		for name := range inputs {
			seen[formType][name] = true
		}
	}
	anon := newClient(t, web)
	take("setup", "/setup", anon.get("/setup?token=first-run-secret"))

	admin := addUser(t, store, "admin@forms.ma", domain.RoleAdmin)
	addUser(t, store, "coordinator@forms.ma", domain.RoleCoordinator)
	trainer := addUser(t, store, "trainer@forms.ma", domain.RoleTrainer)
	w := newWorld(t, store, trainer.ID)
	take("login", "/login", anon.get("/login?next=/courses"))
	coordinator := newClient(t, web)
	coordinator.login("coordinator@forms.ma", testPassword)
	boss := newClient(t, web)
	boss.ip = "192.0.2.11"
	boss.login(admin.Email, testPassword)

	course := fmt.Sprintf("/courses/%d", w.course.ID)
	take("programme", "/programmes", coordinator.get("/programmes"))
	take("course", "/courses", coordinator.get("/courses/new"))
	take("course", course, coordinator.get(course+"/edit"))
	take("series", course+"/sessions", coordinator.get(course))
	take("trainer", course+"/trainers", coordinator.get(course))
	take("trainee", course+"/enrollments new", coordinator.get(course+"/enrol"))
	take("enrol_existing", course+"/enrollments", coordinator.get(course+"/enrol?q="+urlQuery("Hélène")))
	lookAlike := coordinator.post(fmt.Sprintf("/courses/%d/enrollments", w.otherCourse.ID), url.Values{"category": {"institutional_actor"},
		"full_name_latin": {"HELENE AIT LAHCEN"}, "full_name_ar": {"فاطمة الزهراء بنعلي"}, "sex": {"female"}, "organisation_id": {fmt.Sprint(w.institution.ID)}})
	expectStatus(t, "a look-alike", lookAlike, 409)
	take("trainee", fmt.Sprintf("/courses/%d/enrollments new", w.otherCourse.ID), lookAlike) // "confirm_new"
	correct := fmt.Sprintf("%s/enrollments/%d/correct", course, w.trainee.ID)
	take("correction", correct, coordinator.get(correct))
	take("reported", "/dashboard/reported", coordinator.get("/dashboard/reported"))
	take("import", "/imports", coordinator.get("/imports"))
	for _, org := range []int64{w.institution.ID, w.association.ID} { // a likely duplicate for the merge buttons
		cat := map[int64]domain.Category{w.institution.ID: domain.InstitutionalActor, w.association.ID: domain.AssociativeActor}[org]
		p := &domain.Trainee{Category: cat, FullNameLatin: ptr("Rachid Amrani"), Sex: domain.Male, BirthYear: ptr(1980), OrganisationID: &org}
		if err := store.CreateTrainee(context.Background(), p, nil); err != nil {
			t.Fatal(err)
		}
	}
	take("merge", "/duplicates/people", coordinator.get("/duplicates"))
	take("new_user", "/users", boss.get("/users/new"))
	user := fmt.Sprintf("/users/%d", trainer.ID)
	take("user_role", user+"/role", boss.get(user))
	take("user_password", user+"/password", boss.get(user))
	take("user_active", user+"/active", boss.get(user))

	for formType, fields := range app.FormTypeFields() {
		var missing, extra []string
		for _, f := range fields {
			if !seen[formType][f] {
				missing = append(missing, f)
			}
			delete(seen[formType], f)
		}
		for name := range seen[formType] {
			extra = append(extra, name)
		}
		sort.Strings(extra)
		if seen[formType] == nil && len(fields) > 0 {
			t.Errorf("%s: no page of the test shows the form", formType)
		} else if len(missing) > 0 || len(extra) > 0 {
			t.Errorf("%s: fields no page shows %v, inputs the form type lacks %v", formType, missing, extra)
		}
	}
}
