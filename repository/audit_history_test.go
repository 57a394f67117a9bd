package repository_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// loggedRow is the newest audit entry of an action about one entity, with
// whether it was written by the transaction that last wrote the row
// (xmin), and its subjects.
type loggedRow struct {
	ActorID   *int64          `db:"actor_id"`
	Before    json.RawMessage `db:"before"`
	After     json.RawMessage `db:"after"`
	TraineeID *int64          `db:"trainee_id"`
	CourseID  *int64          `db:"course_id"`
	SessionID *int64          `db:"session_id"`
	Same      bool            `db:"same"`
}

func lastLogged(t *testing.T, f *fixture, action, table string, id int64) loggedRow {
	t.Helper()
	var r loggedRow
	err := f.store.DB().Get(&r, `SELECT a.actor_id, coalesce(a.before, 'null') AS before, coalesce(a.after, 'null') AS after,
		a.trainee_id, a.course_id, a.session_id, a.xmin::text = (SELECT xmin::text FROM `+table+` WHERE id = $2) AS same
		FROM audit_log a WHERE a.action = $1 AND a.entity_id = $2 ORDER BY a.id DESC LIMIT 1`, action, id)
	if err != nil {
		t.Fatalf("%s of %s %d: no audit entry: %v", action, table, id, err)
	}
	return r
}

