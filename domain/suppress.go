package domain

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Small counts: what the ministry reads. The ministry's filters go down to
// one course, one sex and one category, so an exact small figure can point
// at a person ("1 male child parliamentarian enrolled in course 24").
// Suppress states the rule; the app applies it for the ministry role, and
// coordinators and admins read Exact figures. docs/SECURITY.md ("Small
// counts") explains why each part is there.
//
//   - Small. A count of 1 to 4 (people, or associations, which exist in the
//     figures only through their members) is hidden and shown as "<5". Zero
//     is shown: nobody is behind it.
//   - Complementary. A total minus the figures shown beside it gives what is
//     hidden. Wherever figures add up to a total that is shown (local actors =
//     institutional + associative actors, in the headline and in every row; a
//     breakdown's rows and the headline, for each figure), the hidden ones
//     must be none, or at least two that together count at least 5: else the
//     smallest figure still shown (never a zero) is hidden too, or, when there
//     is none, the total. Repeated until every such sum holds. Rows that can
//     overlap (a person trained in two years is in both rows) are treated
//     like those that cannot (sex, category): the subtraction then gives a
//     lower bound, which is the exact figure whenever nobody is in two rows,
//     as for most people.
//   - One marker. A figure hidden to protect another is marked "<5" like the
//     small one, whatever its value: with a marker of its own, one could
//     subtract anyway (1 boy hidden, 5 girls withheld, 6 in all: "withheld" means
//     at least 5, so the boy is 1).
//   - Attendance rate. Hidden when fewer than 5 people of the scope were
//     trained: the rate is computed from the marks of the people with marks,
//     at least the trained ones, and the records give no smaller bound.
//   - Course figures. Courses, sessions held and training hours count
//     courses, not people: never hidden.
//
// Filters are not part of the rule: every answer is protected by itself,
// the differences between two answers are not (see docs/SECURITY.md).

// MinShownCount is the smallest count that readers of suppressed totals see
// as it is (besides zero).
const MinShownCount = 5

// SmallCountMarker is how a hidden figure is written in files and pages.
const SmallCountMarker = "<5"

// Cell is one figure as its reader may see it. A hidden cell's Value is 0,
// so that no page or file can show what the rule hid.
type Cell struct {
	Value  int
	Hidden bool
}

// MarshalJSON writes the value, or null when it is hidden (the paths of
// hidden figures are listed in ShownTotals.Suppressed).
func (c Cell) MarshalJSON() ([]byte, error) {
	if c.Hidden {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(c.Value), 10), nil
}

// RateCell is an attendance rate as its reader may see it.
type RateCell struct {
	Value  float64
	Hidden bool
}

// MarshalJSON writes the rate as Totals does, or null when it is hidden.
func (r RateCell) MarshalJSON() ([]byte, error) {
	if r.Hidden {
		return []byte("null"), nil
	}
	return json.Marshal(r.Value)
}

// CountCells are Counts as their reader may see them.
type CountCells struct {
	Enrolled  Cell `json:"enrolled"`
	Trained   Cell `json:"trained"`
	Completed Cell `json:"completed"`
}

// CategoryCells are CategoryCounts as their reader may see them.
type CategoryCells struct {
	InstitutionalActor   CountCells `json:"institutional_actor"`
	AssociativeActor     CountCells `json:"associative_actor"`
	ChildParliamentarian CountCells `json:"child_parliamentarian"`
}

// Of returns the cells of category c (zero for an unknown category).
func (cc CategoryCells) Of(c Category) CountCells {
	switch c {
	case InstitutionalActor:
		return cc.InstitutionalActor
	case AssociativeActor:
		return cc.AssociativeActor
	case ChildParliamentarian:
		return cc.ChildParliamentarian
	}
	return CountCells{}
}

// AssociationCells are AssociationCounts as their reader may see them.
type AssociationCells struct {
	Enrolled Cell `json:"enrolled"`
	Trained  Cell `json:"trained"`
}

// BreakdownCells are a Breakdown row as its reader may see it.
type BreakdownCells struct {
	Key            string           `json:"key"`
	NameAr         string           `json:"name_ar,omitempty"`
	NameFr         string           `json:"name_fr,omitempty"`
	LocalActors    CountCells       `json:"local_actors"`
	ByCategory     CategoryCells    `json:"by_category"`
	Associations   AssociationCells `json:"associations"`
	AttendanceRate RateCell         `json:"attendance_rate"`
}

