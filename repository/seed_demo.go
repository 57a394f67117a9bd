package repository

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"takaffoul/domain"
)

// SeedReport says what a run of SeedDemoProgrammes created: all zeros on a
// second run, which changes nothing.
type SeedReport struct {
	Provinces       int `json:"provinces"`
	Programmes      int `json:"programmes"`
	Organisations   int `json:"organisations"`
	Courses         int `json:"courses"`
	Sessions        int `json:"sessions"`
	Trainees        int `json:"trainees"`
	Enrollments     int `json:"enrollments"`
	Withdrawals     int `json:"withdrawals"`
	RostersSaved    int `json:"rosters_saved"` // sessions whose attendance was recorded
	ReportedFigures int `json:"reported_figures"`
	Modules         int `json:"modules"`        // the takaffoul path's modules (issue 19)
	CourseModules   int `json:"course_modules"` // courses put in a module
	Scores          int `json:"scores"`         // enrolments given test scores and satisfaction
	Indicators      int `json:"indicators"`
	// TrainerAssignments counts the demo trainer's new courses.
	TrainerAssignments int `json:"trainer_assignments"`
}

// Changed reports whether the run created anything.
func (r SeedReport) Changed() bool { return r != SeedReport{} }

// SeedDemoProgrammes loads the programmes of the ministry's closing report
// (../shared/reference/PROGRAMME.md) as demo data, through the same store
// methods as real use, so that the dashboard's figures are computed by the
// same queries as real data:
//
//   - child-protection (2019–2020): 121 institutional actors, 30 associative
//     actors and 30 child parliamentarians, all enrolled and trained, in
//     courses across eight pilot provinces;
//   - positive-parenting: members of exactly 96 associations trained;
//   - takaffoul (2018–2020): one illustrative cohort over three yearly modules
//     (the report gives no head-count for it);
//   - the report's figures, entered as reported figures, and as the
//     targets of indicators (seed_demo_indicators.go);
//   - a course running this week, in the takaffoul programme: a daily
//     follow-up session of twelve of its cohort, Monday to Sunday, with
//     attendance taken on the days before today and none from today on.
//     It is assigned to the demo trainer (trainer@demo.ma, when the demo
//     accounts exist), as is the takaffoul 2020 module, so that the
//     trainer's home shows a day's work. The published programmes' figures
//     do not move: its people are the cohort's, already counted.
//
// The report does not name the eight provinces: the demo's are fictitious
// ("Province pilote 1…8", codes demo-pilot-1…8) and say so in their names.
// People, national IDs (prefix ZZ) and organisations are fictitious.
//
// It is deterministic (a fixed pseudo-random seed; the current course's
// follows from the week) and idempotent: every record is looked up by a
// natural key first (codes, registration numbers, national IDs), so a
// second run creates nothing. Sessions that already have marks are left as
// they are. A run in a later week adds that week's course. The demo records
// are made by the system (no user).
func (s *Store) SeedDemoProgrammes(ctx context.Context) (SeedReport, error) {
	return s.SeedDemoProgrammesAt(ctx, time.Now())
}

// SeedDemoProgrammesAt is SeedDemoProgrammes as if run at now: the current
// course is now's week's.
func (s *Store) SeedDemoProgrammesAt(ctx context.Context, now time.Time) (SeedReport, error) {
	a := &demoApplier{store: s, plan: buildDemoPlan(domain.WeekOf(now)), now: now,
		programmeIDs: map[string]int64{}, orgIDs: map[string]int64{}, traineeIDs: map[*demoPerson]int64{}}
	steps := []func(context.Context) error{a.provinces, a.programmes, a.modules, a.organisations, a.trainees, a.courses,
		a.courseModules, a.scores, a.reported, a.indicators}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return a.report, fmt.Errorf("seed demo: %w", err)
		}
	}
	return a.report, nil
}

// Demo programme codes.
const (
	DemoChildProtection   = "child-protection"
	DemoPositiveParenting = "positive-parenting"
	DemoTakaffoul         = "takaffoul"
)

// DemoTrainer is the demo account the demo's courses are assigned to.
const DemoTrainer = "trainer@demo.ma"

