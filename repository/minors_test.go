package repository_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// An import without a course judges a child parliamentarian on the current
// year (issue 15, point 8): one adult refuses the whole file, naming the row
// and the birth year; a minor, and one turning 17 this year, are accepted.
// Someone turning 18 this year is not a minor (as for a course).
func TestImportWithoutCourseRefusesAnAdultChildParliamentarian(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	year := domain.CurrentYear(time.Now())
	eighteen := strconv.Itoa(year - 18)
	file := "name,category,sex,birth year,consent\n" +
		"Good,child,m," + strconv.Itoa(year-12) + ",yes\n" +
		"Adult,child,f," + eighteen + ",yes\n" // row 3: 18 this year
	before := f.counts(t)
	_, err := f.importString(file, "l.csv", repository.ImportOptions{})
	wantImportProblem(t, err, 3, "birth_year", domain.ChildNotMinorThisYear)
	if after := f.counts(t); after != before {
		t.Fatalf("a refused import wrote something: %s, then %s", before, after)
	}
	var ie *domain.ImportError
	errors.As(err, &ie)
	for _, p := range ie.Problems {
		if p.Row == 3 && p.Param != eighteen {
			t.Errorf("the problem names %q, not the birth year %s", p.Param, eighteen)
		}
	}
	file = "name,category,sex,birth year,consent\n" +
		"Good,child,m," + strconv.Itoa(year-12) + ",yes\n" +
		"Oldest minor,child,f," + strconv.Itoa(year-17) + ",yes\n"
	report, err := f.importString(file, "l.csv", repository.ImportOptions{})
	must(t, err)
	if report.Created != 2 {
		t.Fatalf("two minors, %d created", report.Created)
	}
}
