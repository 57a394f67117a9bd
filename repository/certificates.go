package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// Certificates (issue 19, point 3; migration 00026; docs/CERTIFICATES.md).
// An enrolment holds a valid certificate exactly when the totals count it
// as completed (enrollmentCompletedSQL, the fragment the totals' base
// cells use) — withdrawn or not: marks stay true after a withdrawal, and a
// certificate says no more than the figures do. IssueCertificates makes that true
// for one course; the writers that can make a certificate wrong (a
// correction of the enrolment or of a mark, a merge) revoke it, or revoke
// and reissue it, in their own transaction (reconcileCertificates).

// certificateNameWithheldSQL says whether the certificate of enrolment e
// of person t shows the person's record number instead of their name: an
// anonymised person, or one without an active consent "certificate with
// the name" (migration 00021) who is a child (as enrolled or now) or whose
// such consent was withdrawn. An adult who never had consents recorded
// (consent records are for children: docs/SECURITY.md) keeps the name.
const certificateNameWithheldSQL = `(t.anonymised_at IS NOT NULL OR (
        NOT EXISTS (SELECT 1 FROM consents nc WHERE nc.trainee_id = t.id AND nc.scope = 'certificate_name' AND nc.withdrawn_at IS NULL)
        AND (e.category = 'child_parliamentarian' OR t.category = 'child_parliamentarian'
             OR EXISTS (SELECT 1 FROM consents wc WHERE wc.trainee_id = t.id AND wc.scope = 'certificate_name'))))`

// certificateFactsSQL is, for each enrolment of course $1, whether it
// deserves a certificate and what its certificate would say now.
const certificateFactsSQL = `SELECT e.id AS enrollment_id, e.trainee_id, c.year,
       ` + enrollmentCompletedSQL + ` AS completed,
       CASE WHEN ` + certificateNameWithheldSQL + ` THEN NULL ELSE t.full_name_ar END AS full_name_ar,
       CASE WHEN ` + certificateNameWithheldSQL + ` THEN NULL ELSE t.full_name_latin END AS full_name_latin,
       e.category, c.title_ar, c.title_fr, c.start_date, c.end_date,
       c.held_hours::float8 AS hours
  FROM enrollments e
  JOIN courses c ON c.id = e.course_id
  JOIN trainees t ON t.id = e.trainee_id
 WHERE e.course_id = $1
 ORDER BY e.id`

// certificateFacts is one row of certificateFactsSQL.
type certificateFacts struct {
	EnrollmentID int64           `db:"enrollment_id"`
	TraineeID    int64           `db:"trainee_id"`
	Year         int             `db:"year"`
	Completed    bool            `db:"completed"`
	NameAr       *string         `db:"full_name_ar"`
	NameLatin    *string         `db:"full_name_latin"`
	Category     domain.Category `db:"category"`
	TitleAr      string          `db:"title_ar"`
	TitleFr      string          `db:"title_fr"`
	StartDate    domain.Date     `db:"start_date"`
	EndDate      domain.Date     `db:"end_date"`
	Hours        float64         `db:"hours"`
}

func (f *certificateFacts) eligible() bool { return f.Completed }

// content is what a certificate issued now would say.
func (f *certificateFacts) content() domain.CertificateContent {
	return domain.CertificateContent{HolderNameAr: f.NameAr, HolderNameLatin: f.NameLatin, Category: f.Category,
		CourseTitleAr: f.TitleAr, CourseTitleFr: f.TitleFr,
		StartDate: f.StartDate.Format(domain.DateLayout), EndDate: f.EndDate.Format(domain.DateLayout), Hours: f.Hours}
}

const certificateColumns = `id, enrollment_id, course_id, trainee_id, number, code, holder_name_ar, holder_name_latin,
       holder_initials, category, course_title_ar, course_title_fr, start_date, end_date, hours::float8 AS hours,
       issued_at, revoked_at, revoke_reason, replaced_by`

// IssueCertificates issues, in one transaction, a certificate to every
// enrolment of the course that deserves one and has none, revokes those
// that no longer deserve theirs, and reissues those whose content
// changed; each issue and revocation is audited with its reason. Issuing
// again issues only what is missing. by is the coordinator.
func (s *Store) IssueCertificates(ctx context.Context, courseID int64, by *int64) (_ domain.CertificateRun, err error) {
	defer wrap(&err, "IssueCertificates %d", courseID)
	var run domain.CertificateRun
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var e error
		run, e = reconcileCertificates(ctx, tx, courseID, true, by)
		return e
	})
	return run, err
}