// demoSource is the reported figures' source: the ministry's communiqué on
// the programme's closing report, as the press carried it (it gives no date).
const demoSource = "Ministère de la Solidarité, du Développement social, de l'Égalité et de la Famille : " +
	"bilan de clôture du programme « Coopération pour le développement » Maroc–Belgique (2017–2020), " +
	"communiqué repris par la presse (shared/reference/000_3bf51208fa8af4af.txt). " +
	"Le communiqué dit « ciblés » (تم استهداف) pour les acteurs et « ont bénéficié » (استفادت) pour les associations ; " +
	"il ne donne pas de date."

type demoPlan struct {
	provinces     []domain.Province
	programmes    []domain.Programme
	organisations []domain.Organisation
	people        []*demoPerson
	courses       []*demoCourse
	reported      []domain.ReportedFigure
	modules       map[string][]domain.Module // by programme code: the path's modules (issue 19)
}

type demoPerson struct {
	trainee domain.Trainee // OrganisationID is filled in from orgReg when applied
	orgReg  string         // registration number of the person's organisation, "" for none
}

type demoCourse struct {
	programme  string
	course     domain.Course
	sessions   []domain.Session
	enrolments []*demoEnrolment
	trainer    string // e-mail of the demo account assigned to it, if any
	module     int    // the position of its module in the programme's path, 0 for none
	scores     []demoScores
}

// demoScores are one person's test scores and satisfaction in a course.
type demoScores struct {
	person *demoPerson
	scores domain.Scores
}

type demoEnrolment struct {
	person   *demoPerson
	marks    []domain.AttendanceStatus // one per session; "" means no mark
	withdraw bool                      // withdrawn (with no marks)
}

// demoBuilder makes the plan; every random choice comes from one generator
// with a fixed seed, in a fixed order, so every run makes the same plan.
type demoBuilder struct {
	rng    *rand.Rand
	plan   demoPlan
	names  map[domain.Sex][]int // a permutation of (first name, family name) pairs per sex
	used   map[domain.Sex]int
	nextID int
	cohort []*demoPerson // takaffoul's cohort, who come back to the current course
}

func buildDemoPlan(week domain.Week) demoPlan {
	b := &demoBuilder{rng: rand.New(rand.NewPCG(2017, 2020)), used: map[domain.Sex]int{}, nextID: 100001}
	b.plan.modules = map[string][]domain.Module{}
	b.names = map[domain.Sex][]int{
		domain.Female: b.rng.Perm(len(demoFemaleNames) * len(demoFamilyNames)),
		domain.Male:   b.rng.Perm(len(demoMaleNames) * len(demoFamilyNames)),
	}
	b.provincesAndProgrammes()
	members := b.positiveParenting()
	b.childProtection(members)
	b.takaffoul()
	b.reportedFigures()
	b.currentCourse(week) // last, with its own generator: the draws above never depend on the day
	return b.plan
}

func demoProvinceCode(k int) string { return fmt.Sprintf("demo-pilot-%d", k) }

// provincesAndProgrammes adds the eight fictitious pilot provinces, one in
// each of eight regions, and the three programmes.
func (b *demoBuilder) provincesAndProgrammes() {
	regions := []int16{1, 2, 3, 4, 5, 6, 7, 9}
	for k := 1; k <= 8; k++ {
		b.plan.provinces = append(b.plan.provinces, domain.Province{RegionID: regions[k-1], Code: demoProvinceCode(k),
			NameAr: fmt.Sprintf("الإقليم النموذجي %d (افتراضي، للعرض: التقرير لا يسمي الأقاليم)", k),
			NameFr: fmt.Sprintf("Province pilote %d (fictive, démo : le rapport ne nomme pas les provinces)", k)})
	}
	b.plan.programmes = []domain.Programme{
		{Code: DemoChildProtection, StartYear: 2019, EndYear: 2020,
			NameAr: "تقوية قدرات الفاعلين المحليين في مجال حماية الطفولة",
			NameFr: "Renforcement des capacités des acteurs locaux de la protection de l'enfance",
			NameEn: "Capacity building of local child-protection actors"},
		{Code: DemoPositiveParenting, StartYear: 2017, EndYear: 2020,
			NameAr: "التربية الوالدية الإيجابية", NameFr: "Parentalité positive", NameEn: "Positive parenting"},
		{Code: DemoTakaffoul, StartYear: 2018, EndYear: 2020,
			NameAr: "تكفل: البرنامج الوطني للتكوين في مجال التكفل بالنساء ضحايا العنف",
			NameFr: "Takaffoul : programme national de formation à la prise en charge des femmes victimes de violence",
			NameEn: "Takaffoul: national training programme on the care of women victims of violence"},
	}
}

