package repository

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"takaffoul/domain"
)

// ImportOptions says what to do with a parsed participant list.
type ImportOptions struct {
	// CourseID, when set, enrols everyone in the course. Someone already
	// enrolled (even withdrawn) is counted, not an error.
	CourseID int64
	// Scope must allow CourseID: a trainer imports into their own courses only.
	Scope Scope
	// OverrideCapacity lets a coordinator enrol beyond the course's capacity;
	// without it an import that would overfill the course is refused whole.
	OverrideCapacity bool
	// DryRun validates and counts everything, then rolls back.
	DryRun bool
	// Decisions says, by row, what to do with a row that matches a person
	// on record with differences (MatchRefuse, MatchUseExisting,
	// MatchUpdate); DecideAll for the rows without one. The default refuses.
	Decisions map[int]string
	DecideAll string
	// MayUpdate lets the import update people on record (coordinators), and
	// show the record's values in the differences.
	MayUpdate bool
	// Organisations maps a new organisation's folded name to the
	// organisation on record to use in its place (a suggestion taken).
	Organisations map[string]int64
}

// ImportReport says what an import did (or, dry run, would do).
type ImportReport struct {
	DryRun          bool     `json:"dry_run"`
	Rows            int      `json:"rows"`
	Created         int      `json:"created"`          // new people
	Reused          int      `json:"reused"`           // people already on record
	Enrolled        int      `json:"enrolled"`         // new enrolments in the course
	AlreadyEnrolled int      `json:"already_enrolled"` // already in the course
	Ignored         []string `json:"ignored_columns,omitempty"`
	// The wizard's preview (importwizard.go): people matched with
	// differences, and organisations not on record yet.
	Updated              int               `json:"updated"` // people on record updated from the file
	OrganisationsCreated int               `json:"organisations_created"`
	Matches              []ImportMatch     `json:"matches"`
	NewOrganisations     []NewOrganisation `json:"new_organisations"`
	// How the file was read, and every column with its field.
	Read    ImportRead            `json:"read"`
	Columns []domain.ImportHeader `json:"columns"`
}

// ImportRead says how a file was read: "xlsx" or "csv", a CSV file's
// encoding and separator, an XLSX workbook's date system, and the pivot of
// two-digit years (domain.TwoDigitYearPivot).
type ImportRead struct {
	Format    string `json:"format"`
	Encoding  string `json:"encoding,omitempty"`
	Separator string `json:"separator,omitempty"`
	Date1904  bool   `json:"date_1904,omitempty"`
	Pivot     int    `json:"two_digit_year_pivot"`
}

