package repository_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"takaffoul/domain"
	"takaffoul/repository"
)

// cubeWorld is a small world with every dimension of the cube: two
// programmes, two years, three provinces in two regions, courses of one to
// three sessions, people of every category and sex, two associations and
// an institution.
type cubeWorld struct {
	*fixture
	rng          *rand.Rand
	programmes   []domain.Programme
	provinces    []domain.Province
	regions      []string
	courses      []domain.Course
	people       []*domain.Trainee
	associations []domain.Organisation
}

func newCubeWorld(t *testing.T, seed uint64) *cubeWorld {
	t.Helper()
	return newCubeWorldOn(t, seed, newFixture(t))
}

func newCubeWorldOn(t *testing.T, seed uint64, f *fixture) *cubeWorld {
	t.Helper()
	w := &cubeWorld{fixture: f, rng: rand.New(rand.NewPCG(seed, 7))}
	w.programmes = []domain.Programme{w.programme}
	other := domain.Programme{Code: "positive-parenting", NameAr: "التربية الوالدية", NameFr: "Parentalité positive",
		NameEn: "Positive parenting", StartYear: 2019, EndYear: 2020}
	must(t, w.store.CreateProgramme(w.ctx, &other, nil))
	w.programmes = append(w.programmes, other)
	w.provinces = []domain.Province{w.province}
	for _, p := range []domain.Province{
		{RegionID: 4, Code: "sale", NameAr: "عمالة سلا", NameFr: "Préfecture de Salé"},
		{RegionID: 7, Code: "marrakech", NameAr: "عمالة مراكش", NameFr: "Préfecture de Marrakech"},
	} {
		must(t, w.store.CreateProvince(w.ctx, &p))
		w.provinces = append(w.provinces, p)
	}
	must(t, w.store.DB().Select(&w.regions, `SELECT code FROM regions WHERE id IN (4, 7) ORDER BY id`))
	second := domain.Organisation{Kind: domain.Association, NameFr: ptr("Association Nour")}
	must(t, w.store.CreateOrganisation(w.ctx, &second, nil))
	w.associations = []domain.Organisation{w.association, second}
	n := 0
	for _, prog := range w.programmes {
		for _, year := range []int{2019, 2020} {
			for _, prov := range w.provinces {
				if w.rng.IntN(3) == 0 {
					continue
				}
				n++
				c := domain.Course{ProgrammeID: prog.ID, Code: fmt.Sprintf("CUBE-%d", n), TitleAr: "دورة", TitleFr: "Cours",
					Year: year, Province: prov.Code, StartDate: date(fmt.Sprintf("%d-03-01", year)),
					EndDate: date(fmt.Sprintf("%d-03-30", year)), Capacity: 40}
				must(t, w.store.CreateCourse(w.ctx, &c, nil))
				for k := 0; k <= w.rng.IntN(3); k++ {
					w.addSession(t, c)
				}
				w.courses = append(w.courses, c)
			}
		}
	}
	cats := []domain.Category{domain.InstitutionalActor, domain.AssociativeActor, domain.AssociativeActor, domain.ChildParliamentarian}
	for i := 0; i < 16; i++ {
		sex := domain.Female
		if w.rng.IntN(2) == 0 {
			sex = domain.Male
		}
		p := w.person(t, cats[w.rng.IntN(len(cats))], sex, fmt.Sprintf("Cube person %d", i))
		if p.Category == domain.AssociativeActor && w.rng.IntN(2) == 0 {
			w.setOrganisation(t, p, domain.AssociativeActor, w.associations[1].ID, "association")
		}
		w.people = append(w.people, p)
	}
	return w
}