// person makes a fictitious adult or child with a unique name.
func (b *demoBuilder) person(cat domain.Category, province int, orgReg string) *demoPerson {
	sex := domain.Female
	if b.rng.IntN(100) < 45 {
		sex = domain.Male
	}
	firsts := demoFemaleNames
	if sex == domain.Male {
		firsts = demoMaleNames
	}
	pair := b.names[sex][b.used[sex]]
	b.used[sex]++
	first, family := firsts[pair%len(firsts)], demoFamilyNames[pair/len(firsts)]
	code := demoProvinceCode(province)
	t := domain.Trainee{Category: cat, Sex: sex, Province: &code,
		FullNameAr: ptrTo(first[0] + " " + family[0]), FullNameLatin: ptrTo(first[1] + " " + family[1])}
	if cat == domain.ChildParliamentarian {
		t.BirthYear, t.GuardianConsent = ptrTo(2004+b.rng.IntN(4)), true // 13 to 16 in 2020; no ID, phone or e-mail
	} else {
		t.BirthYear = ptrTo(1965 + b.rng.IntN(31))
		t.NationalID = ptrTo(fmt.Sprintf("ZZ%06d", b.nextID)) // ZZ: a fictitious series
		b.nextID++
	}
	p := &demoPerson{trainee: t, orgReg: orgReg}
	b.plan.people = append(b.plan.people, p)
	return p
}

// marks draws a realistic attendance for n sessions: mostly present, some
// late, excused or absent, and at least one present or late mark, because
// in the published figures everyone enrolled was trained.
func (b *demoBuilder) marks(n int) []domain.AttendanceStatus {
	m := make([]domain.AttendanceStatus, n)
	attended := false
	for i := range m {
		m[i] = drawMark(b.rng)
		attended = attended || m[i].Attended()
	}
	if !attended {
		m[0] = domain.Present
	}
	return m
}

// drawMark draws one mark: mostly present, some late, excused or absent.
func drawMark(rng *rand.Rand) domain.AttendanceStatus {
	switch r := rng.IntN(100); {
	case r < 82:
		return domain.Present
	case r < 88:
		return domain.Late
	case r < 94:
		return domain.Excused
	}
	return domain.Absent
}

// course adds a course with n sessions of hours each, two a day from its
// start date, at 08:00 and 13:00 UTC (09:00 and 14:00 in Morocco, UTC+1,
// outside Ramadan). 2020 courses are held from September, after the lockdown.
func (b *demoBuilder) course(programme, code string, year, province int, start string, n int, hours float64,
	threshold int, titleAr, titleFr string) *demoCourse {
	startDate, err := domain.ParseDate(start)
	if err != nil {
		panic(err) // the plan's dates are constants
	}
	c := &demoCourse{programme: programme, course: domain.Course{Code: code, Year: year, Province: demoProvinceCode(province),
		TitleAr: titleAr, TitleFr: titleFr, StartDate: startDate, CompletionThreshold: threshold}}
	perDay := 2 // a morning and an afternoon session; a long session fills the day
	if hours > 4 {
		perDay = 1
	}
	for i := range n {
		at := startDate.Add(time.Duration(i/perDay)*24*time.Hour + time.Duration(8+5*(i%perDay))*time.Hour)
		c.sessions = append(c.sessions, domain.Session{StartsAt: at, EndsAt: at.Add(time.Duration(hours * float64(time.Hour))),
			Place: fmt.Sprintf("Province pilote %d (démo)", province), Hours: hours})
	}
	c.course.EndDate = domain.Date{Time: startDate.AddDate(0, 0, (n-1)/perDay)}
	b.plan.courses = append(b.plan.courses, c)
	return c
}

// enrol adds p to c with a drawn attendance.
func (b *demoBuilder) enrol(c *demoCourse, p *demoPerson) {
	c.enrolments = append(c.enrolments, &demoEnrolment{person: p, marks: b.marks(len(c.sessions))})
	c.course.Capacity = len(c.enrolments) + 5
}

