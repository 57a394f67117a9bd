-- +goose Up
-- One organisation, one row; one person, one row (issue 14, point 4;
-- docs/DUPLICATES.md).

-- 1. The folded names of each organisation (domain.Organisation.FoldedNames,
--    computed in Go when it is created), one row each, unique per kind and
--    province: "Association Amal " and "association amal" cannot both be
--    created. Kind and province are copied here for the index, and follow
--    the organisation (trigger below); the rows go with it.
CREATE TABLE organisation_keys (
    organisation_id bigint NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    province_id     bigint,
    key             text NOT NULL CHECK (key <> ''),
    PRIMARY KEY (organisation_id, key)
);
CREATE UNIQUE INDEX organisation_keys_unique ON organisation_keys (kind, coalesce(province_id, 0), key);
CREATE INDEX organisation_keys_key_idx ON organisation_keys (key);

-- +goose StatementBegin
CREATE FUNCTION organisation_keys_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE organisation_keys SET kind = NEW.kind, province_id = NEW.province_id WHERE organisation_id = NEW.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER organisation_keys_follow AFTER UPDATE OF kind, province_id ON organisations
    FOR EACH ROW EXECUTE FUNCTION organisation_keys_follow();

-- Existing organisations: name_key is "folded ar | folded fr" (or the one
-- folded name), written by Go; split it back. A name whose folded form
-- itself holds " | " keeps the whole name_key as its one key.
-- Duplicates already on record are NOT merged here (that would change
-- published figures without a trace): the oldest keeps the key, the others
-- stay as they are, listed on the duplicates page for a coordinator to
-- merge (audited, and reversible).
INSERT INTO organisation_keys (organisation_id, kind, province_id, key)
SELECT DISTINCT ON (o.id, k.key) o.id, o.kind, o.province_id, k.key
  FROM organisations o
 CROSS JOIN LATERAL unnest(CASE
        WHEN o.name_ar IS NOT NULL AND o.name_fr IS NOT NULL
             AND array_length(string_to_array(o.name_key, ' | '), 1) = 2
            THEN string_to_array(o.name_key, ' | ')
        ELSE ARRAY[o.name_key] END) AS k (key)
 WHERE k.key <> ''
 ORDER BY o.id, k.key
    ON CONFLICT DO NOTHING;

-- 2. Merges of two people or two organisations: every row the merge
--    touched, as it was before (whole rows as JSONB, so that columns added
--    later are kept too), so that an unmerge puts back every row exactly.
CREATE TABLE merges (
    id          bigserial PRIMARY KEY,
    entity      text NOT NULL CHECK (entity IN ('trainee', 'organisation')),
    kept_id     bigint NOT NULL,
    removed_id  bigint NOT NULL CHECK (removed_id <> kept_id),
    -- {"table": {"updated": [row, ...], "deleted": [row, ...]}, ...}
    before      jsonb NOT NULL,
    merged_by   bigint REFERENCES users (id),
    merged_at   timestamptz NOT NULL DEFAULT now(),
    unmerged_by bigint REFERENCES users (id),
    unmerged_at timestamptz
);
CREATE INDEX merges_entity_idx ON merges (entity, kept_id);

-- +goose Down
DROP TABLE merges;
DROP TRIGGER organisation_keys_follow ON organisations;
DROP FUNCTION organisation_keys_follow();
DROP TABLE organisation_keys;
