package repository

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// Scores entered on a device without network (issue 19 point 2 through the
// queue of issue 17; docs/OFFLINE.md, "Scores"): applied as the online page
// saves them (saveScoresTx: the same validation, the same audit), never
// over a value someone else changed since the device's copy.

// OfflineScores is one person's scores entered on a device: all five
// values, as the online form sends them. Base is what the device's copy
// showed when the change was made (nil: nothing entered); a value the
// trainer changed that someone else changed too since is a conflict.
type OfflineScores struct {
	CourseID  int64
	TraineeID int64
	Scores    domain.Scores
	Base      *domain.Scores
	// After is the id of the device's previous change of these scores, sent
	// before it without an answer yet: the values it wrote count as seen.
	After string
}

// The values of a Scores, in a fixed order, for comparing them one by one.
func scoreValues(sc domain.Scores) [5]*int {
	return [5]*int{sc.Pre, sc.Post, sc.Satisfaction[0], sc.Satisfaction[1], sc.Satisfaction[2]}
}

// scoreFields are the names of scoreValues' values (the form's and the API's).
var scoreFields = [5]string{"pre_score", "post_score", domain.SatisfactionFields[0], domain.SatisfactionFields[1], domain.SatisfactionFields[2]}

func sameValue(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func sameScores(a, b domain.Scores) bool {
	va, vb := scoreValues(a), scoreValues(b)
	for i := range va {
		if !sameValue(va[i], vb[i]) {
			return false
		}
	}
	return true
}

// mergeScores is the three-way merge of the device's scores over the
// server's, from the base the device saw: a value the trainer left as it
// was takes the server's (someone may have entered it meanwhile); a value
// the trainer changed is theirs, unless the server's changed too, to
// something else — then it is a conflict, named in conflicts.
func mergeScores(base, device, server domain.Scores) (merged domain.Scores, conflicts []string) {
	vb, vd, vs := scoreValues(base), scoreValues(device), scoreValues(server)
	var out [5]*int
	for i := range vd {
		switch {
		case sameValue(vd[i], vb[i]):
			out[i] = vs[i]
		case sameValue(vs[i], vb[i]) || sameValue(vs[i], vd[i]):
			out[i] = vd[i]
		default:
			out[i] = vs[i]
			conflicts = append(conflicts, scoreFields[i])
		}
	}
	return domain.Scores{Pre: out[0], Post: out[1], Satisfaction: [3]*int{out[2], out[3], out[4]}}, conflicts
}

// applyOfflineScores applies a person's scores in the transaction that
// claimed the change: refused outside the scope, on a closed course, for
// someone not (or no longer) enrolled, or out of range (as online);
// unchanged when the server already says so; a conflict, written nowhere
// but in the change's record and the audit, when a value the trainer
// changed was changed on the server too since the device's copy.
func applyOfflineScores(ctx context.Context, tx *sqlx.Tx, ch OfflineChange, scope Scope, by int64) (OfflineResult, error) {
	o := ch.Scores
	res := OfflineResult{ID: ch.ID}
	if err := o.Scores.Validate(); err != nil {
		return res, err
	}
	if !scope.Allows(o.CourseID) {
		return res, fmt.Errorf("course %d outside the scope: %w", o.CourseID, ErrNotTrainerOfCourse)
	}
	var closed bool
	const course = `SELECT closed_at IS NOT NULL FROM courses WHERE id = $1 FOR KEY SHARE`
	if err := getOne(ctx, tx, &closed, course, o.CourseID); err != nil {
		return res, err
	}
	if closed { // a sync carries no correction reason: a closed course's scores are a coordinator's correction online
		return res, ErrCourseClosed
	}
	current, err := activeScoreRow(ctx, tx, o.CourseID, o.TraineeID, true)
	if err != nil {
		return res, err
	}
	server := current.Scores()
	res.Scores = &server
	if sameScores(server, o.Scores) {
		res.Outcome = OutcomeUnchanged
		return res, nil
	}
	base := domain.Scores{}
	if o.Base != nil {
		base = *o.Base
	}
	if !sameScores(server, base) {
		left, err := scoresLeftByPrevious(ctx, tx, o.After, server, by)
		if err != nil {
			return res, err
		}
		if left {
			base = server
		}
	}
	merged, conflicts := mergeScores(base, o.Scores, server)
	switch {
	case len(conflicts) == 0 && sameScores(merged, server): // the device changed nothing the server lacks
		res.Outcome = OutcomeUnchanged
		return res, nil
	case len(conflicts) > 0:
		res.Outcome, res.ConflictFields = OutcomeConflict, conflicts
		return res, writeAudit(ctx, tx, AuditEntry{ActorID: &by, Action: "offline.scores_conflict", Entity: "enrollment",
			EntityID: &current.EnrollmentID, Before: scoresAudit{o.CourseID, o.TraineeID, server},
			After: map[string]any{"course_id": o.CourseID, "trainee_id": o.TraineeID, "device": o.Scores, "fields": conflicts}})
	}
	if err := saveScoresTx(ctx, tx, o.CourseID, current, merged, &by); err != nil {
		return res, err
	}
	res.Outcome, res.Scores = OutcomeApplied, &merged
	return res, nil
}

// activeScoreRow is a person's scores in a course where they are enrolled
// now (not withdrawn); with lock, the enrolment is locked as the online
// save locks it. Not enrolled is a refusal.
func activeScoreRow(ctx context.Context, q sqlx.QueryerContext, courseID, traineeID int64, lock bool) (ScoreRow, error) {
	query := scoreRowSQL + ` AND e.trainee_id = $2 AND e.status <> 'withdrawn'`
	if lock {
		query += ` FOR UPDATE OF e`
	}
	var r ScoreRow
	err := getOne(ctx, q, &r, query, courseID, traineeID)
	if errors.Is(err, domain.ErrNotFound) {
		return r, domain.Invalid("trainee_id", "attendance.not_enrolled")
	}
	return r, err
}

// scoresLeftByPrevious reports whether the server's scores are the ones
// the device's previous change of them (after) left: the device had seen
// its own change.
func scoresLeftByPrevious(ctx context.Context, tx *sqlx.Tx, after string, server domain.Scores, by int64) (bool, error) {
	if after == "" {
		return false, nil
	}
	var payload []byte
	const q = `SELECT payload FROM offline_changes
	            WHERE change_id = $1 AND user_id = $2 AND kind = 'scores' AND outcome IN ('applied', 'unchanged')`
	err := getOne(ctx, tx, &payload, q, after, by)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var previous struct {
		Scores domain.Scores `json:"scores"`
	}
	if err := json.Unmarshal(payload, &previous); err != nil {
		return false, fmt.Errorf("change %s unreadable: %w", after, err)
	}
	return sameScores(previous.Scores, server), nil
}

// PackCourse is a course of the trainer's as the device keeps it for the
// scores page: its active enrolments, their names and their scores.
type PackCourse struct {
	ID      int64        `db:"id" json:"id"`
	Code    string       `db:"code" json:"code"`
	TitleAr string       `db:"title_ar" json:"title_ar"`
	TitleFr string       `db:"title_fr" json:"title_fr"`
	Closed  bool         `db:"closed" json:"closed"`
	People  []PackScores `db:"-" json:"people"`
}

// PackScores is one person of a course on the device: names and scores.
type PackScores struct {
	CourseID      int64         `db:"course_id" json:"-"`
	TraineeID     int64         `db:"trainee_id" json:"trainee_id"`
	FullNameAr    *string       `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin *string       `db:"full_name_latin" json:"full_name_latin"`
	Pre           *int          `db:"pre_score" json:"-"`
	Post          *int          `db:"post_score" json:"-"`
	S1            *int          `db:"satisfaction_1" json:"-"`
	S2            *int          `db:"satisfaction_2" json:"-"`
	S3            *int          `db:"satisfaction_3" json:"-"`
	Scores        domain.Scores `db:"-" json:"scores"`
}

// OfflineScoreCourses is what a device keeps of the courses whose sessions
// it keeps (courseIDs, the pack's), for the scores page: each course with
// its active enrolments and their scores, by name as the online list.
func (s *Store) OfflineScoreCourses(ctx context.Context, courseIDs []int64) (_ []PackCourse, err error) {
	defer wrap(&err, "OfflineScoreCourses")
	courses := []PackCourse{}
	if len(courseIDs) == 0 {
		return courses, nil
	}
	const q = `SELECT id, code, title_ar, title_fr, closed_at IS NOT NULL AS closed FROM courses WHERE id = ANY($1) ORDER BY code, id`
	if err := s.db.SelectContext(ctx, &courses, q, pq.Array(courseIDs)); err != nil {
		return nil, mapError(err)
	}
	byID := make(map[int64]*PackCourse, len(courses))
	for i := range courses {
		courses[i].People = []PackScores{}
		byID[courses[i].ID] = &courses[i]
	}
	const r = `SELECT e.course_id, e.trainee_id, t.full_name_ar, t.full_name_latin,
	       s.pre_score, s.post_score, s.satisfaction_1, s.satisfaction_2, s.satisfaction_3
	  FROM enrollments e
	  JOIN trainees t ON t.id = e.trainee_id
	  LEFT JOIN enrollment_scores s ON s.enrollment_id = e.id
	 WHERE e.course_id = ANY($1) AND e.status <> 'withdrawn'
	 ORDER BY e.course_id, coalesce(t.full_name_latin, t.full_name_ar), e.id`
	var people []PackScores
	if err := s.db.SelectContext(ctx, &people, r, pq.Array(courseIDs)); err != nil {
		return nil, mapError(err)
	}
	for _, p := range people {
		p.Scores = domain.Scores{Pre: p.Pre, Post: p.Post, Satisfaction: [3]*int{p.S1, p.S2, p.S3}}
		c := byID[p.CourseID]
		c.People = append(c.People, p)
	}
	return courses, nil
}

// replayedScores completes the outcome of a scores change sent again: the
// server's scores now and, for a conflict, the values still in conflict
// (nothing when the person was withdrawn since: the device drops its copy).
func replayedScores(ctx context.Context, q sqlx.QueryerContext, o *OfflineScores, res *OfflineResult) error {
	current, err := activeScoreRow(ctx, q, o.CourseID, o.TraineeID, false)
	if v, ok := domain.AsValidation(err); ok && v != nil {
		return nil
	}
	if err != nil {
		return err
	}
	server := current.Scores()
	res.Scores = &server
	if res.Outcome == OutcomeConflict {
		base := domain.Scores{}
		if o.Base != nil {
			base = *o.Base
		}
		_, res.ConflictFields = mergeScores(base, o.Scores, server)
	}
	return nil
}
