package domain

import "math"

// What people learned and how they found the training (issue 19, point 2):
// per enrolment a pre-test and a post-test score (0–100) and three
// satisfaction items (1–5), entered by a trainer of the course.
// docs/TOTALS.md ("Scores and satisfaction") states the figures for readers.
//
//   - Gain: post − pre, for an enrolment with both scores. A person's gain
//     in a cell is the mean of their enrolments' gains there (most have one).
//   - Improved: a person whose gain in the cell is above zero.
//   - Satisfaction: the mean of the items given, per enrolment, then per
//     person, then over the people of the cell.
//   - Means are over people, each once per cell. Rows: the enrolment's
//     category, the course's province, the person's sex (a person scored in
//     two provinces is in both rows, as in the totals).
//   - Small counts: for the ministry, a cell of fewer than 5 people is
//     hidden whole (its count and its means); the counts then follow the
//     totals' complementary rule (SuppressOutcomes), and a mean is hidden
//     whenever its count is.

// Scores are one enrolment's test scores and satisfaction; nil is not
// entered (yet).
type Scores struct {
	Pre          *int    `json:"pre_score" db:"pre_score"`
	Post         *int    `json:"post_score" db:"post_score"`
	Satisfaction [3]*int `json:"satisfaction"`
}

// Validate checks the ranges: scores 0–100, ratings 1–5.
func (s Scores) Validate() error {
	p := Problems{}
	for field, v := range map[string]*int{"pre_score": s.Pre, "post_score": s.Post} {
		if v != nil && (*v < 0 || *v > 100) {
			p.Add(field, "outcomes.score_range")
		}
	}
	for i, v := range s.Satisfaction {
		if v != nil && (*v < 1 || *v > 5) {
			p.Add(SatisfactionFields[i], "outcomes.rating_range")
		}
	}
	return p.Err()
}

// Empty reports whether nothing is entered.
func (s Scores) Empty() bool {
	return s.Pre == nil && s.Post == nil && s.Satisfaction == [3]*int{}
}

// SatisfactionFields are the form's and the API's errors' names of the three items.
var SatisfactionFields = [3]string{"satisfaction_1", "satisfaction_2", "satisfaction_3"}

// OutcomeRow is one cell of the outcome figures, exact.
type OutcomeRow struct {
	Key    string `json:"key" db:"key"`
	NameAr string `json:"name_ar,omitempty" db:"name_ar"`
	NameFr string `json:"name_fr,omitempty" db:"name_fr"`
	// Tested: people with a pre- and a post-test score; Rated: people with
	// at least one satisfaction item.
	Tested           int     `json:"tested" db:"tested"`
	MeanGain         float64 `json:"mean_gain" db:"mean_gain"`
	ImprovedShare    float64 `json:"improved_share" db:"improved_share"`
	Rated            int     `json:"rated" db:"rated"`
	MeanSatisfaction float64 `json:"mean_satisfaction" db:"mean_satisfaction"`
}

// Outcomes are the figures of a scope: the headline and three breakdowns.
type Outcomes struct {
	All        OutcomeRow   `json:"all"`
	ByCategory []OutcomeRow `json:"by_category"`
	BySex      []OutcomeRow `json:"by_sex"`
	ByProvince []OutcomeRow `json:"by_province"`
}

// MeanCell is a mean as its reader may see it: null when hidden.
type MeanCell = RateCell

// OutcomeCells is an OutcomeRow as its reader may see it.
type OutcomeCells struct {
	Key              string   `json:"key"`
	NameAr           string   `json:"name_ar,omitempty"`
	NameFr           string   `json:"name_fr,omitempty"`
	Tested           Cell     `json:"tested"`
	MeanGain         MeanCell `json:"mean_gain"`
	ImprovedShare    MeanCell `json:"improved_share"`
	Rated            Cell     `json:"rated"`
	MeanSatisfaction MeanCell `json:"mean_satisfaction"`
}

// Names is the row's label in each language it has one (provinces).
func (r OutcomeCells) Names() Names { return Names{Ar: r.NameAr, Fr: r.NameFr} }