// fieldsOf reads a JSON object of the log.
func fieldsOf(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	m := map[string]any{}
	if string(raw) == "null" {
		return m
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return m
}

// Each kind of write (a person, an organisation, an enrolment, a mark, a
// session, a course) is audited as its actor's, in its own transaction,
// with what was before and what is after, and names the person, course
// and session it is about.
func TestEachWriteKindIsAuditedWithBeforeAndAfter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	actor := &domain.User{Email: "coordinator@history.ma", Name: "Coordinator", Role: domain.RoleCoordinator}
	must(t, f.store.CreateUser(f.ctx, actor, "a-long-enough-password", nil))
	by := &actor.ID
	check := func(what string, r loggedRow, trainee, course, session *int64) {
		t.Helper()
		if r.ActorID == nil || *r.ActorID != actor.ID {
			t.Errorf("%s: audited as %v", what, r.ActorID)
		}
		if !r.Same {
			t.Errorf("%s: the entry and the row were written in different transactions", what)
		}
		for _, s := range []struct {
			name      string
			got, want *int64
		}{{"trainee_id", r.TraineeID, trainee}, {"course_id", r.CourseID, course}, {"session_id", r.SessionID, session}} {
			if fmt.Sprint(deref(s.got)) != fmt.Sprint(deref(s.want)) {
				t.Errorf("%s: %s = %v, want %v", what, s.name, deref(s.got), deref(s.want))
			}
		}
	}

	// An organisation: its record after, nothing before.
	org := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association des quartiers")}
	must(t, f.store.CreateOrganisation(f.ctx, &org, by))
	r := lastLogged(t, f, "organisation.create", "organisations", org.ID)
	check("organisation.create", r, nil, nil, nil)
	if string(r.Before) != "null" || fieldsOf(t, r.After)["name_fr"] != "Association des quartiers" {
		t.Errorf("organisation.create: before %s, after %s", r.Before, r.After)
	}

	// A person: the whole record at creation; then every field changed,
	// the constrained ones included (birth year, organisation, consent).
	p := &domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Karim Idrissi"), Sex: domain.Male,
		OrganisationID: &f.association.ID, BirthYear: ptr(1990), Phone: ptr("0612345678")}
	must(t, f.store.CreateTrainee(f.ctx, p, by))
	r = lastLogged(t, f, "trainee.create", "trainees", p.ID)
	check("trainee.create", r, &p.ID, nil, nil)
	if after := fieldsOf(t, r.After); after["full_name_latin"] != "Karim Idrissi" || after["birth_year"] != 1990.0 || after["phone"] != "0612345678" {
		t.Errorf("trainee.create: after %s", r.After)
	}
	changed := *p
	changed.FullNameLatin, changed.BirthYear, changed.OrganisationID = ptr("Karim El Idrissi"), ptr(1991), &org.ID
	changed.Phone, changed.Email, changed.NationalID, changed.Province = nil, ptr("karim@exemple.ma"), ptr("AB123456"), ptr("rabat")
	must(t, f.store.UpdateTrainee(f.ctx, &changed, repository.AllCourses(), by))
	r = lastLogged(t, f, "trainee.update", "trainees", p.ID)
	check("trainee.update", r, &p.ID, nil, nil)
	before, after := fieldsOf(t, r.Before), fieldsOf(t, r.After)
	for field, want := range map[string][2]any{
		"full_name_latin": {"Karim Idrissi", "Karim El Idrissi"}, "birth_year": {1990.0, 1991.0},
		"organisation_id": {float64(f.association.ID), float64(org.ID)}, "phone": {"0612345678", nil},
		"email": {nil, "karim@exemple.ma"}, "national_id": {nil, "AB123456"}, "province": {nil, "rabat"},
	} {
		if before[field] != want[0] || after[field] != want[1] {
			t.Errorf("trainee.update %s: %v → %v, want %v → %v", field, before[field], after[field], want[0], want[1])
		}
	}
	if _, ok := after["sex"]; ok {
		t.Errorf("trainee.update logs a field that did not change: %s", r.After)
	}
	if fmt.Sprint(after["changed"]) != "[full_name_latin phone email national_id province birth_year organisation_id]" {
		t.Errorf("trainee.update: the fields changed are named %v", after["changed"])
	}
	// A child's consent and category are on the record with their values;
	// a minor's birth year by name only (docs/SECURITY.md, "Minors' data").
	kid := f.child("ريم")
	must(t, f.store.CreateTrainee(f.ctx, kid, by))
	grown := *kid
	grown.Category, grown.OrganisationID, grown.GuardianConsent, grown.BirthYear = domain.AssociativeActor, &f.association.ID, false, ptr(2000)
	must(t, f.store.UpdateTrainee(f.ctx, &grown, repository.AllCourses(), by))
	r = lastLogged(t, f, "trainee.update", "trainees", kid.ID)
	before, after = fieldsOf(t, r.Before), fieldsOf(t, r.After)
	if before["guardian_consent"] != true || after["guardian_consent"] != false || before["category"] != "child_parliamentarian" ||
		after["category"] != "associative_actor" || before["birth_year"] != nil || after["birth_year"] != nil ||
		fmt.Sprint(after["changed"]) != "[category birth_year organisation_id guardian_consent]" {
		t.Errorf("a child reclassified: %s → %s", r.Before, r.After)
	}

	// A course: the fields changed, before and after.
	course := f.course
	course.Capacity = 33
	must(t, f.store.UpdateCourse(f.ctx, &course, by))
	r = lastLogged(t, f, "course.update", "courses", course.ID)
	check("course.update", r, nil, &course.ID, nil)
	if fieldsOf(t, r.Before)["capacity"] != 40.0 || fieldsOf(t, r.After)["capacity"] != 33.0 || len(fieldsOf(t, r.After)) != 1 {
		t.Errorf("course.update: %s → %s", r.Before, r.After)
	}

	// A session: its record, under its own id.
	ss := []domain.Session{{StartsAt: time.Date(2019, 3, 12, 9, 0, 0, 0, time.UTC), EndsAt: time.Date(2019, 3, 12, 12, 0, 0, 0, time.UTC),
		Place: "Salle 2", Hours: 3}}
	must(t, f.store.CreateSessions(f.ctx, f.course.ID, ss, by))
	r = lastLogged(t, f, "sessions.create", "sessions", ss[0].ID)
	check("sessions.create", r, nil, &f.course.ID, &ss[0].ID)
	if fieldsOf(t, r.After)["place"] != "Salle 2" {
		t.Errorf("sessions.create: after %s", r.After)
	}

	// An enrolment, created then withdrawn.
	e, err := f.store.Enroll(f.ctx, f.course.ID, p.ID, repository.EnrollOptions{}, by)
	must(t, err)
	r = lastLogged(t, f, "enrollment.create", "enrollments", e.ID)
	check("enrollment.create", r, &p.ID, &f.course.ID, nil)

	// A mark: first nothing → late, then late → present.
	must(t, f.store.SaveAttendance(f.ctx, ss[0].ID, []repository.Mark{{TraineeID: p.ID, Status: domain.Late}}, by))
	var markID int64
	must(t, f.store.DB().Get(&markID, `SELECT id FROM attendance WHERE enrollment_id = $1 AND session_id = $2`, e.ID, ss[0].ID))
	r = lastLogged(t, f, "attendance.mark", "attendance", markID)
	check("attendance.mark (new)", r, &p.ID, &f.course.ID, &ss[0].ID)
	if string(r.Before) != "null" || fieldsOf(t, r.After)["status"] != "late" {
		t.Errorf("a new mark: %s → %s", r.Before, r.After)
	}
	must(t, f.store.SaveAttendance(f.ctx, ss[0].ID, []repository.Mark{{TraineeID: p.ID, Status: domain.Present}}, by))
	r = lastLogged(t, f, "attendance.mark", "attendance", markID)
	check("attendance.mark (changed)", r, &p.ID, &f.course.ID, &ss[0].ID)
	if fieldsOf(t, r.Before)["status"] != "late" || fieldsOf(t, r.After)["status"] != "present" {
		t.Errorf("a changed mark: %s → %s", r.Before, r.After)
	}

	must(t, f.store.Withdraw(f.ctx, f.course.ID, p.ID, by))
	r = lastLogged(t, f, "enrollment.withdraw", "enrollments", e.ID)
	check("enrollment.withdraw", r, &p.ID, &f.course.ID, nil)
	if fieldsOf(t, r.Before)["status"] != "enrolled" || fieldsOf(t, r.After)["status"] != "withdrawn" {
		t.Errorf("enrollment.withdraw: %s → %s", r.Before, r.After)
	}
}

