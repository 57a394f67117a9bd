package repository_test

import (
	"fmt"
	"strings"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// A large list is matched against the people on record by joins the
// planner sizes from the import table's statistics. Its match columns
// (match_id) were not among the columns analysed, so the planner took
// "not matched yet" for 0.5 % of the rows and probed the trigram index of
// the names once per row: 4.9 s for 100,000 rows on 100,000 people, and
// 242 s when the names share their words with those on record — the people
// of a real office's list (docs/BENCHMARKS.md, "The matches planned from
// the import's statistics"). Equality is a hash join's work; the trigram index
// is for the search box.
func TestImportMatchesDoNotProbeTheNameSearchIndex(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.store.DB().Exec(`INSERT INTO trainees (category, full_name_latin, name_key, sex, birth_year, organisation_id, organisation_kind)
		SELECT 'institutional_actor', 'Fatima Zahra El Alaoui ' || i, 'fatima zahra el alaoui ' || i, 'female', 1985, $1, 'institution'
		  FROM generate_series(1, 20000) i`, f.institution.ID)
	must(t, err)
	_, err = f.store.DB().Exec(`ANALYZE trainees`)
	must(t, err)
	var file strings.Builder
	file.WriteString("Nom,Catégorie,Sexe,Année de naissance,Organisme,CIN\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&file, "Fatima Zahra El Idrissi %d,Acteur institutionnel,Femme,1985,%d,ZZ%06d\n", i, f.institution.ID, i)
	}
	parsed := domain.ParseImport(strings.NewReader(file.String()), "liste.csv")
	if err := parsed.Err(); err != nil {
		t.Fatal(err)
	}
	plans, err := f.store.ImportMatchPlans(f.ctx, parsed, repository.ImportOptions{Scope: repository.AllCourses()}, f.importerID())
	must(t, err)
	unmatchedScans := 0
	for _, plan := range plans {
		if strings.Contains(plan, "trainees_name_key_trgm") {
			t.Errorf("a match step probes the name search index:\n%s", plan)
		}
		// Every row is unmatched when the steps that read match_id plan:
		// the planner must know it (5,000 rows, not 0.5 % of them).
		lines := strings.Split(plan, "\n")
		for i := 1; i < len(lines); i++ {
			if !strings.Contains(lines[i], "Filter: (match_id IS NULL)") || !strings.Contains(lines[i-1], "Seq Scan on import_rows") {
				continue
			}
			unmatchedScans++
			var rows int
			if _, err := fmt.Sscanf(lines[i-1][strings.Index(lines[i-1], "rows="):], "rows=%d", &rows); err != nil || rows < 2500 {
				t.Errorf("the planner expects %d unmatched rows of 5,000 (%v):\n%s", rows, err, plan)
			}
		}
	}
	if unmatchedScans == 0 {
		t.Fatalf("no step scans the unmatched rows: the test no longer reads the plans it was written for:\n%s", strings.Join(plans, "\n"))
	}
}
