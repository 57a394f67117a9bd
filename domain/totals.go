package domain

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// How we count: the rules behind every figure of the ministry's dashboard.
// The store computes them in SQL (repository/totals.go); this file is where
// they are stated, and the README's "How we count" explains them to readers.
//
//   - Scope. A figure counts what happened in the courses that match the
//     course filters (programme, year, region, province, course) and the
//     people who match the person filters (sex, category). A course's year,
//     province and region are where and when the training took place, not
//     where the person lives: a trainee from Rabat trained in Salé counts in Salé.
//   - Once per figure. A person is counted once in a figure however many
//     courses or sessions of the scope they attended; in a breakdown, once per
//     row (someone trained in two provinces appears in both provinces' rows,
//     and once in the total, so the rows may add up to more than the total).
//   - Enrolled: has an enrolment in scope that is not withdrawn.
//   - Trained: has at least one "present" or "late" mark in scope. Marks
//     stay true after a withdrawal: someone who attended and later withdrew
//     was trained (so trained may, rarely, exceed enrolled). "Excused" and
//     "absent" marks never make anyone trained.
//   - Completed: attended ("present" or "late") at least the course's
//     completion threshold (a percentage) of all the sessions of at least one
//     course in scope. Computed from attendance, never from the enrolment's
//     status field.
//   - Local actors = institutional actors + associative actors. Child
//     parliamentarians are reported beside them, never inside them.
//   - Associations: distinct organisations of kind "association" with at
//     least one member (a trainee enrolled as its member) enrolled /
//     trained in scope.
//   - As enrolled. A person's category, organisation and association are
//     those their enrolment keeps: what they were when enrolled (issue 14).
//     Reclassifying someone or moving them to another organisation changes
//     their future enrolments only; a coordinator may correct one
//     enrolment, with a reason, audited. Someone enrolled as a child
//     parliamentarian and, later, as an associative actor counts once in
//     each category (the categories' total counts them twice); sex is the
//     person's.
//   - Courses: courses in scope. Sessions held: sessions of those courses for
//     which at least one mark was recorded (a session whose date has passed
//     but has no marks may have been cancelled: we count only what the
//     records show). Training hours: the sum of the hours of sessions held.
//     These three are course figures: the sex and category filters do not
//     narrow them.
//   - Attendance rate: marks "present" or "late" divided by all marks of the
//     people in scope (0 when there is no mark).
//   - Small counts: the ministry reads these figures through Suppress
//     (suppress.go): a count of 1 to 4 is shown as "<5", with the figures
//     that would give it away by subtraction. Coordinators and admins read
//     them exactly.

// TotalsFilter narrows the totals. The zero value is the whole country,
// every programme and year. Codes are those of programmes, regions and
// provinces; Course is a course id.
type TotalsFilter struct {
	Programme string   `json:"programme,omitempty"`
	Year      int      `json:"year,omitempty"`
	Region    string   `json:"region,omitempty"`
	Province  string   `json:"province,omitempty"`
	Course    int64    `json:"course,omitempty"`
	Sex       Sex      `json:"sex,omitempty"`
	Category  Category `json:"category,omitempty"`
}

// TotalsFilterFields lists the query parameters ParseTotalsFilter reads.
var TotalsFilterFields = []string{"programme", "year", "region", "province", "course", "sex", "category"}

var filterCodePattern = regexp.MustCompile(`^[a-z0-9-]{1,60}$`)

// ParseTotalsFilter reads a filter from query parameters (as Fiber's
// c.Queries() gives them); blank values mean "no filter" and other keys are
// ignored. Malformed values are a *ValidationError with keys such as
// "totals.bad_year". Whether a code exists is checked by the store.
func ParseTotalsFilter(params map[string]string) (TotalsFilter, error) {
	get := func(k string) string { return CleanNumber(params[k]) } // codes and numbers: "٢٠١٩" is 2019
	f := TotalsFilter{
		Programme: strings.ToLower(get("programme")),
		Region:    strings.ToLower(get("region")),
		Province:  strings.ToLower(get("province")),
		Sex:       Sex(strings.ToLower(get("sex"))),
		Category:  Category(strings.ToLower(get("category"))),
	}
	p := Problems{}
	if y := get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 { // "year=0" is not "any year"
			p.Add("year", "totals.bad_year")
		}
		f.Year = n
	}
	if c := get("course"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			p.Add("course", "totals.bad_course")
		}
		f.Course = n
	}
	f.check(p)
	return f, p.Err()
}

// Validate checks a filter built in code (the API builds it with
// ParseTotalsFilter, which validates too).
func (f TotalsFilter) Validate() error {
	p := Problems{}
	f.check(p)
	return p.Err()
}

func (f TotalsFilter) check(p Problems) {
	badCode := func(code string) bool { return code != "" && !filterCodePattern.MatchString(code) }
	if badCode(f.Programme) {
		p.Add("programme", "totals.bad_programme")
	}
	if badCode(f.Region) {
		p.Add("region", "totals.bad_region")
	}
	if badCode(f.Province) {
		p.Add("province", "totals.bad_province")
	}
	if f.Year != 0 && (f.Year < 2000 || f.Year > 2100) {
		p.Add("year", "totals.bad_year")
	}
	if f.Course < 0 {
		p.Add("course", "totals.bad_course")
	}
	if f.Sex != "" && !f.Sex.Valid() {
		p.Add("sex", "totals.bad_sex")
	}
	if f.Category != "" && !f.Category.Valid() {
		p.Add("category", "totals.bad_category")
	}
}