func deref(id *int64) any {
	if id == nil {
		return nil
	}
	return *id
}

// A write that fails leaves no audit entry: the organisation and the person
// created (and audited) before the enrolment was refused are rolled back
// with their entries; a refused mark logs nothing.
func TestAFailingWriteLeavesNoAuditEntry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	audited := func() int {
		var n int
		must(t, f.store.DB().Get(&n, `SELECT count(*) FROM audit_log`))
		return n
	}
	closed := f.otherCourse
	closed.Archived = true
	must(t, f.store.UpdateCourse(f.ctx, &closed, nil))
	n := audited()
	org := &domain.Organisation{Kind: domain.Association, NameFr: ptr("Association éphémère")}
	p := &domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Personne éphémère"), Sex: domain.Female}
	_, err := f.store.EnrollNewWithOrganisation(f.ctx, closed.ID, p, org, repository.EnrollOptions{}, nil)
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("enrolling in an archived course: %v", err)
	}
	if got := audited(); got != n {
		t.Errorf("a refused enrolment left %d audit entries", got-n)
	}
	stranger := f.institutionalActor("Pas inscrite")
	must(t, f.store.CreateTrainee(f.ctx, stranger, nil))
	n = audited()
	err = f.store.SaveAttendance(f.ctx, f.session.ID, []repository.Mark{{TraineeID: stranger.ID, Status: domain.Present}}, nil)
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("marking someone not enrolled: %v", err)
	}
	if got := audited(); got != n {
		t.Errorf("a refused mark left %d audit entries", got-n)
	}
}

