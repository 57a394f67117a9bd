-- +goose Up
-- Every change writes an audit entry, in the transaction of the change:
-- an enrolment writes one, a 100,000-row import 100,000. Each B-tree index
-- of audit_log is paid by every one of them (docs/BENCHMARKS.md, "An
-- audit entry lighter"), so the log keeps the indexes its reads use:
--
-- - audit_log_entity_idx (entity, entity_id) has had no reader since the
--   entries name their person, course and session (00011): the audit page
--   and a person's history read those columns' indexes.
-- - The audit page's period filter (at) reads a log that is written in
--   time order and never reordered: a BRIN index, a summary of each run of
--   pages, answers it for a fraction of a B-tree's upkeep and size.
DROP INDEX audit_log_entity_idx;
DROP INDEX audit_log_at_idx;
CREATE INDEX audit_log_at_brin ON audit_log USING brin (at);

-- +goose Down
DROP INDEX audit_log_at_brin;
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
