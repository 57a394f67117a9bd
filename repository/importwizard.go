package repository

import (
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/lib/pq"

	"takaffoul/domain"
)

// The import wizard's decisions (docs/IMPORTS.md): people of the file who
// match someone on record, and organisations the file names that are not on
// record yet. Both are listed in the preview; a match with differences is
// never assumed, and a new organisation is created in the import's
// transaction.

// What to do with a row that matches a person on record with differences.
const (
	MatchRefuse      = "refuse"   // the default: the row is refused, naming both
	MatchUseExisting = "existing" // enrol the person on record, as they are
	MatchUpdate      = "update"   // update the person on record from the file, then enrol them
)

// IsMatchDecision reports whether d is one of the decisions.
func IsMatchDecision(d string) bool {
	return d == MatchRefuse || d == MatchUseExisting || d == MatchUpdate
}

// Why a row is matched to a person on record, in the order tried.
const (
	MatchByNationalID = "national_id"   // the same CIN
	MatchByIdentity   = "identity"      // no CIN; the same name, category, sex, year, organisation and province
	MatchByPhone      = "phone"         // the same phone (and no two different CINs)
	MatchByNameYear   = "name_and_year" // the same folded name and birth year (and no two different CINs)
)

// ImportMatch is a row of the file that matches a person on record, with
// the fields where the file says something else.
type ImportMatch struct {
	Row         int               `json:"row"`
	Rule        string            `json:"rule"`
	Existing    PersonRecord      `json:"existing"`
	Differences []FieldDifference `json:"differences"`
	Decision    string            `json:"decision"`
}

// FieldDifference is one field of a match: the file's value and the record's.
// Record is empty for a user who may not read the record (a trainer).
type FieldDifference struct {
	Field  string `json:"field"`
	File   string `json:"file"`
	Record string `json:"record,omitempty"`
}

// NewOrganisation is an organisation the file names that is not on record:
// created on commit (or the existing one chosen in its place), with the
// close ones on record suggested.
type NewOrganisation struct {
	Name        string                   `json:"name"`
	Key         string                   `json:"key"` // the folded name: what a choice refers to
	Kind        domain.OrganisationKind  `json:"kind,omitempty"`
	Rows        []int                    `json:"rows"`
	Suggestions []OrganisationSuggestion `json:"suggestions"`
	ChosenID    int64                    `json:"chosen_id,omitempty"` // the organisation on record used instead
	ID          int64                    `json:"id,omitempty"`        // once created (or chosen)
}

// OrganisationSuggestion is an organisation on record whose folded name is
// close (trigram similarity, pg_trgm) to a new one's.
type OrganisationSuggestion struct {
	domain.Organisation
	Similarity float64 `db:"similarity" json:"similarity"`
}

// maxSuggestions is how many close organisations are suggested for one.
const maxSuggestions = 3

// plannedOrganisation is a NewOrganisation while the import resolves it.
type plannedOrganisation struct {
	NewOrganisation
	rows  []int // indexes in file.Rows
	kinds map[domain.OrganisationKind]bool
}

// planOrganisation records that row i names an organisation not on record.
func (im *importer) planOrganisation(i int) {
	row := &im.file.Rows[i]
	key := domain.SearchKey(row.Organisation)
	if im.planned == nil {
		im.planned = map[string]*plannedOrganisation{}
	}
	p := im.planned[key]
	if p == nil {
		p = &plannedOrganisation{NewOrganisation: NewOrganisation{Name: row.Organisation, Key: key}, kinds: map[domain.OrganisationKind]bool{}}
		im.planned[key] = p
	}
	p.rows = append(p.rows, i)
	if len(p.Rows) < 20 {
		p.Rows = append(p.Rows, row.Row)
	}
	if kind := row.Trainee.Category.OrganisationKind(); kind != "" {
		p.kinds[kind] = true
	}
}

// plannedInOrder lists the new organisations by folded name.
func (im *importer) plannedInOrder() []*plannedOrganisation {
	list := make([]*plannedOrganisation, 0, len(im.planned))
	for _, p := range im.planned {
		list = append(list, p)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].Key < list[b].Key })
	return list
}

