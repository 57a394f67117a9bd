package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// certificateJSON is a certificate as GET /api/v1/courses/{id}/certificates
// lists it.
type certificateJSON struct {
	ID           int64   `json:"id"`
	EnrollmentID int64   `json:"enrollment_id"`
	TraineeID    int64   `json:"trainee_id"`
	Number       string  `json:"number"`
	Code         string  `json:"code"`
	Category     string  `json:"category"`
	RevokedAt    *string `json:"revoked_at"`
	RevokeReason *string `json:"revoke_reason"`
	ReplacedBy   *int64  `json:"replaced_by"`
}

// certEnv is apiEnv with its application (for anonymous and web clients)
// and a coordinator signed in through the login page.
type certEnv struct {
	*apiEnv
	web   *fiber.App
	pages *client // the coordinator's browser
}

func newCertEnv(t *testing.T) *certEnv {
	t.Helper()
	store := newStore(t)
	web := newApp(t, store)
	env := &certEnv{apiEnv: &apiEnv{}, web: web}
	coord := addUser(t, store, "coordinator@cert.ma", domain.RoleCoordinator)
	trainerUser := addUser(t, store, "trainer@cert.ma", domain.RoleTrainer)
	token, _, err := store.CreateAPIToken(context.Background(), coord.ID, nil)
	must(t, err)
	env.coordinator = newClient(t, web)
	env.coordinator.headers["Authorization"] = "Bearer " + token
	env.world = newWorld(t, store, trainerUser.ID)
	env.pages = newClient(t, web)
	env.pages.login("coordinator@cert.ma", testPassword)
	return env
}

func listCertificates(t *testing.T, env *certEnv) []certificateJSON {
	t.Helper()
	var list []certificateJSON
	r := env.coordinator.call("GET", fmt.Sprintf("/api/v1/courses/%d/certificates", env.course.ID), "")
	expectStatus(t, "list certificates", r, 200)
	decode(t, r, &list)
	return list
}

func issue(t *testing.T, env *certEnv) domain.CertificateRun {
	t.Helper()
	var run domain.CertificateRun
	r := env.coordinator.call("POST", fmt.Sprintf("/api/v1/courses/%d/certificates", env.course.ID), `{}`)
	expectStatus(t, "issue certificates", r, 200)
	decode(t, r, &run)
	return run
}

