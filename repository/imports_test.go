package repository_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// importString parses and imports a file as the HTTP handler will.
func (f *fixture) importString(data, name string, opt repository.ImportOptions) (*repository.ImportReport, error) {
	return f.store.ImportTrainees(f.ctx, domain.ParseImport(strings.NewReader(data), name), opt, f.importerID())
}

// counts is the number of rows of the tables an import may write.
func (f *fixture) counts(t *testing.T) string {
	t.Helper()
	var c struct {
		Trainees    int `db:"trainees"`
		Enrollments int `db:"enrollments"`
		Audit       int `db:"audit"`
	}
	must(t, f.store.DB().Get(&c, `SELECT (SELECT count(*) FROM trainees) AS trainees,
		(SELECT count(*) FROM enrollments) AS enrollments, (SELECT count(*) FROM audit_log) AS audit`))
	return fmt.Sprintf("%+v", c)
}

// wantImportProblem fails unless err is an ImportError holding key at row/column.
func wantImportProblem(t *testing.T, err error, row int, column, key string) {
	t.Helper()
	var ie *domain.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("want an import error %s, got %v", key, err)
	}
	for _, p := range ie.Problems {
		if p.Row == row && p.Column == column && p.Key == key {
			return
		}
	}
	t.Fatalf("want problem %s at row %d column %q, got %+v", key, row, column, ie.Problems)
}

func TestBadImportFilesChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Something on record already, so that "unchanged" is not just "empty".
	existing := f.institutionalActor("Nadia Alaoui")
	existing.NationalID = ptr("AB123456")
	must(t, f.store.CreateTrainee(f.ctx, existing, nil))
	_, err := f.store.Enroll(f.ctx, f.course.ID, existing.ID, repository.EnrollOptions{}, nil)
	must(t, err)
	before := f.counts(t)

	org := strconv.FormatInt(f.institution.ID, 10)
	cases := []struct {
		name, file, filename string
		row                  int
		column, key          string
	}{
		{"missing required column", "Nom;Sexe\r\nHélène;Femme\r\n", "liste.csv", 1, "category", "import.column_missing"},
		{"empty file", "", "liste.csv", 0, "", "import.file_empty"},
		{"binary renamed .csv", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00", "liste.csv", 0, "", "import.binary_file"},
		{"same national ID twice", "name,category,sex,organisation,cin\nA,institutional,f," + org + ",CD1\nB,institutional,m," + org + ",cd1\n",
			"liste.csv", 3, "national_id", "import.duplicate_national_id"},
		{"identical rows", "name,category,sex,birth year,consent\nSalma,child,f,2008,yes\nSalma,child,f,2008,yes\n", "liste.csv", 3, "", "import.duplicate_row"},
		{"child with a phone", "name,category,sex,birth year,consent,phone\nYassine,child,m,2008,yes,0612345678\n", "liste.csv", 2, "phone", "trainee.child_refuses_field"},
		{"organisation id not on record", "name,category,sex,organisation\nA,institutional,f,999999\n", "liste.csv", 2, "organisation", "trainee.organisation_unknown"},
		{"column without a choice", "name,category,sex,organisation,notes\nA,institutional,f," + org + ",x\n", "liste.csv", 1, "", "import.column_unmapped"},
		{"wrong kind of organisation", "name,category,sex,organisation\nA,associative,f," + org + "\n", "liste.csv", 2, "organisation", "trainee.association_required"},
		{"unknown province", "name,category,sex,organisation,province\nA,institutional,f," + org + ",atlantis\n", "liste.csv", 2, "province", "province.unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, dryRun := range []bool{true, false} {
				_, err := f.importString(c.file, c.filename, repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses(), DryRun: dryRun})
				wantImportProblem(t, err, c.row, c.column, c.key)
				if after := f.counts(t); after != before {
					t.Fatalf("the database changed: %s → %s", before, after)
				}
			}
		})
	}
}

func TestEveryProblemIsListedAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	file := "name,category,sex,organisation,birth year,consent,phone\n" +
		"Good,institutional,f,Centre multifonctionnel,,,\n" +
		"A,institutional,f,999999,,,\n" + // row 3: database problem (an id not on record)
		"B,child,m,,2008,yes,0611111111\n" + // row 4: parser problem
		"C,child,m,,1990,yes,\n" // row 5: too old for a 2019 course
	_, err := f.importString(file, "l.csv", repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses(), DryRun: true})
	wantImportProblem(t, err, 3, "organisation", "trainee.organisation_unknown")
	wantImportProblem(t, err, 4, "phone", "trainee.child_refuses_field")
	wantImportProblem(t, err, 5, "birth_year", "enrollment.child_not_minor")
	var ie *domain.ImportError
	errors.As(err, &ie)
	if len(ie.Problems) != 3 || ie.Problems[0].Row != 3 || ie.Problems[2].Row != 5 {
		t.Fatalf("want exactly the 3 problems in row order, got %+v", ie.Problems)
	}
	assertCount(t, f, "trainees", 0)
}

// thousandRows builds a valid list of 1,000 people of every category, the
// organisations named by id, registration number and name.
func thousandRows(f *fixture) string {
	var b strings.Builder
	b.WriteString("Nom (arabe),Nom (latin),Catégorie,Sexe,Année de naissance,Organisme,Province,Téléphone,CIN,Consentement\r\n")
	for i := 0; i < 1000; i++ {
		sex := []string{"Femme", "Homme"}[i%2]
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "فاطمة %d,Hélène Aït-Lahcen %d,Acteur institutionnel,%s,1980,%d,rabat,0612%06d,AB%d,\r\n", i, i, sex, f.institution.ID, i, i)
		case 1:
			fmt.Fprintf(&b, ",\"Ben \"\"Le Sage\"\", %d\",Acteur institutionnel,%s,,Centre multifonctionnel,Préfecture de Rabat,,CD%d,\r\n", i, sex, i)
		case 2:
			fmt.Fprintf(&b, "جمعية %d,,Acteur associatif,%s,,ASSO-1,,,,\r\n", i, sex)
		case 3:
			fmt.Fprintf(&b, "طفل %d,,Enfant parlementaire,%s,2007,,rabat,,,oui\r\n", i, sex)
		}
	}
	return b.String()
}

func TestThousandRowsImportThenReimportCreatesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.store.DB().Exec(`UPDATE organisations SET registration_number = 'ASSO-1' WHERE id = $1`, f.association.ID)
	must(t, err)
	_, err = f.store.DB().Exec(`UPDATE courses SET capacity = 1000 WHERE id = $1`, f.course.ID)
	must(t, err)
	file := thousandRows(f)
	opt := repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses()}

	dry := opt
	dry.DryRun = true
	preview, err := f.importString(file, "liste.csv", dry)
	must(t, err)
	if preview.Created != 1000 || preview.Enrolled != 1000 || !preview.DryRun {
		t.Fatalf("preview: %+v", preview)
	}
	assertCount(t, f, "trainees", 0)

	report, err := f.importString(file, "liste.csv", opt)
	must(t, err)
	if report.Rows != 1000 || report.Created != 1000 || report.Reused != 0 || report.Enrolled != 1000 {
		t.Fatalf("first import: %+v", report)
	}
	assertCount(t, f, "trainees", 1000)
	assertCount(t, f, "enrollments", 1000)

	again, err := f.importString(file, "liste.csv", opt)
	must(t, err)
	if again.Created != 0 || again.Reused != 1000 || again.Enrolled != 0 || again.AlreadyEnrolled != 1000 {
		t.Fatalf("second import must create nothing: %+v", again)
	}
	assertCount(t, f, "trainees", 1000)
	assertCount(t, f, "enrollments", 1000)
	assertPlacesTaken(t, f.store)

	// The names went in intact, and the trainee can be found by search key.
	var latin string
	must(t, f.store.DB().Get(&latin, `SELECT full_name_latin FROM trainees WHERE national_id = 'CD1'`))
	if latin != `Ben "Le Sage", 1` {
		t.Fatalf("quoted name: %q", latin)
	}
	var key string
	must(t, f.store.DB().Get(&key, `SELECT name_key FROM trainees WHERE national_id = 'AB0'`))
	if key != domain.SearchKey("فاطمة 0")+" | "+domain.SearchKey("Hélène Aït-Lahcen 0") {
		t.Fatalf("name_key not filled: %q", key)
	}
}