func (w *cubeWorld) addSession(t *testing.T, c domain.Course) {
	t.Helper()
	start := time.Date(c.Year, 3, 2+w.rng.IntN(25), 9, 0, 0, 0, time.UTC)
	hours := float64(1 + w.rng.IntN(4))
	s := []domain.Session{{StartsAt: start, EndsAt: start.Add(time.Duration(hours) * time.Hour), Place: "Salle", Hours: hours}}
	must(t, w.store.CreateSessions(w.ctx, c.ID, s, nil))
}

func (w *cubeWorld) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := w.store.DB().Exec(q, args...); err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
}

func (w *cubeWorld) setOrganisation(t *testing.T, p *domain.Trainee, cat domain.Category, org int64, kind string) {
	t.Helper()
	w.exec(t, `UPDATE trainees SET category = $2, organisation_id = $3, organisation_kind = $4 WHERE id = $1`, p.ID, cat, org, kind)
	p.Category = cat
}

// step applies one random change, through the store where it has a
// method, else by SQL (as a correction in psql would): the triggers must
// follow both.
func (w *cubeWorld) step(t *testing.T) string {
	t.Helper()
	c := w.courses[w.rng.IntN(len(w.courses))]
	p := w.people[w.rng.IntN(len(w.people))]
	switch r := w.rng.IntN(100); {
	case r < 25:
		_, err := w.store.Enroll(w.ctx, c.ID, p.ID, repository.EnrollOptions{}, nil)
		return fmt.Sprintf("enrol %d in %d: %v", p.ID, c.ID, err)
	case r < 55: // a roster: some of the course's enrolled people, random statuses
		ss, err := w.store.Sessions(w.ctx, c.ID)
		must(t, err)
		if len(ss) == 0 {
			return "no session"
		}
		var ids []int64
		must(t, w.store.DB().Select(&ids, `SELECT trainee_id FROM enrollments WHERE course_id = $1 AND status <> 'withdrawn'`, c.ID))
		var marks []repository.Mark
		for _, id := range ids {
			if w.rng.IntN(4) > 0 {
				marks = append(marks, repository.Mark{TraineeID: id, Status: domain.AttendanceStatuses[w.rng.IntN(4)]})
			}
		}
		if len(marks) == 0 {
			return "empty roster"
		}
		s := ss[w.rng.IntN(len(ss))]
		return fmt.Sprintf("roster of %d at session %d: %v", len(marks), s.ID, w.store.SaveAttendance(w.ctx, s.ID, marks, nil))
	case r < 62:
		return fmt.Sprintf("withdraw %d from %d: %v", p.ID, c.ID, w.store.Withdraw(w.ctx, c.ID, p.ID, nil))
	case r < 66:
		w.exec(t, `UPDATE enrollments SET status = 'enrolled' WHERE course_id = $1 AND trainee_id = $2`, c.ID, p.ID)
		return "re-enrol by SQL"
	case r < 69:
		w.exec(t, `DELETE FROM attendance WHERE id = (SELECT min(id) FROM attendance WHERE course_id = $1)`, c.ID)
		return "delete a mark"
	case r < 72:
		w.exec(t, `DELETE FROM enrollments e WHERE course_id = $1 AND trainee_id = $2
		             AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.enrollment_id = e.id)`, c.ID, p.ID)
		return "delete an enrolment without marks"
	case r < 78:
		w.addSession(t, c)
		return fmt.Sprintf("new session in %d", c.ID)
	case r < 80:
		w.exec(t, `DELETE FROM sessions s WHERE id = (SELECT max(id) FROM sessions WHERE course_id = $1)
		             AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id)`, c.ID)
		return "delete a session without marks"
	case r < 84:
		w.exec(t, `UPDATE courses SET completion_threshold = $2 WHERE id = $1`, c.ID, []int{1, 50, 80, 100}[w.rng.IntN(4)])
		return "threshold"
	case r < 86:
		prov := w.provinces[w.rng.IntN(len(w.provinces))]
		w.exec(t, `UPDATE courses SET province_id = $2 WHERE id = $1`, c.ID, prov.ID)
		return "course moves province"
	case r < 88:
		w.exec(t, `UPDATE courses SET programme_id = $2, year = $3 WHERE id = $1`, c.ID,
			w.programmes[w.rng.IntN(len(w.programmes))].ID, 2019+w.rng.IntN(2))
		return "course changes programme and year"
	case r < 92:
		w.exec(t, `UPDATE trainees SET sex = CASE sex WHEN 'male' THEN 'female' ELSE 'male' END WHERE id = $1`, p.ID)
		return "sex"
	case r < 97: // change of category or organisation
		switch w.rng.IntN(3) {
		case 0:
			w.setOrganisation(t, p, domain.InstitutionalActor, w.institution.ID, "institution")
		default:
			w.setOrganisation(t, p, domain.AssociativeActor, w.associations[w.rng.IntN(2)].ID, "association")
		}
		return "organisation"
	default:
		tx := w.store.DB().MustBegin() // several changes in one transaction
		for i := 0; i < 3; i++ {
			q := w.courses[w.rng.IntN(len(w.courses))]
			tx.MustExec(`UPDATE enrollments SET status = CASE status WHEN 'withdrawn' THEN 'enrolled' ELSE 'withdrawn' END
			              WHERE course_id = $1`, q.ID)
		}
		must(t, tx.Commit())
		return "flip a few courses' enrolments in one transaction"
	}
}

