package repository_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The property of issue 14: figures are counted from the records as they
// were when they happened, and the cube always equals that count. Random
// sequences of the operations below; after each step the cube-backed
// Totals equal the per-record count for several filters (cubeWorld.compare:
// it also checks that a read writes nothing), and an operation that only
// changes who a person is today (figureOp.pastStays) moves no figure at all.
//
// Extending it: add a row to figureOps (merging and unmerging duplicates,
// cancelling a session, closing a course...). An op gets the world and its
// random source, does one user action through the store (SQL only where the
// store has no method yet), and answers a line for the history shown when
// the property fails. Set pastStays when the action must leave every
// figure as it was (a change to a person's current row); leave it unset
// when figures may move (the cube must follow them either way).

// figureOp is one kind of step of the property test.
type figureOp struct {
	name      string
	weight    int  // how often it is drawn, relative to the others
	pastStays bool // the figures before and after must be equal
	apply     func(w *figuresWorld, t *testing.T) string
}

var figureOps = []figureOp{
	{name: "reclassify a person", weight: 3, pastStays: true, apply: (*figuresWorld).reclassify},
	{name: "move a person to another organisation", weight: 3, pastStays: true, apply: (*figuresWorld).moveOrganisation},
	{name: "correct an enrolment", weight: 2, apply: (*figuresWorld).correctEnrolment},
	{name: "enrol", weight: 4, apply: (*figuresWorld).enrol},
	{name: "mark attendance", weight: 4, apply: (*figuresWorld).mark},
	{name: "merge two people", weight: 2, apply: (*figuresWorld).mergePeople},
	{name: "merge an association into another", weight: 2, apply: (*figuresWorld).mergeAssociation},
	{name: "unmerge the latest merge", weight: 2, apply: (*figuresWorld).unmerge},
	{name: "cancel a session", weight: 2, apply: (*figuresWorld).cancelSession},                          // lifecycle_test.go
	{name: "close or reopen a course", weight: 2, pastStays: true, apply: (*figuresWorld).closeOrReopen}, // lifecycle_test.go
}

// figuresWorld is the cube's random world (cube_test.go) with, besides, a
// second course in two of its cells, so that a person can be counted in one
// cell under two categories, associations or institutions, and a second
// institution.
type figuresWorld struct {
	*cubeWorld
	institutions []int64
	merges       []figuresMerge // not undone yet, the latest last
	newOrgs      int            // associations made to be merged
}

// figuresMerge is a merge the world may undo.
type figuresMerge struct {
	id      int64
	removed *domain.Trainee // the person merged away; nil for an association
}

func newFiguresWorld(t *testing.T, seed uint64) *figuresWorld {
	t.Helper()
	w := &figuresWorld{cubeWorld: newCubeWorld(t, seed)}
	other := domain.Organisation{Kind: domain.Institution, NameFr: ptr("Délégation de la santé")}
	must(t, w.store.CreateOrganisation(w.ctx, &other, nil))
	w.institutions = []int64{w.institution.ID, other.ID}
	for i, c := range w.courses[:2] {
		twin := c
		twin.ID, twin.Code = 0, fmt.Sprintf("TWIN-%d", i)
		must(t, w.store.CreateCourse(w.ctx, &twin, nil))
		w.addSession(t, twin)
		w.courses = append(w.courses, twin)
	}
	return w
}

func (w *figuresWorld) randomPerson() *domain.Trainee { return w.people[w.rng.IntN(len(w.people))] }

func (w *figuresWorld) randomAssociation() int64 {
	return w.associations[w.rng.IntN(len(w.associations))].ID
}

func (w *figuresWorld) randomInstitution() int64 {
	return w.institutions[w.rng.IntN(len(w.institutions))]
}

// reclassify changes a person's category through the store, as a
// coordinator would: a child parliamentarian who came of age becomes an
// associative actor and now gives a phone number (the minor's rules no
// longer apply to them); an adult changes between the two adult
// categories, with an organisation of the right kind.
func (w *figuresWorld) reclassify(t *testing.T) string {
	p := w.randomPerson()
	tr, err := w.store.Trainee(w.ctx, p.ID)
	must(t, err)
	switch tr.Category {
	case domain.ChildParliamentarian:
		org := w.randomAssociation()
		tr.Category, tr.OrganisationID, tr.Phone = domain.AssociativeActor, &org, ptr(fmt.Sprintf("06%08d", p.ID))
	case domain.AssociativeActor:
		org := w.randomInstitution()
		tr.Category, tr.OrganisationID = domain.InstitutionalActor, &org
	default:
		org := w.randomAssociation()
		tr.Category, tr.OrganisationID = domain.AssociativeActor, &org
	}
	err = w.store.UpdateTrainee(w.ctx, tr, repository.AllCourses(), nil)
	p.Category = tr.Category
	return fmt.Sprintf("reclassify %d as %s: %v", p.ID, tr.Category, err)
}

