package domain

import (
	"errors"
	"testing"
)

func validIndicator() Indicator {
	return Indicator{Code: "cp-local", TitleAr: "الفاعلون المحليون", TitleFr: "Acteurs locaux", Figure: "local_actors.trained",
		Programme: "child-protection", FirstYear: 2019, LastYear: 2020, BaselineYear: 2019, Target: 151,
		Targets: []IndicatorTarget{{2019, 75}, {2020, 76}}}
}

// Validate refuses, field by field, what the table would refuse, and what
// it could not: a year without a target, a target for another year.
func TestIndicatorValidate(t *testing.T) {
	t.Parallel()
	ok := validIndicator()
	if err := ok.Validate(); err != nil {
		t.Fatalf("a valid indicator: %v", err)
	}
	for _, c := range []struct {
		field string
		bad   func(*Indicator)
	}{
		{"code", func(i *Indicator) { i.Code = "Pas un code" }},
		{"title_fr", func(i *Indicator) { i.TitleFr = "  " }},
		{"title_ar", func(i *Indicator) { i.TitleAr = "a\u202eb" }},
		{"figure", func(i *Indicator) { i.Figure = "training_hours" }},
		{"programme", func(i *Indicator) { i.Programme = "" }},
		{"sex", func(i *Indicator) { i.Sex = "x" }},
		{"category", func(i *Indicator) { i.Category = "trainer" }},
		{"last_year", func(i *Indicator) { i.LastYear = 2018 }},
		{"first_year", func(i *Indicator) { i.FirstYear = 1999 }},
		{"baseline_value", func(i *Indicator) { i.BaselineValue = -1 }},
		{"target", func(i *Indicator) { i.Target = -1 }},
		{"targets", func(i *Indicator) { i.Targets = i.Targets[:1] }},
		{"targets", func(i *Indicator) { i.Targets = []IndicatorTarget{{2019, 75}, {2021, 76}} }},
		{"targets", func(i *Indicator) { i.Targets = []IndicatorTarget{{2019, 75}, {2020, -1}} }},
	} {
		ind := validIndicator()
		c.bad(&ind)
		var ve *ValidationError
		if err := ind.Validate(); !errors.As(err, &ve) || ve.Fields[c.field].Key == "" {
			t.Errorf("%s: want a problem on %s, got %v", c.field, c.field, err)
		}
	}
}

// A reported figure matches an indicator of its figure, programme and year
// only, and never one narrowed by sex or category.
func TestIndicatorReportedFor(t *testing.T) {
	t.Parallel()
	ind := validIndicator()
	ind.Figure = "local_actors.trained"
	y := 2019
	reported := []ReportedFigure{
		{Figure: "local_actors.enrolled", Programme: "child-protection", Value: 1},
		{Figure: "local_actors.trained", Programme: "positive-parenting", Value: 2},
		{Figure: "local_actors.trained", Programme: "child-protection", Year: &y, Value: 3},
		{Figure: "local_actors.trained", Programme: "child-protection", Value: 151},
	}
	if v := ind.ReportedFor(0, reported); v == nil || *v != 151 {
		t.Errorf("whole period: %v", v)
	}
	if v := ind.ReportedFor(2019, reported); v == nil || *v != 3 {
		t.Errorf("2019: %v", v)
	}
	if v := ind.ReportedFor(2020, reported); v != nil {
		t.Errorf("2020: %v", *v)
	}
	ind.Sex = Female
	if v := ind.ReportedFor(0, reported); v != nil {
		t.Errorf("an indicator of women matched a report about everyone: %v", *v)
	}
}
