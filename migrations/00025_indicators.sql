-- +goose Up
-- Indicators with targets (issue 19, point 4): what a donor's results
-- framework states ("151 local actors trained"), defined over the figures the
-- totals already compute. An indicator names one figure (domain.FigureKeys)
-- and a filter (a programme, optionally one sex and one category); its
-- recorded value is computed by Store.Totals for that filter, never stored.
-- What is stored is what the framework says: a baseline, a target for the
-- whole period and a target per year (docs/INDICATORS.md).
CREATE TABLE indicators (
    id             bigserial PRIMARY KEY,
    code           text NOT NULL CHECK (code ~ '^[a-z0-9-]{1,60}$'),
    title_ar       text NOT NULL CHECK (btrim(title_ar) <> '' AND length(title_ar) <= 200),
    title_fr       text NOT NULL CHECK (btrim(title_fr) <> '' AND length(title_fr) <= 200),
    figure         text NOT NULL CHECK (figure IN (
                       'local_actors.enrolled', 'local_actors.trained', 'local_actors.completed',
                       'by_category.institutional_actor.enrolled', 'by_category.institutional_actor.trained',
                       'by_category.institutional_actor.completed',
                       'by_category.associative_actor.enrolled', 'by_category.associative_actor.trained',
                       'by_category.associative_actor.completed',
                       'by_category.child_parliamentarian.enrolled', 'by_category.child_parliamentarian.trained',
                       'by_category.child_parliamentarian.completed',
                       'associations.enrolled', 'associations.trained',
                       'courses', 'sessions_held')),
    programme_id   bigint NOT NULL REFERENCES programmes (id),
    sex            text CHECK (sex IN ('female', 'male')),
    category       text CHECK (category IN ('institutional_actor', 'associative_actor', 'child_parliamentarian')),
    first_year     smallint NOT NULL CHECK (first_year BETWEEN 2000 AND 2100),
    last_year      smallint NOT NULL CHECK (last_year BETWEEN 2000 AND 2100),
    baseline_year  smallint NOT NULL CHECK (baseline_year BETWEEN 2000 AND 2100),
    baseline_value integer NOT NULL CHECK (baseline_value >= 0),
    -- the target of the whole period (people are counted once over it, so
    -- it is not the sum of the yearly targets)
    target         integer NOT NULL CHECK (target >= 0),
    created_by     bigint REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT indicators_code_key UNIQUE (code),
    CONSTRAINT indicators_years CHECK (first_year <= last_year AND last_year - first_year < 20)
);

-- One target per year of the indicator's period.
CREATE TABLE indicator_targets (
    indicator_id bigint NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
    year         smallint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    target       integer NOT NULL CHECK (target >= 0),
    PRIMARY KEY (indicator_id, year)
);

-- +goose Down
DROP TABLE indicator_targets;
DROP TABLE indicators;
