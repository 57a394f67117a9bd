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

// importRun is one import as the page and the API answer it: the report
// (also when refused, for the preview), the file as read, the choices and
// the form to show again.
type importRun struct {
	report  *repository.ImportReport
	file    *domain.ImportFile
	choices importChoices
	form    *Form
	draft   int64
	jobID   int64 // the import's job (importjobs.go), 0 if refused before one
	running bool  // the job still runs after the wait
}

// runImport reads a participant list from the multipart request (an
// importUpload: field "file" or "draft", optional "course_id", "dry_run",
// "override_capacity", and the wizard's choices: importwizard.go) and
// imports it, all or nothing. run.form is the request as the import page
// shows it again (nil when refused before reading it). keepDraft keeps an
// uploaded file for the page's next step.
//
// Who may import what: coordinators and admins import anyone, into any
// course or none, and may update people on record from the file. A trainer
// must name one of their own courses (another course is 404, as
// everywhere): people imported without a course would be records the
// trainer could never see again.
func (s *Server) runImport(c *fiber.Ctx, keepDraft bool) (run importRun, err error) {
	// First: the slot is what bounds the work below, two imports at a time.
	// The job takes it over once it starts (startImportJob).
	release, err := s.takeImportSlot(c)
	if err != nil {
		return run, err
	}
	handedOver := false
	defer func() {
		if !handedOver {
			release()
		}
	}()
	var upload importUpload
	run.form = readForm(c, &upload)
	run.choices = readImportChoices(c)
	manage := coordinators.admits(currentUser(c))
	opts := repository.ImportOptions{CourseID: upload.CourseID, DryRun: upload.DryRun, MayUpdate: manage,
		Decisions: run.choices.decisions, DecideAll: run.choices.decideAll, Organisations: run.choices.organisations}
	p := domain.Problems{}
	if manage {
		opts.OverrideCapacity = upload.OverrideCapacity
	} else if opts.CourseID == 0 {
		p.Add("course_id", "import.course_required")
	}
	if upload.File == nil && upload.Draft == 0 {
		p.Add("file", "validation.required")
	}
	if err := run.form.Check(p.Err()); err != nil {
		return run, err
	}
	if upload.File != nil && upload.File.Size > domain.MaxImportBytes {
		// Said before reading it: the engine would stop at the limit too.
		return run, &domain.ImportError{Problems: []domain.ImportProblem{{Key: "import.file_too_large", Param: "10 MB"}}}
	}
	if opts.Scope, err = s.scope(c); err != nil {
		return run, err
	}
	filename, data, err := s.importBytes(c, &upload, keepDraft)
	if err != nil {
		return run, err
	}
	run.draft = upload.Draft
	// The limits before any row is parsed: 100,001 rows are refused at once.
	rows, err := domain.CheckImportSize(data)
	if err != nil {
		return run, err
	}
	if run.file, err = s.parseWithChoices(c, filename, data, rows, run.choices); err != nil {
		return run, err
	}
	if opts.CourseID != 0 && !opts.Scope.Allows(opts.CourseID) {
		return run, fmt.Errorf("import into course %d: %w", opts.CourseID, domain.ErrNotFound)
	}
	handedOver = true
	// The job alone holds the rows: the request keeps what the preview
	// shows (headers, sample), so that they are freed when the job ends
	// and not held by a request polled for its status.
	parsed := run.file
	run.file = withoutRows(parsed)
	out, err := s.startImportJob(c, filename, data, rows, parsed, opts, release)
	run.report, run.jobID, run.running = out.report, out.jobID, out.running
	if err == nil && !run.running && !opts.DryRun && run.draft != 0 {
		// Committed: the file's copy is no longer needed.
		err = s.store.DeleteImportDraft(c.UserContext(), run.draft, currentUser(c).ID)
		run.draft = 0
	}
	return run, err
}

// apiImportTrainees answers POST /api/v1/imports/trainees: the report, 201
// after a commit and 200 after a dry run; a refused file is 422 with every
// problem (see errorBody), 413 beyond a limit, 429 while two imports run.
func (s *Server) apiImportTrainees(c *fiber.Ctx) error {
	run, err := s.runImport(c, false)
	if run.jobID != 0 && err != nil {
		c.Set(fiber.HeaderContentLocation, fmt.Sprintf("/api/v1/imports/jobs/%d", run.jobID))
	}
	if err != nil {
		return s.importRefusedWithReport(c, err, run.report)
	}
	if run.running {
		return s.answerRunningImport(c, run.jobID)
	}
	if run.report.DryRun {
		return c.JSON(run.report)
	}
	return created(c, run.report)
}

// importPageData is the import page: the form's choices and, after a
// POST, the report or the problems.
type importPageData struct {
	Courses  []repository.CourseSummary
	Manage   bool
	Report   *repository.ImportReport
	Problems []importProblem
	Preview  *importPreview // the wizard's preview, once a file was read
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

// importForm runs the import from the page and shows the report with the
// preview, or the table of problems (422) with the preview and the form
// filled in again. The page's choices are loaded once the import is done.
func (s *Server) importForm(c *fiber.Ctx) error {
	run, err := s.runImport(c, true)
	form := run.form
	if form == nil {
		// Refused before reading it (two imports run): the page still shows what was sent.
		form = readForm(c, &importUpload{})
	}
	if run.draft != 0 {
		form.Values["draft"] = strconv.FormatInt(run.draft, 10)
	} else {
		form.Values["draft"] = ""
	}
	if err != nil {
		return s.renderImportRefusal(c, form, err, run)
	}
	if run.running {
		return c.Redirect(fmt.Sprintf("/imports/jobs/%d", run.jobID), fiber.StatusSeeOther)
	}
	data, err := s.importPageData(c)
	if err != nil {
		return err
	}
	data.Report = run.report
	if run.report.DryRun {
		data.Preview = s.preview(c, run)
	} else {
		// The next send should not commit the same file again by accident.
		form.Values["dry_run"] = "on"
	}
	return s.renderPage(c, fiber.StatusOK, "imports/form", data, form)
}

func (s *Server) preview(c *fiber.Ctx, run importRun) *importPreview {
	if run.file == nil {
		return nil
	}
	return newImportPreview(s.tr(c), run.file, run.report, run.choices, run.draft, coordinators.admits(currentUser(c)))
}

// renderImportRefusal shows the form again after a refused import, with
// what was entered: a refused file's problems in a table under "nothing
// was saved" (422, or 413 beyond a limit) beside the preview, anything
// else as every form shows it (renderForm).
func (s *Server) renderImportRefusal(c *fiber.Ctx, form *Form, err error, run importRun) error {
	a := classify(err)
	if a.rows == nil {
		return s.renderFormAgain(c, "imports/form", form, err, func() (any, error) { return s.importPageData(c) })
	}
	data, loadErr := s.importPageData(c)
	if loadErr != nil {
		return loadErr
	}
	data.Problems = translateImportProblems(s.tr(c), a.rows)
	data.Preview = s.preview(c, run)
	data.FixJob = fixJobOf(run.jobID, run.jobID != 0, a.rows)
	form.Message = s.tr(c).T("import.refused")
	return s.renderPage(c, a.status, "imports/form", data, form)
}

// withoutRows is file as the preview shows it, without its rows.
func withoutRows(file *domain.ImportFile) *domain.ImportFile {
	summary := *file
	summary.Rows = nil
	return &summary
}
