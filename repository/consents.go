package repository

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// Consent records (issue 18, migration 00021). A person "has consent"
// while one of their consents for training is not withdrawn; the
// enrolment trigger refuses a child parliamentarian without one.

// activeConsentSQL says, for the trainee aliased t, whether they hold an
// active consent for training: the derived guardian_consent.
const activeConsentSQL = `EXISTS (SELECT 1 FROM consents ac
          WHERE ac.trainee_id = t.id AND ac.scope = 'training' AND ac.withdrawn_at IS NULL)`

// nameWithheldSQL: files name the trainee aliased t by their number — an
// anonymised person, or a child parliamentarian whose consent for training
// was withdrawn. shownNameArSQL and shownNameLatinSQL are their names as
// sheets and exports print them.
const (
	nameWithheldSQL   = `(t.anonymised_at IS NOT NULL OR (t.category = 'child_parliamentarian' AND NOT ` + activeConsentSQL + `))`
	shownNameArSQL    = `CASE WHEN ` + nameWithheldSQL + ` THEN NULL ELSE t.full_name_ar END`
	shownNameLatinSQL = `CASE WHEN ` + nameWithheldSQL + ` THEN '#' || t.id ELSE t.full_name_latin END`
)

const consentSelect = `SELECT c.id, c.trainee_id, c.scope, c.method, c.wording_version, c.given_on, c.recorded_by,
       ru.name AS recorded_by_name, c.recorded_at, c.scan_type, coalesce(octet_length(c.scan), 0) AS scan_bytes,
       c.scan_removed_at, c.withdrawn_at, c.withdrawn_by, wu.name AS withdrawn_by_name
  FROM consents c
  LEFT JOIN users ru ON ru.id = c.recorded_by
  LEFT JOIN users wu ON wu.id = c.withdrawn_by`

// Consents lists a person's consents, the most recent first.
func (s *Store) Consents(ctx context.Context, traineeID int64) (_ []domain.Consent, err error) {
	defer wrap(&err, "Consents %d", traineeID)
	list := []domain.Consent{}
	err = s.db.SelectContext(ctx, &list, consentSelect+` WHERE c.trainee_id = $1 ORDER BY c.recorded_at DESC, c.id DESC`, traineeID)
	return list, err
}

// RecordConsent records a consent given for a person, as by (who asserts
// it), audited in the same transaction. An unknown person is ErrNotFound.
func (s *Store) RecordConsent(ctx context.Context, n domain.NewConsent, by *int64) (_ *domain.Consent, err error) {
	defer wrap(&err, "RecordConsent %d", n.TraineeID)
	if err := n.Validate(time.Now()); err != nil {
		return nil, err
	}
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockPerson(ctx, tx, n.TraineeID); err != nil {
			return err
		}
		var err error
		id, err = insertConsent(ctx, tx, n, by)
		return err
	})
	if err != nil {
		return nil, err
	}
	var c domain.Consent
	return &c, getOne(ctx, s.db, &c, consentSelect+` WHERE c.id = $1`, id)
}

// lockPerson locks a person's row (a merge or an anonymisation waits); a
// missing or anonymised person is ErrNotFound.
func lockPerson(ctx context.Context, tx *sqlx.Tx, traineeID int64) error {
	var id int64
	return getOne(ctx, tx, &id, `SELECT id FROM trainees WHERE id = $1 AND anonymised_at IS NULL FOR UPDATE`, traineeID)
}

// insertConsent writes a consent and its audit entry with tx.
func insertConsent(ctx context.Context, tx *sqlx.Tx, n domain.NewConsent, by *int64) (int64, error) {
	var scan, scanType any
	if len(n.Scan) > 0 {
		scan, scanType = n.Scan, domain.ScanType(n.Scan)
	}
	const q = `INSERT INTO consents (trainee_id, scope, method, wording_version, given_on, recorded_by, scan, scan_type)
	           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
	var id int64
	if err := getOne(ctx, tx, &id, q, n.TraineeID, n.Scope, n.Method, n.WordingVersion, n.GivenOn, by, scan, scanType); err != nil {
		return 0, err
	}
	after := map[string]any{"trainee_id": n.TraineeID, "scope": n.Scope, "method": n.Method,
		"wording_version": n.WordingVersion, "given_on": n.GivenOn, "scan": len(n.Scan) > 0}
	return id, audit(ctx, tx, by, "consent.record", "consent", id, nil, after)
}

// guardianConsent is the consent a person's form or API call asserts by
// ticking "guardian's consent": for training, today, in the wording in use.
func guardianConsent(traineeID int64, method domain.ConsentMethod) domain.NewConsent {
	if method == "" {
		method = domain.ConsentSignedForm
	}
	today, _ := domain.ParseDate(time.Now().In(domain.Casablanca).Format(domain.DateLayout))
	return domain.NewConsent{TraineeID: traineeID, Scope: domain.ConsentTraining, Method: method,
		WordingVersion: domain.ConsentWording, GivenOn: today}
}

// WithdrawConsent records, as by, that a person's consent is withdrawn
// (audited). It changes no enrolment and no figure: the person is enrolled
// no more (in training's scope), and sheets and exports name them by their
// number. A consent of another person is ErrNotFound; one withdrawn
// already is a conflict.
func (s *Store) WithdrawConsent(ctx context.Context, traineeID, consentID int64, by *int64) (err error) {
	defer wrap(&err, "WithdrawConsent %d", consentID)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var withdrawn *time.Time
		const lock = `SELECT withdrawn_at FROM consents WHERE id = $1 AND trainee_id = $2 FOR UPDATE`
		if err := getOne(ctx, tx, &withdrawn, lock, consentID, traineeID); err != nil {
			return err
		}
		if withdrawn != nil {
			return domain.Refuse(domain.ErrConflict, "consent.already_withdrawn")
		}
		return withdrawConsents(ctx, tx, `id = $1`, consentID, by)
	})
}

// withdrawConsents withdraws, with tx and as by, the active consents that
// where (SQL over consents, $1 its argument) selects, each audited.
func withdrawConsents(ctx context.Context, tx *sqlx.Tx, where string, arg any, by *int64) error {
	var ids []struct {
		ID        int64               `db:"id"`
		TraineeID int64               `db:"trainee_id"`
		Scope     domain.ConsentScope `db:"scope"`
	}
	q := `UPDATE consents SET withdrawn_at = now(), withdrawn_by = $2
	       WHERE withdrawn_at IS NULL AND ` + where + ` RETURNING id, trainee_id, scope`
	if err := tx.SelectContext(ctx, &ids, q, arg, by); err != nil {
		return mapError(err)
	}
	for _, c := range ids {
		if err := audit(ctx, tx, by, "consent.withdraw", "consent", c.ID, nil,
			map[string]any{"trainee_id": c.TraineeID, "scope": c.Scope}); err != nil {
			return err
		}
	}
	return nil
}

// ConsentScan is the scan of a person's signed consent form and its media
// type; none (or another person's consent) is ErrNotFound.
func (s *Store) ConsentScan(ctx context.Context, traineeID, consentID int64) (_ []byte, _ string, err error) {
	defer wrap(&err, "ConsentScan %d", consentID)
	var r struct {
		Scan []byte `db:"scan"`
		Type string `db:"scan_type"`
	}
	const q = `SELECT scan, scan_type FROM consents WHERE id = $1 AND trainee_id = $2 AND scan IS NOT NULL`
	if err := getOne(ctx, s.db, &r, q, consentID, traineeID); err != nil {
		return nil, "", err
	}
	return r.Scan, r.Type, nil
}
