package repository

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// Merging two records of one person, or of one organisation, into one
// (docs/DUPLICATES.md): the removed record's enrolments, marks and members
// move to the kept one, in one transaction, audited; every row touched is
// kept as it was (merges.before) so that Unmerge puts back every row
// exactly.

// Merge is one merge as the duplicates page lists it.
type Merge struct {
	ID         int64      `db:"id" json:"id"`
	Entity     string     `db:"entity" json:"entity"` // "trainee" or "organisation"
	KeptID     int64      `db:"kept_id" json:"kept_id"`
	RemovedID  int64      `db:"removed_id" json:"removed_id"`
	MergedBy   *string    `db:"merged_by" json:"merged_by"`
	MergedAt   time.Time  `db:"merged_at" json:"merged_at"`
	UnmergedAt *time.Time `db:"unmerged_at" json:"unmerged_at"`
}

// Refusals of a merge or an unmerge, each with its message.
var (
	ErrMergeSame          = domain.Refuse(domain.ErrInvalid, "merge.same")
	ErrMergeCategories    = domain.Refuse(domain.ErrInvalid, "merge.categories_differ")
	ErrMergeKinds         = domain.Refuse(domain.ErrInvalid, "merge.kinds_differ")
	ErrUnmergeChanged     = domain.Refuse(domain.ErrConflict, "merge.changed_since")
	ErrUnmergeDone        = domain.Refuse(domain.ErrConflict, "merge.already_unmerged")
	ErrUnmergeLaterMerges = domain.Refuse(domain.ErrConflict, "merge.later_merge")
)

// MergeTrainees merges the person removedID into keptID, as by: their
// enrolments (with their marks) become keptID's, an enrolment in a course
// both follow is resolved by mergeEnrolments' rule, fields keptID left
// empty take removedID's values, and removedID's row is deleted. People of
// different categories are not merged (reclassify one first). Answers the
// merge's id, for Unmerge.
func (s *Store) MergeTrainees(ctx context.Context, keptID, removedID int64, by *int64) (_ int64, err error) {
	defer wrap(&err, "MergeTrainees %d into %d", removedID, keptID)
	if keptID == removedID {
		return 0, ErrMergeSame
	}
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		kept, removed, err := lockTwoTrainees(ctx, tx, keptID, removedID)
		if err != nil {
			return err
		}
		if kept.Category != removed.Category {
			return ErrMergeCategories
		}
		c := newCapture(ctx, tx)
		if err := c.keepRows("trainees", "t.id IN ($1, $2)", keptID, removedID); err != nil {
			return err
		}
		clashes, err := moveEnrolments(c, keptID, removedID)
		if err != nil {
			return err
		}
		refs, err := references(ctx, tx, "trainees", "enrollments")
		if err != nil {
			return err
		}
		if err := c.repoint(refs, removedID, keptID); err != nil {
			return err
		}
		if _, err := c.remove("trainees", "t.id = $1", removedID); err != nil {
			return err
		}
		if err := fillEmptyFields(c, kept, removed); err != nil {
			return err
		}
		id, err = saveMerge(c, "trainee", keptID, removedID, by, map[string]any{"clashes": clashes})
		if err != nil {
			return err
		}
		// The removed person's certificates name someone who is gone: revoked, reissued to the person kept.
		return reconcileCertificatesOf(ctx, tx, []int64{keptID, removedID}, by)
	})
	return id, err
}

// lockTwoTrainees locks both people's rows, in id order (two merges of one
// pair cannot deadlock), and reads them; either missing is ErrNotFound.
func lockTwoTrainees(ctx context.Context, tx *sqlx.Tx, keptID, removedID int64) (kept, removed *domain.Trainee, err error) {
	var people []domain.Trainee
	q := traineeSelect + ` WHERE t.id IN ($1, $2) ORDER BY t.id FOR UPDATE OF t`
	if err := tx.SelectContext(ctx, &people, q, keptID, removedID); err != nil {
		return nil, nil, mapError(err)
	}
	for i := range people {
		switch people[i].ID {
		case keptID:
			kept = &people[i]
		case removedID:
			removed = &people[i]
		}
	}
	if kept == nil || removed == nil {
		return nil, nil, domain.ErrNotFound
	}
	return kept, removed, nil
}