const organisationSuggestionsSQL = `SELECT o.id, o.kind, o.name_ar, o.name_fr, p.code AS province, o.registration_number,
       similarity(o.name_key, $1) AS similarity
  FROM organisations o LEFT JOIN provinces p ON p.id = o.province_id
 WHERE ($2 = '' OR o.kind = $2) AND o.name_key % $1
 ORDER BY similarity DESC, o.id LIMIT $3`

// newOrganisations suggests close organisations for each new one, then
// creates it (or takes the one the coordinator chose instead) and points
// its rows at it. An organisation whose rows give no kind (children only)
// or two kinds is refused, naming it.
func (im *importer) newOrganisations() error {
	for _, p := range im.plannedInOrder() {
		kind := domain.OrganisationKind("")
		switch len(p.kinds) {
		case 1:
			for k := range p.kinds {
				kind = k
			}
		case 0:
			im.problem(p.Rows[0], "organisation", "import.organisation_kind_unknown", p.Name)
		default:
			im.problem(p.Rows[0], "organisation", "import.organisation_kinds_differ", p.Name)
		}
		p.Kind = kind
		p.Suggestions = []OrganisationSuggestion{}
		if err := im.tx.SelectContext(im.ctx, &p.Suggestions, organisationSuggestionsSQL, p.Key, string(kind), maxSuggestions); err != nil {
			return mapError(fmt.Errorf("organisation suggestions: %w", err))
		}
		im.report.NewOrganisations = append(im.report.NewOrganisations, p.NewOrganisation)
		if kind == "" {
			continue
		}
		id, err := im.organisationFor(p)
		if err != nil {
			return err
		}
		if id == 0 {
			continue
		}
		p.ID = id
		im.report.NewOrganisations[len(im.report.NewOrganisations)-1] = p.NewOrganisation
		for _, i := range p.rows {
			im.file.Rows[i].Trainee.OrganisationID = &p.ID
			im.kinds[i] = &kind
		}
	}
	return nil
}

// organisationFor is the organisation chosen in place of p, or p created;
// 0 with a problem recorded when neither can be.
func (im *importer) organisationFor(p *plannedOrganisation) (int64, error) {
	if chosen := im.opt.Organisations[p.Key]; chosen != 0 {
		o, err := organisationIn(im.ctx, im.tx, chosen)
		switch {
		case isNotFound(err):
			im.problem(p.Rows[0], "organisation", "trainee.organisation_unknown", p.Name)
			return 0, nil
		case err != nil:
			return 0, err
		case o.Kind != p.Kind:
			im.problem(p.Rows[0], "organisation", "import.organisation_kinds_differ", p.Name)
			return 0, nil
		}
		p.ChosenID = o.ID
		return o.ID, nil
	}
	o := domain.Organisation{Kind: p.Kind}
	name := p.Name
	if strings.ContainsFunc(name, func(r rune) bool { return unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) }) {
		o.NameAr = &name
	} else {
		o.NameFr = &name
	}
	err := createOrganisation(im.ctx, im.tx, &o, im.by)
	if v, invalid := domain.AsValidation(err); invalid {
		for _, f := range v.Fields {
			im.problem(p.Rows[0], "organisation", f.Key, p.Name)
			break
		}
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	im.report.OrganisationsCreated++
	return o.ID, nil
}

