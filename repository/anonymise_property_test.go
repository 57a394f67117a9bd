package repository_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// Anonymising people moves no figure (issue 18): for random people, after
// each anonymisation, the totals for the empty filter and random filters
// over programme, year, province, course, sex and category equal those of
// before, and the anonymised keep category, sex, birth year and organisation.
func TestAnonymisingPeopleMovesNoFigureForAnyFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(18, 2026))
	by := f.importerID()
	second := f.newCourse(t, "CP-RABAT-3")
	courses := []domain.Course{f.course, f.otherCourse, second}
	sessions := map[int64]int64{f.course.ID: f.session.ID, f.otherCourse.ID: f.otherSess.ID, second.ID: f.newSession(t, second.ID).ID}
	var people []int64
	for i := 0; i < 24; i++ {
		var p *domain.Trainee
		switch i % 3 {
		case 0:
			p = f.child(fmt.Sprintf("طفل %d", i))
		case 1:
			p = f.institutionalActor(fmt.Sprintf("Agent %d", i))
			p.NationalID, p.Phone = ptr(fmt.Sprintf("ZZ%05d", i)), ptr(fmt.Sprintf("0612%06d", i))
		default:
			p = &domain.Trainee{Category: domain.AssociativeActor, FullNameLatin: ptr(fmt.Sprintf("Militante %d", i)),
				Sex: domain.Female, OrganisationID: &f.association.ID, Email: ptr(fmt.Sprintf("m%d@example.ma", i))}
		}
		if rng.IntN(2) == 0 {
			p.Sex = domain.Female
		}
		must(t, f.store.CreateTrainee(f.ctx, p, by))
		people = append(people, p.ID)
		for _, c := range courses {
			if rng.IntN(3) == 0 {
				continue
			}
			_, err := f.store.Enroll(f.ctx, c.ID, p.ID, repository.EnrollOptions{}, by)
			must(t, err)
			if rng.IntN(4) > 0 {
				must(t, f.store.SaveAttendance(f.ctx, sessions[c.ID], []repository.Mark{{TraineeID: p.ID, Status: domain.Present}}, by))
			}
		}
	}
	filters := []domain.TotalsFilter{{}}
	for i := 0; i < 16; i++ {
		var flt domain.TotalsFilter
		if rng.IntN(2) == 0 {
			flt.Programme = f.programme.Code
		}
		if rng.IntN(2) == 0 {
			flt.Year = 2019 + rng.IntN(2)
		}
		if rng.IntN(2) == 0 {
			flt.Province = f.province.Code
		}
		if rng.IntN(4) == 0 {
			flt.Course = courses[rng.IntN(len(courses))].ID
		}
		if rng.IntN(2) == 0 {
			flt.Sex = []domain.Sex{domain.Female, domain.Male}[rng.IntN(2)]
		}
		if rng.IntN(2) == 0 {
			flt.Category = domain.Categories[rng.IntN(len(domain.Categories))]
		}
		filters = append(filters, flt)
	}
	figures := func() []string {
		var all []string
		for _, flt := range filters {
			tot, err := f.store.Totals(f.ctx, flt)
			must(t, err)
			b, err := json.Marshal(tot)
			must(t, err)
			all = append(all, string(b))
		}
		return all
	}
	before := figures()
	var counted string
	must(t, f.store.DB().Get(&counted, `SELECT md5(string_agg(concat_ws(',', id, category, sex, birth_year, organisation_id, province_id), ';' ORDER BY id)) FROM trainees`))
	rng.Shuffle(len(people), func(i, j int) { people[i], people[j] = people[j], people[i] })
	for step, id := range people[:12] {
		must(t, f.store.AnonymiseTrainee(f.ctx, id, "property test", by))
		if step%4 == 0 {
			_, err := f.store.FoldTotals(f.ctx)
			must(t, err)
		}
		for i, now := range figures() {
			if now != before[i] {
				t.Fatalf("after anonymising %d (step %d), filter %+v moved:\n%s\n%s", id, step, filters[i], before[i], now)
			}
		}
	}
	var after string
	must(t, f.store.DB().Get(&after, `SELECT md5(string_agg(concat_ws(',', id, category, sex, birth_year, organisation_id, province_id), ';' ORDER BY id)) FROM trainees`))
	if after != counted {
		t.Error("anonymisation changed a counted field of a person")
	}
	var named int
	must(t, f.store.DB().Get(&named, `SELECT count(*) FROM trainees WHERE anonymised_at IS NOT NULL
	    AND (full_name_ar IS NOT NULL OR full_name_latin IS NOT NULL OR national_id IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL OR name_key <> '')`))
	if named != 0 {
		t.Errorf("%d anonymised people keep identifying data", named)
	}
	err := f.store.AnonymiseTrainee(f.ctx, people[0], "again", by)
	if err == nil {
		t.Error("a person was anonymised twice")
	}
}

// Anonymising a person clears them from what merges keep for an unmerge
// and from the audit entries of the record merged into theirs: no name
// survives, and an unmerge brings none back.
func TestAnonymisingAMergedPersonLeavesNoNameBehind(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	by := f.importerID()
	kept, removed := f.institutionalActor("Hélène Aït-Lahcen"), f.institutionalActor("Helene Ait Lahcen")
	kept.NationalID, removed.Phone = ptr("ZZ12345"), ptr("0612345678")
	must(t, f.store.CreateTrainee(f.ctx, kept, by))
	must(t, f.store.CreateTrainee(f.ctx, removed, by))
	_, err := f.store.Enroll(f.ctx, f.course.ID, removed.ID, repository.EnrollOptions{}, by)
	must(t, err)
	merge, err := f.store.MergeTrainees(f.ctx, kept.ID, removed.ID, by)
	must(t, err)
	must(t, f.store.AnonymiseTrainee(f.ctx, kept.ID, "demande", by))
	leaks := func() int {
		var n int
		must(t, f.store.DB().Get(&n, `SELECT (SELECT count(*) FROM merges WHERE before::text ~* 'lahcen|ZZ12345|0612345678')
		    + (SELECT count(*) FROM audit_log WHERE coalesce(before::text, '') || coalesce(after::text, '') ~* 'lahcen|ZZ12345|0612345678')
		    + (SELECT count(*) FROM trainees WHERE name_key ~* 'lahcen')`))
		return n
	}
	if n := leaks(); n != 0 {
		t.Fatalf("%d rows still hold the person's name, CIN or phone", n)
	}
	if err := f.store.Unmerge(f.ctx, merge, by); err != nil && !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("unmerge after anonymisation: %v", err)
	}
	if n := leaks(); n != 0 {
		t.Errorf("the unmerge brought back %d rows with the person's data", n)
	}
}
