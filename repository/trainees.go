package repository

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

const traineeSelect = `SELECT t.id, t.category, t.full_name_ar, t.full_name_latin, t.sex, t.birth_year,
       t.organisation_id, p.code AS province, t.phone, t.email, t.national_id, ` + activeConsentSQL + ` AS guardian_consent,
       t.anonymised_at
  FROM trainees t LEFT JOIN provinces p ON p.id = t.province_id`

// CreateTrainee validates and stores a trainee, audited as by's. A national
// ID already on record is a conflict: the same CIN is always the same person.
func (s *Store) CreateTrainee(ctx context.Context, t *domain.Trainee, by *int64) (err error) {
	defer wrap(&err, "CreateTrainee")
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return createTrainee(ctx, tx, t, by) })
}

// createTrainee is CreateTrainee in tx.
func createTrainee(ctx context.Context, tx *sqlx.Tx, t *domain.Trainee, by *int64) error {
	if err := t.Validate(time.Now()); err != nil {
		return err
	}
	kind, err := organisationKindFor(ctx, tx, t)
	if err != nil {
		return err
	}
	provinceID, err := provinceID(ctx, tx, t.Province)
	if err != nil {
		return err
	}
	const q = `INSERT INTO trainees (category, full_name_ar, full_name_latin, name_key, sex, birth_year,
	                                 organisation_id, organisation_kind, province_id, phone, email, national_id)
	           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`
	if err := getOne(ctx, tx, &t.ID, q, t.Category, t.FullNameAr, t.FullNameLatin, t.NameKey(), t.Sex, t.BirthYear,
		t.OrganisationID, kind, provinceID, t.Phone, t.Email, t.NationalID); err != nil {
		return err
	}
	if err := keepGuardianConsent(ctx, tx, t, false, by); err != nil {
		return err
	}
	// The record as created: the audit page (coordinators and admins, who
	// may read it anyway) shows every field's history from here.
	return audit(ctx, tx, by, "trainee.create", "trainee", t.ID, nil, auditedNewTrainee(t))
}

// keepGuardianConsent turns a child's "guardian's consent" box into
// consent records: ticked where the person held no active consent for
// training (had), a consent is recorded as by's; unticked where they held
// one, it is withdrawn. An adult's box records nothing: the guardian's
// consent is a minor's.
func keepGuardianConsent(ctx context.Context, tx *sqlx.Tx, t *domain.Trainee, had bool, by *int64) error {
	switch {
	case t.GuardianConsent && !had && t.Category == domain.ChildParliamentarian:
		_, err := insertConsent(ctx, tx, guardianConsent(t.ID, t.ConsentMethod), by)
		return err
	case !t.GuardianConsent && had:
		return withdrawConsents(ctx, tx, `trainee_id = $1 AND scope = 'training'`, t.ID, by)
	}
	t.GuardianConsent = had && t.GuardianConsent
	return nil
}

// organisationKindFor looks up the trainee's organisation and checks that its
// kind suits the category: an institution for an institutional actor, an
// association for an associative actor.
func organisationKindFor(ctx context.Context, q sqlx.QueryerContext, t *domain.Trainee) (*domain.OrganisationKind, error) {
	if t.OrganisationID == nil {
		return nil, nil
	}
	var kind domain.OrganisationKind
	err := getOne(ctx, q, &kind, `SELECT kind FROM organisations WHERE id = $1`, *t.OrganisationID)
	if isNotFound(err) {
		return nil, domain.Invalid("organisation_id", "trainee.organisation_unknown")
	}
	if err != nil {
		return nil, err
	}
	if want := t.Category.OrganisationKind(); want != "" && kind != want {
		key := "trainee.institution_required"
		if want == domain.Association {
			key = "trainee.association_required"
		}
		return nil, domain.Invalid("organisation_id", key)
	}
	return &kind, nil
}

// Trainee finds a trainee by id.
func (s *Store) Trainee(ctx context.Context, id int64) (_ *domain.Trainee, err error) {
	defer wrap(&err, "Trainee")
	var t domain.Trainee
	if err := getOne(ctx, s.db, &t, traineeSelect+` WHERE t.id = $1`, id); err != nil {
		return nil, err
	}
	return &t, nil
}