// matchSteps point each row at the person on record it matches, if any,
// and say why (the rules of docs/IMPORTS.md, in this order).
var matchSteps = []struct{ what, q string }{
	{"match national ids", `UPDATE import_rows i SET match_id = t.id, match_rule = 'national_id' FROM trainees t
	                         WHERE t.national_id = i.national_id`},
	{"match identities", `UPDATE import_rows i SET match_id = m.id, match_rule = 'identity' FROM (
	                          SELECT i.line, min(t.id) AS id FROM import_rows i JOIN trainees t
	                              ON t.national_id IS NULL AND t.name_key = i.name_key
	                             AND t.category = i.category AND t.sex = i.sex
	                             AND t.birth_year IS NOT DISTINCT FROM i.birth_year
	                             AND t.organisation_id IS NOT DISTINCT FROM i.organisation_id
	                             AND t.province_id IS NOT DISTINCT FROM i.province_id
	                           WHERE i.national_id IS NULL GROUP BY i.line) m
	                       WHERE i.line = m.line`},
	// Two different CINs are two people, whatever else they share.
	{"match phones", `UPDATE import_rows i SET match_id = m.id, match_rule = 'phone' FROM (
	                      SELECT i.line, min(t.id) AS id FROM import_rows i JOIN trainees t ON t.phone = i.phone
	                       WHERE i.match_id IS NULL AND (i.national_id IS NULL OR t.national_id IS NULL) GROUP BY i.line) m
	                   WHERE i.line = m.line`},
	{"match names and years", `UPDATE import_rows i SET match_id = m.id, match_rule = 'name_and_year' FROM (
	                      SELECT i.line, min(t.id) AS id FROM import_rows i JOIN trainees t
	                          ON t.name_key = i.name_key AND t.birth_year = i.birth_year
	                       WHERE i.match_id IS NULL AND (i.national_id IS NULL OR t.national_id IS NULL) GROUP BY i.line) m
	                   WHERE i.line = m.line`},
}

// matchRowSQL is each matched row beside the person it matches, with the
// names of both organisations and provinces for the differences.
const matchRowSQL = `SELECT i.line, i.match_rule, t.id,
       i.category AS f_category, i.full_name_ar AS f_name_ar, i.full_name_latin AS f_name_latin, i.sex AS f_sex,
       i.birth_year AS f_birth_year, i.organisation_id AS f_org, coalesce(fo.name_fr, fo.name_ar) AS f_org_name,
       fp.code AS f_province, i.phone AS f_phone, i.email AS f_email, i.national_id AS f_national_id,
       i.guardian_consent AS f_consent,
       t.category, t.full_name_ar, t.full_name_latin, t.sex, t.birth_year, t.organisation_id AS org,
       coalesce(o.name_fr, o.name_ar) AS org_name, p.code AS province, t.phone, t.email, t.national_id,
       ` + activeConsentSQL + ` AS guardian_consent
  FROM import_rows i JOIN trainees t ON t.id = i.match_id
  LEFT JOIN organisations fo ON fo.id = i.organisation_id LEFT JOIN provinces fp ON fp.id = i.province_id
  LEFT JOIN organisations o ON o.id = t.organisation_id LEFT JOIN provinces p ON p.id = t.province_id
 ORDER BY i.line`

type matchRow struct {
	Line, ID                             int64
	Rule                                 string
	FCategory, FSex                      string
	FNameAr, FNameLatin, FOrgName        sql.NullString
	FProvince, FPhone, FEmail, FNational sql.NullString
	FBirthYear, FOrg                     sql.NullInt64
	FConsent                             bool
	Category, Sex                        string
	NameAr, NameLatin, OrgName           sql.NullString
	Province, Phone, Email, National     sql.NullString
	BirthYear, Org                       sql.NullInt64
	Consent                              bool
}

// differences lists the fields where the file says something other than
// the record; a cell left empty says nothing. Names are compared folded.
func (m *matchRow) differences(consentColumn bool) []FieldDifference {
	var d []FieldDifference
	add := func(field, file, record string, same bool) {
		if !same {
			d = append(d, FieldDifference{Field: field, File: file, Record: record})
		}
	}
	text := func(field string, file, record sql.NullString, fold bool) {
		if !file.Valid {
			return
		}
		same := file.String == record.String
		if fold {
			same = domain.SearchKey(file.String) == domain.SearchKey(record.String)
		}
		add(field, file.String, record.String, record.Valid && same)
	}
	add("category", m.FCategory, m.Category, m.FCategory == m.Category)
	text("full_name_ar", m.FNameAr, m.NameAr, true)
	text("full_name_latin", m.FNameLatin, m.NameLatin, true)
	add("sex", m.FSex, m.Sex, m.FSex == m.Sex)
	if m.FBirthYear.Valid {
		add("birth_year", strconv.FormatInt(m.FBirthYear.Int64, 10), nullInt(m.BirthYear), m.BirthYear == m.FBirthYear)
	}
	if m.FOrg.Valid {
		add("organisation", m.FOrgName.String, m.OrgName.String, m.Org == m.FOrg)
	}
	text("province", m.FProvince, m.Province, false)
	text("phone", m.FPhone, m.Phone, false)
	text("email", m.FEmail, m.Email, true)
	text("national_id", m.FNational, m.National, false)
	if consentColumn {
		add("guardian_consent", strconv.FormatBool(m.FConsent), strconv.FormatBool(m.Consent), m.FConsent == m.Consent)
	}
	return d
}