// moveEnrolments gives keptID removedID's enrolments. Where both are
// enrolled in one course, one enrolment is kept (clashWinner) with the
// marks of both, the most recent mark of a session winning; the other
// enrolment is deleted. The enrolments' other columns (the category and
// organisation the person had when enrolled: history) are left as they
// were. Answers how many courses clashed.
func moveEnrolments(c *capture, keptID, removedID int64) (int, error) {
	// Lock both people's enrolments: a mark saved meanwhile waits for the merge.
	if _, err := c.tx.ExecContext(c.ctx, `SELECT 1 FROM enrollments WHERE trainee_id IN ($1, $2) ORDER BY id FOR UPDATE`,
		keptID, removedID); err != nil {
		return 0, mapError(err)
	}
	type clash struct {
		Winner int64 `db:"winner"`
		Loser  int64 `db:"loser"`
	}
	var clashes []clash
	if err := c.tx.SelectContext(c.ctx, &clashes, clashSQL, keptID, removedID); err != nil {
		return 0, mapError(err)
	}
	for _, cl := range clashes {
		// Both as they are now, before their marks move and their
		// counters (kept by a trigger) follow.
		if err := c.keepRows("enrollments", "t.id IN ($1, $2)", cl.Winner, cl.Loser); err != nil {
			return 0, err
		}
		if err := mergeMarks(c, cl.Winner, cl.Loser); err != nil {
			return 0, err
		}
		if _, err := c.remove("enrollments", "t.id = $1", cl.Loser); err != nil {
			return 0, err
		}
	}
	if _, err := c.update("enrollments", "t.trainee_id = $1", []any{removedID}, []string{"trainee_id"}, keptID); err != nil {
		return 0, err
	}
	return len(clashes), nil
}

// clashSQL pairs the two people's enrolments in one course: the winner is
// the enrolment with more marks, then the one not withdrawn, then the
// earlier, then the lower id (docs/DUPLICATES.md).
const clashSQL = `WITH pair AS (
    SELECT e.course_id, e.id, row_number() OVER (PARTITION BY e.course_id
               ORDER BY e.marks_count DESC, (e.status = 'withdrawn'), e.enrolled_at, e.id) AS rank
      FROM enrollments e
     WHERE e.trainee_id IN ($1, $2)
       AND e.course_id IN (SELECT course_id FROM enrollments WHERE trainee_id = $1
                           INTERSECT SELECT course_id FROM enrollments WHERE trainee_id = $2)
)
SELECT w.id AS winner, l.id AS loser
  FROM pair w JOIN pair l ON l.course_id = w.course_id AND l.rank = 2
 WHERE w.rank = 1 ORDER BY w.course_id`

// mergeMarks gives the enrolment winner the loser's marks: for a session
// both have a mark for, the more recently saved one (the winner's when
// saved at the same moment). Rows that point at the loser in tables added
// later follow it to the winner.
func mergeMarks(c *capture, winner, loser int64) error {
	const newerElsewhere = `t.enrollment_id = $1 AND EXISTS (SELECT 1 FROM attendance o
	    WHERE o.enrollment_id = $2 AND o.session_id = t.session_id AND o.marked_at > t.marked_at)`
	if _, err := c.remove("attendance", newerElsewhere, winner, loser); err != nil {
		return err
	}
	const overlapping = `t.enrollment_id = $1 AND EXISTS (SELECT 1 FROM attendance o
	    WHERE o.enrollment_id = $2 AND o.session_id = t.session_id)`
	if _, err := c.remove("attendance", overlapping, loser, winner); err != nil {
		return err
	}
	if _, err := c.update("attendance", "t.enrollment_id = $1", []any{loser}, []string{"enrollment_id"}, winner); err != nil {
		return err
	}
	refs, err := references(c.ctx, c.tx, "enrollments", "attendance")
	if err != nil {
		return err
	}
	return c.repoint(refs, loser, winner)
}