func associationReg(i int) string { return fmt.Sprintf("DEMO-ASSOC-%03d", i+1) }

// positiveParenting adds the 96 associations, 1 to 3 trained members each
// (60 with one, 26 with two, 10 with three), in one course per pilot
// province; it returns the members by association index.
func (b *demoBuilder) positiveParenting() [][]*demoPerson {
	sizes := make([]int, 0, 96)
	for _, g := range []struct{ size, count int }{{1, 60}, {2, 26}, {3, 10}} {
		for range g.count {
			sizes = append(sizes, g.size)
		}
	}
	b.rng.Shuffle(len(sizes), func(i, j int) { sizes[i], sizes[j] = sizes[j], sizes[i] })

	courses := make([]*demoCourse, 9)
	for k := 1; k <= 8; k++ {
		year, month := 2019, 2+k // March to June 2019
		if k > 4 {
			year, month = 2020, k+4 // September to December 2020
		}
		courses[k] = b.course(DemoPositiveParenting, fmt.Sprintf("PP-%d-P%d", year, k), year, k,
			fmt.Sprintf("%d-%02d-16", year, month), 3, 3, 66, // 66 %: two of three sessions
			fmt.Sprintf("التكوين في التربية الوالدية الإيجابية لفائدة الجمعيات — الإقليم النموذجي %d (معطيات للعرض)", k),
			fmt.Sprintf("Formation des associations à la parentalité positive — Province pilote %d (données de démonstration)", k))
	}
	members := make([][]*demoPerson, 96)
	for i := range 96 {
		province := i%8 + 1
		name, cause := demoAssociationNames[i/8], demoAssociationCauses[i%8]
		b.plan.organisations = append(b.plan.organisations, domain.Organisation{Kind: domain.Association,
			NameAr: ptrTo("جمعية " + name[0] + " " + cause[0]), NameFr: ptrTo("Association " + name[1] + " " + cause[1]),
			Province: ptrTo(demoProvinceCode(province)), RegistrationNumber: ptrTo(associationReg(i))})
		for range sizes[i] {
			p := b.person(domain.AssociativeActor, province, associationReg(i))
			b.enrol(courses[province], p)
			members[i] = append(members[i], p)
		}
	}
	return members
}

