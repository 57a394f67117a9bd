package repository_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"takaffoul/domain"
)

// Through random changes (cubeWorld.step), merges of two people, merges of
// two associations and unmerges, the cube equals the per-record count
// after every step, and the journal folds back to a rebuild. Merges the
// domain refuses (two categories) and unmerges refused because a row
// changed since are part of the sequence: they must change nothing.
func TestFiguresFollowMergesAndUnmerges(t *testing.T) {
	t.Parallel()
	for seed := uint64(11); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newCubeWorld(t, seed)
			// A third association, the one merged into the others and back:
			// step() never names it.
			third := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association Nour Al Amal")}
			must(t, w.store.CreateOrganisation(w.ctx, &third, nil))
			type done struct {
				id      int64
				removed *domain.Trainee // nil for an organisation merge
			}
			var merges []done
			var history []string
			counts := map[string]int{}
			for i := 0; i < 100; i++ {
				var what string
				switch r := w.rng.IntN(100); {
				case r < 12 && len(w.people) > 4:
					a, b := w.rng.IntN(len(w.people)), w.rng.IntN(len(w.people))
					kept, removed := w.people[a], w.people[b]
					id, err := w.store.MergeTrainees(w.ctx, kept.ID, removed.ID, nil)
					switch {
					case err == nil:
						w.people = slices.DeleteFunc(w.people, func(p *domain.Trainee) bool { return p.ID == removed.ID })
						merges = append(merges, done{id: id, removed: removed})
						counts["merged people"]++
					case errors.Is(err, domain.ErrInvalid):
						counts["refused merges"]++
					default:
						t.Fatalf("merge %d into %d: %v", removed.ID, kept.ID, err)
					}
					what = fmt.Sprintf("merge person %d into %d: %v", removed.ID, kept.ID, err)
				case r < 18 && countOf(t, w, `SELECT count(*) FROM organisations WHERE id = $1`, third.ID) == 1:
					p := w.people[w.rng.IntN(len(w.people))]
					w.setOrganisation(t, p, domain.AssociativeActor, third.ID, "association")
					what = fmt.Sprintf("person %d joins the third association", p.ID)
				case r < 22:
					if countOf(t, w, `SELECT count(*) FROM organisations WHERE id = $1`, third.ID) == 0 {
						what = "the third association is merged already"
						break
					}
					into := w.associations[w.rng.IntN(len(w.associations))]
					id, err := w.store.MergeOrganisations(w.ctx, into.ID, third.ID, nil)
					must(t, err)
					merges = append(merges, done{id: id})
					counts["merged associations"]++
					what = fmt.Sprintf("merge the third association into %d", into.ID)
				case r < 34 && len(merges) > 0:
					last := merges[len(merges)-1]
					err := w.store.Unmerge(w.ctx, last.id, nil)
					switch {
					case err == nil:
						if last.removed != nil {
							w.people = append(w.people, last.removed)
						}
						counts["unmerged"]++
					case errors.Is(err, domain.ErrConflict):
						counts["refused unmerges"]++
					default:
						t.Fatalf("unmerge %d: %v", last.id, err)
					}
					merges = merges[:len(merges)-1]
					what = fmt.Sprintf("unmerge %d: %v", last.id, err)
				default:
					what = w.step(t)
				}
				history = append(history, what)
				for k := 0; k < 2; k++ {
					f := domain.TotalsFilter{}
					if k > 0 {
						f = w.randomFilter()
					}
					w.compare(t, f, history)
				}
			}
			assertCubeMatchesRebuild(t, w.store)
			assertPlacesTaken(t, w.store)
			t.Logf("%v", counts)
			for _, what := range []string{"merged people", "merged associations", "unmerged"} {
				if counts[what] == 0 {
					t.Errorf("no %s in the sequence (%v): the test tested less than it says", what, counts)
				}
			}
		})
	}
}

func countOf(t *testing.T, w *cubeWorld, q string, args ...any) int {
	t.Helper()
	var n int
	must(t, w.store.DB().Get(&n, q, args...))
	return n
}
