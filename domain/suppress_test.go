package domain

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// people are counts in which every figure is n.
func people(n int) Counts { return Counts{Enrolled: n, Trained: n, Completed: n} }

// withCategories fills the categories and the local actors they add up to.
func withCategories(institutional, associative, children int) (Counts, CategoryCounts) {
	var cc CategoryCounts
	cc.Set(InstitutionalActor, people(institutional))
	cc.Set(AssociativeActor, people(associative))
	cc.Set(ChildParliamentarian, people(children))
	return cc.LocalActors(), cc
}

func row(key string, institutional, associative, children int) Breakdown {
	la, cc := withCategories(institutional, associative, children)
	return Breakdown{Key: key, LocalActors: la, ByCategory: cc, AttendanceRate: 0.75}
}

func headline(institutional, associative, children int, rows ...Breakdown) Totals {
	la, cc := withCategories(institutional, associative, children)
	return Totals{LocalActors: la, ByCategory: cc, AttendanceRate: 0.8, BySex: rows}
}

func TestSuppressHidesSmallCountsAndWhatWouldGiveThemAway(t *testing.T) {
	cases := []struct {
		name          string
		totals        Totals
		hidden, shown []string // paths
	}{{
		// "1 male child parliamentarian enrolled in course 24": the filter
		// leaves one person, so the headline and its only row are small.
		name:   "a single small figure",
		totals: headline(0, 0, 1, row("male", 0, 0, 1)),
		hidden: []string{"by_category.child_parliamentarian.enrolled", "by_category.child_parliamentarian.trained",
			"by_sex.male.by_category.child_parliamentarian.completed", "attendance_rate", "by_sex.male.attendance_rate"},
		shown: []string{"local_actors.enrolled", "by_category.institutional_actor.trained"},
	}, {
		// 6 children, 5 girls and 1 boy: 6 − 5 would give the boy away.
		name:   "the next smallest row is hidden too",
		totals: headline(30, 20, 6, row("female", 20, 10, 5), row("male", 10, 10, 1)),
		hidden: []string{"by_sex.male.by_category.child_parliamentarian.trained",
			"by_sex.female.by_category.child_parliamentarian.trained"},
		shown: []string{"by_category.child_parliamentarian.trained", "by_sex.female.local_actors.trained",
			"by_sex.male.by_category.associative_actor.trained"},
	}, {
		// Local actors 23 = institutional 3 + associative 20.
		name:   "the headline does not give a small category away",
		totals: headline(3, 20, 0),
		hidden: []string{"by_category.institutional_actor.trained", "by_category.associative_actor.trained"},
		shown:  []string{"local_actors.trained", "local_actors.enrolled"},
	}, {
		name:   "the same within a row",
		totals: headline(30, 20, 0, row("female", 2, 12, 0), row("male", 28, 8, 0)),
		hidden: []string{"by_sex.female.by_category.institutional_actor.enrolled",
			"by_sex.female.by_category.associative_actor.enrolled",
			// and then the other row of each column: 2 + 12 would be known from 30 − 28 and 20 − 8
			"by_sex.male.by_category.institutional_actor.enrolled", "by_sex.male.by_category.associative_actor.enrolled"},
		shown: []string{"by_sex.female.local_actors.enrolled", "by_sex.male.local_actors.enrolled",
			"by_category.institutional_actor.enrolled"},
	}, {
		// Two provinces of 1 each: 12 − 10 = 2 would tell both are 1.
		name: "hidden rows that together count fewer than 5",
		totals: Totals{LocalActors: people(12), ByCategory: CategoryCounts{InstitutionalActor: people(12)},
			ByProvince: []Breakdown{
				{Key: "rabat", LocalActors: people(1), ByCategory: CategoryCounts{InstitutionalActor: people(1)}},
				{Key: "sale", LocalActors: people(1), ByCategory: CategoryCounts{InstitutionalActor: people(1)}},
				{Key: "fes", LocalActors: people(10), ByCategory: CategoryCounts{InstitutionalActor: people(10)}},
			}},
		hidden: []string{"by_province.rabat.local_actors.trained", "by_province.sale.local_actors.trained",
			"by_province.fes.local_actors.trained"},
		shown: []string{"local_actors.trained"},
	}, {
		name:   "zero stays 0 and 5 stays 5",
		totals: headline(5, 0, 5, row("female", 5, 0, 5)),
		shown: []string{"local_actors.trained", "by_category.institutional_actor.enrolled",
			"by_category.associative_actor.trained", "by_category.child_parliamentarian.trained",
			"by_sex.female.by_category.associative_actor.trained", "by_sex.female.local_actors.trained", "attendance_rate"},
	}, {
		// Associations exist in the figures through their members.
		name:   "associations",
		totals: Totals{Associations: AssociationCounts{Enrolled: 7, Trained: 2}},
		hidden: []string{"associations.trained"},
		shown:  []string{"associations.enrolled"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Suppress(c.totals)
			for _, p := range c.hidden {
				if !slices.Contains(s.Suppressed, p) {
					t.Errorf("%s is shown; suppressed: %q", p, s.Suppressed)
				}
			}
			for _, p := range c.shown {
				if slices.Contains(s.Suppressed, p) {
					t.Errorf("%s is hidden; suppressed: %q", p, s.Suppressed)
				}
			}
			checkSuppressed(t, c.totals, s)
		})
	}
}

