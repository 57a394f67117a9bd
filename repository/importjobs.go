package repository

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"takaffoul/domain"
)

// An import job (issue 15, point 6) is an import kept in import_jobs: the
// request stores the job (with its file, or the job keeps the file and
// stores it only if refused: RunParsedImportJob) and the job runs it in
// the background, so that
// a list of 100,000 rows is not bound by the request's timeout. The job's
// transaction is opened first and its backend recorded: while that
// transaction lives the job is running; if the server dies, PostgreSQL
// rolls it back with the connection, nothing of the file is saved, and the
// next reader of the job (or the server's sweep at start) sees that
// transaction gone and marks the job failed. A commit marks the job done
// in the same transaction as the rows it wrote.

// Import job statuses.
const (
	ImportRunning = "running"
	ImportDone    = "done"
	ImportRefused = "refused"
	ImportFailed  = "failed"
)

// ImportJob is an import as its status page and status URL show it.
type ImportJob struct {
	ID        int64  `db:"id" json:"id"`
	UserID    int64  `db:"user_id" json:"-"`
	Status    string `db:"status" json:"status"`
	Phase     string `db:"phase" json:"phase"`
	RowsTotal int    `db:"rows_total" json:"rows_total"`
	RowsRead  int    `db:"rows_read" json:"rows_read"`
	Filename  string `db:"filename" json:"filename"`
	CourseID  *int64 `db:"course_id" json:"course_id"`
	DryRun    bool   `db:"dry_run" json:"dry_run"`
	// HasFile says the file is still kept: a refused job's, for the file
	// of the rows to fix.
	HasFile    bool                   `db:"has_file" json:"-"`
	Report     *ImportReport          `db:"-" json:"report,omitempty"`
	Problems   []domain.ImportProblem `db:"-" json:"-"` // translated by the web layer
	CreatedAt  time.Time              `db:"created_at" json:"created_at"`
	FinishedAt *time.Time             `db:"finished_at" json:"finished_at"`

	ReportJSON   []byte `db:"report" json:"-"`
	ProblemsJSON []byte `db:"problems" json:"-"`
}

// NewImportJob is an import to run: the file as sent and what to do with it.
type NewImportJob struct {
	Filename  string
	File      []byte
	RowsTotal int // counted before parsing (domain.CheckImportSize); 0 if unknown
	Options   ImportOptions
}