// ShownTotals are Totals as their reader may see them: the same JSON shape,
// with null for a hidden figure and the path of every hidden figure in
// Suppressed ("by_category.child_parliamentarian.trained",
// "by_province.rabat.local_actors.enrolled"; [] when nothing is hidden).
type ShownTotals struct {
	Filters        TotalsFilter     `json:"filters"`
	LocalActors    CountCells       `json:"local_actors"`
	ByCategory     CategoryCells    `json:"by_category"`
	Associations   AssociationCells `json:"associations"`
	Courses        int              `json:"courses"`
	SessionsHeld   int              `json:"sessions_held"`
	TrainingHours  float64          `json:"training_hours"`
	AttendanceRate RateCell         `json:"attendance_rate"`
	ByProgramme    []BreakdownCells `json:"by_programme"`
	ByYear         []BreakdownCells `json:"by_year"`
	ByRegion       []BreakdownCells `json:"by_region"`
	ByProvince     []BreakdownCells `json:"by_province"`
	BySex          []BreakdownCells `json:"by_sex"`
	Suppressed     []string         `json:"suppressed"`
}

// Exact are the totals with every figure shown: what coordinators and
// admins read.
func Exact(t Totals) ShownTotals {
	return ShownTotals{
		Filters:        t.Filters,
		LocalActors:    countCells(t.LocalActors),
		ByCategory:     categoryCells(t.ByCategory),
		Associations:   AssociationCells{Cell{Value: t.Associations.Enrolled}, Cell{Value: t.Associations.Trained}},
		Courses:        t.Courses,
		SessionsHeld:   t.SessionsHeld,
		TrainingHours:  t.TrainingHours,
		AttendanceRate: RateCell{Value: t.AttendanceRate},
		ByProgramme:    breakdownCells(t.ByProgramme),
		ByYear:         breakdownCells(t.ByYear),
		ByRegion:       breakdownCells(t.ByRegion),
		ByProvince:     breakdownCells(t.ByProvince),
		BySex:          breakdownCells(t.BySex),
		Suppressed:     []string{},
	}
}

func countCells(c Counts) CountCells {
	return CountCells{Cell{Value: c.Enrolled}, Cell{Value: c.Trained}, Cell{Value: c.Completed}}
}

func categoryCells(cc CategoryCounts) CategoryCells {
	return CategoryCells{countCells(cc.InstitutionalActor), countCells(cc.AssociativeActor), countCells(cc.ChildParliamentarian)}
}

func breakdownCells(rows []Breakdown) []BreakdownCells {
	out := make([]BreakdownCells, len(rows))
	for i, b := range rows {
		out[i] = BreakdownCells{Key: b.Key, NameAr: b.NameAr, NameFr: b.NameFr, LocalActors: countCells(b.LocalActors),
			ByCategory: categoryCells(b.ByCategory), Associations: AssociationCells{Cell{Value: b.Associations.Enrolled},
				Cell{Value: b.Associations.Trained}}, AttendanceRate: RateCell{Value: b.AttendanceRate}}
	}
	return out
}

// Suppress are the totals as the ministry reads them: small counts hidden,
// and the figures that would give them away by subtraction (see the rule at
// the top of this file).
func Suppress(t Totals) ShownTotals {
	s := Exact(t)
	head := newScope("", &s.LocalActors, &s.ByCategory, &s.Associations, &s.AttendanceRate)
	scopes := []scope{head}
	groups := head.localActorSums()
	for _, b := range s.breakdowns() {
		rows := make([]scope, len(b.rows))
		for i := range b.rows {
			r := &b.rows[i]
			rows[i] = newScope(b.key+"."+r.Key+".", &r.LocalActors, &r.ByCategory, &r.Associations, &r.AttendanceRate)
			groups = append(groups, rows[i].localActorSums()...)
		}
		groups = append(groups, breakdownSums(head, rows)...)
		scopes = append(scopes, rows...)
	}

	for _, sc := range scopes {
		for _, c := range sc.cells {
			c.Hidden = small(c.Value)
		}
		// Before any value is zeroed below: the trained people of the scope.
		sc.rate.Hidden = small(sc.cells[trainedInstitutional].Value + sc.cells[trainedAssociative].Value +
			sc.cells[trainedChildren].Value)
	}
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			changed = g.protect() || changed
		}
	}
	for _, sc := range scopes {
		for i, c := range sc.cells {
			if c.Hidden {
				c.Value = 0
				s.Suppressed = append(s.Suppressed, sc.prefix+cellPaths[i])
			}
		}
		if sc.rate.Hidden {
			sc.rate.Value = 0
			s.Suppressed = append(s.Suppressed, sc.prefix+"attendance_rate")
		}
	}
	return s
}

// small reports whether a count is hidden by itself: 1 to 4.
func small(n int) bool { return n > 0 && n < MinShownCount }

// cellPaths are the paths of a scope's count cells, in the order of
// scope.cells: local actors, the three categories, associations.
var cellPaths = []string{
	"local_actors.enrolled", "local_actors.trained", "local_actors.completed",
	"by_category.institutional_actor.enrolled", "by_category.institutional_actor.trained",
	"by_category.institutional_actor.completed",
	"by_category.associative_actor.enrolled", "by_category.associative_actor.trained",
	"by_category.associative_actor.completed",
	"by_category.child_parliamentarian.enrolled", "by_category.child_parliamentarian.trained",
	"by_category.child_parliamentarian.completed",
	"associations.enrolled", "associations.trained",
}

