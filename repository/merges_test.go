package repository_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// mergeTables are the tables a merge may touch, and those whose counters
// triggers keep from them.
var mergeTables = []string{"trainees", "organisations", "organisation_keys", "enrollments", "attendance",
	"courses", "sessions", "totals_person_cells", "totals_assoc_cells"}

// dumpTables is every row of tables (mergeTables when none), as text, in a
// stable order.
func dumpTables(t *testing.T, f *fixture, tables ...string) map[string][]string {
	t.Helper()
	if len(tables) == 0 {
		tables = mergeTables
	}
	_, err := f.store.FoldTotals(f.ctx)
	must(t, err)
	dump := map[string][]string{}
	for _, table := range tables {
		var rows []string
		must(t, f.store.DB().Select(&rows, `SELECT to_jsonb(t)::text FROM `+table+` t ORDER BY 1`))
		dump[table] = rows
	}
	return dump
}

func assertSameDump(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for table := range want {
		if !reflect.DeepEqual(got[table], want[table]) {
			t.Errorf("%s differs from before the merge:\n got %v\nwant %v", table, got[table], want[table])
		}
	}
}

// assertFiguresFromRecords checks the cube's national figures (and one
// course's, counted from the records) against the per-record count.
func assertFiguresFromRecords(t *testing.T, f *fixture) {
	t.Helper()
	for _, filter := range []domain.TotalsFilter{{}, {Programme: f.programme.Code}, {Category: domain.InstitutionalActor}} {
		got, err := f.store.Totals(f.ctx, filter)
		must(t, err)
		want, err := f.store.TotalsFromRecords(f.ctx, filter)
		must(t, err)
		if !reflect.DeepEqual(got, want) {
			reportDifference(t, got, want)
			t.Fatalf("cube and records differ for %+v", filter)
		}
	}
	assertCubeMatchesRebuild(t, f.store)
	assertPlacesTaken(t, f.store)
}

