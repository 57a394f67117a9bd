package app

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"takaffoul/domain"
	"takaffoul/repository"
)

// An import runs as a job kept in PostgreSQL (repository/importjobs.go):
// the request checks the limits, stores the file and starts the job, then
// waits for it a while (Config.ImportWait). A list that ends within the
// wait is answered as before (the report, or the problems); a longer one
// gets its status page, which refreshes itself until the job ends, or, in
// the API, 202 and the status URL. docs/API.md, "Imports".

// defaultImportWait is how long a request waits for its job: under the
// request timeout, so that the answer is never the timeout's.
const defaultImportWait = 10 * time.Second

// importJobTimeout bounds a job: 100,000 rows took about 20 s here.
const importJobTimeout = 10 * time.Minute

// importStatusRefresh is how often, in seconds, the status page reloads.
const importStatusRefresh = 2

// importOutcome is what an import came to within the wait: its report,
// or a job still running.
type importOutcome struct {
	jobID   int64
	report  *repository.ImportReport
	running bool
}

// importResult is how a job ended, for the request waiting on it.
type importResult struct {
	report *repository.ImportReport
	err    error
}

// startImportJob stores the job and runs the database part of the import
// in it, on the file the request parsed (the wizard's preview shows its
// rows as read); the job keeps the file as sent, to store it only if it
// refuses it (for the file of rows to fix), and releases the import slot
// when it ends. It waits for the job up to the
// wait (none when the API client says Prefer: respond-async).
func (s *Server) startImportJob(c *fiber.Ctx, filename string, data []byte, rows int, parsed *domain.ImportFile,
	opts repository.ImportOptions, release func()) (out importOutcome, err error) {
	id, err := s.store.CreateImportJob(c.UserContext(), repository.NewImportJob{Filename: filename,
		RowsTotal: rows, Options: opts}, actor(c))
	if err != nil {
		release()
		return out, err
	}
	out.jobID = id
	done := s.runImportJob(id, parsed, data, opts, actor(c), release)
	wait := s.cfg.ImportWait
	if strings.Contains(strings.ToLower(c.Get("Prefer")), "respond-async") {
		wait = 0
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case r := <-done:
		out.report = r.report
		return out, r.err
	case <-timer.C:
		out.running = true
		return out, nil
	}
}

// runImportJob runs job id in the background, with a context of its own
// (the request's ends with the request), and says on the channel how it
// ended. A failure is logged here: the request may be gone.
func (s *Server) runImportJob(id int64, parsed *domain.ImportFile, file []byte, opts repository.ImportOptions, by *int64, release func()) <-chan importResult {
	done := make(chan importResult, 1)
	go func() {
		defer release()
		ctx, cancel := context.WithTimeout(context.Background(), importJobTimeout)
		defer cancel()
		report, err := s.store.RunParsedImportJob(ctx, id, opts, parsed, file, by)
		if err != nil && classify(err).rows == nil {
			s.log.Error("import job failed", "job", id, "error", err)
		}
		done <- importResult{report, err}
	}()
	return done
}

// apiImportJob is an import job as GET /api/v1/imports/jobs/:id answers it.
type apiImportJob struct {
	*repository.ImportJob
	Percent   int             `json:"percent"`
	StatusURL string          `json:"status_url"`
	Problems  []importProblem `json:"problems"`
	// ErrorsURL is the file of the rows to fix, after a refusal that names rows.
	ErrorsURL string `json:"errors_url,omitempty"`
}

// importPercent is how far a job has gone, for the progress bar: reading
// the rows is most of the work (about four fifths of 100,000 rows' time).
func importPercent(job *repository.ImportJob) int {
	switch job.Phase {
	case "queued":
		return 0
	case "reading":
		if job.RowsTotal == 0 {
			return 5
		}
		return 5 + 75*min(job.RowsRead, job.RowsTotal)/job.RowsTotal
	case "checking":
		return 82
	case "writing":
		return 90
	}
	return 100
}

func (s *Server) importJob(c *fiber.Ctx) (*repository.ImportJob, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.ImportJob(c.UserContext(), id, currentUser(c).ID)
}

func (s *Server) apiImportJobOf(c *fiber.Ctx, job *repository.ImportJob) apiImportJob {
	out := apiImportJob{ImportJob: job, Percent: importPercent(job),
		StatusURL: fmt.Sprintf("/api/v1/imports/jobs/%d", job.ID),
		Problems:  translateImportProblems(s.tr(c), job.Problems)}
	if job.Status == repository.ImportRefused && job.HasFile && domain.HasRowsToFix(job.Problems) {
		out.ErrorsURL = out.StatusURL + "/errors"
	}
	return out
}

