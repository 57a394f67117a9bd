-- +goose Up
-- Folded names (domain.SearchKey) now treat typographic apostrophes and
-- dashes ("l’enfance", "Aït–Lahcen") like "'" and "-": a separator between
-- words (issue 14, point 4: an association typed with another apostrophe
-- is the one on record). The keys written before are folded again here,
-- as SearchKey folds them now: each of those characters becomes a space,
-- runs of spaces one, none at either end. A key that now equals another
-- organisation's of the same kind and province stays with the older one
-- (the rule of 00013): both organisations stay, listed on the duplicates
-- page for a coordinator to merge.
UPDATE trainees
   SET name_key = btrim(regexp_replace(translate(name_key, '’‘ʼ`´‐‑‒–—―−', '            '), ' {2,}', ' ', 'g'))
 WHERE name_key ~ '[’‘ʼ`´‐‑‒–—―−]';

UPDATE organisations
   SET name_key = btrim(regexp_replace(translate(name_key, '’‘ʼ`´‐‑‒–—―−', '            '), ' {2,}', ' ', 'g'))
 WHERE name_key ~ '[’‘ʼ`´‐‑‒–—―−]';

CREATE TEMPORARY TABLE refolded_keys ON COMMIT DROP AS
SELECT organisation_id, kind, province_id, key AS old_key,
       btrim(regexp_replace(translate(key, '’‘ʼ`´‐‑‒–—―−', '            '), ' {2,}', ' ', 'g')) AS new_key
  FROM organisation_keys
 WHERE key ~ '[’‘ʼ`´‐‑‒–—―−]';

DELETE FROM organisation_keys k
 USING refolded_keys r
 WHERE k.organisation_id = r.organisation_id AND k.key = r.old_key;

INSERT INTO organisation_keys (organisation_id, kind, province_id, key)
SELECT organisation_id, kind, province_id, new_key
  FROM refolded_keys
 WHERE new_key <> ''
 ORDER BY organisation_id
    ON CONFLICT DO NOTHING;

-- +goose Down
-- The keys stay folded: the code before this migration compares names
-- folded its way, and these keys only fail to meet a name typed with a
-- typographic apostrophe, as they did then.
SELECT 1;
