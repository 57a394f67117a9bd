package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// exportAttendance answers GET /exports/attendance.csv|xlsx: one row per
// enrolled trainee × session of the courses the user may read, narrowed by
// the query (programme, course, session, from, to, province, category).
// A course or session the user may not read is 404, not an empty file.
func (s *Server) exportAttendance(format domain.Format) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		u := currentUser(c)
		filter, err := attendanceFilterFrom(c)
		if err != nil {
			return err
		}
		opts, err := s.exportOptions(c, format, "exportfiles.sheet.attendance", true)
		if err != nil {
			return err
		}
		filter.NamesIn = domain.ScriptOf(opts.Lang)
		scope, err := s.store.ScopeFor(ctx, u)
		if err != nil {
			return err
		}
		if err := s.checkExportTargets(ctx, filter, scope); err != nil {
			return err
		}
		name := s.store.AttendanceExportName(ctx, filter, format, time.Now())
		audit := repository.AuditEntry{ActorID: &u.ID, Action: "attendance.export", Entity: "export"}
		if filter.CourseID != 0 {
			audit.EntityID = &filter.CourseID
		}
		details := exportDetails(opts)
		details["filters"] = filterSummary(filter)
		return s.sendFile(c, format, name, audit, details, func(ctx context.Context, w io.Writer) (int64, error) {
			return s.writeAttendance(ctx, w, filter, scope, opts)
		})
	}
}

// writeAttendance writes the attendance file of a filter and a scope to w:
// the store streams the records, the domain writes each as a row in the
// user's language, both in this goroutine. An XLSX larger than a sheet is
// refused before the first byte (a count first): narrow the filter or take
// the CSV, which has no limit.
func (s *Server) writeAttendance(ctx context.Context, w io.Writer, f repository.AttendanceFilter, scope repository.Scope,
	opts domain.ExportOptions) (int64, error) {
	if opts.Format == domain.XLSX {
		n, err := s.store.AttendanceRowCount(ctx, f, scope)
		if err != nil {
			return 0, err
		}
		if n > xlsxRowLimit {
			return 0, &domain.ValidationError{Fields: map[string]domain.Problem{
				"format": {Key: "export.xlsx_too_many_rows", Param: strconv.FormatInt(xlsxRowLimit, 10)}}}
		}
	}
	return domain.WriteAttendance(w, opts, s.store.AttendanceRecords(ctx, f, scope))
}

// xlsxRowLimit is domain.XLSXMaxRows; tests lower it.
var xlsxRowLimit int64 = domain.XLSXMaxRows

// exportMatrix answers GET /courses/{id}/matrix.csv|xlsx: the course's
// trainees × sessions with status codes and attendance rates.
func (s *Server) exportMatrix(format domain.Format) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		u := currentUser(c)
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		opts, err := s.exportOptions(c, format, "exportfiles.sheet.matrix", true)
		if err != nil {
			return err
		}
		scope, err := s.store.ScopeFor(ctx, u)
		if err != nil {
			return err
		}
		if !scope.Allows(id) {
			return domain.ErrNotFound
		}
		name := s.store.CourseMatrixName(ctx, id, format, time.Now())
		audit := repository.AuditEntry{ActorID: &u.ID, Action: "matrix.export", Entity: "course", EntityID: &id}
		return s.sendFile(c, format, name, audit, exportDetails(opts), func(ctx context.Context, w io.Writer) (int64, error) {
			sessions, records, err := s.store.CourseMatrix(ctx, id, scope, domain.ScriptOf(opts.Lang))
			if err != nil {
				return 0, err
			}
			return domain.WriteMatrix(w, opts, sessions, records)
		})
	}
}

// exportOptions are the file's options for this request: headers and
// values in the user's language, or machine keys with ?header=keys; the
// user's CSV separator (csvSeparator); the sheet named by the message
// sheetKey. A file of people (people) may add the trainees' CIN and phone
// (?include=national_id&include=phone, or include=national_id,phone):
// coordinators and admins only, a trainer asking is refused (403).
func (s *Server) exportOptions(c *fiber.Ctx, format domain.Format, sheetKey string, people bool) (domain.ExportOptions, error) {
	t := s.tr(c)
	opts := domain.ExportOptions{Format: format, Lang: t.Lang, T: func(key string) string { return t.T(key) }}
	p := domain.Problems{}
	switch c.Query("header") {
	case "":
	case "keys":
		opts.Keys = true
	default:
		p.Add("header", "validation.oneof")
	}
	if !opts.Keys {
		opts.Sheet = t.T(sheetKey)
	}
	sep, ok := csvSeparator(c, currentUser(c), t.Lang, opts.Keys)
	if !ok {
		p.Add("separator", "validation.oneof")
	}
	opts.Semicolon = format == domain.CSV && sep == domain.SeparatorSemicolon
	if people {
		if err := identifierColumns(c, &opts, p); err != nil {
			return opts, err
		}
	} else if len(queryList(c, "include")) > 0 {
		p.Add("include", "validation.oneof")
	}
	return opts, p.Err()
}

