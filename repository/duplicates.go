package repository

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"takaffoul/domain"
)

// Likely duplicates, for a coordinator to merge or leave
// (docs/DUPLICATES.md). Records are compared within blocks (hashed joins),
// never each with every other.

// similarNames is the trigram similarity (pg_trgm, migration 00001) from
// which two folded names are listed as likely the same.
const similarNames = "0.6"

// Reasons two records are listed as one.
const (
	ReasonNationalID   = "national_id"   // CINs one character apart
	ReasonNameAndYear  = "name_and_year" // same folded name and birth year, other organisations
	ReasonSimilarNames = "similar_names" // trigram-similar names in one organisation
)

// PersonRecord is a person as the duplicates page shows them: enough for
// a coordinator to decide (the CIN is what some pairs differ by).
type PersonRecord struct {
	ID               int64           `db:"id" json:"id"`
	Category         domain.Category `db:"category" json:"category"`
	FullNameAr       *string         `db:"full_name_ar" json:"full_name_ar"`
	FullNameLatin    *string         `db:"full_name_latin" json:"full_name_latin"`
	BirthYear        *int            `db:"birth_year" json:"birth_year"`
	NationalID       *string         `db:"national_id" json:"national_id"`
	OrganisationName *string         `db:"organisation_name" json:"organisation_name"`
	Enrolments       int             `db:"enrolments" json:"enrolments"`
}

// PersonPair is two records that are likely one person.
type PersonPair struct {
	Reason string       `json:"reason"`
	A      PersonRecord `json:"a"`
	B      PersonRecord `json:"b"`
}

// OrganisationRecord is an organisation as the duplicates page shows it.
type OrganisationRecord struct {
	domain.Organisation
	Members int `db:"members" json:"members"`
}

// OrganisationPair is two organisations that are likely one.
type OrganisationPair struct {
	A OrganisationRecord `json:"a"`
	B OrganisationRecord `json:"b"`
}

// personPairsSQL lists a page ($1, $2) of pairs (a.id < b.id).
// CINs one character apart — the same after deleting the character at one
// place (a typo), or one CIN the other with one character more — are
// numbered in sequence, so neighbours are often two people: a pair is
// listed only when the names are trigram-similar too. Compared within a
// block of names that begin alike (hashed), not across the country.
const personPairsSQL = `WITH variants AS (
    SELECT t.id, length(t.national_id) AS len, i, overlay(t.national_id PLACING '' FROM i FOR 1) AS v,
           left(t.name_key, 2) AS block, t.name_key
      FROM trainees t CROSS JOIN LATERAL generate_series(1, length(t.national_id)) AS i
     WHERE t.national_id IS NOT NULL
), cin AS (
    SELECT least(a.id, b.id) AS a, greatest(a.id, b.id) AS b
      FROM variants a JOIN variants b ON b.block = a.block AND b.v = a.v AND b.i = a.i AND b.len = a.len AND b.id > a.id
     WHERE similarity(a.name_key, b.name_key) >= ` + similarNames + `
    UNION
    SELECT least(a.id, t.id), greatest(a.id, t.id)
      FROM variants a JOIN trainees t ON t.national_id = a.v AND left(t.name_key, 2) = a.block
     WHERE similarity(a.name_key, t.name_key) >= ` + similarNames + `
), same_name AS (
    SELECT a.id AS a, b.id AS b
      FROM trainees a JOIN trainees b ON b.name_key = a.name_key AND b.birth_year = a.birth_year AND b.id > a.id
     WHERE a.organisation_id IS DISTINCT FROM b.organisation_id
       AND a.name_key <> '' -- anonymised people have no name to share (issue 18)
), one_org AS (
    -- Within one organisation, names that begin alike (a block, hashed) and
    -- are trigram-similar: a member is compared with the few of their
    -- organisation whose name starts as theirs, not with all its members.
    SELECT a.id AS a, b.id AS b
      FROM trainees a JOIN trainees b ON b.organisation_id = a.organisation_id
                                     AND left(b.name_key, 2) = left(a.name_key, 2) AND b.id > a.id
     WHERE similarity(a.name_key, b.name_key) >= ` + similarNames + `
)
-- A pair is listed once, under its first reason; reasons in this order.
SELECT reason, a, b FROM (
    SELECT DISTINCT ON (a, b) rank, reason, a, b FROM (
        SELECT 1 AS rank, 'national_id' AS reason, a, b FROM cin
        UNION ALL SELECT 2, 'name_and_year', a, b FROM same_name
        UNION ALL SELECT 3, 'similar_names', a, b FROM one_org) r
     ORDER BY a, b, rank) listed
 ORDER BY rank, a, b LIMIT $1 OFFSET $2`