// childProtection adds, in each pilot province, the services' institutions
// and a course for local actors (2019 for provinces 1–4, 2020 for 5–8); a
// 2020 follow-up course that twelve of them attend again; and three
// workshops of ten child parliamentarians. 121 institutional actors, 30
// associative actors (12 of whom also followed positive parenting) and 30
// children: everyone enrolled attends at least once.
func (b *demoBuilder) childProtection(ppMembers [][]*demoPerson) {
	actorCourses := make([]*demoCourse, 9)
	var followUp []*demoPerson
	for k := 1; k <= 8; k++ {
		for _, svc := range demoChildProtectionServices {
			b.plan.organisations = append(b.plan.organisations, domain.Organisation{Kind: domain.Institution,
				NameAr: ptrTo(svc[1] + " — الإقليم النموذجي " + fmt.Sprint(k)), NameFr: ptrTo(svc[2] + " — Province pilote " + fmt.Sprint(k)),
				Province: ptrTo(demoProvinceCode(k)), RegistrationNumber: ptrTo(fmt.Sprintf("DEMO-P%d-%s", k, svc[0]))})
		}
		year, month := 2019, 3+k // April to July 2019
		if k > 4 {
			year, month = 2020, k+4 // September to December 2020
		}
		c := b.course(DemoChildProtection, fmt.Sprintf("CP-ACT-%d-P%d", year, k), year, k,
			fmt.Sprintf("%d-%02d-09", year, month), 4, 3, 75,
			fmt.Sprintf("تقوية قدرات الفاعلين المحليين في حماية الطفولة — الإقليم النموذجي %d (معطيات للعرض: التقرير لا يسمي الأقاليم)", k),
			fmt.Sprintf("Renforcement des capacités des acteurs locaux de la protection de l'enfance — Province pilote %d (données de démonstration : le rapport ne nomme pas les provinces)", k))
		actorCourses[k] = c
		institutional := 15
		if k == 8 {
			institutional = 16 // 7 × 15 + 16 = 121
		}
		for i := range institutional {
			svc := demoChildProtectionServices[i%len(demoChildProtectionServices)][0]
			p := b.person(domain.InstitutionalActor, k, fmt.Sprintf("DEMO-P%d-%s", k, svc))
			b.enrol(c, p)
			if k <= 2 && i < 4 {
				followUp = append(followUp, p)
			}
		}
		associative := 4
		if k > 6 {
			associative = 3 // 6 × 4 + 2 × 3 = 30
		}
		for j := range associative {
			var p *demoPerson
			if j == 0 || (j == 1 && k <= 4) { // 8 + 4 = 12 people who also followed positive parenting
				p = ppMembers[(k-1)+8*j][0] // associations of province k are k-1, k-1+8, …
			} else {
				p = b.person(domain.AssociativeActor, k, associationReg((k-1)+8*(j+2)))
			}
			b.enrol(c, p)
			if k == 1 {
				followUp = append(followUp, p)
			}
		}
	}
	adv := b.course(DemoChildProtection, "CP-SUIVI-2020-P1", 2020, 1, "2020-10-05", 2, 3, 100,
		"تتبع: آليات الحماية الترابية المندمجة للطفولة — الإقليم النموذجي 1 (معطيات للعرض)",
		"Suivi : dispositifs territoriaux intégrés de protection de l'enfance — Province pilote 1 (données de démonstration)")
	for _, p := range followUp { // 8 institutional + 4 associative actors, counted once
		b.enrol(adv, p)
	}
	for _, k := range []int{2, 5, 7} {
		w := b.course(DemoChildProtection, fmt.Sprintf("CP-ENF-2020-P%d", k), 2020, k, fmt.Sprintf("2020-%02d-20", 9+k/3), 3, 2.5, 66,
			fmt.Sprintf("ورشة الأطفال البرلمانيين: المشاركة وحماية الطفولة — الإقليم النموذجي %d (معطيات للعرض)", k),
			fmt.Sprintf("Atelier des enfants parlementaires : participation et protection — Province pilote %d (données de démonstration)", k))
		for range 10 {
			b.enrol(w, b.person(domain.ChildParliamentarian, k, ""))
		}
	}
}

// takaffoul adds one illustrative cohort (the report gives no head-count):
// 20 staff of care services who follow the three yearly modules 2018–2020,
// one person enrolled in 2018 who never came (enrolled, not trained), and
// one who withdrew before the 2020 module.
func (b *demoBuilder) takaffoul() {
	for _, svc := range demoCareServices {
		b.plan.organisations = append(b.plan.organisations, domain.Organisation{Kind: domain.Institution,
			NameAr: ptrTo(svc[1] + " — الإقليم النموذجي 4"), NameFr: ptrTo(svc[2] + " — Province pilote 4"),
			Province: ptrTo(demoProvinceCode(4)), RegistrationNumber: ptrTo("DEMO-TKF-" + svc[0])})
	}
	var modules [3]*demoCourse
	for i, year := range []int{2018, 2019, 2020} {
		modules[i] = b.course(DemoTakaffoul, fmt.Sprintf("TKF-%d", year), year, 4, fmt.Sprintf("%d-11-12", year), 4, 6, 80,
			fmt.Sprintf("تكفل — وحدة السنة %d (%d) — فوج توضيحي: التقرير لا يذكر عدد المستفيدين", i+1, year),
			fmt.Sprintf("Takaffoul — module de l'année %d (%d) — cohorte illustrative : le rapport ne donne pas d'effectif", i+1, year))
	}
	modules[2].trainer = DemoTrainer
	// The path (issue 19): one module a year, each course its module's only offer.
	for i, m := range modules {
		m.module = i + 1
		b.plan.modules[DemoTakaffoul] = append(b.plan.modules[DemoTakaffoul], domain.Module{Position: i + 1, Year: i + 1,
			NameAr: fmt.Sprintf("تكفل — السنة %d من المسار", i+1), NameFr: fmt.Sprintf("Takaffoul — année %d du parcours", i+1),
			ExpectedHours: 24})
	}
	for i := range 22 {
		p := b.person(domain.InstitutionalActor, 4, "DEMO-TKF-"+demoCareServices[i%len(demoCareServices)][0])
		b.cohort = append(b.cohort, p)
		switch i {
		case 20: // enrolled, only absences and an excuse: not trained
			modules[0].enrolments = append(modules[0].enrolments, &demoEnrolment{person: p,
				marks: []domain.AttendanceStatus{domain.Absent, domain.Excused, domain.Absent, domain.Absent}})
		case 21: // followed 2018 and 2019, withdrew before 2020
			b.enrol(modules[0], p)
			b.enrol(modules[1], p)
			modules[2].enrolments = append(modules[2].enrolments, &demoEnrolment{person: p, withdraw: true})
		default:
			for _, m := range modules {
				b.enrol(m, p)
			}
		}
	}
	for _, m := range modules {
		m.course.Capacity = len(m.enrolments) + 5
	}
	demoScoresOf(modules[2], b.cohort[:16])
}

