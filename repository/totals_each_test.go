package repository_test

import (
	"context"
	"errors"
	"reflect"
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