// csvSeparator is the separator of a CSV file for u: ?separator= when
// given (false if it is neither comma nor semicolon), else commas for a
// machine file (?header=keys: a script's format does not follow a setting
// of the interface), else the user's choice, else their language's
// (domain.CSVSeparatorFor).
func csvSeparator(c *fiber.Ctx, u *domain.User, lang string, machine bool) (domain.CSVSeparator, bool) {
	if q := c.Query("separator"); q != "" {
		sep := domain.CSVSeparator(q)
		return sep, sep.Valid()
	}
	if machine {
		return domain.SeparatorComma, true
	}
	var chosen domain.CSVSeparator
	if u != nil {
		chosen = u.CSVSeparator
	}
	return domain.CSVSeparatorFor(chosen, lang), true
}

// identifierColumns reads ?include=: the identifying columns asked for.
// They identify people beyond their names, so only the roles that manage
// people (coordinators, admins) may have them; each such file is audited
// with the columns it held (exportDetails).
func identifierColumns(c *fiber.Ctx, opts *domain.ExportOptions, p domain.Problems) error {
	for _, v := range queryList(c, "include") {
		switch v {
		case "national_id":
			opts.NationalID = true
		case "phone":
			opts.Phone = true
		default:
			p.Add("include", "validation.oneof")
		}
	}
	if (opts.NationalID || opts.Phone) && !coordinators.admits(currentUser(c)) {
		return domain.ErrForbidden
	}
	return nil
}

// queryList is every value of a query parameter, repeated or
// comma-separated (include=a&include=b, include=a,b), blanks left out.
func queryList(c *fiber.Ctx, name string) []string {
	var values []string
	for _, raw := range c.Context().QueryArgs().PeekMulti(name) {
		for _, v := range strings.Split(string(raw), ",") {
			if v = strings.TrimSpace(v); v != "" {
				values = append(values, v)
			}
		}
	}
	return values
}

// exportDetails is what the audit entry of a file of people says about
// its form; "identifiers" lists the identifying columns it held, if any.
func exportDetails(opts domain.ExportOptions) map[string]any {
	details := map[string]any{"format": opts.Format, "header_keys": opts.Keys}
	var identifiers []string
	if opts.NationalID {
		identifiers = append(identifiers, "national_id")
	}
	if opts.Phone {
		identifiers = append(identifiers, "phone")
	}
	if identifiers != nil {
		details["identifiers"] = identifiers
	}
	switch {
	case opts.Format != domain.CSV:
	case opts.Semicolon:
		details["separator"] = domain.SeparatorSemicolon
	default:
		details["separator"] = domain.SeparatorComma
	}
	return details
}

// attendanceFilterFrom reads the export's filters from the query string:
// every value that cannot be read is reported at once, as a 422.
func attendanceFilterFrom(c *fiber.Ctx) (repository.AttendanceFilter, error) {
	p := domain.Problems{}
	f := repository.AttendanceFilter{
		Programme: c.Query("programme"),
		CourseID:  queryID(c, "course", p),
		SessionID: queryID(c, "session", p),
		From:      queryDate(c, "from", p),
		To:        queryDate(c, "to", p),
		Province:  c.Query("province"),
		Category:  domain.Category(strings.TrimSpace(c.Query("category"))),
	}
	return f, withProblems(p, f.Validate())
}

// queryID reads an optional positive id from the query string.
func queryID(c *fiber.Ctx, field string, p domain.Problems) int64 {
	v := domain.CleanNumber(c.Query(field))
	if v == "" {
		return 0
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		p.Add(field, "validation.type")
		return 0
	}
	return id
}

// queryDate reads an optional "2006-01-02" day from the query string.
func queryDate(c *fiber.Ctx, field string, p domain.Problems) domain.Date {
	return optionalDate(field, c.Query(field), p)
}

// checkExportTargets makes a filter naming something the user cannot read
// (another trainer's course or session) a 404, as for an id that does not
// exist, and an unknown programme or province a 422: both would otherwise
// give an empty file that looks like "nobody attended".
func (s *Server) checkExportTargets(ctx context.Context, f repository.AttendanceFilter, scope repository.Scope) error {
	if f.CourseID != 0 {
		if !scope.Allows(f.CourseID) {
			return domain.ErrNotFound
		}
		if _, err := s.store.Course(ctx, f.CourseID); err != nil {
			return err
		}
	}
	if f.SessionID != 0 {
		session, err := s.store.Session(ctx, f.SessionID)
		if err != nil {
			return err
		}
		if !scope.Allows(session.CourseID) {
			return domain.ErrNotFound
		}
	}
	p := domain.Problems{}
	if f.Programme != "" {
		if _, err := s.store.ProgrammeByCode(ctx, f.Programme); errors.Is(err, domain.ErrNotFound) {
			p.Add("programme", "export.unknown_programme")
		} else if err != nil {
			return err
		}
	}
	if f.Province != "" {
		if _, err := s.store.ProvinceByCode(ctx, f.Province); errors.Is(err, domain.ErrNotFound) {
			p.Add("province", "province.unknown")
		} else if err != nil {
			return err
		}
	}
	return p.Err()
}

