package repository

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// ScaleOptions sizes a synthetic national dataset for benchmarks.
type ScaleOptions struct {
	Trainees          int // people
	Courses           int
	SessionsPerCourse int
	Progress          io.Writer // one line per phase; nil for silence
}

// scaleProgrammeCodes are the synthetic programmes; their presence marks a
// database that already holds scale data.
var scaleProgrammeCodes = []string{"synthetic-takaffoul", "synthetic-child-protection", "synthetic-parenting"}

// SeedScale generates a synthetic dataset in one transaction: 75 provinces,
// organisations, trainees (COPY), courses, sessions, enrolments and about
// Trainees × SessionsPerCourse attendance marks (set-based INSERT … SELECT,
// computed inside PostgreSQL). Distributions: 70 % institutional actors,
// 20 % associative actors, 10 % child parliamentarians; 56 % women; marks
// 80 % present, 6 % late, 5 % excused, 9 % absent; one person in ten
// enrolled in a second course. Everything is labelled synthetic.
func (s *Store) SeedScale(ctx context.Context, opt ScaleOptions) error {
	if opt.Trainees < 1 || opt.Courses < 1 || opt.SessionsPerCourse < 1 {
		return fmt.Errorf("seed scale: trainees, courses and sessions must be at least 1")
	}
	progress := newProgress(opt.Progress)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var present bool
		if err := tx.GetContext(ctx, &present, `SELECT EXISTS (SELECT 1 FROM programmes WHERE code = ANY($1))`, pq.Array(scaleProgrammeCodes)); err != nil {
			return err
		}
		if present {
			return fmt.Errorf("seed scale: this database holds synthetic data already; use a fresh database")
		}
		steps := []struct {
			name string
			run  func(context.Context, *sqlx.Tx, ScaleOptions) (int64, error)
		}{
			{"totals triggers off", scaleTotalsTriggersOff},
			{"provinces and programmes", scaleReference},
			{"organisations", scaleOrganisations},
			{"trainees (COPY)", scaleTrainees},
			{"consents", scaleConsents},
			{"courses", scaleCourses},
			{"sessions", scaleSessions},
			{"enrolments", scaleEnrollments},
			{"attendance marks", scaleAttendance},
			{"attendance counters", scaleCounters},
			{"totals cube", scaleTotalsCube},
		}
		for _, step := range steps {
			start := time.Now()
			n, err := step.run(ctx, tx, opt)
			if err != nil {
				return fmt.Errorf("seed scale, %s: %w", step.name, err)
			}
			progress("%-24s %10d rows  %6.1fs", step.name, n, time.Since(start).Seconds())
		}
		return nil
	})
}

func newProgress(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		if w != nil {
			fmt.Fprintf(w, format+"\n", args...)
		}
	}
}