func (w *cubeWorld) randomFilter() domain.TotalsFilter {
	var f domain.TotalsFilter
	if w.rng.IntN(2) == 0 {
		f.Programme = w.programmes[w.rng.IntN(len(w.programmes))].Code
	}
	if w.rng.IntN(2) == 0 {
		f.Year = 2019 + w.rng.IntN(2)
	}
	switch w.rng.IntN(4) {
	case 0:
		f.Region = w.regions[w.rng.IntN(len(w.regions))]
	case 1:
		f.Province = w.provinces[w.rng.IntN(len(w.provinces))].Code
	case 2: // possibly a province outside the region: zeros
		f.Region = w.regions[w.rng.IntN(len(w.regions))]
		f.Province = w.provinces[w.rng.IntN(len(w.provinces))].Code
	}
	if w.rng.IntN(3) == 0 {
		f.Sex = []domain.Sex{domain.Female, domain.Male}[w.rng.IntN(2)]
	}
	if w.rng.IntN(3) == 0 {
		f.Category = domain.Categories[w.rng.IntN(len(domain.Categories))]
	}
	return f
}

// compare checks the cube-backed Totals against the count from the
// records, and that the read wrote nothing (it does not fold the journal:
// it adds what the journal holds). It answers how many journal rows the
// read had to add.
func (w *cubeWorld) compare(t *testing.T, f domain.TotalsFilter, history []string) (journal int) {
	t.Helper()
	before := w.written(t)
	got, err := w.store.Totals(w.ctx, f)
	must(t, err)
	if after := w.written(t); after != before {
		t.Fatalf("a read wrote: journal and cube %s before, %s after", before, after)
	}
	want, err := w.store.TotalsFromRecords(w.ctx, f)
	must(t, err)
	if !reflect.DeepEqual(got, want) {
		reportDifference(t, got, want)
		assertCubeMatchesRebuild(t, w.store)
		t.Fatalf("filter %+v after %d steps, %s (last: %v)", f, len(history), before, history[max(0, len(history)-5):])
	}
	must(t, w.store.DB().Get(&journal, `SELECT count(*) FROM totals_pending`))
	return journal
}

// written sums up what the folder writes: the journal's rows and the cubes.
func (w *cubeWorld) written(t *testing.T) string {
	t.Helper()
	var s string
	must(t, w.store.DB().Get(&s, `SELECT format('%s journal rows, cube %s, association cube %s',
	        (SELECT count(*) FROM totals_pending),
	        (SELECT md5(string_agg(q::text, ',' ORDER BY q::text)) FROM totals_cube q),
	        (SELECT md5(string_agg(q::text, ',' ORDER BY q::text)) FROM totals_assoc_cube q))`))
	return s
}