// Reading a minor's full record is logged as the reader's; an adult's is not.
func TestReadingAMinorsRecordIsLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	reader := &domain.User{Email: "reader@history.ma", Name: "Reader", Role: domain.RoleCoordinator}
	must(t, f.store.CreateUser(f.ctx, reader, "a-long-enough-password", nil))
	kid, adult := f.child("سلمى"), f.institutionalActor("Adulte")
	must(t, f.store.CreateTrainee(f.ctx, kid, nil))
	must(t, f.store.CreateTrainee(f.ctx, adult, nil))
	for _, id := range []int64{kid.ID, adult.ID} {
		got, err := f.store.TraineeRecord(f.ctx, id, &reader.ID)
		must(t, err)
		if got.ID != id {
			t.Fatalf("read %d, want %d", got.ID, id)
		}
	}
	var reads []struct {
		TraineeID int64 `db:"trainee_id"`
		ActorID   int64 `db:"actor_id"`
	}
	must(t, f.store.DB().Select(&reads, `SELECT trainee_id, actor_id FROM audit_log WHERE action = 'trainee.read'`))
	if len(reads) != 1 || reads[0].TraineeID != kid.ID || reads[0].ActorID != reader.ID {
		t.Errorf("reads logged: %+v, want the minor's only, as the reader's", reads)
	}
}

// The audit log's filters each narrow it, and pages neither overlap nor
// skip an entry.
func TestAuditLogFiltersAndPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	actor := &domain.User{Email: "pager@history.ma", Name: "Pager", Role: domain.RoleCoordinator}
	must(t, f.store.CreateUser(f.ctx, actor, "a-long-enough-password", nil))
	var people []int64
	for i := range 7 {
		p := f.institutionalActor(fmt.Sprintf("Personne %d", i))
		_, err := f.store.EnrollNew(f.ctx, f.course.ID, p, repository.EnrollOptions{}, &actor.ID)
		must(t, err)
		people = append(people, p.ID)
	}
	all, err := f.store.AuditLog(f.ctx, repository.AuditFilter{ActorID: &actor.ID}, repository.Page{Limit: 100})
	must(t, err)
	if len(all) != 14 { // 7 people created, 7 enrolments
		t.Fatalf("the actor's entries: %d, want 14", len(all))
	}
	seen := map[int64]bool{}
	for offset := 0; offset < len(all); offset += 4 {
		page, err := f.store.AuditLog(f.ctx, repository.AuditFilter{ActorID: &actor.ID}, repository.Page{Limit: 4, Offset: offset})
		must(t, err)
		for i, ch := range page {
			if seen[ch.ID] || ch.ID != all[offset+i].ID {
				t.Fatalf("page at %d: entry %d out of place", offset, ch.ID)
			}
			seen[ch.ID] = true
		}
	}
	if len(seen) != len(all) {
		t.Errorf("the pages held %d entries of %d", len(seen), len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID > all[i-1].ID {
			t.Fatal("not newest first")
		}
	}

	count := func(filter repository.AuditFilter) int {
		t.Helper()
		got, err := f.store.AuditLog(f.ctx, filter, repository.Page{Limit: 100})
		must(t, err)
		return len(got)
	}
	tomorrow := time.Now().Add(24 * time.Hour)
	yesterday := time.Now().Add(-24 * time.Hour)
	for _, c := range []struct {
		name   string
		filter repository.AuditFilter
		want   int
	}{
		{"one person", repository.AuditFilter{TraineeID: &people[3]}, 2},
		{"one person, one action", repository.AuditFilter{TraineeID: &people[3], Action: "enrollment.create"}, 1},
		{"the course's enrolments", repository.AuditFilter{CourseID: &f.course.ID, Action: "enrollment.create"}, 7},
		{"from tomorrow", repository.AuditFilter{ActorID: &actor.ID, From: &tomorrow}, 0},
		{"until yesterday", repository.AuditFilter{ActorID: &actor.ID, To: &yesterday}, 0},
		{"since yesterday", repository.AuditFilter{ActorID: &actor.ID, From: &yesterday, To: &tomorrow}, 14},
	} {
		if got := count(c.filter); got != c.want {
			t.Errorf("%s: %d entries, want %d", c.name, got, c.want)
		}
	}
	actions, err := f.store.AuditActions(f.ctx)
	must(t, err)
	if fmt.Sprint(actions) != "[course.create enrollment.create organisation.create programme.create sessions.create trainee.create user.create]" {
		t.Errorf("actions: %v", actions)
	}
}
