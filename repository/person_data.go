package repository

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// A person's rights (issue 18, law 09-08): everything held about one
// person, for an admin to hand over, and anonymisation, which clears what
// identifies them and keeps what is counted.

// PersonData is everything the database holds about one person.
type PersonData struct {
	Record     domain.Trainee    `json:"record"`
	Enrolments []PersonEnrolment `json:"enrolments"`
	Marks      []PersonMark      `json:"marks"`
	Consents   []domain.Consent  `json:"consents"`
	Audit      []PersonAudit     `json:"audit"`
	// Certificates: none are issued yet (a later issue); always [].
	Certificates []struct{} `json:"certificates"`
}

// PersonEnrolment is one enrolment, with its course and what it counts the person as.
type PersonEnrolment struct {
	ID             int64                   `db:"id" json:"id"`
	CourseID       int64                   `db:"course_id" json:"course_id"`
	CourseCode     string                  `db:"course_code" json:"course_code"`
	CourseTitleAr  string                  `db:"course_title_ar" json:"course_title_ar"`
	CourseTitleFr  string                  `db:"course_title_fr" json:"course_title_fr"`
	Year           int                     `db:"year" json:"year"`
	StartDate      domain.Date             `db:"start_date" json:"start_date"`
	EndDate        domain.Date             `db:"end_date" json:"end_date"`
	Status         domain.EnrollmentStatus `db:"status" json:"status"`
	Category       domain.Category         `db:"category" json:"category"`
	OrganisationID *int64                  `db:"organisation_id" json:"organisation_id"`
	EnrolledAt     time.Time               `db:"enrolled_at" json:"enrolled_at"`
	WithdrawnAt    *time.Time              `db:"withdrawn_at" json:"withdrawn_at"`
}

// PersonMark is one attendance mark.
type PersonMark struct {
	ID         int64     `db:"id" json:"id"`
	CourseCode string    `db:"course_code" json:"course_code"`
	SessionID  int64     `db:"session_id" json:"session_id"`
	StartsAt   time.Time `db:"starts_at" json:"starts_at"`
	Status     string    `db:"status" json:"status"`
	MarkedAt   time.Time `db:"marked_at" json:"marked_at"`
}

// PersonAudit is one audit entry about the person.
type PersonAudit struct {
	ID       int64            `db:"id" json:"id"`
	At       time.Time        `db:"at" json:"at"`
	Action   string           `db:"action" json:"action"`
	Entity   string           `db:"entity" json:"entity"`
	EntityID *int64           `db:"entity_id" json:"entity_id"`
	Actor    *string          `db:"actor" json:"actor"`
	Before   *json.RawMessage `db:"before" json:"before"`
	After    *json.RawMessage `db:"after" json:"after"`
}