// CreateImportJob stores a job of by's, running, its file with it. The
// job is not audited: the import is, when it commits (trainees.import).
func (s *Store) CreateImportJob(ctx context.Context, job NewImportJob, by *int64) (_ int64, err error) {
	defer wrap(&err, "CreateImportJob")
	if by == nil {
		return 0, errors.New("an import job needs its user")
	}
	const q = `INSERT INTO import_jobs (user_id, rows_total, filename, course_id, dry_run, override_capacity, file)
	           VALUES ($1, $2, $3, NULLIF($4, 0), $5, $6, $7) RETURNING id`
	var id int64
	err = getOne(ctx, s.db, &id, q, by, job.RowsTotal, truncateRunes(job.Filename, 255), job.Options.CourseID,
		job.Options.DryRun, job.Options.OverrideCapacity, job.File)
	return id, err
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// jobDead is true of a running job whose transaction is no longer in
// pg_stat_activity (its server died, or the job ended without saying how),
// or that never opened one within a minute of being created.
const jobDead = `status = 'running' AND NOT EXISTS (
	    SELECT 1 FROM pg_stat_activity a WHERE a.pid = import_jobs.backend_pid AND a.xact_start = import_jobs.xact_start)
	AND (backend_pid IS NOT NULL OR created_at < now() - interval '1 minute')`

// failDead marks the dead jobs failed (a caller may narrow it with AND …).
const failDead = `UPDATE import_jobs SET status = 'failed', phase = 'finished', finished_at = now(), file = NULL
	WHERE ` + jobDead

// ImportJob reads the job id of userID (another user's is not found),
// marking it failed first if its server died while it ran.
func (s *Store) ImportJob(ctx context.Context, id, userID int64) (_ *ImportJob, err error) {
	defer wrap(&err, "ImportJob %d", id)
	if _, err := s.db.ExecContext(ctx, failDead+` AND id = $1 AND user_id = $2`, id, userID); err != nil {
		return nil, err
	}
	const q = `SELECT id, user_id, status, phase, rows_total, rows_read, filename, course_id, dry_run,
	                  file IS NOT NULL AS has_file, report, problems, created_at, finished_at
	             FROM import_jobs WHERE id = $1 AND user_id = $2`
	var job ImportJob
	if err := getOne(ctx, s.db, &job, q, id, userID); err != nil {
		return nil, err
	}
	if job.ReportJSON != nil {
		job.Report = &ImportReport{}
		if err := json.Unmarshal(job.ReportJSON, job.Report); err != nil {
			return nil, err
		}
	}
	if job.ProblemsJSON != nil {
		if err := json.Unmarshal(job.ProblemsJSON, &job.Problems); err != nil {
			return nil, err
		}
	}
	return &job, nil
}

// ImportJobFile is the file of userID's job id, as sent, while it is kept.
func (s *Store) ImportJobFile(ctx context.Context, id, userID int64) (_ []byte, err error) {
	defer wrap(&err, "ImportJobFile %d", id)
	var file []byte
	const q = `SELECT file FROM import_jobs WHERE id = $1 AND user_id = $2 AND file IS NOT NULL`
	return file, getOne(ctx, s.db, &file, q, id, userID)
}

// refusedFileKept is how long a refused job keeps its file, for the file
// of the rows to fix; jobKept how long a job is kept at all.
const (
	refusedFileKept = 24 * time.Hour
	jobKept         = 30 * 24 * time.Hour
)

// SweepImportJobs marks failed the jobs whose server died while they ran,
// clears the files of refused jobs older than a day and deletes the jobs
// older than thirty days. It returns how many jobs it marked failed.
func (s *Store) SweepImportJobs(ctx context.Context) (failed int64, err error) {
	defer wrap(&err, "SweepImportJobs")
	res, err := s.db.ExecContext(ctx, failDead)
	if err != nil {
		return 0, err
	}
	failed, _ = res.RowsAffected()
	const clear = `UPDATE import_jobs SET file = NULL WHERE file IS NOT NULL AND status <> 'running' AND finished_at < now() - $1::interval`
	if _, err := s.db.ExecContext(ctx, clear, refusedFileKept.String()); err != nil {
		return failed, err
	}
	const purge = `DELETE FROM import_jobs WHERE status <> 'running' AND finished_at < now() - $1::interval`
	_, err = s.db.ExecContext(ctx, purge, jobKept.String())
	return failed, err
}

// ImportParser reads a job's file, telling progress how many rows it read.
type ImportParser func(file []byte, progress func(rowsRead int)) *domain.ImportFile

// progressInterval is how often, at most, a job writes its progress.
const progressInterval = 250 * time.Millisecond

// RunImportJob runs job id: it opens the import's transaction, records it
// as the job's, reads the file with parse, then imports it (ImportTrainees'
// steps). A commit writes the job's end in that same transaction; any other
// end (refused, failed, a preview) is written on the pool *before* the
// transaction is rolled back, so that no reader can find the transaction
// gone and the job still running — which is how a job whose server died is
// recognised. It returns the report, or what ImportTrainees would have.
func (s *Store) RunImportJob(ctx context.Context, id int64, opt ImportOptions, parse ImportParser, by *int64) (_ *ImportReport, err error) {
	defer wrap(&err, "RunImportJob %d", id)
	return s.runJob(ctx, jobRun{id: id, opt: opt, by: by, parse: parse, readFile: true})
}

// RunParsedImportJob runs job id as RunImportJob does, on the file the
// request parsed already: the job's copy of the file is not read back (10
// MB, twice that in transit as hex, for nothing). file is the file as sent,
// for a job created without it (NewImportJob.File nil): it is written to
// the job only if the job is refused, for the file of the rows to fix — the
// only use of it once parsed — so that an import that commits, or a preview
// that passes, never sends it (its hex text and the message holding it were
// the largest allocations of a 100,000-row import: docs/BENCHMARKS.md).
func (s *Store) RunParsedImportJob(ctx context.Context, id int64, opt ImportOptions, parsed *domain.ImportFile, file []byte, by *int64) (_ *ImportReport, err error) {
	defer wrap(&err, "RunImportJob %d", id)
	parse := func([]byte, func(int)) *domain.ImportFile { return parsed }
	return s.runJob(ctx, jobRun{id: id, opt: opt, by: by, parse: parse, refusedFile: file})
}

// jobRun is one run of a job: readFile reads the job's stored file back for
// parse; refusedFile is written to the job if it is refused.
type jobRun struct {
	id          int64
	opt         ImportOptions
	by          *int64
	parse       ImportParser
	readFile    bool
	refusedFile []byte
}

func (s *Store) runJob(ctx context.Context, run jobRun) (*ImportReport, error) {
	if run.opt.CourseID != 0 && !run.opt.Scope.Allows(run.opt.CourseID) {
		s.finishImportJob(run.id, ImportFailed, nil, nil, nil)
		return nil, notFound("course")
	}
	report, err := s.runImportJob(ctx, run)
	if err != nil {
		// Only if the transaction could not say it (the connection lost):
		// a no-op for a job that ended.
		s.finishImportJob(run.id, ImportFailed, nil, nil, nil)
	}
	return report, err
}

func (s *Store) runImportJob(ctx context.Context, run jobRun) (*ImportReport, error) {
	id, opt, by := run.id, run.opt, run.by
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	var pid int
	var start time.Time
	if err := tx.QueryRowContext(ctx, `SELECT pg_backend_pid(), now()`).Scan(&pid, &start); err != nil {
		return nil, mapError(err)
	}
	// Outside the transaction, so that readers see the job alive at once.
	var file []byte
	const claim = `UPDATE import_jobs SET backend_pid = $2, xact_start = $3, phase = 'reading'
	                WHERE id = $1 AND status = 'running' RETURNING CASE WHEN $4 THEN file END`
	if err := getOne(ctx, s.db, &file, claim, id, pid, start, run.readFile); err != nil {
		return nil, err
	}
	progress := s.jobProgress(ctx, id)
	parsed := run.parse(file, progress.rows)
	report, err := importParsed(ctx, tx, parsed, opt, by, progress)
	progress.stop()
	var refused *domain.ImportError
	switch {
	case errors.As(err, &refused):
		s.finishImportJob(id, ImportRefused, nil, refused.Problems, run.refusedFile)
		return report, err // the refused file's report, for the preview
	case err != nil:
		s.finishImportJob(id, ImportFailed, nil, nil, nil)
		return nil, err
	case opt.DryRun:
		s.finishImportJob(id, ImportDone, report, nil, nil)
		return report, nil // rolled back by the deferred Rollback
	}
	if err := s.markImportJob(ctx, tx, id, jobEnd{status: ImportDone, report: report}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, mapError(fmt.Errorf("commit import: %w", err))
	}
	return report, nil
}

// importParsed imports a job's parsed file in tx, telling progress.
func importParsed(ctx context.Context, tx *sqlx.Tx, parsed *domain.ImportFile, opt ImportOptions, by *int64,
	progress *jobProgressWriter) (*ImportReport, error) {
	if len(parsed.Rows) == 0 {
		if err := parsed.Err(); err != nil {
			return newImportReport(parsed, opt), err
		}
	}
	progress.phase("checking")
	return importInTx(ctx, tx, parsed, opt, by, progress.phase)
}

// jobProgress writes a job's progress on the pool, outside its transaction,
// at most every progressInterval; stop waits for the last write.
type jobProgressWriter struct {
	s    *Store
	ctx  context.Context
	id   int64
	mu   sync.Mutex
	last time.Time
	done bool
}

func (s *Store) jobProgress(ctx context.Context, id int64) *jobProgressWriter {
	return &jobProgressWriter{s: s, ctx: ctx, id: id}
}

func (p *jobProgressWriter) rows(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || time.Since(p.last) < progressInterval {
		return
	}
	p.last = time.Now()
	// Best effort: a progress bar that lags is no reason to fail the import.
	_, _ = p.s.db.ExecContext(p.ctx, `UPDATE import_jobs SET rows_read = $2 WHERE id = $1 AND status = 'running'`, p.id, n)
}

func (p *jobProgressWriter) phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	const q = `UPDATE import_jobs SET phase = $2, rows_read = greatest(rows_read, rows_total) WHERE id = $1 AND status = 'running'`
	_, _ = p.s.db.ExecContext(p.ctx, q, p.id, name)
}