// currentCourse adds the course running in week: one follow-up session a
// day, Monday to Sunday at 09:30 in Casablanca, for twelve of the
// takaffoul cohort (people who followed the three modules, so that no
// figure of the programme moves), assigned to the demo trainer. The
// sessions of the days before today have their attendance; today's and
// the coming days' have none: the trainer takes it. Its code names the
// week (TKF-SUIVI-2026-S49), so a run in another week adds that week's.
func (b *demoBuilder) currentCourse(week domain.Week) {
	year, number := week.Monday.ISOWeek()
	rng := rand.New(rand.NewPCG(uint64(year), uint64(number)))
	monday := week.Monday
	c := &demoCourse{programme: DemoTakaffoul, trainer: DemoTrainer, course: domain.Course{
		Code: fmt.Sprintf("TKF-SUIVI-%d-S%02d", year, number), Year: year, Province: demoProvinceCode(4),
		TitleAr:   fmt.Sprintf("تكفل — متابعة الفوج، الأسبوع %d من سنة %d — دورة جارية (معطيات للعرض)", number, year),
		TitleFr:   fmt.Sprintf("Takaffoul — suivi de la cohorte, semaine %d de %d — formation en cours (données de démonstration)", number, year),
		StartDate: monday, EndDate: domain.Date{Time: monday.AddDate(0, 0, 6)}, CompletionThreshold: 80}}
	for day := range 7 {
		d := monday.AddDate(0, 0, day)
		at := time.Date(d.Year(), d.Month(), d.Day(), 9, 30, 0, 0, domain.Casablanca)
		c.sessions = append(c.sessions, domain.Session{StartsAt: at, EndsAt: at.Add(3 * time.Hour),
			Place: "Province pilote 4 (démo)", Hours: 3})
	}
	for _, p := range b.cohort[:12] { // all trained in the modules (20 and 21 are not)
		marks := make([]domain.AttendanceStatus, len(c.sessions))
		for day := range week.TodayDay() { // the days before today; none in the future
			marks[day] = drawMark(rng)
		}
		c.enrolments = append(c.enrolments, &demoEnrolment{person: p, marks: marks})
	}
	c.course.Capacity = len(c.enrolments) + 5
	b.plan.courses = append(b.plan.courses, c)
}

// reportedFigures enters the report's figures, to be compared with the records.
func (b *demoBuilder) reportedFigures() {
	for _, f := range []struct {
		programme, figure string
		value             int
	}{
		{DemoChildProtection, "local_actors.trained", 151},
		{DemoChildProtection, "by_category.institutional_actor.trained", 121},
		{DemoChildProtection, "by_category.associative_actor.trained", 30},
		{DemoChildProtection, "by_category.child_parliamentarian.trained", 30},
		{DemoPositiveParenting, "associations.trained", 96},
	} {
		b.plan.reported = append(b.plan.reported, domain.ReportedFigure{Figure: f.figure, Programme: f.programme,
			Value: f.value, Source: demoSource})
	}
}

// demoApplier writes the plan through the store's ordinary methods,
// looking each record up first.
type demoApplier struct {
	store        *Store
	now          time.Time // the seed's clock: marks are taken as on that day
	plan         demoPlan
	report       SeedReport
	programmeIDs map[string]int64
	orgIDs       map[string]int64
	traineeIDs   map[*demoPerson]int64
	// consentBy: the demo coordinator, who records the children's consents
	// (signed forms); nil when the accounts are not seeded, and the
	// consents are then "before records".
	consentBy *int64
}