func TestFrenchExcelFileImports(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	file := "\ufeffNom et prénom;Catégorie;Sexe;Organisme;Province;Téléphone;CIN\r\n" +
		"Hélène Aït-Lahcen;Acteur institutionnel;Femme;Centre multifonctionnel;Préfecture de Rabat;06 12 34 56 78;ab123456\r\n"
	report, err := f.importString(file, "liste.csv", repository.ImportOptions{})
	must(t, err)
	if report.Created != 1 {
		t.Fatalf("%+v", report)
	}
	var tr domain.Trainee
	must(t, f.store.DB().Get(&tr, `SELECT t.id, t.category, t.full_name_ar, t.full_name_latin, t.sex, t.birth_year,
	       t.organisation_id, p.code AS province, t.phone, t.email, t.national_id, EXISTS (SELECT 1 FROM consents c WHERE c.trainee_id = t.id AND c.withdrawn_at IS NULL) AS guardian_consent
	  FROM trainees t LEFT JOIN provinces p ON p.id = t.province_id`))
	if *tr.FullNameLatin != "Hélène Aït-Lahcen" || *tr.OrganisationID != f.institution.ID || *tr.Province != "rabat" ||
		*tr.Phone != "0612345678" || *tr.NationalID != "AB123456" {
		t.Fatalf("stored: %+v", tr)
	}
}

func TestXLSXImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	x := excelize.NewFile()
	defer x.Close()
	rows := [][]any{
		{"الاسم الكامل بالعربية", "الفئة", "الجنس", "سنة الازدياد", "موافقة الولي"},
		{"فاطمة الزهراء بنعلي", "طفل برلماني", "أنثى", 2008, "نعم"},
	}
	for i, r := range rows {
		must(t, x.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+1), &r))
	}
	var buf bytes.Buffer
	must(t, x.Write(&buf))
	report, err := f.store.ImportTrainees(f.ctx, domain.ParseImport(&buf, "لائحة.xlsx"),
		repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses()}, f.importerID())
	must(t, err)
	if report.Created != 1 || report.Enrolled != 1 {
		t.Fatalf("%+v", report)
	}
}

func TestImportCapacityAndScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.store.DB().Exec(`UPDATE courses SET capacity = 1 WHERE id = $1`, f.course.ID)
	must(t, err)
	file := "name,category,sex,birth year,consent\nSalma,child,f,2008,yes\nYassine,child,m,2008,yes\n"
	_, err = f.importString(file, "l.csv", repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses()})
	wantImportProblem(t, err, 0, "", "import.course_full")
	assertCount(t, f, "trainees", 0)

	report, err := f.importString(file, "l.csv", repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses(), OverrideCapacity: true})
	must(t, err)
	if report.Enrolled != 2 {
		t.Fatalf("a coordinator may override the capacity: %+v", report)
	}

	_, err = f.importString(file, "l.csv", repository.ImportOptions{CourseID: f.otherCourse.ID, Scope: repository.OnlyCourses(f.course.ID)})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a course outside the scope: want ErrNotFound, got %v", err)
	}
}

// Two imports of the same list and a concurrent creation of one of its
// people: nobody is created twice.
func TestConcurrentImportsNeverDuplicatePeople(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("name,category,sex,organisation,cin,birth year,consent\n")
	// Children who are minors this year: imported without a course, they must be (issue 15).
	childBorn := domain.CurrentYear(time.Now()) - 12
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "Person %d,institutional,f,%d,EF%d,,\n", i, f.institution.ID, i)
		fmt.Fprintf(&b, "Child %d,child,m,,,%d,yes\n", i, childBorn)
	}
	file := b.String()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.importString(file, "l.csv", repository.ImportOptions{})
			errs <- err
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		tr := f.institutionalActor("Person 7")
		tr.NationalID = ptr("EF7")
		err := f.store.CreateTrainee(f.ctx, tr, nil)
		if errors.Is(err, domain.ErrConflict) {
			err = nil // the import was first: fine
		}
		errs <- err
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	assertCount(t, f, "trainees", 100)
}

func TestSamePersonNamedTwoWaysIsADuplicate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	org := strconv.FormatInt(f.institution.ID, 10)
	file := "name,category,sex,organisation\nAmina Tazi,institutional,f," + org + "\nAmina Tazi,institutional,f,Centre multifonctionnel\n"
	_, err := f.importString(file, "l.csv", repository.ImportOptions{DryRun: true})
	wantImportProblem(t, err, 3, "", "import.duplicate_row")
	assertCount(t, f, "trainees", 0)
}