// TraineeMatch is a search result: enough to recognise a person and enrol
// them, with the organisation's name for context.
type TraineeMatch struct {
	domain.Trainee
	OrganisationName *string `db:"organisation_name" json:"organisation_name"`
}

// SearchTrainees finds a page of people by name (Arabic or Latin script,
// insensitive to case, accents and Arabic diacritics), phone or national
// ID: whole identifiers first.
func (s *Store) SearchTrainees(ctx context.Context, query string, page Page) (_ []TraineeMatch, err error) {
	defer wrap(&err, "SearchTrainees")
	key := domain.SearchKey(query)
	if key == "" {
		return []TraineeMatch{}, nil
	}
	probe := domain.Trainee{Phone: &query, NationalID: &query}
	probe.Normalize()
	const q = `SELECT t.id, t.category, t.full_name_ar, t.full_name_latin, t.sex, t.birth_year,
	       t.organisation_id, p.code AS province, t.phone, t.email, t.national_id, ` + activeConsentSQL + ` AS guardian_consent, t.anonymised_at,
	       coalesce(o.name_ar, o.name_fr) AS organisation_name
	  FROM trainees t
	  LEFT JOIN provinces p ON p.id = t.province_id
	  LEFT JOIN organisations o ON o.id = t.organisation_id
	 WHERE t.name_key LIKE '%' || $1 || '%' OR t.phone = $2 OR t.national_id = $3
	 ORDER BY (t.national_id = $3 OR t.phone = $2) DESC, t.name_key, t.id
	 LIMIT $4 OFFSET $5`
	matches := []TraineeMatch{}
	err = s.db.SelectContext(ctx, &matches, q, escapeLike(key), *probe.Phone, *probe.NationalID, page.limit(), page.offset())
	return matches, err
}