func TestSuppressWritesNullAndKeepsTheShape(t *testing.T) {
	tot := headline(0, 0, 1, row("male", 0, 0, 1))
	tot.Courses, tot.SessionsHeld, tot.TrainingHours = 1, 2, 3.5
	b, err := json.Marshal(Suppress(tot))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"child_parliamentarian":{"enrolled":null,"trained":null,"completed":null}`,
		`"local_actors":{"enrolled":0,"trained":0,"completed":0}`, `"attendance_rate":null`,
		// Course figures are not people: shown as they are, however small.
		`"courses":1,"sessions_held":2,"training_hours":3.5`,
		`"suppressed":["by_category.child_parliamentarian.enrolled",`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	if n := strings.Count(s, ":1,") + strings.Count(s, ":1}"); n != 1 { // "courses":1
		t.Errorf("want no 1 but the course's, found %d in %s", n, s)
	}

	// Exact is the Totals' own JSON, plus an empty list of suppressed figures.
	tot.ByProgramme, tot.ByYear, tot.ByRegion, tot.ByProvince = []Breakdown{}, []Breakdown{}, []Breakdown{}, []Breakdown{}
	exact, err := json.Marshal(Exact(tot))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(tot)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(string(plain), "}") + `,"suppressed":[]}`; string(exact) != want {
		t.Errorf("exact JSON\n%s\nwant\n%s", exact, want)
	}
}

func TestSuppressedAttendanceRate(t *testing.T) {
	for _, c := range []struct {
		trained int
		hidden  bool
	}{{0, false}, {1, true}, {4, true}, {5, false}} {
		tot := Totals{ByCategory: CategoryCounts{AssociativeActor: Counts{Enrolled: 9, Trained: c.trained}}, AttendanceRate: 0.5}
		s := Suppress(tot)
		if s.AttendanceRate.Hidden != c.hidden {
			t.Errorf("%d trained: rate hidden %v, want %v", c.trained, s.AttendanceRate.Hidden, c.hidden)
		}
	}
}

func TestCompareShownHidesWhatTheRecordHides(t *testing.T) {
	s := Suppress(headline(3, 20, 7))
	r := ReportedFigure{Figure: "by_category.institutional_actor.trained", Value: 3}
	if cmp, hidden := CompareShown(r, &s); !hidden || cmp.Matches || cmp.Recorded != 0 || cmp.Difference != 0 {
		t.Errorf("a hidden recorded figure: %+v, %v", cmp, hidden)
	}
	r = ReportedFigure{Figure: "by_category.child_parliamentarian.trained", Value: 8}
	if cmp, hidden := CompareShown(r, &s); hidden || cmp.Recorded != 7 || cmp.Difference != -1 || cmp.Matches {
		t.Errorf("a shown recorded figure: %+v, %v", cmp, hidden)
	}
	for _, key := range FigureKeys {
		if _, ok := s.Figure(key); !ok {
			t.Errorf("FigureKeys lists %q but ShownTotals.Figure does not read it", key)
		}
	}
}

// FuzzSuppress checks the rule's promises on arbitrary totals: every 1 to
// 4 is hidden, no zero is, a hidden value is 0 and listed, course figures
// stay, and no sum with a shown total has a single hidden part or hidden
// parts counting fewer than 5 together.
func FuzzSuppress(f *testing.F) {
	f.Add([]byte{3, 20, 0, 1, 5, 2, 7, 0, 4, 4})
	f.Add([]byte{0, 0, 1, 1, 0, 0, 1})
	f.Add([]byte{12, 1, 6, 5, 0, 1, 9, 2, 2, 2, 2, 30, 4})
	f.Add([]byte("000000000000011"))
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			n := int(data[0] % 16)
			data = data[1:]
			return n
		}
		// The 11 figures a scope is made of: the three categories' counts,
		// then the associations'; local actors are their sum.
		type figures [11]int
		build := func(v figures) (Counts, CategoryCounts, AssociationCounts) {
			cc := CategoryCounts{Counts{v[0], v[1], v[2]}, Counts{v[3], v[4], v[5]}, Counts{v[6], v[7], v[8]}}
			return cc.LocalActors(), cc, AssociationCounts{v[9], v[10]}
		}
		var head figures
		for i := range head {
			head[i] = next()
		}
		var tot Totals
		tot.LocalActors, tot.ByCategory, tot.Associations = build(head)
		tot.Courses, tot.SessionsHeld = next(), next()
		// Real rows: by sex they split the headline; by province they may
		// overlap (a person in two provinces), each row at most the total.
		for _, b := range []struct {
			list    *[]Breakdown
			overlap bool
		}{{&tot.BySex, false}, {&tot.ByProvince, true}} {
			rows := make([]figures, next()%4)
			for i := range head {
				left := head[i]
				for r := range rows {
					part := left
					if r < len(rows)-1 {
						part = min(next(), left)
					}
					left -= part
					if b.overlap {
						part += min(next()%3, head[i]-part)
					}
					rows[r][i] = part
				}
			}
			for r, v := range rows {
				row := Breakdown{Key: string(rune('a' + r))}
				row.LocalActors, row.ByCategory, row.Associations = build(v)
				*b.list = append(*b.list, row)
			}
		}
		checkSuppressed(t, tot, Suppress(tot))
	})
}

// checkSuppressed checks the rule's promises (see FuzzSuppress).
func checkSuppressed(t *testing.T, tot Totals, s ShownTotals) {
	t.Helper()
	if s.Courses != tot.Courses || s.SessionsHeld != tot.SessionsHeld || s.TrainingHours != tot.TrainingHours {
		t.Errorf("course figures changed: %d %d %g", s.Courses, s.SessionsHeld, s.TrainingHours)
	}
	type figure struct {
		path string
		n    int
		c    Cell
	}
	scope := func(prefix string, la Counts, cc CategoryCounts, as AssociationCounts,
		sla CountCells, scc CategoryCells, sas AssociationCells) []figure {
		out := []figure{}
		add := func(group string, n Counts, c CountCells) {
			out = append(out, figure{prefix + group + ".enrolled", n.Enrolled, c.Enrolled},
				figure{prefix + group + ".trained", n.Trained, c.Trained},
				figure{prefix + group + ".completed", n.Completed, c.Completed})
		}
		add("local_actors", la, sla)
		for _, cat := range Categories {
			add("by_category."+string(cat), cc.Of(cat), scc.Of(cat))
		}
		return append(out, figure{prefix + "associations.enrolled", as.Enrolled, sas.Enrolled},
			figure{prefix + "associations.trained", as.Trained, sas.Trained})
	}
	head := scope("", tot.LocalActors, tot.ByCategory, tot.Associations, s.LocalActors, s.ByCategory, s.Associations)
	all := slices.Clone(head)
	var sums [][]figure // the total first, then its parts
	localSums := func(sc []figure) {
		for m := range 3 {
			sums = append(sums, []figure{sc[m], sc[3+m], sc[6+m]})
		}
	}
	localSums(head)
	for _, b := range []struct {
		key   string
		rows  []Breakdown
		shown []BreakdownCells
	}{{"by_programme", tot.ByProgramme, s.ByProgramme}, {"by_year", tot.ByYear, s.ByYear},
		{"by_region", tot.ByRegion, s.ByRegion}, {"by_province", tot.ByProvince, s.ByProvince}, {"by_sex", tot.BySex, s.BySex}} {
		columns := make([][]figure, len(head))
		for i := range columns {
			columns[i] = []figure{head[i]}
		}
		for i, r := range b.rows {
			sr := b.shown[i]
			sc := scope(b.key+"."+r.Key+".", r.LocalActors, r.ByCategory, r.Associations, sr.LocalActors, sr.ByCategory, sr.Associations)
			all = append(all, sc...)
			localSums(sc)
			for j := range sc {
				columns[j] = append(columns[j], sc[j])
			}
		}
		sums = append(sums, columns...)
	}
	for _, f := range all {
		switch {
		case f.n > 0 && f.n < 5 && !f.c.Hidden:
			t.Errorf("%s = %d is shown", f.path, f.n)
		case f.n == 0 && f.c.Hidden:
			t.Errorf("%s = 0 is hidden", f.path)
		case f.c.Hidden && (f.c.Value != 0 || !slices.Contains(s.Suppressed, f.path)):
			t.Errorf("%s is hidden as %+v; suppressed: %q", f.path, f.c, s.Suppressed)
		case !f.c.Hidden && (f.c.Value != f.n || slices.Contains(s.Suppressed, f.path)):
			t.Errorf("%s = %d is shown as %+v", f.path, f.n, f.c)
		}
	}
	for _, sum := range sums {
		if sum[0].c.Hidden {
			continue
		}
		hidden, together := 0, 0
		for _, p := range sum[1:] {
			if p.c.Hidden {
				hidden++
				together += p.n
			}
		}
		if hidden == 1 || (hidden > 1 && together < 5) {
			t.Errorf("%s shown: subtracting tells %d hidden parts counting %d", sum[0].path, hidden, together)
		}
	}
}

// BenchmarkSuppress is the rule on national totals of the scale the
// benchmarks use: 3 programmes, 5 years, 12 regions, 75 provinces, 2 sexes,
// with small figures scattered so that complementary cells are needed.
func BenchmarkSuppress(b *testing.B) {
	rows := func(prefix string, n int) []Breakdown {
		out := make([]Breakdown, n)
		for i := range out {
			out[i] = row(prefix+string(rune('a'+i%26))+string(rune('a'+i/26)), 3+i%40, i%7, i%5)
		}
		return out
	}
	tot := headline(900, 300, 120)
	tot.ByProgramme, tot.ByYear, tot.ByRegion, tot.ByProvince, tot.BySex =
		rows("p", 3), rows("y", 5), rows("r", 12), rows("v", 75), rows("s", 2)
	b.ReportAllocs()
	for b.Loop() {
		Suppress(tot)
	}
}