// Positions in scope.cells.
const (
	localActors          = 0 // enrolled, trained, completed follow
	institutional        = 3
	associative          = 6
	trainedInstitutional = 4
	trainedAssociative   = 7
	trainedChildren      = 10
)

// scope is the cells of the headline or of one breakdown row.
type scope struct {
	prefix string // "" for the headline, "by_year.2019." for a row
	cells  []*Cell
	rate   *RateCell
}

func newScope(prefix string, la *CountCells, cc *CategoryCells, as *AssociationCells, rate *RateCell) scope {
	cells := []*Cell{&la.Enrolled, &la.Trained, &la.Completed}
	for _, c := range []*CountCells{&cc.InstitutionalActor, &cc.AssociativeActor, &cc.ChildParliamentarian} {
		cells = append(cells, &c.Enrolled, &c.Trained, &c.Completed)
	}
	cells = append(cells, &as.Enrolled, &as.Trained)
	return scope{prefix: prefix, cells: cells, rate: rate}
}

// localActorSums are the scope's sums local actors = institutional +
// associative, for enrolled, trained and completed.
func (sc scope) localActorSums() []sum {
	out := make([]sum, 3)
	for m := range out {
		out[m] = sum{total: sc.cells[localActors+m], parts: []*Cell{sc.cells[institutional+m], sc.cells[associative+m]}}
	}
	return out
}

// breakdownSums are, for every figure, a breakdown's rows and the headline.
func breakdownSums(head scope, rows []scope) []sum {
	out := make([]sum, len(head.cells))
	for i := range out {
		out[i].total = head.cells[i]
		for _, r := range rows {
			out[i].parts = append(out[i].parts, r.cells[i])
		}
	}
	return out
}

type breakdownList struct {
	key  string
	rows []BreakdownCells
}

func (s *ShownTotals) breakdowns() []breakdownList {
	return []breakdownList{{"by_programme", s.ByProgramme}, {"by_year", s.ByYear}, {"by_region", s.ByRegion},
		{"by_province", s.ByProvince}, {"by_sex", s.BySex}}
}

// sum is figures that add up to a total (or, for rows that can overlap, to
// at least the total).
type sum struct {
	total *Cell
	parts []*Cell
}

// protect hides one more figure when subtracting from the total would tell
// too much: a single hidden part, or hidden parts together counting fewer
// than 5. It hides the smallest part still shown that is not zero (the
// first of equals), else the total. It reports whether it hid anything.
func (g sum) protect() bool {
	if g.total.Hidden {
		return false
	}
	hidden, together := 0, 0
	var next *Cell
	for _, p := range g.parts {
		switch {
		case p.Hidden:
			hidden++
			together += p.Value
		case p.Value > 0 && (next == nil || p.Value < next.Value):
			next = p
		}
	}
	if hidden == 0 || (hidden >= 2 && together >= MinShownCount) {
		return false
	}
	if next == nil {
		if g.total.Value == 0 { // not in real figures (a part is never more than its total); a zero is never hidden
			return false
		}
		next = g.total
	}
	next.Hidden = true
	return true
}

// Figure returns a figure by its key (FigureKeys), and false for an
// unknown key.
func (s *ShownTotals) Figure(key string) (Cell, bool) {
	switch key {
	case "courses":
		return Cell{Value: s.Courses}, true
	case "sessions_held":
		return Cell{Value: s.SessionsHeld}, true
	case "associations.enrolled":
		return s.Associations.Enrolled, true
	case "associations.trained":
		return s.Associations.Trained, true
	}
	group, field, ok := cutLast(key)
	if !ok {
		return Cell{}, false
	}
	var counts CountCells
	switch {
	case group == "local_actors":
		counts = s.LocalActors
	case strings.HasPrefix(group, "by_category."):
		c := Category(strings.TrimPrefix(group, "by_category."))
		if !c.Valid() {
			return Cell{}, false
		}
		counts = s.ByCategory.Of(c)
	default:
		return Cell{}, false
	}
	switch field {
	case "enrolled":
		return counts.Enrolled, true
	case "trained":
		return counts.Trained, true
	case "completed":
		return counts.Completed, true
	}
	return Cell{}, false
}

// CompareShown is Compare for a reader of shown totals: when the recorded
// figure is hidden, so are the difference and whether it matches (a match
// with a reported 3 would tell the hidden 3), and hidden is true.
func CompareShown(r ReportedFigure, t *ShownTotals) (cmp Comparison, hidden bool) {
	recorded, _ := t.Figure(r.Figure)
	if recorded.Hidden {
		return Comparison{Reported: r}, true
	}
	return Comparison{Reported: r, Recorded: recorded.Value, Difference: recorded.Value - r.Value,
		Matches: recorded.Value == r.Value}, false
}