// fillEmptyFields gives the kept person the removed one's names, birth
// year, province and contact details where the kept record has none (run
// after the removed row is deleted: its national ID may move).
func fillEmptyFields(c *capture, kept, removed *domain.Trainee) error {
	merged, changed := *kept, false
	for _, f := range []struct{ dst, src **string }{
		{&merged.FullNameAr, &removed.FullNameAr}, {&merged.FullNameLatin, &removed.FullNameLatin},
		{&merged.Phone, &removed.Phone}, {&merged.Email, &removed.Email}, {&merged.NationalID, &removed.NationalID},
		{&merged.Province, &removed.Province},
	} {
		if *f.dst == nil && *f.src != nil {
			*f.dst, changed = *f.src, true
		}
	}
	if merged.BirthYear == nil && removed.BirthYear != nil {
		merged.BirthYear, changed = removed.BirthYear, true
	}
	if !changed {
		return nil
	}
	province, err := provinceID(c.ctx, c.tx, merged.Province)
	if err != nil {
		return err
	}
	cols := []string{"full_name_ar", "full_name_latin", "name_key", "birth_year", "province_id", "phone", "email", "national_id"}
	_, err = c.update("trainees", "t.id = $1", []any{kept.ID}, cols, merged.FullNameAr, merged.FullNameLatin,
		merged.NameKey(), merged.BirthYear, province, merged.Phone, merged.Email, merged.NationalID)
	return err
}

// MergeOrganisations merges the organisation removedID into keptID, as by:
// every row that points at it (its members, the organisation an enrolment
// recorded, tables added later) points at keptID, its folded names become
// keptID's where they do not clash (a twin typed later finds keptID), and
// its row is deleted. Organisations of different kinds are not merged.
func (s *Store) MergeOrganisations(ctx context.Context, keptID, removedID int64, by *int64) (_ int64, err error) {
	defer wrap(&err, "MergeOrganisations %d into %d", removedID, keptID)
	if keptID == removedID {
		return 0, ErrMergeSame
	}
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var orgs []struct {
			ID       int64                   `db:"id"`
			Kind     domain.OrganisationKind `db:"kind"`
			Province *int64                  `db:"province_id"`
		}
		const lock = `SELECT id, kind, province_id FROM organisations WHERE id IN ($1, $2) ORDER BY id FOR UPDATE`
		if err := tx.SelectContext(ctx, &orgs, lock, keptID, removedID); err != nil {
			return mapError(err)
		}
		if len(orgs) != 2 {
			return domain.ErrNotFound
		}
		if orgs[0].Kind != orgs[1].Kind {
			return ErrMergeKinds
		}
		keptProvince := orgs[0].Province
		if orgs[1].ID == keptID {
			keptProvince = orgs[1].Province
		}
		c := newCapture(ctx, tx)
		if err := c.keepRows("organisations", "t.id IN ($1, $2)", keptID, removedID); err != nil {
			return err
		}
		refs, err := references(ctx, tx, "organisations", "organisation_keys")
		if err != nil {
			return err
		}
		if err := c.repoint(refs, removedID, keptID); err != nil {
			return err
		}
		if err := moveKeys(c, keptID, removedID, orgs[0].Kind, keptProvince); err != nil {
			return err
		}
		if _, err := c.remove("organisations", "t.id = $1", removedID); err != nil {
			return err
		}
		id, err = saveMerge(c, "organisation", keptID, removedID, by, nil)
		return err
	})
	return id, err
}

// moveKeys deletes the removed organisation's folded names and gives the
// kept one those it does not hold and no other organisation of its kind
// and province holds, so that a twin typed later finds the kept one.
func moveKeys(c *capture, keptID, removedID int64, kind domain.OrganisationKind, province *int64) error {
	var keys []string
	if err := c.tx.SelectContext(c.ctx, &keys, `SELECT key FROM organisation_keys WHERE organisation_id = $1`, removedID); err != nil {
		return mapError(err)
	}
	if _, err := c.remove("organisation_keys", "t.organisation_id = $1", removedID); err != nil {
		return err
	}
	const give = `INSERT INTO organisation_keys (organisation_id, kind, province_id, key)
	              SELECT $1, $2, $3, unnest($4::text[]) ON CONFLICT DO NOTHING RETURNING key`
	var given []string
	if err := c.tx.SelectContext(c.ctx, &given, give, keptID, kind, province, pq.Array(keys)); err != nil {
		return mapError(err)
	}
	return c.inserted("organisation_keys", "t.organisation_id = $1 AND t.key = ANY($2)", keptID, pq.Array(given))
}