func nullInt(n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return strconv.FormatInt(n.Int64, 10)
}

// match points the rows at the people on record they match, lists the
// matches that differ with their decision, and records a problem for each
// one refused. A match without differences is the same person: reused.
func (im *importer) match() error {
	for _, step := range matchSteps {
		if _, err := im.tx.ExecContext(im.ctx, step.q); err != nil {
			return mapError(fmt.Errorf("import %s: %w", step.what, err))
		}
	}
	rows, err := im.tx.QueryContext(im.ctx, matchRowSQL)
	if err != nil {
		return mapError(fmt.Errorf("import matches: %w", err))
	}
	defer rows.Close()
	consentColumn := false
	for _, c := range im.file.Columns {
		consentColumn = consentColumn || c == "guardian_consent"
	}
	var lines, ids []int64
	for rows.Next() {
		var m matchRow
		if err := rows.Scan(&m.Line, &m.Rule, &m.ID, &m.FCategory, &m.FNameAr, &m.FNameLatin, &m.FSex, &m.FBirthYear, &m.FOrg,
			&m.FOrgName, &m.FProvince, &m.FPhone, &m.FEmail, &m.FNational, &m.FConsent,
			&m.Category, &m.NameAr, &m.NameLatin, &m.Sex, &m.BirthYear, &m.Org, &m.OrgName, &m.Province,
			&m.Phone, &m.Email, &m.National, &m.Consent); err != nil {
			return err
		}
		diffs := m.differences(consentColumn)
		decision := MatchUseExisting
		if len(diffs) > 0 {
			decision = im.decision(int(m.Line))
			im.listMatch(&m, diffs, decision)
		}
		switch decision {
		case MatchRefuse:
			im.problem(int(m.Line), "", "import.match_refused", describeMatch(&m, im.opt.MayUpdate))
			continue
		case MatchUpdate:
			if !im.opt.MayUpdate {
				im.problem(int(m.Line), "", "import.match_update_forbidden", describeMatch(&m, false))
				continue
			}
			im.updates = append(im.updates, m.Line)
		}
		lines, ids = append(lines, m.Line), append(ids, m.ID)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	const reuse = `UPDATE import_rows i SET trainee_id = m.id FROM unnest($1::int[], $2::bigint[]) AS m(line, id) WHERE i.line = m.line`
	if _, err := im.tx.ExecContext(im.ctx, reuse, pq.Array(lines), pq.Array(ids)); err != nil {
		return mapError(fmt.Errorf("import reuse: %w", err))
	}
	return nil
}

// decision is the coordinator's choice for a row, else the one for all,
// else refuse.
func (im *importer) decision(row int) string {
	if d := im.opt.Decisions[row]; IsMatchDecision(d) {
		return d
	}
	if IsMatchDecision(im.opt.DecideAll) {
		return im.opt.DecideAll
	}
	return MatchRefuse
}

// listMatch adds a match that differs to the report; a user who may not
// read the record (a trainer) sees which fields differ, not the record's values.
func (im *importer) listMatch(m *matchRow, diffs []FieldDifference, decision string) {
	existing := PersonRecord{ID: m.ID, Category: domain.Category(m.Category)}
	if im.opt.MayUpdate {
		existing.FullNameAr, existing.FullNameLatin = nullString(m.NameAr), nullString(m.NameLatin)
		existing.NationalID, existing.OrganisationName = nullString(m.National), nullString(m.OrgName)
		if m.BirthYear.Valid {
			year := int(m.BirthYear.Int64)
			existing.BirthYear = &year
		}
	} else {
		for i := range diffs {
			diffs[i].Record = ""
		}
	}
	im.report.Matches = append(im.report.Matches, ImportMatch{Row: int(m.Line), Rule: m.Rule, Existing: existing,
		Differences: diffs, Decision: decision})
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// describeMatch names both people for the refusal: the file's and the
// record's, by name when the user may read the record (else a trainer could
// learn a stranger's name from a CIN), and by number on record.
func describeMatch(m *matchRow, showRecord bool) string {
	name := func(ar, latin sql.NullString) string {
		if latin.Valid && ar.Valid {
			return latin.String + " / " + ar.String
		}
		if latin.Valid {
			return latin.String
		}
		return ar.String
	}
	record := "#" + strconv.FormatInt(m.ID, 10)
	if showRecord {
		record = "«" + name(m.NameAr, m.NameLatin) + "» (" + record + ")"
	}
	return "«" + name(m.FNameAr, m.FNameLatin) + "» ↔ " + record
}

// updateMatched updates the people the coordinator chose to update from
// the file: each field the file gives replaces the record's, audited as
// an edit of the person page is.
func (im *importer) updateMatched() error {
	if len(im.updates) == 0 {
		return nil
	}
	byLine := map[int64]*domain.ImportRow{}
	index := map[int64]int{}
	for i := range im.file.Rows {
		byLine[int64(im.file.Rows[i].Row)] = &im.file.Rows[i]
		index[int64(im.file.Rows[i].Row)] = i
	}
	codes, err := im.provinceCodes()
	if err != nil {
		return err
	}
	for _, line := range im.updates {
		row := byLine[line]
		var id int64
		if err := getOne(im.ctx, im.tx, &id, `SELECT trainee_id FROM import_rows WHERE line = $1`, line); err != nil {
			return err
		}
		var t domain.Trainee
		if err := getOne(im.ctx, im.tx, &t, traineeSelect+` WHERE t.id = $1`, id); err != nil {
			return err
		}
		overlay(&t, &row.Trainee, im.file.Columns)
		if p := im.provinces[index[line]]; p != nil {
			code := codes[*p]
			t.Province = &code
		}
		err := updateTraineeIn(im.ctx, im.tx, &t, im.by, nil)
		if v, invalid := domain.AsValidation(err); invalid {
			for field, p := range v.Fields {
				im.problem(int(line), field, p.Key, p.Param)
			}
			continue
		}
		if err != nil {
			return err
		}
		im.report.Updated++
	}
	return nil
}

// overlay writes the file's values over the record's: what the file says
// (a cell not empty) replaces it.
func overlay(t, file *domain.Trainee, columns []string) {
	t.Category, t.Sex = file.Category, file.Sex
	for _, f := range []struct{ dst, src **string }{{&t.FullNameAr, &file.FullNameAr}, {&t.FullNameLatin, &file.FullNameLatin},
		{&t.Phone, &file.Phone}, {&t.Email, &file.Email}, {&t.NationalID, &file.NationalID}} {
		if *f.src != nil {
			*f.dst = *f.src
		}
	}
	if file.BirthYear != nil {
		t.BirthYear = file.BirthYear
	}
	if file.OrganisationID != nil {
		t.OrganisationID = file.OrganisationID
	}
	for _, c := range columns {
		if c == "guardian_consent" { // a consent it records is the list's (consents.go)
			t.GuardianConsent, t.ConsentMethod = file.GuardianConsent, domain.ConsentImportList
		}
	}
}

func (im *importer) provinceCodes() (map[int64]string, error) {
	var ps []struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
	}
	if err := im.tx.SelectContext(im.ctx, &ps, `SELECT id, code FROM provinces`); err != nil {
		return nil, mapError(err)
	}
	codes := make(map[int64]string, len(ps))
	for _, p := range ps {
		codes[p.ID] = p.Code
	}
	return codes, nil
}