// moveOrganisation moves an adult to another organisation of the kind
// their category needs.
func (w *figuresWorld) moveOrganisation(t *testing.T) string {
	p := w.randomPerson()
	tr, err := w.store.Trainee(w.ctx, p.ID)
	must(t, err)
	var org int64
	switch tr.Category {
	case domain.AssociativeActor:
		org = w.randomAssociation()
	case domain.InstitutionalActor:
		org = w.randomInstitution()
	default:
		return fmt.Sprintf("%d is a child: no organisation to move", p.ID)
	}
	tr.OrganisationID = &org
	return fmt.Sprintf("move %d to %d: %v", p.ID, org, w.store.UpdateTrainee(w.ctx, tr, repository.AllCourses(), nil))
}

// correctEnrolment sets one enrolment's category and organisation, as a
// coordinator does (a correction counted as a child's is refused unless
// the person was a minor in the course year).
func (w *figuresWorld) correctEnrolment(t *testing.T) string {
	var e struct {
		Course  int64 `db:"course_id"`
		Trainee int64 `db:"trainee_id"`
	}
	if err := w.store.DB().Get(&e, `SELECT course_id, trainee_id FROM enrollments ORDER BY random() LIMIT 1`); err != nil {
		return "no enrolment to correct"
	}
	c := domain.EnrollmentCorrection{Reason: "recorded wrongly"}
	switch w.rng.IntN(3) {
	case 0:
		org := w.randomInstitution()
		c.Category, c.OrganisationID = domain.InstitutionalActor, &org
	case 1:
		org := w.randomAssociation()
		c.Category, c.OrganisationID = domain.AssociativeActor, &org
	default:
		c.Category = domain.ChildParliamentarian
	}
	_, err := w.store.CorrectEnrollment(w.ctx, e.Course, e.Trainee, c, nil)
	return fmt.Sprintf("correct %d in %d as %s: %v", e.Trainee, e.Course, c.Category, err)
}

func (w *figuresWorld) enrol(*testing.T) string {
	c, p := w.courses[w.rng.IntN(len(w.courses))], w.randomPerson()
	_, err := w.store.Enroll(w.ctx, c.ID, p.ID, repository.EnrollOptions{}, nil)
	return fmt.Sprintf("enrol %d in %d: %v", p.ID, c.ID, err)
}

// mark saves random marks for the people enrolled in a course, at one of
// its sessions.
func (w *figuresWorld) mark(t *testing.T) string {
	c := w.courses[w.rng.IntN(len(w.courses))]
	ss, err := w.store.Sessions(w.ctx, c.ID)
	must(t, err)
	var ids []int64
	must(t, w.store.DB().Select(&ids, `SELECT trainee_id FROM enrollments WHERE course_id = $1 AND status <> 'withdrawn'`, c.ID))
	if len(ss) == 0 || len(ids) == 0 {
		return "nobody to mark"
	}
	var marks []repository.Mark
	for _, id := range ids {
		marks = append(marks, repository.Mark{TraineeID: id, Status: domain.AttendanceStatuses[w.rng.IntN(4)]})
	}
	s := ss[w.rng.IntN(len(ss))]
	return fmt.Sprintf("%d marks at session %d: %v", len(marks), s.ID, w.store.SaveAttendance(w.ctx, s.ID, marks, nil))
}

// drawOp picks an operation by weight.
func (w *figuresWorld) drawOp() figureOp {
	total := 0
	for _, op := range figureOps {
		total += op.weight
	}
	n := w.rng.IntN(total)
	for _, op := range figureOps {
		if n < op.weight {
			return op
		}
		n -= op.weight
	}
	panic("unreachable")
}

// recorded is the per-record count for the filters, to compare before and
// after an operation.
func (w *figuresWorld) recorded(t *testing.T, filters []domain.TotalsFilter) []*domain.Totals {
	t.Helper()
	out := make([]*domain.Totals, len(filters))
	for i, f := range filters {
		var err error
		out[i], err = w.store.TotalsFromRecords(w.ctx, f)
		must(t, err)
	}
	return out
}

