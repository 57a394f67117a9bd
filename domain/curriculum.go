package domain

// The curriculum (issue 19): a programme's ordered modules, and who
// completed the whole programme. docs/TOTALS.md ("Programme completion")
// states the rule for readers; this is where it is written down for code.
//
//   - A module is completed by a person who completed (Completed, totals.go:
//     attended at least the course's threshold of its sessions) at least one
//     course of the module. Two courses of one module are two offers of the
//     same content (two provinces, a make-up course): either one is enough.
//   - The programme is completed by a person who completed every module it
//     declares. A programme without modules has no programme completion.
//   - Started: anyone with an enrolment (withdrawn included: who left is a
//     drop-out, not someone who never came) in a course of one of its modules.
//     Courses without a module (a follow-up) count in the other figures, not here.
//   - Who they were: each person counts in exactly one row of each
//     breakdown, taken from their first enrolment in a module's course
//     (earliest course start date, then course id): its category, the
//     province of that course, its course year as their cohort year; sex is
//     the person's. Rows therefore add up to the headline.
//   - Small counts: the ministry reads SuppressCompletion (same rule as the
//     totals: 1 to 4 hidden, and what would give it away by subtraction).

// Module is one step of a programme's path.
type Module struct {
	ID            int64   `db:"id" json:"id"`
	ProgrammeID   int64   `db:"programme_id" json:"programme_id"`
	Position      int     `db:"position" json:"position" validate:"required,gte=1,lte=100"`
	Year          int     `db:"year" json:"year" validate:"required,gte=1,lte=3"`
	NameAr        string  `db:"name_ar" json:"name_ar" validate:"required,text,max=300"`
	NameFr        string  `db:"name_fr" json:"name_fr" validate:"required,text,max=300"`
	ExpectedHours float64 `db:"expected_hours" json:"expected_hours" validate:"gt=0,lte=2000"`
}

// Names is the module's name in each language it has one (no English name).
func (m Module) Names() Names { return Names{Ar: m.NameAr, Fr: m.NameFr} }

// Validate checks a module before it is stored.
func (m *Module) Validate() error {
	m.NameAr, m.NameFr = cleanLine(m.NameAr), cleanLine(m.NameFr)
	p := Problems{}
	checkTags(m, p)
	return p.Err()
}

// CompletionRow is one row of a programme completion breakdown.
type CompletionRow struct {
	Key       string `json:"key" db:"key"`
	NameAr    string `json:"name_ar,omitempty" db:"name_ar"`
	NameFr    string `json:"name_fr,omitempty" db:"name_fr"`
	Started   int    `json:"started" db:"started"`
	Completed int    `json:"completed" db:"completed"`
}

// Names is the row's label in each language it has one (provinces).
func (r CompletionRow) Names() Names { return Names{Ar: r.NameAr, Fr: r.NameFr} }

// ProgrammeCompletion is who started and who completed one programme's
// path, with its breakdowns; every person is in one row of each.
type ProgrammeCompletion struct {
	Programme  string          `json:"programme"`
	Modules    int             `json:"modules"`
	Started    int             `json:"started"`
	Completed  int             `json:"completed"`
	ByCategory []CompletionRow `json:"by_category"`
	BySex      []CompletionRow `json:"by_sex"`
	ByProvince []CompletionRow `json:"by_province"`
	ByCohort   []CompletionRow `json:"by_cohort"`
}

// CompletionCells is a completion row as its reader may see it.
type CompletionCells struct {
	Key       string `json:"key"`
	NameAr    string `json:"name_ar,omitempty"`
	NameFr    string `json:"name_fr,omitempty"`
	Started   Cell   `json:"started"`
	Completed Cell   `json:"completed"`
}

// Names is the row's label in each language it has one.
func (r CompletionCells) Names() Names { return Names{Ar: r.NameAr, Fr: r.NameFr} }

// ShownCompletion is a ProgrammeCompletion as its reader may see it; the
// paths of hidden figures are listed in Suppressed ("by_sex.m.completed").
type ShownCompletion struct {
	Programme  string            `json:"programme"`
	Modules    int               `json:"modules"`
	Started    Cell              `json:"started"`
	Completed  Cell              `json:"completed"`
	ByCategory []CompletionCells `json:"by_category"`
	BySex      []CompletionCells `json:"by_sex"`
	ByProvince []CompletionCells `json:"by_province"`
	ByCohort   []CompletionCells `json:"by_cohort"`
	Suppressed []string          `json:"suppressed"`
}

// ExactCompletion shows every figure: what coordinators and admins read.
func ExactCompletion(pc ProgrammeCompletion) ShownCompletion {
	return ShownCompletion{Programme: pc.Programme, Modules: pc.Modules,
		Started: Cell{Value: pc.Started}, Completed: Cell{Value: pc.Completed},
		ByCategory: completionCells(pc.ByCategory), BySex: completionCells(pc.BySex),
		ByProvince: completionCells(pc.ByProvince), ByCohort: completionCells(pc.ByCohort),
		Suppressed: []string{}}
}

func completionCells(rows []CompletionRow) []CompletionCells {
	out := make([]CompletionCells, 0, len(rows))
	for _, r := range rows {
		out = append(out, CompletionCells{Key: r.Key, NameAr: r.NameAr, NameFr: r.NameFr,
			Started: Cell{Value: r.Started}, Completed: Cell{Value: r.Completed}})
	}
	return out
}

// SuppressCompletion is the completion as the ministry reads it: a count of
// 1 to 4 hidden, then, in each breakdown (whose rows add up to the
// headline), whatever would give a hidden count away by subtraction, as
// Suppress does for the totals.
func SuppressCompletion(pc ProgrammeCompletion) ShownCompletion {
	s := ExactCompletion(pc)
	all := []*Cell{&s.Started, &s.Completed}
	lists := s.breakdowns()
	for _, l := range lists {
		for i := range l.rows {
			all = append(all, &l.rows[i].Started, &l.rows[i].Completed)
		}
	}
	for _, c := range all {
		c.Hidden = small(c.Value)
	}
	var sums []sum
	for _, l := range lists {
		started, completed := sum{total: &s.Started}, sum{total: &s.Completed}
		for i := range l.rows {
			started.parts = append(started.parts, &l.rows[i].Started)
			completed.parts = append(completed.parts, &l.rows[i].Completed)
		}
		sums = append(sums, started, completed)
	}
	for changed := true; changed; {
		changed = false
		for _, g := range sums {
			if g.protect() {
				changed = true
			}
		}
	}
	s.Suppressed = s.hiddenPaths()
	for _, c := range all {
		if c.Hidden {
			c.Value = 0 // no page or file can show what the rule hid
		}
	}
	return s
}

type completionList struct {
	key  string
	rows []CompletionCells
}

func (s *ShownCompletion) breakdowns() []completionList {
	return []completionList{{"by_category", s.ByCategory}, {"by_sex", s.BySex},
		{"by_province", s.ByProvince}, {"by_cohort", s.ByCohort}}
}

func (s *ShownCompletion) hiddenPaths() []string {
	paths := []string{}
	add := func(prefix string, started, completed Cell) {
		if started.Hidden {
			paths = append(paths, prefix+"started")
		}
		if completed.Hidden {
			paths = append(paths, prefix+"completed")
		}
	}
	add("", s.Started, s.Completed)
	for _, l := range s.breakdowns() {
		for _, r := range l.rows {
			add(l.key+"."+r.Key+".", r.Started, r.Completed)
		}
	}
	return paths
}