// Counts are the people of one figure: each person at most once per field.
type Counts struct {
	Enrolled  int `json:"enrolled"`
	Trained   int `json:"trained"`
	Completed int `json:"completed"`
}

// Add sums the counts of two disjoint groups of people (two categories):
// a person has one category, so nobody is counted twice.
func (c Counts) Add(o Counts) Counts {
	return Counts{Enrolled: c.Enrolled + o.Enrolled, Trained: c.Trained + o.Trained, Completed: c.Completed + o.Completed}
}

// CategoryCounts are the counts per participant category.
type CategoryCounts struct {
	InstitutionalActor   Counts `json:"institutional_actor"`
	AssociativeActor     Counts `json:"associative_actor"`
	ChildParliamentarian Counts `json:"child_parliamentarian"`
}

// Of returns the counts of category c (zero for an unknown category).
func (cc CategoryCounts) Of(c Category) Counts {
	switch c {
	case InstitutionalActor:
		return cc.InstitutionalActor
	case AssociativeActor:
		return cc.AssociativeActor
	case ChildParliamentarian:
		return cc.ChildParliamentarian
	}
	return Counts{}
}

// Set stores the counts of category c.
func (cc *CategoryCounts) Set(c Category, n Counts) {
	switch c {
	case InstitutionalActor:
		cc.InstitutionalActor = n
	case AssociativeActor:
		cc.AssociativeActor = n
	case ChildParliamentarian:
		cc.ChildParliamentarian = n
	}
}

// LocalActors is institutional plus associative actors: the report's
// "local actors". Child parliamentarians are never added in.
func (cc CategoryCounts) LocalActors() Counts {
	var sum Counts
	for _, c := range Categories {
		if c.IsLocalActor() {
			sum = sum.Add(cc.Of(c))
		}
	}
	return sum
}

// AssociationCounts counts organisations of kind association, not people.
type AssociationCounts struct {
	Enrolled int `json:"enrolled"`
	Trained  int `json:"trained"`
}

// Breakdown is one row of a breakdown (one programme, year, region,
// province or sex). Key is the programme, region or province code, the year
// ("2019") or the sex; the names are those of the programme or place.
type Breakdown struct {
	Key            string            `json:"key"`
	NameAr         string            `json:"name_ar,omitempty"`
	NameFr         string            `json:"name_fr,omitempty"`
	LocalActors    Counts            `json:"local_actors"`
	ByCategory     CategoryCounts    `json:"by_category"`
	Associations   AssociationCounts `json:"associations"`
	AttendanceRate float64           `json:"attendance_rate"`
}

// Totals are the ministry's figures for one filter. They hold counts only:
// never a name or any other personal data.
type Totals struct {
	Filters        TotalsFilter      `json:"filters"`
	LocalActors    Counts            `json:"local_actors"`
	ByCategory     CategoryCounts    `json:"by_category"`
	Associations   AssociationCounts `json:"associations"`
	Courses        int               `json:"courses"`
	SessionsHeld   int               `json:"sessions_held"`
	TrainingHours  float64           `json:"training_hours"`
	AttendanceRate float64           `json:"attendance_rate"`
	ByProgramme    []Breakdown       `json:"by_programme"`
	ByYear         []Breakdown       `json:"by_year"`
	ByRegion       []Breakdown       `json:"by_region"`
	ByProvince     []Breakdown       `json:"by_province"`
	BySex          []Breakdown       `json:"by_sex"`
}

// AttendanceRate is attended marks over all marks, rounded to four
// decimals; 0 when there is no mark.
func AttendanceRate(attended, marks int64) float64 {
	if marks <= 0 {
		return 0
	}
	return math.Round(float64(attended)/float64(marks)*10000) / 10000
}

// FigureKeys are the figures a published report can state and the dashboard
// can compare with the records (the database's reported_figures CHECK lists
// the same keys).
var FigureKeys = []string{
	"local_actors.enrolled", "local_actors.trained", "local_actors.completed",
	"by_category.institutional_actor.enrolled", "by_category.institutional_actor.trained",
	"by_category.institutional_actor.completed",
	"by_category.associative_actor.enrolled", "by_category.associative_actor.trained",
	"by_category.associative_actor.completed",
	"by_category.child_parliamentarian.enrolled", "by_category.child_parliamentarian.trained",
	"by_category.child_parliamentarian.completed",
	"associations.enrolled", "associations.trained",
	"courses", "sessions_held",
}

// Figure returns the recorded value of a figure key, and false for an
// unknown key.
func (t *Totals) Figure(key string) (int, bool) {
	switch key {
	case "associations.enrolled":
		return t.Associations.Enrolled, true
	case "associations.trained":
		return t.Associations.Trained, true
	case "courses":
		return t.Courses, true
	case "sessions_held":
		return t.SessionsHeld, true
	}
	group, field, ok := cutLast(key)
	if !ok {
		return 0, false
	}
	var counts Counts
	switch {
	case group == "local_actors":
		counts = t.LocalActors
	case strings.HasPrefix(group, "by_category."):
		c := Category(strings.TrimPrefix(group, "by_category."))
		if !c.Valid() {
			return 0, false
		}
		counts = t.ByCategory.Of(c)
	default:
		return 0, false
	}
	switch field {
	case "enrolled":
		return counts.Enrolled, true
	case "trained":
		return counts.Trained, true
	case "completed":
		return counts.Completed, true
	}
	return 0, false
}

// cutLast splits "a.b.c" into "a.b" and "c".
func cutLast(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// ValidFigureKey reports whether key is one of FigureKeys.
func ValidFigureKey(key string) bool {
	for _, k := range FigureKeys {
		if k == key {
			return true
		}
	}
	return false
}
