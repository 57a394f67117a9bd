package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// uploadScan posts the consent form with a scan named filename.
func (cl *client) uploadScan(target, filename string, content []byte, fields map[string]string) response {
	cl.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields["_csrf"] = cl.token
	for k, v := range fields {
		must(cl.t, w.WriteField(k, v))
	}
	part, err := w.CreateFormFile("scan", filename)
	must(cl.t, err)
	_, err = part.Write(content)
	must(cl.t, err)
	must(cl.t, w.Close())
	return cl.do("POST", target, &buf, w.FormDataContentType())
}

// Issue 18 through HTTP: a consent recorded with a scan checked by its
// content, the scan kept from the ministry, a withdrawal that stops new
// enrolments and puts the child's number for their name on the sheet and
// the export while every figure stays, a person's data downloaded whole
// by an admin, and an anonymisation with a reason that moves no figure.
func TestConsentWithdrawalAccessAndAnonymisationThroughHTTP(t *testing.T) {
	t.Parallel()
	env := newPageEnv(t)
	ctx := context.Background()
	web := newApp(t, env.store)
	addUser(t, env.store, "admin@consent.ma", domain.RoleAdmin)
	addUser(t, env.store, "ministry@consent.ma", domain.RoleMinistry)
	admin, ministry := newClient(t, web), newClient(t, web)
	admin.ip, ministry.ip = "198.51.100.7", "198.51.100.8"
	admin.login("admin@consent.ma", testPassword)
	ministry.login("ministry@consent.ma", testPassword)

	name := "سلمى البقالي"
	r := env.coordinator.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"child_parliamentarian"},
		"full_name_ar": {name}, "sex": {"female"}, "birth_year": {"2008"}, "guardian_consent": {"on"}, "consent_method": {"oral_guardian_present"}})
	expectStatus(t, "enrol a child with the guardian's consent", r, 303)
	r = env.coordinator.post(fmt.Sprintf("/courses/%d/enrollments", env.course.ID), url.Values{"category": {"child_parliamentarian"},
		"full_name_ar": {"طفل آخر"}, "sex": {"male"}, "birth_year": {"2008"}, "guardian_consent": {"on"}, "consent_method": {"before_records"}})
	expectStatus(t, "a method only the migration uses", r, 422)
	var kid int64
	must(t, env.store.DB().Get(&kid, `SELECT id FROM trainees WHERE full_name_ar = $1`, name))
	must(t, env.store.SaveAttendance(ctx, env.session.ID, []repository.Mark{{TraineeID: kid, Status: domain.Present}}, nil))
	if n := countRows(t, env.store, `SELECT count(*) FROM consents c JOIN users u ON u.id = c.recorded_by
	    WHERE c.trainee_id = $1 AND c.scope = 'training' AND c.method = 'oral_guardian_present' AND u.email = 'coordinator@pages.ma'`, kid); n != 1 {
		t.Fatalf("the form's consent is not on record as the coordinator's (%d)", n)
	}

	person := fmt.Sprintf("/people/%d", kid)
	env.coordinator.get(person)
	fields := func() map[string]string {
		return map[string]string{"scope": "photographs", "method": "oral_guardian_present", "wording_version": "2026-1", "given_on": "2026-01-10"}
	}
	r = env.coordinator.uploadScan(person+"/consents", "form.pdf", []byte("not a pdf at all"), fields())
	expectStatus(t, "a scan that is no PDF, JPEG or PNG", r, 422)
	if !strings.Contains(r.Body, "PDF") || countRows(t, env.store, `SELECT count(*) FROM consents WHERE trainee_id = $1`, kid) != 1 {
		t.Errorf("a bad scan: no message, or a consent was written")
	}
	png := []byte("\x89PNG\r\n\x1a\n-the-signed-form-")
	r = env.coordinator.uploadScan(person+"/consents", "form.png", png, fields())
	expectStatus(t, "a consent with its scan", r, 303)
	var photo int64
	must(t, env.store.DB().Get(&photo, `SELECT id FROM consents WHERE trainee_id = $1 AND scope = 'photographs'`, kid))
	scan := fmt.Sprintf("%s/consents/%d/scan", person, photo)
	r = env.coordinator.get(scan)
	expectStatus(t, "the scan", r, 200)
	if r.Body != string(png) || r.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("the scan came back as %q, %q", r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	expectStatus(t, "the scan, for the ministry", ministry.get(scan), 403)

	totals := env.coordinator.get("/api/v1/totals").Body
	// Withdrawal of the consent for training.
	var training int64
	must(t, env.store.DB().Get(&training, `SELECT id FROM consents WHERE trainee_id = $1 AND scope = 'training'`, kid))
	env.coordinator.get(person)
	r = env.coordinator.post(fmt.Sprintf("%s/consents/%d/withdraw", person, training), nil)
	expectStatus(t, "withdraw", r, 303)
	r = env.coordinator.sendJSON("POST", fmt.Sprintf("/api/v1/courses/%d/enrollments", env.otherCourse.ID), fmt.Sprintf(`{"trainee_id": %d}`, kid))
	expectStatus(t, "enrol after the withdrawal", r, 422)
	if countRows(t, env.store, `SELECT count(*) FROM enrollments WHERE trainee_id = $1`, kid) != 1 {
		t.Error("an enrolment was made after the withdrawal")
	}
	number := fmt.Sprintf("#%d", kid)
	for what, target := range map[string]string{"sheet": fmt.Sprintf("/sessions/%d/sign-in-sheet", env.session.ID),
		"export": fmt.Sprintf("/exports/attendance.csv?course=%d", env.course.ID),
		"matrix": fmt.Sprintf("/courses/%d/matrix.csv", env.course.ID)} {
		body := env.coordinator.get(target).Body
		if strings.Contains(body, name) || !strings.Contains(body, number) {
			t.Errorf("the %s still names the child, or lacks their number %s", what, number)
		}
	}
	if after := env.coordinator.get("/api/v1/totals").Body; after != totals {
		t.Errorf("the withdrawal moved the figures:\n%s\n%s", totals, after)
	}

	// A person's data, for admins only.
	expectStatus(t, "a coordinator asks for the data", env.coordinator.get(person+"/data.json"), 403)
	r = admin.get(person + "/data.json")
	expectStatus(t, "the data, as JSON", r, 200)
	var data struct {
		Record       domain.Trainee    `json:"record"`
		Enrolments   []json.RawMessage `json:"enrolments"`
		Marks        []json.RawMessage `json:"marks"`
		Consents     []domain.Consent  `json:"consents"`
		Audit        []map[string]any  `json:"audit"`
		Certificates []json.RawMessage `json:"certificates"`
	}
	must(t, json.Unmarshal([]byte(r.Body), &data))
	audited := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE trainee_id = $1`, kid)
	if data.Record.FullNameAr == nil || *data.Record.FullNameAr != name || len(data.Enrolments) != 1 || len(data.Marks) != 1 ||
		len(data.Consents) != 2 || len(data.Audit) != audited || data.Certificates == nil {
		t.Errorf("the data holds %d enrolments, %d marks, %d consents, %d of %d audit entries: %s",
			len(data.Enrolments), len(data.Marks), len(data.Consents), len(data.Audit), audited, r.Body)
	}
	for _, lang := range []string{"ar", "fr"} {
		admin.headers["Accept-Language"] = lang
		page := admin.get(person + "/data")
		expectStatus(t, "the printable page in "+lang, page, 200)
		if !strings.Contains(page.Body, name) || !strings.Contains(page.Body, "CP-1") {
			t.Errorf("the %s page lacks the name or the course", lang)
		}
	}

	// Anonymisation: a reason, then names, scans and the audit's copies go.
	admin.get(person)
	r = admin.post(person+"/anonymise", url.Values{"reason": {"  "}})
	expectStatus(t, "anonymise without a reason", r, 422)
	if countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = $1 AND anonymised_at IS NULL`, kid) != 1 {
		t.Fatal("anonymised without a reason")
	}
	r = admin.post(person+"/anonymise", url.Values{"reason": {"demande de la famille"}})
	expectStatus(t, "anonymise", r, 303)
	if n := countRows(t, env.store, `SELECT count(*) FROM trainees WHERE id = $1 AND full_name_ar IS NULL AND name_key = ''
	    AND birth_year = 2008 AND sex = 'female' AND category = 'child_parliamentarian'`, kid); n != 1 {
		t.Error("the anonymised record keeps a name, or lost what is counted")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM consents WHERE trainee_id = $1 AND scan IS NOT NULL`, kid); n != 0 {
		t.Error("a scan survived the anonymisation")
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE (before::text || after::text) LIKE '%' || $1 || '%'`, name); n != 0 {
		t.Errorf("%d audit entries still hold the name", n)
	}
	if n := countRows(t, env.store, `SELECT count(*) FROM audit_log WHERE action = 'person.anonymise' AND trainee_id = $1
	    AND after ->> 'reason' = 'demande de la famille'`, kid); n != 1 {
		t.Error("the anonymisation is not audited with its reason")
	}
	if after := env.coordinator.get("/api/v1/totals").Body; after != totals {
		t.Errorf("the anonymisation moved the figures:\n%s\n%s", totals, after)
	}
}