// A person the enrolment page creates while an import runs, under a
// national ID of the list, is the list's person: the import's insert waits
// for that creation, skips the row and points it at them (the rematch,
// which runs only when the insert inserted fewer people than planned).
func TestAPersonCreatedDuringTheImportIsReused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	page, err := f.store.DB().Beginx()
	must(t, err)
	defer page.Rollback()
	_, err = page.Exec(`INSERT INTO trainees (category, full_name_latin, name_key, sex, organisation_id, organisation_kind, national_id)
	                    VALUES ('institutional_actor', 'Rachid Idrissi', 'rachid idrissi', 'male', $1, 'institution', 'RM1')`, f.institution.ID)
	must(t, err)

	file := fmt.Sprintf("name,category,sex,organisation,cin\nRachid Idrissi,institutional,m,%d,RM1\nSara Bennani,institutional,f,%d,RM2\n",
		f.institution.ID, f.institution.ID)
	type result struct {
		report *repository.ImportReport
		err    error
	}
	done := make(chan result, 1)
	go func() {
		report, err := f.importString(file, "l.csv", repository.ImportOptions{})
		done <- result{report, err}
	}()
	// The import's insert waits on the uncommitted RM1; then the page commits.
	waitForALockWait(t, f)
	must(t, page.Commit())

	r := <-done
	must(t, r.err)
	if r.report.Created != 1 || r.report.Reused != 1 {
		t.Errorf("created %d, reused %d; want 1 and 1 (RM1 is the person the page created)", r.report.Created, r.report.Reused)
	}
	assertCount(t, f, "trainees", 2)
}

// waitForALockWait returns once a connection to f's database waits on a lock.
func waitForALockWait(t *testing.T, f *fixture) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var waiting int
		must(t, f.store.DB().Get(&waiting, `SELECT count(*) FROM pg_stat_activity
		                                     WHERE datname = current_database() AND wait_event_type = 'Lock'`))
		if waiting > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no connection waited on a lock within 30 s")
}

// The audit entry of each person an import creates is the record as it was
// stored (read back from trainees here; the import writes it from its own
// rows), a child's reduced to the counted fields.
func TestImportAuditsEachPersonAsStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	childBorn := domain.CurrentYear(time.Now()) - 12
	file := "\ufeffNom et prénom;Catégorie;Sexe;Organisme;Province;Téléphone;CIN;Année de naissance;Consentement\r\n" +
		"Hélène Aït-Lahcen;Acteur institutionnel;Femme;Centre multifonctionnel;Préfecture de Rabat;06 12 34 56 78;ab123456;1984;\r\n" +
		"Yassine;Enfant parlementaire;Homme;;;;;" + strconv.Itoa(childBorn) + ";oui\r\n"
	report, err := f.importString(file, "liste.csv", repository.ImportOptions{})
	must(t, err)
	if report.Created != 2 {
		t.Fatalf("%+v", report)
	}
	var differ []string
	must(t, f.store.DB().Select(&differ, `SELECT a.after::text || ' <> ' || s.stored::text FROM audit_log a
	  JOIN (SELECT t.id, CASE WHEN t.category = 'child_parliamentarian'
	            THEN jsonb_build_object('category', t.category, 'organisation_id', t.organisation_id, 'guardian_consent', c.active)
	            ELSE jsonb_build_object('id', t.id, 'category', t.category, 'full_name_ar', t.full_name_ar,
	                 'full_name_latin', t.full_name_latin, 'sex', t.sex, 'birth_year', t.birth_year,
	                 'organisation_id', t.organisation_id, 'province', p.code, 'phone', t.phone, 'email', t.email,
	                 'national_id', t.national_id, 'guardian_consent', c.active) END AS stored
	          FROM trainees t LEFT JOIN provinces p ON p.id = t.province_id,
	               LATERAL (SELECT EXISTS (SELECT 1 FROM consents WHERE trainee_id = t.id AND scope = 'training' AND withdrawn_at IS NULL) AS active) c) s
	    ON s.id = a.entity_id
	 WHERE a.action = 'trainee.create' AND a.after IS DISTINCT FROM s.stored`))
	if len(differ) > 0 {
		t.Errorf("audit entries that are not the stored record:\n%s", strings.Join(differ, "\n"))
	}
	var audited int
	must(t, f.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'trainee.create'`))
	if audited != 2 {
		t.Errorf("%d people audited as created, want 2", audited)
	}
}