// reportDifference lists the fields in which the cube's answer differs
// from the records'.
func reportDifference(t *testing.T, got, want *domain.Totals) {
	t.Helper()
	var g, wa map[string]any
	for _, x := range []struct {
		v   any
		dst *map[string]any
	}{{got, &g}, {want, &wa}} {
		b, _ := json.Marshal(x.v)
		must(t, json.Unmarshal(b, x.dst))
	}
	for k := range wa {
		if !reflect.DeepEqual(g[k], wa[k]) {
			t.Errorf("%s: cube %v\n records %v", k, g[k], wa[k])
		}
	}
}

// assertCubeMatchesRebuild folds the journal, then checks the maintained
// cells and cubes against a rebuild from scratch, in a transaction that is
// rolled back.
func assertCubeMatchesRebuild(t *testing.T, store *repository.Store) {
	t.Helper()
	_, err := store.FoldTotals(context.Background())
	must(t, err)
	var pending int
	must(t, store.DB().Get(&pending, `SELECT count(*) FROM totals_pending`))
	if pending != 0 {
		t.Errorf("%d changes left in the journal after a fold", pending)
	}
	tx := store.DB().MustBegin()
	defer func() { _ = tx.Rollback() }()
	tables := []struct{ table, columns, live string }{
		{"totals_cube", "programme_id, year, region_id, province_id, category, sex, people, enrolled, trained, completed, attended_marks, marks",
			"people <> 0 OR marks <> 0"},
		{"totals_assoc_cube", "programme_id, year, region_id, province_id, category, sex, associations, enrolled, trained", "associations <> 0"},
		{"totals_person_cells", "trainee_id, programme_id, year, region_id, province_id, category, sex, association_id, enrolled, trained, completed, attended_marks, marks", "true"},
		{"totals_assoc_cells", "association_id, programme_id, year, region_id, province_id, category, sex, enrolled, trained", "true"},
		{"courses", "id, session_count, sessions_held, held_hours", "true"},
		{"totals_courses", "programme_id, year, province_id, courses, sessions_held, held_hours",
			"(courses, sessions_held, held_hours) <> (0, 0, 0)"},
	}
	for _, tt := range tables {
		tx.MustExec(fmt.Sprintf(`CREATE TEMP TABLE kept_%s AS SELECT %s FROM %s WHERE %s`, tt.table, tt.columns, tt.table, tt.live))
	}
	must(t, repository.RecomputeTotalsCube(context.Background(), tx))
	for _, tt := range tables {
		var diff int
		must(t, tx.Get(&diff, fmt.Sprintf(`SELECT count(*) FROM ((SELECT %[2]s FROM kept_%[1]s EXCEPT ALL SELECT %[2]s FROM %[1]s WHERE %[3]s)
			UNION ALL (SELECT %[2]s FROM %[1]s WHERE %[3]s EXCEPT ALL SELECT %[2]s FROM kept_%[1]s)) d`, tt.table, tt.columns, tt.live)))
		if diff != 0 {
			t.Errorf("%s: %d rows differ from a rebuild", tt.table, diff)
		}
	}
}

// assertPlacesTaken checks each course's places_taken counter against a
// count of its enrolments not withdrawn.
func assertPlacesTaken(t *testing.T, store *repository.Store) {
	t.Helper()
	var wrong []string
	must(t, store.DB().Select(&wrong, `SELECT c.code || ': ' || c.places_taken || ' counted, ' || count(e.id) || ' enrolled'
	      FROM courses c LEFT JOIN enrollments e ON e.course_id = c.id AND e.status <> 'withdrawn'
	     GROUP BY c.id HAVING c.places_taken <> count(e.id)`))
	for _, w := range wrong {
		t.Errorf("places taken: %s", w)
	}
}

