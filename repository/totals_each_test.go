package repository_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository/dbtest"
)

// TestTotalsOfEachIsTotalsOfEachFilter: the dashboard's one call for all
// its scopes gives, for each filter in order, what Totals gives for it
// alone (cube reads and a course's count from the records alike), and a
// bad filter among them is its validation error.
func TestTotalsOfEachIsTotalsOfEachFilter(t *testing.T) {
	t.Parallel()
	store, ctx := dbtest.DemoStore(t), context.Background()
	var course int64
	must(t, store.DB().Get(&course, `SELECT id FROM courses WHERE places_taken > 0 ORDER BY id LIMIT 1`))
	filters := []domain.TotalsFilter{
		{}, {Programme: "child-protection"}, {Programme: "positive-parenting", Sex: domain.Female},
		{Course: course}, {Region: "oriental", Category: domain.ChildParliamentarian}, {},
	}
	all, err := store.TotalsOfEach(ctx, filters)
	must(t, err)
	if len(all) != len(filters) {
		t.Fatalf("want %d totals, got %d", len(filters), len(all))
	}
	for i, f := range filters {
		alone, err := store.Totals(ctx, f)
		must(t, err)
		if !reflect.DeepEqual(all[i], alone) {
			t.Errorf("filter %+v: TotalsOfEach gives\n%+v\nTotals gives\n%+v", f, all[i], alone)
		}
	}
	if all[0].LocalActors.Trained == 0 || all[1].LocalActors.Trained == 0 {
		t.Error("the demo's totals are zero: the comparison proves nothing")
	}

	_, err = store.TotalsOfEach(ctx, []domain.TotalsFilter{{}, {Province: "nowhere"}})
	var invalid *domain.ValidationError
	if !errors.As(err, &invalid) {
		t.Errorf("an unknown province among the filters: want a validation error, got %v", err)
	}
}

// BenchmarkDashboardTotals compares the ways of reading the national
// dashboard's totals on the demo: its filter and each distinct scope of
// its reported figures, one Totals after the other ("each"), four at a
// time as main did before TotalsOfEach ("parallel4"), and all in one
// snapshot ("ofEach"). Run with -count to interleave them:
//
//	go test -run '^$' -bench BenchmarkDashboardTotals -count 5 ./repository/
func BenchmarkDashboardTotals(b *testing.B) {
	store, ctx := dbtest.DemoStore(b), context.Background()
	reported, err := store.ReportedFigures(ctx, "")
	mustB(b, err)
	scopes := []domain.TotalsFilter{{}}
	for _, r := range reported {
		if !slices.Contains(scopes, r.Scope()) {
			scopes = append(scopes, r.Scope())
		}
	}
	b.Logf("%d scopes", len(scopes))
	b.Run("each", func(b *testing.B) {
		for b.Loop() {
			for _, f := range scopes {
				_, err := store.Totals(ctx, f)
				mustB(b, err)
			}
		}
	})
	b.Run("parallel4", func(b *testing.B) {
		for b.Loop() {
			slots, errs := make(chan struct{}, 4), make(chan error, len(scopes))
			var wg sync.WaitGroup
			for _, f := range scopes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					slots <- struct{}{}
					defer func() { <-slots }()
					_, err := store.Totals(ctx, f)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				mustB(b, err)
			}
		}
	})
	b.Run("ofEach", func(b *testing.B) {
		for b.Loop() {
			_, err := store.TotalsOfEach(ctx, scopes)
			mustB(b, err)
		}
	})
}

func mustB(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
