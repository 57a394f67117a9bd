package repository

import (
	"context"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// Knowledge scores and satisfaction (issue 19, point 2): entered per
// enrolment by a trainer of the course, counted for the figures' readers
// (domain/outcomes.go states the rule).

// ScoreRow is one enrolment of a course with its scores (nil: not entered).
type ScoreRow struct {
	EnrollmentID  int64   `db:"enrollment_id" json:"enrollment_id"`
	TraineeID     int64   `db:"trainee_id" json:"trainee_id"`
	FullNameAr    *string `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin *string `db:"full_name_latin" json:"full_name_latin"`
	Withdrawn     bool    `db:"withdrawn" json:"withdrawn"`
	Pre           *int    `db:"pre_score" json:"-"`
	Post          *int    `db:"post_score" json:"-"`
	S1            *int    `db:"satisfaction_1" json:"-"`
	S2            *int    `db:"satisfaction_2" json:"-"`
	S3            *int    `db:"satisfaction_3" json:"-"`
}

// Scores are the row's scores as the domain names them.
func (r ScoreRow) Scores() domain.Scores {
	return domain.Scores{Pre: r.Pre, Post: r.Post, Satisfaction: [3]*int{r.S1, r.S2, r.S3}}
}

const scoreRowSQL = `
SELECT e.id AS enrollment_id, e.trainee_id, t.full_name_ar, t.full_name_latin, e.status = 'withdrawn' AS withdrawn,
       s.pre_score, s.post_score, s.satisfaction_1, s.satisfaction_2, s.satisfaction_3
  FROM enrollments e
  JOIN trainees t ON t.id = e.trainee_id
  LEFT JOIN enrollment_scores s ON s.enrollment_id = e.id
 WHERE e.course_id = $1`

// CourseScores lists a course's enrolments with their scores, by name.
func (s *Store) CourseScores(ctx context.Context, courseID int64) (_ []ScoreRow, err error) {
	defer wrap(&err, "CourseScores %d", courseID)
	rows := []ScoreRow{}
	const q = scoreRowSQL + ` ORDER BY coalesce(t.full_name_latin, t.full_name_ar), e.id`
	return rows, s.db.SelectContext(ctx, &rows, q, courseID)
}

// EnrollmentScores is one enrolment's row; not enrolled is not found.
func (s *Store) EnrollmentScores(ctx context.Context, courseID, traineeID int64) (_ *ScoreRow, err error) {
	defer wrap(&err, "EnrollmentScores %d %d", courseID, traineeID)
	var r ScoreRow
	if err := getOne(ctx, s.db, &r, scoreRowSQL+` AND e.trainee_id = $2`, courseID, traineeID); err != nil {
		return nil, err
	}
	return &r, nil
}

// scoresAudit is what the audit keeps of a save.
type scoresAudit struct {
	CourseID  int64 `json:"course_id"`
	TraineeID int64 `json:"trainee_id"`
	domain.Scores
}

// SaveScores stores the scores of a person's enrolment in a course, all
// parts at once (nothing entered deletes them; refused when they withdrew), audited before/after in the
// same transaction. Out-of-range values are a *domain.ValidationError and
// nothing is saved.
func (s *Store) SaveScores(ctx context.Context, courseID, traineeID int64, sc domain.Scores, by *int64) (err error) {
	defer wrap(&err, "SaveScores %d %d", courseID, traineeID)
	if err := sc.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before ScoreRow
		const lock = scoreRowSQL + ` AND e.trainee_id = $2 FOR UPDATE OF e`
		if err := getOne(ctx, tx, &before, lock, courseID, traineeID); err != nil {
			return err
		}
		if before.Withdrawn { // as the device's sync refuses them (activeScoreRow)
			return domain.Invalid("trainee_id", "outcomes.withdrawn")
		}
		return saveScoresTx(ctx, tx, courseID, before, sc, by)
	})
}

// saveScoresTx writes one enrolment's scores over before, and audits it.
func saveScoresTx(ctx context.Context, tx *sqlx.Tx, courseID int64, before ScoreRow, sc domain.Scores, by *int64) error {
	if sc.Empty() {
		if _, err := tx.ExecContext(ctx, `DELETE FROM enrollment_scores WHERE enrollment_id = $1`, before.EnrollmentID); err != nil {
			return mapError(err)
		}
	} else {
		const q = `INSERT INTO enrollment_scores (enrollment_id, course_id, pre_score, post_score,
		                  satisfaction_1, satisfaction_2, satisfaction_3, entered_by)
		           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		           ON CONFLICT (enrollment_id) DO UPDATE SET pre_score = $3, post_score = $4,
		                  satisfaction_1 = $5, satisfaction_2 = $6, satisfaction_3 = $7, entered_by = $8, entered_at = now()`
		if _, err := tx.ExecContext(ctx, q, before.EnrollmentID, courseID, sc.Pre, sc.Post,
			sc.Satisfaction[0], sc.Satisfaction[1], sc.Satisfaction[2], by); err != nil {
			return mapError(err)
		}
	}
	return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "scores.record", Entity: "enrollment", EntityID: &before.EnrollmentID,
		Before: scoresAudit{courseID, before.TraineeID, before.Scores()}, After: scoresAudit{courseID, before.TraineeID, sc}})
}

// rosterRow is a ScoreRow with what a scores file may name its person by.
type rosterRow struct {
	ScoreRow
	NationalID *string `db:"national_id"`
}

// ImportScores saves the rows of a scores file into a course's enrolments,
// every row or none, in one transaction: each row's person is found on the
// course's roster by CIN, else record number, else name (one person of that
// name only); a row naming nobody of the roster is refused with its row
// (unknown person, or a person on record not enrolled here). Each save is
// audited as the page's is. The rows' own problems (refused) come in
// earlier: the refusal lists them with the people's, by row, so that one
// look at the file shows everything to fix. It returns how many enrolments
// were saved.
func (s *Store) ImportScores(ctx context.Context, courseID int64, rows []domain.ScoresImportRow, refused []domain.ImportProblem, by *int64) (saved int, err error) {
	defer wrap(&err, "ImportScores %d", courseID)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var roster []rosterRow
		q := strings.Replace(scoreRowSQL, "e.status = 'withdrawn' AS withdrawn,", "e.status = 'withdrawn' AS withdrawn, t.national_id,", 1) +
			` FOR UPDATE OF e`
		if err := tx.SelectContext(ctx, &roster, q, courseID); err != nil {
			return mapError(err)
		}
		byCIN, byID, byName := map[string]int{}, map[int64]int{}, map[string][]int{}
		for i, r := range roster {
			if r.NationalID != nil {
				byCIN[strings.ToUpper(*r.NationalID)] = i
			}
			byID[r.TraineeID] = i
			for _, n := range []*string{r.FullNameAr, r.FullNameLatin} {
				if n != nil {
					byName[domain.RosterName(*n)] = append(byName[domain.RosterName(*n)], i)
				}
			}
		}
		problems := append([]domain.ImportProblem{}, refused...)
		refuse := func(row int, key string) {
			problems = append(problems, domain.ImportProblem{Row: row, Key: key, Param: strconv.Itoa(row)})
		}
		matched := make([]int, len(rows))
		seen := map[int]int{}
		for k, r := range rows {
			i, found := -1, false
			switch {
			case r.NationalID != "":
				i, found = lookup(byCIN, r.NationalID)
			case r.TraineeID != 0:
				i, found = lookup(byID, r.TraineeID)
			default:
				if ids := byName[r.Name]; len(ids) == 1 {
					i, found = ids[0], true
				} else if len(ids) > 1 {
					refuse(r.Row, "outcomes.import.name_ambiguous")
					continue
				}
			}
			if !found {
				known, err := s.personOnRecord(ctx, tx, r)
				if err != nil {
					return err
				}
				if known {
					refuse(r.Row, "outcomes.import.not_enrolled")
				} else {
					refuse(r.Row, "outcomes.import.unknown_person")
				}
				continue
			}
			if roster[i].Withdrawn {
				refuse(r.Row, "outcomes.import.withdrawn")
				continue
			}
			if _, twice := seen[i]; twice {
				refuse(r.Row, "outcomes.import.person_twice")
				continue
			}
			seen[i], matched[k] = r.Row, i
		}
		if len(problems) > 0 {
			domain.SortImportProblems(problems)
			return &domain.ImportError{Problems: problems}
		}
		for k, r := range rows {
			before := roster[matched[k]].ScoreRow
			if err := saveScoresTx(ctx, tx, courseID, before, r.Over(before.Scores()), by); err != nil {
				return err
			}
		}
		saved = len(rows)
		return nil
	})
	return saved, err
}

func lookup[K comparable](m map[K]int, k K) (int, bool) {
	i, ok := m[k]
	return i, ok
}

// personOnRecord says whether a row's person exists at all (by CIN or
// record number): then they are not enrolled in the course, else unknown.
// A name is not looked up outside the roster.
func (s *Store) personOnRecord(ctx context.Context, tx *sqlx.Tx, r domain.ScoresImportRow) (bool, error) {
	var n int
	const q = `SELECT count(*) FROM trainees WHERE ($1 <> '' AND upper(national_id) = $1) OR id = $2`
	if err := tx.GetContext(ctx, &n, q, r.NationalID, r.TraineeID); err != nil {
		return false, mapError(err)
	}
	return n > 0, nil
}

// outcomesSQL counts the outcome figures of the courses of programme $1
// (code, NULL: all) and year $2 (NULL: all): per cell, each person once —
// their gains and satisfaction there averaged first —, then over people.
const outcomesSQL = `
WITH scored AS (
    SELECT e.trainee_id, e.category, t.sex, pr.code AS province, pr.name_ar, pr.name_fr,
           s.post_score - s.pre_score AS gain, /* NULL unless both were entered */
           (SELECT avg(v) FROM unnest(ARRAY[s.satisfaction_1, s.satisfaction_2, s.satisfaction_3]) AS v) AS satisfaction
      FROM enrollment_scores s
      JOIN enrollments e ON e.id = s.enrollment_id
      JOIN courses c ON c.id = s.course_id
      JOIN programmes p ON p.id = c.programme_id
      JOIN provinces pr ON pr.id = c.province_id
      JOIN trainees t ON t.id = e.trainee_id
     WHERE ($1::text IS NULL OR p.code = $1) AND ($2::int IS NULL OR c.year = $2)
), people AS (
    SELECT 'all' AS dim, '' AS key, '' AS name_ar, '' AS name_fr, avg(gain) AS gain, avg(satisfaction) AS sat
      FROM scored GROUP BY trainee_id
    UNION ALL
    SELECT 'category', category, '', '', avg(gain), avg(satisfaction) FROM scored GROUP BY category, trainee_id
    UNION ALL
    SELECT 'sex', sex, '', '', avg(gain), avg(satisfaction) FROM scored GROUP BY sex, trainee_id
    UNION ALL
    SELECT 'province', province, name_ar, name_fr, avg(gain), avg(satisfaction)
      FROM scored GROUP BY province, name_ar, name_fr, trainee_id
)
SELECT dim, key, name_ar, name_fr,
       count(gain) AS tested, coalesce(avg(gain), 0)::float8 AS mean_gain,
       coalesce(avg((gain > 0)::int), 0)::float8 AS improved_share,
       count(sat) AS rated, coalesce(avg(sat), 0)::float8 AS mean_satisfaction
  FROM people GROUP BY dim, key, name_ar, name_fr ORDER BY dim, key`

// Outcomes counts the outcome figures of a programme's courses (code ""
// for all) of a year (0 for all), exactly.
func (s *Store) Outcomes(ctx context.Context, programme string, year int) (_ *domain.Outcomes, err error) {
	defer wrap(&err, "Outcomes")
	o := &domain.Outcomes{ByCategory: []domain.OutcomeRow{}, BySex: []domain.OutcomeRow{}, ByProvince: []domain.OutcomeRow{}}
	var rows []struct {
		Dim string `db:"dim"`
		domain.OutcomeRow
	}
	if err := s.db.SelectContext(ctx, &rows, outcomesSQL, nullIfZero(programme), nullIfZero(year)); err != nil {
		return nil, mapError(err)
	}
	for _, r := range rows {
		switch r.Dim {
		case "all":
			o.All = r.OutcomeRow
		case "category":
			o.ByCategory = append(o.ByCategory, r.OutcomeRow)
		case "sex":
			o.BySex = append(o.BySex, r.OutcomeRow)
		case "province":
			o.ByProvince = append(o.ByProvince, r.OutcomeRow)
		}
	}
	return o, nil
}

// nullIfZero binds a zero value as NULL: "no filter".
func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}