// reconcileCertificates brings course's certificates in line with its
// records: revokes those that are no longer deserved (with the reason),
// revokes and reissues those whose content changed, and, when issueMissing,
// issues the missing ones. Two runs on one course follow each other
// through an advisory lock of the course's (as checkin.go's codes), not
// its row: the writers that call it hold enrolment and counter rows by
// then, and a lock that no other statement takes cannot close a cycle.
func reconcileCertificates(ctx context.Context, tx *sqlx.Tx, courseID int64, issueMissing bool, by *int64) (domain.CertificateRun, error) {
	var run domain.CertificateRun
	if err := lockCertificates(ctx, tx, courseID); err != nil {
		return run, err
	}
	var facts []certificateFacts
	if err := tx.SelectContext(ctx, &facts, certificateFactsSQL, courseID); err != nil {
		return run, mapError(err)
	}
	var valid []domain.Certificate
	const q = `SELECT ` + certificateColumns + ` FROM certificates WHERE course_id = $1 AND revoked_at IS NULL`
	if err := tx.SelectContext(ctx, &valid, q, courseID); err != nil {
		return run, mapError(err)
	}
	byEnrollment := make(map[int64]*certificateFacts, len(facts))
	for i := range facts {
		byEnrollment[facts[i].EnrollmentID] = &facts[i]
	}
	held := make(map[int64]bool, len(valid))
	for i := range valid {
		c := &valid[i]
		f := byEnrollment[c.EnrollmentID]
		reason, reissue := revocation(c, f)
		if reason == "" {
			held[c.EnrollmentID] = true
			continue
		}
		if err := revokeCertificate(ctx, tx, c, reason, by); err != nil {
			return run, err
		}
		run.Revoked++
		if !reissue {
			continue
		}
		id, err := issueCertificate(ctx, tx, courseID, f, "reissue", by)
		if err != nil {
			return run, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE certificates SET replaced_by = $2 WHERE id = $1`, c.ID, id); err != nil {
			return run, mapError(err)
		}
		held[c.EnrollmentID] = true
		run.Issued++
		run.Reissued++
	}
	if !issueMissing {
		return run, nil
	}
	for i := range facts {
		f := &facts[i]
		if !f.eligible() || held[f.EnrollmentID] {
			continue
		}
		if _, err := issueCertificate(ctx, tx, courseID, f, "bulk", by); err != nil {
			return run, err
		}
		run.Issued++
	}
	return run, nil
}

// revocation says why certificate c must be revoked given its enrolment's
// facts now (f nil: the enrolment is gone), and whether a new one replaces
// it; "" keeps it.
func revocation(c *domain.Certificate, f *certificateFacts) (domain.RevokeReason, bool) {
	switch {
	case f == nil:
		return domain.RevokedMerged, false
	case !f.Completed:
		return domain.RevokedNotCompleted, false
	case f.TraineeID != c.TraineeID: // a merge moved the enrolment to the person kept
		return domain.RevokedMerged, true
	case !c.Content().Same(f.content()):
		return domain.RevokedChanged, true
	}
	return "", false
}

// issueCertificate writes a new certificate for f with a fresh number and
// code, audited ("bulk" or "reissue"), and answers its id.
func issueCertificate(ctx context.Context, tx *sqlx.Tx, courseID int64, f *certificateFacts, why string, by *int64) (int64, error) {
	var serial int64
	if err := tx.GetContext(ctx, &serial, `SELECT nextval('certificate_numbers')`); err != nil {
		return 0, mapError(err)
	}
	code, err := domain.NewCertificateCode()
	if err != nil {
		return 0, fmt.Errorf("certificate code: %w", err)
	}
	number := domain.CertificateNumber(f.Year, serial)
	const q = `INSERT INTO certificates (enrollment_id, course_id, trainee_id, number, code, holder_name_ar, holder_name_latin,
	                              holder_initials, category, course_title_ar, course_title_fr, start_date, end_date, hours, issued_by)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`
	var id int64
	if err := tx.GetContext(ctx, &id, q, f.EnrollmentID, courseID, f.TraineeID, number, code, f.NameAr, f.NameLatin,
		domain.Initials(f.NameLatin, f.NameAr), f.Category, f.TitleAr, f.TitleFr, f.StartDate, f.EndDate, f.Hours, by); err != nil {
		return 0, mapError(err)
	}
	return id, writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "certificate.issue", Entity: "certificate", EntityID: &id,
		After:     map[string]any{"number": number, "enrollment_id": f.EnrollmentID, "reason": why},
		TraineeID: &f.TraineeID, CourseID: &courseID})
}

// revokeCertificate revokes c for reason, audited.
func revokeCertificate(ctx context.Context, tx *sqlx.Tx, c *domain.Certificate, reason domain.RevokeReason, by *int64) error {
	const q = `UPDATE certificates SET revoked_at = now(), revoked_by = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL`
	if _, err := tx.ExecContext(ctx, q, c.ID, by, reason); err != nil {
		return mapError(err)
	}
	return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "certificate.revoke", Entity: "certificate", EntityID: &c.ID,
		Before: map[string]any{"number": c.Number, "enrollment_id": c.EnrollmentID},
		After:  map[string]any{"reason": reason}, TraineeID: &c.TraineeID, CourseID: &c.CourseID})
}

// lockCertificates takes the course's certificates lock until the end of
// tx (taking it twice in one transaction is fine).
func lockCertificates(ctx context.Context, tx *sqlx.Tx, courseID int64) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, $2))`, certificatesLock, courseID)
	return mapError(err)
}

// recheckCertificates is reconcileCertificates without issuing, for the
// writers that may change what a course's certificates say or who
// deserves one (marks, sessions, the course's fields): one index look-up
// when the course has no valid certificate, which is the rule while a
// course runs. The look-up is made under the lock: a bulk issue running
// meanwhile has committed its certificates (and this sees them) or starts
// after this writer's change (and sees it).
func recheckCertificates(ctx context.Context, tx *sqlx.Tx, courseID int64, by *int64) error {
	if err := lockCertificates(ctx, tx, courseID); err != nil {
		return err
	}
	var any bool
	const q = `SELECT EXISTS (SELECT 1 FROM certificates WHERE course_id = $1 AND revoked_at IS NULL)`
	if err := tx.GetContext(ctx, &any, q, courseID); err != nil {
		return mapError(err)
	}
	if !any {
		return nil
	}
	_, err := reconcileCertificates(ctx, tx, courseID, false, by)
	return err
}

// reconcileCertificatesOf revokes (and reissues) the valid certificates of
// the courses where one of people holds one: after a merge of duplicates,
// or a change of a person's names.
func reconcileCertificatesOf(ctx context.Context, tx *sqlx.Tx, people []int64, by *int64) error {
	var courses []int64
	const q = `SELECT DISTINCT course_id FROM certificates WHERE trainee_id = ANY($1) AND revoked_at IS NULL ORDER BY course_id`
	if err := tx.SelectContext(ctx, &courses, q, pq.Array(people)); err != nil {
		return mapError(err)
	}
	for _, id := range courses {
		if _, err := reconcileCertificates(ctx, tx, id, false, by); err != nil {
			return err
		}
	}
	return nil
}

// PersonCertificates lists a person's certificates (the person's data
// download), oldest first.
func personCertificates(ctx context.Context, tx *sqlx.Tx, traineeID int64) ([]domain.Certificate, error) {
	out := []domain.Certificate{}
	const q = `SELECT ` + certificateColumns + ` FROM certificates WHERE trainee_id = $1 ORDER BY issued_at, id`
	return out, mapError(tx.SelectContext(ctx, &out, q, traineeID))
}

// forgetCertificateNames is an anonymisation's part in certificates: the
// person's certificates, revoked ones included, keep no name any more
// (their valid ones were reissued without it first).
func forgetCertificateNames(ctx context.Context, tx *sqlx.Tx, people []int64) error {
	const q = `UPDATE certificates SET holder_name_ar = NULL, holder_name_latin = NULL, holder_initials = '—'
	            WHERE trainee_id = ANY($1) AND (holder_name_ar IS NOT NULL OR holder_name_latin IS NOT NULL OR holder_initials <> '—')`
	_, err := tx.ExecContext(ctx, q, pq.Array(people))
	return mapError(err)
}

// CourseCertificates lists a course's certificates, valid ones first, by
// number.
func (s *Store) CourseCertificates(ctx context.Context, courseID int64) (_ []domain.Certificate, err error) {
	defer wrap(&err, "CourseCertificates %d", courseID)
	out := []domain.Certificate{}
	const q = `SELECT ` + certificateColumns + ` FROM certificates WHERE course_id = $1 ORDER BY revoked_at IS NOT NULL, number`
	if err := s.db.SelectContext(ctx, &out, q, courseID); err != nil {
		return nil, mapError(err)
	}
	return out, nil
}

// Certificate reads one certificate of a course; another course's (or
// none) is domain.ErrNotFound.
func (s *Store) Certificate(ctx context.Context, courseID, id int64) (_ *domain.Certificate, err error) {
	defer wrap(&err, "Certificate %d/%d", courseID, id)
	var c domain.Certificate
	// The holder's sex, for the wording's gender, is the person's record's:
	// certificates do not store it (a change of sex is a correction of the
	// record, not of what the certificate attests).
	const q = `SELECT c.*, coalesce(t.sex, '') AS holder_sex
	             FROM (SELECT ` + certificateColumns + ` FROM certificates WHERE id = $1 AND course_id = $2) c
	             LEFT JOIN trainees t ON t.id = c.trainee_id`
	if err := getOne(ctx, s.db, &c, q, id, courseID); err != nil {
		return nil, err
	}
	return &c, nil
}

// VerifyCertificate reads the certificate a verification code names; a
// code of no certificate is domain.ErrNotFound.
func (s *Store) VerifyCertificate(ctx context.Context, code string) (_ *domain.Certificate, err error) {
	defer wrap(&err, "VerifyCertificate")
	if !domain.ValidCertificateCode(code) {
		return nil, domain.ErrNotFound
	}
	var c domain.Certificate
	const q = `SELECT ` + certificateColumns + ` FROM certificates WHERE code = $1`
	if err := getOne(ctx, s.db, &c, q, code); err != nil {
		return nil, err
	}
	return &c, nil
}
