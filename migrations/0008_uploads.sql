-- Images uploaded through a form and not yet known to be used. A cover chosen in a preview that
-- is never published, or a picture on a settings form that is abandoned, would otherwise stay
-- in storage for ever. `claimed` is set before any command that refers to the image runs (so a
-- referenced image is never taken for an orphan); unclaimed uploads older than a day are
-- deleted with their files. Not a read model: nothing in the event log describes uploads.
create table uploads (
    key text primary key,
    uploaded_by uuid not null,
    uploaded_at timestamptz not null default now(),
    claimed boolean not null default false
);
create index uploads_waiting on uploads (uploaded_at) where not claimed;
