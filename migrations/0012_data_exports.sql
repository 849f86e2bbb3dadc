-- Archives of a person's data ("download my data"), built in the background after the
-- DataExportRequested event and kept until `expires_at`. Not a read model: the archive is made
-- from the read models at one moment, and only its person may download it.
create table data_exports (
    id uuid primary key,
    user_id uuid not null,
    requested_at timestamptz not null default now(),
    ready_at timestamptz,
    expires_at timestamptz,
    archive bytea,
    size bigint
);
create index data_exports_by_user on data_exports (user_id, requested_at desc);