// apiImportJobStatus answers GET /api/v1/imports/jobs/:id: the job's
// status, progress, and its report or problems once it ended.
func (s *Server) apiImportJobStatus(c *fiber.Ctx) error {
	job, err := s.importJob(c)
	if err != nil {
		return err
	}
	return c.JSON(s.apiImportJobOf(c, job))
}

// answerRunningImport is the API's answer to an import still running after
// the wait: 202, the status URL in Location and the job as the status URL
// gives it.
func (s *Server) answerRunningImport(c *fiber.Ctx, id int64) error {
	job, err := s.store.ImportJob(c.UserContext(), id, currentUser(c).ID)
	if err != nil {
		return err
	}
	out := s.apiImportJobOf(c, job)
	c.Location(out.StatusURL)
	return c.Status(fiber.StatusAccepted).JSON(out)
}

// importJobPage is GET /imports/jobs/:id: while the job runs, a progress
// bar that reloads itself (a Refresh header: no script needed); once it
// ended, the import page with its report or its problems.
func (s *Server) importJobPage(c *fiber.Ctx) error {
	job, err := s.importJob(c)
	if err != nil {
		return err
	}
	if job.Status == repository.ImportRunning {
		c.Set("Refresh", strconv.Itoa(importStatusRefresh))
		return s.renderPage(c, fiber.StatusOK, "imports/job", importJobView{job, importPercent(job)}, nil)
	}
	data, err := s.importPageData(c)
	if err != nil {
		return err
	}
	form := formOf(newImportUpload(int64OrZero(job.CourseID)))
	switch job.Status {
	case repository.ImportDone:
		data.Report = job.Report
	case repository.ImportRefused:
		data.Problems = translateImportProblems(s.tr(c), job.Problems)
		form.Message = s.tr(c).T("import.refused")
		data.FixJob = fixJobOf(job.ID, job.HasFile, job.Problems)
	default:
		form.Message = s.tr(c).T("importjobs.failed")
	}
	return s.renderPage(c, fiber.StatusOK, "imports/form", data, form)
}

// importJobView is the status page of a running job.
type importJobView struct {
	Job     *repository.ImportJob
	Percent int
}

func int64OrZero(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}

// fixJobOf is the job whose file of rows to fix the page offers, or 0.
func fixJobOf(id int64, hasFile bool, problems []domain.ImportProblem) int64 {
	if hasFile && domain.HasRowsToFix(problems) {
		return id
	}
	return 0
}

// importJobErrors answers GET …/imports/jobs/:id/errors: the list sent, every
// row again with a first column saying what to fix on it (?only=1: only
// those rows), as the file was sent (CSV) or, with ?format=xlsx, or when
// an .xlsx was sent, as XLSX. Only the job's owner gets it, and only while
// the job keeps its file (a day after the refusal).
func (s *Server) importJobErrors(c *fiber.Ctx) error {
	job, err := s.importJob(c)
	if err != nil {
		return err
	}
	if job.Status != repository.ImportRefused || !domain.HasRowsToFix(job.Problems) {
		return fmt.Errorf("job %d has no rows to fix: %w", job.ID, domain.ErrNotFound)
	}
	file, err := s.store.ImportJobFile(c.UserContext(), job.ID, job.UserID)
	if err != nil {
		return err
	}
	t := s.tr(c)
	format := domain.XLSX
	if c.Query("format") != "xlsx" && !bytes.HasPrefix(file, []byte("PK\x03\x04")) {
		format = domain.CSV
	}
	var out bytes.Buffer
	ok, err := domain.WriteImportFixFile(&out, file, job.Filename, string(format), domain.ImportFixFile{
		Fixes: fixesByRow(t, job.Problems), FixHeader: t.T("importjobs.fix_column"),
		OnlyToFix: c.Query("only") == "1", SheetName: t.T("importjobs.fix_sheet")})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("job %d: the file cannot be read again: %w", job.ID, domain.ErrNotFound)
	}
	c.Set(fiber.HeaderContentType, format.ContentType())
	c.Set(fiber.HeaderContentDisposition, attachment(t.T("importjobs.fix_filename")+"."+string(format)))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(out.Bytes())
}

// fixesByRow joins each row's problems, translated, into what to fix.
func fixesByRow(t *Translator, problems []domain.ImportProblem) map[int]string {
	fixes := map[int]string{}
	for _, p := range translateImportProblems(t, problems) {
		if p.Row < 2 {
			continue
		}
		text := p.Message
		if p.Field != "" {
			text = p.Field + t.T("importjobs.fix_separator") + p.Message
		}
		if fixes[p.Row] != "" {
			text = fixes[p.Row] + " · " + text
		}
		fixes[p.Row] = text
	}
	return fixes
}
