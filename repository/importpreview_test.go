package repository_test

import (
	"fmt"
	"testing"

	"takaffoul/repository"
)

// A preview says what the import then does: people new and on record, enrolled and
// already enrolled, and a course that the list would overfill.
func TestAPreviewCountsWhatTheImportWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	enrolled := f.institutionalActor("Nadia Alaoui")
	enrolled.NationalID = ptr("AB111111")
	must(t, f.store.CreateTrainee(f.ctx, enrolled, nil))
	_, err := f.store.Enroll(f.ctx, f.course.ID, enrolled.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	onRecord := f.institutionalActor("Omar Tazi")
	onRecord.NationalID = ptr("AB222222")
	must(t, f.store.CreateTrainee(f.ctx, onRecord, nil))
	file := "Nom,Catégorie,Sexe,Organisme,CIN\n" +
		fmt.Sprintf("Nadia Alaoui,Acteur institutionnel,Femme,%d,AB111111\n", f.institution.ID) +
		fmt.Sprintf("Omar Tazi,Acteur institutionnel,Homme,%d,AB222222\n", f.institution.ID) +
		fmt.Sprintf("Salma Idrissi,Acteur institutionnel,Femme,%d,AB333333\n", f.institution.ID) +
		fmt.Sprintf("Yassine Amrani,Acteur institutionnel,Homme,%d,\n", f.institution.ID)
	opt := repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses(), DecideAll: repository.MatchUseExisting}
	dry := opt
	dry.DryRun = true

	// Room for two of the three to enrol: refused alike.
	_, err = f.store.DB().Exec(`UPDATE courses SET capacity = places_taken + 2 WHERE id = $1`, f.course.ID)
	must(t, err)
	_, err = f.importString(file, "l.csv", dry)
	wantImportProblem(t, err, 0, "", "import.course_full")
	_, err = f.importString(file, "l.csv", opt)
	wantImportProblem(t, err, 0, "", "import.course_full")

	_, err = f.store.DB().Exec(`UPDATE courses SET capacity = places_taken + 3 WHERE id = $1`, f.course.ID)
	must(t, err)
	before := f.counts(t)
	preview, err := f.importString(file, "l.csv", dry)
	must(t, err)
	if after := f.counts(t); after != before {
		t.Fatalf("a preview wrote: %s, then %s", before, after)
	}
	report, err := f.importString(file, "l.csv", opt)
	must(t, err)
	want := repository.ImportReport{Rows: 4, Created: 2, Reused: 2, Enrolled: 3, AlreadyEnrolled: 1}
	got := *preview
	got.DryRun = false
	if got.Rows != want.Rows || got.Created != want.Created || got.Reused != want.Reused ||
		got.Enrolled != want.Enrolled || got.AlreadyEnrolled != want.AlreadyEnrolled {
		t.Fatalf("preview %+v, want %+v", got, want)
	}
	if report.Rows != want.Rows || report.Created != want.Created || report.Reused != want.Reused ||
		report.Enrolled != want.Enrolled || report.AlreadyEnrolled != want.AlreadyEnrolled {
		t.Fatalf("import %+v, want %+v", report, want)
	}
}

// A preview of children, one on record and enrolled elsewhere, one new,
// reports what the import then writes, count for count.
func TestAPreviewOfChildrenCountsWhatTheImportWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	onRecord := f.child("أمينة")
	onRecord.BirthYear = ptr(2013)
	must(t, f.store.CreateTrainee(f.ctx, onRecord, nil))
	file := "name,category,sex,birth year,consent\nأمينة,child,m,2013,yes\nيوسف,child,m,2013,yes\n"
	opt := repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses(), DecideAll: repository.MatchUseExisting}
	dry := opt
	dry.DryRun = true
	before := f.counts(t)
	preview, err := f.importString(file, "l.csv", dry)
	must(t, err)
	if after := f.counts(t); after != before {
		t.Fatalf("a preview wrote: %s, then %s", before, after)
	}
	report, err := f.importString(file, "l.csv", opt)
	must(t, err)
	type counts struct{ rows, created, reused, updated, enrolled, already int }
	of := func(r *repository.ImportReport) counts {
		return counts{r.Rows, r.Created, r.Reused, r.Updated, r.Enrolled, r.AlreadyEnrolled}
	}
	if want := (counts{2, 1, 1, 0, 2, 0}); of(preview) != want || of(report) != want {
		t.Fatalf("preview %+v, import %+v, want %+v", of(preview), of(report), want)
	}
}
