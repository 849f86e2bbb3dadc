-- Posts while they are written: their author's list, the preview links, and the schedule.
-- A row leaves when its draft is published or discarded.
create table drafts (
    id uuid primary key,
    author_id uuid not null,
    title text not null,
    description text not null,
    body text not null,
    tags text[] not null,
    cover text,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    -- When it publishes itself, if scheduled.
    publish_at timestamptz,
    -- The SHA-256 (hex) of the preview link's secret, while one is shared.
    preview_key text unique
);

create index drafts_by_author on drafts (author_id, updated_at desc);
create index drafts_due on drafts (publish_at) where publish_at is not null;
