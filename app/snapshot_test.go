package app_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
)

// Figures about the past do not move (issue 14), and a coordinator can
// correct one enrolment: on one seeded demo, in this order.
func TestDemoFiguresStayAndEnrolmentsAreCorrected(t *testing.T) {
	t.Parallel()
	env := newDashEnv(t)
	env.seedDemo(t) // seeding is most of the cost: once for both
	t.Run("reclassify and move", func(t *testing.T) { reclassifyAndMove(t, env) })
	t.Run("correct an enrolment", func(t *testing.T) { correctAnEnrolment(t, env) })
}

// reclassifyAndMove: a coordinator reclassifies all 30 child
// parliamentarians of the demo as associative actors (they came of age)
// and moves 10 associative actors, each the only member of their
// association, to another association, through the API as the pages'
// script would. The figures stay 151 / 121 / 30 / 30 / 96 in the totals
// API and on the dashboard, and the changes are audited with their values.
func reclassifyAndMove(t *testing.T, env *dashEnv) {
	var children []int64
	must(t, env.store.DB().Select(&children, `SELECT id FROM trainees WHERE category = 'child_parliamentarian' ORDER BY id`))
	if len(children) != 30 {
		t.Fatalf("want the demo's 30 child parliamentarians, got %d", len(children))
	}
	// Associations with a single member: moving that member away empties
	// the association, which a count from the people's rows would see.
	var movers []struct {
		ID  int64 `db:"id"`
		Org int64 `db:"organisation_id"`
	}
	must(t, env.store.DB().Select(&movers, `SELECT min(id) AS id, organisation_id FROM trainees
	     WHERE category = 'associative_actor' GROUP BY organisation_id HAVING count(*) = 1 ORDER BY organisation_id LIMIT 10`))
	if len(movers) != 10 {
		t.Fatalf("want 10 associations of one member in the demo, got %d", len(movers))
	}
	var target int64 // an association of several members, which stays
	must(t, env.store.DB().Get(&target, `SELECT organisation_id FROM trainees WHERE organisation_kind = 'association'
	     GROUP BY organisation_id HAVING count(*) > 1 ORDER BY organisation_id LIMIT 1`))
	for _, id := range children {
		r := env.coordinator.sendJSON("PATCH", fmt.Sprintf("/api/v1/trainees/%d", id),
			fmt.Sprintf(`{"category": "associative_actor", "organisation_id": %d}`, target))
		expectStatus(t, "reclassify a child who came of age", r, 200)
	}
	for _, m := range movers {
		r := env.coordinator.sendJSON("PATCH", fmt.Sprintf("/api/v1/trainees/%d", m.ID), fmt.Sprintf(`{"organisation_id": %d}`, target))
		expectStatus(t, "move to another association", r, 200)
	}
	var left int
	must(t, env.store.DB().Get(&left, `SELECT count(*) FROM trainees WHERE category = 'child_parliamentarian'`))
	if left != 0 {
		t.Fatalf("the reclassification did not happen: %d children left", left)
	}

	cp := env.totals(t, "programme=child-protection")
	if cp.LocalActors.Trained != 151 || cp.ByCategory.InstitutionalActor.Trained != 121 ||
		cp.ByCategory.AssociativeActor.Trained != 30 || cp.ByCategory.ChildParliamentarian.Trained != 30 {
		t.Errorf("child-protection after the changes: local %+v, by category %+v", cp.LocalActors, cp.ByCategory)
	}
	if pp := env.totals(t, "programme=positive-parenting"); pp.Associations.Trained != 96 {
		t.Errorf("positive-parenting associations after the moves: %+v", pp.Associations)
	}
	// One course at a time counts from the records: the same rule.
	var course int64
	must(t, env.store.DB().Get(&course, `SELECT min(course_id) FROM enrollments WHERE category = 'child_parliamentarian'`))
	if c := env.totals(t, fmt.Sprintf("course=%d", course)); c.ByCategory.ChildParliamentarian.Trained == 0 {
		t.Errorf("a children's workshop counts no child any more: %+v", c.ByCategory)
	}
	r := env.coordinator.get("/dashboard?programme=child-protection")
	expectStatus(t, "dashboard", r, 200)
	for _, want := range []string{`<dd class="big">151</dd>`, `<dd class="big">121</dd>`, `<dd class="big">30</dd>`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}

	// The reclassification is on the record, with its values.
	var audit []struct {
		Before string `db:"before"`
		After  string `db:"after"`
	}
	must(t, env.store.DB().Select(&audit, `SELECT before::text AS before, after::text AS after FROM audit_log
	     WHERE action = 'trainee.update' AND entity_id = $1`, children[0]))
	if len(audit) != 1 || !strings.Contains(audit[0].Before, `"child_parliamentarian"`) ||
		!strings.Contains(audit[0].After, `"associative_actor"`) || !strings.Contains(audit[0].After, fmt.Sprintf(`"organisation_id": %d`, target)) {
		t.Errorf("the reclassification's audit: %+v", audit)
	}
}