// PersonData reads everything held about a person, as by (an admin),
// and logs that it was read, in one transaction (the entry is part of
// what it answers, so that the download shows its own reading).
func (s *Store) PersonData(ctx context.Context, traineeID int64, by *int64) (_ *PersonData, err error) {
	defer wrap(&err, "PersonData %d", traineeID)
	d := &PersonData{Enrolments: []PersonEnrolment{}, Marks: []PersonMark{}, Consents: []domain.Consent{},
		Audit: []PersonAudit{}, Certificates: []struct{}{}}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := getOne(ctx, tx, &d.Record, traineeSelect+` WHERE t.id = $1`, traineeID); err != nil {
			return err
		}
		if err := audit(ctx, tx, by, "person.data_export", "trainee", traineeID, nil, nil); err != nil {
			return err
		}
		reads := []struct {
			dest any
			q    string
		}{
			{&d.Enrolments, `SELECT e.id, e.course_id, c.code AS course_code, c.title_ar AS course_title_ar, c.title_fr AS course_title_fr,
			        c.year, c.start_date, c.end_date, e.status, e.category, e.organisation_id, e.enrolled_at, e.withdrawn_at
			   FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE e.trainee_id = $1 ORDER BY c.start_date, e.id`},
			{&d.Marks, `SELECT a.id, c.code AS course_code, a.session_id, s.starts_at, a.status, a.marked_at
			   FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id JOIN sessions s ON s.id = a.session_id
			   JOIN courses c ON c.id = a.course_id WHERE e.trainee_id = $1 ORDER BY s.starts_at, a.id`},
			{&d.Consents, consentSelect + ` WHERE c.trainee_id = $1 ORDER BY c.recorded_at, c.id`},
			{&d.Audit, `SELECT l.id, l.at, l.action, l.entity, l.entity_id, u.name AS actor, l.before, l.after
			   FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id WHERE l.trainee_id = $1 ORDER BY l.id`},
		}
		for _, r := range reads {
			if err := tx.SelectContext(ctx, r.dest, r.q, traineeID); err != nil {
				return mapError(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// identifyingFields are what anonymisation clears, in the person's row and
// in the audit entries about them (docs/SECURITY.md, "A person's rights").
var identifyingFields = []string{"full_name_ar", "full_name_latin", "name_key", "national_id", "phone", "email"}

// ErrAlreadyAnonymised refuses to anonymise a person twice.
var ErrAlreadyAnonymised = domain.Refuse(domain.ErrConflict, "consent.person_anonymised")

// AnonymiseTrainee clears what identifies a person — names, name key, CIN,
// phone, e-mail, the scans of their consent forms, and those fields'
// values in the audit entries about them — and keeps category, sex, birth
// year, organisation, province, enrolments and marks, so that no figure
// moves. Audited as by's with the reason (required), in one transaction.
func (s *Store) AnonymiseTrainee(ctx context.Context, traineeID int64, reason string, by *int64) (err error) {
	defer wrap(&err, "AnonymiseTrainee %d", traineeID)
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 500 {
		return domain.Invalid("reason", "consent.reason_required")
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return anonymise(ctx, tx, traineeID, reason, by) })
}

// anonymise is AnonymiseTrainee in tx.
func anonymise(ctx context.Context, tx *sqlx.Tx, traineeID int64, reason string, by *int64) error {
	var at *time.Time
	if err := getOne(ctx, tx, &at, `SELECT anonymised_at FROM trainees WHERE id = $1 FOR UPDATE`, traineeID); err != nil {
		return err
	}
	if at != nil {
		return ErrAlreadyAnonymised
	}
	const clear = `UPDATE trainees SET full_name_ar = NULL, full_name_latin = NULL, name_key = '', national_id = NULL,
	                      phone = NULL, email = NULL, anonymised_at = now()
	                WHERE id = $1 RETURNING anonymised_at`
	if err := getOne(ctx, tx, &at, clear, traineeID); err != nil {
		return err
	}
	// The person's records merged into this one (or this one's into
	// another, since unmerged) are the same person: their copies go too.
	var ids []int64
	const same = `SELECT $1::bigint UNION SELECT removed_id FROM merges WHERE entity = 'trainee' AND kept_id = $1
	              UNION SELECT kept_id FROM merges WHERE entity = 'trainee' AND removed_id = $1`
	if err := tx.SelectContext(ctx, &ids, same, traineeID); err != nil {
		return mapError(err)
	}
	const scans = `UPDATE consents SET scan = NULL, scan_type = NULL, scan_removed_at = now()
	                WHERE trainee_id = ANY($1) AND scan IS NOT NULL`
	if _, err := tx.ExecContext(ctx, scans, pq.Array(ids)); err != nil {
		return mapError(err)
	}
	const entries = `UPDATE audit_log SET before = before - $2::text[], after = after - $2::text[]
	                  WHERE trainee_id = ANY($1) AND (before ?| $2::text[] OR after ?| $2::text[])`
	if _, err := tx.ExecContext(ctx, entries, pq.Array(ids), pq.Array(identifyingFields)); err != nil {
		return mapError(err)
	}
	if err := scrubMerges(ctx, tx, traineeID, *at); err != nil {
		return err
	}
	return audit(ctx, tx, by, "person.anonymise", "trainee", traineeID, nil, map[string]any{"reason": reason})
}

// scrubMerges clears the identifying fields of the person's rows that
// merges of them keep for an unmerge (merges.before), and marks those rows
// anonymised at at, so that no unmerge brings a name back.
func scrubMerges(ctx context.Context, tx *sqlx.Tx, traineeID int64, at time.Time) error {
	var merges []struct {
		ID     int64  `db:"id"`
		Before []byte `db:"before"`
	}
	const q = `SELECT id, before FROM merges WHERE entity = 'trainee' AND $1 IN (kept_id, removed_id) ORDER BY id FOR UPDATE`
	if err := tx.SelectContext(ctx, &merges, q, traineeID); err != nil {
		return mapError(err)
	}
	for _, m := range merges {
		var rec mergeRecord
		if err := json.Unmarshal(m.Before, &rec); err != nil {
			return fmt.Errorf("merge %d: %w", m.ID, err)
		}
		for _, table := range rec.Tables {
			if table.Table != "trainees" {
				continue
			}
			for _, rows := range [][]json.RawMessage{table.Updated, table.After, table.Deleted, table.Inserted} {
				for i := range rows {
					scrubbed, err := anonymisedRow(rows[i], at)
					if err != nil {
						return fmt.Errorf("merge %d: %w", m.ID, err)
					}
					rows[i] = scrubbed
				}
			}
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE merges SET before = $2 WHERE id = $1`, m.ID, string(b)); err != nil {
			return mapError(err)
		}
	}
	return nil
}

// anonymisedRow is a trainees row (as to_jsonb wrote it) with its
// identifying fields cleared and anonymised at at.
func anonymisedRow(row json.RawMessage, at time.Time) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(row, &fields); err != nil {
		return nil, err
	}
	for _, f := range identifyingFields {
		fields[f] = json.RawMessage("null")
	}
	fields["name_key"] = json.RawMessage(`""`)
	stamp, err := json.Marshal(at)
	if err != nil {
		return nil, err
	}
	fields["anonymised_at"] = stamp
	return json.Marshal(fields)
}