func TestFiguresFollowTheRecordsAsTheyWere(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newFiguresWorld(t, seed)
			var history []string
			seen := map[string]int{}
			for i := 0; i < 90; i++ { // enough for every op to be drawn at its weight
				op := w.drawOp()
				filters := []domain.TotalsFilter{{}, {Category: domain.ChildParliamentarian}, w.randomFilter(), w.randomFilter()}
				before := w.recorded(t, filters)
				history = append(history, op.apply(w, t))
				seen[op.name]++
				if op.pastStays {
					after := w.recorded(t, filters)
					for k := range filters {
						if !reflect.DeepEqual(before[k], after[k]) {
							reportDifference(t, after[k], before[k])
							t.Fatalf("%q moved the figures for %+v (last: %v)", op.name, filters[k], history[max(0, len(history)-5):])
						}
					}
				}
				switch w.rng.IntN(3) { // folded, in part, or not at all: a read adds what the journal holds
				case 0:
					_, err := w.store.FoldTotals(w.ctx)
					must(t, err)
				case 1:
					_, err := w.store.FoldOneBatch(w.ctx, 1+w.rng.IntN(3))
					must(t, err)
				}
				for _, f := range filters {
					w.compare(t, f, history)
				}
			}
			for _, op := range figureOps {
				if seen[op.name] == 0 {
					t.Errorf("%q never ran: the test tested less than it says", op.name)
				}
			}
			var counted int
			must(t, w.store.DB().Get(&counted, `SELECT count(DISTINCT category) FROM enrollments`))
			if counted < 2 {
				t.Errorf("the enrolments hold %d categories: the test tested little", counted)
			}
			assertCubeMatchesRebuild(t, w.store)
		})
	}
}

// mergePeople merges two records of one category (docs/DUPLICATES.md):
// the removed person leaves the world until an unmerge brings them back.
func (w *figuresWorld) mergePeople(t *testing.T) string {
	kept, removed := w.randomPerson(), w.randomPerson()
	if kept.ID == removed.ID || kept.Category != removed.Category {
		return fmt.Sprintf("%d and %d cannot be merged", kept.ID, removed.ID)
	}
	id, err := w.store.MergeTrainees(w.ctx, kept.ID, removed.ID, nil)
	must(t, err)
	w.people = slices.DeleteFunc(w.people, func(p *domain.Trainee) bool { return p.ID == removed.ID })
	w.merges = append(w.merges, figuresMerge{id: id, removed: removed})
	return fmt.Sprintf("merge person %d into %d", removed.ID, kept.ID)
}

// mergeAssociation makes an association, moves an associative actor into
// it and enrols them (so that an enrolment records it), then merges it
// into one of the world's associations.
func (w *figuresWorld) mergeAssociation(t *testing.T) string {
	w.newOrgs++
	twin := domain.Organisation{Kind: domain.Association, NameFr: ptr(fmt.Sprintf("Association des quartiers %d", w.newOrgs))}
	must(t, w.store.CreateOrganisation(w.ctx, &twin, nil))
	for _, p := range w.people {
		if p.Category != domain.AssociativeActor {
			continue
		}
		tr, err := w.store.Trainee(w.ctx, p.ID)
		must(t, err)
		tr.OrganisationID = &twin.ID
		must(t, w.store.UpdateTrainee(w.ctx, tr, repository.AllCourses(), nil))
		_, _ = w.store.Enroll(w.ctx, w.courses[w.rng.IntN(len(w.courses))].ID, p.ID, repository.EnrollOptions{}, nil)
		break
	}
	into := w.randomAssociation()
	id, err := w.store.MergeOrganisations(w.ctx, into, twin.ID, nil)
	must(t, err)
	w.merges = append(w.merges, figuresMerge{id: id})
	return fmt.Sprintf("merge association %d into %d", twin.ID, into)
}

// unmerge undoes the latest merge; refused (409) when a row it left has
// changed since, which must change nothing.
func (w *figuresWorld) unmerge(t *testing.T) string {
	if len(w.merges) == 0 {
		return "no merge to undo"
	}
	last := w.merges[len(w.merges)-1]
	w.merges = w.merges[:len(w.merges)-1]
	err := w.store.Unmerge(w.ctx, last.id, nil)
	switch {
	case err == nil && last.removed != nil:
		w.people = append(w.people, last.removed)
	case err != nil && !errors.Is(err, domain.ErrConflict):
		t.Fatalf("unmerge %d: %v", last.id, err)
	}
	return fmt.Sprintf("unmerge %d: %v", last.id, err)
}