// execCount runs a statement and returns the rows it touched.
func execCount(ctx context.Context, tx *sqlx.Tx, q string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func scaleReference(ctx context.Context, tx *sqlx.Tx, _ ScaleOptions) (int64, error) {
	const provinces = `INSERT INTO provinces (region_id, code, name_ar, name_fr)
	  SELECT 1 + (i % 12), 'synthetic-' || lpad(i::text, 2, '0'), 'إقليم تجريبي ' || i, 'Province fictive ' || i
	    FROM generate_series(1, 75) i`
	n, err := execCount(ctx, tx, provinces)
	if err != nil {
		return 0, err
	}
	const programmes = `INSERT INTO programmes (code, name_ar, name_fr, name_en, start_year, end_year)
	  SELECT code, 'برنامج تجريبي', 'Programme fictif (banc d''essai)', 'Synthetic programme (benchmark)', 2018, 2026
	    FROM unnest($1::text[]) code`
	m, err := execCount(ctx, tx, programmes, pq.Array(scaleProgrammeCodes))
	return n + m, err
}

// scaleOrganisations makes one institution and one association for every
// hundred trainees.
func scaleOrganisations(ctx context.Context, tx *sqlx.Tx, opt ScaleOptions) (int64, error) {
	const q = `INSERT INTO organisations (kind, name_ar, name_fr, province_id, name_key)
	  SELECT CASE WHEN i % 2 = 0 THEN 'institution' ELSE 'association' END,
	         CASE WHEN i % 2 = 0 THEN 'مؤسسة ' ELSE 'جمعية ' END || i,
	         CASE WHEN i % 2 = 0 THEN 'Institution ' ELSE 'Association ' END || i,
	         (SELECT id FROM provinces WHERE code = 'synthetic-' || lpad((1 + i % 75)::text, 2, '0')),
	         'synthetic organisation ' || i
	    FROM generate_series(1, $1) i`
	return execCount(ctx, tx, q, max(2, opt.Trainees/50))
}

var (
	scaleFirstAr    = []string{"فاطمة", "خديجة", "مريم", "سلمى", "نادية", "أمينة", "محمد", "يوسف", "كريم", "سعيد", "رشيد", "عمر"}
	scaleFirstLatin = []string{"Fatima", "Khadija", "Meryem", "Salma", "Nadia", "Amina", "Mohamed", "Youssef", "Karim", "Said", "Rachid", "Omar"}
	scaleLastAr     = []string{"العلوي", "بنعلي", "الإدريسي", "التازي", "بنجلون", "العمراني", "الفاسي", "الحسني"}
	scaleLastLatin  = []string{"Alaoui", "Benali", "Idrissi", "Tazi", "Benjelloun", "Amrani", "El Fassi", "Hassani"}
)

// scaleTrainees streams the people through COPY, with names in both
// scripts and the folded search key computed as the application does.
func scaleTrainees(ctx context.Context, tx *sqlx.Tx, opt ScaleOptions) (int64, error) {
	var orgs scaleOrgs
	const orgsOfKind = `SELECT id FROM organisations WHERE kind = $1 AND name_key LIKE 'synthetic organisation %' ORDER BY id`
	if err := tx.SelectContext(ctx, &orgs.institutions, orgsOfKind, "institution"); err != nil {
		return 0, err
	}
	if err := tx.SelectContext(ctx, &orgs.associations, orgsOfKind, "association"); err != nil {
		return 0, err
	}
	// Remember where the synthetic people start, for the enrolment step.
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE scale_bounds ON COMMIT DROP AS
	    SELECT coalesce(max(id), 0) AS trainee_after FROM trainees`); err != nil {
		return 0, err
	}
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn("trainees", "category", "full_name_ar", "full_name_latin", "name_key", "sex",
		"birth_year", "organisation_id", "organisation_kind", "phone", "national_id"))
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(42, 1))
	for i := 0; i < opt.Trainees; i++ {
		if _, err := stmt.ExecContext(ctx, scaleTraineeRow(rng, i, orgs)...); err != nil {
			stmt.Close()
			return 0, err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return 0, err
	}
	return int64(opt.Trainees), stmt.Close()
}

// scaleConsents gives every synthetic child a consent for training, as
// the migration gave the people of before (a synthetic dataset has no user
// to assert it).
func scaleConsents(ctx context.Context, tx *sqlx.Tx, _ ScaleOptions) (int64, error) {
	const q = `INSERT INTO consents (trainee_id, scope, method, wording_version, given_on)
	  SELECT id, 'training', 'before_records', 'synthetic', current_date FROM trainees
	   WHERE id > (SELECT trainee_after FROM scale_bounds) AND category = 'child_parliamentarian'`
	return execCount(ctx, tx, q)
}

// scaleOrgs are the ids of the synthetic organisations of each kind.
type scaleOrgs struct{ institutions, associations []int64 }

// scaleTraineeRow is one synthetic person.
func scaleTraineeRow(rng *rand.Rand, i int, orgs scaleOrgs) []any {
	f, l := rng.IntN(len(scaleFirstAr)), rng.IntN(len(scaleLastAr))
	nameAr := scaleFirstAr[f] + " " + scaleLastAr[l]
	nameLatin := fmt.Sprintf("%s %s %d", scaleFirstLatin[f], scaleLastLatin[l], i)
	t := domain.Trainee{FullNameAr: &nameAr, FullNameLatin: &nameLatin}
	sex := "male"
	if rng.IntN(100) < 56 {
		sex = "female"
	}
	switch r := rng.IntN(100); {
	case r < 70:
		org := orgs.institutions[rng.IntN(len(orgs.institutions))]
		return []any{"institutional_actor", nameAr, nameLatin, t.NameKey(), sex, 1960 + rng.IntN(40), org, "institution",
			fmt.Sprintf("06%08d", i), fmt.Sprintf("ZZ%07d", i)}
	case r < 90:
		org := orgs.associations[rng.IntN(len(orgs.associations))]
		return []any{"associative_actor", nameAr, nameLatin, t.NameKey(), sex, 1960 + rng.IntN(40), org, "association",
			fmt.Sprintf("07%08d", i), nil}
	default:
		return []any{"child_parliamentarian", nameAr, nameLatin, t.NameKey(), sex, 2009 + rng.IntN(2), nil, nil, nil, nil}
	}
}

func scaleCourses(ctx context.Context, tx *sqlx.Tx, opt ScaleOptions) (int64, error) {
	perCourse := opt.Trainees/opt.Courses + opt.Trainees/(opt.Courses*10) + 10
	const q = `INSERT INTO courses (programme_id, code, title_ar, title_fr, year, province_id, start_date, end_date, capacity)
	  SELECT (SELECT id FROM programmes WHERE code = ($3::text[])[1 + i % 3]), 'S' || i, 'دورة تجريبية ' || i, 'Cours fictif ' || i,
	         y, (SELECT id FROM provinces WHERE code = 'synthetic-' || lpad((1 + (i * 7) % 75)::text, 2, '0')),
	         make_date(y, 1 + i % 12, 1), make_date(y, 1 + i % 12, 28), $2
	    FROM generate_series(1, $1) i, LATERAL (SELECT 2018 + i % 9 AS y) yr`
	return execCount(ctx, tx, q, opt.Courses, perCourse, pq.Array(scaleProgrammeCodes))
}

func scaleSessions(ctx context.Context, tx *sqlx.Tx, opt ScaleOptions) (int64, error) {
	const q = `INSERT INTO sessions (course_id, starts_at, ends_at, place, hours)
	  SELECT c.id, c.start_date + (k * 2) + time '09:00', c.start_date + (k * 2) + time '12:00', 'Salle ' || k, 3
	    FROM courses c JOIN programmes p ON p.id = c.programme_id AND p.code = ANY($2)
	    CROSS JOIN generate_series(0, $1 - 1) k`
	return execCount(ctx, tx, q, opt.SessionsPerCourse, pq.Array(scaleProgrammeCodes))
}

// scaleEnrollments spreads the people over the courses, round robin, and
// enrols one in ten in a second course.
func scaleEnrollments(ctx context.Context, tx *sqlx.Tx, _ ScaleOptions) (int64, error) {
	var courses int64
	const count = `SELECT count(*) FROM courses c JOIN programmes p ON p.id = c.programme_id AND p.code = ANY($1)`
	if err := tx.GetContext(ctx, &courses, count, pq.Array(scaleProgrammeCodes)); err != nil {
		return 0, err
	}
	// The join keys depend on one side each, so PostgreSQL can hash-join them.
	const q = `WITH cs AS (
	    SELECT c.id, row_number() OVER (ORDER BY c.id) - 1 AS n
	      FROM courses c JOIN programmes p ON p.id = c.programme_id AND p.code = ANY($1)
	), ts AS (
	    SELECT t.id, row_number() OVER (ORDER BY t.id) - 1 AS n FROM trainees t WHERE t.id > (SELECT trainee_after FROM scale_bounds)
	)
	INSERT INTO enrollments (trainee_id, course_id, enrolled_at)
	SELECT ts.id, cs.id, now() FROM ts JOIN cs ON cs.n = ts.n % $2
	UNION ALL
	SELECT ts.id, cs.id, now() FROM ts JOIN cs ON cs.n = (ts.n + 7) % $2 WHERE ts.n % 10 = 3 AND $2 > 1`
	return execCount(ctx, tx, q, pq.Array(scaleProgrammeCodes), courses)
}

// scaleAttendance marks every enrolment at every session of its course.
// As in any bulk load, the per-row work is set aside and done once at the
// end: the counters' trigger and the closed-course guard (a new course
// is open) are off (the next step recomputes the counters) and the
// two composite foreign keys are dropped and re-created (validated in one
// pass) with the same definitions as in migrations/00001_schema.sql.
func scaleAttendance(ctx context.Context, tx *sqlx.Tx, _ ScaleOptions) (int64, error) {
	const before = `ALTER TABLE attendance DISABLE TRIGGER attendance_keep_counts, DISABLE TRIGGER attendance_refuse_closed_insert,
	    DROP CONSTRAINT attendance_enrollment_fkey, DROP CONSTRAINT attendance_session_fkey`
	if _, err := tx.ExecContext(ctx, before); err != nil {
		return 0, err
	}
	const q = `INSERT INTO attendance (enrollment_id, session_id, course_id, status, marked_at)
	  SELECT e.id, s.id, e.course_id,
	         CASE WHEN h < 80 THEN 'present' WHEN h < 86 THEN 'late' WHEN h < 91 THEN 'excused' ELSE 'absent' END,
	         s.ends_at
	    FROM enrollments e
	    JOIN sessions s ON s.course_id = e.course_id
	    CROSS JOIN LATERAL (SELECT abs(hashint8(e.id * 1000003 + s.id)) % 100 AS h) r
	   WHERE e.trainee_id > (SELECT trainee_after FROM scale_bounds)`
	n, err := execCount(ctx, tx, q)
	if err != nil {
		return 0, err
	}
	const after = `ALTER TABLE attendance ENABLE TRIGGER attendance_keep_counts, ENABLE TRIGGER attendance_refuse_closed_insert,
	    ADD CONSTRAINT attendance_enrollment_fkey FOREIGN KEY (enrollment_id, course_id) REFERENCES enrollments (id, course_id),
	    ADD CONSTRAINT attendance_session_fkey FOREIGN KEY (session_id, course_id) REFERENCES sessions (id, course_id)`
	_, err = tx.ExecContext(ctx, after)
	return n, err
}

// scaleCounters recomputes the per-enrolment and per-session counters that
// the trigger keeps in step during normal use.
func scaleCounters(ctx context.Context, tx *sqlx.Tx, _ ScaleOptions) (int64, error) {
	const enrollments = `UPDATE enrollments e SET attended_count = a.attended, marks_count = a.marks
	  FROM (SELECT enrollment_id, count(*) FILTER (WHERE status IN ('present', 'late')) AS attended, count(*) AS marks
	          FROM attendance GROUP BY enrollment_id) a
	 WHERE a.enrollment_id = e.id AND e.trainee_id > (SELECT trainee_after FROM scale_bounds)`
	n, err := execCount(ctx, tx, enrollments)
	if err != nil {
		return 0, err
	}
	const sessions = `UPDATE sessions s SET has_marks = true
	  FROM (SELECT DISTINCT session_id FROM attendance) a WHERE a.session_id = s.id AND NOT s.has_marks`
	m, err := execCount(ctx, tx, sessions)
	return n + m, err
}

// scaleTotalsTriggersOff sets the totals cube's triggers aside for the load
// (they would note every one of a million people, one row at a time):
// scaleTotalsCube rebuilds the cube set-based at the end, in the same
// transaction, and turns them back on.
func scaleTotalsTriggersOff(ctx context.Context, tx *sqlx.Tx, _ ScaleOptions) (int64, error) {
	return 0, setTotalsTriggers(ctx, tx, false)
}

// scaleTotalsCube rebuilds the course counters, the people's cells and the
// cubes from the loaded records, then turns the totals triggers back on.
func scaleTotalsCube(ctx context.Context, tx *sqlx.Tx, _ ScaleOptions) (int64, error) {
	// Statistics first: the rebuild, and the refreshes right after the load
	// (index lookups by person), are planned from them.
	if _, err := tx.ExecContext(ctx, `ANALYZE trainees, courses, enrollments, sessions, provinces`); err != nil {
		return 0, err
	}
	if err := RecomputeTotalsCube(ctx, tx); err != nil {
		return 0, err
	}
	if err := setTotalsTriggers(ctx, tx, true); err != nil {
		return 0, err
	}
	var n int64
	err := tx.GetContext(ctx, &n, `SELECT count(*) FROM totals_cube`)
	return n, err
}
