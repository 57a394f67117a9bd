-- +goose Up
-- Issue 15, point 9: the CSV separator a user chose for their downloads.
-- NULL: not chosen, the language decides (French and Arabic: semicolon, the
-- list separator of Moroccan and French Excel; English: comma).
ALTER TABLE users
    ADD COLUMN csv_separator text CHECK (csv_separator IN ('comma', 'semicolon'));

-- +goose Down
ALTER TABLE users DROP COLUMN csv_separator;