// Certificates go to the enrolments the totals count as completed and not
// withdrawn, once; a correction of what one says revokes and reissues it;
// a withdrawal revokes it; the public verify page says so with the
// holder's initials only; every issue and revocation is audited.
func TestCertificatesOnlyForTheCompletedThroughHTTP(t *testing.T) {
	t.Parallel()
	env := newCertEnv(t)
	ctx := context.Background()
	absent := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Karim Absent"), Sex: domain.Male,
		OrganisationID: &env.institution.ID}
	leaver := domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr("Samira Partie"), Sex: domain.Female,
		OrganisationID: &env.institution.ID}
	for _, p := range []*domain.Trainee{&absent, &leaver} {
		if _, err := env.store.EnrollNew(ctx, env.course.ID, p, repository.EnrollOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	must(t, env.store.SaveAttendance(ctx, env.session.ID, []repository.Mark{
		{TraineeID: env.trainee.ID, Status: domain.Present}, {TraineeID: absent.ID, Status: domain.Absent},
		{TraineeID: leaver.ID, Status: domain.Present}}, nil))
	must(t, env.store.Withdraw(ctx, env.course.ID, leaver.ID, nil))

	// Before any issue: nothing. The totals count two as completed (the
	// leaver attended before withdrawing: marks stay true), and so both are
	// certified — the holders are exactly the completed.
	if run := issue(t, env); run.Issued != 2 || run.Revoked != 0 {
		t.Fatalf("first issue: %+v, want 2 issued", run)
	}
	if run := issue(t, env); run.Issued != 0 || run.Revoked != 0 {
		t.Fatalf("second issue must issue nothing: %+v", run)
	}
	list := listCertificates(t, env)
	if len(list) != 2 || len(certificatesOf(list, env.trainee.ID)) != 1 || len(certificatesOf(list, leaver.ID)) != 1 ||
		!strings.HasPrefix(list[0].Number, "TKF-") {
		t.Fatalf("certificates: %+v", list)
	}
	first := certificatesOf(list, env.trainee.ID)[0]

	// The printable page: both languages, the QR code of the verify address.
	r0 := env.pages.get(fmt.Sprintf("/courses/%d/certificates/%d", env.course.ID, first.ID))
	expectStatus(t, "certificate page", r0, 200)
	for _, want := range []string{"Attestation de formation", "شهادة تكوين", "Hélène Aït-Lahcen", "فاطمة الزهراء بنعلي",
		"/verify/" + first.Code, `<svg class="qr"`, first.Number, "@page", "certificate.css"} {
		if want == "@page" {
			continue // in the stylesheet, checked by the e2e test
		}
		if !strings.Contains(r0.Body, want) {
			t.Errorf("certificate page lacks %q", want)
		}
	}
	expectStatus(t, "list page", env.pages.get(fmt.Sprintf("/courses/%d/certificates", env.course.ID)), 200)
	expectStatus(t, "another course's certificate", env.pages.get(fmt.Sprintf("/courses/%d/certificates/%d", env.otherCourse.ID, first.ID)), 404)

	// The public page: no sign-in, initials only.
	anon := newClient(t, env.web)
	anon.headers["Accept-Language"] = "fr"
	r := anon.get("/verify/" + first.Code)
	expectStatus(t, "verify a valid certificate", r, 200)
	for _, want := range []string{"Cette attestation est valide.", "H. A.", first.Number, env.course.TitleFr} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("verify page lacks %q", want)
		}
	}
	for _, never := range []string{"Hélène", "Aït-Lahcen", "فاطمة", "Centre multifonctionnel"} {
		if strings.Contains(r.Body, never) {
			t.Errorf("verify page shows %q: only initials", never)
		}
	}
	other, err := domain.NewCertificateCode()
	must(t, err)
	expectStatus(t, "a code of no certificate", anon.get("/verify/"+other), 404)
	expectStatus(t, "not a code", anon.get("/verify/'%20OR%201=1"), 404)

	// A correction that changes what it says (the category): revoked, reissued.
	r = env.coordinator.call("PATCH", fmt.Sprintf("/api/v1/courses/%d/enrollments/%d", env.course.ID, env.trainee.ID),
		fmt.Sprintf(`{"category": "associative_actor", "organisation_id": %d, "reason": "inscrite au titre de son association"}`, env.association.ID))
	expectStatus(t, "correct the enrolment", r, 200)
	list = certificatesOf(listCertificates(t, env), env.trainee.ID)
	if len(list) != 2 {
		t.Fatalf("after the correction: want the old one revoked and a new one, got %+v", list)
	}
	renewed, old := list[0], list[1] // valid ones first
	if renewed.RevokedAt != nil || renewed.Category != "associative_actor" || renewed.Code == first.Code || renewed.Number == first.Number {
		t.Errorf("reissued certificate: %+v", renewed)
	}
	if old.ID != first.ID || old.RevokedAt == nil || *old.RevokeReason != "changed" || old.ReplacedBy == nil || *old.ReplacedBy != renewed.ID {
		t.Errorf("replaced certificate: %+v", old)
	}
	r = anon.get("/verify/" + first.Code)
	expectStatus(t, "verify a replaced certificate", r, 200)
	if !strings.Contains(r.Body, "a été révoquée") || !strings.Contains(r.Body, "Une attestation corrigée l’a remplacée.") {
		t.Errorf("verify page of a replaced certificate: %s", r.Body)
	}

	// A withdrawal after the training takes nothing away: the totals still
	// count her as completed, and her certificate stays valid.
	expectStatus(t, "withdraw", env.coordinator.call("DELETE", fmt.Sprintf("/api/v1/courses/%d/enrollments/%d", env.course.ID, env.trainee.ID), ""), 204)
	if run := issue(t, env); run.Issued != 0 || run.Revoked != 0 {
		t.Errorf("issue after the withdrawal: %+v, want nothing done", run)
	}
	if r := anon.get("/verify/" + renewed.Code); !strings.Contains(r.Body, "Cette attestation est valide.") {
		t.Errorf("verify page after the withdrawal: %s", r.Body)
	}

	// A roster corrected (Karim was there after all, then not): his
	// certificate comes with a bulk issue and goes with the mark, at once.
	marks := func(status string) {
		t.Helper()
		r := env.coordinator.call("PUT", fmt.Sprintf("/api/v1/sessions/%d/attendance", env.session.ID),
			fmt.Sprintf(`[{"trainee_id": %d, "status": %q}]`, absent.ID, status))
		if r.StatusCode >= 300 {
			t.Fatalf("save the mark %s: %d %s", status, r.StatusCode, r.Body)
		}
	}
	marks("present")
	if run := issue(t, env); run.Issued != 1 {
		t.Fatalf("issue after Karim's mark: %+v", run)
	}
	marks("absent")
	for _, c := range listCertificates(t, env) {
		if c.TraineeID == absent.ID && (c.RevokedAt == nil || *c.RevokeReason != "not_completed") {
			t.Errorf("an absent mark left Karim's certificate %+v", c)
		}
	}

	// Audited with their reasons.
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'certificate.issue' AND course_id = $1`, env.course.ID); n != 4 {
		t.Errorf("issues audited: %d, want 4", n)
	}
	for _, reason := range []string{"changed", "not_completed"} {
		if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'certificate.revoke' AND after->>'reason' = $1`, reason); n != 1 {
			t.Errorf("revocations audited for %s: %d, want 1", reason, n)
		}
	}
}

// certificatesOf keeps the certificates of one person, in the list's order.
func certificatesOf(list []certificateJSON, traineeID int64) []certificateJSON {
	var theirs []certificateJSON
	for _, c := range list {
		if c.TraineeID == traineeID {
			theirs = append(theirs, c)
		}
	}
	return theirs
}
