package repository

import (
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
