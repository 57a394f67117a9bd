package app

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// maxConcurrentImports is how many imports the server runs at once: the
// largest list the limits admit peaks at about 175 MB of RSS while it is
// read, two at once at about 420 MB (docs/BENCHMARKS.md#hostile-imports),
// and this bounds the sum under the default memory limit.
const maxConcurrentImports = 2

// errImportBusy refuses an import while maxConcurrentImports run: 429 with
// its own message ("try again in a minute") and a Retry-After.
var errImportBusy = domain.Refuse(domain.ErrBusy, "import.busy")

// importRetryAfter is the Retry-After of errImportBusy, in seconds.
const importRetryAfter = 60

// takeImportSlot reserves one of the server's import slots, or refuses at
// once: a request waiting in line would hold its body (up to BodyLimit) and
// a connection for as long, and a person at the page can send again.
func (s *Server) takeImportSlot(c *fiber.Ctx) (release func(), err error) {
	select {
	case s.importSlots <- struct{}{}:
		return func() { <-s.importSlots }, nil
	default:
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(importRetryAfter))
		return nil, errImportBusy
	}
}

// runImport reads a participant list from the multipart request (an
// importUpload: field "file", optional "course_id", "dry_run",
// "override_capacity") and imports it, all or nothing. form is the request
// as the import page shows it again (nil when refused before reading it).
//
// Who may import what: coordinators and admins import anyone, into any
// course or none. A trainer must name one of their own courses (another
// course is 404, as everywhere): people imported without a course would be
// records the trainer could never see again.
func (s *Server) runImport(c *fiber.Ctx) (out importOutcome, form *Form, err error) {
	// First: the slot is what bounds the work below, two imports at a time.
	// The job releases it when it ends (startImportJob).
	release, err := s.takeImportSlot(c)
	if err != nil {
		return out, nil, err
	}
	var upload importUpload
	form = readForm(c, &upload)
	opts := repository.ImportOptions{CourseID: upload.CourseID, DryRun: upload.DryRun}
	p := domain.Problems{}
	if coordinators.admits(currentUser(c)) {
		opts.OverrideCapacity = upload.OverrideCapacity
	} else if opts.CourseID == 0 {
		p.Add("course_id", "import.course_required")
	}
	if upload.File == nil {
		p.Add("file", "validation.required")
	}
	if err := form.Check(p.Err()); err != nil {
		release()
		return out, form, err
	}
	header := upload.File
	if header.Size > domain.MaxImportBytes {
		// Said before reading it: the engine would stop at the limit too.
		release()
		return out, form, &domain.ImportError{Problems: []domain.ImportProblem{{Key: "import.file_too_large", Param: "10 MB"}}}
	}
	if opts.Scope, err = s.scope(c); err != nil {
		release()
		return out, form, err
	}
	out, err = s.startImportJob(c, header, opts, release)
	return out, form, err
}

// apiImportTrainees answers POST /api/v1/imports/trainees: the report, 201
// after a commit and 200 after a dry run; a refused file is 422 with every
// problem (see errorBody), 413 beyond a limit, 429 while two imports run.
// An import still running after the wait is 202 with its status URL
// (Location); a refused job's URL is in Content-Location, for its file of
// rows to fix.
func (s *Server) apiImportTrainees(c *fiber.Ctx) error {
	out, _, err := s.runImport(c)
	if out.jobID != 0 && err != nil {
		c.Set(fiber.HeaderContentLocation, fmt.Sprintf("/api/v1/imports/jobs/%d", out.jobID))
	}
	switch {
	case err != nil:
		return err
	case out.running:
		return s.answerRunningImport(c, out.jobID)
	case out.report.DryRun:
		return c.JSON(out.report)
	}
	return created(c, out.report)
}

// importPageData is the import page: the form's choices and, after a
// POST, the report or the problems.
type importPageData struct {
	Courses  []repository.CourseSummary
	Manage   bool
	Report   *repository.ImportReport
	Problems []importProblem
	// FixJob is the refused job whose file of rows to fix is offered, or 0.
	FixJob int64
}

// importProblem is one problem of a refused file, translated.
type importProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`      // canonical column ("" for the whole file or row)
	Field   string `json:"column_name,omitempty"` // the column in the user's language
	Key     string `json:"key"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
}

// translateImportProblems puts each problem in the user's language.
func translateImportProblems(t *Translator, problems []domain.ImportProblem) []importProblem {
	out := make([]importProblem, len(problems))
	for i, p := range problems {
		out[i] = importProblem{Row: p.Row, Column: p.Column, Key: p.Key, Param: p.Param}
		if p.Column == "" {
			// A problem of the whole file or row names no field.
			out[i].Message = t.Problem("file", domain.Problem{Key: p.Key, Param: p.Param})
			continue
		}
		out[i].Field = t.FieldName(p.Column)
		out[i].Message = t.Problem(p.Column, domain.Problem{Key: p.Key, Param: p.Param})
	}
	return out
}

func (s *Server) importPageData(c *fiber.Ctx) (*importPageData, error) {
	scope, err := s.scope(c)
	if err != nil {
		return nil, err
	}
	courses, err := s.store.Courses(c.UserContext(), scope, repository.CourseFilter{}, repository.Page{})
	if err != nil {
		return nil, err
	}
	return &importPageData{Courses: courses, Manage: coordinators.admits(currentUser(c))}, nil
}

// importPage shows the import form; a preview is ticked by default.
func (s *Server) importPage(c *fiber.Ctx) error {
	data, err := s.importPageData(c)
	if err != nil {
		return err
	}
	return s.renderForm(c, "imports/form", data, formOf(newImportUpload(int64(queryInt(c, "course")))), nil)
}

// importForm runs the import from the page and shows the report, or the
// table of problems (422) with the form filled in again. The page's
// choices are loaded once the import is done.
func (s *Server) importForm(c *fiber.Ctx) error {
	out, form, err := s.runImport(c)
	if form == nil {
		// Refused before reading it (two imports run): the page still shows what was sent.
		form = readForm(c, &importUpload{})
	}
	if err != nil {
		return s.renderImportRefusal(c, form, out.jobID, err)
	}
	if out.running {
		return c.Redirect(fmt.Sprintf("/imports/jobs/%d", out.jobID), fiber.StatusSeeOther)
	}
	data, err := s.importPageData(c)
	if err != nil {
		return err
	}
	data.Report = out.report
	if !out.report.DryRun {
		// The next send should not commit the same file again by accident.
		form.Values["dry_run"] = "on"
	}
	return s.renderPage(c, fiber.StatusOK, "imports/form", data, form)
}

// renderImportRefusal shows the form again after a refused import, with
// what was entered: a refused file's problems in a table under "nothing
// was saved" (422, or 413 beyond a limit) with the file of rows to fix
// when job kept one, anything else as every form shows it (renderForm).
func (s *Server) renderImportRefusal(c *fiber.Ctx, form *Form, job int64, err error) error {
	a := classify(err)
	if a.rows == nil {
		return s.renderFormAgain(c, "imports/form", form, err, func() (any, error) { return s.importPageData(c) })
	}
	data, loadErr := s.importPageData(c)
	if loadErr != nil {
		return loadErr
	}
	data.Problems = translateImportProblems(s.tr(c), a.rows)
	data.FixJob = fixJobOf(job, job != 0, a.rows)
	form.Message = s.tr(c).T("import.refused")
	return s.renderPage(c, a.status, "imports/form", data, form)
}
