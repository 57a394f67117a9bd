-- +goose Up
-- Imports run as jobs (issue 15, point 6): the request stores the file and
-- answers at once; the job reads it, checks it and writes it in one
-- transaction, whose commit also marks the job done. docs/API.md has the
-- status URL, repository/importjobs.go the why of each column.
CREATE TABLE import_jobs (
    id                bigserial PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status            text NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'done', 'refused', 'failed')),
    -- What the job does now, for the progress bar: reading the file, then
    -- checking it against the database, then writing.
    phase             text NOT NULL DEFAULT 'queued'
                      CHECK (phase IN ('queued', 'reading', 'checking', 'writing', 'finished')),
    rows_total        int NOT NULL CHECK (rows_total >= 0),
    rows_read         int NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    filename          text NOT NULL CHECK (length(filename) <= 255),
    -- No foreign key: its check would wait on a course row that an enrolment
    -- (or the job itself) holds locked; the job checks the course.
    course_id         bigint,
    dry_run           boolean NOT NULL,
    override_capacity boolean NOT NULL,
    -- The file as sent, kept while the job runs and, after a refusal, for
    -- the file of the rows to fix; cleared otherwise (ImportJobsSweep).
    file              bytea CHECK (length(file) <= 10485760),
    -- The backend of the job's transaction and when that transaction began:
    -- while this pair is in pg_stat_activity the job is alive; otherwise
    -- its server died (or lost its connection) and the job failed.
    backend_pid       int,
    xact_start        timestamptz,
    report            jsonb,
    problems          jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX import_jobs_user ON import_jobs (user_id, id);
CREATE INDEX import_jobs_running ON import_jobs (id) WHERE status = 'running';

-- +goose Down
DROP TABLE import_jobs;