// The cube answers exactly what counting the records answers, for random
// filters, through random enrolments, rosters (marks changing both ways),
// withdrawals, sessions, thresholds, courses moving, and people changing
// sex, category or association; whether the journal has been folded, in
// part (one small batch) or not at all since the last changes: a read adds
// what the journal holds.
func TestCubeTotalsEqualTheRecordsThroughRandomChanges(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newCubeWorld(t, seed)
			var history []string
			readsWithJournal, readsWithout := 0, 0
			for i := 0; i < 150; i++ {
				history = append(history, w.step(t))
				if i%10 != 9 {
					continue
				}
				switch w.rng.IntN(3) {
				case 0:
					_, err := w.store.FoldTotals(w.ctx)
					must(t, err)
				case 1:
					_, err := w.store.FoldOneBatch(w.ctx, 1+w.rng.IntN(4))
					must(t, err)
				}
				for k := 0; k < 13; k++ {
					f := domain.TotalsFilter{}
					if k > 0 {
						f = w.randomFilter()
					}
					if w.compare(t, f, history) > 0 {
						readsWithJournal++
					} else {
						readsWithout++
					}
				}
			}
			if readsWithJournal == 0 || readsWithout == 0 {
				t.Errorf("%d reads with a journal to add, %d without: the test tested less than it says", readsWithJournal, readsWithout)
			}
			assertCubeMatchesRebuild(t, w.store)
			assertPlacesTaken(t, w.store)
			if tot := w.totals(t, domain.TotalsFilter{}); tot.LocalActors.Enrolled+tot.ByCategory.ChildParliamentarian.Enrolled == 0 {
				t.Errorf("the random world enrolled nobody: the test tests nothing (%v)", history)
			}
		})
	}
}

// A bulk load disables the triggers and rebuilds: RecomputeTotalsCube gives
// the same cube as the triggers did.
func TestRecomputeTotalsCubeEqualsTheTriggers(t *testing.T) {
	t.Parallel()
	w := newCubeWorld(t, 9)
	for i := 0; i < 60; i++ {
		w.step(t)
	}
	assertCubeMatchesRebuild(t, w.store)
	tx := w.store.DB().MustBegin()
	must(t, repository.RecomputeTotalsCube(w.ctx, tx))
	must(t, tx.Commit())
	w.compare(t, domain.TotalsFilter{}, []string{"recompute"})
}

// Thousands of people changed in one transaction (a recount, a large
// import) are folded in several batches. It must give the same cube.
func TestCubeFollowsThousandsOfPeopleInOneTransaction(t *testing.T) {
	t.Parallel()
	w := newCubeWorld(t, 4)
	for i := 0; i < 30; i++ {
		w.step(t)
	}
	tx := w.store.DB().MustBegin()
	tx.MustExec(`INSERT INTO trainees (category, full_name_latin, name_key, sex, organisation_id, organisation_kind)
	    SELECT CASE WHEN i % 3 = 0 THEN 'institutional_actor' ELSE 'associative_actor' END, 'Many ' || i, 'many ' || i,
	           CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END,
	           CASE WHEN i % 3 = 0 THEN $1::bigint WHEN i % 3 = 1 THEN $2::bigint ELSE $3::bigint END,
	           CASE WHEN i % 3 = 0 THEN 'institution' ELSE 'association' END
	      FROM generate_series(1, 12000) i`, w.institution.ID, w.associations[0].ID, w.associations[1].ID)
	tx.MustExec(`INSERT INTO enrollments (trainee_id, course_id, status)
	    SELECT t.id, c.id, CASE WHEN t.id % 5 = 0 THEN 'withdrawn' ELSE 'enrolled' END
	      FROM trainees t JOIN LATERAL (SELECT id FROM courses ORDER BY (id * 31 + t.id) % 7 LIMIT 1 + t.id % 2) c ON true
	     WHERE t.name_key LIKE 'many %'`)
	tx.MustExec(`UPDATE enrollments SET attended_count = 1, marks_count = 2 WHERE id % 3 = 0 AND marks_count = 0`)
	must(t, tx.Commit())
	assertCubeMatchesRebuild(t, w.store)
	for k := 0; k < 20; k++ {
		w.compare(t, w.randomFilter(), []string{"thousands of people"})
	}
	w.compare(t, domain.TotalsFilter{}, []string{"thousands of people"})
}

