package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A child's certificate carries the name only with an active consent
// "certificate with the name": without one it shows the child's record
// number, recording the consent reissues it with the name, withdrawing it
// reissues it with the number again, and an anonymisation leaves no name
// on any certificate. The verify page never shows more than initials, and
// none for a withheld name.
func TestChildCertificateNamesOnlyWithConsent(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	ctx := context.Background()
	web := newApp(t, env.store)
	addUser(t, env.store, "admin@cert.ma", domain.RoleAdmin)
	admin := newClient(t, web)
	admin.ip = "198.51.100.9"
	admin.login("admin@cert.ma", testPassword)

	name := "سلمى البقالي"
	r := env.coordinator.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"child_parliamentarian"},
		"full_name_ar": {name}, "sex": {"female"}, "birth_year": {"2008"}, "guardian_consent": {"on"}, "consent_method": {"oral_guardian_present"}})
	expectStatus(t, "enrol a child with the guardian's consent for training", r, 303)
	var kid int64
	must(t, env.store.DB().Get(&kid, `SELECT id FROM trainees WHERE full_name_ar = $1`, name))
	must(t, env.store.SaveAttendance(ctx, env.session.ID, []repository.Mark{{TraineeID: kid, Status: domain.Present}}, nil))

	certs := fmt.Sprintf("/courses/%d/certificates", env.course.ID)
	env.coordinator.get(certs)
	expectStatus(t, "issue", env.coordinator.post(certs, nil), 303)
	valid := func() (id int64, code string, nameAr *string) {
		t.Helper()
		var row struct {
			ID   int64   `db:"id"`
			Code string  `db:"code"`
			Name *string `db:"holder_name_ar"`
		}
		must(t, env.store.DB().Get(&row, `SELECT id, code, holder_name_ar FROM certificates WHERE trainee_id = $1 AND revoked_at IS NULL`, kid))
		return row.ID, row.Code, row.Name
	}
	page := func(id int64) string {
		t.Helper()
		r := env.coordinator.get(fmt.Sprintf("%s/%d", certs, id))
		expectStatus(t, "certificate page", r, 200)
		return r.Body
	}
	number := fmt.Sprintf("#%d", kid)
	id, code, held := valid()
	if body := page(id); held != nil || strings.Contains(body, name) || !strings.Contains(body, number) {
		t.Fatalf("without the consent the certificate names the child (%v) or lacks %s", held, number)
	}
	anon := newClient(t, web)
	if body := anon.get("/verify/" + code).Body; strings.Contains(body, name) || strings.Contains(body, "س.") {
		t.Errorf("the verify page shows the withheld name or its initials")
	}

	// The consent recorded: the certificate is reissued with the name.
	person := fmt.Sprintf("/people/%d", kid)
	env.coordinator.get(person)
	r = env.coordinator.post(person+"/consents", url.Values{"scope": {"certificate_name"}, "method": {"signed_form"},
		"wording_version": {"2026-1"}, "given_on": {"2026-01-10"}})
	expectStatus(t, "record the consent for a named certificate", r, 303)
	id2, code2, held := valid()
	if id2 == id || held == nil || *held != name || !strings.Contains(page(id2), name) {
		t.Fatalf("with the consent: certificate %d → %d, name %v", id, id2, held)
	}
	if body := anon.get("/verify/" + code2).Body; strings.Contains(body, name) || !strings.Contains(body, "س.") {
		t.Errorf("the verify page shows more than the initials, or not them")
	}

	// Withdrawn: the number again.
	var consent int64
	must(t, env.store.DB().Get(&consent, `SELECT id FROM consents WHERE trainee_id = $1 AND scope = 'certificate_name'`, kid))
	env.coordinator.get(person)
	expectStatus(t, "withdraw", env.coordinator.post(fmt.Sprintf("%s/consents/%d/withdraw", person, consent), nil), 303)
	id3, _, held := valid()
	if id3 == id2 || held != nil || strings.Contains(page(id3), name) {
		t.Fatalf("after the withdrawal: certificate %d → %d, name %v", id2, id3, held)
	}

	// Anonymised: no certificate keeps the name, revoked ones included.
	admin.get(person)
	expectStatus(t, "anonymise", admin.post(person+"/anonymise", url.Values{"reason": {"demande de la famille"}}), 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM certificates WHERE trainee_id = $1 AND (holder_name_ar IS NOT NULL OR holder_initials <> '—')`, kid); n != 0 {
		t.Errorf("%d certificates keep the name after the anonymisation", n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM certificates WHERE trainee_id = $1 AND revoked_at IS NULL`, kid); n != 1 {
		t.Errorf("after the anonymisation: %d valid certificates, want 1 (with the number)", n)
	}
}
