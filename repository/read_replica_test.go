package repository_test

import (
	"context"
	"reflect"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// With a hot standby as read replica, the totals are read from it (they
// write nothing: a standby refuses writes) and, once it has replayed the
// primary's changes, they are the primary's figures: with changes still in
// the journal, and after the primary's folder has folded them.
func TestTotalsReadFromAStreamingReplicaEqualThePrimarys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rep := repository.StartReplication(t)
	primary, err := repository.Open(ctx, rep.PrimaryURL, repository.PoolConfig{MaxOpen: 4})
	must(t, err)
	defer primary.Close()
	must(t, primary.Migrate(ctx))
	w := newCubeWorldOn(t, 21, newFixtureOn(t, primary))
	for i := 0; i < 40; i++ {
		w.step(t)
	}
	must(t, primary.UseReadReplica(ctx, rep.StandbyURL, repository.PoolConfig{MaxOpen: 2}))
	standby, err := repository.Open(ctx, rep.StandbyURL, repository.PoolConfig{MaxOpen: 1})
	must(t, err)
	defer standby.Close()
	if ok, err := primary.ReadsFromAStandby(ctx); err != nil || !ok {
		t.Fatalf("the totals are not read from a standby (%v)", err)
	}

	compare := func(when string) {
		t.Helper()
		rep.WaitForReplay(t, primary, standby)
		for k := 0; k < 8; k++ {
			f := domain.TotalsFilter{}
			if k > 0 {
				f = w.randomFilter()
			}
			got, err := primary.Totals(ctx, f)
			must(t, err)
			want, err := primary.TotalsFromRecords(ctx, f)
			must(t, err)
			if !reflect.DeepEqual(got, want) {
				reportDifference(t, got, want)
				t.Fatalf("%s, filter %+v: the replica's figures differ from the primary's records", when, f)
			}
		}
	}
	var journal int
	must(t, primary.DB().Get(&journal, `SELECT count(*) FROM totals_pending`))
	if journal == 0 {
		t.Fatal("nothing in the journal: the test would not read it from the replica")
	}
	compare("the changes still in the journal")
	_, err = primary.FoldTotals(ctx)
	must(t, err)
	for i := 0; i < 10; i++ {
		w.step(t)
	}
	compare("folded, then more changes")
}
