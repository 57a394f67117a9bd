-- +goose Up
-- Scores entered on a device without network (issue 19 point 2, through the
-- offline queue of issue 17): a third kind of change. docs/OFFLINE.md has the why.
ALTER TABLE offline_changes DROP CONSTRAINT offline_changes_kind_check,
    ADD CONSTRAINT offline_changes_kind_check CHECK (kind IN ('mark', 'walkin', 'scores'));

-- A closed course's scores are part of its report: written only in a
-- coordinator's correction, as its marks and enrolments are (migration
-- 00016). Scores (00024) came after that guard and were left out of it.
CREATE TRIGGER enrollment_scores_refuse_closed BEFORE INSERT OR UPDATE OR DELETE ON enrollment_scores
    FOR EACH ROW EXECUTE FUNCTION refuse_writes_on_closed_course();

-- +goose Down
DROP TRIGGER enrollment_scores_refuse_closed ON enrollment_scores;
DELETE FROM offline_changes WHERE kind = 'scores';
ALTER TABLE offline_changes DROP CONSTRAINT offline_changes_kind_check,
    ADD CONSTRAINT offline_changes_kind_check CHECK (kind IN ('mark', 'walkin'));
