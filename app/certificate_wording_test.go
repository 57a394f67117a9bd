package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A certificate's hours are written as its language writes a number
// (a decimal comma in French and Moroccan Arabic, as the dashboard writes
// them: "7,5", not "7.5"), on the certificate and on its public verify
// page; and the Arabic certificate says them in a sentence that is right
// for any number (it said "3 ساعة", a singular after three).
func TestCertificateHoursReadInTheirLanguage(t *testing.T) {
	t.Parallel()
	env := newCertEnv(t)
	ctx := context.Background()
	start := time.Date(2019, 3, 6, 9, 0, 0, 0, time.UTC)
	more := []domain.Session{{StartsAt: start, EndsAt: start.Add(5 * time.Hour), Place: "Rabat", Hours: 4.5}}
	must(t, env.store.CreateSessions(ctx, env.course.ID, more, nil))
	for _, sessionID := range []int64{env.session.ID, more[0].ID} {
		must(t, env.store.SaveAttendance(ctx, sessionID, []repository.Mark{{TraineeID: env.trainee.ID, Status: domain.Present}}, nil))
	}
	if run := issue(t, env); run.Issued != 1 {
		t.Fatalf("issue: %+v", run)
	}
	cert := listCertificates(t, env)[0]

	page := env.pages.get(fmt.Sprintf("/courses/%d/certificates/%d", env.course.ID, cert.ID))
	expectStatus(t, "certificate page", page, 200)
	for _, want := range []string{"عدد ساعات التكوين: 7,5", "7,5 heures de formation"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the certificate does not say %q:\n%s", want, textOf(page.Body, "cert-dates"))
		}
	}
	if strings.Contains(page.Body, "7.5") {
		t.Errorf("the certificate writes 7.5:\n%s", textOf(page.Body, "cert-dates"))
	}

	for lang, want := range map[string]string{"fr": "7,5", "ar": "7,5", "en": "7.5"} {
		anon := newClient(t, env.web)
		anon.headers["Accept-Language"] = lang
		r := anon.get("/verify/" + cert.Code)
		expectStatus(t, "verify page", r, 200)
		if !strings.Contains(r.Body, `<bdi dir="ltr">`+want+`</bdi>`) {
			t.Errorf("the %s verify page does not write the hours %s:\n%s", lang, want, textOf(r.Body, "verify-facts"))
		}
	}
}

// textOf is the part of page from the first element of class class, for a
// failure's message.
func textOf(page, class string) string {
	i := strings.Index(page, `class="`+class)
	if i < 0 {
		return page
	}
	return page[i:min(len(page), i+600)]
}
