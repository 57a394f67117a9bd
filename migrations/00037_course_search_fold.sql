-- +goose Up
-- The course list's search folds accents, case and Arabic spelling
-- (issue 16, point 3): «ecole» finds «École», «مدرسة» finds «مَدْرَسَة» and
-- «أ»/«إ»/«آ» meet «ا», as people's and organisations' names are searched
-- (domain.SearchKey, which folds them in Go before they are stored).
-- Course titles are folded here, in the database, so that every way a
-- course is written (the form, the API, imports, the demo, a migration)
-- is searched alike without a stored key to keep: the query and the
-- titles go through the same function.
--
-- search_fold is SearchKey in SQL: decomposed (NFD), then the combining
-- marks dropped (Latin accents U+0300–U+036F; Arabic harakat, hamza
-- above/below and madda U+064B–U+065F; superscript alef U+0670; tatweel
-- U+0640; invisible format characters), the Arabic variants that do not
-- decompose unified (ٱ→ا, ى→ي, ة→ه; أ إ آ ئ ؤ lose their hamza in the
-- decomposition), apostrophes and dashes made spaces, lower case, runs of
-- spaces one and none at either end.
-- +goose StatementBegin
CREATE FUNCTION search_fold(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT btrim(regexp_replace(lower(translate(
         regexp_replace(normalize(s, NFD), '[\u0300-\u036f\u064b-\u065f\u0670\u0640\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]', '', 'g'),
         'ٱىة''’‘ʼ`´-‐‑‒–—―−', 'ايه              ')),
       '\s+', ' ', 'g'))
$$;
-- +goose StatementEnd

-- The list's search reads every course's folded code and titles; a
-- trigram index keeps a search of tens of thousands of courses an index
-- scan (the expression is the one Store.Courses compares).
CREATE INDEX courses_search_trgm ON courses
 USING gin (search_fold(code || ' ' || title_ar || ' ' || title_fr) gin_trgm_ops);

-- +goose Down
DROP INDEX courses_search_trgm;
DROP FUNCTION search_fold(text);
