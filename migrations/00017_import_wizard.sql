-- +goose Up
-- The import wizard (issue 15, points 1-5; docs/IMPORTS.md).

-- 1. A file uploaded for a preview, kept so that the coordinator's choices
--    (columns, matches, organisations) apply to the same bytes without
--    sending it again. One per user: a new upload replaces it; deleted once
--    the import is committed, and after a day in any case (it holds the
--    people of the list: docs/SECURITY.md, "Minors' data").
CREATE TABLE import_drafts (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    filename   text NOT NULL CHECK (length(filename) <= 300),
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_drafts_user_idx ON import_drafts (user_id);

-- 2. The field each user chose for a header the import does not know
--    (folded as domain.HeaderKey), applied to their next files.
CREATE TABLE import_column_choices (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    header_key text NOT NULL CHECK (header_key <> '' AND length(header_key) <= 300),
    field      text NOT NULL CHECK (field <> '' AND length(field) <= 40),
    chosen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, header_key)
);

-- +goose Down
DROP TABLE import_column_choices, import_drafts;
