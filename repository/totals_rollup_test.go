package repository

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// A base cell counts in twelve cube cells: its programme or all, its year
// or all, its province, its region only, or all places.
func TestRollupsOfABaseCell(t *testing.T) {
	got := cubeCell{Programme: 3, Year: 2019, Region: 4, Province: 17}.rollups()
	want := [12]cubeCell{
		{3, 2019, 4, 17}, {3, 2019, 4, 0}, {3, 2019, 0, 0},
		{3, 0, 4, 17}, {3, 0, 4, 0}, {3, 0, 0, 0},
		{0, 2019, 4, 17}, {0, 2019, 4, 0}, {0, 2019, 0, 0},
		{0, 0, 4, 17}, {0, 0, 4, 0}, {0, 0, 0, 0},
	}
	if got != want {
		t.Errorf("rollups: %v", got)
	}
}

// A person is counted once per roll-up, their flags OR-ed over their cells
// there: trained in one province of a region, enrolled in another, they are
// one trained person in the region's row and the country's.
func TestAPersonInTwoCellsIsOnePersonWhereTheyMeet(t *testing.T) {
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	actor, err := attributeOf("associative_actor")
	must(t, err)
	female, err := attributeOf("female")
	must(t, err)
	q := peopleCube{}
	q.addPerson([]cell{
		{Sign: 1, ID: 1, cubeCell: cubeCell{Programme: 3, Year: 2019, Region: 4, Province: 17}, Category: actor, Sex: female, Enrolled: true, Marks: 2},
		{Sign: 1, ID: 1, cubeCell: cubeCell{Programme: 3, Year: 2019, Region: 4, Province: 18}, Category: actor, Sex: female, Trained: true, AttendedMarks: 1, Marks: 1},
	}, nil)
	at := func(c cubeCell) peopleCounts { return *q[cubeKey{cubeCell: c, Category: actor, Sex: female}] }
	if got, want := at(cubeCell{0, 0, 4, 0}), (peopleCounts{People: 1, Enrolled: 1, Trained: 1, AttendedMarks: 1, Marks: 3}); got != want {
		t.Errorf("region: %+v, want %+v", got, want)
	}
	if got, want := at(cubeCell{0, 0, 4, 17}), (peopleCounts{People: 1, Enrolled: 1, Marks: 2}); got != want {
		t.Errorf("province 17: %+v, want %+v", got, want)
	}
	if len(q) != 4+4+8 { // each province's four rows, and the region's and the country's shared
		t.Errorf("%d rows, want 16", len(q))
	}
	if !reflect.DeepEqual(at(cubeCell{}), at(cubeCell{0, 0, 4, 0})) {
		t.Error("the country's row differs from the region's")
	}
}

// An association counts once per roll-up and member variant (the members'
// category or any × their sex or any), its flags OR-ed over its cells
// there: addAssociation, which groups the variants per roll-up, gives the
// rows of that definition, cell by cell, for random associations, and so
// does a read's filter on the rows it keeps.
func TestAssociationRowsAreTheirDefinition(t *testing.T) {
	t.Parallel()
	var attrs [5]attribute
	for i, name := range []string{"associative_actor", "child_parliamentarian", "institutional_actor", "female", "male"} {
		a, err := attributeOf(name)
		if err != nil {
			t.Fatal(err)
		}
		attrs[i] = a
	}
	rng := rand.New(rand.NewPCG(13, 1))
	read := cubeRead{cell: cubeCell{Region: 2}, category: attrs[0]}
	filter := &rowFilter{rollup: read.cell.readBy, row: read.associations}
	for range 200 {
		var cells []cell
		for range 1 + rng.IntN(30) {
			region := int16(1 + rng.IntN(3))
			cells = append(cells, cell{Sign: 1, ID: 1,
				cubeCell: cubeCell{Programme: int64(1 + rng.IntN(3)), Year: int16(2020 + rng.IntN(2)), Region: region, Province: int64(region)*10 + int64(rng.IntN(2))},
				Category: attrs[rng.IntN(3)], Sex: attrs[3+rng.IntN(2)], Enrolled: rng.IntN(4) > 0, Trained: rng.IntN(2) == 0})
		}
		for _, keep := range []*rowFilter{nil, filter} {
			got, want := assocCube{}, assocRowsByDefinition(cells, keep)
			got.addAssociation(-1, cells, keep)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("cells %+v (filter %v):\n got %d rows\nwant %d rows", cells, keep != nil, len(got), len(want))
			}
		}
	}
}

// assocRowsByDefinition counts one association (sign −1) as the definition
// says: every cell, every roll-up, every member variant.
func assocRowsByDefinition(cells []cell, keep *rowFilter) assocCube {
	flags := map[cubeKey][2]bool{}
	for _, c := range cells {
		for _, r := range c.rollups() {
			for _, v := range [4][2]attribute{{c.Category, c.Sex}, {c.Category, 0}, {0, c.Sex}, {0, 0}} {
				k := cubeKey{cubeCell: r, Category: v[0], Sex: v[1]}
				if keep == nil || keep.rollup(r) && keep.row(k) {
					f := flags[k]
					flags[k] = [2]bool{f[0] || c.Enrolled, f[1] || c.Trained}
				}
			}
		}
	}
	q := assocCube{}
	for k, f := range flags {
		q[k] = &assocCounts{Associations: -1, Enrolled: -b2i(f[0]), Trained: -b2i(f[1])}
	}
	return q
}