// stop ends the progress writes: the job's own transaction updates its row
// next, and a write from the pool would wait on it.
func (p *jobProgressWriter) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
}

// jobEnd is how a job ended: its status, its report or its problems, and
// for a refused job created without its file, the file (RunParsedImportJob).
type jobEnd struct {
	status   string
	report   *ImportReport
	problems []domain.ImportProblem
	file     []byte
}

// markImportJob ends the job on q (its transaction, or the pool).
func (s *Store) markImportJob(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, id int64, end jobEnd) error {
	var reportJSON, problemsJSON []byte
	var err error
	if end.report != nil {
		if reportJSON, err = json.Marshal(end.report); err != nil {
			return err
		}
	}
	if end.problems != nil {
		if problemsJSON, err = json.Marshal(end.problems); err != nil {
			return err
		}
	}
	// A refused job keeps its file for the file of rows to fix.
	const mark = `UPDATE import_jobs SET status = $2, phase = 'finished', finished_at = now(), report = $3, problems = $4,
	                     rows_read = greatest(rows_read, rows_total),
	                     file = CASE WHEN $2 = 'refused' THEN coalesce($5::bytea, file) END
	               WHERE id = $1 AND status = 'running'`
	var file any // NULL unless refused: the file is sent only when it is kept
	if end.status == ImportRefused && end.file != nil {
		file = end.file
	}
	_, err = q.ExecContext(ctx, mark, id, end.status, nullJSON(reportJSON), nullJSON(problemsJSON), file)
	return mapError(err)
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// finishImportJob records how a job ended outside its transaction (rolled
// back): with a context of its own, so that a job cut by its deadline
// still says it failed. If this write fails too, the next reader finds the
// job's transaction gone and marks it failed.
func (s *Store) finishImportJob(id int64, status string, report *ImportReport, problems []domain.ImportProblem, file []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.markImportJob(ctx, s.db, id, jobEnd{status: status, report: report, problems: problems, file: file})
}
