package repository_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The import wizard's decisions (issue 15, points 3 and 4; docs/IMPORTS.md).

func importProblems(t *testing.T, err error) []domain.ImportProblem {
	t.Helper()
	var ie *domain.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("want an import error, got %v", err)
	}
	return ie.Problems
}

func matchOf(t *testing.T, r *repository.ImportReport, row int) repository.ImportMatch {
	t.Helper()
	for _, m := range r.Matches {
		if m.Row == row {
			return m
		}
	}
	t.Fatalf("no match listed for row %d: %+v", row, r.Matches)
	return repository.ImportMatch{}
}

func differenceFields(m repository.ImportMatch) string {
	var fields []string
	for _, d := range m.Differences {
		fields = append(fields, d.Field)
	}
	return strings.Join(fields, ",")
}

func TestMatchesAreShownNeverAssumed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	org := strconv.FormatInt(f.institution.ID, 10)
	byCIN := f.institutionalActor("Nadia Alaoui")
	byCIN.NationalID, byCIN.Phone = ptr("AB123456"), ptr("0611111111")
	byPhone := f.institutionalActor("Karim Benali")
	byPhone.Sex, byPhone.Phone = domain.Male, ptr("0622222222")
	byName := f.institutionalActor("Salma Idrissi")
	byName.BirthYear = ptr(1990)
	same := f.institutionalActor("Amina Tazi")
	same.NationalID = ptr("CD654321")
	for _, p := range []*domain.Trainee{byCIN, byPhone, byName, same} {
		must(t, f.store.CreateTrainee(f.ctx, p, nil))
	}
	file := "name,category,sex,organisation,cin,phone,birth year\n" +
		"Nadia Alaoui Idrissi,institutional,m," + org + ",ab123456,0633333333,\n" + // 2: the CIN; name, sex, phone differ
		"Karim Benaly,institutional,m," + org + ",,0622222222,\n" + // 3: the phone; the name differs
		"SALMA IDRISSI,institutional,m," + org + ",,,1990\n" + // 4: folded name and year; the sex differs
		"Amina Tazi,institutional,f," + org + ",CD654321,,\n" + // 5: the same as on record
		"Nadia Alaoui,institutional,f," + org + ",EF111111,0611111111,\n" // 6: the phone of another CIN: a new person
	opts := repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses(), MayUpdate: true}
	before := f.counts(t)

	// By default each differing match is refused, naming both people.
	for _, dryRun := range []bool{true, false} {
		opts.DryRun = dryRun
		report, err := f.importString(file, "l.csv", opts)
		problems := importProblems(t, err)
		if len(problems) != 3 {
			t.Fatalf("want rows 2-4 refused, got %+v", problems)
		}
		for i, row := range []int{2, 3, 4} {
			if p := problems[i]; p.Row != row || p.Key != "import.match_refused" {
				t.Fatalf("row %d: %+v", row, p)
			}
		}
		if p := problems[0].Param; !strings.Contains(p, "Nadia Alaoui Idrissi") || !strings.Contains(p, "«Nadia Alaoui»") {
			t.Fatalf("the refusal names both: %q", p)
		}
		if report == nil || len(report.Matches) != 3 {
			t.Fatalf("the preview lists the three matches: %+v", report)
		}
		for _, want := range []struct {
			row          int
			rule, fields string
		}{{2, repository.MatchByNationalID, "full_name_latin,sex,phone"}, {3, repository.MatchByPhone, "full_name_latin"},
			{4, repository.MatchByNameYear, "sex"}} {
			m := matchOf(t, report, want.row)
			if m.Rule != want.rule || differenceFields(m) != want.fields || m.Decision != repository.MatchRefuse {
				t.Errorf("row %d: %+v", want.row, m)
			}
		}
		if d := matchOf(t, report, 2).Differences[0]; d.File != "Nadia Alaoui Idrissi" || d.Record != "Nadia Alaoui" {
			t.Errorf("difference shows both values: %+v", d)
		}
		if after := f.counts(t); after != before {
			t.Fatalf("refused, yet the database changed: %s → %s", before, after)
		}
	}

	// A trainer may use the record or refuse, not update it, and does not see the record's values.
	report, err := f.importString(file, "l.csv", repository.ImportOptions{CourseID: f.course.ID, Scope: repository.AllCourses(),
		DryRun: true, DecideAll: repository.MatchUpdate})
	if p := importProblems(t, err); len(p) != 3 || p[0].Key != "import.match_update_forbidden" || strings.Contains(p[0].Param, "«Nadia Alaoui»") {
		t.Fatalf("a trainer's update (the record named by its number only): %+v", p)
	}
	if d := matchOf(t, report, 2).Differences[0]; d.Record != "" || matchOf(t, report, 2).Existing.FullNameLatin != nil {
		t.Fatalf("a trainer sees the record's values: %+v", matchOf(t, report, 2))
	}

	// Decided: row 2 updates the record, the others use it as it is.
	opts.DryRun, opts.Decisions, opts.DecideAll = false, map[int]string{2: repository.MatchUpdate}, repository.MatchUseExisting
	report, err = f.importString(file, "l.csv", opts)
	must(t, err)
	if report.Created != 1 || report.Reused != 4 || report.Updated != 1 || report.Enrolled != 5 {
		t.Fatalf("report: %+v", report)
	}
	got, err := f.store.Trainee(f.ctx, byCIN.ID)
	must(t, err)
	if *got.FullNameLatin != "Nadia Alaoui Idrissi" || got.Sex != domain.Male || *got.Phone != "0633333333" {
		t.Fatalf("updated from the file: %+v", got)
	}
	for _, p := range []*domain.Trainee{byPhone, byName} {
		kept, err := f.store.Trainee(f.ctx, p.ID)
		must(t, err)
		if *kept.FullNameLatin != *p.FullNameLatin || kept.Sex != p.Sex {
			t.Fatalf("used as on record, yet changed: %+v", kept)
		}
	}
	var audited int
	must(t, f.store.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'trainee.update' AND entity_id = $1`, byCIN.ID))
	if audited != 1 {
		t.Fatalf("the update is audited: %d entries", audited)
	}
}

func TestNewOrganisationsAreListedSuggestedAndCreatedWithTheImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	amal := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association Al Amal")}
	must(t, f.store.CreateOrganisation(f.ctx, &amal, nil))
	file := "name,category,sex,organisation\n" +
		"A,associative,f,Association Al Amel\n" + // new, close to Al Amal
		"B,associative,m, association AL-AMAL \n" + // the same folded name: reused
		"C,institutional,f,Centre social de Salé\n" + // new
		"D,associative,f,Association Al Amel\n"
	opts := repository.ImportOptions{Scope: repository.AllCourses(), DryRun: true}
	var orgsBefore int
	must(t, f.store.DB().Get(&orgsBefore, `SELECT count(*) FROM organisations`))

	report, err := f.importString(file, "l.csv", opts)
	must(t, err)
	if len(report.NewOrganisations) != 2 {
		t.Fatalf("want two new organisations, got %+v", report.NewOrganisations)
	}
	amel, centre := report.NewOrganisations[0], report.NewOrganisations[1]
	if amel.Name != "Association Al Amel" || amel.Kind != domain.Association || len(amel.Rows) != 2 || amel.Rows[1] != 5 {
		t.Fatalf("new organisation listed: %+v", amel)
	}
	if len(amel.Suggestions) == 0 || amel.Suggestions[0].ID != amal.ID || amel.Suggestions[0].Similarity < 0.5 {
		t.Fatalf("the close one on record is suggested: %+v", amel.Suggestions)
	}
	if centre.Kind != domain.Institution || len(centre.Suggestions) != 0 {
		t.Fatalf("%+v", centre)
	}
	var orgs int
	must(t, f.store.DB().Get(&orgs, `SELECT count(*) FROM organisations`))
	if orgs != orgsBefore {
		t.Fatal("a preview created organisations")
	}

	// Committed: both created in the import's transaction, members linked;
	// the exact folded match is the organisation on record.
	opts.DryRun = false
	report, err = f.importString(file, "l.csv", opts)
	must(t, err)
	if report.OrganisationsCreated != 2 || report.Created != 4 {
		t.Fatalf("report: %+v", report)
	}
	must(t, f.store.DB().Get(&orgs, `SELECT count(*) FROM organisations`))
	if orgs != orgsBefore+2 {
		t.Fatalf("organisations: %d, want %d", orgs, orgsBefore+2)
	}
	var members []struct {
		Name string `db:"full_name_latin"`
		Org  string `db:"org"`
	}
	must(t, f.store.DB().Select(&members, `SELECT t.full_name_latin, coalesce(o.name_fr, o.name_ar) AS org
		FROM trainees t JOIN organisations o ON o.id = t.organisation_id ORDER BY 1`))
	if len(members) != 4 || members[0].Org != "Association Al Amel" || members[1].Org != "Association Al Amal" ||
		members[2].Org != "Centre social de Salé" || members[3].Org != "Association Al Amel" {
		t.Fatalf("members: %+v", members)
	}

	// The suggestion taken: the rows join the organisation on record, nothing is created.
	g := newFixture(t)
	amal2 := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association Al Amal")}
	must(t, g.store.CreateOrganisation(g.ctx, &amal2, nil))
	report, err = g.importString("name,category,sex,organisation\nA,associative,f,Association Al Amel\n", "l.csv",
		repository.ImportOptions{Scope: repository.AllCourses(), Organisations: map[string]int64{domain.SearchKey("Association Al Amel"): amal2.ID}})
	must(t, err)
	if report.OrganisationsCreated != 0 || report.NewOrganisations[0].ChosenID != amal2.ID {
		t.Fatalf("suggestion taken: %+v", report)
	}

	// An organisation only children name has no kind to create it with: refused, named.
	_, err = g.importString("name,category,sex,organisation,birth year,consent\nE,child,f,Club des enfants,2012,oui\n", "l.csv",
		repository.ImportOptions{Scope: repository.AllCourses()})
	wantImportProblem(t, err, 2, "organisation", "import.organisation_kind_unknown")
}
