-- Readers subscribed to an author's posts by email, confirmed or waiting for their link.
-- A row leaves when the subscription ends.
create table subscriptions (
    id uuid primary key,
    author_id uuid not null,
    reader_id uuid,
    email text not null,
    holder uuid not null,
    confirmed boolean not null,
    created_at timestamptz not null
);

create index subscriptions_by_author on subscriptions (author_id) where confirmed;
create index subscriptions_by_reader on subscriptions (reader_id) where reader_id is not null;
