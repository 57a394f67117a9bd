package domain

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseTotalsFilterReadsEveryFilter(t *testing.T) {
	f, err := ParseTotalsFilter(map[string]string{
		"programme": " Child-Protection ", "year": "2019", "region": "rabat-sale-kenitra", "province": "rabat",
		"course": "12", "sex": "Female", "category": "associative_actor", "lang": "fr",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := TotalsFilter{Programme: "child-protection", Year: 2019, Region: "rabat-sale-kenitra", Province: "rabat",
		Course: 12, Sex: Female, Category: AssociativeActor}
	if f != want {
		t.Fatalf("got %+v, want %+v", f, want)
	}
	if f, err := ParseTotalsFilter(map[string]string{"year": " ", "sex": ""}); err != nil || f != (TotalsFilter{}) {
		t.Fatalf("blank values mean no filter: got %+v, %v", f, err)
	}
}

func TestParseTotalsFilterRefusesMalformedValues(t *testing.T) {
	cases := []struct {
		field, value, key string
	}{
		{"year", "twenty", "totals.bad_year"},
		{"year", "0", "totals.bad_year"}, // not "any year"
		{"course", "-3", "totals.bad_course"},
		{"sex", "x", "totals.bad_sex"},
		{"category", "ministers", "totals.bad_category"},
		{"programme", "a b", "totals.bad_programme"},
		{"province", "'; DROP TABLE trainees; --", "totals.bad_province"},
		{"region", strings.Repeat("r", 61), "totals.bad_region"},
	}
	for _, c := range cases {
		_, err := ParseTotalsFilter(map[string]string{c.field: c.value})
		v, ok := AsValidation(err)
		if !ok || v.Fields[c.field].Key != c.key {
			t.Errorf("%s=%q: want %s, got %v", c.field, c.value, c.key, err)
		}
	}
	if err := (TotalsFilter{Year: 1999}).Validate(); err == nil {
		t.Error("year 1999 is outside the programmes' range")
	}
}

func TestLocalActorsNeverIncludeChildParliamentarians(t *testing.T) {
	var cc CategoryCounts
	cc.Set(InstitutionalActor, Counts{Enrolled: 121, Trained: 121})
	cc.Set(AssociativeActor, Counts{Enrolled: 30, Trained: 30})
	cc.Set(ChildParliamentarian, Counts{Enrolled: 30, Trained: 30})
	if got := cc.LocalActors(); got != (Counts{Enrolled: 151, Trained: 151}) {
		t.Fatalf("local actors: got %+v, want 151", got)
	}
}

func TestFigureReadsEveryKey(t *testing.T) {
	tot := Totals{LocalActors: Counts{Trained: 151}, Associations: AssociationCounts{Trained: 96}, Courses: 17}
	tot.ByCategory.Set(ChildParliamentarian, Counts{Completed: 28})
	for key, want := range map[string]int{"local_actors.trained": 151, "associations.trained": 96, "courses": 17,
		"by_category.child_parliamentarian.completed": 28, "by_category.institutional_actor.enrolled": 0} {
		if got, ok := tot.Figure(key); !ok || got != want {
			t.Errorf("%s: got %d, %v; want %d", key, got, ok, want)
		}
	}
	for _, key := range []string{"", "local_actors", "by_category.minister.trained", "local_actors.happy", "training_hours"} {
		if _, ok := tot.Figure(key); ok {
			t.Errorf("%q is not a figure", key)
		}
	}
	for _, key := range FigureKeys {
		if _, ok := tot.Figure(key); !ok {
			t.Errorf("FigureKeys lists %q but Figure does not read it", key)
		}
	}
}

func TestTotalsJSONHasTheIssuesShapeAndNoPersonalData(t *testing.T) {
	b, err := json.Marshal(Totals{ByProvince: []Breakdown{{Key: "rabat"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, field := range []string{`"filters":`, `"local_actors":{"enrolled":0,"trained":0,"completed":0}`,
		`"by_category":{"institutional_actor":`, `"associative_actor":`, `"child_parliamentarian":`,
		`"associations":{"enrolled":0,"trained":0}`, `"courses":0`, `"sessions_held":0`, `"training_hours":0`,
		`"attendance_rate":0`, `"by_programme":`, `"by_year":`, `"by_region":`, `"by_province":[{"key":"rabat"`, `"by_sex":`} {
		if !strings.Contains(s, field) {
			t.Errorf("JSON lacks %s: %s", field, s)
		}
	}
	for _, personal := range []string{"name_latin", "full_name", "phone", "email", "national_id", "birth"} {
		if strings.Contains(s, personal) {
			t.Errorf("JSON carries personal data %q: %s", personal, s)
		}
	}
}

func TestAttendanceRate(t *testing.T) {
	if AttendanceRate(0, 0) != 0 || AttendanceRate(2, 3) != 0.6667 || AttendanceRate(5, 5) != 1 {
		t.Fatal("attendance rate: want 0 without marks, 0.6667 for 2 of 3, 1 for all")
	}
}

func TestReportedFigureValidation(t *testing.T) {
	r := ReportedFigure{Figure: "associations.trained", Programme: " Positive-Parenting ", Value: 96, Source: "  Bilan  "}
	if err := r.Validate(); err != nil || r.Programme != "positive-parenting" || r.Source != "Bilan" {
		t.Fatalf("got %+v, %v", r, err)
	}
	bad := ReportedFigure{Figure: "associations.happy", Value: -1, Year: ptrInt(1850)}
	v, ok := AsValidation(bad.Validate())
	if !ok {
		t.Fatal("want a validation error")
	}
	for _, field := range []string{"figure", "programme", "value", "year", "source"} {
		if _, ok := v.Fields[field]; !ok {
			t.Errorf("want a problem on %s, got %v", field, v)
		}
	}
}

func ptrInt(i int) *int { return &i }