// saveMerge stores the merge's before-state and audits it, in its transaction.
func saveMerge(c *capture, entity string, keptID, removedID int64, by *int64, details map[string]any) (int64, error) {
	rec, err := c.record()
	if err != nil {
		return 0, err
	}
	before, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("merge record: %w", err)
	}
	var id int64
	const insert = `INSERT INTO merges (entity, kept_id, removed_id, before, merged_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`
	if err := getOne(c.ctx, c.tx, &id, insert, entity, keptID, removedID, string(before), by); err != nil {
		return 0, err
	}
	after := map[string]any{"merge_id": id, "removed_id": removedID, "rows": rowCounts(rec)}
	for k, v := range details {
		after[k] = v
	}
	// The audit entry says what moved, not the people's data (merges.before holds it).
	return id, writeAudit(c.ctx, c.tx, AuditEntry{ActorID: by, Action: entity + ".merge", Entity: entity,
		EntityID: &keptID, After: after})
}

// rowCounts is how many rows of each table a merge changed, deleted and inserted.
func rowCounts(rec *mergeRecord) map[string][3]int {
	counts := map[string][3]int{}
	for _, t := range rec.Tables {
		counts[t.Table] = [3]int{len(t.Updated), len(t.Deleted), len(t.Inserted)}
	}
	return counts
}

// Unmerge undoes merge id, as by: every row the merge changed, deleted or
// inserted is as it was before it, in one transaction, audited. Refused
// (409) once undone, when a later merge took in one of its two records, or
// when a row it left has changed since (a mark saved on a moved
// enrolment): undoing would then drop that change.
func (s *Store) Unmerge(ctx context.Context, id int64, by *int64) (err error) {
	defer wrap(&err, "Unmerge %d", id)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var m struct {
			Entity     string     `db:"entity"`
			KeptID     int64      `db:"kept_id"`
			RemovedID  int64      `db:"removed_id"`
			Before     []byte     `db:"before"`
			UnmergedAt *time.Time `db:"unmerged_at"`
		}
		const q = `SELECT entity, kept_id, removed_id, before, unmerged_at FROM merges WHERE id = $1 FOR UPDATE`
		if err := getOne(ctx, tx, &m, q, id); err != nil {
			return err
		}
		if m.UnmergedAt != nil {
			return ErrUnmergeDone
		}
		var later bool
		const laterQ = `SELECT EXISTS (SELECT 1 FROM merges WHERE entity = $1 AND id > $2 AND unmerged_at IS NULL
		                   AND (kept_id IN ($3, $4) OR removed_id IN ($3, $4)))`
		if err := getOne(ctx, tx, &later, laterQ, m.Entity, id, m.KeptID, m.RemovedID); err != nil {
			return err
		}
		if later {
			return ErrUnmergeLaterMerges
		}
		var rec mergeRecord
		if err := json.Unmarshal(m.Before, &rec); err != nil {
			return fmt.Errorf("merge %d: %w", id, err)
		}
		r := &restorer{ctx: ctx, tx: tx, keys: map[string][]string{}, cols: map[string][]string{}}
		if same, err := r.unchanged(&rec); err != nil || !same {
			if err == nil {
				err = ErrUnmergeChanged
			}
			return err
		}
		if err := r.restore(&rec); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE merges SET unmerged_by = $2, unmerged_at = now() WHERE id = $1`, id, by); err != nil {
			return mapError(err)
		}
		return writeAudit(ctx, tx, AuditEntry{ActorID: by, Action: m.Entity + ".unmerge", Entity: m.Entity, EntityID: &m.KeptID,
			After: map[string]any{"merge_id": id, "restored_id": m.RemovedID, "rows": rowCounts(&rec)}})
	})
}

// Merges lists a page of merges, the latest first.
func (s *Store) Merges(ctx context.Context, page Page) (_ []Merge, err error) {
	defer wrap(&err, "Merges")
	const q = `SELECT m.id, m.entity, m.kept_id, m.removed_id, u.name AS merged_by, m.merged_at, m.unmerged_at
	             FROM merges m LEFT JOIN users u ON u.id = m.merged_by
	            ORDER BY m.id DESC LIMIT $1 OFFSET $2`
	merges := []Merge{}
	return merges, s.db.SelectContext(ctx, &merges, q, page.limit(), page.offset())
}
