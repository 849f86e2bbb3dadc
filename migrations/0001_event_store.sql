-- The event log: the only source of truth. Columns up to `metadata` are postgres-es's schema;
-- the last three give the log a global order, a time, and what tailing readers need to never
-- skip an event whose transaction commits after a later position (see projections::log).
create table events (
    aggregate_type text not null,
    aggregate_id text not null,
    sequence bigint not null check (sequence >= 0),
    event_type text not null,
    event_version text not null,
    payload jsonb not null,
    metadata jsonb not null,
    position bigint generated always as identity,
    recorded_at timestamptz not null default clock_timestamp(),
    transaction_id xid8 not null default pg_current_xact_id(),
    primary key (aggregate_type, aggregate_id, sequence)
);

create index events_position on events (position);
create index events_tailing on events (transaction_id, position);
create index events_actor on events ((metadata ->> 'actor'), position);

-- The latest state of an aggregate, so loading costs the same after 100k events as after 10.
create table snapshots (
    aggregate_type text not null,
    aggregate_id text not null,
    last_sequence bigint not null check (last_sequence >= 0),
    current_snapshot bigint not null check (current_snapshot >= 0),
    payload jsonb not null,
    primary key (aggregate_type, aggregate_id)
);

-- Values that must be unique across aggregates (usernames, emails). Written in the same
-- statement as the events that claim them, so a race has one winner and no orphans.
create table unique_claims (
    kind text not null,
    value text not null,
    aggregate_type text not null,
    aggregate_id text not null,
    primary key (kind, value)
);

-- How far each read model has applied the log, as a (transaction_id, position) cursor.
create table projector_checkpoints (
    name text primary key,
    transaction_id xid8 not null default '0',
    position bigint not null default 0,
    updated_at timestamptz not null default now()
);

-- Browser sessions, shared by every instance (the schema tower-sessions' PostgresStore uses).
create schema if not exists tower_sessions;
create table if not exists tower_sessions.session (
    id text primary key not null,
    data bytea not null,
    expiry_date timestamptz not null
);
create index session_expiry on tower_sessions.session (expiry_date);