// DemoCoordinator is the demo account that records the demo children's consents.
const DemoCoordinator = "coordinator@demo.ma"

func (a *demoApplier) provinces(ctx context.Context) error {
	for _, p := range a.plan.provinces {
		_, err := a.store.ProvinceByCode(ctx, p.Code)
		if isNotFound(err) {
			err = a.store.CreateProvince(ctx, &p)
			a.report.Provinces++
		}
		if err != nil {
			return fmt.Errorf("province %s: %w", p.Code, err)
		}
	}
	return nil
}

func (a *demoApplier) programmes(ctx context.Context) error {
	for _, p := range a.plan.programmes {
		existing, err := a.store.ProgrammeByCode(ctx, p.Code)
		if isNotFound(err) {
			err = a.store.CreateProgramme(ctx, &p, nil)
			existing = &p
			a.report.Programmes++
		}
		if err != nil {
			return fmt.Errorf("programme %s: %w", p.Code, err)
		}
		a.programmeIDs[p.Code] = existing.ID
	}
	return nil
}

func (a *demoApplier) organisations(ctx context.Context) error {
	for _, o := range a.plan.organisations {
		existing, err := a.store.OrganisationByRegistration(ctx, *o.RegistrationNumber)
		if isNotFound(err) {
			err = a.store.CreateOrganisation(ctx, &o, nil)
			existing = &o
			a.report.Organisations++
		}
		if err != nil {
			return fmt.Errorf("organisation %s: %w", *o.RegistrationNumber, err)
		}
		a.orgIDs[*o.RegistrationNumber] = existing.ID
	}
	return nil
}

func (a *demoApplier) trainees(ctx context.Context) error {
	var coordinator int64
	err := getOne(ctx, a.store.db, &coordinator, `SELECT id FROM users WHERE email = $1`, DemoCoordinator)
	switch {
	case err == nil:
		a.consentBy = &coordinator
	case !isNotFound(err):
		return err
	}
	for _, p := range a.plan.people {
		t := p.trainee
		if t.Category == domain.ChildParliamentarian && a.consentBy == nil {
			t.ConsentMethod = domain.ConsentBeforeRecords
		}
		if p.orgReg != "" {
			id := a.orgIDs[p.orgReg]
			t.OrganisationID = &id
		}
		id, err := a.existingTrainee(ctx, &t)
		if isNotFound(err) {
			err = a.store.CreateTrainee(ctx, &t, a.consentBy) // audited as the coordinator who records the consents
			id = t.ID
			a.report.Trainees++
		}
		if err != nil {
			return fmt.Errorf("trainee %s: %w", t.DisplayName(), err)
		}
		a.traineeIDs[p] = id
	}
	return nil
}

// existingTrainee finds a demo person: adults by national ID; children,
// who have none, by category, folded name and birth year (unique in the demo).
func (a *demoApplier) existingTrainee(ctx context.Context, t *domain.Trainee) (int64, error) {
	if t.NationalID != nil {
		found, err := a.store.TraineeByNationalID(ctx, *t.NationalID)
		if err != nil {
			return 0, err
		}
		return found.ID, nil
	}
	probe := *t
	probe.Normalize()
	var id int64
	const q = `SELECT id FROM trainees WHERE category = $1 AND name_key = $2 AND birth_year = $3 ORDER BY id LIMIT 1`
	err := getOne(ctx, a.store.db, &id, q, t.Category, probe.NameKey(), t.BirthYear)
	return id, err
}

func (a *demoApplier) courses(ctx context.Context) error {
	for _, dc := range a.plan.courses {
		if err := a.course(ctx, dc); err != nil {
			return fmt.Errorf("course %s: %w", dc.course.Code, err)
		}
	}
	return nil
}