// ShownOutcomes are Outcomes as their reader may see them, with the paths
// of the hidden cells ("by_sex.male.tested") in Suppressed.
type ShownOutcomes struct {
	All        OutcomeCells   `json:"all"`
	ByCategory []OutcomeCells `json:"by_category"`
	BySex      []OutcomeCells `json:"by_sex"`
	ByProvince []OutcomeCells `json:"by_province"`
	Suppressed []string       `json:"suppressed"`
}

// outcomeBreakdowns are the breakdowns' keys, in ShownOutcomes's order.
var outcomeBreakdowns = []string{"by_category", "by_sex", "by_province"}

// round2 keeps two decimals: the figures are means of small integers.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// outcomeCells shows a row; a mean over nobody is null (there is none).
func outcomeCells(r OutcomeRow) OutcomeCells {
	c := OutcomeCells{Key: r.Key, NameAr: r.NameAr, NameFr: r.NameFr,
		Tested: Cell{Value: r.Tested}, MeanGain: MeanCell{Value: round2(r.MeanGain)},
		ImprovedShare: MeanCell{Value: round2(r.ImprovedShare)},
		Rated:         Cell{Value: r.Rated}, MeanSatisfaction: MeanCell{Value: round2(r.MeanSatisfaction)}}
	if r.Tested == 0 {
		c.MeanGain, c.ImprovedShare = MeanCell{Hidden: true}, MeanCell{Hidden: true}
	}
	if r.Rated == 0 {
		c.MeanSatisfaction = MeanCell{Hidden: true}
	}
	return c
}

func outcomeList(rows []OutcomeRow) []OutcomeCells {
	out := make([]OutcomeCells, 0, len(rows))
	for _, r := range rows {
		out = append(out, outcomeCells(r))
	}
	return out
}

// ExactOutcomes shows every figure: what coordinators and admins read.
func ExactOutcomes(o Outcomes) ShownOutcomes {
	return ShownOutcomes{All: outcomeCells(o.All), ByCategory: outcomeList(o.ByCategory),
		BySex: outcomeList(o.BySex), ByProvince: outcomeList(o.ByProvince), Suppressed: []string{}}
}

// SuppressOutcomes are the outcomes as the ministry reads them: a cell of 1
// to 4 people hidden whole, what would give it away by subtraction hidden
// too (the counts of a breakdown and the headline's, as in Suppress), and a
// mean hidden with its count — its value too, so that no page shows it.
func SuppressOutcomes(o Outcomes) ShownOutcomes {
	s := ExactOutcomes(o)
	lists := [][]OutcomeCells{s.ByCategory, s.BySex, s.ByProvince}
	rows := []*OutcomeCells{&s.All}
	for _, l := range lists {
		for i := range l {
			rows = append(rows, &l[i])
		}
	}
	for _, r := range rows {
		r.Tested.Hidden, r.Rated.Hidden = small(r.Tested.Value), small(r.Rated.Value)
	}
	var sums []sum
	for _, l := range lists {
		tested, rated := sum{total: &s.All.Tested}, sum{total: &s.All.Rated}
		for i := range l {
			tested.parts = append(tested.parts, &l[i].Tested)
			rated.parts = append(rated.parts, &l[i].Rated)
		}
		sums = append(sums, tested, rated)
	}
	for changed := true; changed; {
		changed = false
		for _, g := range sums {
			if g.protect() {
				changed = true
			}
		}
	}
	s.Suppressed = []string{}
	path := func(r *OutcomeCells, prefix string) {
		if r.Tested.Hidden {
			s.Suppressed = append(s.Suppressed, prefix+"tested")
			r.Tested.Value, r.MeanGain, r.ImprovedShare = 0, MeanCell{Hidden: true}, MeanCell{Hidden: true}
		}
		if r.Rated.Hidden {
			s.Suppressed = append(s.Suppressed, prefix+"rated")
			r.Rated.Value, r.MeanSatisfaction = 0, MeanCell{Hidden: true}
		}
	}
	path(&s.All, "all.")
	for k, l := range lists {
		for i := range l {
			path(&l[i], outcomeBreakdowns[k]+"."+l[i].Key+".")
		}
	}
	return s
}