// TraineeGlimpse is what a trainer is shown of a person outside their
// courses: enough to recognise and enrol them, and nothing that identifies
// or reaches them. No CIN, phone or e-mail; the decade of birth, not the
// year (a decade never moves, so watching it over time reveals no more).
type TraineeGlimpse struct {
	ID               int64           `db:"id" json:"id"`
	Category         domain.Category `db:"category" json:"category"`
	FullNameAr       *string         `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin    *string         `db:"full_name_latin" json:"full_name_latin"`
	Sex              domain.Sex      `db:"sex" json:"sex"`
	BirthDecade      *int            `db:"birth_decade" json:"birth_decade"` // 1980 for 1980–1989
	OrganisationID   *int64          `db:"organisation_id" json:"organisation_id"`
	OrganisationName *string         `db:"organisation_name" json:"organisation_name"`
}

// Limits of a trainer's search: a name needs MinNameLetters letters (after
// folding), and one search shows at most TrainerSearchLimit people.
const (
	MinNameLetters     = 3
	TrainerSearchLimit = 10
)

// glimpseSelect reads TraineeGlimpses; $1 is the trainer's scope
// (Scope.courseIDs), $2 the limit. A minor is listed only while enrolled
// (not withdrawn) in one of the scope's courses.
const glimpseSelect = `SELECT t.id, t.category, t.full_name_ar, t.full_name_latin, t.sex, t.birth_year / 10 * 10 AS birth_decade,
       t.organisation_id, coalesce(o.name_ar, o.name_fr) AS organisation_name
  FROM trainees t LEFT JOIN organisations o ON o.id = t.organisation_id
 WHERE (t.category <> 'child_parliamentarian' OR EXISTS (
        SELECT 1 FROM enrollments e
         WHERE e.trainee_id = t.id AND e.status <> 'withdrawn' AND ($1::bigint[] IS NULL OR e.course_id = ANY($1))))`

// trainerQuery is what a trainer typed, read as the search it allows.
type trainerQuery struct {
	kind       string // "identifier" (a whole CIN or phone), "name", or "too_short"
	phone, cin string // normalised, for an identifier
	nameKey    string // folded, for a name
}

// readTrainerQuery: a query with a digit in it is a CIN or a phone number,
// matched only whole (after normalisation), so that a prefix finds nobody;
// anything else is a name, of at least MinNameLetters letters.
func readTrainerQuery(query string) trainerQuery {
	if strings.IndexFunc(query, unicode.IsDigit) >= 0 {
		probe := domain.Trainee{Phone: &query, NationalID: &query}
		probe.Normalize()
		q := trainerQuery{kind: "identifier"}
		if probe.Phone != nil && probe.NationalID != nil {
			q.phone, q.cin = *probe.Phone, *probe.NationalID
		}
		return q
	}
	key := domain.SearchKey(query)
	letters := 0
	for _, r := range key {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < MinNameLetters {
		return trainerQuery{kind: "too_short"}
	}
	return trainerQuery{kind: "name", nameKey: key}
}

// SearchTraineesAsTrainer is a trainer's search: a whole CIN or phone
// number, or part of a name of at least MinNameLetters letters; at most
// TrainerSearchLimit glimpses (limit, when smaller); minors only from the
// trainer's own courses (scope). Every search is audited as by's with what
// it found and the query's length and kind, never the query: it can be a
// CIN. A name too short is a validation error on "q", audited too.
func (s *Store) SearchTraineesAsTrainer(ctx context.Context, query string, limit int, scope Scope, by *int64) (_ []TraineeGlimpse, err error) {
	defer wrap(&err, "SearchTraineesAsTrainer")
	if limit <= 0 || limit > TrainerSearchLimit {
		limit = TrainerSearchLimit
	}
	q := readTrainerQuery(query)
	found := []TraineeGlimpse{}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		switch q.kind {
		case "identifier":
			const byIdentifier = glimpseSelect + ` AND (t.phone = $3 OR t.national_id = $4) ORDER BY t.id LIMIT $2`
			err = tx.SelectContext(ctx, &found, byIdentifier, scope.courseIDs(), limit, q.phone, q.cin)
		case "name":
			const byName = glimpseSelect + ` AND t.name_key LIKE '%' || $3 || '%' ORDER BY t.name_key, t.id LIMIT $2`
			err = tx.SelectContext(ctx, &found, byName, scope.courseIDs(), limit, escapeLike(q.nameKey))
		}
		if err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: "trainee.search", Entity: "trainee",
			After: map[string]any{"kind": q.kind, "query_length": utf8.RuneCountInString(strings.TrimSpace(query)), "results": len(found)}})
	})
	if err == nil && q.kind == "too_short" {
		err = domain.Invalid("q", "people.search_too_short")
	}
	return found, err
}

// escapeLike makes % and _ in a user's query match themselves.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// PossibleDuplicates lists people with the same folded name, birth year and
// organisation as t: probably the same person, whom the user should enrol
// instead of creating a new record.
func (s *Store) PossibleDuplicates(ctx context.Context, t *domain.Trainee) (_ []TraineeMatch, err error) {
	defer wrap(&err, "PossibleDuplicates")
	probe := *t
	probe.Normalize()
	const q = traineeSelect + ` WHERE t.name_key = $1 AND t.birth_year IS NOT DISTINCT FROM $2
	   AND t.organisation_id IS NOT DISTINCT FROM $3 AND t.id <> $4 LIMIT 10`
	var found []domain.Trainee
	if err := s.db.SelectContext(ctx, &found, q, probe.NameKey(), probe.BirthYear, probe.OrganisationID, probe.ID); err != nil {
		return nil, mapError(err)
	}
	matches := make([]TraineeMatch, len(found))
	for i := range found {
		matches[i].Trainee = found[i]
	}
	return matches, nil
}

// PossibleDuplicatesAsTrainer is PossibleDuplicates as a trainer sees it:
// glimpses, and no minor outside the trainer's own courses, scope (a
// trainer creating a child who exists elsewhere makes a second record, for a
// coordinator to reconcile, rather than learn who the child is).
func (s *Store) PossibleDuplicatesAsTrainer(ctx context.Context, t *domain.Trainee, scope Scope) (_ []TraineeGlimpse, err error) {
	defer wrap(&err, "PossibleDuplicatesAsTrainer")
	probe := *t
	probe.Normalize()
	const q = glimpseSelect + ` AND t.name_key = $3 AND t.birth_year IS NOT DISTINCT FROM $4
	   AND t.organisation_id IS NOT DISTINCT FROM $5 AND t.id <> $6 ORDER BY t.id LIMIT $2`
	found := []TraineeGlimpse{}
	err = s.db.SelectContext(ctx, &found, q, scope.courseIDs(), TrainerSearchLimit, probe.NameKey(), probe.BirthYear, probe.OrganisationID, probe.ID)
	return found, mapError(err)
}

// UpdateTrainee validates and saves a trainee's fields as a user with scope
// may change them, logging the change as by's. With every course in scope
// (coordinators, admins): anyone. Otherwise (a trainer): only a person
// currently enrolled in one of the scope's courses (else domain.ErrNotFound),
// and only when every course that currently counts them is an open course
// of the scope (else ErrTraineeShared). The check runs after the person's
// row is locked: an enrolment elsewhere committed before it is seen, one
// begun after it waits for this change (its foreign key needs the row).
func (s *Store) UpdateTrainee(ctx context.Context, t *domain.Trainee, scope Scope, by *int64) (err error) {
	defer wrap(&err, "UpdateTrainee %d", t.ID)
	if scope.All() {
		return s.updateTrainee(ctx, t, by, nil)
	}
	return s.updateTrainee(ctx, t, by, func(tx *sqlx.Tx) error {
		reach, err := traineeReach(ctx, tx, t.ID, scope)
		switch {
		case err != nil:
			return err
		case !reach.Reachable:
			return domain.ErrNotFound
		case !reach.Changeable:
			return ErrTraineeShared
		}
		return nil
	})
}

// ErrTraineeShared refuses a trainer's change to a person whom a course they
// do not run (another trainer's, a coordinator's) or a closed course also
// counts: that record is a coordinator's to change. It is a domain.ErrForbidden
// whose message asks for a coordinator.
var ErrTraineeShared = domain.Refuse(domain.ErrForbidden, "people.ask_coordinator")

// updateTrainee saves t in one transaction: lock the row, run guard (nil:
// none), validate, update, audit.
func (s *Store) updateTrainee(ctx context.Context, t *domain.Trainee, by *int64, guard func(tx *sqlx.Tx) error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return updateTraineeIn(ctx, tx, t, by, guard) })
}

// updateTraineeIn is updateTrainee in tx (an import updates people in its own).
func updateTraineeIn(ctx context.Context, tx *sqlx.Tx, t *domain.Trainee, by *int64, guard func(tx *sqlx.Tx) error) error {
	var before domain.Trainee
	if err := getOne(ctx, tx, &before, traineeSelect+` WHERE t.id = $1 FOR UPDATE OF t`, t.ID); err != nil {
		return err
	}
	if guard != nil {
		if err := guard(tx); err != nil {
			return err
		}
	}
	if before.AnonymisedAt != nil {
		return ErrAlreadyAnonymised // an anonymised record is not filled in again
	}
	if err := t.ValidateEdit(time.Now(), before.GuardianConsent); err != nil {
		return err
	}
	kind, err := organisationKindFor(ctx, tx, t)
	if err != nil {
		return err
	}
	province, err := provinceID(ctx, tx, t.Province)
	if err != nil {
		return err
	}
	const q = `UPDATE trainees SET category = $2, full_name_ar = $3, full_name_latin = $4, name_key = $5, sex = $6,
	                  birth_year = $7, organisation_id = $8, organisation_kind = $9, province_id = $10,
	                  phone = $11, email = $12, national_id = $13
	            WHERE id = $1`
	if _, err := tx.ExecContext(ctx, q, t.ID, t.Category, t.FullNameAr, t.FullNameLatin, t.NameKey(), t.Sex,
		t.BirthYear, t.OrganisationID, kind, province, t.Phone, t.Email, t.NationalID); err != nil {
		return mapError(err)
	}
	if err := keepGuardianConsent(ctx, tx, t, before.GuardianConsent, by); err != nil {
		return err
	}
	// Every field that changed, named in "changed", with its values
	// before and after; a minor's (before or after the change) only
	// for the fields that decide how they are counted and which rules
	// apply (category, organisation, consent), the others by name
	// only (docs/SECURITY.md, "Minors' data").
	changed := changedFields(&before, t)
	minor := before.Category == domain.ChildParliamentarian || t.Category == domain.ChildParliamentarian
	was, now, err := fieldChanges(before, t)
	if err != nil {
		return err
	}
	if minor {
		keepMinorsCountedFields(was)
		keepMinorsCountedFields(now)
	}
	list, err := json.Marshal(changed)
	if err != nil {
		return err
	}
	now["changed"] = list
	return audit(ctx, tx, by, "trainee.update", "trainee", t.ID, was, now)
}

// changedFields names the fields whose value differs between two versions.
func changedFields(a, b *domain.Trainee) []string {
	var changed []string
	differs := func(x, y *string) bool { return (x == nil) != (y == nil) || (x != nil && *x != *y) }
	if a.Category != b.Category {
		changed = append(changed, "category")
	}
	if differs(a.FullNameAr, b.FullNameAr) {
		changed = append(changed, "full_name_ar")
	}
	if differs(a.FullNameLatin, b.FullNameLatin) {
		changed = append(changed, "full_name_latin")
	}
	if a.Sex != b.Sex {
		changed = append(changed, "sex")
	}
	if differs(a.Phone, b.Phone) {
		changed = append(changed, "phone")
	}
	if differs(a.Email, b.Email) {
		changed = append(changed, "email")
	}
	if differs(a.NationalID, b.NationalID) {
		changed = append(changed, "national_id")
	}
	if differs(a.Province, b.Province) {
		changed = append(changed, "province")
	}
	if !equalPtr(a.BirthYear, b.BirthYear) {
		changed = append(changed, "birth_year")
	}
	if !equalPtr(a.OrganisationID, b.OrganisationID) {
		changed = append(changed, "organisation_id")
	}
	if a.GuardianConsent != b.GuardianConsent {
		changed = append(changed, "guardian_consent")
	}
	return changed
}

// minorsCountedFields are the fields of a minor's record whose values the
// audit log keeps: they decide how the person is counted and which rules
// apply. A minor's other fields (names, birth year…) are logged by name.
var minorsCountedFields = map[string]bool{"category": true, "organisation_id": true, "guardian_consent": true}

// keepMinorsCountedFields removes from a change's values every field but
// minorsCountedFields.
func keepMinorsCountedFields(values map[string]json.RawMessage) {
	for field := range values {
		if !minorsCountedFields[field] {
			delete(values, field)
		}
	}
}

// auditedNewTrainee is a new person's record as the audit log keeps it:
// whole, or a minor's counted fields only.
func auditedNewTrainee(t *domain.Trainee) any {
	if t.Category != domain.ChildParliamentarian {
		return t
	}
	return map[string]any{"category": t.Category, "organisation_id": t.OrganisationID, "guardian_consent": t.GuardianConsent}
}

// equalPtr says whether two optional values are both absent or equal.
func equalPtr[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// TraineeReach is what a trainer may do with one person's record, given the
// courses they may see (their Scope).
type TraineeReach struct {
	// Minor: a child parliamentarian, listed to a trainer only when Reachable.
	Minor bool `db:"minor"`
	// Reachable: currently (not withdrawn) enrolled in one of the scope's
	// courses; the trainer may read the full record.
	Reachable bool `db:"reachable"`
	// Changeable: Reachable, and every course that currently counts the
	// person is an open course of the scope; the trainer may change it.
	Changeable bool `db:"changeable"`
}

// TraineeReach says what a trainer with scope may do with the person's
// record. An unknown person is reached by nobody: the zero TraineeReach,
// not an error.
func (s *Store) TraineeReach(ctx context.Context, traineeID int64, scope Scope) (_ TraineeReach, err error) {
	defer wrap(&err, "TraineeReach %d", traineeID)
	return traineeReach(ctx, s.db, traineeID, scope)
}

// traineeReachSQL: a withdrawn enrolment gives nothing, so that enrolling a
// person and withdrawing them at once leaves no access behind. An archived
// course is a closed one.
const traineeReachSQL = `WITH current AS (
    SELECT c.archived, ($2::bigint[] IS NULL OR c.id = ANY($2)) AS mine
      FROM enrollments e JOIN courses c ON c.id = e.course_id
     WHERE e.trainee_id = $1 AND e.status <> 'withdrawn'
)
SELECT EXISTS (SELECT 1 FROM trainees WHERE id = $1 AND category = 'child_parliamentarian') AS minor,
       EXISTS (SELECT 1 FROM current WHERE mine) AS reachable,
       EXISTS (SELECT 1 FROM current WHERE mine) AND NOT EXISTS (SELECT 1 FROM current WHERE NOT mine OR archived) AS changeable`

func traineeReach(ctx context.Context, q sqlx.QueryerContext, traineeID int64, scope Scope) (TraineeReach, error) {
	var r TraineeReach
	err := getOne(ctx, q, &r, traineeReachSQL, traineeID, scope.courseIDs())
	return r, err
}