const personRecordSQL = `SELECT t.id, t.category, t.full_name_ar, t.full_name_latin, t.birth_year, t.national_id,
       coalesce(o.name_ar, o.name_fr) AS organisation_name,
       (SELECT count(*) FROM enrollments e WHERE e.trainee_id = t.id) AS enrolments
  FROM trainees t LEFT JOIN organisations o ON o.id = t.organisation_id
 WHERE t.id = ANY($1)`

// LikelyDuplicatePeople lists a page of pairs of records that are likely
// one person: CIN pairs first, then same name and year, then similar
// names; a pair is listed once, under its first reason.
func (s *Store) LikelyDuplicatePeople(ctx context.Context, page Page) (_ []PersonPair, err error) {
	defer wrap(&err, "LikelyDuplicatePeople")
	pairs := []PersonPair{}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var found []struct {
			Reason string `db:"reason"`
			A      int64  `db:"a"`
			B      int64  `db:"b"`
		}
		if err := tx.SelectContext(ctx, &found, personPairsSQL, page.limit(), page.offset()); err != nil {
			return mapError(err)
		}
		var ids []int64
		for _, f := range found {
			ids = append(ids, f.A, f.B)
		}
		var records []PersonRecord
		if err := tx.SelectContext(ctx, &records, personRecordSQL, pq.Array(ids)); err != nil {
			return mapError(err)
		}
		byID := map[int64]PersonRecord{}
		for _, r := range records {
			byID[r.ID] = r
		}
		for _, f := range found {
			pairs = append(pairs, PersonPair{Reason: f.Reason, A: byID[f.A], B: byID[f.B]})
		}
		return nil
	})
	return pairs, err
}

// organisationPairsSQL: organisations of one kind and one province (or
// either without one) whose folded names are trigram-similar or equal
// (twins from before migration 00013). Two provinces' "Association Al
// Amal" are two associations: not listed. Compared within a province (an
// organisation without one, with all of its kind), not across the country.
const organisationPairsSQL = `WITH pairs AS (
    SELECT a.id AS a, b.id AS b, similarity(a.name_key, b.name_key) AS sim
      FROM organisations a JOIN organisations b ON b.kind = a.kind AND b.id > a.id
                                               AND coalesce(b.province_id, 0) = coalesce(a.province_id, 0)
    UNION ALL
    SELECT least(a.id, b.id), greatest(a.id, b.id), similarity(a.name_key, b.name_key)
      FROM organisations a JOIN organisations b ON b.kind = a.kind AND b.province_id IS NOT NULL
     WHERE a.province_id IS NULL
)
SELECT a, b FROM pairs WHERE sim >= ` + similarNames + ` ORDER BY sim DESC, a, b LIMIT $1 OFFSET $2`

const organisationRecordSQL = organisationSelect + `
 WHERE o.id = ANY($1)`

// LikelyDuplicateOrganisations lists a page of pairs of organisations
// that are likely one, the most similar first.
func (s *Store) LikelyDuplicateOrganisations(ctx context.Context, page Page) (_ []OrganisationPair, err error) {
	defer wrap(&err, "LikelyDuplicateOrganisations")
	pairs := []OrganisationPair{}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var found []struct {
			A int64 `db:"a"`
			B int64 `db:"b"`
		}
		if err := tx.SelectContext(ctx, &found, organisationPairsSQL, page.limit(), page.offset()); err != nil {
			return mapError(err)
		}
		var ids []int64
		for _, f := range found {
			ids = append(ids, f.A, f.B)
		}
		var orgs []domain.Organisation
		if err := tx.SelectContext(ctx, &orgs, organisationRecordSQL, pq.Array(ids)); err != nil {
			return mapError(err)
		}
		var members []struct {
			ID    int64 `db:"id"`
			Count int   `db:"n"`
		}
		const count = `SELECT organisation_id AS id, count(*) AS n FROM trainees WHERE organisation_id = ANY($1) GROUP BY 1`
		if err := tx.SelectContext(ctx, &members, count, pq.Array(ids)); err != nil {
			return mapError(err)
		}
		byID := map[int64]OrganisationRecord{}
		for _, o := range orgs {
			byID[o.ID] = OrganisationRecord{Organisation: o}
		}
		for _, m := range members {
			r := byID[m.ID]
			r.Members = m.Count
			byID[m.ID] = r
		}
		for _, f := range found {
			pairs = append(pairs, OrganisationPair{A: byID[f.A], B: byID[f.B]})
		}
		return nil
	})
	return pairs, err
}