// course creates the course and its sessions if missing, enrols its
// people, records the attendance of sessions without marks, then withdraws
// whoever withdrew.
func (a *demoApplier) course(ctx context.Context, dc *demoCourse) error {
	c := dc.course
	c.ProgrammeID = a.programmeIDs[dc.programme]
	existing, err := a.store.CourseByCode(ctx, c.ProgrammeID, c.Code)
	if isNotFound(err) {
		err = a.store.CreateCourse(ctx, &c, nil)
		existing = &c
		a.report.Courses++
	}
	if err != nil {
		return err
	}
	sessions, err := a.sessions(ctx, existing.ID, dc.sessions)
	if err != nil {
		return err
	}
	enrolments := map[*demoEnrolment]*domain.Enrollment{}
	for _, de := range dc.enrolments {
		e, err := a.store.EnrollmentOf(ctx, existing.ID, a.traineeIDs[de.person])
		if isNotFound(err) {
			e, err = a.store.Enroll(ctx, existing.ID, a.traineeIDs[de.person], EnrollOptions{}, nil)
			a.report.Enrollments++
		}
		if err != nil {
			return err
		}
		enrolments[de] = e
	}
	if err := a.attendance(ctx, dc, sessions); err != nil {
		return err
	}
	if dc.trainer != "" {
		if err := a.assignTrainer(ctx, existing.ID, dc.trainer); err != nil {
			return err
		}
	}
	for _, de := range dc.enrolments {
		if e := enrolments[de]; de.withdraw && e.Status != domain.Withdrawn {
			if err := a.store.Withdraw(ctx, existing.ID, a.traineeIDs[de.person], nil); err != nil {
				return err
			}
			a.report.Withdrawals++
		}
	}
	return nil
}

// assignTrainer gives the course to the demo account email, if it exists
// as an active trainer (the demo accounts are seeded first; without them
// there is nobody to assign) and does not have it yet.
func (a *demoApplier) assignTrainer(ctx context.Context, courseID int64, email string) error {
	u, err := a.store.UserByEmail(ctx, email)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !u.Active || u.Role != domain.RoleTrainer {
		return nil // someone changed the demo account: leave it be
	}
	scope, err := a.store.ScopeFor(ctx, u) // the courses the trainer has
	if err != nil || scope.Allows(courseID) {
		return err
	}
	if err := a.store.AssignTrainer(ctx, courseID, u.ID, nil); err != nil {
		return err
	}
	a.report.TrainerAssignments++
	return nil
}

// sessions returns the course's sessions, creating the planned ones when
// the course has none.
func (a *demoApplier) sessions(ctx context.Context, courseID int64, planned []domain.Session) ([]domain.Session, error) {
	existing, err := a.store.Sessions(ctx, courseID)
	if err != nil || len(existing) > 0 {
		return existing, err
	}
	created := append([]domain.Session(nil), planned...)
	if err := a.store.CreateSessions(ctx, courseID, created, nil); err != nil {
		return nil, err
	}
	a.report.Sessions += len(created)
	return created, nil
}

// attendance saves each session's roster, as a trainer would, unless the
// session already has marks.
func (a *demoApplier) attendance(ctx context.Context, dc *demoCourse, sessions []domain.Session) error {
	for i, ss := range sessions {
		var held bool
		if err := getOne(ctx, a.store.db, &held, `SELECT has_marks FROM sessions WHERE id = $1`, ss.ID); err != nil {
			return err
		}
		if held {
			continue
		}
		var marks []Mark
		for _, de := range dc.enrolments {
			if i < len(de.marks) && de.marks[i] != "" {
				marks = append(marks, Mark{TraineeID: a.traineeIDs[de.person], Status: de.marks[i]})
			}
		}
		if len(marks) == 0 {
			continue
		}
		if err := a.store.saveAttendance(ctx, ss.ID, marks, false, a.now, nil); err != nil {
			return err
		}
		a.report.RostersSaved++
	}
	return nil
}

func (a *demoApplier) reported(ctx context.Context) error {
	for _, r := range a.plan.reported {
		existing, err := a.store.ReportedFigures(ctx, r.Programme)
		if err != nil {
			return err
		}
		if hasReported(existing, r) {
			continue
		}
		if err := a.store.CreateReportedFigure(ctx, &r, nil); err != nil {
			return fmt.Errorf("reported figure %s: %w", r.Figure, err)
		}
		a.report.ReportedFigures++
	}
	return nil
}

func ptrTo[T any](v T) *T { return &v }

func hasReported(existing []domain.ReportedFigure, r domain.ReportedFigure) bool {
	for _, e := range existing {
		if e.Figure == r.Figure && e.Source == r.Source && e.Year == nil && r.Year == nil {
			return true
		}
	}
	return false
}
