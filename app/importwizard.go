package app

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// The import wizard (docs/IMPORTS.md): upload, then a preview that shows the
// file as read — every column with its field, the first rows, the people
// already on record who differ, the organisations not on record — where the
// coordinator chooses, then the import with those choices. The file is kept
// between the steps (a draft, migration 00017) so that it is sent once.
//
// The choices are inputs named after what they choose for, as many as the
// file has columns, matches and new organisations, so they are read from
// the multipart values by prefix rather than listed in importUpload:
//
//	column_<i>          field (domain.ImportFields) or "ignore" for the file's column i (0-based)
//	decision_<row>      refuse | existing | update, for a row matching a person on record
//	decision_all        the same, for every row without its own
//	organisation_<key>  the id of the organisation on record to use for a new one, by folded name ("" or 0: create it)
const (
	columnChoicePrefix       = "column_"
	decisionPrefix           = "decision_"
	decisionForAll           = "decision_all"
	organisationChoicePrefix = "organisation_"
)

// importChoices are the wizard's choices as sent.
type importChoices struct {
	columns       map[int]string
	decisions     map[int]string
	decideAll     string
	organisations map[string]int64
}

// readImportChoices reads the choices of a multipart request; values that
// name nothing known are left out (the file is then refused as without them).
func readImportChoices(c *fiber.Ctx) importChoices {
	ch := importChoices{columns: map[int]string{}, decisions: map[int]string{}, organisations: map[string]int64{}}
	form, err := c.MultipartForm()
	if err != nil || form == nil {
		return ch
	}
	for name, values := range form.Value {
		if len(values) == 0 {
			continue
		}
		value := strings.TrimSpace(values[0])
		switch {
		case name == decisionForAll:
			if repository.IsMatchDecision(value) {
				ch.decideAll = value
			}
		case strings.HasPrefix(name, columnChoicePrefix):
			i, err := strconv.Atoi(strings.TrimPrefix(name, columnChoicePrefix))
			if err == nil && i >= 0 && i < domain.MaxImportColumns && (value == domain.IgnoreColumn || domain.IsImportField(value)) {
				ch.columns[i] = value
			}
		case strings.HasPrefix(name, decisionPrefix):
			row, err := strconv.Atoi(strings.TrimPrefix(name, decisionPrefix))
			if err == nil && repository.IsMatchDecision(value) {
				ch.decisions[row] = value
			}
		case strings.HasPrefix(name, organisationChoicePrefix):
			if id, err := strconv.ParseInt(value, 10, 64); err == nil && id > 0 {
				ch.organisations[strings.TrimPrefix(name, organisationChoicePrefix)] = id
			}
		}
	}
	return ch
}

// importBytes is the file of the request: the one uploaded (kept as the
// user's draft when the page sent it), or the draft named by "draft".
func (s *Server) importBytes(c *fiber.Ctx, upload *importUpload, keepDraft bool) (filename string, data []byte, err error) {
	if upload.File == nil {
		filename, data, err = s.store.ImportDraft(c.UserContext(), upload.Draft, currentUser(c).ID)
		if errors.Is(err, domain.ErrNotFound) {
			// Another user's, committed, or older than a day: send the file again.
			upload.Draft = 0
			return "", nil, domain.Invalid("file", "import.draft_gone")
		}
		return filename, data, err
	}
	f, err := upload.File.Open()
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	if data, err = readUpload(f, upload.File.Size); err != nil {
		return "", nil, err
	}
	filename = upload.File.Filename
	releaseUpload(c, upload)
	if keepDraft && len(data) <= domain.MaxImportBytes {
		if upload.Draft, err = s.store.SaveImportDraft(c.UserContext(), currentUser(c).ID, filename, data); err != nil {
			return "", nil, err
		}
	}
	return filename, data, nil
}

// releaseUpload lets go of the request's multipart form once the file is
// read out of it (its fields were read before: readForm, readImportChoices):
// the form holds the file in a buffer regrown as the upload came in, 16 MB
// for a list of 8.7 MB, which would otherwise live as long as the request
// and its parsing (docs/BENCHMARKS.md, "Large imports as jobs").
func releaseUpload(c *fiber.Ctx, upload *importUpload) {
	upload.File = nil
	c.Request().RemoveMultipartFormFiles()
}