// twoRecordsOfOnePerson: kept and removed, both enrolled in f.course
// (removed with more marks), removed alone in f.otherCourse; removed has
// the CIN and phone kept lacks.
func twoRecordsOfOnePerson(t *testing.T, f *fixture) (kept, removed *domain.Trainee, third domain.Session) {
	t.Helper()
	kept = f.institutionalActor("Amina Alaoui")
	must(t, f.store.CreateTrainee(f.ctx, kept, nil))
	removed = f.institutionalActor("Amina Alaoui ")
	removed.NationalID, removed.Phone = ptr("AB12345"), ptr("0612345678")
	must(t, f.store.CreateTrainee(f.ctx, removed, nil))
	third = f.newSession(t, f.course.ID)
	sessions := f.sessionsOf(t, f.course.ID)
	for _, p := range []*domain.Trainee{kept, removed} {
		_, err := f.store.Enroll(f.ctx, f.course.ID, p.ID, repository.EnrollOptions{}, nil)
		must(t, err)
	}
	_, err := f.store.Enroll(f.ctx, f.otherCourse.ID, removed.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	// kept: absent at session 0 (saved last); removed: present at 0 and 1.
	must(t, f.store.SaveAttendance(f.ctx, sessions[0], []repository.Mark{{TraineeID: removed.ID, Status: domain.Present}}, nil))
	must(t, f.store.SaveAttendance(f.ctx, sessions[1], []repository.Mark{{TraineeID: removed.ID, Status: domain.Present}}, nil))
	must(t, f.store.SaveAttendance(f.ctx, sessions[0], []repository.Mark{{TraineeID: kept.ID, Status: domain.Absent}}, nil))
	must(t, f.store.SaveAttendance(f.ctx, f.otherSessionID(t), []repository.Mark{{TraineeID: removed.ID, Status: domain.Late}}, nil))
	// Marks saved at distinct moments, kept's last.
	_, err = f.store.DB().Exec(`UPDATE attendance a SET marked_at = now() - interval '1 day' + e.trainee_id * interval '1 hour'
	    FROM enrollments e WHERE e.id = a.enrollment_id`)
	must(t, err)
	_, err = f.store.DB().Exec(`UPDATE attendance a SET marked_at = now() FROM enrollments e
	    WHERE e.id = a.enrollment_id AND e.trainee_id = $1`, kept.ID)
	must(t, err)
	return kept, removed, third
}

func (f *fixture) sessionsOf(t *testing.T, courseID int64) []int64 {
	t.Helper()
	var ids []int64
	must(t, f.store.DB().Select(&ids, `SELECT id FROM sessions WHERE course_id = $1 ORDER BY id`, courseID))
	return ids
}

func (f *fixture) otherSessionID(t *testing.T) int64 { return f.sessionsOf(t, f.otherCourse.ID)[0] }

// Merging two records of one person and unmerging puts back every row of
// every table touched exactly, and the figures equal the per-record count
// after each.
func TestMergeThenUnmergeRestoresEveryRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kept, removed, _ := twoRecordsOfOnePerson(t, f)
	assertFiguresFromRecords(t, f)
	before := dumpTables(t, f)

	id, err := f.store.MergeTrainees(f.ctx, kept.ID, removed.ID, nil)
	must(t, err)
	if _, err := f.store.Trainee(f.ctx, removed.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the removed record is still there: %v", err)
	}
	merged, err := f.store.Trainee(f.ctx, kept.ID)
	must(t, err)
	if merged.NationalID == nil || *merged.NationalID != "AB12345" || merged.Phone == nil {
		t.Errorf("the kept record did not take the CIN and phone it lacked: %+v", merged)
	}
	var enrolments int
	must(t, f.store.DB().Get(&enrolments, `SELECT count(*) FROM enrollments WHERE trainee_id = $1`, kept.ID))
	if enrolments != 2 {
		t.Errorf("kept person has %d enrolments after the merge, want 2 (one per course)", enrolments)
	}
	assertFiguresFromRecords(t, f)
	var audited int
	must(t, f.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'trainee.merge' AND entity_id = $1`, kept.ID))
	if audited != 1 {
		t.Errorf("%d audit entries for the merge, want 1", audited)
	}

	must(t, f.store.Unmerge(f.ctx, id, nil))
	assertSameDump(t, dumpTables(t, f), before)
	assertFiguresFromRecords(t, f)
	if err := f.store.Unmerge(f.ctx, id, nil); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("a second unmerge: %v, want a conflict", err)
	}
}

// The clash rule: in a course both records follow, the enrolment with more
// marks is kept; per session the mark saved last wins; the other
// enrolment goes.
func TestMergeClashKeepsTheEnrolmentWithMoreMarksAndTheLatestMark(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kept, removed, _ := twoRecordsOfOnePerson(t, f)
	var removedEnrolment int64
	must(t, f.store.DB().Get(&removedEnrolment, `SELECT id FROM enrollments WHERE trainee_id = $1 AND course_id = $2`,
		removed.ID, f.course.ID))
	_, err := f.store.MergeTrainees(f.ctx, kept.ID, removed.ID, nil)
	must(t, err)
	var got struct {
		ID       int64 `db:"id"`
		Marks    int   `db:"marks_count"`
		Attended int   `db:"attended_count"`
	}
	must(t, f.store.DB().Get(&got, `SELECT id, marks_count, attended_count FROM enrollments WHERE trainee_id = $1 AND course_id = $2`,
		kept.ID, f.course.ID))
	if got.ID != removedEnrolment {
		t.Errorf("kept enrolment %d, want %d (the one with two marks)", got.ID, removedEnrolment)
	}
	var statuses []string
	must(t, f.store.DB().Select(&statuses, `SELECT status FROM attendance WHERE enrollment_id = $1 ORDER BY session_id`, got.ID))
	// Session 0: kept's "absent" was saved after removed's "present".
	if strings.Join(statuses, ",") != "absent,present" || got.Marks != 2 || got.Attended != 1 {
		t.Errorf("marks %v, counters %d/%d; want absent,present and 2 marks, 1 attended", statuses, got.Marks, got.Attended)
	}
}

// Organisations: merging two associations moves their members, gives the
// kept one the removed one's names (a twin typed later finds it), and an
// unmerge puts every row back.
func TestMergeOrganisationsThenUnmerge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	twin := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association Al Amal")}
	must(t, f.store.CreateOrganisation(f.ctx, &twin, nil))
	for i, org := range []int64{f.association.ID, twin.ID} {
		p := &domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr([]string{"Said", "Hind"}[i]), Sex: domain.Male,
			OrganisationID: &org}
		must(t, f.store.CreateTrainee(f.ctx, p, nil))
		_, err := f.store.Enroll(f.ctx, f.course.ID, p.ID, repository.EnrollOptions{}, nil)
		must(t, err)
		must(t, f.store.SaveAttendance(f.ctx, f.sessionsOf(t, f.course.ID)[0], []repository.Mark{{TraineeID: p.ID, Status: domain.Present}}, nil))
	}
	assertFiguresFromRecords(t, f)
	before := dumpTables(t, f)
	associations := func() int {
		tot, err := f.store.Totals(f.ctx, domain.TotalsFilter{})
		must(t, err)
		return tot.Associations.Trained
	}
	if n := associations(); n != 2 {
		t.Fatalf("%d associations before the merge, want 2", n)
	}

	id, err := f.store.MergeOrganisations(f.ctx, f.association.ID, twin.ID, nil)
	must(t, err)
	assertFiguresFromRecords(t, f)
	if n := associations(); n != 1 {
		t.Errorf("%d associations after the merge, want 1", n)
	}
	// The organisation each enrolment recorded (migration 00014) moves too.
	var recorded []int64
	must(t, f.store.DB().Select(&recorded, `SELECT organisation_id FROM enrollments ORDER BY id`))
	if !slices.Equal(recorded, []int64{f.association.ID, f.association.ID}) {
		t.Errorf("the enrolments record organisations %v after the merge, want the kept %d", recorded, f.association.ID)
	}
	again := domain.Organisation{Kind: domain.Association, NameFr: ptr("association al amal ")}
	var exists *domain.OrganisationExists
	if err := f.store.CreateOrganisation(f.ctx, &again, nil); !errors.As(err, &exists) || exists.Existing.ID != f.association.ID {
		t.Errorf("the removed one's name typed again: %v, want the kept organisation offered", err)
	}

	must(t, f.store.Unmerge(f.ctx, id, nil))
	assertSameDump(t, dumpTables(t, f), before)
	assertFiguresFromRecords(t, f)
}

// An unmerge after a change to a row the merge left (a mark saved on a
// moved enrolment) would undo that change: refused, nothing changed.
func TestUnmergeRefusedAfterALaterChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kept, removed, third := twoRecordsOfOnePerson(t, f)
	id, err := f.store.MergeTrainees(f.ctx, kept.ID, removed.ID, nil)
	must(t, err)
	var thirdID int64
	must(t, f.store.DB().Get(&thirdID, `SELECT id FROM sessions WHERE course_id = $1 AND starts_at = $2`, f.course.ID, third.StartsAt))
	must(t, f.store.SaveAttendance(f.ctx, f.otherSessionID(t), []repository.Mark{{TraineeID: kept.ID, Status: domain.Absent}}, nil))
	after := dumpTables(t, f)
	if err := f.store.Unmerge(f.ctx, id, nil); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("unmerge after a later mark: %v, want a conflict", err)
	}
	assertSameDump(t, dumpTables(t, f), after)
}

// Two records of different categories, or one record twice, are not merged.
func TestMergeRefusesWhatCannotBeOnePerson(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	adult := f.institutionalActor("Karim")
	must(t, f.store.CreateTrainee(f.ctx, adult, nil))
	child := f.child("كريم")
	must(t, f.store.CreateTrainee(f.ctx, child, nil))
	if _, err := f.store.MergeTrainees(f.ctx, adult.ID, child.ID, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("an adult and a child: %v, want invalid", err)
	}
	if _, err := f.store.MergeTrainees(f.ctx, adult.ID, adult.ID, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("one record with itself: %v, want invalid", err)
	}
	if _, err := f.store.MergeOrganisations(f.ctx, f.institution.ID, f.association.ID, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("an institution and an association: %v, want invalid", err)
	}
}

// The duplicates page's lists: a CIN one character apart, the same name
// and birth year in two organisations, similar names in one organisation;
// organisations with similar names. Distinct people are not listed.
func TestLikelyDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := domain.Organisation{Kind: domain.Institution, NameFr: ptr("Délégation de la santé")}
	must(t, f.store.CreateOrganisation(f.ctx, &other, nil))
	twin := domain.Organisation{Kind: domain.Institution, NameFr: ptr("Centre multifonctionel"), Province: ptr("rabat")}
	must(t, f.store.CreateOrganisation(f.ctx, &twin, nil))
	for _, p := range []struct {
		name, cin string
		year      int
		org       int64
	}{
		{"Youssef Benali", "AB123456", 1980, f.institution.ID},
		{"Youssef Ben Ali", "AB123457", 1985, other.ID}, // CIN one character apart
		{"Fatima Zahra", "", 1990, f.institution.ID},
		{"Fatima Zahra", "", 1990, other.ID},          // same name and year elsewhere
		{"Mohamed Tazi", "", 1970, f.institution.ID},  //
		{"Mohammed Tazi", "", 1971, f.institution.ID}, // similar name, same organisation
		{"Karima Idrissi", "", 1975, other.ID},        // nobody's twin
	} {
		tr := &domain.Trainee{Category: domain.InstitutionalActor, FullNameLatin: ptr(p.name), Sex: domain.Female,
			BirthYear: ptr(p.year), OrganisationID: ptr(p.org)}
		if p.cin != "" {
			tr.NationalID = ptr(p.cin)
		}
		must(t, f.store.CreateTrainee(f.ctx, tr, nil))
	}
	pairs, err := f.store.LikelyDuplicatePeople(f.ctx, repository.Page{})
	must(t, err)
	got := map[string]string{}
	for _, p := range pairs {
		got[*p.A.FullNameLatin+" / "+*p.B.FullNameLatin] = p.Reason
	}
	want := map[string]string{
		"Youssef Benali / Youssef Ben Ali": repository.ReasonNationalID,
		"Fatima Zahra / Fatima Zahra":      repository.ReasonNameAndYear,
		"Mohamed Tazi / Mohammed Tazi":     repository.ReasonSimilarNames,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("likely duplicate people:\n got %v\nwant %v", got, want)
	}
	orgs, err := f.store.LikelyDuplicateOrganisations(f.ctx, repository.Page{})
	must(t, err)
	if len(orgs) != 1 || orgs[0].A.ID != f.institution.ID || orgs[0].B.ID != twin.ID {
		t.Errorf("likely duplicate organisations: %+v, want the two centres", orgs)
	}
}

// A column a later migration adds — an enrolment's record of the
// organisation the person had when enrolled, a table of corrections that
// points at enrolments — is handled without the merge naming it: an
// organisation merge moves what points at the removed organisation, and
// an unmerge puts every value back.
func TestMergeFollowsColumnsAddedLater(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.store.DB().Exec(`ALTER TABLE enrollments ADD COLUMN org_when_enrolled bigint REFERENCES organisations (id);
	    CREATE TABLE enrollment_notes (id bigserial PRIMARY KEY, enrollment_id bigint NOT NULL REFERENCES enrollments (id), note text)`)
	must(t, err)
	twin := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association Al Amal de Rabat")}
	must(t, f.store.CreateOrganisation(f.ctx, &twin, nil))
	p := &domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Said"), Sex: domain.Male, OrganisationID: &twin.ID}
	must(t, f.store.CreateTrainee(f.ctx, p, nil))
	e, err := f.store.Enroll(f.ctx, f.course.ID, p.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	_, err = f.store.DB().Exec(`UPDATE enrollments SET org_when_enrolled = $1 WHERE id = $2`, twin.ID, e.ID)
	must(t, err)
	_, err = f.store.DB().Exec(`INSERT INTO enrollment_notes (enrollment_id, note) VALUES ($1, 'came late')`, e.ID)
	must(t, err)
	tables := append(slices.Clone(mergeTables), "enrollment_notes")
	before := dumpTables(t, f, tables...)

	id, err := f.store.MergeOrganisations(f.ctx, f.association.ID, twin.ID, nil)
	must(t, err)
	var recorded int64
	must(t, f.store.DB().Get(&recorded, `SELECT org_when_enrolled FROM enrollments WHERE id = $1`, e.ID))
	if recorded != f.association.ID {
		t.Errorf("the enrolment's organisation is %d after the merge, want the kept %d", recorded, f.association.ID)
	}
	must(t, f.store.Unmerge(f.ctx, id, nil))
	assertSameDump(t, dumpTables(t, f, tables...), before)

	// A person merge whose clash deletes an enrolment takes the rows that
	// point at it to the enrolment kept, and back.
	twinPerson := &domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr("Said "), Sex: domain.Male, OrganisationID: &twin.ID}
	must(t, f.store.CreateTrainee(f.ctx, twinPerson, nil))
	_, err = f.store.Enroll(f.ctx, f.course.ID, twinPerson.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	// A mark makes the twin's enrolment the one kept: the note leaves the other.
	must(t, f.store.SaveAttendance(f.ctx, f.sessionsOf(t, f.course.ID)[0], []repository.Mark{{TraineeID: twinPerson.ID, Status: domain.Present}}, nil))
	before = dumpTables(t, f, tables...)
	id, err = f.store.MergeTrainees(f.ctx, twinPerson.ID, p.ID, nil)
	must(t, err)
	var notes int
	must(t, f.store.DB().Get(&notes, `SELECT count(*) FROM enrollment_notes n JOIN enrollments e ON e.id = n.enrollment_id
	    WHERE e.trainee_id = $1`, twinPerson.ID))
	if notes != 1 {
		t.Errorf("%d notes follow the enrolment kept, want 1", notes)
	}
	must(t, f.store.Unmerge(f.ctx, id, nil))
	assertSameDump(t, dumpTables(t, f, tables...), before)
}
