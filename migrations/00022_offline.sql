-- +goose Up
-- The trainer's app offline (issue 17): changes made on a device without
-- network, sent later, applied once. docs/OFFLINE.md has the why.

-- 1. Every change a device sent, by the id the device made for it: the
--    server applies a change once, however often the queue is replayed
--    (the primary key is the guarantee; a replay reads the outcome back).
--    A refused change is not recorded: it changed nothing, and it may be
--    sent again once the refusal is lifted.
CREATE TABLE offline_changes (
    change_id   uuid PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    kind        text NOT NULL CHECK (kind IN ('mark', 'walkin')),
    payload     jsonb NOT NULL,               -- the change as the device sent it
    outcome     text NOT NULL CHECK (outcome IN ('applied', 'unchanged', 'skipped', 'conflict')),
    trainee_id  bigint REFERENCES trainees (id), -- a walk-in: the person enrolled (once known)
    conflict_id bigint,                       -- outcome conflict: the entry of the coordinators' list
    made_at     timestamptz,                  -- when the device says the change was made
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offline_changes_user_idx ON offline_changes (user_id, received_at);

-- 2. The coordinators' list: a mark changed on the server after the
--    device's copy was taken (never overwritten silently), or a walk-in who
--    looks like a person on record. Both values, who set them and when,
--    until a coordinator chooses.
CREATE TABLE offline_conflicts (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('mark', 'walkin')),
    change_id      uuid NOT NULL UNIQUE REFERENCES offline_changes (change_id),
    course_id      bigint NOT NULL REFERENCES courses (id),
    session_id     bigint REFERENCES sessions (id),
    trainee_id     bigint REFERENCES trainees (id),   -- a mark: whose
    device_status  text CHECK (device_status IN ('present', 'late', 'excused', 'absent')),
    device_by      bigint NOT NULL REFERENCES users (id),
    device_at      timestamptz NOT NULL,              -- when the device made the change
    server_status  text CHECK (server_status IN ('present', 'late', 'excused', 'absent')),
    server_by      bigint REFERENCES users (id),
    server_at      timestamptz,
    walkin         jsonb,                             -- a walk-in: the person as typed on the device
    matches        bigint[] NOT NULL DEFAULT '{}',    -- a walk-in: the people on record it looks like
    held_marks     jsonb NOT NULL DEFAULT '[]',       -- a walk-in: marks made for them, applied on resolution
    created_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz,
    resolved_by    bigint REFERENCES users (id),
    resolution     text CHECK (resolution IN ('device', 'server', 'new_person', 'existing_person')),
    CONSTRAINT offline_conflicts_kind CHECK (
        (kind = 'mark' AND session_id IS NOT NULL AND trainee_id IS NOT NULL AND device_status IS NOT NULL)
     OR (kind = 'walkin' AND walkin IS NOT NULL)),
    CONSTRAINT offline_conflicts_resolved CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
CREATE INDEX offline_conflicts_open_idx ON offline_conflicts (created_at) WHERE resolved_at IS NULL;

ALTER TABLE offline_changes ADD CONSTRAINT offline_changes_conflict_fkey
    FOREIGN KEY (conflict_id) REFERENCES offline_conflicts (id) DEFERRABLE INITIALLY DEFERRED;

-- +goose Down
DROP TABLE offline_changes, offline_conflicts CASCADE;