// filterSummary is the filter as the audit log keeps it: the fields in use.
func filterSummary(f repository.AttendanceFilter) map[string]any {
	m := map[string]any{}
	if f.Programme != "" {
		m["programme"] = f.Programme
	}
	if f.CourseID != 0 {
		m["course"] = f.CourseID
	}
	if f.SessionID != 0 {
		m["session"] = f.SessionID
	}
	if !f.From.IsZero() {
		m["from"] = f.From.String()
	}
	if !f.To.IsZero() {
		m["to"] = f.To.String()
	}
	if f.Province != "" {
		m["province"] = f.Province
	}
	if f.Category != "" {
		m["category"] = f.Category
	}
	return m
}

// firstByteTimeout bounds the wait for an export's first byte (the count
// of an XLSX export and the first rows); after it, the export streams for
// as long as it needs (exports skip the request timeout).
var firstByteTimeout = time.Minute

// exportFunc writes a file to w and returns the number of data rows.
type exportFunc func(ctx context.Context, w io.Writer) (int64, error)

// sendFile streams the file that export writes: the export runs in its own
// goroutine and writes into a pipe that the response reads, so the query
// runs while bytes leave and memory stays flat whatever the size.
//
// The handler waits for the first byte. An error before it (a bad filter,
// a file too large for a sheet, a database that is down) is returned and
// becomes an ordinary error answer. After it the status and headers are
// gone: an error is logged and closes the pipe with that error, so that the
// server drops the connection instead of ending the chunked body cleanly —
// the client sees a failed download, never a short file that looks whole.
//
// The audit entry (who, which file, how many rows, whether it completed)
// is written when the export ends.
func (s *Server) sendFile(c *fiber.Ctx, format domain.Format, name string, audit repository.AuditEntry,
	details map[string]any, export exportFunc) error {
	if c.Method() == fiber.MethodHead {
		// The headers a GET would send, without running (or auditing) the export.
		c.Set(fiber.HeaderContentType, format.ContentType())
		c.Set(fiber.HeaderContentDisposition, attachment(name))
		return nil
	}
	// The export outlives the handler (Fiber recycles c when it returns):
	// take what it needs now, and a context that the handler's return does
	// not cancel. The client going away closes the pipe, which stops it.
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.UserContext()))
	requestID, path := requestIDOf(c), c.Path()
	pr, pw := io.Pipe()
	out := &firstWrite{w: pw, started: make(chan struct{})}
	failed := make(chan error, 1)
	go func() {
		defer cancel()
		rows, err := export(ctx, out)
		if err != nil && !out.hasStarted() {
			failed <- err // nothing sent: the handler answers with the error
			_ = pw.CloseWithError(err)
			return
		}
		switch {
		case errors.Is(err, io.ErrClosedPipe):
			s.log.Warn("export abandoned by the client", "request_id", requestID, "path", path, "rows", rows)
		case err != nil:
			s.log.Error("export failed after its first bytes; connection closed", "request_id", requestID,
				"path", path, "rows", rows, "error", err)
		}
		details["rows"], details["complete"] = rows, err == nil
		audit.After = details
		if auditErr := s.store.Audit(ctx, audit); auditErr != nil {
			s.log.Error("audit entry not written", "request_id", requestID, "action", audit.Action, "error", auditErr)
		}
		_ = pw.CloseWithError(err) // nil: the reader sees the end of the file
	}()
	timer := time.NewTimer(firstByteTimeout)
	defer timer.Stop()
	select {
	case <-out.started:
	case err := <-failed:
		return err
	case <-timer.C:
		// A database that hangs: 503 rather than a request that never ends.
		cancel()
		select {
		case <-out.started: // just in time; the cancelled export breaks the download
		case err := <-failed:
			return fmt.Errorf("export: no first byte after %s: %w (%w)", firstByteTimeout, domain.ErrUnavailable, err)
		}
	}
	c.Set(fiber.HeaderContentType, format.ContentType())
	c.Set(fiber.HeaderContentDisposition, attachment(name))
	return c.SendStream(pr)
}

// firstWrite signals its first non-empty write before passing it on.
type firstWrite struct {
	w       io.Writer
	once    sync.Once
	started chan struct{}
}

func (f *firstWrite) Write(p []byte) (int, error) {
	if len(p) > 0 {
		f.once.Do(func() { close(f.started) })
	}
	return f.w.Write(p)
}

func (f *firstWrite) hasStarted() bool {
	select {
	case <-f.started:
		return true
	default:
		return false
	}
}

// attachment is the Content-Disposition of a download named name: an
// ASCII file name for every browser, and the exact one as filename*
// (RFC 6266) when it is not plain ASCII.
func attachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
	v := `attachment; filename="` + ascii + `"`
	if ascii != name {
		v += "; filename*=UTF-8''" + url.PathEscape(name)
	}
	return v
}