// Writers do not wait for the folder: people enrol, take attendance, move
// association and withdraw while another connection folds the journal in a
// loop, as the server does, and a reader reads. Every read is exact as of
// its snapshot; once the writers stop, one fold makes the cube exactly
// what the records say.
func TestCubeFollowsWritersRacingTheFolder(t *testing.T) {
	t.Parallel()
	w := newCubeWorld(t, 5)
	for i := 0; i < 20; i++ {
		w.step(t)
	}
	stop := make(chan struct{})
	folder := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				folder <- nil
				return
			default:
			}
			if _, err := w.store.FoldTotals(w.ctx); err != nil {
				folder <- err
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var done sync.Map
	for g := uint64(0); g < 4; g++ {
		wg.Add(1)
		go func(rng *rand.Rand) {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				if name, err := w.racingStep(rng); err == nil {
					done.Store(name, true)
				}
			}
		}(rand.New(rand.NewPCG(g, 11)))
	}
	// A reader meanwhile: each read of the cube and the journal equals the
	// count from the records in the same snapshot, whatever the writers and
	// the folder are doing.
	readerDone := make(chan struct{})
	readsWithJournal := 0
	go func() {
		defer close(readerDone)
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			f := domain.TotalsFilter{}
			if k%2 == 1 {
				f = w.randomFilter()
			}
			got, want, journal, err := w.store.TotalsAndRecordsInOneSnapshot(w.ctx, f)
			if err != nil {
				t.Errorf("read %+v: %v", f, err)
				return
			}
			if journal > 0 {
				readsWithJournal++
			}
			if !reflect.DeepEqual(got, want) {
				reportDifference(t, got, want)
				t.Errorf("filter %+v, %d journal rows: the cube and the journal differ from the records in one snapshot", f, journal)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	must(t, <-folder)
	<-readerDone
	if readsWithJournal == 0 {
		t.Error("no read had a journal to add: the race tested less than it says")
	}
	for _, name := range []string{"enrol", "roster", "withdraw", "organisation"} {
		if _, ok := done.Load(name); !ok {
			t.Errorf("no %s succeeded: the race tested less than it says", name)
		}
	}
	assertCubeMatchesRebuild(t, w.store)
	assertPlacesTaken(t, w.store)
	w.compare(t, domain.TotalsFilter{}, []string{"racing writers"})
	for k := 0; k < 12; k++ {
		w.compare(t, w.randomFilter(), []string{"racing writers"})
	}
}

// racingStep is one random change for a writer goroutine: store methods
// and single statements only (errors are answers here: a full course, a
// deadlock between two rosters of the same session).
func (w *cubeWorld) racingStep(rng *rand.Rand) (string, error) {
	c := w.courses[rng.IntN(len(w.courses))]
	p := w.people[rng.IntN(len(w.people))]
	switch r := rng.IntN(10); {
	case r < 4:
		_, err := w.store.Enroll(w.ctx, c.ID, p.ID, repository.EnrollOptions{}, nil)
		return "enrol", err
	case r < 7:
		ss, err := w.store.Sessions(w.ctx, c.ID)
		if err != nil || len(ss) == 0 {
			return "no session", err
		}
		var ids []int64
		if err := w.store.DB().Select(&ids, `SELECT trainee_id FROM enrollments WHERE course_id = $1 AND status <> 'withdrawn'`, c.ID); err != nil {
			return "roster", err
		}
		marks := make([]repository.Mark, len(ids))
		for i, id := range ids {
			marks[i] = repository.Mark{TraineeID: id, Status: domain.AttendanceStatuses[rng.IntN(4)]}
		}
		return "roster", w.store.SaveAttendance(w.ctx, ss[rng.IntN(len(ss))].ID, marks, nil)
	case r < 8: // someone enrolled (a random pair would seldom be)
		var e struct {
			Course  int64 `db:"course_id"`
			Trainee int64 `db:"trainee_id"`
		}
		const enrolled = `SELECT course_id, trainee_id FROM enrollments WHERE status <> 'withdrawn'
		                   ORDER BY md5(id::text || $1::text) LIMIT 1`
		if err := w.store.DB().Get(&e, enrolled, rng.Int()); err != nil {
			return "withdraw", err
		}
		return "withdraw", w.store.Withdraw(w.ctx, e.Course, e.Trainee, nil)
	default:
		if p.Category != domain.AssociativeActor {
			return "no move", nil
		}
		_, err := w.store.DB().Exec(`UPDATE trainees SET organisation_id = $2 WHERE id = $1`, p.ID, w.associations[rng.IntN(2)].ID)
		return "organisation", err
	}
}

// A read neither folds nor waits for the folder: with the folder's lock
// held elsewhere (a fold in progress), it answers at once, including the
// enrolment the journal still holds, and leaves the journal as it was.
func TestTotalsReadNeitherFoldsNorWaitsForTheFolder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.person(t, domain.InstitutionalActor, domain.Female, "Not folded yet")
	f.attend(t, f.course.ID, f.session.ID, p, domain.Present)
	folding, err := f.store.DB().Conn(f.ctx)
	must(t, err)
	defer folding.Close()
	_, err = folding.ExecContext(f.ctx, `SELECT pg_advisory_lock($1)`, repository.FoldLock)
	must(t, err)

	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	got, err := f.store.Totals(ctx, domain.TotalsFilter{})
	must(t, err)
	wantCounts(t, "institutional actors", got.ByCategory.InstitutionalActor, domain.Counts{Enrolled: 1, Trained: 1, Completed: 1})
	var journal int
	must(t, f.store.DB().Get(&journal, `SELECT count(*) FROM totals_pending`))
	if journal == 0 {
		t.Error("the read folded the journal")
	}
}

