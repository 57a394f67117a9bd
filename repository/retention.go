package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// Retention (issue 18, docs/SECURITY.md "Retention"): how long personal
// data is kept, applied by `takaffoul retention -apply` and daily by the
// server. A dry run lists what a run would do; a run does exactly that.

// RetentionPolicy is how long data is kept, in whole years; 0 keeps for ever.
type RetentionPolicy struct {
	// ChildYears: a child parliamentarian is anonymised this many years
	// after the end of their last course.
	ChildYears int
	// ScanYears: the scan of a signed consent form is deleted this many
	// years after the consent was given (the record of the consent stays).
	ScanYears int
}

// RetentionAction is one thing a retention run does.
type RetentionAction struct {
	Kind      string      `db:"kind" json:"kind"` // "anonymise" or "delete_scan"
	TraineeID int64       `db:"trainee_id" json:"trainee_id"`
	ConsentID *int64      `db:"consent_id" json:"consent_id,omitempty"`
	Since     domain.Date `db:"since" json:"since"` // the last course's end, or the consent's day
}

func (a RetentionAction) String() string {
	if a.Kind == "delete_scan" {
		return fmt.Sprintf("delete the scan of consent %d (person %d, given %s)", *a.ConsentID, a.TraineeID, a.Since)
	}
	return fmt.Sprintf("anonymise person %d (child parliamentarian, last course ended %s)", a.TraineeID, a.Since)
}

// retentionSQL lists what is due at $1 (a day in Morocco): children whose
// last course ended before $1 − $2 years, scans of consents given before
// $1 − $3 years; a policy of 0 years lists nothing.
const retentionSQL = `
SELECT 'anonymise' AS kind, e.trainee_id, NULL::bigint AS consent_id, max(c.end_date) AS since
  FROM enrollments e JOIN courses c ON c.id = e.course_id JOIN trainees t ON t.id = e.trainee_id
 WHERE t.category = 'child_parliamentarian' AND t.anonymised_at IS NULL AND $2 > 0
 GROUP BY e.trainee_id
HAVING max(c.end_date) < $1::date - make_interval(years => $2)
UNION ALL
SELECT 'delete_scan', k.trainee_id, k.id, k.given_on
  FROM consents k
 WHERE k.scan IS NOT NULL AND $3 > 0 AND k.given_on < $1::date - make_interval(years => $3)
 ORDER BY 1, 2, 3`

// RetentionPlan lists what the policy would do at now, changing nothing.
func (s *Store) RetentionPlan(ctx context.Context, p RetentionPolicy, now time.Time) (_ []RetentionAction, err error) {
	defer wrap(&err, "RetentionPlan")
	return retentionPlan(ctx, s.db, p, now)
}

func retentionPlan(ctx context.Context, q sqlx.QueryerContext, p RetentionPolicy, now time.Time) ([]RetentionAction, error) {
	plan := []RetentionAction{}
	today := now.In(domain.Casablanca).Format(domain.DateLayout)
	err := sqlx.SelectContext(ctx, q, &plan, retentionSQL, today, p.ChildYears, p.ScanYears)
	return plan, mapError(err)
}

// ApplyRetention does what the policy asks at now, in one transaction,
// and answers what it did: the plan of that moment. Each anonymisation is
// audited with the policy as its reason, each deleted scan too; by is nil
// for the server's daily run.
func (s *Store) ApplyRetention(ctx context.Context, p RetentionPolicy, now time.Time, by *int64) (_ []RetentionAction, err error) {
	defer wrap(&err, "ApplyRetention")
	var done []RetentionAction
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// One run at a time: two servers' daily runs do not interleave.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, retentionLock); err != nil {
			return mapError(err)
		}
		plan, err := retentionPlan(ctx, tx, p, now)
		if err != nil {
			return err
		}
		for _, a := range plan {
			if err := applyRetention(ctx, tx, a, p, by); err != nil {
				return err
			}
		}
		done = plan
		return nil
	})
	return done, err
}

func applyRetention(ctx context.Context, tx *sqlx.Tx, a RetentionAction, p RetentionPolicy, by *int64) error {
	if a.Kind == "anonymise" {
		reason := fmt.Sprintf("retention: %d years after the last course (%s)", p.ChildYears, a.Since)
		return anonymise(ctx, tx, a.TraineeID, reason, by)
	}
	const q = `UPDATE consents SET scan = NULL, scan_type = NULL, scan_removed_at = now() WHERE id = $1`
	if _, err := tx.ExecContext(ctx, q, *a.ConsentID); err != nil {
		return mapError(err)
	}
	return audit(ctx, tx, by, "consent.scan_delete", "consent", *a.ConsentID, nil,
		map[string]any{"trainee_id": a.TraineeID, "reason": fmt.Sprintf("retention: %d years after consent", p.ScanYears)})
}
