package domain_test

import (
	"testing"
	"time"

	"takaffoul/domain"
)

// The minors' rule without a course, in the current year in Casablanca: on
// 31 December 2026 at 23:30 UTC it is already 2027 there.
func TestMinorThisYearIsReckonedInCasablanca(t *testing.T) {
	newYearsEve := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	if y := domain.CurrentYear(newYearsEve); y != 2027 {
		t.Fatalf("want 2027 in Casablanca, got %d", y)
	}
	child := func(born int) *domain.Trainee {
		return &domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: &born}
	}
	if err := child(2010).CheckMinorThisYear(newYearsEve); err != nil {
		t.Errorf("17 in 2027 refused: %v", err)
	}
	if err := child(2009).CheckMinorThisYear(newYearsEve); err == nil {
		t.Error("18 in 2027 accepted")
	}
}

func TestMinorRuleOfAChange(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	year := func(y int) *int { return &y }
	cases := []struct {
		what          string
		before, after domain.Trainee
		refused       bool
	}{
		{"came of age, name changed", domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: year(2000)},
			domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: year(2000)}, false},
		{"came of age, reclassified", domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: year(2000)},
			domain.Trainee{Category: domain.AssociativeActor, BirthYear: year(2000)}, false},
		{"child made an adult", domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: year(2012)},
			domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: year(2008)}, true},
		{"adult made a child", domain.Trainee{Category: domain.AssociativeActor, BirthYear: year(1990)},
			domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: year(1990)}, true},
		{"child's year corrected", domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: year(2012)},
			domain.Trainee{Category: domain.ChildParliamentarian, BirthYear: year(2013)}, false},
	}
	for _, c := range cases {
		err := domain.CheckMinorAfterChange(&c.before, &c.after, now)
		if (err != nil) != c.refused {
			t.Errorf("%s: refused %v, want %v", c.what, err != nil, c.refused)
		}
	}
}