// When a province moves to another region its people are noted together
// but may be folded in different batches: for a moment an association's
// members in one cell are counted, some in the old region, some in the new.
// Reads stay exact meanwhile, and the folds end where a rebuild does.
func TestAProvinceMovingRegionIsFoldedInBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := 0; i < 2; i++ {
		f.attend(t, f.course.ID, f.session.ID, f.person(t, domain.AssociativeActor, domain.Male, fmt.Sprintf("Member %d", i)), domain.Present)
	}
	_, err := f.store.FoldTotals(f.ctx)
	must(t, err)
	if _, err := f.store.DB().Exec(`UPDATE provinces SET region_id = 7 WHERE id = $1`, f.province.ID); err != nil {
		t.Fatal(err)
	}
	n, err := f.store.FoldOneBatch(f.ctx, 1)
	must(t, err)
	if n != 1 {
		t.Fatalf("folded %d journal rows, want 1", n)
	}
	for _, filter := range []domain.TotalsFilter{{}, {Region: "marrakech-safi"}, {Region: "rabat-sale-kenitra"}, {Sex: domain.Male}} {
		got, err := f.store.Totals(f.ctx, filter)
		must(t, err)
		want, err := f.store.TotalsFromRecords(f.ctx, filter)
		must(t, err)
		if !reflect.DeepEqual(got, want) {
			reportDifference(t, got, want)
			t.Errorf("filter %+v, half folded", filter)
		}
	}
	assertCubeMatchesRebuild(t, f.store)
}