// correctAnEnrolment: a coordinator corrects what one enrolment counts a person as, through
// the page and the API: a reason is required (422, in the user's language,
// nothing changed), a trainer may not (403), and the correction is audited
// with the values before and after. The figures follow the correction.
func correctAnEnrolment(t *testing.T, env *dashEnv) {
	var e struct {
		Course  int64 `db:"course_id"`
		Trainee int64 `db:"trainee_id"`
		ID      int64 `db:"id"`
	}
	must(t, env.store.DB().Get(&e, `SELECT e.course_id, e.trainee_id, e.id FROM enrollments e
	     JOIN courses c ON c.id = e.course_id JOIN programmes p ON p.id = c.programme_id
	    WHERE p.code = 'child-protection' AND e.category = 'institutional_actor' ORDER BY e.id LIMIT 1`))
	var association int64
	must(t, env.store.DB().Get(&association, `SELECT min(id) FROM organisations WHERE kind = 'association'`))
	api := fmt.Sprintf("/api/v1/courses/%d/enrollments/%d", e.Course, e.Trainee)
	page := fmt.Sprintf("/courses/%d/enrollments/%d/correct", e.Course, e.Trainee)
	body := func(reason string) string {
		b, _ := json.Marshal(map[string]any{"category": "associative_actor", "organisation_id": association, "reason": reason})
		return string(b)
	}
	stored := func() string {
		var s string
		must(t, env.store.DB().Get(&s, `SELECT category || ' ' || coalesce(organisation_id::text, '-') FROM enrollments WHERE id = $1`, e.ID))
		return s
	}
	was := stored()

	// A trainer may not, through either door.
	expectStatus(t, "a trainer's correction (API)", env.trainerAPI.call("PATCH", api, body("wrong category")), 403)
	expectStatus(t, "a trainer's correction page", env.trainer.get(page), 403)
	expectStatus(t, "a trainer's correction (form)", env.trainer.post(page, url.Values{"category": {"associative_actor"},
		"organisation_id": {fmt.Sprint(association)}, "reason": {"wrong category"}}), 403)
	// No reason: 422 with the message in the user's language.
	for _, lang := range []string{"ar", "fr", "en"} {
		env.coordinator.setLanguage(lang)
		r := env.coordinator.sendJSON("PATCH", api, body("  "))
		expectStatus(t, "no reason ("+lang+")", r, 422)
		var answer apiError
		decode(t, r, &answer)
		want := map[string]string{"ar": "اذكر سبب التصحيح", "fr": "Indiquez le motif", "en": "Give the reason"}[lang]
		if !strings.Contains(answer.Fields["reason"], want) {
			t.Errorf("%s: no reason: %+v", lang, answer)
		}
		r = env.coordinator.post(page, url.Values{"category": {"associative_actor"}, "organisation_id": {fmt.Sprint(association)}})
		expectStatus(t, "no reason, the form ("+lang+")", r, 422)
		if !strings.Contains(r.Body, want) || !strings.Contains(r.Body, `id="e-reason"`) {
			t.Errorf("%s: the form does not say the reason is missing", lang)
		}
	}
	// An association for an institutional actor: 422 on the organisation.
	b, _ := json.Marshal(map[string]any{"category": "institutional_actor", "organisation_id": association, "reason": "typo"})
	expectStatus(t, "wrong kind of organisation", env.coordinator.sendJSON("PATCH", api, string(b)), 422)
	if now := stored(); now != was {
		t.Fatalf("a refused correction changed the enrolment: %s, was %s", now, was)
	}
	before := env.totals(t, "programme=child-protection")

	// The page shows the form; the correction is saved and audited.
	r := env.coordinator.get(page)
	expectStatus(t, "the correction page", r, 200)
	if !strings.Contains(r.Body, `name="reason"`) {
		t.Fatalf("the correction page has no reason field")
	}
	r = env.coordinator.post(page, url.Values{"category": {"associative_actor"}, "organisation_id": {fmt.Sprint(association)},
		"reason": {"Recorded as an institution's agent; works for the association (letter of 3 May)."}})
	expectStatus(t, "a correction", r, 303)
	if now := stored(); now != fmt.Sprintf("associative_actor %d", association) {
		t.Fatalf("the correction was not saved: %s", now)
	}
	var audit struct {
		Actor  *int64 `db:"actor_id"`
		Before string `db:"before"`
		After  string `db:"after"`
	}
	must(t, env.store.DB().Get(&audit, `SELECT actor_id, before::text AS before, after::text AS after FROM audit_log
	     WHERE action = 'enrollment.correct' AND entity_id = $1`, e.ID))
	if audit.Actor == nil || !strings.Contains(audit.Before, `"institutional_actor"`) || !strings.Contains(audit.After, `"associative_actor"`) ||
		!strings.Contains(audit.After, `letter of 3 May`) {
		t.Errorf("the correction's audit: %+v", audit)
	}
	// The person's own row is untouched; the figures count the enrolment.
	var category domain.Category
	must(t, env.store.DB().Get(&category, `SELECT category FROM trainees WHERE id = $1`, e.Trainee))
	if category != domain.InstitutionalActor {
		t.Errorf("the correction changed the person: %s", category)
	}
	after := env.totals(t, "programme=child-protection")
	if after.ByCategory.AssociativeActor.Enrolled != before.ByCategory.AssociativeActor.Enrolled+1 &&
		after.ByCategory.InstitutionalActor.Enrolled != before.ByCategory.InstitutionalActor.Enrolled-1 {
		t.Errorf("the figures did not follow the correction: before %+v, after %+v", before.ByCategory, after.ByCategory)
	}
	// The API answers the enrolment as it now counts.
	r = env.coordinator.sendJSON("PATCH", api, body("back to the association, confirmed"))
	expectStatus(t, "a correction through the API", r, 200)
	var answer struct {
		Category       string `json:"category"`
		OrganisationID int64  `json:"organisation_id"`
	}
	decode(t, r, &answer)
	if answer.Category != "associative_actor" || answer.OrganisationID != association {
		t.Errorf("the API's answer: %+v", answer)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