// ImportTrainees writes a parsed participant list in one transaction,
// all or nothing. Every problem of the file and of the database lookups
// (unknown province, a child too old for the course, a full course, a
// person on record who differs and was not decided on) is returned at once
// as a *domain.ImportError, and nothing is written; the report is returned
// with it, for the preview. People already on record are matched (the
// same CIN, identity, phone, or folded name and birth year: importwizard.go)
// and reused when the file agrees with the record, else as opt decides.
// Organisations not on record are created. The enrolments and the audit
// entry are by's, in the same transaction.
func (s *Store) ImportTrainees(ctx context.Context, file *domain.ImportFile, opt ImportOptions, by *int64) (_ *ImportReport, err error) {
	defer wrap(&err, "ImportTrainees")
	if opt.CourseID != 0 && !opt.Scope.Allows(opt.CourseID) {
		return nil, notFound("course")
	}
	if len(file.Rows) == 0 {
		// Nothing readable (wrong encoding, no header...): no database work.
		if err := file.Err(); err != nil {
			return newImportReport(file, opt), err
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	report, err := importInTx(ctx, tx, file, opt, by, nil)
	if err != nil || opt.DryRun {
		return report, err
	}
	if err := tx.Commit(); err != nil {
		return nil, mapError(fmt.Errorf("commit import: %w", err))
	}
	return report, nil
}

// newImportReport is the report of file before any database work.
func newImportReport(file *domain.ImportFile, opt ImportOptions) *ImportReport {
	report := &ImportReport{DryRun: opt.DryRun, Rows: len(file.Rows), Ignored: file.Ignored,
		Matches: []ImportMatch{}, NewOrganisations: []NewOrganisation{}, Columns: file.Headers,
		Read: ImportRead{Format: file.Format, Encoding: file.Encoding, Separator: file.Separator, Date1904: file.Date1904, Pivot: file.Pivot}}
	if report.Columns == nil {
		report.Columns = []domain.ImportHeader{}
	}
	return report
}

// importInTx runs an import's steps in tx, telling phase (when not nil)
// as it moves from checking the rows to writing them (an import job's
// progress, importjobs.go). The caller commits or rolls back. A refused
// file's report comes with its *domain.ImportError, for the preview.
func importInTx(ctx context.Context, tx *sqlx.Tx, file *domain.ImportFile, opt ImportOptions, by *int64, phase func(string)) (*ImportReport, error) {
	if phase == nil {
		phase = func(string) {}
	}
	report := newImportReport(file, opt)
	im := &importer{ctx: ctx, tx: tx, file: file, opt: opt, by: by, report: report, now: time.Now(), phase: phase}
	if err := im.run(); err != nil {
		var refused *domain.ImportError
		if errors.As(err, &refused) {
			return report, err
		}
		return nil, err
	}
	return report, nil
}

// importer carries one import through its steps.
type importer struct {
	ctx        context.Context
	tx         *sqlx.Tx
	file       *domain.ImportFile
	opt        ImportOptions
	by         *int64 // the user importing: enrolments and the audit entry are theirs
	report     *ImportReport
	problems   []domain.ImportProblem
	courseYear int
	now        time.Time                       // when the import began: the current year of the minors' rule without a course
	kinds      []*domain.OrganisationKind      // per row
	provinces  []*int64                        // per row
	planned    map[string]*plannedOrganisation // organisations to create, by folded name
	updates    []int64                         // lines of the rows whose person is updated from the file
	phase      func(string)                    // told "writing" once the rows are checked
}

func (im *importer) problem(row int, column, key, param string) {
	im.problems = append(im.problems, domain.ImportProblem{Row: row, Column: column, Key: key, Param: param})
}

func (im *importer) run() error {
	if err := im.loadForMatching(); err != nil {
		return err
	}
	if err := im.match(); err != nil {
		return err
	}
	if err := im.refuseIfProblems(); err != nil {
		return err
	}
	im.phase("writing")
	if err := im.create(); err != nil {
		return err
	}
	if err := im.updateMatched(); err != nil {
		return err
	}
	if err := im.recordConsents(); err != nil {
		return err
	}
	if err := im.enrol(); err != nil {
		return err
	}
	if err := im.refuseIfProblems(); err != nil {
		return err
	}
	return im.audit()
}

// loadForMatching takes the import's locks and settings, resolves the
// rows' organisations and provinces, and loads them into import_rows: what
// comes before the matches.
func (im *importer) loadForMatching() error {
	if _, err := im.tx.ExecContext(im.ctx, `SELECT pg_advisory_xact_lock($1)`, importLock); err != nil {
		return fmt.Errorf("import lock: %w", err)
	}
	for _, step := range []func() error{im.tuneTransaction, im.lockCourse, im.resolve, im.newOrganisations} {
		if err := step(); err != nil {
			return err
		}
	}
	im.refuseSameIdentity()
	return im.load()
}

// importSettings are the import transaction's own planner and memory
// settings (docs/BENCHMARKS.md, "The import's time, statement by
// statement"). Of a 100,000-row import's 18 s, JIT compiled the audit
// and matching statements for 1.3 s and bought nothing on statements run
// once; the insert's sort of the new people spilled 18 MB to disk at the
// default 4 MB work_mem. SET LOCAL ends with the transaction.
var importSettings = []string{"SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'"}

func (im *importer) tuneTransaction() error {
	for _, set := range importSettings {
		if _, err := im.tx.ExecContext(im.ctx, set); err != nil {
			return fmt.Errorf("import settings (%s): %w", set, err)
		}
	}
	return nil
}

// refuseIfProblems ends the import with every problem found so far, the
// parser's and the database's together.
func (im *importer) refuseIfProblems() error {
	if len(im.file.Problems)+len(im.problems) == 0 {
		return nil
	}
	all := append(append([]domain.ImportProblem{}, im.file.Problems...), im.problems...)
	domain.SortImportProblems(all)
	return &domain.ImportError{Problems: all}
}

// lockCourse locks the course row, as Enroll does, so that an import and
// enrolments cannot together fill the course beyond its capacity.
func (im *importer) lockCourse() error {
	if im.opt.CourseID == 0 {
		return nil
	}
	var course struct {
		Year     int  `db:"year"`
		Archived bool `db:"archived"`
	}
	const q = `SELECT year, archived FROM courses WHERE id = $1 FOR UPDATE`
	if err := getOne(im.ctx, im.tx, &course, q, im.opt.CourseID); err != nil {
		return err
	}
	if course.Archived {
		im.problem(0, "", "course.archived", "")
	}
	im.courseYear = course.Year
	return nil
}

// resolve finds each row's province and organisation, checks the
// organisation's kind against the category, and that a child is a minor in
// the course's year.
func (im *importer) resolve() error {
	provinces, err := im.provinceIndex()
	if err != nil {
		return err
	}
	organisations, err := im.organisationIndex()
	if err != nil {
		return err
	}
	im.kinds = make([]*domain.OrganisationKind, len(im.file.Rows))
	im.provinces = make([]*int64, len(im.file.Rows))
	for i := range im.file.Rows {
		row := &im.file.Rows[i]
		t := &row.Trainee
		if t.Province != nil {
			if id, ok := provinces[strings.ToLower(*t.Province)]; ok {
				im.provinces[i] = &id
			} else {
				im.problem(row.Row, "province", "province.unknown", *t.Province)
			}
		}
		if row.Organisation != "" {
			im.resolveOrganisation(i, organisations)
		}
		im.checkMinor(row)
	}
	return nil
}

// checkMinor refuses a child parliamentarian who is not a minor in the
// course's year or, for a list imported without a course, in the current
// year (domain.CheckMinorThisYear), naming the row and the birth year.
func (im *importer) checkMinor(row *domain.ImportRow) {
	t := &row.Trainee
	if t.Category != domain.ChildParliamentarian || t.BirthYear == nil {
		return
	}
	if im.opt.CourseID != 0 {
		if !domain.IsMinorIn(*t.BirthYear, im.courseYear) {
			im.problem(row.Row, "birth_year", "enrollment.child_not_minor", strconv.Itoa(im.courseYear))
		}
		return
	}
	if v, refused := domain.AsValidation(t.CheckMinorThisYear(im.now)); refused {
		p := v.Fields["birth_year"]
		im.problem(row.Row, "birth_year", p.Key, p.Param)
	}
}

// refuseSameIdentity refuses two rows without a national ID that name the
// same person once organisations and provinces are resolved ("1" and
// "Centre multifonctionnel" may be one organisation): both would be
// created, and matched to one person on the next import.
func (im *importer) refuseSameIdentity() {
	first := map[string]int{}
	for i, row := range im.file.Rows {
		t := &row.Trainee
		if t.NationalID != nil {
			continue // the national ID is the identity; the parser checked those
		}
		key := fmt.Sprint(t.NameKey(), "|", t.Category, "|", t.Sex, "|", intOrNil(t.BirthYear), "|",
			int64OrNil(t.OrganisationID), "|", int64OrNil(im.provinces[i]))
		if seen, dup := first[key]; dup {
			im.problem(row.Row, "", "import.duplicate_row", strconv.Itoa(seen))
			continue
		}
		first[key] = row.Row
	}
}

func intOrNil(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}

func int64OrNil(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}

func (im *importer) resolveOrganisation(i int, organisations *organisationIndex) {
	row := &im.file.Rows[i]
	org, key := organisations.find(row.Organisation)
	if _, err := strconv.ParseInt(row.Organisation, 10, 64); org == nil && key == "trainee.organisation_unknown" && err != nil {
		im.planOrganisation(i) // created on commit (newOrganisations)
		return
	}
	if org == nil {
		im.problem(row.Row, "organisation", key, row.Organisation)
		return
	}
	if want := row.Trainee.Category.OrganisationKind(); want != "" && org.kind != want {
		key := "trainee.institution_required"
		if want == domain.Association {
			key = "trainee.association_required"
		}
		im.problem(row.Row, "organisation", key, row.Organisation)
		return
	}
	row.Trainee.OrganisationID = &org.id
	im.kinds[i] = &org.kind
}

// provinceIndex maps each province's code and names, lower-cased, to its id:
// a list may name the province as the coordinator knows it.
func (im *importer) provinceIndex() (map[string]int64, error) {
	var ps []struct {
		ID     int64  `db:"id"`
		Code   string `db:"code"`
		NameAr string `db:"name_ar"`
		NameFr string `db:"name_fr"`
	}
	if err := im.tx.SelectContext(im.ctx, &ps, `SELECT id, code, name_ar, name_fr FROM provinces`); err != nil {
		return nil, mapError(err)
	}
	index := make(map[string]int64, 3*len(ps))
	for _, p := range ps {
		index[p.Code] = p.ID
		index[strings.ToLower(p.NameAr)] = p.ID
		index[strings.ToLower(p.NameFr)] = p.ID
	}
	return index, nil
}

type organisationRef struct {
	id   int64
	kind domain.OrganisationKind
}

// organisationIndex finds organisations the way a list names them: by id,
// by registration number, or by name folded (case, accents, spaces do not count).
type organisationIndex struct {
	byID, byRegistration map[string]*organisationRef
	byName               map[string][]*organisationRef
}

// find resolves a reference, or returns the message key saying why not.
func (x *organisationIndex) find(ref string) (*organisationRef, string) {
	if o := x.byID[ref]; o != nil {
		return o, ""
	}
	if o := x.byRegistration[ref]; o != nil {
		return o, ""
	}
	switch named := x.byName[domain.SearchKey(ref)]; len(named) {
	case 0:
		return nil, "trainee.organisation_unknown"
	case 1:
		return named[0], ""
	}
	return nil, "import.organisation_ambiguous"
}

// organisationIndex loads only the organisations the file names.
func (im *importer) organisationIndex() (*organisationIndex, error) {
	var ids []int64
	var refs, names []string
	seen, wanted := map[string]bool{}, map[string]bool{}
	for _, row := range im.file.Rows {
		ref := row.Organisation
		if ref == "" || seen[ref] {
			continue
		}
		seen[ref] = true
		if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
			ids = append(ids, id)
		}
		refs = append(refs, ref)
		names = append(names, domain.SearchKey(ref))
		wanted[domain.SearchKey(ref)] = true
	}
	x := &organisationIndex{byID: map[string]*organisationRef{}, byRegistration: map[string]*organisationRef{},
		byName: map[string][]*organisationRef{}}
	if len(refs) == 0 {
		return x, nil
	}
	// A name is matched folded (domain.SearchKey, as organisation_keys holds
	// it): "association amal " is the "Association Amal" on record.
	const q = `SELECT id, kind, registration_number, name_ar, name_fr FROM organisations
	            WHERE id = ANY($1) OR registration_number = ANY($2)
	               OR id IN (SELECT organisation_id FROM organisation_keys WHERE key = ANY($3))`
	rows, err := im.tx.QueryContext(im.ctx, q, pq.Array(ids), pq.Array(refs), pq.Array(names))
	if err != nil {
		return nil, mapError(fmt.Errorf("organisations of the import: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var o organisationRef
		var registration, nameAr, nameFr sql.NullString
		if err := rows.Scan(&o.id, &o.kind, &registration, &nameAr, &nameFr); err != nil {
			return nil, err
		}
		x.byID[strconv.FormatInt(o.id, 10)] = &o
		if registration.Valid {
			x.byRegistration[registration.String] = &o
		}
		for _, n := range []sql.NullString{nameAr, nameFr} {
			if key := domain.SearchKey(n.String); n.Valid && wanted[key] {
				x.byName[key] = appendOnce(x.byName[key], &o)
			}
		}
	}
	return x, rows.Err()
}

func appendOnce(list []*organisationRef, o *organisationRef) []*organisationRef {
	for _, v := range list {
		if v.id == o.id {
			return list
		}
	}
	return append(list, o)
}

// importColumns are the columns of the import's temporary table, filled by
// COPY: one round trip for the whole list.
var importColumns = []string{"line", "category", "full_name_ar", "full_name_latin", "name_key", "sex", "birth_year",
	"organisation_id", "organisation_kind", "province_id", "phone", "email", "national_id", "guardian_consent"}

// load copies the rows into a temporary table dropped at the end of the
// transaction.
func (im *importer) load() error {
	const create = `CREATE TEMP TABLE import_rows (
	    line int NOT NULL, category text, full_name_ar text, full_name_latin text, name_key text, sex text,
	    birth_year smallint, organisation_id bigint, organisation_kind text, province_id bigint, phone text,
	    email text, national_id text, guardian_consent boolean,
	    trainee_id bigint, created boolean NOT NULL DEFAULT false, match_id bigint, match_rule text) ON COMMIT DROP`
	if _, err := im.tx.ExecContext(im.ctx, create); err != nil {
		return fmt.Errorf("import table: %w", err)
	}
	stmt, err := im.tx.PrepareContext(im.ctx, pq.CopyIn("import_rows", importColumns...))
	if err != nil {
		return fmt.Errorf("import copy: %w", err)
	}
	defer stmt.Close()
	for i, row := range im.file.Rows {
		t := &row.Trainee
		if _, err := stmt.ExecContext(im.ctx, row.Row, t.Category, t.FullNameAr, t.FullNameLatin, t.NameKey(), t.Sex,
			t.BirthYear, t.OrganisationID, im.kinds[i], im.provinces[i], t.Phone, t.Email, t.NationalID,
			t.GuardianConsent); err != nil {
			return fmt.Errorf("import copy row %d: %w", row.Row, err)
		}
	}
	if _, err := stmt.ExecContext(im.ctx); err != nil {
		return mapError(fmt.Errorf("import copy: %w", err))
	}
	// Temporary tables get no automatic statistics; the joins below need
	// them, on the columns they join and filter on (the full names and the
	// email, the widest, are not compared: half of ANALYZE's 0.2 s at
	// 100,000 rows). match_id and trainee_id are empty yet, and the steps
	// read them: without their statistics the planner took "not matched"
	// for 0.5 % of the rows and probed the names' trigram index once per
	// row (4.9 s for 100,000 rows on 100,000 people; docs/BENCHMARKS.md).
	_, err = im.tx.ExecContext(im.ctx, `ANALYZE import_rows (line, category, name_key, sex, birth_year,
	    organisation_id, province_id, phone, national_id, guardian_consent, match_id, trainee_id)`)
	return err
}

// The three steps that create the new people (importer.insertNew).
const (
	// The sequence's name is looked up once (a sub-select, run before the
	// rows): called in nextval's argument, pg_get_serial_sequence ran for
	// every row, 0.9 of the statement's 1.1 s at 100,000 rows.
	newIDsSQL = `UPDATE import_rows SET trainee_id = nextval((SELECT pg_get_serial_sequence('trainees', 'id'))::regclass),
	                   created = true
	              WHERE trainee_id IS NULL`
	// The new people, inserted as the list has them, in its order.
	insertNewSQL = `INSERT INTO trainees (id, category, full_name_ar, full_name_latin, name_key, sex, birth_year,
	                                   organisation_id, organisation_kind, province_id, phone, email, national_id)
	            SELECT trainee_id, category, full_name_ar, full_name_latin, name_key, sex, birth_year,
	                   organisation_id, organisation_kind, province_id, phone, email, national_id
	              FROM import_rows WHERE created ORDER BY line`
	// A person created meanwhile with a national ID of the list (outside
	// imports, which are serialised) wins: the insert again, leaving them
	// out, then the rows pointed at them.
	insertNewButTakenSQL = insertNewSQL + `
	            ON CONFLICT (national_id) WHERE national_id IS NOT NULL DO NOTHING`
	rematchSQL = `UPDATE import_rows i SET trainee_id = t.id, created = false FROM trainees t
	              WHERE i.created AND t.national_id = i.national_id AND t.id <> i.trainee_id`
)

// create points each row not matched (match) at a new person, inserts the
// new people in one statement, and counts them.
func (im *importer) create() error {
	// A preview counts the people to create without creating them:
	// inserting 100,000 rows (their indexes, a foreign-key check each) was
	// two thirds of a preview's time, to be rolled back. What the insert
	// would refuse, the rows' validation refused already.
	if !im.opt.DryRun {
		if err := im.insertNew(); err != nil {
			return err
		}
	}
	// (In a preview, a person to create has no trainee_id.)
	const count = `SELECT count(*) FILTER (WHERE created OR trainee_id IS NULL),
	                      count(*) FILTER (WHERE trainee_id IS NOT NULL AND NOT created)
	                 FROM import_rows`
	return im.tx.QueryRowContext(im.ctx, count).Scan(&im.report.Created, &im.report.Reused)
}

// insertNew gives each new person an id and inserts them. When a national
// ID of the list was taken meanwhile, the others are inserted and the
// rows of the people who are not (fewer inserted than planned) are
// pointed at the person on record.
func (im *importer) insertNew() error {
	toCreate, err := im.exec("new ids", newIDsSQL)
	if err != nil {
		return err
	}
	taken, err := im.insertUnlessTaken()
	if err != nil || !taken {
		return err
	}
	inserted, err := im.exec("create", insertNewButTakenSQL)
	if err != nil || inserted == toCreate {
		return err
	}
	_, err = im.exec("rematch", rematchSQL)
	return err
}

// insertUnlessTaken inserts the new people, or nothing and reports taken
// when one of their national IDs was taken meanwhile. The plain insert is
// the rule: ON CONFLICT's check before each row cost 0.1–0.6 s of the
// insert's 3.3–3.8 s at 100,000 rows (docs/BENCHMARKS.md), for a race that
// an import almost never meets. The savepoint undoes the refused insert
// alone.
func (im *importer) insertUnlessTaken() (taken bool, err error) {
	if _, err := im.tx.ExecContext(im.ctx, `SAVEPOINT import_create`); err != nil {
		return false, fmt.Errorf("import savepoint: %w", err)
	}
	_, err = im.tx.ExecContext(im.ctx, insertNewSQL)
	if taken := pq.As(err, pqerror.UniqueViolation); taken != nil && taken.Constraint == "trainees_national_id_key" {
		_, err = im.tx.ExecContext(im.ctx, `ROLLBACK TO SAVEPOINT import_create`)
		return true, err
	}
	if err != nil {
		return false, mapError(fmt.Errorf("import create: %w", err))
	}
	_, err = im.tx.ExecContext(im.ctx, `RELEASE SAVEPOINT import_create`)
	return false, err
}

// exec runs one of the import's statements, telling how many rows it touched.
func (im *importer) exec(what, q string) (int64, error) {
	res, err := im.tx.ExecContext(im.ctx, q)
	if err != nil {
		return 0, mapError(fmt.Errorf("import %s: %w", what, err))
	}
	return res.RowsAffected()
}

// recordConsents records, as the importing user's, a consent for training
// for each child the list marks "consent: yes" who holds no active one
// (method import_list: the list is the user's assertion), audited.
func (im *importer) recordConsents() error {
	n := guardianConsent(0, domain.ConsentImportList)
	const q = `WITH c AS (
	    INSERT INTO consents (trainee_id, scope, method, wording_version, given_on, recorded_by)
	    SELECT DISTINCT i.trainee_id, 'training', 'import_list', $1, $2::date, $3::bigint
	      FROM import_rows i JOIN trainees t ON t.id = i.trainee_id
	     WHERE i.guardian_consent AND t.category = 'child_parliamentarian' AND NOT ` + activeConsentSQL + `
	    RETURNING id, trainee_id, given_on
	)
	INSERT INTO audit_log (actor_id, action, entity, entity_id, after, trainee_id)
	SELECT $3, 'consent.record', 'consent', c.id,
	       jsonb_build_object('trainee_id', c.trainee_id, 'scope', 'training', 'method', 'import_list',
	                          'wording_version', $1::text, 'given_on', c.given_on, 'scan', false), c.trainee_id
	  FROM c`
	_, err := im.tx.ExecContext(im.ctx, q, n.WordingVersion, n.GivenOn, im.by)
	return mapError(err)
}

// enrol enrols every person of the list in the course, counting those
// already there, and refuses to overfill the course without an override.
func (im *importer) enrol() error {
	if im.opt.CourseID == 0 {
		return nil
	}
	var c struct {
		Capacity  int `db:"capacity"`
		Taken     int `db:"taken"`
		New       int `db:"new"`
		People    int `db:"people"`
		Uncreated int `db:"uncreated"` // in a preview, the people to create
	}
	// (lockCourse locked the course row: an enrolment at the same moment
	// waits, so the two cannot overfill it together.)
	// A person a preview would create counts as one (-line: no trainee_id).
	const q = `SELECT c.capacity, c.places_taken AS taken,
	                  (SELECT count(DISTINCT coalesce(i.trainee_id, -i.line)) FROM import_rows i
	                    WHERE NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.course_id = c.id AND e.trainee_id = i.trainee_id)) AS new,
	                  (SELECT count(DISTINCT coalesce(trainee_id, -line)) FROM import_rows) AS people,
	                  (SELECT count(*) FROM import_rows WHERE trainee_id IS NULL) AS uncreated
	             FROM courses c WHERE c.id = $1`
	if err := getOne(im.ctx, im.tx, &c, q, im.opt.CourseID); err != nil {
		return err
	}
	if c.Taken+c.New > c.Capacity && !im.opt.OverrideCapacity {
		im.problem(0, "", "import.course_full", strconv.Itoa(max(c.Capacity-c.Taken, 0)))
		return nil
	}
	// Each enrolment is audited as the enrolment page audits one. A
	// preview enrols the people on record only (the enrolment's trigger
	// may refuse one: anonymised, a child without consent) and counts the
	// people it would create, whose rows' validation the trigger's checks
	// already passed.
	const insert = `WITH e AS (
	    INSERT INTO enrollments (trainee_id, course_id, enrolled_by)
	    SELECT DISTINCT trainee_id, $1::bigint, $2::bigint FROM import_rows WHERE trainee_id IS NOT NULL
	    ON CONFLICT (trainee_id, course_id) DO NOTHING
	    RETURNING id, trainee_id, course_id, status
	), logged AS (
	    INSERT INTO audit_log (actor_id, action, entity, entity_id, after, trainee_id, course_id)
	    SELECT $2, 'enrollment.create', 'enrollment', e.id,
	           jsonb_build_object('course_id', e.course_id, 'trainee_id', e.trainee_id, 'status', e.status), e.trainee_id, e.course_id
	      FROM e
	)
	SELECT count(*) FROM e`
	var n int
	if err := getOne(im.ctx, im.tx, &n, insert, im.opt.CourseID, im.by); err != nil {
		return fmt.Errorf("import enrolments: %w", err)
	}
	im.report.Enrolled = n + c.Uncreated
	im.report.AlreadyEnrolled = c.People - im.report.Enrolled
	return nil
}

// audit records the import and its counts (never the people's data).
func (im *importer) audit() error {
	if im.opt.DryRun {
		return nil
	}
	after, err := json.Marshal(map[string]any{"rows": im.report.Rows, "created": im.report.Created,
		"reused": im.report.Reused, "enrolled": im.report.Enrolled, "course_id": im.opt.CourseID})
	if err != nil {
		return err
	}
	const q = `INSERT INTO audit_log (actor_id, action, entity, entity_id, after, course_id)
	           VALUES ($1, 'trainees.import', 'import', NULLIF($2, 0), $3, NULLIF($2, 0))`
	if _, err = im.tx.ExecContext(im.ctx, q, im.by, im.opt.CourseID, string(after)); err != nil {
		return mapError(err)
	}
	// Each person created, as the enrolment page audits one (the record's
	// fields as domain.Trainee writes them in JSON; a minor's as
	// auditedNewTrainee keeps them), from what the insert wrote rather than
	// read back from trainees. An adult's record is the row t as it is
	// (to_jsonb, cheaper than naming its twelve fields); an adult
	// holds no consent (recordConsents records a child's only); the
	// province is looked up per row, as the planner, which takes the rows
	// to create for none (import_rows was analysed before they were
	// marked), joined provinces by a scan of all of them for each row.
	const created = `INSERT INTO audit_log (actor_id, action, entity, entity_id, after, trainee_id)
	SELECT $1, 'trainee.create', 'trainee', t.id,
	       CASE WHEN t.category = 'child_parliamentarian' -- a minor's counted fields only (auditedNewTrainee)
	            THEN jsonb_build_object('category', t.category, 'organisation_id', t.organisation_id, 'guardian_consent', ` + activeConsentSQL + `)
	            ELSE to_jsonb(t) END, t.id
	  FROM (SELECT trainee_id AS id, category, full_name_ar, full_name_latin, sex, birth_year, organisation_id,
	               (SELECT p.code FROM provinces p WHERE p.id = province_id) AS province,
	               phone, email, national_id, false AS guardian_consent
	          FROM import_rows WHERE created) t
	 ORDER BY t.id`
	_, err = im.tx.ExecContext(im.ctx, created, im.by)
	return mapError(err)
}
