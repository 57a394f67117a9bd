package app_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// isoDay is a day written year-month-day, as the database and the files
// write it: a person in Morocco reads and types day/month/year (issue 16,
// point 6: "dates shown and asked in a local format"; the forms ask
// 31/03/2026, domain.DayLayout).
var isoDay = regexp.MustCompile(`\b20\d\d-[01]\d-[0-3]\d\b`)

// Pages and printed documents show a day as people write it, day/month/
// year, as the forms ask it: the trainer's home (today, their courses'
// dates), the course page (its dates, a session's day and time), the
// sign-in sheet, the certificates list, a certificate in
// both its languages and its public verify page. Machine-readable places
// (an attribute datetime=, an <input type=date>) keep year-month-day.
func TestPagesShowDaysAsPeopleWriteThem(t *testing.T) {
	t.Parallel()
	env := newCertEnv(t)
	ctx := context.Background()
	must(t, env.store.SaveAttendance(ctx, env.session.ID, []repository.Mark{{TraineeID: env.trainee.ID, Status: domain.Present}}, nil))
	if run := issue(t, env); run.Issued != 1 {
		t.Fatalf("issue: %+v", run)
	}
	cert := listCertificates(t, env)[0]
	anon := newClient(t, env.web)
	anon.headers["Accept-Language"] = "fr"
	trainer := newClient(t, env.web)
	trainer.login("trainer@cert.ma", testPassword)

	for _, lang := range []string{"ar", "fr"} {
		env.pages.setLanguage(lang)
		trainer.setLanguage(lang)
		for _, c := range []struct {
			name string
			page response
			want []string
		}{
			{"trainer's home", trainer.get("/"), []string{"01/03/2019 – 30/03/2019"}},
			{"course page", env.pages.get(fmt.Sprintf("/courses/%d", env.course.ID)), []string{"01/03/2019 – 30/03/2019", "05/03/2019"}},
			{"sign-in sheet", env.pages.get(fmt.Sprintf("/sessions/%d/sign-in-sheet", env.session.ID)), []string{"05/03/2019"}},
			{"certificates", env.pages.get(fmt.Sprintf("/courses/%d/certificates", env.course.ID)), nil},
			{"certificate", env.pages.get(fmt.Sprintf("/courses/%d/certificates/%d", env.course.ID, cert.ID)),
				[]string{"du 01/03/2019 au 30/03/2019", "من 01/03/2019 إلى 30/03/2019"}},
			{"verify page", anon.get("/verify/" + cert.Code), []string{"01/03/2019 – 30/03/2019"}},
		} {
			expectStatus(t, c.name, c.page, 200)
			for _, want := range c.want {
				if !strings.Contains(c.page.Body, want) {
					t.Errorf("%s %s: no %q", lang, c.name, want)
				}
			}
			if found := isoDay.FindAllString(shownText(c.page.Body), -1); len(found) > 0 {
				t.Errorf("%s %s: days shown year-month-day: %v", lang, c.name, found)
			}
		}
	}
}

// machineDate are the attributes and inputs that hold a date for programs
// (<time datetime=…>, <input type="date" value=…>): they stay ISO 8601.
var machineDate = regexp.MustCompile(`datetime="[^"]*"|type="date"[^>]*value="[^"]*"|value="[^"]*"[^>]*type="date"|<script[\s\S]*?</script>|<style[\s\S]*?</style>|href="[^"]*"`)

// shownText is page without the places where a date is for programs.
func shownText(page string) string { return machineDate.ReplaceAllString(page, "") }