// readUpload reads an uploaded file of the size its header says into a
// buffer of that size, read once: io.ReadAll would grow its buffer by
// doubling, about twice the file in garbage for a large list. A file that
// is not the size it said is read as it is; beyond the limit it is cut
// one byte past it, which the parser refuses.
func readUpload(f io.Reader, size int64) ([]byte, error) {
	limit := int64(domain.MaxImportBytes + 1)
	buf := bytes.NewBuffer(make([]byte, 0, min(max(size, 0), limit)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(f, limit))
	return buf.Bytes(), err
}

// parseWithChoices reads the file with the user's choices for its columns
// and those they made before, and remembers the new ones.
func (s *Server) parseWithChoices(c *fiber.Ctx, filename string, data []byte, rows int, ch importChoices) (*domain.ImportFile, error) {
	userID := currentUser(c).ID
	remembered, err := s.store.ImportColumnChoices(c.UserContext(), userID)
	if err != nil {
		return nil, err
	}
	file := domain.ParseImportBytes(data, filename, domain.ImportSettings{Columns: ch.columns, Remembered: remembered, Rows: rows})
	restartRequestBound(c) // reading the rows was not database work
	// Remembered: a choice for a header the import does not know (one it
	// knows is recognised again next time, whatever was chosen this time).
	chosen := map[string]string{}
	for i, field := range ch.columns {
		if i < len(file.Headers) && file.Headers[i].Key != "" && !domain.IsKnownHeader(file.Headers[i].Key) {
			chosen[file.Headers[i].Key] = field
		}
	}
	if err := s.store.SaveImportColumnChoices(c.UserContext(), userID, chosen); err != nil {
		return nil, err
	}
	return file, nil
}

// option is one choice of a select in the preview.
type option struct {
	Value, Label string
	Selected     bool
}

// importPreview is the wizard's preview, translated.
type importPreview struct {
	Draft            int64
	ShowRecord       bool // the record's values are shown (coordinators; a trainer sees which fields differ)
	Read             string
	Pivot            string
	Columns          []previewColumn
	Sample           []domain.ImportSample
	Matches          []previewMatch
	DecideAll        []option
	NewOrganisations []previewOrganisation
}

type previewColumn struct {
	domain.ImportHeader
	HowLabel string
	Options  []option
}

type previewMatch struct {
	Row      int
	Rule     string
	Existing string
	Diffs    []previewDifference
	Options  []option
}

type previewDifference struct{ Field, File, Record string }

type previewOrganisation struct {
	Key, Name, Kind, Rows string
	Options               []option
}

// maxPreviewMatches is how many matches the page lists (all are decided by
// "for all" beyond them; the API lists every one).
const maxPreviewMatches = 200

// newImportPreview builds the preview of a read file and, when the store
// went that far, of its matches and new organisations. manage is whether
// the user may read and update the people on record (coordinators): a
// trainer sees which fields differ, and is not offered "update".
func newImportPreview(t *Translator, file *domain.ImportFile, report *repository.ImportReport, ch importChoices, draft int64, manage bool) *importPreview {
	p := &importPreview{Draft: draft, ShowRecord: manage, Sample: file.Sample, Read: readAs(t, file),
		Pivot: t.T("imports.pivot", "Pivot", strconv.Itoa(file.Pivot), "Next", strconv.Itoa((file.Pivot+1)%100))}
	for _, h := range file.Headers {
		col := previewColumn{ImportHeader: h, HowLabel: t.T("imports.how." + h.How)}
		selected := h.Field
		if h.How == domain.ColumnIgnored {
			selected = domain.IgnoreColumn
		}
		col.Options = append(col.Options, option{Value: "", Label: t.T("imports.column_choose"), Selected: selected == ""})
		for _, f := range domain.ImportFields {
			col.Options = append(col.Options, option{Value: f, Label: t.FieldName(f), Selected: selected == f})
		}
		col.Options = append(col.Options, option{Value: domain.IgnoreColumn, Label: t.T("imports.column_ignore"), Selected: selected == domain.IgnoreColumn})
		p.Columns = append(p.Columns, col)
	}
	if report == nil {
		return p
	}
	for _, m := range report.Matches {
		if len(p.Matches) == maxPreviewMatches {
			break
		}
		p.Matches = append(p.Matches, previewMatch{Row: m.Row, Rule: t.T("imports.match_rule." + m.Rule),
			Existing: describeRecord(m.Existing), Diffs: differences(t, m.Differences),
			Options: decisionOptions(t, ch.decisions[m.Row], true, manage)})
	}
	if len(report.Matches) > 0 {
		p.DecideAll = decisionOptions(t, ch.decideAll, false, manage)
	}
	for _, o := range report.NewOrganisations {
		po := previewOrganisation{Key: o.Key, Name: o.Name, Rows: joinRows(o.Rows)}
		if o.Kind != "" {
			po.Kind = t.T("kind." + string(o.Kind))
		}
		po.Options = append(po.Options, option{Value: "", Label: t.T("imports.new_org_create"), Selected: o.ChosenID == 0})
		for _, sug := range o.Suggestions {
			po.Options = append(po.Options, option{Value: strconv.FormatInt(sug.ID, 10),
				Label:    t.T("imports.new_org_use", "Name", sug.Names().In(t.Lang), "Percent", strconv.Itoa(int(math.Round(sug.Similarity*100)))),
				Selected: o.ChosenID == sug.ID})
		}
		p.NewOrganisations = append(p.NewOrganisations, po)
	}
	return p
}

// readAs says how the file was read: its format, encoding and separator, or
// its date system.
func readAs(t *Translator, f *domain.ImportFile) string {
	switch f.Format {
	case "csv":
		return t.T("imports.read_csv", "Encoding", t.T("imports.encoding."+f.Encoding),
			"Separator", t.T("imports.separator."+separatorName(f.Separator)))
	case "xlsx":
		system := "1900"
		if f.Date1904 {
			system = "1904"
		}
		return t.T("imports.read_xlsx", "System", system)
	}
	return ""
}

func separatorName(sep string) string {
	switch sep {
	case ";":
		return "semicolon"
	case "\t":
		return "tab"
	case "|":
		return "bar"
	}
	return "comma"
}

// decisionOptions are the choices for a match (perRow) or for all: refuse
// by default, use the record, and update it for those who may (mayUpdate;
// the engine refuses a trainer's "update" all the same).
func decisionOptions(t *Translator, chosen string, perRow, mayUpdate bool) []option {
	var opts []option
	if perRow {
		opts = append(opts, option{Value: "", Label: t.T("imports.decision.as_for_all"), Selected: chosen == ""})
	} else if chosen == "" {
		chosen = repository.MatchRefuse
	}
	decisions := []string{repository.MatchRefuse, repository.MatchUseExisting}
	if mayUpdate {
		decisions = append(decisions, repository.MatchUpdate)
	}
	for _, d := range decisions {
		opts = append(opts, option{Value: d, Label: t.T("imports.decision." + d), Selected: chosen == d})
	}
	return opts
}

// describeRecord names the person on record: the names and CIN the user may
// read, else the record's number only.
func describeRecord(r repository.PersonRecord) string {
	var parts []string
	for _, s := range []*string{r.FullNameLatin, r.FullNameAr, r.NationalID} {
		if s != nil {
			parts = append(parts, *s)
		}
	}
	if r.BirthYear != nil {
		parts = append(parts, strconv.Itoa(*r.BirthYear))
	}
	parts = append(parts, "#"+strconv.FormatInt(r.ID, 10))
	return strings.Join(parts, " · ")
}

// differences translates the fields and the coded values (category, sex,
// consent) of a match's differences.
func differences(t *Translator, ds []repository.FieldDifference) []previewDifference {
	out := make([]previewDifference, len(ds))
	value := func(field, v string) string {
		switch {
		case v == "":
			return "—"
		case field == "category" || field == "sex":
			return t.T(field + "." + v)
		case field == "guardian_consent":
			return t.T("imports.consent." + v)
		}
		return v
	}
	for i, d := range ds {
		out[i] = previewDifference{Field: t.FieldName(d.Field), File: value(d.Field, d.File), Record: value(d.Field, d.Record)}
	}
	return out
}

func joinRows(rows []int) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = strconv.Itoa(r)
	}
	return strings.Join(parts, ", ")
}

// importRefusedWithReport answers the API's refused import: the problems,
// as every refused file's, and the report of what the preview found (the
// matches and new organisations to decide on).
func (s *Server) importRefusedWithReport(c *fiber.Ctx, err error, report *repository.ImportReport) error {
	var refused *domain.ImportError
	if report == nil || !errors.As(err, &refused) {
		return err
	}
	a := classify(err)
	body := s.errorBody(c, a)
	body["report"] = report
	return c.Status(a.status).JSON(body)
}
